"""Hot reload: a changed folder is swapped in whole, a broken one never serves, the date switches versions."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from tests.serving import copy_rulesets, eventually, serving, serving_in_thread

pytest.importorskip("fastapi")

CUSTOMER = {"id": "13900000001", "card": "gold", "arpu_3m": 260.0, "status": "active", "tenure_months": 30}


def new_version(root: Path, version: str, effective: str, *, broken: bool = False) -> Path:
    """gotone-vip 1.2.0 renumbered (and, when broken, with a misspelt fact on one line)."""
    text = (root / "gotone-vip" / "1.2.0.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 1.2.0", f"version: {version}").replace("effective: {from: 2027-03-01}", f"effective: {{from: {effective}}}")
    if broken:
        text = text.replace("when: arpu < arpu_prev * warning_ratio", "when: arpuu < arpu_prev * warning_ratio")
    path = root / "gotone-vip" / f"{version}.yaml"
    staging = path.with_suffix(".tmp")
    staging.write_text(text, encoding="utf-8")
    staging.replace(path)  # whole, as an editor's save or a deploy's rename
    return path


def served_version(server: object) -> str:
    response = server.post("/v1/rulesets/gotone-vip/decisions", {"customer": CUSTOMER})  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    return str(response.json()["version"])


def test_good_then_broken_then_fixed(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path / "rulesets")
    with serving(root, "--no-log") as server:
        assert served_version(server) == "1.1.0"
        new_version(root, "1.3.0", "2027-01-10")

        def good_loaded() -> None:
            assert server.get("/health").json()["in_force"]["gotone-vip"] == "1.3.0"
        eventually(good_loaded)
        assert served_version(server) == "1.3.0"

        broken = new_version(root, "1.4.0", "2027-01-12", broken=True)

        def failure_reported() -> None:
            error = server.get("/health").json()["last_reload_error"]
            assert error is not None
            assert any(d["file"] == str(broken) and d["line"] and "arpuu" in d["message"] for d in error["diagnostics"]), error
        eventually(failure_reported)
        health = server.get("/health").json()
        assert health["ready"] is True and "1.4.0" not in health["versions"]["gotone-vip"]
        assert served_version(server) == "1.3.0"  # the last good folder answers

        new_version(root, "1.4.0", "2027-01-12")

        def fixed() -> None:
            body = server.get("/health").json()
            assert body["last_reload_error"] is None and body["in_force"]["gotone-vip"] == "1.4.0"
        eventually(fixed)
        assert served_version(server) == "1.4.0"


def test_a_broken_ruleset_holds_back_only_itself(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path / "rulesets")
    with serving(root, "--no-log") as server:
        assert served_version(server) == "1.1.0"
        broken = new_version(root, "1.3.0", "2027-01-10", broken=True)
        lifecycle = (root / "lifecycle" / "1.2.0.yaml").read_text(encoding="utf-8")
        (root / "lifecycle" / "1.3.0.yaml").write_text(
            lifecycle.replace("version: 1.2.0", "version: 1.3.0").replace("effective: {from: 2027-03-01}",
                                                                          "effective: {from: 2027-01-10}"),
            encoding="utf-8")

        def lifecycle_moved_on() -> None:
            body = server.get("/health").json()
            assert body["in_force"]["lifecycle"] == "1.3.0", body
            assert body["last_reload_error"]["held_back"] == ["gotone-vip"]
            assert {d["file"] for d in body["last_reload_error"]["diagnostics"]} == {str(broken)}
        eventually(lifecycle_moved_on)
        assert "1.3.0" not in server.get("/health").json()["versions"]["gotone-vip"]
        assert served_version(server) == "1.1.0"  # gotone-vip's last good versions answer

        new_version(root, "1.3.0", "2027-01-10")

        def fixed() -> None:
            body = server.get("/health").json()
            assert body["last_reload_error"] is None and body["in_force"]["gotone-vip"] == "1.3.0", body
        eventually(fixed)


def test_a_changed_released_version_is_refused(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path / "rulesets")
    with serving(root, "--no-log") as server:
        released = root / "gotone-vip" / "1.1.0.yaml"
        released.write_text(released.read_text(encoding="utf-8").replace("golf_prestore: 500", "golf_prestore: 400"),
                            encoding="utf-8")

        def refused() -> None:
            error = server.get("/health").json()["last_reload_error"]
            assert error is not None and "MR404" in {d["code"] for d in error["diagnostics"]}
        eventually(refused)
        response = server.post("/v1/rulesets/gotone-vip/decisions", {"customer": CUSTOMER})
        fingerprints = {r["version"]: r["fingerprint"] for r in server.get("/v1/rulesets").json()["rulesets"] if r["ruleset"] == "gotone-vip"}
        assert response.json()["fingerprint"] == fingerprints["1.1.0"] == "328ee3ed38194541"


def test_requests_during_reloads_all_succeed_on_one_whole_version(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path / "rulesets")
    seen: list[tuple[int, str]] = []
    with serving(root, "--no-log") as server:
        stop = threading.Event()

        def load() -> None:
            import httpx

            with httpx.Client(base_url=server.url, timeout=30) as client:
                while not stop.is_set():
                    r = client.post("/v1/rulesets/gotone-vip/decisions", json={"customer": CUSTOMER})
                    seen.append((r.status_code, r.json().get("version", r.text)))
        clients = [threading.Thread(target=load) for _ in range(4)]
        for c in clients:
            c.start()
        for n, broken in ((3, False), (4, True), (4, False), (5, True)):  # a broken file holds back the whole folder
            reloads = server.get("/health").json()["reloads"]
            new_version(root, f"1.{n}.0", f"2027-01-{n:02d}", broken=broken)

            def taken(reloads: int = reloads, broken: bool = broken) -> None:
                body = server.get("/health").json()
                assert body["last_reload_error"] is not None if broken else body["reloads"] > reloads
            eventually(taken, 60)
        stop.set()
        for c in clients:
            c.join()
    assert seen and {status for status, _ in seen} == {200}
    assert {version for _, version in seen} == {"1.1.0", "1.3.0", "1.4.0"}
    assert seen[-1][1] == "1.4.0"


def test_the_version_in_force_changes_at_its_effective_date_without_a_restart(tmp_path: Path) -> None:
    from marketing_rules.service import Store, create_app

    today = [dt.date(2026, 12, 31)]
    store = Store(copy_rulesets(tmp_path / "rulesets"), clock=lambda: today[0])
    assert store.reload()
    with serving_in_thread(create_app(store)) as server:
        assert served_version(server) == "1.0.0"
        today[0] = dt.date(2027, 1, 1)
        assert served_version(server) == "1.1.0"
        assert server.get("/health").json()["in_force"]["stock-ops"] == "1.1.0"
        today[0] = dt.date(2027, 3, 1)
        assert served_version(server) == "1.2.0"
        listed = [r["version"] for r in server.get("/v1/rulesets").json()["rulesets"] if r["ruleset"] == "stock-ops" and r["in_force"]]
        assert listed == ["1.3.0"]


def test_a_folder_broken_at_start_serves_nothing_until_fixed(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path / "rulesets")
    broken = new_version(root, "1.3.0", "2027-01-10", broken=True)
    with serving(root, "--no-log") as server:
        health = server.get("/health")
        assert health.status_code == 503 and health.json()["ready"] is False
        assert health.json()["last_reload_error"]["diagnostics"][0]["file"] == str(broken)
        response = server.post("/v1/rulesets/gotone-vip/decisions", {"customer": CUSTOMER})
        assert response.status_code == 503 and "no rulesets loaded" in response.json()["detail"]
        new_version(root, "1.3.0", "2027-01-10")
        eventually(lambda: _ready(server))
        assert served_version(server) == "1.3.0"


def _ready(server: object) -> None:
    assert server.get("/health").status_code == 200  # type: ignore[attr-defined]


def test_a_load_that_fails_outside_the_rule_files_keeps_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from marketing_rules.service import Store
    from marketing_rules.service import store as stores

    root = copy_rulesets(tmp_path / "rulesets")
    store = Store(root, clock=lambda: dt.date(2027, 1, 15))
    assert store.reload()
    served = store.registry
    (root / "rulesets.lock").unlink()
    (root / "rulesets.lock").mkdir()  # the lock is now a folder: reading it fails, with no rule file to blame
    assert not store.reload()
    assert store.registry is served and store.last_error is not None
    assert [d.code for d in store.last_error.diagnostics] == ["MR406"]
    assert store.get("gotone-vip").version == "1.1.0"

    def crash(root: Path) -> None:  # a failure no rule file explains (a bug, a vanished mount)
        raise RuntimeError("the disk went away")
    monkeypatch.setattr(stores, "Registry", crash)
    assert not store.reload()
    assert store.registry is served and store.last_error is not None
    assert store.last_error.message == "RuntimeError: the disk went away" and store.last_error.diagnostics == ()
