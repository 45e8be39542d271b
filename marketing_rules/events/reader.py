"""Events read and checked against their declared types (the ``events:`` part of a rule file).

An event is a mapping with ``type``, ``at`` and attributes of its own. Declared attributes are
validated and converted like customer facts (pydantic, one adapter per event type); attributes
that are not declared are ignored, so events from a bus may carry more than the rules read. An
event of a type the ruleset does not declare is read with no attributes: nothing matches it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, NamedTuple, Required, get_args

from pydantic import AfterValidator, BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from marketing_rules.analysis.program import EventSpec
from marketing_rules.errors import EventError
from marketing_rules.events.clock import timestamp
from marketing_rules.i18n import _
from marketing_rules.model.schema import _annotation, _fact_error


class Event(NamedTuple):
    """One event, checked: its type, its time (datetime and microseconds) and its attributes."""

    type: str
    at: dt.datetime
    micros: int
    attributes: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The event as plain data: type, at (ISO text) and the attributes that are not null."""
        return {"type": self.type, "at": self.at.isoformat(), **self.attributes}


class EventReader:
    """Reads raw events for one ruleset: ``reader.read(raw) -> Event``; raises :class:`EventError`."""

    def __init__(self, events: Mapping[str, EventSpec]):
        self._validate = {name: _adapter(spec).validator.validate_python if spec.attributes else None
                          for name, spec in events.items()}

    def read(self, raw: Mapping[str, Any] | BaseModel) -> Event:
        if raw.__class__ is not dict:
            if isinstance(raw, BaseModel):
                raw = raw.model_dump()
            if not isinstance(raw, Mapping):
                raise EventError([{"field": "(event)", "value": raw,
                                   "message": _("an event is a mapping with type and at")}])
        kind = raw.get("type")
        if kind.__class__ is not str or not kind:
            raise EventError([{"field": "type", "value": kind, "message": _("is required (a text)")}])
        at, micros = timestamp(raw.get("at"))
        validate = self._validate.get(kind)
        if validate is None:
            return _new(Event, (kind, at, micros, _EMPTY))
        try:
            attributes = validate(raw)
        except ValidationError as error:
            raise EventError([_attribute_error(e, kind) for e in error.errors()]) from None
        if None in attributes.values():
            attributes = {k: v for k, v in attributes.items() if v is not None}
        return _new(Event, (kind, at, micros, attributes))  # Event(...) without its Python __new__


_EMPTY: Mapping[str, Any] = {}
_new = tuple.__new__


@cache
def _adapter(spec: EventSpec) -> TypeAdapter[dict[str, Any]]:
    """A validator of an event type's attributes: declared types and ranges, required ones present."""
    annotations: dict[str, Any] = {}
    for attribute in spec.attributes:
        optional = _annotation(attribute)  # NotRequired[Annotated[..., PlainValidator(read), ...]]
        if attribute.name in spec.required:
            (inner,) = get_args(optional)
            annotations[attribute.name] = Required[Annotated[inner, AfterValidator(_present)]]
        else:
            annotations[attribute.name] = optional
    return TypeAdapter(TypedDict(f"Event_{spec.name}", annotations))  # type: ignore[operator]


def _present(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("missing", _("is required"))
    return value


def _attribute_error(error: Mapping[str, Any], kind: str) -> dict[str, Any]:
    found = _fact_error(error)
    if error.get("type") == "missing" or (found["value"] is None and error.get("type", "").endswith("_type")):
        found["message"] = _("is required in a {event} event", event=kind)
    return found
