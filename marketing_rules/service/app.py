"""The decision service: FastAPI endpoints over a :class:`Store` of rulesets (OpenAPI at ``/docs``).

Decisions are answered exactly as ``marketing-rules eval`` prints them, plus ``decision_id``; with a
decision log, a decision is answered only once its record is committed. Bad input is a 422 whose
``detail`` names the place of each problem (``["body", "customer", "arpu_3m"]``), never a 500.

Every request is answered in the language it asks for: ``?lang=zh`` (or ``en``), else the first
Chinese or English language of its ``Accept-Language`` header, else the server's
(``MARKETING_RULES_LANG``, else English). Messages (diagnostics, explanations, reasons, errors) are
made in that language; JSON field names, ids, facts and codes never change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from marketing_rules.engine.decision import Decision
from marketing_rules.engine.ruleset import Ruleset
from marketing_rules.i18n import LANGUAGES, _, messages_in, normalise
from marketing_rules.service import tmf679
from marketing_rules.service.answers import BadCustomer, answer, decide, dumps
from marketing_rules.service.store import NotFound, NotInForce, NotReady, Store

if TYPE_CHECKING:
    from marketing_rules.service.log import DecisionLog

MAX_BATCH = 1_000
MAX_BODY = 8 * 1024 * 1024  # bytes of one request body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- request and response models (the OpenAPI schema) ----------------------------------------------
class DecisionRequest(BaseModel):
    """One customer, or up to 1,000; the version in force on ``at`` (default today) unless ``version``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"customer": {"id": "13900000001", "card": "gold", "arpu_3m": 260.0}, "at": "2027-01-15"}]})
    customer: dict[str, Any] | None = Field(None, description="the customer's facts, as for `marketing-rules eval`")
    customers: list[dict[str, Any]] | None = Field(None, max_length=MAX_BATCH, description="a batch of customers")
    at: dt.date | None = Field(None, description="decide with the version in force on this date")
    version: str | None = Field(None, description="decide with this version, in force or not")

    @model_validator(mode="after")
    def one_of(self) -> DecisionRequest:
        if (self.customer is None) == (self.customers is None):
            raise ValueError(_("give either customer or customers"))
        return self


class CustomerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: dict[str, Any]
    at: dt.date | None = None
    version: str | None = None


class DecisionAnswer(BaseModel):
    """A decision as ``marketing-rules eval`` prints it, with the id of its log record."""

    decision_id: str
    ruleset: str
    version: str
    fingerprint: str
    facts: dict[str, Any]
    tags: list[str]
    offers: list[dict[str, Any]]
    access: dict[str, Any]
    points: float
    fired: list[str]


class BatchAnswer(BaseModel):
    decisions: list[DecisionAnswer]


class Problem(BaseModel):
    detail: Any


#: What a TMF679 check or query can answer besides its result (the OpenAPI document lists them).
QUALIFICATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "acknowledged (instantSyncQualification: false)"},
    202: {"description": "acknowledged (Expect: 202-Accepted)"},
    404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}}


