"""A real decision server for tests: ``marketing-rules serve`` in a subprocess on a free port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_rulesets(target: Path) -> Path:
    """A copy of ``rulesets/`` with its shared definitions and lock, to change under a server."""
    shutil.copytree(RULESETS, target, ignore=shutil.ignore_patterns("*.test.yaml"))
    return target


class Server:
    """A running server: ``url``, an httpx ``client``, and the process."""

    def __init__(self, process: subprocess.Popen[bytes], url: str):
        self.process, self.url = process, url
        self.client = httpx.Client(base_url=url, timeout=30)

    def post(self, path: str, body: object) -> httpx.Response:
        return self.client.post(path, json=body)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@contextmanager
def serving(rulesets: Path, *options: str, now: str | None = "2027-01-15", command: str = "serve") -> Iterator[Server]:
    """``marketing-rules serve rulesets`` (or ``command``) until the block ends; ``now`` fixes today."""
    port = free_port()
    args = [sys.executable, "-m", "marketing_rules.cli", command, str(rulesets), "--port", str(port), *options]
    if now is not None:
        args += ["--now", now]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(args, env=env, cwd=rulesets.parent)
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        wait_until_up(server)
        yield server
    finally:
        server.stop()


def wait_until_up(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}")
        try:
            server.get("/health")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError("the server did not answer /health")


def eventually(check: object, seconds: float = 20) -> None:
    """Call ``check`` until it stops raising AssertionError."""
    assert callable(check)
    deadline = time.monotonic() + seconds
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def serving_in_thread(app: object) -> Iterator[Threaded]:
    """An application built in the test (a store with its own clock, say) on uvicorn in a thread."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise TimeoutError("the server did not start")
        time.sleep(0.05)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        yield Threaded(client)
    finally:
        client.close()
        server.should_exit = True
        thread.join(15)


class Threaded:
    """A client of a server in a thread of the test process."""

    def __init__(self, client: httpx.Client):
        self.client = client

    def post(self, path: str, body: object) -> httpx.Response:
        return self.client.post(path, json=body)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)
