"""Mutation testing of the semantics: every mutant of bench/mutants.yaml must be killed.

Each mutant changes one place of a backend (the Python generator, the SQL compiler, the z3 encoder,
the reference interpreter) the way a plausible bug would: an operator flipped, a null test dropped,
a tie order reversed. The script applies each mutant to a copy of the project, runs the tests the
mutant names (by default those of its backend), and counts the mutant killed when they fail.

    python bench/mutation.py                      # every mutant; figures to bench/results/mutation.json
    python bench/mutation.py --only sql-          # the mutants whose id starts with sql-
    python bench/mutation.py --list               # the mutants, and whether each still applies

A mutant whose text no longer occurs exactly once in its file is reported ``stale``: the code moved
and the mutant must be rewritten, which fails the run as a survivor does. Each test selection is
first run once without a mutant: if it fails, the run stops (every mutant would look killed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "bench" / "mutants.yaml"
RESULTS = ROOT / "bench" / "results" / "mutation.json"
CONFORMANCE = ["tests/conformance", "-m", "not spark and not slow"]
#: The backend each mutated file belongs to (the score is kept per backend), and the tests that
#: cover a backend: the conformance suite compares each backend with the reference; the checker is
#: held to the documented semantics and to the reference by its own tests.
BACKENDS = {
    "marketing_rules/backends/reference.py": "reference",
    "marketing_rules/expressions/evaluate.py": "reference",
    "marketing_rules/expressions/numbers.py": "reference",
    "marketing_rules/expressions/functions.py": "reference",
    "marketing_rules/backends/python.py": "python",
    "marketing_rules/backends/sql.py": "sql",
    "marketing_rules/backends/sql_expressions.py": "sql",
    "marketing_rules/backends/sql_dialects.py": "sql",
    "marketing_rules/backends/sql_lists.py": "sql",
    "marketing_rules/backends/validation_sql.py": "sql",
    "marketing_rules/analysis/index.py": "sql",
    "marketing_rules/batch/indexed.py": "sql",
    "marketing_rules/analysis/symbolic.py": "z3",
    "marketing_rules/analysis/consistency.py": "z3",
}
DEFAULT_TESTS = {
    "reference": CONFORMANCE,
    "python": [*CONFORMANCE, "-k", "python"],
    "sql": [*CONFORMANCE, "-k", "duckdb"],
    "z3": ["tests/test_check.py", "tests/test_check_reference.py", "-m", "not slow"],
}


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    find: str
    replace: str
    why: str
    tests: tuple[str, ...]

    @property
    def backend(self) -> str:
        return BACKENDS[self.file]

    def applies(self, root: Path) -> bool:
        return (root / self.file).read_text(encoding="utf-8").count(self.find) == 1


def mutants() -> list[Mutant]:
    data = yaml.safe_load(MUTANTS.read_text(encoding="utf-8"))
    return [Mutant(m["id"], m["file"], m["find"], m["replace"], m["why"],
                   tuple(m.get("tests", DEFAULT_TESTS[BACKENDS[m["file"]]]))) for m in data["mutants"]]


def copy_project(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def run_tests(tests: tuple[str, ...], copy: Path, timeout: float) -> bool:
    """Whether the tests pass on the copy as it is."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    return subprocess.run(command, cwd=copy, env=env, capture_output=True, timeout=timeout).returncode == 0


def baseline(chosen: list[Mutant], copy: Path, timeout: float) -> list[tuple[str, ...]]:
    """The test selections that fail without any mutant (a mutant "killed" by them proves nothing)."""
    selections = list(dict.fromkeys(m.tests for m in chosen))
    return [tests for tests in selections if not run_tests(tests, copy, timeout)]


def run_mutant(mutant: Mutant, copy: Path, timeout: float) -> tuple[str, float]:
    """``killed``, ``survived``, ``stale`` or ``timeout``, and the seconds it took."""
    path = copy / mutant.file
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.find) != 1:
        return "stale", 0.0
    path.write_text(original.replace(mutant.find, mutant.replace), encoding="utf-8")
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests]
    try:
        result = subprocess.run(command, cwd=copy, env=env, capture_output=True, timeout=timeout)
        status = "survived" if result.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        status = "timeout"  # counted as killed by no test: it must be looked at
    finally:
        path.write_text(original, encoding="utf-8")
    return status, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the mutants whose id starts with this")
    parser.add_argument("--list", action="store_true", help="list the mutants and whether each applies")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per mutant")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the first run of each test selection without a mutant")
    args = parser.parse_args()
    chosen = [m for m in mutants() if m.id.startswith(args.only)]
    if args.list:
        for m in chosen:
            print(f"{m.id:40} {m.backend:9} {'applies' if m.applies(ROOT) else 'STALE'}  {m.file}: {m.why}")
        return 0
    outcomes: dict[str, dict[str, object]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        copy = copy_project(Path(folder) / "project")
        failing = [] if args.no_baseline else baseline(chosen, copy, args.timeout)
        if failing:
            for tests in failing:
                print(f"fails without any mutant: pytest {' '.join(tests)}", file=sys.stderr)
            return 2
        for n, mutant in enumerate(chosen, 1):
            status, seconds = run_mutant(mutant, copy, args.timeout)
            outcomes[mutant.id] = {"status": status, "seconds": round(seconds, 1), "backend": mutant.backend,
                                   "file": mutant.file, "why": mutant.why}
            print(f"[{n}/{len(chosen)}] {mutant.id:40} {status:8} {seconds:6.1f} s", flush=True)
    scores = per_backend(outcomes)
    killed = sum(s["killed"] for s in scores.values())
    total = len(outcomes)
    elapsed = time.perf_counter() - started
    for backend, score in scores.items():
        print(f"  {backend:9} {score['killed']}/{score['mutants']} killed")
    print(f"mutation score: {killed}/{total} killed ({100 * killed / max(total, 1):.0f}%) in {elapsed:.0f} s")
    if not args.only:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "seconds": round(elapsed), "killed": killed, "total": total, "backends": scores, "mutants": outcomes,
        }, indent=2) + "\n", encoding="utf-8")
    return 0 if killed == total else 1


def per_backend(outcomes: dict[str, dict[str, object]]) -> dict[str, dict[str, int]]:
    scores: dict[str, dict[str, int]] = {}
    for outcome in outcomes.values():
        score = scores.setdefault(str(outcome["backend"]), {"mutants": 0, "killed": 0})
        score["mutants"] += 1
        score["killed"] += outcome["status"] == "killed"
    return scores


if __name__ == "__main__":
    sys.exit(main())
