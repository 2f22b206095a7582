"""Fixtures of the SQL tests: a workspace with packages, routines, web files and a system
routine, and a logged-in Flask test client speaking like the VS Code extension."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from envelopes import envelope as envelope
from flask import Flask
from flask.testing import FlaskClient
from samples import A_STORAGE, INCLUDE_TEXT, JS_TEXT
from spaces import build_app, log_in, write_files
from werkzeug.test import TestResponse

A_CLS = """\
/// Class A.
/// Second line.
Class Pkg.A Extends %Persistent [ Final ]
{

Parameter VERSION = 3;

/// The name.
Property Name As %String(MAXLEN = 50) [ Required ];

Index NameIdx On Name [ Unique ];

/// Say hello.
Method Hello(a As %String, b As %Integer = 1) As %String
{
    quit a_"{"_b
}

ClassMethod Make() As Pkg.A
{
    quit ..%New()
}

""" + A_STORAGE + "\n}\n"
B_CLS = """\
Class Pkg.Sub.B Extends Pkg.A [ Abstract, Deployed ]
{

/// Overridden.
Method Hello(a As %String, b As %Integer = 2) As %String
{
    quit "B"
}

XData Config [ MimeType = application/json ]
{
{ "a": { "b": 1 } }
}

Query ByName(name As %String) As %SQLQuery [ SqlProc ]
{
SELECT Name FROM Pkg.A WHERE Name = :name
}

Trigger Log [ Event = INSERT, Time = AFTER ]
{
    set x = 1
}

ForeignKey FK(Name) References Pkg.A(NameIdx);

Projection P As %Projection.Java;

}
"""
T_CLS = """\
Class Tests.T Extends %UnitTest.TestCase
{

Method TestOne()
{
    do $$$AssertEquals(1, 1)
}

}
"""
FILES: dict[str, bytes] = {
    "Pkg/A.cls": A_CLS.encode(),
    "Pkg/Sub/B.cls": B_CLS.encode(),
    "Tests/T.cls": T_CLS.encode(),
    "R.mac": b"ROUTINE R\nR ;\n quit\n",
    "Other.Thing.mac": b"ROUTINE Other.Thing\n quit\n",
    "Inc.inc": INCLUDE_TEXT.encode(),
    "%ZR.mac": b"ROUTINE %ZR\n quit\n",
    "csp/user/x.js": JS_TEXT.encode(),
    "csp/user/menu.csp": b"<html></html>\n",
    "csp/user/sub/y.csp": b"<html></html>\n",
}
DIALOG = "SELECT Name, Type FROM %Library.RoutineMgr_StudioOpenDialog(?,?,?,?,?,?,?,?,?,?)"


def dialog_params(spec: str, *, system: str = "0", flat: str = "0", generated: str = "0",
                  filter: str = "", mapped: str = "1") -> list[str]:
    """The parameter array the extension sends with DIALOG (studioOpenDialogFromURI)."""
    return [spec, "1", "1", system, flat, "0", generated, filter, "0", mapped]


@dataclass
class Client:
    """A logged-in client that posts action/query like the extension."""

    app: Flask
    client: FlaskClient
    cookie: str
    ws: Path

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        headers = {"Accept": "application/json", "Cache-Control": "no-cache",
                   "Cookie": self.cookie, **kwargs.pop("headers", {})}
        return self.client.post(path, headers=headers, **kwargs)

    def query_raw(self, query: str, params: list[Any] | None = None, *, ns: str = "USER",
                  max: str | None = None) -> TestResponse:
        """POST action/query; returns the response."""
        qs = {"max": max} if max is not None else {}
        return self.post(f"/api/atelier/v8/{ns}/action/query", query_string=qs,
                         json={"query": query, "parameters": params or []})

    def rows(self, query: str, params: list[Any] | None = None, **kw: Any) -> list[dict[str, Any]]:
        """The rows of a statement that must succeed."""
        resp = self.query_raw(query, params, **kw)
        env = envelope(resp)
        assert resp.status_code == 200, env
        assert env["status"]["summary"] == "", env
        return env["result"]["content"]  # type: ignore[no-any-return]

    def sql_error(self, query: str, params: list[Any] | None = None) -> dict[str, Any]:
        """The envelope of a statement that must fail the IRIS way (200, 5540, result {})."""
        resp = self.query_raw(query, params)
        env = envelope(resp)
        assert resp.status_code == 200, env
        assert env["result"] == {}, env
        assert env["status"]["summary"], env
        err = env["status"]["errors"][0]
        assert err["code"] == 5540 and err["id"] == "SQLCode", err
        assert err["error"].startswith("ERROR #5540: SQLCODE: "), err
        return env

    def put_doc(self, name: str, text: str) -> TestResponse:
        return self.client.put(f"/api/atelier/v8/USER/doc/{name}?ignoreConflict=1",
                               headers={"Cookie": self.cookie},
                               json={"enc": False, "content": text.split("\n")})

    def delete_doc(self, name: str) -> TestResponse:
        return self.client.delete(f"/api/atelier/v8/USER/doc/{name}",
                                  headers={"Cookie": self.cookie})

def names(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(Name, Type) of each row, in order."""
    return [(r["Name"], r["Type"]) for r in rows]


def build(base: Path, **overrides: Any) -> Client:
    """A workspace under ``base`` and a logged-in client of an app on it."""
    ws = write_files(base / "ws", FILES)
    state = base / "state"
    state.mkdir()
    app = build_app(ws, state, **overrides)
    client = app.test_client(use_cookies=False)
    return Client(app, client, log_in(client).headers["Set-Cookie"], ws)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Client]:
    """A fresh logged-in client (tests that write)."""
    client = build(tmp_path)
    yield client
    client.app.extensions["atelier"].close()


@pytest.fixture(scope="module")
def ro(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One client per module for tests that only read."""
    client = build(tmp_path_factory.mktemp("sqlro"))
    yield client
    client.app.extensions["atelier"].close()
