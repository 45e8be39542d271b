"""Event time: an event's ``at`` as a datetime and as integer microseconds, and calendar periods.

Windows and deadlines compare the events' own timestamps, never the wall clock, so that replaying
a history gives exactly what live posting gave. A timestamp with a zone is converted to UTC; one
without a zone is taken as written (use one convention per stream). Integer microseconds are
exact both in Python and in durable_rules (they stay below 2**53 until the year 2255).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marketing_rules.errors import EventError
from marketing_rules.i18n import _

EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)


def timestamp(value: Any) -> tuple[dt.datetime, int]:
    """``at`` as a naive datetime and as microseconds since 1970; raises :class:`EventError`."""
    if value.__class__ is str:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise EventError([{"field": "at", "value": value, "message": _("is not an ISO timestamp")}]) from None
    elif isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        message = _("is required") if value is None else _("is not an ISO timestamp")
        raise EventError([{"field": "at", "value": value, "message": message}])
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment, (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)


def period_key(moment: dt.datetime, period: str) -> tuple[int, ...]:
    """The calendar period holding ``moment``: day, ISO week, month or year."""
    if period == "day":
        return (moment.year, moment.month, moment.day)
    if period == "week":
        year, week, _day = moment.isocalendar()
        return (year, week)
    if period == "month":
        return (moment.year, moment.month)
    return (moment.year,)
