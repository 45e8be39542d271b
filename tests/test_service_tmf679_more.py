"""TMF679 v5 beyond the create and retrieve: lists (TMF630 paging, attribute selection, filters),
PATCH and DELETE, asynchronous qualification, and the notification hub with a real listener."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
import pytest

from tests.serving import RULESETS, Server, eventually, serving
from tests.test_service_tmf679 import BASE, ORDINARY, party, tmf679_schema

pytest.importorskip("fastapi")

CHECK, QUERY = f"{BASE}/checkProductOfferingQualification", f"{BASE}/queryProductOfferingQualification"
GOLD = {**ORDINARY, "card": "gold", "arpu_3m": 260.0}
MERGE = {"content-type": "application/merge-patch+json"}


def valid(body: Any, name: str) -> None:
    jsonschema.validate(body, tmf679_schema.resource(name), format_checker=jsonschema.FormatChecker())


def valid_list(body: Any, name: str) -> None:
    jsonschema.validate(body, tmf679_schema.listing(name), format_checker=jsonschema.FormatChecker())


class Listener:
    """A real HTTP listener on a free port: keeps every event posted to it, answers ``status`` after ``delay``."""

    def __init__(self, status: int = 204, delay: float = 0.0):
        self.events: list[dict[str, Any]] = []
        self.status, self.delay = status, delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                time.sleep(outer.delay)
                outer.events.append(body)
                self.send_response(outer.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/listener"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of(self, resource_id: str) -> list[tuple[str, str]]:
        """(eventType, state) of the events received about one resource, in order."""
        return [(e["eventType"], next(iter(e["event"].values())).get("state")) for e in self.events
                if next(iter(e["event"].values()))["id"] == resource_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serving(RULESETS, "--no-log", "--no-watch") as running:
        yield running


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


def subscribe(server: Server, callback: str, query: str | None = None) -> dict[str, Any]:
    response = server.post(f"{BASE}/hub", {"callback": callback, **({"query": query} if query else {})})
    assert response.status_code == 201, response.text
    valid(response.json(), "Hub")
    return dict(response.json())


def checks(server: Server, customer_id: str, count: int, customer: dict[str, Any] = ORDINARY,
           **request: Any) -> list[dict[str, Any]]:
    made = []
    for _n in range(count):
        response = server.post(CHECK, {"relatedParty": party({**customer, "id": customer_id}), **request})
        assert response.status_code == 200, response.text
        made.append(response.json())
    return made


# -- lists --------------------------------------------------------------------------------------------
def test_a_list_is_paged_newest_first_with_the_counts(server: Server) -> None:
    made = checks(server, "13900000701", 5)
    newest_first = [c["id"] for c in reversed(made)]
    mine = "relatedParty.partyOrPartyRole.id=13900000701"
    page = server.get(f"{CHECK}?{mine}&limit=2")
    assert page.status_code == 206
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("5", "2")
    valid_list(page.json(), "CheckProductOfferingQualification")
    assert [c["id"] for c in page.json()] == newest_first[:2]
    assert page.json()[0] == made[-1]  # a whole resource when no fields are asked
    last = server.get(f"{CHECK}?{mine}&offset=4&limit=2")
    assert last.status_code == 206 and [c["id"] for c in last.json()] == newest_first[4:]
    assert last.headers["X-Result-Count"] == "1"
    whole = server.get(f"{CHECK}?{mine}&limit=5000")  # cut to the maximum, and all fit
    assert whole.status_code == 200 and [c["id"] for c in whole.json()] == newest_first
    assert whole.headers["X-Total-Count"] == whole.headers["X-Result-Count"] == "5"
    assert all(c["id"] not in newest_first for c in server.get(QUERY).json())  # the other resource's list
    assert server.get(CHECK.replace("gotone-vip", "lifecycle") + f"?{mine}").json() == []  # another ruleset's


def test_fields_keep_id_href_and_type(server: Server) -> None:
    checks(server, "13900000702", 2)
    page = server.get(f"{CHECK}?relatedParty.partyOrPartyRole.id=13900000702&fields=state,qualificationResult")
    assert page.status_code == 200
    valid_list(page.json(), "CheckProductOfferingQualification")
    assert [sorted(c) for c in page.json()] == [["@type", "href", "id", "qualificationResult", "state"]] * 2
    one = server.get(f"{page.json()[0]['href']}?fields=creationDate")
    assert sorted(one.json()) == ["@type", "creationDate", "href", "id"]


def test_filters_by_attribute(server: Server) -> None:
    trial = {"checkProductOfferingQualificationItem": [{"productOffering": {"id": "trial-pack"}}],
             "provideAlternative": False}
    made = checks(server, "13900000703", 2, GOLD, **trial) + checks(server, "13900000703", 1, **trial)
    results = {c["id"]: c["qualificationResult"] for c in made}
    assert list(results.values()) == ["unqualified", "unqualified", "qualified"]
    for result in set(results.values()):
        found = server.get(f"{CHECK}?relatedParty.partyOrPartyRole.id=13900000703&qualificationResult={result}")
        assert {c["id"] for c in found.json()} == {i for i, r in results.items() if r == result}
        assert found.headers["X-Total-Count"] == str(len(found.json()))
    either = server.get(f"{CHECK}?relatedParty.partyOrPartyRole.id=13900000703&qualificationResult="
                        + ",".join(set(results.values())) + "&state=done")
    assert {c["id"] for c in either.json()} == set(results)
    item = server.get(f"{CHECK}?relatedParty.partyOrPartyRole.id=13900000703"
                      "&checkProductOfferingQualificationItem.productOffering.id=trial-pack"
                      "&checkProductOfferingQualificationItem.qualificationItemResult=qualified")
    assert {c["id"] for c in item.json()} == {made[2]["id"]}  # the ordinary customer's trial pack
    assert server.get(f"{CHECK}?relatedParty.partyOrPartyRole.id=13900000703&state=inProgress").json() == []


@pytest.mark.parametrize("query", ["limit=-1", "offset=x", "limit=1.5"])
def test_bad_paging_is_a_tmf_error(server: Server, query: str) -> None:
    response = server.get(f"{CHECK}?{query}")
    assert response.status_code == 400
    valid(response.json(), "Error")
    assert response.json()["code"] == "invalidQuery" and query.split("=")[0] in response.json()["message"]


# -- DELETE and PATCH ---------------------------------------------------------------------------------
def test_delete_then_404(server: Server, listener: Listener) -> None:
    hub = subscribe(server, listener.url, "eventType=CheckProductOfferingQualificationDeleteEvent")
    made = checks(server, "13900000704", 1)[0]
    assert server.client.delete(made["href"]).status_code == 204
    assert server.get(made["href"]).status_code == 404
    again = server.client.delete(made["href"])
    assert again.status_code == 404 and made["id"] in again.json()["message"]
    valid(again.json(), "Error")
    assert server.get(f"{CHECK}?relatedParty.partyOrPartyRole.id=13900000704").json() == []
    eventually(lambda: _assert_equal(listener.of(made["id"]), [("CheckProductOfferingQualificationDeleteEvent", "done")]))
    valid(listener.events[0], "CheckProductOfferingQualificationDeleteEvent")
    assert server.client.delete(f"{BASE}/hub/{hub['id']}").status_code == 204


def test_patch_descriptive_attributes(server: Server, listener: Listener) -> None:
    hub = subscribe(server, listener.url)
    made = checks(server, "13900000705", 1)[0]
    note = {"text": "called back on Monday", "author": "agent 7"}
    changes = {"@type": "CheckProductOfferingQualification", "description": "call-centre check", "note": [note]}
    response = server.client.patch(made["href"], content=json.dumps(changes), headers=MERGE)
    assert response.status_code == 200, response.text
    patched = response.json()
    valid(patched, "CheckProductOfferingQualification")
    assert patched["description"] == "call-centre check" and patched["note"] == [{"@type": "Note", **note}]
    assert {k: v for k, v in patched.items() if k not in ("description", "note")} == made  # nothing else changes
    assert server.get(made["href"]).json() == patched
    removed = server.client.patch(made["href"], content=json.dumps({"description": None}), headers=MERGE).json()
    assert "description" not in removed and removed["note"] == patched["note"]
    eventually(lambda: _assert_equal([t for t, _s in listener.of(made["id"])],
                                     ["CheckProductOfferingQualificationCreateEvent",
                                      "CheckProductOfferingQualificationAttributeValueChangeEvent",
                                      "CheckProductOfferingQualificationAttributeValueChangeEvent"]))
    for event in listener.events:
        valid(event, event["eventType"])
    server.client.delete(f"{BASE}/hub/{hub['id']}")


@pytest.mark.parametrize("changes, status, code", [
    ({"qualificationResult": "qualified"}, 400, "notPatchable"),  # a finished qualification's results are the server's
    ({"checkProductOfferingQualificationItem": []}, 400, "notPatchable"),
    ({"id": "another"}, 400, "notPatchable"),
    ({"state": "cancelled"}, 422, "invalidState"),  # only an unfinished task can be cancelled
    ({"state": "inProgress"}, 422, "invalidState"),
    ({"description": 7}, 400, "invalidValue"),
    ({"note": [{"author": "no text"}]}, 400, "invalidValue"),
    ({"requestedQualificationCompletionDate": "tomorrow"}, 400, "invalidValue"),
])
def test_patch_refused(server: Server, changes: dict[str, Any], status: int, code: str) -> None:
    made = checks(server, "13900000706", 1)[0]
    response = server.client.patch(made["href"], content=json.dumps(changes), headers=MERGE)
    assert response.status_code == status, response.text
    valid(response.json(), "Error")
    assert response.json()["code"] == code
    assert server.get(made["href"]).json() == made


def test_patch_media_type_and_unknown_ids(server: Server) -> None:
    made = checks(server, "13900000707", 1)[0]
    json_patch = server.client.patch(made["href"], content=json.dumps([{"op": "replace", "path": "/description", "value": "x"}]),
                                     headers={"content-type": "application/json-patch+json"})
    assert json_patch.status_code == 415 and "merge-patch" in json_patch.json()["message"]
    assert server.client.patch(made["href"], content="[1]", headers=MERGE).status_code == 400
    assert server.client.patch(made["href"], content="{", headers=MERGE).status_code == 400
    missing = server.client.patch(f"{CHECK}/no-such-id", content="{}", headers=MERGE)
    assert missing.status_code == 404
    valid(missing.json(), "Error")


def test_cancel_only_an_unfinished_task() -> None:
    from marketing_rules.service.tmf679 import TmfError, patch

    task = {"id": "1", "href": "/x/1", "@type": "CheckProductOfferingQualification", "state": "inProgress"}
    assert patch(task, {"state": "cancelled"}) == ({**task, "state": "cancelled"}, ["state"])
    assert patch({**task, "state": "acknowledged"}, {"state": "cancelled"})[0]["state"] == "cancelled"
    for state in ("done", "terminatedWithError"):
        with pytest.raises(TmfError) as refused:
            patch({**task, "state": state}, {"state": "cancelled"})
        assert refused.value.status == 422


# -- asynchronous qualification and the hub -----------------------------------------------------------
@pytest.mark.parametrize("how, status", [({"body": {"instantSyncQualification": False}}, 201),
                                         ({"headers": {"Expect": "202-Accepted"}}, 202)])
def test_asynchronous_check(server: Server, listener: Listener, how: dict[str, Any], status: int) -> None:
    everything = subscribe(server, listener.url)
    finished = Listener()
    only_done = subscribe(server, finished.url, "eventType=CheckProductOfferingQualificationStateChangeEvent"
                                                "&event.checkProductOfferingQualification.state=done")
    request = {"relatedParty": party(GOLD), **how.get("body", {})}
    response = server.client.post(CHECK, json=request, headers=how.get("headers", {}))
    assert response.status_code == status, response.text
    task = response.json()
    valid(task, "CheckProductOfferingQualification")
    assert task["state"] == "acknowledged" and "checkProductOfferingQualificationItem" not in task
    assert response.headers["Location"] == task["href"]

    def done() -> None:
        assert server.get(task["href"]).json()["state"] == "done"

    eventually(done)
    result = server.get(task["href"]).json()
    valid(result, "CheckProductOfferingQualification")
    synchronous = server.post(CHECK, {"relatedParty": party(GOLD)}).json()
    different = ("id", "href", "creationDate", "effectiveQualificationDate", "instantSyncQualification")
    assert {k: v for k, v in result.items() if k not in different} == {k: v for k, v in synchronous.items() if k not in different}
    assert result["creationDate"] == task["creationDate"]
    kind = "CheckProductOfferingQualification"
    eventually(lambda: _assert_equal(listener.of(task["id"]), [
        (f"{kind}CreateEvent", "acknowledged"), (f"{kind}StateChangeEvent", "inProgress"), (f"{kind}StateChangeEvent", "done")]))
    eventually(lambda: _assert_equal(finished.of(task["id"]), [(f"{kind}StateChangeEvent", "done")]))
    assert len(finished.events) == 1  # the synchronous check's CreateEvent did not match its query
    for event in listener.events + finished.events:
        valid(event, event["eventType"])
    assert finished.events[0]["event"]["checkProductOfferingQualification"] == result
    for hub in (everything, only_done):
        assert server.client.delete(f"{BASE}/hub/{hub['id']}").status_code == 204
    finished.close()


def test_asynchronous_query(server: Server, listener: Listener) -> None:
    hub = subscribe(server, listener.url, "eventType=QueryProductOfferingQualificationStateChangeEvent")
    response = server.post(QUERY, {"relatedParty": party(GOLD), "instantSyncQualification": False,
                                   "searchCriteria": {"category": {"id": "service-pack"}}})
    assert response.status_code == 201 and response.json()["state"] == "acknowledged"
    task = response.json()
    valid(task, "QueryProductOfferingQualification")
    kind = "QueryProductOfferingQualificationStateChangeEvent"
    eventually(lambda: _assert_equal(listener.of(task["id"]), [(kind, "inProgress"), (kind, "done")]))
    result = server.get(task["href"]).json()
    synchronous = server.post(QUERY, {"relatedParty": party(GOLD), "searchCriteria": {"category": {"id": "service-pack"}}}).json()
    assert result["qualifiedProductOfferingItem"] == synchronous["qualifiedProductOfferingItem"]
    assert result["searchCriteria"] == synchronous["searchCriteria"] and result["state"] == "done"
    server.client.delete(f"{BASE}/hub/{hub['id']}")


def test_an_asynchronous_qualification_speaks_the_language_of_its_request(server: Server) -> None:
    request = {"relatedParty": party(ORDINARY), "provideAlternative": False}
    task = server.post(f"{CHECK}?lang=zh", {**request, "instantSyncQualification": False}).json()

    def done() -> None:
        assert server.get(task["href"]).json()["state"] == "done"

    eventually(done)
    in_background = server.get(task["href"]).json()["checkProductOfferingQualificationItem"]
    in_request = server.post(f"{CHECK}?lang=zh", request).json()["checkProductOfferingQualificationItem"]
    assert in_background == in_request
    labels = [r["label"] for i in in_background for r in i.get("eligibilityResultReason", [])]
    assert any("不成立" in label for label in labels), labels


def test_a_qualification_that_fails_ends_terminated_with_error() -> None:
    from marketing_rules.service.tmf679 import failed, finished

    task = {"id": "1", "href": "/x/1", "@type": "CheckProductOfferingQualification", "state": "inProgress",
            "creationDate": "2027-01-15T09:00:00.000Z", "description": "patched meanwhile"}
    ended = failed(task, RuntimeError("the ruleset vanished"))
    valid(ended, "CheckProductOfferingQualification")
    assert ended["state"] == "terminatedWithError" and ended["note"][-1]["text"] == "RuntimeError: the ruleset vanished"
    made = {"id": "1", "href": "/x/1", "@type": "CheckProductOfferingQualification", "state": "done",
            "creationDate": "2027-01-15T09:00:05.000Z"}
    assert finished(made, task) == {**made, "creationDate": task["creationDate"], "description": "patched meanwhile"}


def test_hub_register_retrieve_unregister(server: Server, listener: Listener) -> None:
    hub = subscribe(server, listener.url, "eventType=CheckProductOfferingQualificationCreateEvent")
    assert hub["callback"] == listener.url and hub["href"].endswith(hub["id"])
    assert server.get(hub["href"]).json() == hub
    assert server.get(hub["href"].replace("gotone-vip", "lifecycle")).status_code == 404
    assert server.client.delete(hub["href"]).status_code == 204
    assert server.get(hub["href"]).status_code == 404
    assert server.client.delete(hub["href"]).status_code == 404
    checks(server, "13900000708", 1)
    time.sleep(0.5)
    assert listener.events == []  # nothing after unregistering
    for bad in ({"callback": "ftp://example.com/x"}, {"callback": listener.url, "query": "state=done&&"}):
        refused = server.post(f"{BASE}/hub", bad)
        assert refused.status_code == 400, refused.text
        valid(refused.json(), "Error")
    assert server.post(f"{BASE}/hub", {"query": "x=1"}).status_code == 422
    assert server.post("/v1/rulesets/no-such/tmf-api/productOfferingQualification/v5/hub",
                       {"callback": listener.url}).status_code == 404


def test_a_slow_listener_never_slows_a_qualification(server: Server) -> None:
    slow = Listener(delay=3.0)
    hub = subscribe(server, slow.url)
    started = time.perf_counter()
    made = checks(server, "13900000709", 3)
    assert time.perf_counter() - started < 2.0
    eventually(lambda: _assert_equal(len(slow.events), 3), seconds=30)
    assert [c["id"] for c in made] == [e["event"]["checkProductOfferingQualification"]["id"] for e in slow.events]  # in order
    server.client.delete(f"{BASE}/hub/{hub['id']}")
    slow.close()


def test_a_failing_listener_is_retried_then_dropped(server: Server) -> None:
    failing = Listener(status=500)
    hub = subscribe(server, failing.url)
    made = checks(server, "13900000710", 1)[0]

    def dropped() -> None:
        assert server.get(hub["href"]).status_code == 404

    eventually(dropped, seconds=30)
    assert len(failing.events) == 4  # the first attempt and three retries
    assert {e["eventId"] for e in failing.events} == {failing.events[0]["eventId"]}
    assert failing.events[0]["event"]["checkProductOfferingQualification"]["id"] == made["id"]
    warnings = server.get("/health").json()["tmf679_hub"]["warnings"]
    assert [w["callback"] for w in warnings if w["listener"] == hub["id"]] == [failing.url]
    assert "HTTP 500" in warnings[-1]["message"]
    failing.close()


def _assert_equal(found: object, expected: object) -> None:
    assert found == expected
