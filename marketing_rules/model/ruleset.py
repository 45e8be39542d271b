"""The rule file format as pydantic models (SPEC section 3).

These models check the file's shape: which keys exist, which are required, the type of each
value, down to each requirement and reward of an offer (one model per kind, in discriminated
unions), grant, award and row of the access matrix. Where the format lets a scalar stand for the
main parameter (``prestore: 300``, ``grant: golf-club``, ``award: 100``, ``open: free``) the model
reads both forms and writes back the one written, so fingerprints follow the text. A shape error
that needs its own code, message or place is raised with :func:`shape_error`; the loader reports it
as said. Expressions stay text here; ``analysis.resolve`` parses and type-checks them with the
positions kept by the YAML loader, and checks what needs the rest of the file (packages, services,
fact values). ``marketing-rules schema`` publishes these models as JSON Schema, so the titles and
descriptions below are what an editor shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    PrivateAttr,
    RootModel,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError
from typing_extensions import TypeAliasType

from marketing_rules.errors import did_you_mean
from marketing_rules.i18n import N_, _, language, n_

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
VERSION_PATTERN = r"^\d+\.\d+\.\d+$"

Scalar = str | int | float | bool | None
Condition = str | bool | int | float | dict[str, Any] | list[Any]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Effective(_Part):
    """The dates between which a version is in force; ``until`` is exclusive and optional."""

    from_: dt.date = Field(alias="from", description="first day in force")
    until: dt.date | None = Field(None, description="first day no longer in force (exclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.until is not None and self.until <= self.from_:
            raise ValueError(_("the window ends ({until}) before it starts ({start})", until=self.until,
                               start=self.from_))
        return self


class FactDecl(_Part):
    """A fact the ruleset derives or adds to its inputs."""

    type: Literal["integer", "number", "string", "boolean", "enum", "list"]
    values: list[str] | None = Field(None, description="the allowed values of an enum, highest priority first")
    default: Scalar = Field(None, description="the value when no rule sets the fact")
    ge: float | None = Field(None, description="smallest allowed value (inputs)")
    le: float | None = Field(None, description="largest allowed value (inputs)")
    title: str = ""


class Package(_Part):
    """A package of the operator's catalogue, which `upgrade` requirements refer to."""

    fee: float = Field(ge=0, description="monthly fee in yuan")
    title: str = ""


# -- the words of the format ---------------------------------------------------------------------
AccessMode = Literal["free", "paid", "prestore", "trial"]
ServiceClass = Literal["restricted", "semi-open", "open"]
OfferMode = Literal["gift", "discount", "lottery", "trial"]
OfferType = Literal["uplift", "retention", "care"]
ACCESS_MODES: tuple[str, ...] = get_args(AccessMode)
SERVICE_CLASSES: tuple[str, ...] = get_args(ServiceClass)
#: The service terms that go with each access mode.
MODE_TERMS: dict[str, tuple[str, ...]] = {"free": (), "paid": ("price",), "prestore": ("prestore",),
                                          "trial": ("trial_days",)}


def shape_error(code: str, message: str, hint: str | None = None, at: tuple[Any, ...] = (),
                key: bool = False) -> PydanticCustomError:
    """A shape error reported as diagnostic ``code`` with ``hint``, at the keys ``at`` below the value
    (``key``: at the last key rather than its value)."""
    return PydanticCustomError("rule_shape", message, {"code": code, "hint": hint, "at": at, "key": key})


