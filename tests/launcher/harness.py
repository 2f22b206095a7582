"""A real launcher for the tests: ``atelier-api launcher`` as a process on a free loopback
port, configured by a TOML file, with helpers to talk to it and to clean up after it (every
sandbox it made is discarded, every sandbox process ended)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
import tomli_w

from atelier_api.launcher.settings import hash_password

#: computed once (scrypt costs tens of milliseconds)
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "olga": "olga-pw"}
_HASHES: dict[str, str] = {}


def users_table() -> dict[str, dict[str, Any]]:
    """alice, bob, carol (users) and olga (operator)."""
    if not _HASHES:
        _HASHES.update({u: hash_password(p) for u, p in PASSWORDS.items()})
    return {u: {"password_hash": h, "operator": u == "olga"} for u, h in _HASHES.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LauncherProc:
    """One launcher process over a state folder (restartable on the same folder)."""

    def __init__(self, folder: Path, settings: dict[str, Any], *,
                 env: dict[str, str] | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.state = folder / "state"
        self.port = free_port()
        self.config = folder / "launcher.toml"
        table = {"state_dir": str(self.state), "backend": "process", "port": self.port,
                 "reap_interval_seconds": 0.5, "relaunch_cooldown_seconds": 0,
                 "log_level": "info", **settings, "users": users_table()}
        self.config.write_text(tomli_w.dumps(table))
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("ATELIER_")} | (env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "launcher.log"

    def start(self) -> LauncherProc:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "atelier_api", "launcher", "--config", str(self.config)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/launcher/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("the launcher did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        """SIGTERM, as an orchestrator would (the sandboxes stay: a launcher restart
        adopts them)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def cleanup(self) -> None:
        """Stop the launcher and end every sandbox process it ever started."""
        self.stop()
        for record in (self.state / "process" / "run").glob("*.json"):
            pid = json.loads(record.read_text())["pid"]
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    # -- talking to it ------------------------------------------------------------------------
    def call(self, method: str, path: str, user: str | None = None, **kwargs: Any
             ) -> requests.Response:
        auth = (user, PASSWORDS[user]) if user else None
        return requests.request(method, self.url + path, auth=auth, timeout=60, **kwargs)

    def launch(self, user: str, **body: Any) -> requests.Response:
        return self.call("POST", "/launcher/v1/sandbox", user, json=body)

    def sandbox(self, user: str) -> dict[str, Any]:
        resp = self.call("GET", "/launcher/v1/sandbox", user)
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    def wait_state(self, user: str, *states: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            seen = self.sandbox(user)
            if seen["state"] in states:
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"{user}'s sandbox is {seen['state']}, not {states}: "
                                     f"{seen['reason']}")
            time.sleep(0.1)

    def proxied(self, owner: str, method: str, path: str, auth: tuple[str, str] | None,
                **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.url}/sandbox/{owner}{path}", auth=auth,
                                timeout=60, **kwargs)


def sandbox_auth(view: dict[str, Any]) -> tuple[str, str]:
    """The sandbox's own credentials, from its launcher view."""
    return view["connection"]["username"], view["connection"]["password"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


CLASS = ["Class Demo.Saved Extends %RegisteredObject", "{", "",
         "ClassMethod Hi() As %String", "{", "  quit \"hi\"", "}", "", "}"]


def save_and_compile(launcher: LauncherProc, owner: str, auth: tuple[str, str]) -> None:
    """PUT a class through the proxy and compile it; both must succeed."""
    put = launcher.proxied(owner, "PUT", "/api/atelier/v8/USER/doc/Demo.Saved.cls", auth,
                           json={"enc": False, "content": CLASS})
    assert put.status_code in (200, 201), put.text
    comp = launcher.proxied(owner, "POST", "/api/atelier/v8/USER/action/compile", auth,
                            json=["Demo.Saved.cls"])
    assert comp.status_code == 200, comp.text
    assert comp.json()["status"]["errors"] == [], comp.text
    assert any("Compilation finished successfully" in line for line in comp.json()["console"])


def has_class(launcher: LauncherProc, owner: str, auth: tuple[str, str]) -> bool:
    resp = launcher.proxied(owner, "GET", "/api/atelier/v8/USER/doc/Demo.Saved.cls", auth)
    assert resp.status_code in (200, 404), resp.text
    return resp.status_code == 200