# -- the application ------------------------------------------------------------------------------
def create_app(store: Store, log: DecisionLog | None = None, *, watch: bool = False, workbench: bool = False) -> FastAPI:
    """The service over ``store``; ``log`` a :class:`~marketing_rules.service.log.DecisionLog` or None;
    ``watch`` reloads the folder when its files change; ``workbench`` adds the analyst's page at /workbench/."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher = None
        if watch:
            from marketing_rules.service.watch import Watcher

            watcher = Watcher(store)
            watcher.start()
        try:
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            await app.state.tmf679_hub.close()
            if log is not None:
                log.close()

    app = FastAPI(title="marketing_rules decision service", version="1", lifespan=lifespan,
                  description="Decisions, explanations and TMF679 qualification over a folder of rulesets. "
                              "Messages are in the language asked: `?lang=zh` or `en`, else the `Accept-Language` "
                              "header, else the server's (`MARKETING_RULES_LANG`, else English).")
    app.state.store, app.state.log = store, log
    _errors(app)
    _routes(app, store, log)
    _tmf679(app, store, log)
    if workbench:
        from marketing_rules.service.workbench import add_workbench

        add_workbench(app, store)
    app.add_middleware(_BodyLimit)
    app.add_middleware(_Language)  # outermost: every message of the request is made in its language
    return app


def create_asgi(store: Store, log: DecisionLog | None = None, *, watch: bool = False) -> ASGIApp:
    """:func:`create_app` behind the fast path for decisions: what ``marketing-rules serve`` runs."""
    return _FastDecisions(create_app(store, log, watch=watch), store, log)


def _routes(app: FastAPI, store: Store, log: DecisionLog | None) -> None:
    @app.get("/health", tags=["service"])
    def health() -> Response:
        """Ready or not, the versions loaded and in force, the last failed reload with its diagnostics."""
        report = {**health_report(store, log), "tmf679_hub": app.state.tmf679_hub.status()}
        return answer(report, 200 if store.registry is not None else 503)

    @app.get("/v1/rulesets", tags=["rulesets"])
    def rulesets() -> Response:
        """Every ruleset and version: effective window, fingerprint, released, and which is in force."""
        return answer({"today": store.today(), "rulesets": listing(store)})

    @app.get("/v1/log", tags=["service"], responses={503: {"model": Problem}})
    def decision_log(ruleset: str | None = None, since: dt.date | None = None, customer: str | None = None,
                     limit: int = Query(20, ge=1, le=1000)) -> Response:
        """The latest logged decisions that match, newest first (what ``marketing-rules log`` prints)."""
        from marketing_rules.service.log import LogUnavailable

        if log is None:
            raise LogUnavailable(_("this server keeps no decision log (--no-log)"))
        return answer({"decisions": log.latest(ruleset=ruleset, since=since, customer=customer, limit=limit)})

    @app.post("/v1/rulesets/{ruleset}/decisions", tags=["decisions"],
              responses={200: {"model": DecisionAnswer | BatchAnswer}, 404: {"model": Problem},
                         409: {"model": Problem}, 422: {"model": Problem}})
    async def decisions(ruleset: str, body: DecisionRequest) -> Response:
        """Decide one customer (``customer``) or a batch (``customers``, at most 1,000)."""
        return Response(await decide_request(store, log, ruleset, body), media_type="application/json")

    @app.post("/v1/rulesets/{ruleset}/explanations/{target}", tags=["decisions"],
              responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
    def explanation(ruleset: str, target: str, body: CustomerRequest) -> Response:
        """Why a rule, offer or table fired or not for the customer: each condition with the values it saw."""
        rs = store.get(ruleset, at=body.at, version=body.version)
        decide(rs, body.customer, ("body", "customer"))  # a bad customer is a 422 before a 404
        try:
            explained = rs.explain(body.customer, target)
        except KeyError as error:
            raise NotFound(error.args[0]) from None
        return answer({**_identity(rs), **explained.as_dict()})

    @app.post("/v1/rulesets/{ruleset}/what-would-it-take/{offer}", tags=["decisions"],
              responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
    def what_would_it_take(ruleset: str, offer: str, body: CustomerRequest) -> Response:
        """The smallest change of the customer's numeric facts that makes the offer eligible, if any."""
        rs = store.get(ruleset, at=body.at, version=body.version)
        decide(rs, body.customer, ("body", "customer"))
        try:
            remedy = rs.what_would_it_take(body.customer, offer)
        except KeyError as error:
            raise NotFound(error.args[0]) from None
        return answer({**_identity(rs), "offer": remedy.offer, "customer": remedy.customer,
                       "already": remedy.already, "possible": remedy.possible, "reason": remedy.reason,
                       "changes": [{"fact": c.fact, "before": c.before, "after": c.after} for c in remedy.changes]})


