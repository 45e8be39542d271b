"""The ``marketing-rules`` command line (SPEC section 8).

Exit codes: 0 ok; 1 findings or failures (a rule file with errors, rejected customers); 2 bad
input (a file that does not exist, a customer that is not JSON, a ruleset that does not load
where one is needed to run).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

import marketing_rules as mr
from marketing_rules.errors import Diagnostic, FactsError, RulesetError
from marketing_rules.i18n import ENVIRONMENT, LANGUAGES, _, fit, set_language
from marketing_rules.versioning.lock import LOCK_NAME, Lock, find_lock
from marketing_rules.versioning.registry import misnamed, placement, rule_files

if TYPE_CHECKING:
    pass

OK, FINDINGS, BAD_INPUT = 0, 1, 2


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if hasattr(value, "items"):
        return dict(value)
    return str(value)


def dumps(value: Any, pretty: bool = False) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default, indent=2 if pretty else None)


def _write_or_echo(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
        click.echo(_("wrote {file}", file=out), err=True)
    else:
        click.echo(text)


def _load(path: str) -> mr.Ruleset:
    try:
        return mr.load_ruleset(path)
    except RulesetError as error:
        click.echo(error.render(), err=True)
        raise SystemExit(BAD_INPUT) from None


def _customer(text: str) -> dict[str, Any]:
    """A customer from JSON text, a JSON file's path, or '-' for standard input."""
    if text == "-":
        text = sys.stdin.read()
    elif not text.lstrip().startswith(("{", "[", '"')):
        path = Path(text)
        if not path.is_file():
            _bad_input(_("{text!r} is neither a JSON object nor a file of one (no such file)", text=text))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            _bad_input(_("cannot read the customer from {file}: {error}", file=path, error=error))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        _bad_input(_("the customer is not valid JSON: {error}", error=error))
    if not isinstance(value, dict):
        _bad_input(_("the customer must be a JSON object"))
    return value


def _bad_input(message: str) -> NoReturn:
    click.echo(_("error: {message}", message=message), err=True)
    raise SystemExit(BAD_INPUT)


def _names_checked(rs: mr.Ruleset, customer: dict[str, Any], strict: bool) -> None:
    """A warning (an error with ``strict``) for each key of a customer that is not a fact."""
    from marketing_rules.batch.sources import fact_names, unknown_columns

    warnings = unknown_columns(customer, fact_names(rs.program), kind="key")
    if strict and warnings:
        _bad_input(_("{warnings} (strict)", warnings=_("; ").join(warnings)))
    for warning in warnings:
        click.echo(_("warning: {warning}", warning=warning), err=True)


class _Commands(click.Group):
    """The command group; ``--lang`` may be written before or after the command's name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        front, rest, words = [], [], iter(args)
        for word in words:
            if word == "--":
                rest += [word, *words]
            elif word == "--lang":
                front += [word, next(words, "")]
            elif word.startswith("--lang="):
                front.append(word)
            else:
                rest.append(word)
        return super().parse_args(ctx, front + rest)


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        set_language(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(mr.__version__, prog_name="marketing-rules")
@click.option("--lang", metavar="|".join(LANGUAGES), envvar=ENVIRONMENT, show_envvar=True, callback=_language,
              expose_value=False, is_eager=True, help="Language of messages and summaries (default: en).")
def main() -> None:
    """Declarative rules for telecom marketing: validate, evaluate and explain rulesets."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def validate(paths: tuple[str, ...]) -> None:
    """Load rule files (or every rule file under folders) and report every error."""
    failed = 0
    for path in _rule_files(paths):
        try:
            rs = mr.load_ruleset(path)
            misplaced = _misplaced(rs, Path(path), direct=Path(path) in map(Path, paths))
            if misplaced:
                raise RulesetError(misplaced)
            lock = find_lock(Path(path))
        except RulesetError as error:
            failed += 1
            click.echo(error.render())
            continue
        shown = {"file": path, "ruleset": rs.id, "version": rs.version, "count": len(rs.program.units),
                 "fingerprint": rs.fingerprint}
        if lock and lock.fingerprint(rs.id, rs.version):
            click.echo(_("ok  {file}: {ruleset} {version}, {count} rules and tables, fingerprint {fingerprint} "
                         "(released)", **shown))
        else:
            click.echo(_("ok  {file}: {ruleset} {version}, {count} rules and tables, fingerprint {fingerprint}",
                         **shown))
    for folder in (Path(p) for p in paths if Path(p).is_dir()):
        try:
            lock = Lock.read(folder / LOCK_NAME)
        except RulesetError as error:
            failed += 1
            click.echo(error.render())
            continue
        missing = lock.missing_files()
        failed += len(missing)
        if missing:
            click.echo(RulesetError(missing).render())
    raise SystemExit(FINDINGS if failed else OK)


