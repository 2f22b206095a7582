"""Workspaces for the in-process (Flask test client) suites: files written into a folder, an
app on it (namespace USER), a logged-in client, and ``Space`` holding the folders of one test
and the apps built on them. Importable from every suite because the root
``tests/conftest.py`` makes pytest put this folder on ``sys.path``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envelopes import basic, envelope
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from atelier_api.app import create_app
from atelier_api.config import NamespaceConfig, Settings
from atelier_api.documents.layout import default_webapps

DEADLINE = 30.0


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``, parents created."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


def build_app(ws: Path, state: Path, compiler: Any = None, layout: str = "default",
              **overrides: Any) -> Flask:
    """An app whose one namespace USER (``default`` layout unless told) is ``ws``; settings
    overridable."""
    ns = NamespaceConfig("USER", str(ws), layout, "USER", default_webapps("USER"))
    settings = Settings(state_dir=str(state), namespaces=(ns,), **overrides)
    return create_app(settings, compiler=compiler)


def log_in(client: FlaskClient) -> TestResponse:
    """HEAD /api/atelier/ with Basic auth (the default user); the 200 response."""
    resp = client.head("/api/atelier/", headers={"Authorization": basic()})
    assert resp.status_code == 200
    return resp


@dataclass
class SessionClient:
    """A Flask test client that logs in once and then sends the session cookie."""

    app: Flask
    client: FlaskClient
    cookie: str = ""

    def login(self) -> None:
        self.cookie = log_in(self.client).headers["Set-Cookie"]

    @property
    def svc(self) -> Any:
        return self.app.extensions["atelier"]

    def call(self, method: str, path: str, **kw: Any) -> TestResponse:
        headers = {"Accept": "application/json", "Cookie": self.cookie, **kw.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kw)

    def url(self, rest: str, v: int = 8, ns: str = "USER") -> str:
        return f"/api/atelier/v{v}/{ns}/{rest}"

    def queue(self, body: Any, v: int = 8) -> TestResponse:
        return self.call("POST", self.url("work", v), json=body)

    def poll(self, job: str, v: int = 8) -> TestResponse:
        return self.call("GET", self.url(f"work/{job}", v))

    def poll_until_done(self, job: str, check: Callable[[Any], None] | None = None
                        ) -> tuple[list[Any], TestResponse]:
        """Poll until the answer has no Retry-After; returns the running envelopes and the
        last response. ``check``, if given, sees the envelope of every answer."""
        deadline = time.monotonic() + DEADLINE
        running = []
        while time.monotonic() < deadline:
            resp = self.poll(job)
            assert resp.status_code == 200, resp.data
            if check is not None:
                check(envelope(resp))
            if "Retry-After" not in resp.headers:
                return running, resp
            running.append(envelope(resp))
        raise AssertionError(f"job {job} still running after {DEADLINE}s")


@dataclass
class Space:
    """The folders of one test and a way to build apps on them (``client``: the class of the
    logged-in client every ``app()`` returns); ``close()`` closes every app built."""

    ws: Path
    state: Path
    client: type[SessionClient] = SessionClient
    apps: list[Any] = field(default_factory=list)

    def write(self, rel: str, text: str) -> None:
        write_files(self.ws, {rel: text})

    def read(self, rel: str) -> str:
        return (self.ws / rel).read_text(encoding="utf-8")

    def app(self, compiler: Any = None, **options: Any) -> Any:
        """A logged-in client of a new app on the workspace (no watcher; an adapter and
        settings overridable)."""
        app = build_app(self.ws, self.state, compiler, watch=False, **options)
        client = self.client(app, app.test_client(use_cookies=False))
        client.login()
        self.apps.append(client)
        return client

    def close(self) -> None:
        for client in self.apps:
            client.svc.close()


@dataclass(frozen=True)
class SpaceSpec:
    """What a suite's ``space`` fixture starts from: the files of the workspace and the class
    of the clients its apps get (a suite's ``space_spec`` fixture gives it)."""

    files: Mapping[str, str | bytes]
    client: type[SessionClient] = SessionClient


def make_space(root: Path, spec: SpaceSpec) -> Space:
    """A Space on ``root/ws`` populated with the spec's files, with an empty ``root/state``."""
    box = Space(root / "ws", root / "state", spec.client)
    write_files(box.ws, spec.files)
    box.state.mkdir()
    return box
