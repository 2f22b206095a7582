"""Fixtures of the XML tests: a small workspace, an app on it and a logged-in client.

This folder has no ``__init__.py`` on purpose: a package named ``xml`` would shadow the
standard library's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from envelopes import envelope as envelope
from envelopes import summary as summary
from flask.testing import FlaskClient
from samples import CLASS_TEXT as CLASS_TEXT
from samples import JS_TEXT, PNG_BYTES
from samples import ROUTINE_TEXT as ROUTINE_TEXT
from spaces import build_app, log_in, write_files
from werkzeug.test import TestResponse

FILES: dict[str, bytes] = {
    "Pkg/A.cls": CLASS_TEXT.encode(),
    "R.mac": ROUTINE_TEXT.encode(),
    "Inc.inc": b"ROUTINE Inc [Type=INC]\r\n#define X 1\r\n",
    "csp/user/x.js": JS_TEXT.encode(),
    "csp/user/logo.png": PNG_BYTES,
}


@dataclass
class Client:
    """A logged-in test client (session cookie only) on one workspace."""

    client: FlaskClient
    ws: Path
    cookie: str = ""

    def call(self, method: str, path: str, v: int = 8, **kw: Any) -> TestResponse:
        """A request to /api/atelier/v{v}/USER/{path} with the session cookie."""
        headers = {"Cookie": self.cookie, **kw.pop("headers", {})}
        return self.client.open(f"/api/atelier/v{v}/USER/{path}", method=method,
                                headers=headers, **kw)

    def post(self, path: str, payload: Any, v: int = 8) -> TestResponse:
        """POST a JSON body."""
        return self.call("POST", path, v, json=payload)

    def ok(self, resp: TestResponse) -> Any:
        """The result of a successful response."""
        env = envelope(resp)
        assert resp.status_code == 200, env
        assert env["status"]["summary"] == "", env
        return env["result"]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A populated workspace folder."""
    return write_files(tmp_path / "ws", FILES)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., Client]]:
    """Build an app on a workspace folder and log in (settings overridable)."""
    apps = []

    def make(ws: Path, **overrides: Any) -> Client:
        state = tmp_path / f"state{len(apps)}"
        state.mkdir()
        app = build_app(ws, state, **overrides)
        apps.append(app)
        client = app.test_client(use_cookies=False)
        return Client(client, ws, log_in(client).headers["Set-Cookie"])

    yield make
    for app in apps:
        app.extensions["atelier"].close()


@pytest.fixture
def api(workspace: Path, make_client: Callable[..., Client]) -> Client:
    """A logged-in client on the populated workspace."""
    return make_client(workspace)