def _misplaced(rs: mr.Ruleset, path: Path, *, direct: bool) -> list[Diagnostic]:
    """Where the file stands against its header: the whole placement under a folder; for a file named
    on the command line, its name when the name is a version (1.2.0.yaml must hold 1.2.0)."""
    if not direct:
        return placement(rs, path)
    looks_like_version = re.fullmatch(r"[\d.]+", path.stem) is not None
    problem = misnamed(rs, path) if looks_like_version or find_lock(path) is not None else None
    return [problem] if problem else []


def _rule_files(paths: tuple[str, ...]) -> Iterator[str]:
    for path in map(Path, paths):
        if path.is_dir():
            yield from map(str, rule_files(path))
        else:
            yield str(path)


@main.command(name="eval")
@click.argument("ruleset", type=click.Path(exists=True, dir_okay=False))
@click.argument("customer", required=False)
@click.option("--customers", "customers_file", type=click.Path(exists=True, dir_okay=False),
              help="a file of customers: JSON lines (one object per line), CSV or Parquet")
@click.option("--out", type=click.Path(dir_okay=False),
              help="write decisions here: Parquet (.parquet) or JSON lines (any other name); default stdout")
@click.option("--backend", type=click.Choice(["duckdb", "spark", "native"]),
              help="batch engine (default: duckdb for CSV and Parquet, the per-customer engine for JSON lines)")
@click.option("--columns", help="batch output columns to keep besides id, row and error, comma-separated "
                                 "(e.g. tier,offers); the others are not computed")
@click.option("--delimiter", help="the CSV field separator, one character (default: comma; tab for .tsv)")
@click.option("--strict", is_flag=True, help="an input column or key that is not a fact is an error, not a warning")
@click.option("--unique-ids", is_flag=True, help="reject a row whose id an earlier row has")
@click.option("--pretty", is_flag=True, help="indent the JSON of a single decision")
def eval_(ruleset: str, customer: str | None, customers_file: str | None, out: str | None, backend: str | None,
          columns: str | None, delimiter: str | None, strict: bool, unique_ids: bool, pretty: bool) -> None:
    """Evaluate one customer (JSON text, a JSON file, or - for stdin) or a file of them.

    A file's decisions are one per input row, each with its ``row`` (line or row number); a row
    that cannot be read or decided comes back with its ``error``. Exit 1 when a row was rejected,
    2 for input that cannot be read at all.
    """
    rs = _load(ruleset)
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns is not None else None
    if customers_file is not None:
        from marketing_rules.batch.cli import eval_batch

        raise SystemExit(eval_batch(rs.program, rs.evaluate, customers_file, out, backend, chosen, delimiter=delimiter, strict=strict,
                                    unique_ids=unique_ids))
    if customer is None:
        raise click.UsageError(_("give a CUSTOMER as JSON, or --customers FILE"))
    facts = _customer(customer)
    _names_checked(rs, facts, strict)
    try:
        decision = rs.evaluate(facts)
    except FactsError as error:
        click.echo(dumps({"error": [dict(e) for e in error.errors]}), err=True)
        raise SystemExit(BAD_INPUT) from None
    except mr.EvaluationError as error:
        click.echo(dumps({"error": str(error)}), err=True)
        raise SystemExit(FINDINGS) from None
    click.echo(dumps(decision.as_dict(), pretty))
    raise SystemExit(OK)