def _tmf679(app: FastAPI, store: Store, log: DecisionLog | None) -> None:
    from marketing_rules.service.hub import Hub

    async def decided(rs: Ruleset, parties: list[tmf679.RelatedPartyOrPartyRole]) -> tuple[dict[str, Any], Decision, str]:
        found = tmf679.customer_of(parties)
        if found is None:
            raise BadCustomer([{"loc": ["body", "relatedParty"], "type": "missing",
                                "msg": _("no related party with role 'customer' (the facts are its characteristic)")}])
        facts, where = found
        started = time.perf_counter()
        decision = decide(rs, facts, where)
        latency, decision_id = time.perf_counter() - started, next_id()
        if log is not None:
            await log.append(log.entries([decision], [decision_id], [facts], store.today(), latency))
        return facts, decision, decision_id

    path = f"/v1/rulesets/{{ruleset}}{tmf679.BASE}"
    CHECK, QUERY = "checkProductOfferingQualification", "queryProductOfferingQualification"
    answered = {CHECK: tmf679.Answered(), QUERY: tmf679.Answered()}
    hub = app.state.tmf679_hub = Hub()
    working: set[asyncio.Task[None]] = set()

    def kept(ruleset: str, resource: str, resource_id: str) -> dict[str, Any]:
        found = answered[resource].get(ruleset, resource_id) if resource in answered else None
        if found is None:
            raise tmf679.TmfError(404, "notFound", _(
                "no {resource} '{id}' for {ruleset}: this server keeps the newest {count} it answered",
                resource=resource, id=resource_id, ruleset=ruleset, count=f"{tmf679.KEPT:,}"))
        return found

    def created(ruleset: str, resource: str, made: dict[str, Any]) -> dict[str, Any]:
        hub.publish(ruleset, resource, "CreateEvent", answered[resource].keep(ruleset, made))
        return made

    def changed(ruleset: str, resource: str, new: dict[str, Any], change: str) -> bool:
        if not answered[resource].replace(ruleset, new):
            return False
        hub.publish(ruleset, resource, change, new)
        return True

    def qualify(ruleset: str, resource: str, task: dict[str, Any], make: Callable[[], dict[str, Any]],
                status: int) -> Response:
        """Answer ``status`` with the acknowledged task; qualify in the background (inProgress, then done)."""
        async def work() -> None:
            await asyncio.sleep(0)  # the acknowledgement goes out first
            now_kept = answered[resource].get(ruleset, task["id"])
            if now_kept is None or now_kept["state"] != "acknowledged":  # deleted or cancelled already
                return
            changed(ruleset, resource, {**now_kept, "state": "inProgress"}, "StateChangeEvent")
            try:
                result = tmf679.finished(await asyncio.to_thread(make), task)
            except Exception as error:  # noqa: BLE001 - the task ends terminatedWithError, with the error as a note
                result = tmf679.failed(task, error)
            now_kept = answered[resource].get(ruleset, task["id"])
            if now_kept is not None and now_kept["state"] == "inProgress":  # not cancelled nor deleted meanwhile
                changed(ruleset, resource, tmf679.finished(result, now_kept), "StateChangeEvent")

        created(ruleset, resource, task)
        running = asyncio.get_running_loop().create_task(work())
        working.add(running)
        running.add_done_callback(working.discard)
        return answer(task, status, {"Location": task["href"]})

    def asynchronous(request: Request, body: tmf679.CheckRequest | tmf679.QueryRequest) -> int | None:
        """202 for ``Expect: 202-Accepted`` (v5), 201 for ``instantSyncQualification: false`` (v4's way), else None."""
        if request.headers.get("expect", "").lower() == "202-accepted":
            return 202
        return 201 if body.instantSyncQualification is False else None

    @app.post(f"{path}/hub", tags=["TMF679"], status_code=201,
              responses={400: {"model": tmf679.ErrorBody}, 404: {"model": Problem}, 422: {"model": Problem}})
    async def register_listener(ruleset: str, body: tmf679.HubRequest, request: Request) -> Response:
        """TMF630: register a listener; the events of this ruleset that match ``query`` are posted to ``callback``."""
        if ruleset not in store.index:
            store.get(ruleset)  # the 404 with the rulesets there are
        listener = hub.register(ruleset, body.callback, body.query, request.url.path)
        return answer(listener, 201, {"Location": listener["href"]})

    @app.get(f"{path}/hub/{{listener_id}}", tags=["TMF679"], responses={404: {"model": tmf679.ErrorBody}})
    async def listener(ruleset: str, listener_id: str) -> Response:
        """TMF630: a registered listener."""
        found = hub.get(ruleset, listener_id)
        if found is None:
            raise tmf679.TmfError(404, "notFound", _("no listener '{id}' for {ruleset}", id=listener_id, ruleset=ruleset))
        return answer(found)

    @app.delete(f"{path}/hub/{{listener_id}}", tags=["TMF679"], status_code=204, responses={404: {"model": tmf679.ErrorBody}})
    async def unregister_listener(ruleset: str, listener_id: str) -> Response:
        """TMF630: unregister a listener."""
        if not hub.remove(ruleset, listener_id):
            raise tmf679.TmfError(404, "notFound", _("no listener '{id}' for {ruleset}", id=listener_id, ruleset=ruleset))
        return Response(status_code=204)

    @app.post(f"{path}/{CHECK}", tags=["TMF679"],
              responses=QUALIFICATION_RESPONSES)
    async def check_product_offering_qualification(ruleset: str, body: tmf679.CheckRequest, request: Request) -> Response:
        """TMF679 v5: qualify the customer for each offering asked (default: every offer in force)."""
        rs = store.get(ruleset)
        facts, decision, check_id = await decided(rs, body.relatedParty)
        href = f"{request.url.path}/{check_id}"
        status = asynchronous(request, body)
        if status is None:
            return answer(created(ruleset, CHECK, tmf679.check(rs, body, facts, decision, check_id, href)))
        task = tmf679.acknowledged("CheckProductOfferingQualification", body, check_id, href)
        return qualify(ruleset, CHECK, task, lambda: tmf679.check(rs, body, facts, decision, check_id, href), status)

    @app.post(f"{path}/{QUERY}", tags=["TMF679"],
              responses=QUALIFICATION_RESPONSES)
    async def query_product_offering_qualification(ruleset: str, body: tmf679.QueryRequest, request: Request) -> Response:
        """TMF679 v5: the offerings the customer qualifies for, optionally of one category (offer group)."""
        rs = store.get(ruleset)
        decision, query_id = (await decided(rs, body.relatedParty))[1:]
        href = f"{request.url.path}/{query_id}"
        status = asynchronous(request, body)
        if status is None:
            return answer(created(ruleset, QUERY, tmf679.query(rs, body, decision, query_id, href)))
        task = tmf679.acknowledged("QueryProductOfferingQualification", body, query_id, href)
        return qualify(ruleset, QUERY, task, lambda: tmf679.query(rs, body, decision, query_id, href), status)

    @app.get(f"{path}/{{resource}}", tags=["TMF679"], responses={400: {"model": tmf679.ErrorBody}, 404: {"model": tmf679.ErrorBody}})
    async def list_product_offering_qualifications(ruleset: str, resource: str, request: Request,
                                                   fields: str | None = None, offset: str | None = None,
                                                   limit: str | None = None) -> Response:
        """TMF679 v5: the kept checks (or queries) of this ruleset, newest first; TMF630's ``offset``,
        ``limit`` (default 100, at most 1,000), ``fields``, and attribute filters (``state=done``)."""
        if resource not in answered:
            raise tmf679.TmfError(404, "notFound", _("no resource '{resource}': there are {resources}",
                                                     resource=resource, resources=", ".join(answered)))
        first, size = tmf679.bounds(offset, limit)
        wanted = tmf679.conditions(list(request.query_params.multi_items()))
        found = [a for a in answered[resource].newest(ruleset) if tmf679.matches(a, wanted)]
        page = [tmf679.select(a, fields) for a in found[first:first + size]]
        return answer(page, 200 if len(page) == len(found) else 206,
                       {"X-Total-Count": str(len(found)), "X-Result-Count": str(len(page))})

    @app.get(f"{path}/{{resource}}/{{resource_id}}", tags=["TMF679"], responses={404: {"model": Problem}})
    async def retrieve_product_offering_qualification(ruleset: str, resource: str, resource_id: str,
                                                      fields: str | None = None) -> Response:
        """TMF679 v5: a check or query this server answered, by its id (the newest 10,000 of each are kept)."""
        found = answered[resource].get(ruleset, resource_id) if resource in answered else None
        if found is None:
            raise NotFound(_("no {resource} '{id}' for {ruleset}: this server keeps the newest {count} it answered",
                             resource=resource, id=resource_id, ruleset=ruleset, count=f"{tmf679.KEPT:,}"))
        return answer(tmf679.select(found, fields))

    @app.patch(f"{path}/{{resource}}/{{resource_id}}", tags=["TMF679"],
               responses={400: {"model": tmf679.ErrorBody}, 404: {"model": tmf679.ErrorBody}, 415: {"model": tmf679.ErrorBody},
                          422: {"model": tmf679.ErrorBody}},
               openapi_extra={"requestBody": {"required": True, "content": {
                   "application/merge-patch+json": {"schema": {"type": "object"}}}}})
    async def patch_product_offering_qualification(ruleset: str, resource: str, resource_id: str,
                                                   request: Request, fields: str | None = None) -> Response:
        """TMF679 v5 with a JSON merge patch: the descriptive attributes (description, note, channel,
        requestedQualificationCompletionDate), or ``state: cancelled`` while the task is not finished."""
        current = kept(ruleset, resource, resource_id)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in ("application/merge-patch+json", "application/json"):
            raise tmf679.TmfError(415, "unsupportedMediaType", _(
                "send the changes as application/merge-patch+json, not {media}", media=media or "nothing"))
        try:
            changes = orjson.loads(await request.body())
        except orjson.JSONDecodeError as error:
            raise tmf679.TmfError(400, "invalidBody", _("the body is not JSON: {error}", error=str(error))) from None
        if not isinstance(changes, dict):
            raise tmf679.TmfError(400, "invalidBody", _("a merge patch is a JSON object of the attributes to change"))
        new, names = tmf679.patch(current, changes)
        if names:
            changed(ruleset, resource, new, "AttributeValueChangeEvent")
            if new.get("state") != current.get("state"):
                hub.publish(ruleset, resource, "StateChangeEvent", new)
        return answer(tmf679.select(new, fields))

    @app.delete(f"{path}/{{resource}}/{{resource_id}}", tags=["TMF679"], status_code=204,
                responses={404: {"model": tmf679.ErrorBody}})
    async def delete_product_offering_qualification(ruleset: str, resource: str, resource_id: str) -> Response:
        """TMF679 v5: forget a kept check or query (an unfinished one is not finished); its log record stays."""
        kept(ruleset, resource, resource_id)
        hub.publish(ruleset, resource, "DeleteEvent", answered[resource].delete(ruleset, resource_id) or {})
        return Response(status_code=204)

    def tmf_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, tmf679.TmfError)
        return answer(error.body(), error.status)

    app.add_exception_handler(tmf679.TmfError, tmf_error)


