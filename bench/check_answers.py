#!/usr/bin/env python3
"""The static checker's answers on every shipped ruleset, random rule files and synthetic catalogues,
dumped to JSON and compared with a dump taken on another checkout (the checker must not change them).

    python bench/check_answers.py --dump /tmp/main.json            # on main: the reference answers
    python bench/check_answers.py --against /tmp/main.json          # on a branch: compare

An answer is a finding (kind, rules, message), a proof, or an unknown (check, rules). The comparison
wants the same findings and proofs; a question the reference left unknown may now be decided (a
better answer), never the reverse. Witnesses may differ, so each witness of the new run is verified
instead: evaluated by the engine, it must exhibit its finding. Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from scale import ruleset_text  # noqa: E402

import marketing_rules as mr  # noqa: E402
from marketing_rules.analysis.consistency import Checker, Finding, Report  # noqa: E402
from marketing_rules.versioning.registry import rule_files  # noqa: E402


def random_texts(count: int) -> list[str]:
    """``count`` rule files drawn by the conformance suite's generator (derandomized: the same each run)."""
    from hypothesis import HealthCheck, Phase, given, settings

    from tests.conformance.random_rulesets import rulesets

    texts: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(rulesets())
    def collect(drawn: Any) -> None:
        texts.append(drawn.text)

    collect()
    return texts


def sources(randoms: int | dict[str, str], sizes: list[int]) -> list[tuple[str, str | None, Path | None]]:
    """(label, text, path) of every ruleset to check; the random files drawn, or those of a dump."""
    found: list[tuple[str, str | None, Path | None]] = [
        (str(path.relative_to(ROOT)), None, path) for path in rule_files(ROOT / "rulesets")]
    drawn = randoms if isinstance(randoms, dict) else {f"random-{i}": t for i, t in enumerate(random_texts(randoms))}
    found += [(label, text, None) for label, text in drawn.items()]
    found += [(f"scale-{size}", ruleset_text(size, min(size, 1000)), None) for size in sizes]
    return found


def answers(report: Report) -> dict[str, Any]:
    return {"findings": sorted([f.kind, list(f.rules), f.message] for f in report.findings),
            "proved": sorted(report.proved),
            "unknown": sorted([u.check, list(u.rules)] for u in report.unknown)}


def witness_holds(rs: mr.Ruleset, finding: Finding) -> bool:
    """Whether a finding's witness, evaluated by the engine, exhibits the finding."""
    checker = Checker(rs.program, rs.evaluate)
    w = finding.witness
    assert w is not None
    if finding.kind == "overlap":
        return checker._both_hold(w, finding.rules)
    if finding.kind == "gap":
        return checker._in_scope(w) and not rs.evaluate(w).offers
    if finding.kind in ("shadowed-row", "table-gap"):
        table = next(t for t in checker.enc.tables.values()
                     if finding.rules[0] in (t.table.id, *(t.table.row_id(r) for r in t.table.rows)))
        rows = range(len(table.table.rows))
        matching = [i for i in rows if checker._row_matches(table.table, i, w)]
        if finding.kind == "table-gap":
            return not matching
        index = next(i for i in rows if table.table.row_id(table.table.rows[i]) == finding.rules[0])
        return index in matching and bool(matching) and matching[0] < index
    if finding.kind == "table-overlap":
        return checker._raises_unique(w)
    if finding.kind == "offer-access":
        rule = rs.program.unit(finding.rules[0])
        service = finding.message.split("gives the service ", 1)[1].split(" ", 1)[0]
        return checker._denied(w, rule, service)  # type: ignore[arg-type]
    if finding.kind == "not-monotonic":
        return True  # the witness only shows a customer of the higher value
    raise ValueError(f"no witness test for {finding.kind}")


def run(randoms: int | dict[str, str], sizes: list[int], timeout: float) -> tuple[dict[str, Any], list[str]]:
    dump: dict[str, Any] = {}
    bad: list[str] = []
    for label, text, path in sources(randoms, sizes):
        rs = mr.load_ruleset(path) if path is not None else mr.load_ruleset(f"{label}.yaml", text=text)
        started = time.perf_counter()
        report = rs.check(timeout=timeout)
        seconds = time.perf_counter() - started
        dump[label] = {**answers(report), "seconds": round(seconds, 3), **({"text": text} if text else {})}
        for finding in report.findings:
            if finding.witness is not None and not witness_holds(rs, finding):
                bad.append(f"{label}: the witness of {finding.kind} {finding.rules} does not exhibit it")
        print(f"{label}: {len(report.findings)} findings, {len(report.proved)} proved, "
              f"{len(report.unknown)} unknown, {seconds:.2f} s", file=sys.stderr, flush=True)
    return dump, bad


def compare(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    """The differences that matter: findings or proofs changed, or an answer that became unknown."""
    problems = []
    for label, was in old.items():
        now = new.get(label)
        if now is None:
            problems.append(f"{label}: not checked")
            continue
        undecided_then = {json.dumps(u) for u in was["unknown"]}
        for part in ("findings", "proved"):
            lost = [a for a in was[part] if a not in now[part]]
            gained = [a for a in now[part] if a not in was[part]]
            if undecided_then:  # the reference left questions unknown: deciding them now is allowed
                gained = []
            problems += [f"{label}: {part} lost {a}" for a in lost]
            problems += [f"{label}: {part} gained {a}" for a in gained]
        worse = [u for u in now["unknown"] if u not in was["unknown"]]
        problems += [f"{label}: unknown now {u}" for u in worse]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dump", type=Path, help="write the answers to this JSON file")
    parser.add_argument("--against", type=Path, help="compare with the answers in this JSON file")
    parser.add_argument("--random", type=int, default=40, help="random rule files to draw")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 30, 100], help="synthetic catalogue sizes")
    parser.add_argument("--timeout", type=float, default=600.0, help="check budget per ruleset, seconds")
    args = parser.parse_args()
    reference = json.loads(args.against.read_text(encoding="utf-8")) if args.against else None
    randoms = {k: v["text"] for k, v in reference.items() if k.startswith("random-")} if reference else args.random
    dump, bad = run(randoms, args.sizes, args.timeout)
    if args.dump:
        args.dump.write_text(json.dumps(dump, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = list(bad)
    if reference is not None:
        problems += compare(dump, reference)
    for problem in problems:
        print(problem)
    total = sum(d["seconds"] for d in dump.values())
    print(f"{len(dump)} rulesets (the random ones those of the reference, when comparing), {total:.1f} s of checking, {len(problems)} problems")
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