@main.command()
@click.argument("ruleset", type=click.Path(exists=True, dir_okay=False))
@click.argument("customer")
@click.argument("rule_id")
@click.option("--json", "as_json", is_flag=True, help="print the explanation as JSON")
def explain(ruleset: str, customer: str, rule_id: str, as_json: bool) -> None:
    """Why RULE_ID (a rule, offer or table) fired or not for CUSTOMER, and what would change that."""
    rs = _load(ruleset)
    try:
        explanation = rs.explain(_customer(customer), rule_id)
    except KeyError as error:
        click.echo(error.args[0], err=True)
        raise SystemExit(BAD_INPUT) from None
    except FactsError as error:
        from marketing_rules.model.input_rules import told

        click.echo(_("the customer is not valid: {error}", error=told(error)), err=True)
        raise SystemExit(BAD_INPUT) from None
    remedy = None
    if explanation.kind == "offer" and not explanation.fired:
        remedy = rs.what_would_it_take(_customer(customer), rule_id)
    if as_json:
        data = explanation.as_dict()
        if remedy is not None:
            data["what_would_it_take"] = {"possible": remedy.possible, "reason": remedy.reason,
                                          "changes": [c.__dict__ for c in remedy.changes]}
        click.echo(dumps(data, pretty=True))
    else:
        click.echo(str(explanation))
        if remedy is not None:
            click.echo(_("what would it take: {remedy}", remedy=remedy))


@main.command()
@click.argument("ruleset", type=click.Path(exists=True, dir_okay=False))
@click.option("--dialect", default="duckdb", show_default=True,
              type=click.Choice(["duckdb", "spark", "hive", "trino", "postgres"]))
@click.option("--table", default="customers", show_default=True, help="the table of customers the query reads")
@click.option("--out", type=click.Path(dir_okay=False), help="write the query to this file")
def sql(ruleset: str, dialect: str, table: str, out: str | None) -> None:
    """The ruleset as one SQL query over a table of customers, for running in a warehouse."""
    from marketing_rules.backends.sql_expressions import UnsupportedInSQL

    rs = _load(ruleset)
    try:
        text = rs.to_sql(dialect, table=table)
    except UnsupportedInSQL as error:
        click.echo(f"{ruleset}: {error}", err=True)
        raise SystemExit(FINDINGS) from None
    _write_or_echo(text, out)


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), help="write the schema to this file")
def schema(out: str | None) -> None:
    """The JSON Schema of the rule file format, for editor completion and checking."""
    from marketing_rules.model.json_schema import rule_file_schema

    text = dumps(rule_file_schema(), pretty=True)
    _write_or_echo(text, out)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="print the reports as JSON")
@click.option("-v", "--verbose", is_flag=True, help="list every property proved")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="seconds for the whole check of each file; what is left undecided is reported unknown")
@click.option("--progress", is_flag=True, help="show the questions answered so far on stderr (long runs)")
def check(paths: tuple[str, ...], as_json: bool, verbose: bool, timeout: float, progress: bool) -> None:
    """Prove a ruleset consistent, or show customers who break it (overlaps, gaps, dead rules...)."""
    reports = []
    for path in _rule_files(paths):
        rs = _load(path)
        started = time.perf_counter()
        report = rs.check(timeout=timeout, progress=progress)
        reports.append(report)
        if not as_json:
            click.echo(report.render(verbose) + _("   ({seconds:.1f} s)", seconds=time.perf_counter() - started))
    if as_json:
        click.echo(dumps([r.as_dict() for r in reports], pretty=True))
    raise SystemExit(FINDINGS if any(r.findings for r in reports) else OK)


@main.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--strict", is_flag=True, help="a fact, offer, tag, service or rule the ruleset does not have fails "
                                               "its scenario (default: a warning)")
def test_(paths: tuple[str, ...], strict: bool) -> None:
    """Run scenario files (*.test.yaml) under PATHS (default: rulesets/), with rule coverage."""
    from marketing_rules.testing.scenarios import run

    try:
        report = run(paths or ("rulesets",), strict)
    except RulesetError as error:
        click.echo(error.render(), err=True)
        raise SystemExit(BAD_INPUT) from None
    if not report.results:
        click.echo(_("no scenario file (*.test.yaml) found in {paths}", paths=", ".join(paths or ("rulesets",))), err=True)
        raise SystemExit(FINDINGS)
    click.echo(report.render())
    uncovered = any(report.uncovered.values())
    raise SystemExit(FINDINGS if report.failed or uncovered else OK)



