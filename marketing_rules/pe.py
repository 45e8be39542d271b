"""The purchaser-expectation method (购买者期望法, plan 000 step 2) proposing a tier access matrix.

A survey asks respondents of each tier, service by service, how likely they are to buy it. Each
stated intention carries the plan's probability (肯定购买 100%, 可能购买 80%, 未定 50%, 可能不买 20%,
肯定不买 0); a service's purchaser expectation in a tier is the mean probability of its
respondents, PE = sum(P_i * X_i) / sum(X_i), X_i the number of respondents stating intention i.

The plan's threshold rule (服务提供的标准): when any indicator is below the critical value the
service is not offered, otherwise it is. Here the indicators of a class of services for a tier
are the PE of each of its services in that tier: the class is offered to the tier only when none
is below the critical value. The plan's figure for the critical value is lost in the scrape; it
is a parameter, 0.5 by default (the undecided point: as likely to buy as not).

An offered class is free for the tiers entitled to it (plan 000 step 3, 匹配服务策略: diamond and
gold open all services; every tier has the open services free) and otherwise semi-open: a
restricted class by service pack or free trial (paid, trial: 银卡 可以通过购买服务包或者免费体验的
方式使用), a semi-open class by payment or bundling (paid, prestore, trial: 通过付费或者参与营销获得服务,
例如通过预存获取相应的服务包). Tiers the survey does not cover get no proposal.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from marketing_rules.i18n import _

PROBABILITIES = {
    "definitely": Decimal("1"), "probably": Decimal("0.8"), "undecided": Decimal("0.5"),
    "probably_not": Decimal("0.2"), "definitely_not": Decimal("0"),
}
INTENTIONS = {
    **{name: name for name in PROBABILITIES},
    "肯定购买": "definitely", "可能购买": "probably", "未定": "undecided", "可能不买": "probably_not",
    "肯定不买": "definitely_not", "肯定購買": "definitely", "可能購買": "probably",
}
TIERS: tuple[str, ...] = ("diamond", "gold", "silver", "mid_high", "ordinary")  # highest first, as gotone-vip
CLASSES = ("restricted", "semi-open", "open")
# plan 000 step 3: the services of each class, named as rulesets/gotone-vip names them
PLAN_CLASSES = {
    **dict.fromkeys(("magazine", "airport-lounge", "rail-lounge", "birthday-care", "account-manager"), "restricted"),
    **dict.fromkeys(("golf-club", "fitness-club", "car-club", "handset-club", "lecture-hall", "handset-service",
                     "sim-service", "health-service", "roaming-rental"), "semi-open"),
    **dict.fromkeys(("merchant-alliance", "co-brand-card", "local-specialty"), "open"),
}
ENTITLED = {"diamond": set(CLASSES), "gold": set(CLASSES), "silver": {"open"}, "mid_high": {"open"},
            "ordinary": {"open"}}
HIGHER_MODES = {"restricted": ["paid", "trial"], "semi-open": ["paid", "prestore", "trial"], "open": ["paid", "trial"]}
DEFAULT_CRITICAL = Decimal("0.5")
COLUMNS = ("respondent", "tier", "service", "intention")


@dataclass
class Survey:
    """The valid answers, and every rejected row with its number (1 = the first data row) and reason."""

    answers: list[tuple[str, str, str, str]] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)


def read_survey(path: str | Path, tiers: tuple[str, ...] = TIERS, classes: dict[str, str] = PLAN_CLASSES) -> Survey:
    """A survey from CSV or Parquet, validated row by row."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    return validate(rows, tiers, classes)


def validate(rows: list[dict[str, Any]], tiers: tuple[str, ...] = TIERS,
             classes: dict[str, str] = PLAN_CLASSES) -> Survey:
    survey, seen = Survey(), set[tuple[str, str]]()
    for number, row in enumerate(rows, start=1):
        values = {c: str(row.get(c) if row.get(c) is not None else "").strip() for c in COLUMNS}
        reason = _problem(values, tiers, classes, seen)
        if reason:
            survey.bad_rows.append((number, reason))
            continue
        seen.add((values["respondent"], values["service"]))
        survey.answers.append((values["respondent"], values["tier"], values["service"],
                               INTENTIONS[values["intention"].lower()]))
    return survey


def _problem(values: dict[str, str], tiers: tuple[str, ...], classes: dict[str, str], seen: set[tuple[str, str]]) -> str | None:
    missing = [c for c in COLUMNS if not values[c]]
    if missing:
        return "missing " + ", ".join(missing)
    if values["tier"] not in tiers:
        return f"unknown tier {values['tier']!r} (known: {', '.join(tiers)})"
    if values["service"] not in classes:
        return f"unknown service {values['service']!r} (in no service class)"
    if values["intention"].lower() not in INTENTIONS:
        return f"unknown intention {values['intention']!r} (known: {', '.join(PROBABILITIES)} or 肯定购买..肯定不买)"
    if (values["respondent"], values["service"]) in seen:
        return f"respondent {values['respondent']} answered {values['service']} twice"
    return None


def expectations(answers: list[tuple[str, str, str, str]]) -> dict[str, dict[str, Decimal]]:
    """PE per service and tier: the mean of the respondents' purchase probabilities, to 4 places."""
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for _respondent, tier, service, intention in answers:
        totals[service, tier].append(PROBABILITIES[intention])
    pe: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (service, tier), values in totals.items():
        pe[service][tier] = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.0001"))
    return dict(pe)


