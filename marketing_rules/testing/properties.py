"""Ready-made properties of a ruleset, to call from a hypothesis test.

Each takes the ruleset and one customer (or a list, for ``backends_agree``) and raises
AssertionError with the customer and what went wrong.

>>> @given(customers(rs))                        # doctest: +SKIP
... def test_ruleset(customer):
...     properties.deterministic(rs, customer)
...     properties.groups_respected(rs, customer)
...     properties.explain_agrees(rs, customer)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from marketing_rules.expressions.evaluate import truth_of

if TYPE_CHECKING:
    from marketing_rules.engine.ruleset import Ruleset


def deterministic(ruleset: Ruleset, customer: dict[str, Any]) -> None:
    """The same customer, decided twice, gets the same decision."""
    first, second = ruleset.evaluate(customer).as_dict(), ruleset.evaluate(dict(customer)).as_dict()
    assert first == second, f"two evaluations of {customer} differ:\n{first}\n{second}"


def groups_respected(ruleset: Ruleset, customer: dict[str, Any]) -> None:
    """No customer receives two offers of one group."""
    groups = [o.group for o in ruleset.evaluate(customer).offers if o.group]
    repeated = sorted({g for g in groups if groups.count(g) > 1})
    assert not repeated, f"{customer} receives several offers of group {', '.join(repeated)}"


def coverage(ruleset: Ruleset, customer: dict[str, Any]) -> None:
    """A customer the coverage check is about receives at least one offer."""
    checks = ruleset.program.checks
    if checks is None or not checks.coverage:
        return
    decision = ruleset.evaluate(customer)
    if checks.coverage_among is not None and truth_of(checks.coverage_among.node, decision.facts) is not True:
        return
    assert decision.offers, f"{customer} receives no offer ({checks.coverage_among.text if checks.coverage_among else 'every customer'})"


def monotonic_access(ruleset: Ruleset, customer: dict[str, Any]) -> None:
    """The customer has every service and mode that any value below theirs has (free covers every mode)."""
    checks, access = ruleset.program.checks, ruleset.program.access
    if checks is None or checks.monotonic_fact is None or access is None:
        return
    decision = ruleset.evaluate(customer)
    value = decision.facts.get(checks.monotonic_fact)
    if value not in checks.monotonic_order:
        return
    for lower in checks.monotonic_order[: checks.monotonic_order.index(value)]:
        for service, below in access.table.get(lower, {}).items():
            mine = decision.access.get(service)
            modes = set(mine.modes) if mine else set()
            missing = [] if "free" in modes else [m for m in below.modes if m not in modes]
            assert not missing, f"{customer} ({checks.monotonic_fact}={value}) lacks {service} {missing}, which {lower} has"


def explain_agrees(ruleset: Ruleset, customer: dict[str, Any]) -> None:
    """For every offer, explain says eligible exactly when evaluate offers it."""
    offered = {o.id for o in ruleset.evaluate(customer).offers}
    for rule in ruleset.program.rules:
        if rule.offer is not None:
            eligible = ruleset.explain(customer, rule.id).eligible
            assert eligible == (rule.id in offered), f"explain and evaluate disagree on {rule.id} for {customer}"


def backends_agree(ruleset: Ruleset, customers: Sequence[dict[str, Any]], backends: Sequence[str] = ("native", "duckdb")) -> None:
    """Every backend decides every customer as the per-customer engine does, row for row."""
    import pyarrow as pa  # the batch extra; the backends take tables, not lists of dicts

    table = pa.Table.from_pylist([dict(c) for c in customers])
    results = {backend: _rows(ruleset.evaluate_batch(table, backend=backend).table) for backend in backends}
    reference = results[backends[0]]
    for backend in backends[1:]:
        for expected, got in zip(reference, results[backend], strict=True):
            assert expected == got, f"{backend} differs from {backends[0]}:\n{expected}\n{got}"


def _rows(table: Any) -> list[dict[str, Any]]:
    rows = table.to_pylist() if hasattr(table, "to_pylist") else [r.asDict(recursive=True) for r in table.collect()]
    for row in rows:
        if isinstance(row.get("access"), list):  # an Arrow map arrives as (key, value) pairs
            row["access"] = dict(row["access"])
    return sorted(rows, key=lambda r: str(r.get("id")))