# -- pydantic's own messages in the reader's language ----------------------------------------------
#: pydantic's messages by error type, in pydantic's English (kept as it is), the error's ctx as fields.
PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("Input should be a finite number"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "string_type": N_("Input should be a valid string"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "literal_error": N_("Input should be {expected}"),
    "enum": N_("Input should be {expected}"),
    "list_type": N_("Input should be a valid list"),
    "tuple_type": N_("Input should be a valid tuple"),
    "set_type": N_("Input should be a valid set"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "none_required": N_("Input should be None"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "date_from_datetime_inexact": N_("Datetimes provided to dates should have zero time - e.g. be exact dates"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "union_tag_invalid": N_("Input tag '{tag}' found using {discriminator} does not match any of the expected "
                            "tags: {expected_tags}"),
    "union_tag_not_found": N_("Unable to extract tag using discriminator {discriminator}"),
    "recursion_loop": N_("Recursion error - cyclic reference detected"),
}

#: What pydantic's date parser says is wrong (the ``error`` of its date errors).
DATE_PROBLEMS: dict[str, str] = {
    "input is too short": N_("input is too short"),
    "input is too long": N_("input is too long"),
    "invalid character in year": N_("invalid character in year"),
    "invalid character in month": N_("invalid character in month"),
    "invalid character in day": N_("invalid character in day"),
    "invalid date separator, expected `-`": N_("invalid date separator, expected `-`"),
    "month value is outside expected range of 1-12": N_("month value is outside expected range of 1-12"),
    "day value is outside expected range": N_("day value is outside expected range"),
    "unexpected extra characters at the end of the input": N_("unexpected extra characters at the end of the input"),
}


def pydantic_message(error: Mapping[str, Any]) -> str:
    """The message of one of pydantic's errors (an item of ``ValidationError.errors()``) in the language
    in force, worded from its ``type`` and ``ctx``: in English pydantic's own text. An error of a type
    not listed here, a shape error (:func:`shape_error`) and a value error keep their text (ours is
    made in the language in force already)."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    message = str(error.get("msg", ""))
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return _length_message(kind, str(ctx.get("field_type", "")), ctx) or message
    template = PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return message
    fields = {name: _choices(value) if name == "expected" else _shown(value) for name, value in ctx.items()}
    if "error" in fields and fields["error"] in DATE_PROBLEMS:
        fields["error"] = _(DATE_PROBLEMS[fields["error"]])
    try:
        return _(template, **fields)
    except (KeyError, IndexError, ValueError):  # a ctx that differs from the message's fields
        return message


def _length_message(kind: str, field_type: str, ctx: dict[str, Any]) -> str | None:
    """pydantic's messages about a list, mapping or text too short or too long (None for another)."""
    limit = ctx.get("min_length", ctx.get("max_length"))
    actual = ctx.get("actual_length")
    if not isinstance(limit, int):
        return None
    match kind, field_type:
        case "too_long", "List" if actual is None:  # pydantic stopped reading: it does not know how many
            return n_("List should have at most {count} item after validation, not more",
                      "List should have at most {count} items after validation, not more", limit)
        case "too_long", "Dictionary" if actual is None:
            return n_("Dictionary should have at most {count} item after validation, not more",
                      "Dictionary should have at most {count} items after validation, not more", limit)
        case "too_short", "List":
            return n_("List should have at least {count} item after validation, not {actual}",
                      "List should have at least {count} items after validation, not {actual}", limit, actual=actual)
        case "too_long", "List":
            return n_("List should have at most {count} item after validation, not {actual}",
                      "List should have at most {count} items after validation, not {actual}", limit, actual=actual)
        case "too_short", "Dictionary":
            return n_("Dictionary should have at least {count} item after validation, not {actual}",
                      "Dictionary should have at least {count} items after validation, not {actual}", limit,
                      actual=actual)
        case "too_long", "Dictionary":
            return n_("Dictionary should have at most {count} item after validation, not {actual}",
                      "Dictionary should have at most {count} items after validation, not {actual}", limit,
                      actual=actual)
        case "string_too_short", _:
            return n_("String should have at least {count} character", "String should have at least {count} characters",
                      limit)
        case "string_too_long", _:
            return n_("String should have at most {count} character", "String should have at most {count} characters",
                      limit)
    return None


def _shown(value: object) -> str:
    """A ctx value as pydantic shows it: a whole float without its ``.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _choices(expected: object) -> str:
    """pydantic's ``'a', 'b' or 'c'`` with the reader's word for "or"."""
    head, sep, last = str(expected).rpartition(" or ")
    return _("{choices} or {last}", choices=head, last=last) if sep else str(expected)


#: The type each of pydantic's type errors asks for, in the words of its English message.
WANTED_TYPES: dict[str, str] = {
    "string_type": N_("string"), "bool_type": N_("boolean"), "bool_parsing": N_("boolean"),
    "int_type": N_("integer"), "int_parsing": N_("integer"), "int_from_float": N_("integer"),
    "float_type": N_("number"), "float_parsing": N_("number"), "list_type": N_("list"),
    "dict_type": N_("dictionary"),
}


def _place(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A location without the names pydantic gives the alternatives of a union (``str``, ``list[any]``)."""
    return tuple(part for part in loc if not (isinstance(part, str) and (
        "[" in part or part in ("str", "int", "float", "bool", "dict", "list", "none"))))


def _in_language(error: ValidationError) -> ValidationError:
    """``error`` with pydantic's own messages in the language in force (type, place, input and ctx kept).
    A value that fits none of a union's types is one error naming them (in English the loader merges
    pydantic's messages, which it reads in English)."""
    found = error.errors()
    alternatives: dict[tuple[Any, ...], list[str]] = {}
    for item in found:
        if item["type"] in WANTED_TYPES:
            alternatives.setdefault(_place(item["loc"]), []).append(_(WANTED_TYPES[item["type"]]))
    said: set[tuple[Any, ...]] = set()
    items: list[Any] = []
    for item in found:
        ctx = item.get("ctx")
        message = pydantic_message(item)
        wanted = alternatives.get(_place(item["loc"]), []) if item["type"] in WANTED_TYPES else []
        if len(wanted) > 1:
            if _place(item["loc"]) in said:
                continue
            said.add(_place(item["loc"]))
            message = _("this value has the wrong type: expected one of {kinds}",
                        kinds=", ".join(dict.fromkeys(wanted)))
        if message == item["msg"] and item["type"] in ("value_error", "assertion_error"):
            items.append({"type": item["type"], "loc": item["loc"], "input": item["input"], "ctx": ctx})
        else:
            custom = PydanticCustomError(item["type"], message, ctx)
            items.append({"type": custom, "loc": item["loc"], "input": item["input"]})
    return ValidationError.from_exception_data(error.title, items)


class _InLanguage(BaseModel):
    """A file read whole: pydantic's own messages about it come in the language in force."""

    @model_validator(mode="wrap")
    @classmethod
    def _messages_in_language(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        try:
            return handler(value)
        except ValidationError as error:
            if language() == "en":
                raise
            raise _in_language(error) from None


class _NumberParameter:
    """Marks a parameter that is a number or an expression computed per customer."""


NUMBER_PARAMETER = _NumberParameter()
#: A number parameter: a literal, a constant's name or an expression (checked by the resolver).
Amount = Annotated[str | bool | int | float | None, NUMBER_PARAMETER,
                   Field(description="a number, a constant or an expression, e.g. round(arpu * 0.1)")]


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


#: A text parameter, taken as written (a number written there becomes its text).
Text = Annotated[str, BeforeValidator(_as_text, json_schema_input_type=str | int | float)]


#: An amount of money in yuan, kept as written (an integer stays one).
Money = Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0)]


class _Shorthand(_Part):
    """A part whose main parameter may be written alone: ``award: 100`` is ``award: {points: 100}``.
    It is written back (and fingerprinted) the way it was written."""

    primary: ClassVar[str]
    _short: bool = PrivateAttr(False)

    @property
    def written_alone(self) -> bool:
        """True when the main parameter was written alone."""
        return self._short

    @model_validator(mode="wrap")
    @classmethod
    def _expand(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if value is None or isinstance(value, (dict, cls)):
            return handler(value)
        model = handler({cls.primary: value})
        model._short = True
        return model

    @model_serializer(mode="plain")
    def _as_written(self) -> Any:
        written = {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set}
        return written[self.primary] if self._short else written

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        own = handler.resolve_ref_schema(schema)
        return {"anyOf": [own["properties"][cls.primary], schema]}


T = TypeVar("T")


class OneOrList(RootModel[list[T]], Generic[T]):
    """One value or a list of them, read as the list and written back as it was written."""

    model_config = ConfigDict(frozen=True)
    _single: bool = PrivateAttr(False)

    @model_validator(mode="wrap")
    @classmethod
    def _listed(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if isinstance(value, (list, OneOrList)):
            return handler(value)
        model = handler([value])
        model._single = True
        return model

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        return data[0] if self._single and isinstance(data, list) and data else data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        return {"anyOf": [schema["items"], schema]}

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)


# -- offers: requirements and rewards (SPEC section 3, offers) -----------------------------------
class _Term(_Part):
    """A requirement or a reward, written ``kind: value``. The value maps the kind's parameters (the
    fields below ``kind``), or is the first parameter alone where ``shorthand`` allows it."""

    kind: str
    shorthand: ClassVar[bool] = True
    _short: bool = PrivateAttr(False)

    @classmethod
    def kind_name(cls) -> str:
        return str(cls.model_fields["kind"].default)

    @classmethod
    def params(cls) -> list[str]:
        return [name for name in cls.model_fields if name != "kind"]

    @classmethod
    def is_number(cls, name: str) -> bool:
        return NUMBER_PARAMETER in cls.model_fields[name].metadata

    def written(self) -> Iterator[tuple[str, Any]]:
        """The parameters written in the file, with their values, in the order of the fields."""
        return ((name, getattr(self, name)) for name in self.params() if name in self.model_fields_set)

    @model_validator(mode="wrap")
    @classmethod
    def _read(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if isinstance(value, cls):
            return value
        kind = cls.kind_name()
        if not isinstance(value, dict) or list(value) != [kind]:
            raise shape_error("MR010", _("a {kind} is written {kind}: ...", kind=kind))
        written = value[kind]
        model = handler({"kind": kind, **cls._params(kind, written)})
        model._short = not isinstance(written, dict)
        return model

    @classmethod
    def _params(cls, kind: str, written: Any) -> dict[str, Any]:
        names = cls.params()
        if not isinstance(written, dict):
            if not cls.shorthand:
                example = f"{kind}: {{{', '.join(f'{p}: ...' for p in names)}}}"
                raise shape_error("MR010", _("'{kind}' needs {names}", kind=kind, names=", ".join(names)),
                                  _("write {example}", example=example))
            return {names[0]: written}
        for name in written:
            if name not in names:
                raise shape_error("MR010", _("'{kind}' has no parameter '{name}'", kind=kind, name=name),
                                  did_you_mean(str(name), names)
                                  or _("its parameters are {names}", names=", ".join(names)),
                                  at=(name,), key=True)
        for name in names:
            if cls.model_fields[name].is_required() and name not in written:
                raise shape_error("MR010", _("'{kind}' needs '{name}'", kind=kind, name=name))
        return written

    @model_serializer(mode="plain")
    def _as_written(self) -> dict[str, Any]:
        params = dict(self.written())
        return {self.kind: params[self.params()[0]] if self._short else params}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        own = handler.resolve_ref_schema(schema)
        params = {name: part for name, part in own["properties"].items() if name != "kind"}
        required = [name for name in own.get("required", ()) if name != "kind"]
        full: dict[str, Any] = {"type": "object", "properties": params, "additionalProperties": False}
        if required:
            full["required"] = required
        value = {"anyOf": [params[cls.params()[0]], full]} if cls.shorthand else full
        kind = cls.kind_name()
        own.clear()
        own.update({"type": "object", "title": kind, "description": " ".join((cls.__doc__ or "").split()),
                    "properties": {kind: value}, "required": [kind], "additionalProperties": False})
        return schema


class Prestore(_Term):
    """Prestore an amount in yuan (预存): ``prestore: 300``."""

    kind: Literal["prestore"] = "prestore"
    amount: Amount


class Guarantee(_Term):
    """A guaranteed minimum monthly spend for a number of months (保底消费)."""

    kind: Literal["guarantee"] = "guarantee"
    shorthand: ClassVar[bool] = False
    monthly: Amount
    months: Amount


class Upgrade(_Term):
    """Move to a higher package of ``packages`` (套餐升级); only an upgrade above the customer's fee."""

    kind: Literal["upgrade"] = "upgrade"
    to: Text = Field(description="a package id")


class Tenure(_Term):
    """Stay in network a number of months (在网X月): ``tenure: 12``."""

    kind: Literal["tenure"] = "tenure"
    months: Amount


class Business(_Term):
    """Handle a named business (办理业务): ``business: VPN``."""

    kind: Literal["business"] = "business"
    name: Text


class _Reward(_Term):
    """A reward; ``cost`` says what it costs the operator (yuan) where it has no money face value."""

    cost: Money | None = Field(None, description="what one reward costs the operator in yuan (campaign budgets)")

    @classmethod
    def params(cls) -> list[str]:
        names = super().params()
        return [name for name in names if name != "cost"] + ["cost"]


class BillCredit(_Reward):
    """A bill credit in yuan, optionally spread over months: ``bill_credit: 50``."""

    kind: Literal["bill_credit"] = "bill_credit"
    amount: Amount
    months: Amount = None


class VoiceMinutes(_Reward):
    """Voice minutes, optionally per month for some months: ``voice_minutes: 100``."""

    kind: Literal["voice_minutes"] = "voice_minutes"
    amount: Amount
    months: Amount = None


class DataMb(_Reward):
    """Data in MB, optionally per month for some months: ``data_mb: 1024``."""

    kind: Literal["data_mb"] = "data_mb"
    amount: Amount
    months: Amount = None


class Goods(_Reward):
    """Goods, with their value in yuan: ``goods: 保温杯``."""

    kind: Literal["goods"] = "goods"
    name: Text
    value: Amount = None


class Voucher(_Reward):
    """A voucher of an amount, optionally at a merchant: ``voucher: 20``."""

    kind: Literal["voucher"] = "voucher"
    amount: Amount
    merchant: Text | None = None


class PointsReward(_Reward):
    """Points shown with the offer (not added to the decision's points): ``points: 500``."""

    kind: Literal["points"] = "points"
    amount: Amount


class Handset(_Reward):
    """A handset model, with its subsidy in yuan: ``handset: X1``."""

    kind: Literal["handset"] = "handset"
    model: Text
    subsidy: Amount = None


class Vas(_Reward):
    """A value-added service, optionally for some months: ``vas: 彩铃``."""

    kind: Literal["vas"] = "vas"
    name: Text
    months: Amount = None


class ServiceReward(_Reward):
    """A service of ``services``, optionally for some months: ``service: lecture-hall``."""

    kind: Literal["service"] = "service"
    service: Text = Field(description="a service id")
    months: Amount = None


def _term_kind(value: Any) -> str | None:
    if isinstance(value, _Term):
        return value.kind
    return str(next(iter(value))) if isinstance(value, dict) and len(value) == 1 else None


#: The messages about a requirement or a reward that is not one known ``kind: value`` pair: (not one
#: pair, its kinds, unknown kind), one whole sentence each so that each language orders its words.
_PAIR_MESSAGES: dict[str, tuple[str, str, str]] = {
    "requirement": (N_("a requirement is one 'kind: value' pair"), N_("the requirement kinds are {kinds}"),
                    N_("unknown requirement kind '{kind}'")),
    "reward": (N_("a reward is one 'kind: value' pair"), N_("the reward kinds are {kinds}"),
               N_("unknown reward kind '{kind}'")),
}


def _one_pair(what: str, members: tuple[type[_Term], ...]) -> BeforeValidator:
    kinds = [member.kind_name() for member in members]
    not_a_pair, kinds_are, unknown = _PAIR_MESSAGES[what]

    def check(value: Any) -> Any:
        if isinstance(value, _Term):
            return value
        listed = ", ".join(kinds)
        if not isinstance(value, dict) or len(value) != 1:
            raise shape_error("MR010", _(not_a_pair), _(kinds_are, kinds=listed))
        kind = next(iter(value))
        if kind not in kinds:
            raise shape_error("MR011", _(unknown, kind=kind),
                              did_you_mean(str(kind), kinds) or _(kinds_are, kinds=listed),
                              at=(kind,), key=True)
        return value

    return BeforeValidator(check)


REQUIREMENTS: tuple[type[_Term], ...] = (Prestore, Guarantee, Upgrade, Tenure, Business)
REWARDS: tuple[type[_Term], ...] = (BillCredit, VoiceMinutes, DataMb, Goods, Voucher, PointsReward, Handset, Vas,
                                    ServiceReward)
Requirement = TypeAliasType("Requirement", Annotated[
    Annotated[Prestore, Tag("prestore")] | Annotated[Guarantee, Tag("guarantee")]
    | Annotated[Upgrade, Tag("upgrade")] | Annotated[Tenure, Tag("tenure")] | Annotated[Business, Tag("business")],
    Discriminator(_term_kind), _one_pair("requirement", REQUIREMENTS),
])
Reward = TypeAliasType("Reward", Annotated[
    Annotated[BillCredit, Tag("bill_credit")] | Annotated[VoiceMinutes, Tag("voice_minutes")]
    | Annotated[DataMb, Tag("data_mb")] | Annotated[Goods, Tag("goods")] | Annotated[Voucher, Tag("voucher")]
    | Annotated[PointsReward, Tag("points")] | Annotated[Handset, Tag("handset")] | Annotated[Vas, Tag("vas")]
    | Annotated[ServiceReward, Tag("service")],
    Discriminator(_term_kind), _one_pair("reward", REWARDS),
])


# -- campaigns (the marketing loop, docs/campaigns.md) -------------------------------------------
def _share(value: Any) -> Any:
    """A share written ``5%`` or ``0.05``, as a number in [0, 1)."""
    number: Any = value
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1]) / 100
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number < 1:
        raise shape_error("MR701", _("hold-out {value} is not a share between 0 and 100%", value=repr(value)),
                          _("write a percentage such as 5% or a fraction such as 0.05"))
    return float(number)


#: A share of the customers: ``5%`` or ``0.05``.
Share = Annotated[float, BeforeValidator(_share, json_schema_input_type=str | float)]


class Budget(_Part):
    """At most ``takers`` customers contacted, or at most ``cost`` yuan of rewards given."""

    takers: int | None = Field(None, ge=0, description="the most customers contacted")
    cost: Money | None = Field(None, description="the most reward cost in yuan, summed over the contacted")


class LockIn(_Part):
    """A running commitment (prestore, guarantee) blocks new commitments for ``months``."""

    months: int = Field(12, ge=1, description="how long an uptake of a commitment offer blocks another")
    when: str | None = Field(None, description="a condition on the facts: the customer is under a commitment now")


class CampaignDecl(_Part):
    """How a campaign built on this ruleset chooses whom to contact (a layer after deciding)."""

    holdout: Share | None = Field(None, description="the share of eligible customers held out, 5% or 0.05")
    budget: Budget | None = None
    score: str | int | float | None = Field(None, description="an expression: who comes first under a budget")
    lock_in: LockIn | None = Field(None, description="the year-long lock-in of prestore and guarantee offers")
    channel: Literal["outbound_call", "sms", "business_hall", "social"] = Field(
        "sms", description="the channel recommendations go out on")


class Offer(_Part):
    """An offer the customer becomes eligible for; its id, title and group are those of its rule."""

    title: str | None = Field(None, description="a title of its own, instead of the rule's")
    code: str | int | None = Field(None, description="the catalogue code, e.g. 1-1-3-1")
    mode: OfferMode | None = None
    type: OfferType | None = None
    requires: list[Requirement] = Field(default_factory=list, description="participation requirements (参与要求)")
    rewards: list[Reward] = Field(default_factory=list, description="rewards (回馈内容)")
    holdout: Share | None = Field(None, description="campaigns: the share of eligible customers held out, 5% or 0.05")
    budget: Budget | None = Field(None, description="campaigns: at most this many takers or this total reward cost")
    stacking: Literal["stackable", "exclusive"] | None = Field(
        None, description="campaigns: exclusive offers go to no one holding another campaign's offer, and back")

    @field_validator("requires", "rewards", mode="before")
    @classmethod
    def _a_list(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            raise shape_error("MR010", _("requires takes a list of requirements") if info.field_name == "requires"
                              else _("rewards takes a list of rewards"))
        return value


# -- grants, awards and the access matrix --------------------------------------------------------
class GrantSpec(_Shorthand):
    """A service granted to the customer: its id alone (mode free), or with a mode and terms that
    replace the service's own."""

    primary: ClassVar[str] = "service"
    service: str = Field(description="a service id")
    mode: AccessMode = "free"
    price: Money | None = Field(None, description="the price in yuan under the paid mode")
    prestore: Money | None = Field(None, description="the prestore in yuan under the prestore mode")
    trial_days: int | None = Field(None, ge=1, description="the length of a free trial")

    def terms(self) -> dict[str, float | int | None]:
        """The terms written in the grant."""
        return {k: getattr(self, k) for k in ("price", "prestore", "trial_days") if k in self.model_fields_set}


class Award(_Shorthand):
    """Points awarded: a number or an expression, alone or as ``{points: ...}``."""

    primary: ClassVar[str] = "points"
    points: Amount


class Grants(OneOrList[GrantSpec]):
    """Services granted: one grant or a list of them."""


def _access_mode(value: Any) -> Any:
    if value not in ACCESS_MODES:
        raise shape_error("MR207", _("unknown mode '{mode}'", mode=value),
                          did_you_mean(str(value), ACCESS_MODES)
                          or _("the modes are {modes}", modes=", ".join(ACCESS_MODES)))
    return value


class ClassModes(OneOrList[Annotated[AccessMode, BeforeValidator(_access_mode)]]):
    """The modes of one service class: one mode or a list of them."""


class AccessRow(_Part):
    """For one value of the ``by`` fact: the modes under which each service class is available."""

    restricted: ClassModes | None = None
    semi_open: ClassModes | None = Field(None, alias="semi-open")
    open: ClassModes | None = None

    @model_validator(mode="before")
    @classmethod
    def _classes(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise shape_error("MR207", _("each value maps service classes to modes"),
                              _("write {example}", example="gold: {restricted: free, open: free}"))
        for key in value:
            if key not in SERVICE_CLASSES:
                raise shape_error("MR207", _("unknown service class '{name}'", name=key),
                                  did_you_mean(str(key), SERVICE_CLASSES)
                                  or _("the classes are {classes}", classes=", ".join(SERVICE_CLASSES)),
                                  at=(key,), key=True)
        return value

    def modes(self) -> dict[str, tuple[str, ...]]:
        """Service class -> its modes, for the classes this row lists."""
        return {service_class: tuple(modes) for service_class, modes in
                (("restricted", self.restricted), ("semi-open", self.semi_open), ("open", self.open))
                if modes is not None}


class Access(_Part):
    """The access matrix: ``by`` names a fact; every other key is a value of it, with its row."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)
    __pydantic_extra__: dict[str, AccessRow] = Field(init=False)

    by: str | None = Field(None, description="the fact whose values key the matrix, e.g. tier")

    @model_validator(mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    def rows(self) -> dict[str, AccessRow]:
        """Value of ``by`` -> its row, in the order written."""
        return dict(self.__pydantic_extra__ or {})


class Table(_Part):
    """A decision table; sugar for rules, with a DMN hit policy."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    hit: Literal["first", "unique", "priority", "collect"] = Field(
        "first", description="first: the first matching row; unique: at most one row may match; "
        "priority: the matching row whose output comes first in the output fact's values; collect: every match")
    aggregate: Literal["sum", "min", "max", "count"] | None = Field(None, description="with hit: collect")
    priority: int = 0
    inputs: list[str] = Field(min_length=1, description="expressions whose values the input cells test")
    outputs: list[str] = Field(min_length=1, description="the facts the table sets")
    rows: list[list[Scalar | list[Scalar]]] = Field(min_length=1, description="input cells then output cells")

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs_as_text(cls, value: Any) -> Any:
        return [str(v) if isinstance(v, (int, float)) else v for v in value] if isinstance(value, list) else value


class Then(_Part):
    """The effects of a rule that fires."""

    set: dict[str, Scalar | list[Scalar]] | None = Field(None, description="derived facts: fact -> expression")
    tag: str | list[str] | None = Field(None, description="tags given to the customer")
    offer: Offer | None = Field(None, description="an offer the customer becomes eligible for")
    grant: Grants | None = Field(None, description="services granted: one or a list")
    award: Award | None = Field(None, description="points awarded; the decision's points is their sum")


class Rule(_Part):
    """A rule: when its condition is true it fires, once, and its effects apply."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    description: str = ""
    priority: int = Field(0, description="higher fires first among rules that are ready; ties keep file order")
    group: str | None = Field(None, description="at most one rule of a group fires per customer")
    when: Condition = Field(True, description="an expression, or a tree of all:/any:/not:")
    then: Then


class Service(_Part):
    """A club service of one of the three classes."""

    class_: ServiceClass = Field(alias="class")
    title: str = ""
    price: float | None = Field(None, ge=0, description="price in yuan under the paid mode")
    prestore: float | None = Field(None, ge=0, description="prestore in yuan under the prestore mode")
    trial_days: int | None = Field(None, ge=1, description="length of a free trial")


def _code_keys(values: Any) -> Any:
    return {str(k): v for k, v in values.items()} if isinstance(values, dict) else values


class CodePart(_Part):
    """One dash-separated part of a catalogue code: its name and what each of its values means."""

    name: str
    values: Annotated[dict[str, str], BeforeValidator(_code_keys)] = Field(
        min_length=1, description="value -> meaning; a code's part must be one of these")


class CodeScheme(_Part):
    """How catalogue codes are written: parts in order, then a serial number if ``serial``."""

    parts: list[CodePart] = Field(min_length=1)
    serial: bool = Field(False, description="a serial number of digits may follow the parts")


class Coverage(_Part):
    """Every customer matching ``among`` must receive at least one offer."""

    offers: bool = True
    among: str | None = Field(None, description="a condition: the customers the coverage check is about")


class Monotonic(_Part):
    """Along ``order`` (lowest first), a higher value never loses a service or mode a lower one has."""

    fact: str
    order: list[str] = Field(min_length=2)
    over: Literal["access"] = "access"


class Checks(_Part):
    """Consistency requirements that ``marketing-rules check`` proves or refutes with a witness."""

    coverage: Coverage | None = None
    exclusive: list[str] = Field(default_factory=list, description="groups whose offers must not overlap")
    monotonic: Monotonic | None = None


# -- events (SPEC section 7) ---------------------------------------------------------------------
class Attribute(_Part):
    """An attribute of an event type, beside its ``type`` and ``at``."""

    type: Literal["integer", "number", "string", "boolean", "enum"]
    values: list[str] | None = Field(None, description="the allowed values of an enum")
    ge: float | None = Field(None, description="smallest allowed value")
    le: float | None = Field(None, description="largest allowed value")
    required: bool = Field(False, description="an event without this attribute is rejected")
    title: str = ""


class EventType(_Part):
    """An event type the ruleset reads: its attributes, typed, for conditions over events."""

    title: str = ""
    attributes: dict[str, Attribute] = Field(default_factory=dict)


class PointsState(_Part):
    """A state a customer reaches at an event and keeps (a senior member after converting)."""

    event: str = Field(description="the event type that reaches the state")
    when: Condition = Field(True, description="a condition over the event and the customer")
    title: str = ""


class Cap(_Part):
    """At most ``points`` from one earning rule per calendar ``period`` (by the events' ``at``)."""

    points: float = Field(gt=0)
    period: Literal["day", "week", "month", "year"]


class PointsRule(_Part):
    """An earning rule: events of one type that meet ``when`` earn ``points`` (times the multipliers)."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    event: str = Field(description="the event type that earns")
    when: Condition = Field(True, description="a condition over the event's attributes and the customer")
    points: int | float | str = Field(description="base points: a number or an expression")
    per: str | None = Field(None, description="an attribute: skip, once and cap count per value of it")
    once: bool = Field(False, description="earn at most once (per value of `per`)")
    skip: int = Field(0, ge=0, description="the first N matching events earn nothing")
    cap: Cap | None = None
    state: str | None = Field(None, description="only events after the customer reached this state count")
    until: str | None = Field(None, description="only events before the customer reached this state count")
    credit: str | None = Field(None, description="an event type: the points stay pending until the next one")


class Multiplier(_Part):
    """A factor on earned points; the factors of every multiplier that applies are multiplied."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    events: list[str] | None = Field(None, description="the event types it applies to (default: all)")
    state: str | None = Field(None, description="applies only once the customer reached this state")
    when: Condition = Field(True, description="a condition over the customer (and the attributes its events share)")
    factor: float = Field(gt=0)


class Points(_Part):
    """Points (the club's gold coins) accrued from a customer's events."""

    title: str = ""
    unit: str = Field("points", description="what the points are called in statements, e.g. coins")
    states: dict[str, PointsState] = Field(default_factory=dict)
    rules: list[PointsRule] = Field(min_length=1)
    multipliers: list[Multiplier] = Field(default_factory=list)


class FollowedBy(_Part):
    """The second event of a trigger: it must come (followed_by) or not come (not_followed_by) in time."""

    event: str
    within: str | int = Field(description="a window after the first event: '30 days', '12 hours' (a number: days)")
    when: Condition = Field(True, description="a condition over this event, the names bound from the first, the customer")


class Recommend(_Part):
    """What a trigger recommends: an offer of the ruleset, on a channel."""

    offer: str = Field(description="the id of a rule of this file that makes an offer")
    channel: Literal["outbound_call", "sms", "business_hall", "social"]


class Trigger(_Part):
    """An event-triggered offer: one event, two in sequence, or one event not followed by another."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    description: str = ""
    event: str = Field(description="the (first) event type")
    when: Condition = Field(True, description="a condition over the event and the customer")
    bind: dict[str, str] = Field(default_factory=dict,
                                 description="name -> attribute of the first event, for the second's condition")
    followed_by: FollowedBy | None = None
    not_followed_by: FollowedBy | None = None
    recommend: Recommend


class Definitions(_Part):
    """What several rulesets share, defined once: constants, packages, services, tags, codes."""

    constants: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    packages: dict[str, Package] = Field(default_factory=dict)
    services: dict[str, Service] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict, description="tag -> what it means")
    codes: CodeScheme | None = Field(None, description="how the offers' catalogue codes are written")


#: The parts of a rule file that an included definitions file may also define.
SHARED_PARTS: tuple[str, ...] = tuple(Definitions.model_fields)


class DefinitionsFile(Definitions, _InLanguage):
    """A definitions file (``*.defs.yaml``) that rule files include by reference."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True,
                              title="marketing_rules definitions file")

    definitions: str = Field(pattern=ID_PATTERN, description="id: lowercase letters, digits, dashes")
    title: str = ""
    description: str = ""


class RulesetFile(_Part, _InLanguage):
    """One version of a ruleset: ``rulesets/<ruleset>/<version>.yaml``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True,
                              title="marketing_rules rule file")

    ruleset: str = Field(pattern=ID_PATTERN, description="id: lowercase letters, digits, dashes")
    version: str = Field(pattern=VERSION_PATTERN, description="MAJOR.MINOR.PATCH")
    effective: Effective | None = None
    title: str = ""
    description: str = ""
    schema_: str = Field("telecom-customer", alias="schema", description="built-in fact schema")
    include: list[str] = Field(default_factory=list,
                               description="definitions files (*.defs.yaml), paths relative to this file")
    inputs: dict[str, FactDecl] = Field(default_factory=dict, description="input facts added to the schema")
    facts: dict[str, FactDecl] = Field(default_factory=dict, description="facts this ruleset derives")
    constants: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    packages: dict[str, Package] = Field(default_factory=dict)
    tables: list[Table] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    services: dict[str, Service] = Field(default_factory=dict)
    access: Access | None = Field(None, description="by: a fact; then per value, class -> modes")
    checks: Checks | None = Field(None, description="consistency requirements (marketing-rules check)")
    events: dict[str, EventType] = Field(default_factory=dict, description="event types, with typed attributes")
    points: Points | None = Field(None, description="points accrued from events (gold coins)")
    triggers: list[Trigger] = Field(default_factory=list, description="event-triggered offers")
    tags: dict[str, str] = Field(default_factory=dict, description="tag -> what it means")
    codes: CodeScheme | None = Field(None, description="how the offers' catalogue codes are written")
    campaign: CampaignDecl | None = Field(None, description="campaigns: hold-out, budget, score, lock-in")

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(_("version {value} was read as a number; write MAJOR.MINOR.PATCH, e.g. '{value}.0'",
                               value=value))
        return value