@main.command()
@click.argument("root", default="rulesets", type=click.Path(exists=True, file_okay=False))
def versions(root: str) -> None:
    """Every ruleset and version under ROOT, with effective windows and release state."""
    from marketing_rules.versioning.registry import Registry

    try:
        registry = Registry(root)
    except RulesetError as error:
        click.echo(error.render(), err=True)
        raise SystemExit(FINDINGS) from None
    for rs in registry:
        window = _("always")
        if rs.effective is not None:
            window = f"{rs.effective.from_} .. {rs.effective.until or ''}"
        released = _("released") if registry.lock.fingerprint(rs.id, rs.version) else _("draft")
        click.echo(f"{rs.id:<18} {rs.version:<8} {fit(window, 26)} {fit(released, 9)} {rs.fingerprint}  {rs.title}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def release(paths: tuple[str, ...]) -> None:
    """Record rule files as released in their folder's rulesets.lock: from now on they cannot change."""
    for path in paths:
        rs = _load(path)
        root = Path(path).resolve().parent.parent
        lock = find_lock(Path(path).resolve()) or Lock(root / LOCK_NAME)
        try:
            added = lock.release(rs)
        except ValueError as error:
            click.echo(f"{path}: {error}", err=True)
            raise SystemExit(FINDINGS) from None
        lock.write()
        shown = {"ruleset": rs.id, "version": rs.version, "fingerprint": rs.fingerprint}
        if added:
            click.echo(_("released: {ruleset} {version} {fingerprint}", **shown))
        else:
            click.echo(_("already released: {ruleset} {version} {fingerprint}", **shown))


@main.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--customers", "customers_file", type=click.Path(exists=True, dir_okay=False),
              help="a file of customers to measure the impact on: JSON lines, CSV or Parquet")
@click.option("--delimiter", help="the CSV field separator, one character (default: comma; tab for .tsv)")
@click.option("--strict", is_flag=True, help="an input column that is not a fact is an error, not a warning")
@click.option("--city", type=int, help="measure the impact on this many synthetic customers")
@click.option("--seed", default=2026, show_default=True)
@click.option("--log", "log_path", type=click.Path(exists=True, dir_okay=False),
              help="replay the customers of OLD's ruleset logged by marketing-rules serve (the release gate)")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="with --log: only decisions from this day on")
@click.option("--fail-over", type=click.FloatRange(0, 100), help="exit 1 when more than PCT percent of the decisions change")
def diff(old: str, new: str, customers_file: str | None, delimiter: str | None, strict: bool, city: int | None,
         seed: int, log_path: str | None, since: Any, fail_over: float | None) -> None:
    """What changed from OLD to NEW, and with customers, who gains or loses which offer.

    With --log, the release gate: the logged traffic decided under both versions, the share of
    changed decisions and the change in reward cost; --fail-over PCT exits 1 above PCT percent.
    """
    from marketing_rules.versioning.diff import impact, release_gate, structural

    before, after = _load(old), _load(new)
    changes = structural(before, after)
    click.echo(_("{old_ruleset} {old_version} -> {new_ruleset} {new_version}: {count} changes", old_ruleset=before.id,
                 old_version=before.version, new_ruleset=after.id, new_version=after.version, count=len(changes)))
    for change in changes:
        click.echo(f"  {change}")
    customers: Any = None
    if log_path:
        try:
            from marketing_rules.service.log import logged_customers

            sample = list(logged_customers(log_path, ruleset=before.id, since=since.date() if since else None))
        except Exception as error:  # duckdb.Error: not a log, or a running server holds it
            _bad_input(_("cannot read the decision log {file}: {error}", file=log_path, error=error))
        gate = release_gate(before, after, sample, fail_over=fail_over)
        click.echo("\n" + _("replaying {count:,} logged decisions of {ruleset}", count=len(sample), ruleset=before.id))
        click.echo(gate.render())
        raise SystemExit(OK if gate.passed else FINDINGS)
    if customers_file:
        from marketing_rules.batch.cli import customer_rows

        customers = customer_rows(after.program, customers_file, delimiter, strict)
    elif city:
        from marketing_rules.synthetic import customers as synthetic

        customers = synthetic(city, seed)
    if customers is not None:
        try:
            measured = impact(before, after, customers)
        except (ValueError, ImportError, OSError) as error:  # SourceError among them
            _bad_input(str(error))
        click.echo("")
        click.echo(measured.render())


