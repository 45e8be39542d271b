"""Answers of the decision service and the workbench: JSON bodies, and one customer decided with
the place of each problem in the request."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from fastapi.responses import Response

from marketing_rules.engine.decision import Decision
from marketing_rules.engine.ruleset import Ruleset
from marketing_rules.errors import EvaluationError, FactsError
from marketing_rules.model.input_rules import in_language


# -- JSON -----------------------------------------------------------------------------------------
def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "items"):
        return dict(value)
    return str(value)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)


def answer(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status, headers=headers, media_type="application/json")


# -- one customer ---------------------------------------------------------------------------------
class BadCustomer(ValueError):
    """A customer that is not valid facts, with the place of each problem in the request."""

    def __init__(self, detail: list[dict[str, Any]]):
        self.detail = detail
        super().__init__(detail)


def decide(rs: Ruleset, customer: dict[str, Any], where: tuple[Any, ...]) -> Decision:
    """``rs.evaluate``; a customer it rejects becomes a :class:`BadCustomer` placed at ``where``."""
    try:
        return rs.evaluate(customer)
    except FactsError as error:
        raise BadCustomer([{"loc": [*where, e["field"]], "msg": in_language(str(e["message"])), "type": "fact",
                            "input": e["value"]} for e in error.errors]) from None
    except EvaluationError as error:
        raise BadCustomer([{"loc": list(where), "msg": str(error), "type": "evaluation",
                            "rule": error.rule}]) from None
