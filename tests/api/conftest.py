"""Fixtures of the API tests: a populated workspace, an app on it and a logged-in client."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from envelopes import basic as basic
from envelopes import envelope as body
from envelopes import summary
from flask import Flask
from flask.testing import FlaskClient
from samples import CLASS_TEXT as CLASS_TEXT
from samples import INCLUDE_TEXT as INCLUDE_TEXT
from samples import JS_TEXT as JS_TEXT
from samples import PNG_BYTES as PNG_BYTES
from samples import ROUTINE_TEXT as ROUTINE_TEXT
from spaces import build_app, log_in, write_files
from werkzeug.test import TestResponse

FILES: dict[str, bytes] = {
    "Pkg/A.cls": CLASS_TEXT.encode(),
    "R.mac": ROUTINE_TEXT.encode(),
    "Inc.inc": INCLUDE_TEXT.encode(),
    "csp/user/x.js": JS_TEXT.encode(),
    "csp/user/logo.png": PNG_BYTES,
}


def ns_segment(ns: str) -> str:
    """A namespace as the client puts it in a path (``%SYS`` -> ``%25SYS``)."""
    return quote(ns, safe="")


def url(ns: str, rest: str = "", v: int = 8) -> str:
    """A versioned API path."""
    tail = f"/{rest}" if rest else ""
    return f"/api/atelier/v{v}/{ns_segment(ns)}{tail}"


def doc_url(name: str, ns: str = "USER", v: int = 8) -> str:
    """The path of one document (names are sent as-is, like the VS Code client's encodeURI)."""
    return url(ns, f"doc/{name}", v)


def snapshot(root: Path) -> dict[str, Any]:
    """A recursive listing of a folder: every entry with its type, size, mtime and bytes."""
    out: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = path.lstat()
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
            out[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, data)
    return out


def error_text(resp: TestResponse) -> str:
    """The summary of an error envelope (non-empty)."""
    return summary(resp)


@dataclass
class Api:
    """A Flask test client speaking like the VS Code extension: cookie only after login."""

    app: Flask
    client: FlaskClient
    cookie: str = ""
    defaults: dict[str, str] = field(default_factory=lambda: {
        "Accept": "application/json", "Cache-Control": "no-cache"})

    def login(self) -> str:
        """HEAD /api/atelier/ with Basic auth; keep the raw Set-Cookie string."""
        cookies = log_in(self.client).headers.getlist("Set-Cookie")
        assert len(cookies) == 1
        self.cookie = cookies[0]
        return self.cookie

    def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             **kwargs: Any) -> TestResponse:
        """One request carrying the session cookie (and extra headers)."""
        merged = dict(self.defaults)
        if self.cookie:
            merged["Cookie"] = self.cookie
        merged.update(headers or {})
        return self.client.open(path, method=method, headers=merged, **kwargs)

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.call("GET", path, **kw)

    def head(self, path: str, **kw: Any) -> TestResponse:
        return self.call("HEAD", path, **kw)

    def put(self, path: str, **kw: Any) -> TestResponse:
        return self.call("PUT", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.call("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.call("DELETE", path, **kw)

    def get_doc(self, name: str, ns: str = "USER", **kw: Any) -> TestResponse:
        return self.get(doc_url(name, ns), **kw)

    def put_doc(self, name: str, content: list[str], *, ts: str | None = None,
                ignore: int | None = None, enc: bool = False, ns: str = "USER",
                extra: dict[str, Any] | None = None) -> TestResponse:
        """PUT a document the way the client does (JSON body, optional IF-NONE-MATCH)."""
        headers = {"IF-NONE-MATCH": ts} if ts is not None else {}
        query = {"ignoreConflict": str(ignore)} if ignore is not None else {}
        payload = {"enc": enc, "content": content, **(extra or {})}
        return self.put(doc_url(name, ns), headers=headers, query_string=query, json=payload)

    def ts(self, name: str, ns: str = "USER") -> str:
        """The current ts of a document (via GET)."""
        resp = self.get_doc(name, ns)
        assert resp.status_code == 200, resp.data
        return str(body(resp)["result"]["ts"])


@dataclass
class Box:
    """The folders of one test: the workspace, its parent (compared for stray writes), state."""

    root: Path  # parent of the workspace: nothing may appear here
    ws: Path
    state: Path


def populate(base: Path) -> Box:
    """A populated workspace under ``base/box/ws`` and a separate state folder."""
    root = base / "box"
    ws = write_files(root / "ws", FILES)
    state = base / "state"
    state.mkdir()
    return Box(root, ws, state)


def build_api(box: Box, login: bool = True, **overrides: Any) -> Api:
    """An app on the box's workspace (settings overridable) and a (logged-in) client."""
    app = build_app(box.ws, box.state, **overrides)
    api = Api(app, app.test_client(use_cookies=False))
    if login:
        api.login()
    return api


@pytest.fixture
def box(tmp_path: Path) -> Box:
    """A populated workspace of this test."""
    return populate(tmp_path)


@pytest.fixture
def make_api(box: Box) -> Callable[..., Api]:
    """Build an app on the box's workspace (settings overridable) and a logged-in client."""

    def make(login: bool = True, **overrides: Any) -> Api:
        return build_api(box, login, **overrides)

    return make


@pytest.fixture(scope="module")
def ro_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One logged-in client per module for tests that only read (nothing may write)."""
    box = populate(tmp_path_factory.mktemp("ro"))
    before = snapshot(box.root)
    client = build_api(box)
    yield client
    client.app.extensions["atelier"].close()
    assert snapshot(box.root) == before, "a read-only test wrote to the workspace"


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Iterator[Api]:
    """A logged-in client on the populated workspace."""
    client = make_api()
    yield client
    client.app.extensions["atelier"].close()
