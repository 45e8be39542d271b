"""The decision service over HTTP: a real server (``marketing-rules serve``) in a subprocess."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.synthetic import customers as synthetic
from tests.serving import RULESETS, Server, serving, serving_in_thread

pytest.importorskip("fastapi")

TODAY = dt.date(2027, 1, 15)
GOLD = {"id": "13900000001", "card": "gold", "arpu_3m": 260.0, "status": "active", "tenure_months": 30}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(RULESETS, "--no-log", "--no-watch") as running:
        yield running


@pytest.fixture(scope="module")
def registry() -> mr.Registry:
    return mr.Registry(RULESETS)


def cli_eval(rs: mr.Ruleset, customer: dict[str, Any]) -> Any:
    """The decision as ``marketing-rules eval`` prints it."""
    from click.testing import CliRunner

    from marketing_rules.cli import main

    result = CliRunner().invoke(main, ["eval", str(rs.path), json.dumps(customer)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_decision_is_the_eval_answer_with_an_id(server: Server, registry: mr.Registry) -> None:
    response = server.post("/v1/rulesets/gotone-vip/decisions", {"customer": GOLD})
    assert response.status_code == 200
    body = response.json()
    decision_id = body.pop("decision_id")
    assert len(decision_id) == 36
    assert body == cli_eval(registry.get("gotone-vip", at=TODAY), GOLD)
    assert body["version"] == "1.1.0"  # in force on --now 2027-01-15


def test_version_and_date_choose_the_version(server: Server) -> None:
    assert server.post("/v1/rulesets/gotone-vip/decisions", {"customer": GOLD, "at": "2026-12-01"}).json()["version"] == "1.0.0"
    assert server.post("/v1/rulesets/gotone-vip/decisions", {"customer": GOLD, "version": "1.2.0"}).json()["version"] == "1.2.0"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), ruleset=st.sampled_from(["gotone-vip", "experience-club", "lifecycle", "stock-ops"]))
def test_answers_equal_the_in_process_decision(server: Server, registry: mr.Registry, seed: int, ruleset: str) -> None:
    customer = next(synthetic(1, seed))
    rs = registry.get(ruleset, at=TODAY)
    response = server.post(f"/v1/rulesets/{ruleset}/decisions", {"customer": customer})
    assert response.status_code == 200, response.text
    body = response.json()
    del body["decision_id"]
    assert body == json.loads(mr_json(rs.evaluate(customer).as_dict()))


def mr_json(value: Any) -> str:
    from marketing_rules.cli import dumps

    return dumps(value)


def test_a_batch_answers_each_customer_in_order(server: Server, registry: mr.Registry) -> None:
    batch = list(synthetic(200, 7))
    response = server.post("/v1/rulesets/lifecycle/decisions", {"customers": batch})
    assert response.status_code == 200
    decisions = response.json()["decisions"]
    rs = registry.get("lifecycle", at=TODAY)
    assert [d["facts"]["id"] for d in decisions] == [c["id"] for c in batch]
    assert len({d["decision_id"] for d in decisions}) == 200
    for d, c in zip(decisions, batch):
        del d["decision_id"]
        assert d == json.loads(mr_json(rs.evaluate(c).as_dict()))


def test_rulesets_lists_every_version_and_which_is_in_force(server: Server, registry: mr.Registry) -> None:
    body = server.get("/v1/rulesets").json()
    assert body["today"] == "2027-01-15"
    rows = {(r["ruleset"], r["version"]): r for r in body["rulesets"]}
    assert set(rows) == {(rs.id, rs.version) for rs in registry}
    assert [v for (rid, v), r in rows.items() if rid == "stock-ops" and r["in_force"]] == ["1.1.0"]
    assert rows[("stock-ops", "1.0.0")]["effective"] == {"from": "2026-11-01", "until": "2027-01-01"}
    assert rows[("stock-ops", "1.3.0")]["released"] is False and rows[("stock-ops", "1.2.0")]["released"] is True
    assert rows[("gotone-vip", "1.0.0")]["fingerprint"] == registry.get("gotone-vip", version="1.0.0").fingerprint


def test_health(server: Server) -> None:
    body = server.get("/health").json()
    assert body["ready"] is True and body["status"] == "ready"
    assert body["versions"]["stock-ops"] == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    assert body["in_force"]["gotone-vip"] == "1.1.0"
    assert body["last_reload_error"] is None


def test_explanation(server: Server, registry: mr.Registry) -> None:
    customer = {**GOLD, "card": "none", "arpu_3m": 90.0}
    response = server.post("/v1/rulesets/gotone-vip/explanations/prestore-lecture", {"customer": customer})
    assert response.status_code == 200
    body = response.json()
    expected = registry.get("gotone-vip", at=TODAY).explain(customer, "prestore-lecture").as_dict()
    assert body["fired"] is False and body["version"] == "1.1.0"
    assert {k: v for k, v in body.items() if k not in ("ruleset", "version", "fingerprint")} == json.loads(mr_json(expected))


def test_what_would_it_take(server: Server, registry: mr.Registry) -> None:
    customer = {**GOLD, "card": "none", "arpu_3m": 90.0}
    body = server.post("/v1/rulesets/gotone-vip/what-would-it-take/prestore-lecture", {"customer": customer}).json()
    remedy = registry.get("gotone-vip", at=TODAY).what_would_it_take(customer, "prestore-lecture")
    assert body["possible"] is remedy.possible and body["already"] is False
    assert [(c["fact"], c["after"]) for c in body["changes"]] == [(c.fact, json.loads(mr_json(c.after))) for c in remedy.changes]
    assert body["changes"], "a customer at 90 yuan reaches the lecture pack by spending more"


@pytest.mark.parametrize("path, body, status, where", [
    ("/v1/rulesets/gotone-vip/decisions", {"customer": {"id": "1", "arpu_3m": -3}}, 422, ["body", "customer", "arpu_3m"]),
    ("/v1/rulesets/gotone-vip/decisions", {"customers": [GOLD, {"id": "2", "card": "platinum"}]}, 422,
     ["body", "customers", 1, "card"]),
    ("/v1/rulesets/gotone-vip/decisions", {"customer": "13900000001"}, 422, ["body", "customer"]),
    ("/v1/rulesets/gotone-vip/decisions", {"customer": GOLD, "customers": [GOLD]}, 422, ["body"]),
    ("/v1/rulesets/gotone-vip/decisions", {"customer": GOLD, "at": "2027-02-30"}, 422, ["body", "at"]),
    ("/v1/rulesets/gotone-vip/decisions", {"customer": GOLD, "colour": 1}, 422, ["body", "colour"]),
    ("/v1/rulesets/gotone-vip/decisions", {"customers": [GOLD] * 1001}, 422, ["body", "customers"]),
    ("/v1/rulesets/gotone-vp/decisions", {"customer": GOLD}, 404, None),
    ("/v1/rulesets/gotone-vip/decisions", {"customer": GOLD, "version": "9.0.0"}, 404, None),
    ("/v1/rulesets/stock-ops/decisions", {"customer": GOLD, "at": "2020-01-01"}, 409, None),
    ("/v1/rulesets/gotone-vip/explanations/no-such-rule", {"customer": GOLD}, 404, None),
    ("/v1/rulesets/gotone-vip/what-would-it-take/no-such-offer", {"customer": GOLD}, 404, None),
    ("/v1/rulesets/gotone-vip/explanations/prestore-lecture", {"customer": {"id": "1", "arpu_3m": "lots"}}, 422,
     ["body", "customer", "arpu_3m"]),
])
def test_bad_requests(server: Server, path: str, body: Any, status: int, where: list[Any] | None) -> None:
    response = server.post(path, body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if where is None:
        assert isinstance(detail, str) and detail
    else:
        assert where in [d["loc"] for d in detail], detail
        assert all(d["msg"] for d in detail)


def test_reasons_are_those_of_evaluate(server: Server, registry: mr.Registry) -> None:
    customer = {"id": "1", "arpu_3m": -3, "card": "platinum"}
    detail = server.post("/v1/rulesets/gotone-vip/decisions", {"customer": customer}).json()["detail"]
    with pytest.raises(mr.FactsError) as caught:
        registry.get("gotone-vip", at=TODAY).evaluate(customer)
    assert [(d["loc"][-1], d["msg"]) for d in detail] == [(e["field"], e["message"]) for e in caught.value.errors]


def test_not_json_and_too_large(server: Server) -> None:
    response = server.client.post("/v1/rulesets/gotone-vip/decisions", content=b'{"customer": {', headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][0] == "body"
    big = b'{"customers": [' + b",".join([b'{"id": "%d", "note": "%s"}' % (i, b"x" * 9000) for i in range(1000)]) + b"]}"
    response = server.client.post("/v1/rulesets/gotone-vip/decisions", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_openapi_documents_the_endpoints(server: Server) -> None:
    spec = server.get("/openapi.json").json()
    assert {"/v1/rulesets", "/v1/rulesets/{ruleset}/decisions", "/health",
            "/v1/rulesets/{ruleset}/explanations/{target}", "/v1/rulesets/{ruleset}/what-would-it-take/{offer}"} <= set(spec["paths"])
    assert server.get("/docs").status_code == 200


def test_unused_path_is_a_404(server: Server) -> None:
    assert server.get("/v1/nothing").status_code == 404


def test_the_fast_path_answers_as_the_documented_route(server: Server, tmp_path: Path) -> None:
    """``serve`` answers valid decision requests on a fast path; the FastAPI route must agree."""
    from marketing_rules.service import Store, create_app

    store = Store(RULESETS, clock=lambda: TODAY)
    assert store.reload()
    batch = list(synthetic(20, 99))
    with serving_in_thread(create_app(store)) as routed:
        for body in ({"customer": batch[0]}, {"customers": batch, "at": "2026-12-01"}, {"customer": GOLD, "version": "1.2.0"}):
            fast, slow = server.post("/v1/rulesets/gotone-vip/decisions", body), routed.post("/v1/rulesets/gotone-vip/decisions", body)
            assert fast.status_code == slow.status_code == 200
            assert strip_ids(fast.json()) == strip_ids(slow.json())


def strip_ids(answer: Any) -> Any:
    if "decisions" in answer:
        return [strip_ids(d) for d in answer["decisions"]]
    return {k: v for k, v in answer.items() if k != "decision_id"}
