"""Testing rulesets: hypothesis strategies, ready-made properties, and scenario files.

>>> from hypothesis import given
>>> from marketing_rules.testing import customers, properties
>>> @given(customers(rs))                                         # doctest: +SKIP
... def test_groups(customer): properties.groups_respected(rs, customer)
"""

from marketing_rules.testing import properties
from marketing_rules.testing.scenarios import ScenarioReport, ScenarioResult, check, read_scenarios, run
from marketing_rules.testing.strategies import customers

__all__ = ["ScenarioReport", "ScenarioResult", "check", "customers", "properties", "read_scenarios", "run"]
