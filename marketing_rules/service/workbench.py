"""The analyst's workbench: a web page to edit, try and compare rule files, on the decision service.

``marketing-rules workbench RULESETS_DIR`` serves the page at ``/workbench/`` and its JSON endpoints
under ``/workbench/api``, beside the service's own. Every endpoint that takes the edited ``text``
loads it as the rule file it would replace (includes resolve from the file's folder), so the page
tries the text as typed, before anything is saved. Saving validates first and never writes a
released version (MR404): a change to a released version is made as a new version.

The page (``static/workbench/index.html``) needs nothing from the network: its editor is CodeMirror 6,
bundled from ``workbench-src/`` into ``static/workbench/editor.js``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from marketing_rules.engine.ruleset import Ruleset, load_ruleset
from marketing_rules.errors import Diagnostic, RulesetError
from marketing_rules.i18n import _
from marketing_rules.service.answers import answer, decide
from marketing_rules.service.store import NotInForce, Store

STATIC = Path(__file__).parent / "static" / "workbench"
CITY_MAX = 20_000
CHECK_TIMEOUT = 30.0


class Edited(BaseModel):
    """The rule file's text as the editor holds it."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=2_000_000)


class Trial(Edited):
    customer: dict[str, Any]


class ImpactRequest(Edited):
    city: int = Field(2_000, ge=1, le=CITY_MAX, description="synthetic customers, when no file is given")
    seed: int = 2026
    file_name: str | None = Field(None, description="a customer file's name (.csv, .jsonl, .parquet)")
    file_text: str | None = Field(None, description="its content")


class NewVersion(Edited):
    version: str = Field(description="the new version's number, e.g. 1.3.0")


class Rows(Edited):
    rows: list[list[Any]]


