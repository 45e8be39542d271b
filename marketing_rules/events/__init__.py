"""Events (SPEC section 7): points accrued from a customer's events, and event-triggered offers.

``rs.accrue(customer, events)`` returns a :class:`Statement`; ``Stream(rs)`` takes events as they
come and returns :class:`Recommendation` objects. See docs/events.md.
"""

from marketing_rules.events.points import Line, Statement
from marketing_rules.events.reader import Event
from marketing_rules.events.stream import Recommendation, Stream

__all__ = ["Event", "Line", "Recommendation", "Statement", "Stream"]
