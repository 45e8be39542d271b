"""Random rulesets decided on every backend: ``python -m tests.conformance.run_random N [--seed S] [--spark]``.

Draws N rule files and their customers (tests/conformance/random_rulesets.py), decides the
customers on the reference interpreter, the generated Python, DuckDB (and Spark), and prints per
backend the rulesets drawn, the customers decided and the disagreements with the reference, by
cause. Each cause's first disagreements are shrunk (rules, tables, rows, cells and customers
removed while the disagreement stays) and written as ready-to-commit conformance cases to a
folder it prints.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.model.schema import TELECOM_CUSTOMER
from tests.conformance.harness import Case, decide, differences
from tests.conformance.random_rulesets import Drawn, customers, dump, rulesets

BACKENDS = ("python", "duckdb", "duckdb-indexed")
#: Rule files met while shrinking that load but crash a compiler: (text, error).
CRASHES: list[tuple[str, str]] = []


@dataclass
class Disagreement:
    """A backend's row that is not the reference's (or a batch that failed)."""

    backend: str
    customer: str | None  # None: the whole batch failed
    columns: dict[str, tuple[Any, Any]]  # column -> (reference, backend)
    cause: str


def drawn_cases(size: int = 12, invalid: float = 0.1) -> st.SearchStrategy[tuple[Drawn, list[dict[str, str]]]]:
    return rulesets().flatmap(lambda drawn: customers(drawn, size, invalid).map(lambda people: (drawn, people)))


def as_case(name: str, text: str, people: list[dict[str, str]]) -> Case:
    return Case(name, "", text, people, {})


def compare(case: Case, folder: Path, backends: tuple[str, ...], spark: Any = None,
            reference: list[dict[str, Any]] | None = None) -> tuple[list[dict[str, Any]], list[Disagreement]]:
    """The reference rows of a case and every backend's disagreements with them."""
    rs = case.load()
    source = case.write_csv(folder)
    try:
        expected = reference if reference is not None else decide("reference", rs, source)
    except Exception as error:  # the oracle itself failed: a bug of the reference interpreter
        return [], [Disagreement("reference", None, {}, "reference " + batch_cause(error))]
    found = []
    types = {name: f"a {kind.kind} fact" for name, kind in rs.program.fact_types.items() if name in rs.program.derived}
    for backend in backends:
        try:
            actual = decide(backend, rs, source, spark)
        except Exception as error:  # a failed batch is a disagreement on every row
            found.append(Disagreement(backend, None, {}, batch_cause(error)))
            continue
        if len(actual) != len(expected):
            found.append(Disagreement(backend, None, {}, f"{len(actual)} rows for {len(expected)} customers"))
            continue
        for want, got in zip(expected, actual):
            diff = differences(want, got)
            if diff:
                found.append(Disagreement(backend, want["id"], diff, cause(diff, types)))
    return expected, found


def batch_cause(error: Exception) -> str:
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"batch failed: {type(error).__name__}: {_general(first)[:90]}"


def _general(text: str) -> str:
    """A message with its values blurred, so that one cause is one text."""
    text = re.sub(r"'[^']*'", "'…'", text)
    return re.sub(r"-?\d[\d.eE+-]*", "N", text)


def cause(diff: dict[str, tuple[Any, Any]], types: dict[str, str] | None = None) -> str:
    """A short name for why two rows differ, the same for the same fault in different rule files."""
    types = types or {}
    if "error" in diff:
        want, got = diff["error"]
        if want and got and _error_kind(want) == _error_kind(got) == "rejection":
            field = want.split(":")[0]
            return f"rejection reason differs (a {INPUT_TYPES.get(field, 'unknown')} input)" \
                if got.split(":")[0] == field else "rejected for another field"
        if want and got and _error_kind(want) == _error_kind(got):
            return f"{_error_kind(want)} reason differs"
        return f"{_error_kind(want)} on the reference, {_error_kind(got)} on the backend"
    return "values differ: " + ", ".join(sorted({_column(c, v, types) for c, v in diff.items()}))


def _error_kind(error: str | None) -> str:
    if error is None:
        return "decided"
    if "overflow in" in error:
        return error.split(" overflow")[0] + " overflow"
    if "hit policy unique" in error:
        return "unique-table error"
    return "rejection" if error.split(":")[0] in INPUT_TYPES else "error"


INPUT_TYPES = {spec.name: spec.type for spec in TELECOM_CUSTOMER}


def _column(column: str, values: tuple[Any, Any], types: dict[str, str]) -> str:
    want, got = values
    how = "null on the backend" if got is None else "null on the reference" if want is None else "other value"
    return f"{types.get(column, column)} ({how})"


