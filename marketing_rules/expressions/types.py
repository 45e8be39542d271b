"""The types an expression can have, and how they relate."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from marketing_rules.i18n import N_, _


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
        """The type with its article, for messages, in the language in force: 'a number', 'an enum
        tier(...)', 'a list of string' (数字, 枚举 tier(...), 文本列表)."""
        if self.kind == "enum":
            values = ", ".join(self.values)
            return _("an enum {name}({values})", name=self.name, values=values) if self.name else \
                _("an enum({values})", values=values)
        if self.kind == "list":
            return _("a list of {item}", item=self.item.word) if self.item else _("a list")
        return _(_ARTICLES[self.kind])

    @property
    def word(self) -> str:
        """The type without an article, in the language in force: 'number', 'list of string' (数字, 文本列表)."""
        if self.kind == "enum":
            values = ", ".join(self.values)
            return _("enum {name}({values})", name=self.name, values=values) if self.name else \
                _("enum({values})", values=values)
        if self.kind == "list":
            return _("list of {item}", item=self.item.word) if self.item else _("list")
        return _(_WORDS[self.kind])

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "number")


#: The types' names in messages (enums and lists are worded with their values and items).
_WORDS = {TypeKind.INTEGER: N_("integer"), TypeKind.NUMBER: N_("number"), TypeKind.STRING: N_("string"),
          TypeKind.BOOLEAN: N_("boolean"), TypeKind.NULL: N_("null"), TypeKind.ERROR: N_("error")}
_ARTICLES = {TypeKind.INTEGER: N_("an integer"), TypeKind.NUMBER: N_("a number"), TypeKind.STRING: N_("a string"),
             TypeKind.BOOLEAN: N_("a boolean"), TypeKind.NULL: N_("a null"), TypeKind.ERROR: N_("an error")}

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
