"""Rule files that would exhaust the loader fail fast with a positioned diagnostic, and the largest
files that load run on every path (evaluate, batch, to_sql, explain, what_would_it_take, check)."""

from __future__ import annotations

import time
import tracemalloc

import pyarrow as pa
import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.expressions.parser import MAX_DEPTH, MAX_NESTED

HEAD = "ruleset: big\nversion: 1.0.0\n"
BOMB = HEAD + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + "rules: []\n"
CUSTOMER = {"id": "1", "arpu": 5, "arpu_3m": 5, "tenure_months": 3, "card": "gold"}


def _errors(text: str) -> mr.RulesetError:
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset("big.yaml", text=text)
    return caught.value


def _offer(when: str) -> str:
    return (HEAD + "facts:\n  y: {type: number}\nrules:\n  - id: r\n    when: \"" + when + "\"\n"
            "    then: {offer: {rewards: [{bill_credit: 5}]}}\n  - id: s\n    then: {set: {y: 'arpu'}}\n")


def test_the_alias_bomb_is_refused_in_under_a_second_and_100_mb():
    assert len(BOMB) < 600
    _errors(HEAD + "rules: []\nx: 1\n")  # warm up the loader
    tracemalloc.start()
    started = time.perf_counter()
    error = _errors(BOMB)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1 and peak < 100e6, (seconds, peak)
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "MR004" and diagnostic.line is not None and diagnostic.column is not None


def test_a_self_referencing_alias_is_a_diagnostic():
    (diagnostic,) = _errors(HEAD + "rules: &a\n  - *a\n").diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MR004", 4, 5)


def test_ten_thousand_deep_yaml_is_refused_at_once():
    started = time.perf_counter()
    (diagnostic,) = _errors(HEAD + "rules: " + "[" * 10_000 + "]" * 10_000 + "\n").diagnostics
    assert diagnostic.code == "MR004" and diagnostic.line == 3 and time.perf_counter() - started < 1


def test_all_nested_128_deep_is_a_diagnostic():
    (diagnostic,) = _errors(HEAD + "rules:\n  - id: r\n    when: " + "{all: [" * 128 + "arpu > 1" + "]}" * 128
                            + "\n    then: {tag: x}\n").diagnostics
    assert diagnostic.code == "MR004" and diagnostic.line == 5


def test_bytes_that_are_not_utf8_are_positioned(tmp_path):
    path = tmp_path / "1.0.0.yaml"
    path.write_bytes(HEAD.encode() + "title: \u5168\u7403\u901a\n".encode("gbk") + b"rules: []\n")
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset(path)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line, diagnostic.column) == ("MR005", str(path), 3, 9)  # 0xc8 0xab reads as one character


@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan", "'inf'", "1.0e+19"])
def test_numbers_that_are_not_finite_are_refused_everywhere(number):
    for text in (HEAD + f"packages:\n  p: {{fee: {number}}}\nrules: []\n",
                 *([] if number.startswith("'") else [HEAD + f"constants:\n  k: {number}\nrules: []\n"]),
                 HEAD + f"facts:\n  y: {{type: number, ge: {number}}}\nrules: []\n",
                 HEAD + f"inputs:\n  z: {{type: number, le: {number}}}\nrules: []\n"):
        (diagnostic,) = _errors(text).diagnostics
        assert diagnostic.code == "MR013" and diagnostic.line == 4, text


def test_round_digits_are_decided_at_load():
    (diagnostic,) = _errors(HEAD + "facts:\n  y: {type: number}\nrules:\n  - id: r\n"
                            "    then: {set: {y: 'round(arpu, 30)'}}\n").diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MR110", 7, 34)
    rs = mr.load_ruleset("ok.yaml", text=HEAD + "facts:\n  y: {type: number}\nrules:\n  - id: r\n"
                         "    then: {set: {y: 'round(arpu, 10) + round(arpu, -10)'}}\n")
    assert rs.evaluate(CUSTOMER).facts["y"] == 5


def test_a_literal_of_5000_digits_is_positioned():
    (diagnostic,) = _errors(HEAD + "rules:\n  - id: r\n    when: arpu > " + "9" * 5000 + "\n    then: {tag: x}\n"
                            ).diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MR109", 5, 18)


def _every_path(rs: mr.Ruleset, dialects: tuple[str, ...] = ("duckdb",)) -> None:
    assert rs.evaluate(CUSTOMER) is not None
    for dialect in dialects:  # sqlglot takes about 10 s per dialect for the deepest expressions
        assert rs.to_sql(dialect)
    str(rs.explain(CUSTOMER, "r"))
    rs.what_would_it_take({**CUSTOMER, "arpu": 0}, "r")
    for backend in ("native", "duckdb"):
        result = rs.evaluate_batch(pa.Table.from_pylist([CUSTOMER]), backend=backend)
        assert result.summary.decided == 1, backend