def propose(pe: dict[str, dict[str, Decimal]], classes: dict[str, str], critical: Decimal = DEFAULT_CRITICAL,
            tiers: tuple[str, ...] = TIERS) -> dict[str, dict[str, Any]]:
    """The access matrix {tier: {class: "free" | [modes]}}; an absent class is denied."""
    surveyed = [t for t in tiers if any(t in by_tier for by_tier in pe.values())]
    matrix: dict[str, dict[str, Any]] = {}
    for tier in surveyed:
        row: dict[str, Any] = {}
        for kind in CLASSES:
            values = [pe[s][tier] for s in pe if classes.get(s) == kind and tier in pe[s]]
            if not values or min(values) < critical:
                continue
            row[kind] = "free" if kind in ENTITLED.get(tier, {"open"}) else HIGHER_MODES[kind]
        matrix[tier] = row
    return matrix


def ruleset_matrix(rs: Any) -> tuple[dict[str, dict[str, Any]], dict[str, str], tuple[str, ...]]:
    """A ruleset's access matrix, its service classes and its tiers (highest first where known)."""
    source = rs.file
    rows = source.access.rows() if source.access else {}
    access = {k: row.model_dump(by_alias=True, exclude_none=True) for k, row in rows.items()}
    classes = {name: service.class_ for name, service in (source.services or {}).items()}
    by = (source.access.by if source.access else None) or "tier"
    declared = source.facts.get(by).values if by in source.facts else list(access)
    order = source.checks.monotonic.order if source.checks and source.checks.monotonic else None
    tiers = tuple(reversed(order)) if order else tuple(declared)
    return access, classes, tiers


def differences(proposed: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]],
                tiers: tuple[str, ...]) -> list[dict[str, Any]]:
    """Cells where the ruleset's matrix differs from the proposal (tiers the survey covers)."""
    found = []
    for tier in tiers:
        if tier not in proposed:
            continue
        for kind in CLASSES:
            want, have = proposed[tier].get(kind), actual.get(tier, {}).get(kind)
            if _modes(want) != _modes(have):
                found.append({"tier": tier, "class": kind, "proposed": want, "ruleset": have})
    return found


def _modes(cell: Any) -> tuple[str, ...]:
    if cell is None:
        return ()
    return ("free",) if cell == "free" or "free" in cell else tuple(sorted(cell))


def analyse(path: str | Path, critical: Decimal = DEFAULT_CRITICAL, against: Any = None) -> dict[str, Any]:
    """The whole method on a survey file: PE, the matrix, bad rows and, with a ruleset, differences."""
    classes, tiers, actual = PLAN_CLASSES, TIERS, None
    if against is not None:
        actual, classes, tiers = ruleset_matrix(against)
    survey = read_survey(path, tiers, classes)
    pe = expectations(survey.answers)
    report: dict[str, Any] = {
        "critical": critical,
        "respondents": {t: len({r for r, tier, _, _ in survey.answers if tier == t}) for t in tiers},
        "pe": {s: {t: pe[s][t] for t in tiers if t in pe[s]} for s in sorted(pe, key=_order(classes))},
        "classes": {s: classes[s] for s in pe},
        "matrix": propose(pe, classes, critical, tiers),
        "bad_rows": [{"row": n, "reason": r} for n, r in survey.bad_rows],
    }
    if against is not None:
        report["against"] = f"{against.id} {against.version}"
        report["differences"] = differences(report["matrix"], actual or {}, tiers)
    return report


def _order(classes: dict[str, str]) -> Callable[[str], tuple[int, str]]:
    return lambda s: (CLASSES.index(classes[s]), s)


def render(report: dict[str, Any]) -> str:
    """The report as text: the PE table (* below the critical value), the matrix, the differences."""
    tiers = [t for t, n in report["respondents"].items() if n]
    lines = [_("purchaser expectation per service and tier (critical value {critical}; * below it: not offered)",
               critical=report["critical"]),
             pad(_("service"), 28) + "".join(t.rjust(10) for t in tiers),
             pad(_("respondents"), 28) + "".join(str(report["respondents"][t]).rjust(10) for t in tiers)]
    for service, by_tier in report["pe"].items():
        cells = "".join((f"{by_tier[t]:.2f}" + ("*" if by_tier[t] < report["critical"] else " ")).rjust(10)
                        if t in by_tier else "-".rjust(10) for t in tiers)
        lines.append(f"{service} ({report['classes'][service]})".ljust(28) + cells)
    lines.append(_("proposed access matrix (absent: denied)"))
    for tier, row in report["matrix"].items():
        cells = ", ".join(f"{k}: {_cell(v)}" for k, v in row.items()) or _("nothing")
        lines.append(f"  {tier}: {{{cells}}}")
    if "differences" in report:
        lines.append(_("differences from {ruleset}: {count}", ruleset=report["against"], count=len(report["differences"])))
        for d in report["differences"]:
            lines.append("  " + _("{tier} {service_class}: proposed {proposed}, ruleset {ruleset}", tier=d["tier"],
                                  service_class=d["class"], proposed=_cell(d["proposed"]), ruleset=_cell(d["ruleset"])))
    if report["bad_rows"]:
        lines.append(_("rejected rows: {count}", count=len(report["bad_rows"])))
        lines.extend("  " + _("row {row}: {reason}", row=b["row"], reason=b["reason"]) for b in report["bad_rows"])
    return "\n".join(line.rstrip() for line in lines)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` columns on a terminal, where a Chinese character takes two
    (``str.ljust`` counts it as one); ``right`` aligns it right."""
    from unicodedata import east_asian_width

    room = " " * max(width - sum(2 if east_asian_width(c) in "WF" else 1 for c in text), 0)
    return room + text if right else text + room


def _cell(cell: Any) -> str:
    if cell is None:
        return _("denied")
    return cell if isinstance(cell, str) else "[" + ", ".join(cell) + "]"
