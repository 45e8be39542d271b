"""The fixed set of functions an expression may call: their types and their Python meaning.

Nothing outside this table can be called, so an expression can never reach a Python object.
Every function but ``coalesce`` is null when any argument is null, as in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from marketing_rules.expressions.types import INTEGER, NUMBER, Type, unify


def _numeric_result(args: list[Type]) -> Type:
    return INTEGER if all(a.kind == "integer" for a in args) else NUMBER


def _round(x: Decimal | int, digits: int = 0) -> Decimal | int:
    if isinstance(x, int):
        return x if digits >= 0 else int(Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    result = Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(result) if digits <= 0 else result


def _floor(x: Decimal | int) -> int:
    return x if isinstance(x, int) else int(Decimal(x).to_integral_value(rounding=ROUND_FLOOR))


def _ceil(x: Decimal | int) -> int:
    return x if isinstance(x, int) else int(Decimal(x).to_integral_value(rounding=ROUND_CEILING))


def _coalesce(*args: object) -> object:
    return next((a for a in args if a is not None), None)


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    accepts: str  # 'numeric', 'sized' (list or string), 'any'
    result: Callable[[list[Type]], Type]
    impl: Callable[..., object]
    null_absorbing: bool = False  # coalesce: a null argument does not make the result null
    doc: str = ""


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("min", 2, None, "numeric", _numeric_result, min, doc="the smallest argument"),
        Function("max", 2, None, "numeric", _numeric_result, max, doc="the largest argument"),
        Function("abs", 1, 1, "numeric", _numeric_result, abs, doc="absolute value"),
        Function("round", 1, 2, "numeric", lambda a: INTEGER if len(a) == 1 else NUMBER, _round,
                 doc="round half away from zero to `digits` decimals (default 0)"),
        Function("floor", 1, 1, "numeric", lambda a: INTEGER, _floor, doc="largest integer not above"),
        Function("ceil", 1, 1, "numeric", lambda a: INTEGER, _ceil, doc="smallest integer not below"),
        Function("len", 1, 1, "sized", lambda a: INTEGER, len, doc="length of a list or string"),
        Function("coalesce", 2, None, "any", lambda a: _unify_all(a), _coalesce, null_absorbing=True,
                 doc="the first argument that is not null"),
    )
}


def _unify_all(types: list[Type]) -> Type:
    result = types[0]
    for t in types[1:]:
        result = unify(result, t)
    return result

