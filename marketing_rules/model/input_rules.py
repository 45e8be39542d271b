"""The input rules: how a cell of each fact type is read, and the reason a bad one is rejected.

One table for every backend. The per-customer engine reads a value with the functions below
(pydantic calls them); the SQL validation (``backends/validation_sql.py``) builds its checks from
the same patterns, words and reasons. docs/dsl.md ("Input values") states the rules to users:

- A text cell of an ``integer``, ``number`` or ``boolean`` fact may have spaces (U+0020) around
  it; nothing else is trimmed. Strings, enums and ids are taken exactly as written.
- ``integer``: text is an optional sign and ASCII digits, with an optional point followed only by
  zeros (``007``, ``-0``, ``+5``, ``12.0``; not ``1e1``, ``1_000``, ``12.5`` or full-width
  digits); an integer value as it is; a float or decimal value
  when it is finite and whole. It must be within +-10^18.
- ``number``: text is an optional sign and ASCII digits with at most one decimal point (``.5``,
  ``5.``; no exponent, no ``NaN``, ``inf``, underscores or full-width digits), read exactly; an
  integer as it is; a float as the decimal it prints as (``repr``); a decimal digit for digit. The
  value is rounded to 10 places, half away from zero, and must be below 10^18 in magnitude.
- ``boolean``: a boolean; the integers 0 and 1; text ``true/false``, ``yes/no``, ``on/off``,
  ``t/f``, ``y/n``, ``1/0`` in any case.
- ``string``: text. ``enum``: text that is exactly one of the values. ``id``: non-empty text, or an
  integer (read as its digits).
- Bounds (``ge``, ``le``) are checked on the value read. A cell has at most one reason, the first
  of: not of the type, beyond the range of the type, below ``ge``, above ``le``.

A rejected row's error is ``field: reason (got value)`` for each bad field in schema order, joined
by ``; `` (:func:`marketing_rules.errors.fact_reason`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from pydantic_core import PydanticCustomError

from marketing_rules.errors import FactsError, shown
from marketing_rules.expressions.numbers import LIMIT, to_number
from marketing_rules.i18n import N_, _

SPACE: Final = " "  # trimmed around the text of numbers and booleans
INTEGER_TEXT: Final = r"[+-]?[0-9]+(\.0*)?"  # a whole number: 12, 12.0 (pandas writes those)
NUMBER_TEXT: Final = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
TRUE_WORDS: Final = ("1", "on", "t", "true", "y", "yes")
FALSE_WORDS: Final = ("0", "off", "f", "false", "n", "no")

#: The reasons, as written: a rejected cell's reason is data (the row's ``error``, alike on every backend,
#: in English in every language); :func:`in_language` shows one to a reader in the language in force.
REQUIRED: Final = N_("is required")
EMPTY: Final = N_("must not be empty")
NOT_TEXT: Final = N_("is not text")
NOT_INTEGER: Final = N_("is not an integer")
NOT_NUMBER: Final = N_("is not a number")
NOT_FINITE: Final = N_("is not a finite number")
INTEGER_RANGE: Final = N_("is beyond +-10^18")
NUMBER_RANGE: Final = N_("is not below 10^18 in magnitude")
NOT_BOOLEAN: Final = N_("is not true or false")
NOT_LIST: Final = N_("is not a list")
AT_LEAST: Final = N_("must be greater than or equal to {bound}")
AT_MOST: Final = N_("must be less than or equal to {bound}")
ONE_OF: Final = N_("must be one of {values}")


def at_least(bound: float) -> str:
    return AT_LEAST.format(bound=bound_text(bound))


def at_most(bound: float) -> str:
    return AT_MOST.format(bound=bound_text(bound))


def one_of(values: tuple[str, ...]) -> str:
    return ONE_OF.format(values=", ".join(values))


_REASONS = frozenset((REQUIRED, EMPTY, NOT_TEXT, NOT_INTEGER, NOT_NUMBER, NOT_FINITE, INTEGER_RANGE, NUMBER_RANGE,
                      NOT_BOOLEAN, NOT_LIST))
_FILLED = tuple((template, re.compile(re.escape(template).replace(re.escape("{" + name + "}"), f"(?P<{name}>.+)")))
                for template, name in ((AT_LEAST, "bound"), (AT_MOST, "bound"), (ONE_OF, "values")))


def told(error: FactsError) -> str:
    """A rejected customer's reasons for a reader, in the language in force (``str(error)`` is the
    English the batch rows hold)."""
    def one(fact: object, reason: object, value: object) -> str:
        if value is None:
            return _("{fact}: {reason}", fact=fact, reason=in_language(str(reason)))
        return _("{fact}: {reason} (got {value})", fact=fact, reason=in_language(str(reason)), value=shown(value))

    return _("; ").join(one(e["field"], e["message"], e["value"]) for e in error.errors)


def in_language(reason: str) -> str:
    """A cell's reason (as the readers above and the SQL validation write it) in the language in force,
    for a reader; a reason that is none of them is returned as it is.

    >>> in_language("must be one of none, gold")  # in English, as it is
    'must be one of none, gold'
    """
    if reason in _REASONS:
        return _(reason)
    for template, pattern in _FILLED:
        found = pattern.fullmatch(reason)
        if found:
            return _(template, **found.groupdict())
    return reason


def bound_text(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))


_INTEGER = re.compile(INTEGER_TEXT)
_NUMBER = re.compile(NUMBER_TEXT)
_WORDS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
_LIMIT = Decimal(LIMIT)


def _reject(reason: str) -> PydanticCustomError:
    return PydanticCustomError("fact", reason)


def _bounded(value: Any, ge: float | None, le: float | None) -> Any:
    if ge is not None and value < ge:
        raise _reject(at_least(ge))
    if le is not None and value > le:
        raise _reject(at_most(le))
    return value


def read_integer(value: Any, ge: float | None = None, le: float | None = None) -> int | None:
    if value is None:
        return None
    cls = value.__class__
    if cls is str:
        text = value.strip(SPACE)
        if not _INTEGER.fullmatch(text):
            raise _reject(NOT_INTEGER)
        digits = text.partition(".")[0]
        if len(digits.lstrip("+-").lstrip("0")) > 19:
            raise _reject(INTEGER_RANGE)  # before int(): Python limits the digits it converts
        number = int(digits)
    elif cls is int:
        number = value
    elif cls is float or cls is Decimal:
        if not value.is_finite() if cls is Decimal else not math.isfinite(value):
            raise _reject(NOT_INTEGER)
        if value != int(value):
            raise _reject(NOT_INTEGER)
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = int(value)
    else:
        raise _reject(NOT_INTEGER)
    if abs(number) > LIMIT:
        raise _reject(INTEGER_RANGE)
    bounded: int = _bounded(number, ge, le)
    return bounded


def exact_number(value: Any) -> Decimal:
    """The decimal a cell of a number fact holds, before rounding; raises the reason it has none."""
    cls = value.__class__
    if cls is str:
        text = value.strip(SPACE)
        if not _NUMBER.fullmatch(text):
            raise _reject(NOT_NUMBER)
        return Decimal(text)
    if cls is float:
        if not math.isfinite(value):
            raise _reject(NOT_FINITE)
        return Decimal(repr(value))
    if cls is Decimal:
        if not value.is_finite():
            raise _reject(NOT_FINITE)
        exact: Decimal = value
        return exact
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(int(value))
    raise _reject(NOT_NUMBER)


def read_number(value: Any, ge: float | None = None, le: float | None = None) -> float | Decimal | None:
    """A number fact's value, read exactly and rounded to 10 places. The per-customer engine holds
    it as a float when the float prints as exactly this decimal (up to 15 significant digits always
    do), and computes on it as that decimal; else as the Decimal itself."""
    if value is None:
        return None
    exact = exact_number(value)
    if abs(exact) >= _LIMIT:
        raise _reject(NUMBER_RANGE)
    number = to_number(exact)
    if abs(number) >= _LIMIT:
        raise _reject(NUMBER_RANGE)
    _bounded(number, ge, le)
    carried = float(number)
    return carried if Decimal(repr(carried)) == number else number


def read_boolean(value: Any) -> bool | None:
    if value is None or value.__class__ is bool:
        return value
    if value.__class__ is str:
        word = _WORDS.get(value.strip(SPACE).lower())
        if word is not None:
            return word
    elif isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return value == 1
    raise _reject(NOT_BOOLEAN)


def read_text(value: Any) -> str | None:
    if value is None or value.__class__ is str:
        return value
    raise _reject(NOT_TEXT)


def read_id(value: Any) -> str:
    if value is None:
        raise _reject(REQUIRED)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))  # customer numbers stored as integers
    if value.__class__ is not str:
        raise _reject(NOT_TEXT)
    if not value:
        raise _reject(EMPTY)
    return value


def reader(spec: Any) -> Callable[[Any], Any] | None:
    """The function that reads a cell of the fact ``spec`` (a FactSpec); None for lists."""
    if spec.type == "integer":
        return lambda value: read_integer(value, spec.ge, spec.le)
    if spec.type == "number":
        return lambda value: read_number(value, spec.ge, spec.le)
    if spec.type == "boolean":
        return read_boolean
    if spec.type == "string":
        return read_text
    if spec.type == "enum":
        allowed, reason = frozenset(spec.values), one_of(spec.values)

        def read_enum(value: Any) -> str | None:
            if value is None or (value.__class__ is str and value in allowed):
                return value
            raise _reject(reason)

        return read_enum
    return None