class Refused(ValueError):
    """A request the workbench will not carry out: HTTP 409 with the diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("; ".join(d.message for d in diagnostics))


def add_workbench(app: FastAPI, store: Store) -> None:
    """Mount the page at ``/workbench/`` and its endpoints at ``/workbench/api`` on ``app``."""
    app.include_router(_router(store), prefix="/workbench/api", tags=["workbench"])

    def refused(request: Any, error: Exception) -> Response:
        assert isinstance(error, Refused)
        return answer({"detail": [_diagnostic(d) for d in error.diagnostics]}, 409)

    app.add_exception_handler(Refused, refused)

    @app.get("/workbench", include_in_schema=False)
    def to_page() -> Response:
        return RedirectResponse("/workbench/")

    @app.get("/workbench/", include_in_schema=False)
    def page() -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/workbench/editor.js", include_in_schema=False)
    def editor() -> Response:
        return FileResponse(STATIC / "editor.js", media_type="text/javascript; charset=utf-8")


def _router(store: Store) -> APIRouter:
    router = APIRouter()
    version_path = "/rulesets/{ruleset}/{version}"

    @router.get("/rulesets")
    def rulesets() -> Response:
        """Every ruleset's versions: released or not, which is in force, the file."""
        return answer({"today": store.today(), "rulesets": _listing(store)})

    @router.get(version_path)
    def read(ruleset: str, version: str) -> Response:
        """The version's rule file as saved, and the facts its customer form asks for."""
        rs = store.get(ruleset, version=version)
        path = _path(rs)
        return answer({"ruleset": ruleset, "version": version, "text": path.read_text(encoding="utf-8"),
                       "released": _released(store, rs), "file": str(path.relative_to(store.root.resolve())),
                       "facts": form_facts(rs), "tables": [t["id"] for t in tables_of(rs)]})

    @router.post(f"{version_path}/validate")
    def validate(ruleset: str, version: str, body: Edited) -> Response:
        """The diagnostics of the edited text, each with its line and column; none when it loads."""
        rs = store.get(ruleset, version=version)
        try:
            edited = load_ruleset(_path(rs), text=body.text)
        except RulesetError as error:
            return answer({"ok": False, "diagnostics": [_diagnostic(d) for d in error.diagnostics]})
        return answer({"ok": True, "diagnostics": [], "fingerprint": edited.fingerprint,
                       "facts": form_facts(edited), "tables": [t["id"] for t in tables_of(edited)]})

    @router.post(f"{version_path}/evaluate")
    def evaluate(ruleset: str, version: str, body: Trial) -> Response:
        """The customer's decision under the edited text; why each offer is given or not, and what it would take."""
        rs = _edited(store, ruleset, version, body.text)
        decision = decide(rs, body.customer, ("body", "customer"))
        return answer({"decision": decision.as_dict(), "offers": _offers(rs, body.customer)})

    @router.post(f"{version_path}/scenarios")
    def scenarios(ruleset: str, version: str, body: Edited) -> Response:
        """The version's scenario file run against the edited text, with the rules no scenario fired."""
        return answer(run_scenarios(_edited(store, ruleset, version, body.text)))

    @router.post(f"{version_path}/impact")
    def impact(ruleset: str, version: str, body: ImpactRequest) -> Response:
        """Who gains or loses what from the version in force to the edited text, over customers."""
        new = _edited(store, ruleset, version, body.text)
        old = _in_force(store, ruleset, version)
        return answer({"from": f"{old.id} {old.version}", "to": f"{new.id} {new.version}",
                       **impact_of(old, new, body)})

    @router.post(f"{version_path}/check")
    def check(ruleset: str, version: str, body: Edited) -> Response:
        """The checker's findings on the edited text, each with a witness customer where there is one."""
        return answer(_edited(store, ruleset, version, body.text).check(timeout=CHECK_TIMEOUT).as_dict())

    @router.post(f"{version_path}/tables")
    def tables(ruleset: str, version: str, body: Edited) -> Response:
        """The decision tables of the edited text as grids: inputs, outputs and rows."""
        return answer({"tables": tables_of(_edited(store, ruleset, version, body.text))})

    @router.post(f"{version_path}/tables/{{table}}")
    def write_table(ruleset: str, version: str, table: str, body: Rows) -> Response:
        """The edited text with the table's rows replaced, comments and layout kept (not saved)."""
        from marketing_rules.edit.rows import RowsError, write_rows

        rs = store.get(ruleset, version=version)
        try:
            written = write_rows(body.text, table, body.rows, str(_path(rs)))
        except RowsError as error:
            raise HTTPException(422, str(error)) from None
        return answer({"text": written.text, "lines": list(written.lines)})

    @router.post(f"{version_path}/save")
    def save(ruleset: str, version: str, body: Edited) -> Response:
        """Write the edited text to the version's file: only when it loads cleanly, never a released version."""
        rs = store.get(ruleset, version=version)
        path = _path(rs)
        if _released(store, rs):
            raise Refused([Diagnostic(
                "MR404", _("{ruleset} {version} is released; a released version is never overwritten",
                           ruleset=ruleset, version=version),
                file=str(path), hint=_("make the change in a new version"))])
        edited = _edited(store, ruleset, version, body.text)
        if (edited.id, edited.version) != (ruleset, version):
            code, file = ("MR401" if edited.id == ruleset else "MR402"), f"{ruleset}/{version}.yaml"
            raise Refused([Diagnostic(code, _("the text is {text_ruleset} {text_version}, but the file is {file}",
                                              text_ruleset=edited.id, text_version=edited.version, file=file),
                                      file=str(path),
                                      hint=_("a new version is a new file: copy this one under the new version's name"))])
        write_or_undo(store, path, body.text)
        return answer({"saved": str(path.relative_to(store.root.resolve())), "fingerprint": edited.fingerprint})

    @router.post(f"{version_path}/save-as")
    def save_as(ruleset: str, version: str, body: NewVersion) -> Response:
        """The edited text as a new version file beside this one, its ``version:`` set to the new number."""
        from marketing_rules.load.lock import CANONICAL_VERSION

        rs = store.get(ruleset, version=version)
        path = _path(rs).with_name(f"{body.version}.yaml")
        if not CANONICAL_VERSION.match(body.version):
            raise Refused([Diagnostic("MR401", _("{version} is not a version number like 1.3.0", version=repr(body.version)),
                                      file=str(path))])
        if body.version in store.index.get(ruleset, {}) or path.exists():
            raise Refused([Diagnostic("MR403", _("{ruleset} {version} exists already", ruleset=ruleset, version=body.version),
                                      file=str(path), hint=_("choose a version number not used yet"))])
        text, count = _VERSION_LINE.subn(lambda m: f"{m.group(1)}{body.version}{m.group(3)}", body.text, count=1)
        if not count:
            raise Refused([Diagnostic("MR010", _("the text has no top-level 'version:' line to change"), file=str(path))])
        try:
            edited = load_ruleset(path, text=text)
        except RulesetError as error:
            raise Refused(list(error.diagnostics)) from None
        write_or_undo(store, path, text)
        return answer({"saved": str(path.relative_to(store.root.resolve())), "version": body.version,
                       "fingerprint": edited.fingerprint})

    return router


