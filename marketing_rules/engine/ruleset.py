"""A loaded ruleset: the public object developers hold (SPEC section 5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from marketing_rules.analysis.program import Grant, OfferSpec, Program, ServiceAccess, Term
from marketing_rules.analysis.resolve import Resolver
from marketing_rules.backends.python import compile_program
from marketing_rules.engine.decision import EMPTY_ACCESS, AccessData, Decision, Offer, ReadOnlyDict, with_grants
from marketing_rules.errors import DiagnosticSink
from marketing_rules.i18n import messages_in
from marketing_rules.load.includes import include_definitions
from marketing_rules.load.rule_file import read_rule_file, read_text
from marketing_rules.model.ruleset import Effective, RulesetFile

if TYPE_CHECKING:
    from marketing_rules.analysis.consistency import Report
    from marketing_rules.batch import BatchResult
    from marketing_rules.engine.explain import Explanation
    from marketing_rules.engine.whatif import WhatItTakes
    from marketing_rules.events.points import Statement


class Ruleset:
    """One version of a ruleset, compiled and ready to evaluate customers.

    >>> import marketing_rules as mr
    >>> rs = mr.load_ruleset("rulesets/gotone-vip/1.0.0.yaml")          # doctest: +SKIP
    >>> rs.evaluate({"id": "1", "arpu_3m": 260.0, "card": "gold"}).facts["tier"]   # doctest: +SKIP
    'gold'
    """

    def __init__(self, program: Program, file: RulesetFile, *, path: str | None = None):
        self.program = program
        self.file = file
        self.path = path
        self.id = program.ruleset
        self.version = program.version
        self.title = file.title
        self.effective: Effective | None = file.effective
        self.fingerprint = fingerprint(file)
        self._decide = compile_program(program, _build_offer)
        self.source = self._decide.source
        rules = program.rules
        self._tags: dict[str, tuple[str, ...]] = {r.id: r.tags for r in rules if r.tags}
        self._grants: dict[str, tuple[Grant, ...]] = {r.id: r.grants for r in rules if r.grants}
        self._derived_names = frozenset(program.derived)
        self._validate = program.schema.validate
        self._access_data = AccessData(program)
        # the generated evaluate: what the method below does, in one function (the common case inline)
        self.evaluate = self._decide.make_evaluate(self, Decision, self.validate)  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return f"<Ruleset {self.id} {self.version} ({len(self.program.units)} rules and tables)>"

    def in_force(self, day: dt.date) -> bool:
        """Whether the version's effective window holds ``day`` (no window: always)."""
        if self.effective is None:
            return True
        return self.effective.from_ <= day and (self.effective.until is None or day < self.effective.until)

    # -- evaluation ------------------------------------------------------------------------------
    def validate(self, customer: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
        """The customer's facts, checked against the schema; raises :class:`FactsError`."""
        if isinstance(customer, BaseModel):
            customer = customer.model_dump()
        return self._validate(customer)

    def evaluate(self, customer: Mapping[str, Any] | BaseModel) -> Decision:
        """Decide one customer: derived facts, tags, offers, access, points, and what fired."""
        raw = self._decide(customer, True)  # validated in the same pass when every value is exactly valid
        if raw is None:  # anything else goes through pydantic
            raw = self._decide(self.validate(customer))
        return Decision(self, raw)

    def decide_facts(self, facts: dict[str, Any]) -> Decision:
        """Decide facts that are already validated (what-if and batch paths)."""
        return Decision(self, self._decide(facts))

    def explain(self, customer: Mapping[str, Any] | BaseModel, rule_or_offer_id: str, *,
                lang: str | None = None) -> Explanation:
        """Why a rule or offer fired or not: each condition with the values it saw, in words of
        ``lang`` (en or zh; by default the language in force, see :mod:`marketing_rules.i18n`)."""
        from marketing_rules.engine.explain import explain

        with messages_in(lang):
            return explain(self.program, self.evaluate, customer, rule_or_offer_id)

    def check(self, *, timeout: float = 60.0, progress: bool = False, lang: str | None = None) -> Report:
        """Static consistency report (SPEC section 6): findings with witness customers, proofs, unknowns.

        ``timeout`` bounds the whole run in seconds; what it leaves undecided is reported unknown.
        ``progress`` shows the questions answered so far on stderr, about once a second. Findings are
        worded in ``lang``."""
        from marketing_rules.analysis.consistency import check

        with messages_in(lang):
            return check(self.program, self.evaluate, timeout=timeout, progress=progress)

    def what_would_it_take(self, customer: Mapping[str, Any] | BaseModel, offer_id: str, *,
                           lang: str | None = None) -> WhatItTakes:
        """The smallest change of numeric facts that makes the offer eligible, if any, worded in ``lang``."""
        from marketing_rules.engine.whatif import what_would_it_take

        with messages_in(lang):
            return what_would_it_take(self.program, self.decide_facts, self.validate, customer, offer_id)

    # -- whole customer bases ----------------------------------------------------------------------
    def to_sql(self, dialect: str = "duckdb", *, table: str = "customers", pretty: bool = True) -> str:
        """The ruleset as one SQL query over ``table`` (duckdb, spark, hive, trino, postgres)."""
        from marketing_rules.backends.sql import to_sql

        return to_sql(self.program, dialect, table=table, pretty=pretty)

    def evaluate_batch(self, source: Any, *, backend: str = "duckdb", out: str | FilePath | None = None,
                       **options: Any) -> BatchResult:
        """Decide every customer of ``source`` (paths or a table); see :func:`marketing_rules.batch.evaluate_batch`."""
        from marketing_rules.batch import evaluate_batch

        return evaluate_batch(self.program, self.evaluate, source, backend=backend, out=out, **options)

    # -- events (SPEC section 7) --------------------------------------------------------------------
    def accrue(self, customer: Mapping[str, Any] | BaseModel, events: Any) -> Statement:
        """The points a customer's events earn (the club's gold coins): a :class:`Statement`.

        >>> statement = rs.accrue({"id": "1", "club_level": "diamond"},
        ...                       [{"type": "trial_used", "at": "2026-11-03T10:00", "service": "music"}])  # doctest: +SKIP
        >>> statement.total, [(line.rule, line.points) for line in statement.lines]          # doctest: +SKIP
        """
        from marketing_rules.events.points import accrue

        return accrue(self, customer, events)

    # -- pieces of a decision ----------------------------------------------------------------------
    def _access(self, by_value: Any, fired: list[str]) -> Mapping[str, ServiceAccess]:
        access = self.program.access
        base = access.table.get(str(by_value), EMPTY_ACCESS) if access is not None and by_value is not None else EMPTY_ACCESS
        grants = [g for r in fired if r in self._grants for g in self._grants[r]] if self._grants else ()
        return with_grants(base, grants) if grants else base


def _build_offer(spec: OfferSpec, amounts: tuple[Any, ...]) -> Offer:
    values = iter(amounts)

    def term(t: Term) -> Mapping[str, Any]:
        return ReadOnlyDict({"kind": t.kind, **dict(t.fixed), **{name: next(values) for name, _ in t.computed}})

    requires = tuple(term(t) for t in spec.requires)
    rewards = tuple(term(t) for t in spec.rewards)
    return Offer(spec.id, spec.title, spec.group, spec.code, spec.mode, spec.type, requires, rewards)


def fingerprint(file: RulesetFile) -> str:
    """A hash of the ruleset's canonical content.

    Formatting, comments, key order and values spelled out at their default do not change it, and
    neither does a newer marketing_rules that adds optional parts to the format.
    """
    content = file.model_dump(mode="json", by_alias=True, exclude_defaults=True)  # what the author wrote that matters
    content.pop("include", None)  # the included definitions are in the content; where they live is not
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def load_ruleset(source: str | FilePath, *, text: str | None = None, lang: str | None = None) -> Ruleset:
    """Parse, validate and compile one rule file; raises :class:`RulesetError` listing every problem.

    ``source`` is a path; pass ``text=`` to load from a string (``source`` then names it in messages).
    ``lang`` (en or zh) is the language of the diagnostics; by default the language in force.
    """
    with messages_in(lang):
        return _load(str(source), text)


def _load(name: str, text: str | None) -> Ruleset:
    from_disk = text is None
    if text is None:
        text = read_text(name)
    sink = DiagnosticSink()
    file, src = read_rule_file(text, name, sink)
    if file is not None:
        file = include_definitions(file, src, sink)
    program = Resolver(file, src, sink).program() if file is not None else None
    sink.raise_if_any()
    assert file is not None and program is not None
    ruleset = Ruleset(program, file, path=name)
    if from_disk:  # a released version that changed is refused by every tool (MR404)
        from marketing_rules.load.lock import refuse_changed

        refuse_changed(ruleset, FilePath(name))
    return ruleset
