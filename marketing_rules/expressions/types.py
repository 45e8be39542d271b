"""The types an expression can have, and how they relate."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TypeKind(StrEnum):
    """What a type is; compares equal to its name (``TypeKind.INTEGER == "integer"``)."""

    INTEGER = "integer"
    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    ENUM = "enum"
    LIST = "list"
    NULL = "null"
    ERROR = "error"  # an expression that did not type-check (its error is already reported)


@dataclass(frozen=True, slots=True)
class Type:
    """``kind`` is one of integer, number, string, boolean, enum, list, null."""

    kind: TypeKind
    values: tuple[str, ...] = ()  # enum values, in declared order
    item: Type | None = None  # list item type
    name: str | None = None  # the enum's name, for messages

    def __str__(self) -> str:
        if self.kind == "enum":
            return f"enum {self.name or ''}({', '.join(self.values)})".replace(" (", "(")
        if self.kind == "list":
            return f"list of {self.item}" if self.item else "list"
        return self.kind.value

    @property
    def article(self) -> str:
        """The type with its article, for messages: 'a number', 'an enum tier(...)'."""
        text = str(self)
        return f"{'an' if text[0] in 'aeiou' else 'a'} {text}"

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "number")


INTEGER = Type(TypeKind.INTEGER)
NUMBER = Type(TypeKind.NUMBER)
STRING = Type(TypeKind.STRING)
BOOLEAN = Type(TypeKind.BOOLEAN)
NULL = Type(TypeKind.NULL)


def enum(values: tuple[str, ...] | list[str], name: str | None = None) -> Type:
    return Type(TypeKind.ENUM, values=tuple(values), name=name)


def list_of(item: Type | None) -> Type:
    return Type(TypeKind.LIST, item=item)


def comparable(a: Type, b: Type) -> bool:
    """Whether ``a == b`` is meaningful (null compares with anything, though always unknown)."""
    if a.kind == "null" or b.kind == "null":
        return True
    if a.numeric and b.numeric:
        return True
    if a.kind == "enum" and b.kind == "enum":
        return bool(set(a.values) & set(b.values))
    if {a.kind, b.kind} <= {"enum", "string"}:
        return True
    return a.kind == b.kind


def ordered(t: Type) -> bool:
    """Whether ``<`` and friends apply."""
    return t.numeric or t.kind == "null"


def unify(a: Type, b: Type) -> Type:
    """The type of a value that is either an ``a`` or a ``b`` (lists, coalesce, min/max)."""
    if a.kind == "null":
        return b
    if b.kind == "null" or a == b:
        return a
    if a.numeric and b.numeric:
        return NUMBER
    if a.kind == "enum" and b.kind in ("enum", "string"):
        return a
    if b.kind == "enum" and a.kind == "string":
        return b
    return a


def is_subtype(value: Type, target: Type) -> bool:
    """Whether a value of type ``value`` may be stored in a fact of type ``target``."""
    if value.kind == "null" or value == target:
        return True
    if target.kind == "number" and value.numeric:
        return True
    if target.kind == "enum" and value.kind == "enum":
        return set(value.values) <= set(target.values)
    if target.kind == "list" and value.kind == "list":
        return value.item is None or target.item is None or is_subtype(value.item, target.item)
    return False