_VERSION_LINE = re.compile(r"^(version:[ \t]*)([^\s#]+)(.*)$", re.MULTILINE)


def write_or_undo(store: Store, path: Path, text: str) -> None:
    """Write ``text`` to ``path`` and reload the folder; when its ruleset no longer loads (two versions
    in force at once, say), put the file back as it was and refuse with the folder's diagnostics."""
    before = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(text, encoding="utf-8")
    if store.reload() and not (store.last_error and path.parent.name in store.last_error.held_back):
        return
    if before is None:
        path.unlink()
    else:
        path.write_text(before, encoding="utf-8")
    problems = list(store.last_error.diagnostics) if store.last_error else []
    store.reload()
    raise Refused(problems)


# -- what the endpoints answer ----------------------------------------------------------------------
def _listing(store: Store) -> list[dict[str, Any]]:
    root = store.root.resolve()
    found: dict[str, dict[str, Any]] = {}
    for rs, released, in_force in store.versions():
        entry = found.setdefault(rs.id, {"ruleset": rs.id, "title": rs.title, "versions": []})
        entry["versions"].append({"version": rs.version, "title": rs.title, "fingerprint": rs.fingerprint,
                                  "released": released, "in_force": in_force,
                                  "file": str(_path(rs).relative_to(root))})
    return list(found.values())


def form_facts(rs: Ruleset) -> list[dict[str, Any]]:
    """The schema's facts, as a customer form asks for them: name, type, allowed values and bounds, and
    whether a rule or table of ``rs`` reads the fact (``used``)."""
    schema = rs.program.schema
    read = frozenset().union(*(unit.reads for unit in rs.program.units))
    return [{"name": f.name, "type": f.type, "values": list(f.values), "ge": f.ge, "le": f.le, "title": f.title,
             "used": f.name in read} for f in schema.facts] if schema is not None else []


def tables_of(rs: Ruleset) -> list[dict[str, Any]]:
    return [{"id": t.id, "title": t.title, "hit": t.hit.value, "inputs": [i.text for i in t.inputs],
             "outputs": list(t.outputs), "rows": _rows(rs, t.id)} for t in rs.program.tables]


def _rows(rs: Ruleset, table: str) -> list[list[Any]]:
    for item in rs.file.tables or []:
        if item.id == table:
            return [list(row) for row in item.rows]
    return []


def _offers(rs: Ruleset, customer: dict[str, Any]) -> list[dict[str, Any]]:
    """Each offer of the ruleset: its explanation, and for one not given, what would it take."""
    found = []
    for unit in rs.program.rules:
        if unit.offer is None:
            continue
        explained = rs.explain(customer, unit.id)
        entry: dict[str, Any] = {"offer": unit.id, "title": unit.title, "eligible": explained.fired,
                                 "explanation": explained.as_dict(), "text": str(explained)}
        if not explained.fired:
            remedy = rs.what_would_it_take(customer, unit.id)
            entry["what_would_it_take"] = {"possible": remedy.possible, "reason": remedy.reason, "text": str(remedy),
                                           "changes": [{"fact": c.fact, "before": c.before, "after": c.after}
                                                       for c in remedy.changes]}
        found.append(entry)
    return found


