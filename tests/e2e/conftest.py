"""A real ``atelier-api serve`` process on a free loopback port, and a client that talks like
the VS Code extension (raw Set-Cookie echoed back, Accept/Cache-Control on every call)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from envelopes import PASSWORD, USER

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
AUTH = (USER, PASSWORD)
CLIENT_HEADERS = {"Accept": "application/json", "Cache-Control": "no-cache"}


@dataclass
class Server:
    """A running server process and what it printed."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    port: int = 0
    home: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return "".join(self.lines)


def clean_env(home: Path) -> dict[str, str]:
    """The environment without ATELIER_* settings, with a private HOME and state base."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env["HOME"] = str(home)
    env["XDG_STATE_HOME"] = str(home / "state")
    env.pop("XDG_RUNTIME_DIR", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def launch(args: list[str], home: Path) -> Server:
    """Start ``python -m atelier_api <args>``; a reader thread collects its output lines."""
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "atelier_api", *args], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=clean_env(home), start_new_session=True)
    server = Server(proc, home=home)
    server._lines_q = queue.Queue()  # type: ignore[attr-defined]

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.lines.append(line)
            server._lines_q.put(line)  # type: ignore[attr-defined]
        server._lines_q.put(None)  # type: ignore[attr-defined]

    threading.Thread(target=pump, daemon=True).start()
    return server


def wait_for_port(server: Server, timeout: float = START_TIMEOUT) -> int:
    """Wait (with a deadline) for gunicorn's "Listening at" line and return the port."""
    deadline = time.monotonic() + timeout
    lines: queue.Queue[str | None] = server._lines_q  # type: ignore[attr-defined]
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"server did not start in {timeout}s:\n{server.output()}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            raise AssertionError(f"server exited early ({server.proc.wait()}):\n"
                                 f"{server.output()}")
        match = LISTENING.search(line)
        if match:
            server.port = int(match.group(1))
            return server.port


def wait_exit(server: Server, timeout: float = STOP_TIMEOUT) -> int:
    """Wait for the process to exit on its own; return its exit code."""
    try:
        return server.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        raise AssertionError(f"process did not exit in {timeout}s:\n{server.output()}") from None


def stop(server: Server) -> int:
    """SIGTERM the server we started (by its own pid) and wait for it."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    return wait_exit(server)


@dataclass
class Client:
    """A requests session that behaves like the VS Code extension."""

    base: str
    session: requests.Session = field(default_factory=requests.Session)
    cookie: str = ""

    def __post_init__(self) -> None:
        self.session.trust_env = False  # never a proxy: traffic stays on 127.0.0.1

    def login(self) -> requests.Response:
        """HEAD /api/atelier/ with Basic auth; keep the raw Set-Cookie string."""
        resp = self.session.head(self.base + "/api/atelier/", auth=AUTH,
                                 headers=CLIENT_HEADERS, timeout=30)
        assert resp.status_code == 200, resp.text
        self.cookie = resp.headers["Set-Cookie"]
        return resp

    def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             json_body: Any = None, params: dict[str, str] | None = None,
             **kwargs: Any) -> requests.Response:
        """One call carrying Accept, Cache-Control and the raw cookie, as the extension does."""
        merged = dict(CLIENT_HEADERS)
        if self.cookie:
            merged["Cookie"] = self.cookie
        if json_body is not None:
            merged["Content-Type"] = "application/json"
            kwargs["json"] = json_body
        merged.update(headers or {})
        return self.session.request(method, self.base + path, headers=merged, params=params,
                                    timeout=30, **kwargs)

    def close(self) -> None:
        self.session.close()


def ns_path(ns: str, rest: str = "", v: int = 8) -> str:
    """``/api/atelier/v8/%25SYS/...``: namespaces percent-encoded like encodeURI does."""
    tail = f"/{rest}" if rest else ""
    return f"/api/atelier/v{v}/{quote(ns, safe='')}{tail}"


def envelope(resp: requests.Response) -> Any:
    """The JSON envelope of a response, checked for its shape."""
    assert resp.headers["Content-Type"].startswith("application/json"), resp.text[:200]
    body = resp.json()
    assert set(body) == {"status", "console", "result"}
    assert isinstance(body["status"]["summary"], str)
    assert isinstance(body["console"], list)
    return body


@dataclass
class Running:
    """A started server on a workspace, with a logged-in client."""

    server: Server
    ws: Path
    state: Path
    client: Client


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers with given CLI arguments; every one is stopped at the end of the test."""
    started: list[Server] = []

    def run(args: list[str], *, wait: bool = True) -> Server:
        server = launch(args, tmp_path / f"home{len(started)}")
        started.append(server)
        if wait:
            wait_for_port(server)
        return server

    yield run
    for server in started:
        stop(server)


@pytest.fixture
def running(tmp_path: Path, start: Callable[..., Server]) -> Iterator[Running]:
    """``atelier-api serve --port 0`` on a small workspace, with a logged-in client."""
    ws = tmp_path / "ws"
    (ws / "Pkg").mkdir(parents=True)
    (ws / "Pkg" / "A.cls").write_text("Class Pkg.A Extends %RegisteredObject\n{\n}\n")
    (ws / "R.mac").write_text("ROUTINE R\nR ;\n quit\n")
    (ws / "csp" / "user").mkdir(parents=True)
    (ws / "csp" / "user" / "index.html").write_text("<html></html>\n")
    state = tmp_path / "state"
    server = start(["serve", "--port", "0", "--state-dir", str(state),
                    "--namespace", f"USER={ws}"])
    client = Client(server.base)
    client.login()
    yield Running(server, ws, state, client)
    client.close()