@main.command()
@click.option("-n", "--count", "count", default=20_000, show_default=True, help="how many synthetic customers")
@click.option("--seed", default=2026, show_default=True)
@click.option("--ruleset", "ruleset_path", type=click.Path(exists=True, dir_okay=False),
              help="one rule file (default: every shipped ruleset in force on the demo date)")
def demo(count: int, seed: int, ruleset_path: str | None) -> None:
    """Decide a synthetic city with every shipped ruleset in force, and summarise it."""
    from marketing_rules.demo import run_demo

    raise SystemExit(run_demo(count, seed, ruleset_path))


@main.command()
@click.argument("survey", type=click.Path(exists=True, dir_okay=False))
@click.option("--critical", type=Decimal, default=Decimal("0.5"), show_default=True,
              help="the critical value: a class with any PE below it is not offered to the tier")
@click.option("--against", "against", type=click.Path(exists=True, dir_okay=False),
              help="a rule file whose access matrix is compared with the proposal")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def pe(survey: str, critical: Decimal, against: str | None, fmt: str) -> None:
    """Purchaser expectation per service and tier from a survey (CSV or Parquet), and the access matrix it proposes.

    Exit 1 when a row was rejected (each is listed with its row number and reason).
    """
    from marketing_rules.pe import analyse, render

    if not Decimal(0) <= critical <= 1:
        raise click.BadParameter(_("{value} is not a probability between 0 and 1", value=critical), param_hint="--critical")
    report = analyse(survey, critical, _load(against) if against else None)
    click.echo(dumps(report, pretty=True) if fmt == "json" else render(report))
    raise SystemExit(FINDINGS if report["bad_rows"] else OK)


@main.command()
@click.argument("rulesets_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--log", "log_path", default="decisions.duckdb", show_default=True, type=click.Path(dir_okay=False),
              help="the DuckDB file every decision is recorded in")
@click.option("--no-log", is_flag=True, help="record nothing")
@click.option("--mask-ids", is_flag=True, help="log customer ids as salted hashes")
@click.option("--no-inputs", is_flag=True, help="log no customer inputs (no replay through diff --log)")
@click.option("--now", type=click.DateTime(["%Y-%m-%d"]), help="a fixed date for 'today' (tests, demos)")
@click.option("--no-watch", is_flag=True, help="do not reload when the folder changes")
def serve(rulesets_dir: str, host: str, port: int, log_path: str, no_log: bool, mask_ids: bool, no_inputs: bool,
          now: Any, no_watch: bool) -> None:
    """Answer decisions over HTTP (OpenAPI at /docs) from the rulesets of RULESETS_DIR.

    Needs the serve extra: pip install marketing-rules[serve].
    """
    try:
        from marketing_rules.service import serve as run
    except ImportError as error:
        _bad_input(_("{error}; install the service with: pip install marketing-rules[serve]", error=error))
    run(rulesets_dir, host=host, port=port, log_path=None if no_log else log_path, now=now.date() if now else None,
        mask_ids=mask_ids, inputs=not no_inputs, watch=not no_watch)


@main.command()
@click.argument("rulesets_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--now", type=click.DateTime(["%Y-%m-%d"]), help="a fixed date for 'today' (tests, demos)")
@click.option("--no-watch", is_flag=True, help="do not reload when the folder changes")
def workbench(rulesets_dir: str, host: str, port: int, now: Any, no_watch: bool) -> None:
    """The analyst's workbench: a web page at /workbench/ to edit, try and compare the rulesets of RULESETS_DIR.

    Needs the workbench extra: pip install marketing-rules[workbench].
    """
    try:
        from marketing_rules.service import workbench as run
    except ImportError as error:
        _bad_input(_("{error}; install the workbench with: pip install marketing-rules[workbench]", error=error))
    run(rulesets_dir, host=host, port=port, now=now.date() if now else None, watch=not no_watch)