async def decide_request(store: Store, log: DecisionLog | None, ruleset: str, body: DecisionRequest) -> bytes:
    """The JSON answer to a decisions request, once its records are committed to the log."""
    rs = store.get(ruleset, at=body.at, version=body.version)
    started = time.perf_counter()
    if body.customer is not None:
        made = [decide(rs, body.customer, ("body", "customer"))]
    else:
        made = [decide(rs, c, ("body", "customers", i)) for i, c in enumerate(body.customers or ())]
    latency = (time.perf_counter() - started) / len(made) if made else 0.0
    ids = [next_id() for _decision in made]
    answers = [{"decision_id": i, **d.as_dict()} for i, d in zip(ids, made)]
    if log is not None:
        customers = [body.customer] if body.customer is not None else body.customers or []
        await log.append(log.entries(made, ids, customers, body.at or store.today(), latency))
    return dumps(answers[0] if body.customer is not None else {"decisions": answers})


_ID_PREFIX = str(uuid.uuid4())[:24]  # random per process: ids unique across servers and restarts
_ID_COUNTER = itertools.count()


def next_id() -> str:
    """A decision id shaped like a UUID: this process's random prefix and a counter (ordered in time)."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):012x}"


def _identity(rs: Ruleset) -> dict[str, str]:
    return {"ruleset": rs.id, "version": rs.version, "fingerprint": rs.fingerprint}


def listing(store: Store) -> list[dict[str, Any]]:
    return [{**_identity(rs), "title": rs.title,
             "effective": {"from": rs.effective.from_, "until": rs.effective.until} if rs.effective else None,
             "released": released, "in_force": in_force} for rs, released, in_force in store.versions()]


def health_report(store: Store, log: DecisionLog | None) -> dict[str, Any]:
    ready = store.registry is not None
    report: dict[str, Any] = {"status": "ready" if ready else "not ready", "ready": ready, "today": store.today(),
                              "loaded_at": store.loaded_at.isoformat(timespec="seconds") if store.loaded_at else None,
                              "reloads": store.reloads, "versions": {}, "in_force": {},
                              "last_reload_error": store.last_error.as_dict() if store.last_error else None}
    for rid, versions in store.index.items():
        report["versions"][rid] = list(versions)
        try:
            report["in_force"][rid] = store.get(rid).version
        except NotInForce:
            report["in_force"][rid] = None
    if log is not None:
        report["log"] = log.status()
    return report


def _errors(app: FastAPI) -> None:
    from marketing_rules.service.log import LogUnavailable

    statuses: dict[type[Exception], int] = {NotFound: 404, NotInForce: 409, NotReady: 503, LogUnavailable: 503}
    for kind, status in statuses.items():
        def handler(request: Request, error: Exception, status: int = status) -> Response:
            return answer({"detail": str(error)}, status)

        app.add_exception_handler(kind, handler)

    def bad_customer(request: Request, error: Exception) -> Response:
        assert isinstance(error, BadCustomer)
        return answer({"detail": error.detail}, 422)

    def invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        detail = [{k: v for k, v in e.items() if k in ("loc", "msg", "type", "input")} for e in error.errors()]
        return answer({"detail": detail}, 422)

    app.add_exception_handler(BadCustomer, bad_customer)
    app.add_exception_handler(RequestValidationError, invalid)


class _BodyLimit:
    """413 for a request body above MAX_BODY bytes, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
                return await _too_large(send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


class _Language:
    """Answer the request in the language it asks for (``?lang=``, else ``Accept-Language``, else the
    server's): the language is set in the request's own context, which FastAPI's thread pool copies
    into sync endpoints, so every message made while answering is in it. An unknown ``lang`` is a 422."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            lang = requested_language(scope)
        except _UnknownLanguage as error:
            with messages_in(_header_language(scope)):  # said in the language of the header, if any
                msg = _("unknown language '{lang}': choose one of {languages}", lang=error.asked,
                        languages=", ".join(LANGUAGES))
            body = dumps({"detail": [{"loc": ["query", "lang"], "type": "value_error", "input": error.asked, "msg": msg}]})
            await send({"type": "http.response.start", "status": 422, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            return await send({"type": "http.response.body", "body": body})
        with messages_in(lang):
            await self.app(scope, receive, send)


class _UnknownLanguage(ValueError):
    def __init__(self, asked: str):
        self.asked = asked
        super().__init__(asked)


def requested_language(scope: Scope) -> str | None:
    """The language a request asks for: its ``lang`` query parameter, else the first Chinese or
    English language of its ``Accept-Language`` header by preference; None when it asks for neither."""
    query = scope.get("query_string", b"").decode("latin-1")
    if "lang" in query:
        for name, value in parse_qsl(query):
            if name == "lang" and value:
                try:
                    return normalise(value)
                except ValueError:
                    raise _UnknownLanguage(value) from None
    return _header_language(scope)


def _header_language(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"accept-language":
            return accepted_language(value.decode("latin-1"))
    return None


def accepted_language(header: str) -> str | None:
    """``zh`` or ``en``, whichever of an ``Accept-Language`` header ranks first (``q``, then order)."""
    ranked = []
    for order, item in enumerate(header.split(",")):
        tag, *parameters = (piece.strip() for piece in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            key, sep, number = parameter.partition("=")
            if sep and key.strip().lower() == "q":
                try:
                    weight = float(number)
                except ValueError:
                    weight = 0.0
        if weight <= 0 or not tag or tag == "*":
            continue
        try:
            ranked.append((-weight, order, normalise(tag)))
        except ValueError:
            continue
    return min(ranked)[2] if ranked else None


async def _too_large(send: Send) -> None:
    size = f"{MAX_BODY:,}"
    body = dumps({"detail": _("the request body is larger than {size} bytes", size=size)})
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


_DECISION_REQUEST: TypeAdapter[DecisionRequest] = TypeAdapter(DecisionRequest)


class _FastDecisions:
    """``POST /v1/rulesets/{id}/decisions`` with a valid body, answered without FastAPI's per-request
    machinery (routing, dependency solving: most of a request's time). Anything else, and any
    request that fails in any way, goes through the documented route, which gives the same answer
    or the error with its status and reasons."""

    def __init__(self, app: FastAPI, store: Store, log: DecisionLog | None) -> None:
        self.app, self.store, self.log = app, store, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        ruleset = path[len(_PREFIX):-len(_SUFFIX)] if scope["type"] == "http" and scope["method"] == "POST" \
            and path.startswith(_PREFIX) and path.endswith(_SUFFIX) else ""
        if not ruleset or "/" in ruleset or not _json_body(scope):
            return await self.app(scope, receive, send)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > MAX_BODY:
                try:
                    lang = requested_language(scope)
                except _UnknownLanguage:
                    lang = None
                with messages_in(lang):
                    return await _too_large(send)
        body = b"".join(chunks)
        try:
            payload = await decide_request(self.store, self.log, ruleset, _DECISION_REQUEST.validate_json(body))
        except Exception:  # noqa: BLE001 - the documented route answers it, with its status and reasons
            return await self.app(scope, _replay(body), send)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


_PREFIX, _SUFFIX = "/v1/rulesets/", "/decisions"


def _json_body(scope: Scope) -> bool:
    return any(name == b"content-type" and value.startswith(b"application/json") for name, value in scope["headers"])


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