# -- shrinking -------------------------------------------------------------------------------------
def still_disagrees(data: dict[str, Any], people: list[dict[str, str]], backend: str, why: str,
                    folder: Path, spark: Any = None) -> bool:
    try:
        case = as_case("shrink", dump(data), people)
        case.load()
    except mr.RulesetError:
        return False
    except Exception as error:  # the file is valid, but a backend cannot compile it
        CRASHES.append((dump(data), f"{type(error).__name__}: {error}"))
        return False
    try:
        _, found = compare(case, folder, (backend,), spark)
    except Exception:  # the reference itself failed: not the same disagreement
        return False
    return any(d.cause == why for d in found)


def _candidates(data: dict[str, Any]) -> list[Callable[[dict[str, Any]], None]]:
    """Ways to make a rule file smaller, each an edit of a copy of it."""
    edits: list[Callable[[dict[str, Any]], None]] = []

    def drop(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
        def edit(d: dict[str, Any]) -> None:
            for key in path[:-1]:
                d = d[key]
            del d[path[-1]]
        return edit

    for key in ("rules", "tables"):
        for n in reversed(range(len(data.get(key, [])))):
            edits.append(drop((key, n)))
    for n, table in enumerate(data.get("tables", [])):
        for r in reversed(range(len(table["rows"]))):
            edits.append(drop(("tables", n, "rows", r)))
        for i in reversed(range(len(table["inputs"]))):
            edits.append(_drop_input(n, i))
        for c in range(len(table["inputs"])):
            for r in range(len(table["rows"])):
                edits.append(_blank_cell(n, r, c))
        edits.append(drop(("tables", n, "priority")))
        edits.append(drop(("tables", n, "hit")))
    for n, rule in enumerate(data.get("rules", [])):
        for key in ("when", "priority", "group"):
            edits.append(drop(("rules", n, key)))
        for key in ("set", "tag", "offer", "grant", "award"):
            edits.append(drop(("rules", n, "then", key)))
        for name in rule["then"].get("set", {}):
            edits.append(drop(("rules", n, "then", "set", name)))
    for key in ("facts", "constants"):
        for name in data.get(key, {}):
            edits.append(drop((key, name)))
            edits.append(drop((key, name, "default")))
    for key in ("access", "constants", "facts", "packages", "services", "tables", "rules"):
        edits.append(drop((key,)))
    return edits


def _drop_input(table: int, column: int) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        t = d["tables"][table]
        del t["inputs"][column]
        for row in t["rows"]:
            del row[column]
    return edit


def _blank_cell(table: int, row: int, column: int) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        cells = d["tables"][table]["rows"][row]
        if cells[column] == "-":
            raise KeyError(column)
        cells[column] = "-"
    return edit


def shrink(data: dict[str, Any], people: list[dict[str, str]], found: Disagreement, folder: Path,
           spark: Any = None, budget: float = 30.0) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A smaller rule file and customer list with the same disagreement (greedy, within ``budget`` s)."""
    start = time.monotonic()
    people = _fewer_customers(data, people, found, folder, spark)
    progress = True
    while progress and time.monotonic() - start < budget:
        progress = False
        for edit in _candidates(data):
            if time.monotonic() - start > budget:
                break
            trial = deepcopy(data)
            try:
                edit(trial)
            except (KeyError, IndexError, TypeError):
                continue
            if trial != data and still_disagrees(trial, people, found.backend, found.cause, folder, spark):
                data, progress = trial, True
        for n, customer in enumerate(people):
            for key in [k for k in customer if k != "id"]:
                if time.monotonic() - start > budget:
                    break
                trial_people = deepcopy(people)
                del trial_people[n][key]
                if still_disagrees(data, trial_people, found.backend, found.cause, folder, spark):
                    people, progress = trial_people, True
    return data, people


def _fewer_customers(data: dict[str, Any], people: list[dict[str, str]], found: Disagreement, folder: Path,
                     spark: Any) -> list[dict[str, str]]:
    """The one customer that disagrees (for a failed batch: the first that fails it alone), with
    only the cells of facts the rule file names."""
    text = dump(data)
    singles = [p for p in people if p["id"] == found.customer] if found.customer else [[p] for p in people]
    options = [singles] if found.customer else singles
    for option in options:
        if option and still_disagrees(data, option, found.backend, found.cause, folder, spark):
            people = option
            break
    named = [{k: v for k, v in p.items() if k == "id" or re.search(rf"\b{k}\b", text)} for p in people]
    return named if still_disagrees(data, named, found.backend, found.cause, folder, spark) else people


def write_case(folder: Path, name: str, data: dict[str, Any], people: list[dict[str, str]],
               found: Disagreement, tmp: Path) -> Path:
    """A conformance case file: the reference's rows are what it expects."""
    data = {**data, "ruleset": name}
    text = dump(data)
    expected, _ = compare(as_case(name, text, people), tmp, ())
    columns = list(dict.fromkeys([*found.columns, "error"]))
    expect = {row["id"]: {c: _plain(row[c]) for c in columns if c in row} for row in expected}
    case = {
        "about": f"Random ruleset: {found.backend} disagrees with the reference ({found.cause}).",
        "ruleset": text,
        "customers": people,
        "expect": expect,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.dump(case, Dumper=_CaseDumper, sort_keys=False, allow_unicode=True, width=1000),
                    encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _CaseDumper(yaml.SafeDumper):
    pass


def _text_block(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CaseDumper.add_representer(str, _text_block)


# -- the run ---------------------------------------------------------------------------------------
def draw_cases(n: int, at: int, size: int, invalid: float) -> list[tuple[Drawn, list[dict[str, str]]]]:
    drawn: list[tuple[Drawn, list[dict[str, str]]]] = []

    @seed(at)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(drawn_cases(size, invalid))
    def collect(case: tuple[Drawn, list[dict[str, str]]]) -> None:
        drawn.append(case)

    collect()
    return drawn[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.run_random", description=__doc__)
    parser.add_argument("n", type=int, help="how many rulesets to draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spark", action="store_true", help="decide on Spark too")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="backends besides Spark (default: %(default)s)")
    parser.add_argument("--customers", type=int, default=12, help="customers per ruleset")
    parser.add_argument("--invalid", type=float, default=0.1, help="share of customers with an invalid cell")
    parser.add_argument("--shrink", type=int, default=2, help="cases to shrink and write per cause")
    parser.add_argument("--out", type=Path, default=None, help="folder for the disagreements' cases")
    args = parser.parse_args(argv)

    backends = tuple(b for b in args.backends.split(",") if b) + (("spark",) if args.spark else ())
    spark = _spark() if args.spark else None
    out = args.out or Path(tempfile.mkdtemp(prefix="random-disagreements-"))
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="random-rulesets-"))
    started = time.monotonic()
    cases = draw_cases(args.n, args.seed, args.customers, args.invalid)
    decided = 0
    per_backend: dict[str, Counter[str]] = defaultdict(Counter)
    rulesets_with: dict[str, set[int]] = defaultdict(set)
    examples: dict[tuple[str, str], list[tuple[int, Disagreement]]] = defaultdict(list)
    for number, (drawn, people) in enumerate(cases):
        try:
            _, found = compare(as_case(f"random-{number}", drawn.text, people), tmp, backends, spark)
        except mr.RulesetError as error:
            found = [Disagreement("loader", None, {}, f"drawn file refused: {_general(str(error))[:200]}")]
        except Exception as error:  # loading compiles the generated Python
            found = [Disagreement("python", None, {}, "load " + batch_cause(error))]
        decided += len(people)
        for d in found:
            per_backend[d.backend][d.cause] += 1
            rulesets_with[d.backend].add(number)
            examples[(d.backend, d.cause)].append((number, d))
    print(f"seed {args.seed}: {len(cases)} rulesets drawn, {decided} customers decided on each backend "
          f"({time.monotonic() - started:.0f} s)")
    for backend in [b for b in ("loader", "reference") if per_backend.get(b)] + list(backends):
        total = sum(per_backend[backend].values())
        print(f"\n{backend}: {len(cases)} rulesets, {decided} customers, {total} disagreements "
              f"(in {len(rulesets_with[backend])} rulesets)")
        for why, count in per_backend[backend].most_common():
            print(f"  {count:5d}  {why}")
    written = 0
    for (backend, _), found in sorted(examples.items()):
        for k, (number, d) in enumerate(found[: args.shrink]):
            drawn, people = cases[number]
            if backend == "loader":
                (out / f"refused-{args.seed}-{number}.yaml").write_text(drawn.text, encoding="utf-8")
                continue
            data, small = shrink(drawn.data, people, d, tmp, spark)
            name = f"random-{args.seed}-{number}-{backend}-{k}"
            write_case(out, name, data, small, d, tmp)
            written += 1
    for n, (text, error) in enumerate(CRASHES[:5]):
        (out / f"crash-{n}.yaml").write_text(f"# {error}\n{text}", encoding="utf-8")
    print(f"\n{written} shrunk cases written to {out}" + (f", and {min(5, len(CRASHES))} rule files that load "
          f"but crash a compiler (crash-N.yaml)" if CRASHES else ""))
    return 0


def _spark() -> Any:
    from marketing_rules.batch.spark_backend import local_session

    session = local_session("2g")
    session.sparkContext.setLogLevel("ERROR")
    return session


if __name__ == "__main__":
    raise SystemExit(main())
