"""The number contract: one definition of integers and exact decimals, for every backend.

Every backend (the reference interpreter, the generated Python, DuckDB, Spark, z3) computes
exactly this, and docs/dsl.md ("Numbers") states it for users:

- An ``integer`` is a 64-bit signed integer. Arithmetic on integers is exact; a result outside
  [-2^63, 2^63 - 1] is an *overflow*.
- A ``number`` is an exact decimal of at most 18 digits before the point and 10 after it
  (``DECIMAL(28, 10)``). Input values are read exactly (a float as the decimal it prints as, text
  and Parquet decimals digit for digit) and rounded to 10 places, half away from zero. Every
  arithmetic result (``+ - * /  %``, ``abs``, ``min``, ``max``, ``round``) is the exact result
  rounded to 10 places, half away from zero; a result of 10^18 or more in magnitude is an
  *overflow*. ``a / 0`` and ``a % 0`` are null.
- An overflow is an error of that customer (``EvaluationError`` per customer, the row's ``error``
  in a batch), with the reason :func:`overflow_reason` gives, on every backend alike: never a
  wrapped value, never a failed batch.
- Input integers are within +-10^18, input numbers below 10^18 in magnitude; literals and
  constants must be valid numbers of their type (a load error otherwise).
- What is evaluated: every sub-expression of a unit's condition (a rule's ``when``, every row test
  and input of a table) is evaluated whenever the unit is reached in the agenda, whole (no
  short-circuit) and whether or not its group is already taken; effects (``set`` values, offer
  amounts, awards, a table's output cells) only when the rule or row fires. The first error in
  agenda order (then left to right, inner before outer) is the customer's error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Final

SCALE: Final = 10  # decimal places of every number
PRECISION: Final = 28  # digits of every number: DECIMAL(PRECISION, SCALE)
LIMIT: Final = 10**18  # a number's magnitude stays below LIMIT; input facts are within +-LIMIT
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1
QUANTUM: Final = Decimal(1).scaleb(-SCALE)  # 1E-10

#: Wide enough that no exact result of two contract numbers is rounded before it is quantized.
CONTEXT: Final = Context(prec=120, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])
_DECIMAL_LIMIT: Final = Decimal(LIMIT)


class NumberOverflow(ArithmeticError):
    """An arithmetic result outside the contract: the customer cannot be decided."""


def overflow_reason(kind: str, text: str, unit: str) -> str:
    """The one wording of an overflow, shared by every backend: ``kind`` is integer or number,
    ``text`` the expression as written in the rule file, ``unit`` the rule or table evaluating it."""
    limit = "64 bits" if kind == "integer" else "18 digits before the point"
    return f"{kind} overflow in '{unit}': {text} is beyond {limit}"


def quantize(value: Decimal) -> Decimal:
    """A decimal rounded to SCALE places, half away from zero (no range check)."""
    return value.quantize(QUANTUM, rounding=ROUND_HALF_UP, context=CONTEXT)


def to_number(value: int | float | Decimal | str) -> Decimal:
    """An input or literal as a contract number: read exactly, then rounded to SCALE places."""
    if value.__class__ is float:
        return quantize(Decimal(repr(value)))
    return quantize(Decimal(value))


def number_result(value: Decimal) -> Decimal:
    """An arithmetic result on numbers: rounded to SCALE places; raises :class:`NumberOverflow`."""
    result = quantize(value)
    if abs(result) >= _DECIMAL_LIMIT:
        raise NumberOverflow(result)
    return result


def integer_result(value: int) -> int:
    """An arithmetic result on integers; raises :class:`NumberOverflow` outside 64 bits."""
    if not INT_MIN <= value <= INT_MAX:
        raise NumberOverflow(value)
    return value


def quotient(a: Decimal, b: Decimal) -> Decimal | None:
    """``a / b`` for any two numbers (integers included): null when ``b`` is 0."""
    if b == 0:
        return None
    return number_result(CONTEXT.divide(Decimal(a), Decimal(b)))


def remainder(a: int | Decimal, b: int | Decimal) -> int | Decimal | None:
    """``a % b`` with the dividend's sign, as SQL's ``%``: null when ``b`` is 0."""
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    return number_result(CONTEXT.remainder(Decimal(a), Decimal(b)))


def valid_literal(value: int | Decimal) -> str | None:
    """Why a literal or constant is outside the contract, or None when it is a valid number."""
    if isinstance(value, int):
        return None if abs(value) <= LIMIT else f"{value} is beyond the integers' range of +-10^18"
    if not value.is_finite():
        return f"{value} is not a finite number"
    if abs(value) >= _DECIMAL_LIMIT:
        return f"{value} has more than 18 digits before the point"
    if value != quantize(value):
        return f"{value} has more than {SCALE} digits after the point"
    return None