LARGEST = {
    "200 + terms": " + ".join(["arpu"] * 200) + " > 1",
    "199 nested parentheses": "".join("arpu + (" for _ in range(199)) + "1" + ")" * 199 + " > 1",
    "490 and terms": " and ".join(["arpu > 1"] * 490),
    "2000 and terms": " and ".join(["arpu > 1"] * 2000),
    "2000 or terms": " or ".join(["arpu > 1"] * 2000),
    "deepest": "".join("arpu - (" for _ in range(MAX_DEPTH - 8)) + "1" + ")" * (MAX_DEPTH - 8) + " > 1",
    "signs": "-" * MAX_NESTED["neg"] + "arpu > 1",
    "calls": "abs(" * MAX_NESTED["call"] + "arpu" + ")" * MAX_NESTED["call"] + " > 1",
    "max": "max(" * MAX_NESTED["minmax"] + "arpu" + ", 1)" * MAX_NESTED["minmax"] + " > 1",
}


@pytest.mark.parametrize("when", LARGEST.values(), ids=LARGEST.keys())
def test_the_largest_expressions_load_and_run_everywhere(when):
    _every_path(mr.load_ruleset("big.yaml", text=_offer(when)))


@pytest.mark.slow
@pytest.mark.parametrize("when", LARGEST.values(), ids=LARGEST.keys())
def test_the_largest_expressions_compile_to_every_dialect(when):
    _every_path(mr.load_ruleset("big.yaml", text=_offer(when)), ("spark", "hive", "trino", "postgres"))


@pytest.mark.parametrize("kind", ["neg", "call", "minmax"])
def test_one_level_more_is_a_diagnostic(kind):
    n = MAX_NESTED[kind] + 1
    when = {"neg": "-" * n + "arpu > 1", "call": "abs(" * n + "arpu" + ")" * n + " > 1",
            "minmax": "min(" * n + "arpu" + ", 1)" * n + " > 1"}[kind]
    (diagnostic,) = _errors(_offer(when)).diagnostics
    assert diagnostic.code == "MR108" and diagnostic.line == 7


def test_a_table_of_10000_rows_loads_and_evaluates():
    rows = "\n".join(f"      - ['[{i}..{i + 1})', \"'v{i}'\"]" for i in range(10_000))
    rs = mr.load_ruleset("big.yaml", text=HEAD + "facts:\n  y: {type: string}\ntables:\n  - id: t\n"
                         "    inputs: [arpu]\n    outputs: [y]\n    rows:\n" + rows + "\n")
    assert rs.evaluate({**CUSTOMER, "arpu": 9_998.5}).facts["y"] == "v9998"


def test_the_check_keeps_to_its_budget():
    nonlinear = "".join(f"  - id: r{i}\n    group: g\n    when: voice_min * voice_min * voice_min == tenure_months * "
                        f"tenure_months * tenure_months + sms * sms * sms + {i + 3} and sms > 2\n"
                        f"    then: {{offer: {{rewards: [{{bill_credit: 5}}]}}}}\n" for i in range(10))
    rs = mr.load_ruleset("nl.yaml", text=HEAD + "checks: {exclusive: [g]}\nrules:\n" + nonlinear)
    started = time.perf_counter()
    report = rs.check(timeout=1)
    assert time.perf_counter() - started < 5
    assert report.unknown and any("budget of 1 s" in u.reason for u in report.unknown)


def test_check_takes_a_timeout_on_the_command_line(tmp_path):
    path = tmp_path / "nl.yaml"
    path.write_text(HEAD + "rules:\n  - id: r\n    when: arpu * arpu * arpu == sms * sms * sms + 1\n"
                    "    then: {tag: x}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--timeout", "0", str(path)])
    assert result.exit_code == 0 and "budget of 0 s" in result.output, result.output


@pytest.mark.parametrize("command", [["validate"], ["check"], ["eval", "--customers", "CUSTOMERS"], ["sql"]])
def test_no_traceback_for_a_bad_rule_file(command, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(HEAD.encode() + b"title: \xff\n" + b"rules: []\n")
    customers = tmp_path / "c.jsonl"
    customers.write_text('{"id": "1"}\n', encoding="utf-8")
    args = [str(customers) if a == "CUSTOMERS" else a for a in command]
    result = CliRunner().invoke(main, [args[0], str(path), *args[1:]])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code in (1, 2) and "MR005" in output and "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit)