@main.command(name="log")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--ruleset", help="only this ruleset's decisions")
@click.option("--customer", help="only this customer's decisions (its id, or its hash with --mask-ids)")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="only decisions from this day on")
@click.option("--limit", default=20, show_default=True, help="how many of the latest decisions to show")
@click.option("--export", "export_dir", type=click.Path(file_okay=False),
              help="write the whole log here as Parquet partitioned by day (day=YYYY-MM-DD/), for Spark")
def log_(path: str, ruleset: str | None, customer: str | None, since: Any, limit: int, export_dir: str | None) -> None:
    """Show the decision log a server wrote (marketing-rules serve --log PATH), or export it."""
    from marketing_rules.service import log

    try:
        if export_dir is not None:
            click.echo(_("wrote {count:,} decisions to {folder}", count=log.export(path, export_dir), folder=export_dir))
            return
        found = log.rows(path, ruleset=ruleset, since=since.date() if since else None, customer=customer, limit=limit)
    except Exception as error:  # duckdb.Error: not a log, or a server holds it
        _bad_input(_("cannot read the decision log {file}: {error}", file=path, error=error))
    click.echo(_("{count:,} decisions in {file}; the latest {shown}:", count=log.count(path), file=path, shown=len(found)))
    for row in found:
        offers = ",".join(row["offers"]) or "-"
        click.echo(f"{row['time']:%Y-%m-%d %H:%M:%S}  {row['decision_id']}  {row['ruleset']} {row['version']:<7} "
                   f"{row['customer']}  {offers}  {row['latency_us']:.0f} µs")


@main.group()
def table() -> None:
    """Decision tables as Excel workbooks: export them, edit the grid, import it back."""


@table.command(name="export")
@click.argument("ruleset", type=click.Path(exists=True, dir_okay=False))
@click.argument("table_id", metavar="TABLE")
@click.argument("out", type=click.Path(dir_okay=False))
def table_export(ruleset: str, table_id: str, out: str) -> None:
    """Write TABLE of RULESET (or 'all' its tables, a sheet each) to the .xlsx workbook OUT."""
    from marketing_rules.edit.excel import SheetError, export_tables

    try:
        sheets = export_tables(ruleset, out, None if table_id == "all" else table_id.split(","))
    except (SheetError, RulesetError) as error:
        _bad_input(error.render() if isinstance(error, RulesetError) else str(error))
    click.echo(_("wrote {file}: {sheets}", file=out, sheets=", ".join(sheets)))


@table.command(name="import")
@click.argument("ruleset", type=click.Path(exists=True, dir_okay=False))
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check and show what would change; write nothing")
def table_import(ruleset: str, workbook: str, dry_run: bool) -> None:
    """Write the rows of WORKBOOK's sheets into RULESET's tables, keeping the file's comments and layout.

    The result is loaded first: a problem is named by sheet and cell (tier-by-arpu!C7), the file
    is left as it was, and the exit code is 2. A released version is refused (MR404).
    """
    from marketing_rules.edit.excel import SheetError, import_workbook

    try:
        result = import_workbook(ruleset, workbook, write=not dry_run)
    except SheetError as error:
        _bad_input("\n".join([_("{file}: nothing written", file=workbook), *error.problems]))
    except RulesetError as error:
        _bad_input(error.render())
    tables = ", ".join(result.tables)
    if not result.tables:
        click.echo(_("{file}: unchanged", file=ruleset))
    elif dry_run:
        click.echo(_("{file}: would change {tables}", file=ruleset, tables=tables))
    else:
        click.echo(_("{file}: changed {tables}", file=ruleset, tables=tables))


from marketing_rules.campaign.cli import campaign  # noqa: E402  (the marketing loop, issue 13)

main.add_command(campaign)


if __name__ == "__main__":
    main()