def run_scenarios(rs: Ruleset) -> dict[str, Any]:
    """Each scenario of the version's ``.test.yaml`` checked against ``rs``; the rules none fired."""
    from marketing_rules.testing.scenarios import check, read_scenarios

    assert rs.path is not None
    test_file = Path(rs.path).with_name(f"{rs.version}.test.yaml")
    if not test_file.is_file():
        return {"file": None, "results": [], "passed": 0, "failed": 0, "uncovered": [u.id for u in rs.program.units]}
    results: list[dict[str, Any]] = []
    fired: set[str] = set()
    for scenario in read_scenarios(test_file):
        result = check(rs, scenario)
        fired.update(f.split("#")[0] for f in result.fired)
        results.append({"name": scenario.name, "line": scenario.line, "passed": result.passed,
                        "failures": result.failures, "warnings": result.warnings, "given": scenario.given})
    units = [u.id for u in rs.program.units]
    passed = sum(1 for r in results if r["passed"])
    return {"file": test_file.name, "results": results, "passed": passed, "failed": len(results) - passed,
            "covered": [u for u in units if u in fired], "uncovered": [u for u in units if u not in fired]}


def impact_of(old: Ruleset, new: Ruleset, body: ImpactRequest) -> dict[str, Any]:
    from marketing_rules.versioning.diff import impact, structural

    city = f"{body.city:,}"
    with _customers(new, body) as customers:
        measured = impact(old, new, customers)
    offers = sorted(set(measured.offers_before) | set(measured.offers_after))
    return {
        "source": body.file_name or _("{count} synthetic customers (seed {seed})", count=city, seed=body.seed),
        "changes": [str(c) for c in structural(old, new)],
        "customers": measured.customers, "rejected": measured.rejected, "changed": measured.changed,
        "cost_before": measured.cost_before, "cost_after": measured.cost_after,
        "offers": [{"offer": o, "before": measured.offers_before[o], "after": measured.offers_after[o],
                    "gained": measured.gained[o].count if o in measured.gained else 0,
                    "lost": measured.lost[o].count if o in measured.lost else 0} for o in offers],
        "facts": [{"fact": fact, "before": b, "after": a, "count": move.count, "samples": move.samples}
                  for fact, moves in measured.facts.items() for (b, a), move in moves.items()],
    }


class _customers:
    """The customers an impact is measured on: an uploaded file (read as ``diff --customers`` reads it) or a city."""

    def __init__(self, rs: Ruleset, body: ImpactRequest):
        self.rs, self.body = rs, body
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Iterable[dict[str, Any]]:
        body = self.body
        if body.file_text is None:
            from marketing_rules.synthetic import customers

            return customers(body.city, body.seed)
        name = Path(body.file_name or "customers.csv").name
        if Path(name).suffix.lower() not in (".csv", ".tsv", ".jsonl", ".json", ".ndjson"):
            raise HTTPException(422, _("{file}: a customer file is .csv, .tsv or .jsonl", file=name))
        self.folder = tempfile.TemporaryDirectory(prefix="workbench-")
        path = Path(self.folder.name) / name
        path.write_text(body.file_text, encoding="utf-8")
        return _read(self.rs, path)

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            self.folder.cleanup()


def _read(rs: Ruleset, path: Path) -> Iterator[dict[str, Any]]:
    from marketing_rules.batch.cli import customer_rows

    try:
        yield from list(customer_rows(rs.program, str(path)))
    except (ValueError, OSError) as error:
        raise HTTPException(422, f"{path.name}: {error}") from None


# -- helpers ----------------------------------------------------------------------------------------
def _path(rs: Ruleset) -> Path:
    assert rs.path is not None
    return Path(rs.path).resolve()


def _released(store: Store, rs: Ruleset) -> bool:
    return store.current().lock.fingerprint(rs.id, rs.version) is not None


def _edited(store: Store, ruleset: str, version: str, text: str) -> Ruleset:
    """The edited text loaded as the version's file; diagnostics are a 409 for the page to show."""
    rs = store.get(ruleset, version=version)
    try:
        return load_ruleset(_path(rs), text=text)
    except RulesetError as error:
        raise Refused(list(error.diagnostics)) from None


def _in_force(store: Store, ruleset: str, version: str) -> Ruleset:
    """The version in force today; the saved file itself when that is the version edited, or none is in force."""
    try:
        return store.get(ruleset)
    except NotInForce:
        return store.get(ruleset, version=version)


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {"code": d.code, "message": d.message, "line": d.line, "column": d.column, "rule": d.rule,
            "hint": d.hint, "text": d.render()}


