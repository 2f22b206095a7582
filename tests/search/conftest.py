"""Fixtures of the search tests: a workspace with classes, routines, web and system files,
and a logged-in Flask test client of an app on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from envelopes import basic as basic
from envelopes import envelope as envelope
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from atelier_api.app import create_app
from atelier_api.config import NamespaceConfig, Settings
from atelier_api.documents.layout import default_webapps

DEADLINE = 30.0
PERSON = """\
Include Macros

/// A person with an Email.
/// Stored in ^Pkg.PersonD.
Class Pkg.Person Extends (%Persistent, Pkg.Base) [ SqlTableName = People ]
{

Parameter VERSION = 2;

/// The Email address.
Property Email As %String;

// a loose comment about Email

/// Sends an Email.
/// Twice if asked.
ClassMethod Send(who As %String) As %Status
{
    set sc = $$$OK
    write "Email to ", who
    quit sc
}

XData Template
{
<mail>Email body</mail>
}

Query ByEmail() As %SQLQuery
{
SELECT Email FROM People
}

Storage Default
{
<Data name="PersonDefaultData">
<Value name="1">
<Value>Email</Value>
</Value>
</Data>
}

}
"""
BASE = "Class Pkg.Base Extends %RegisteredObject\n{\n\nProperty Note As %String;\n\n}\n"
ROUTINE = "ROUTINE Mail\nMail ;\n write \"email\"\n quit\nSend(x) ;\n write x\n quit\n"
FILES = {
    "Pkg/Person.cls": PERSON,
    "Pkg/Base.cls": BASE,
    "Other/Thing.cls": "Class Other.Thing\n{\n\nProperty Email As %String;\n\n}\n",
    "Mail.mac": ROUTINE,
    "Macros.inc": "ROUTINE Macros [Type=INC]\n#define EMAIL \"email\"\n",
    "%Sys.mac": "ROUTINE %Sys\n write \"Email\"\n",
    "csp/user/app.js": "var x = 1;\n// send the Email\nvar y = 'email';\n",
    "csp/user/page.csp": "<html>\n<body>Email</body>\n</html>\n",
}




@dataclass
class Client:
    """A Flask test client that logs in once and then sends the session cookie."""

    app: Flask
    client: FlaskClient
    cookie: str = ""

    def login(self) -> None:
        resp = self.client.head("/api/atelier/", headers={"Authorization": basic()})
        assert resp.status_code == 200
        self.cookie = resp.headers["Set-Cookie"]

    def call(self, method: str, path: str, **kw: Any) -> TestResponse:
        headers = {"Accept": "application/json", "Cookie": self.cookie, **kw.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kw)

    def url(self, rest: str, v: int = 8, ns: str = "USER") -> str:
        return f"/api/atelier/v{v}/{ns}/{rest}"

    def search(self, query: str, files: str = "*.cls,*.mac,*.inc", v: int = 8,
               **params: Any) -> TestResponse:
        args = {"query": query, "files": files, "regex": "0",
                **{k: str(int(val)) if isinstance(val, bool) else str(val)
                   for k, val in params.items()}}
        return self.call("GET", self.url("action/search", v), query_string=args)

    def found(self, query: str, files: str = "*.cls,*.mac,*.inc", **params: Any
              ) -> dict[str, list[dict[str, Any]]]:
        resp = self.search(query, files, **params)
        assert resp.status_code == 200, resp.data
        result = envelope(resp)["result"]
        assert isinstance(result, list)
        return {item["doc"]: item["matches"] for item in result}

    def queue(self, body: Any, v: int = 8) -> TestResponse:
        return self.call("POST", self.url("work", v), json=body)

    def poll(self, job: str, v: int = 8) -> TestResponse:
        return self.call("GET", self.url(f"work/{job}", v))

    def until_done(self, job: str) -> tuple[list[Any], Any]:
        """Poll until no Retry-After; returns the running envelopes and the final one."""
        deadline = time.monotonic() + DEADLINE
        running = []
        while time.monotonic() < deadline:
            resp = self.poll(job)
            assert resp.status_code == 200, resp.data
            env = envelope(resp)
            assert isinstance(env["result"], list), env
            if "Retry-After" not in resp.headers:
                return running, env
            running.append(env)
        raise AssertionError(f"job {job} still running after {DEADLINE}s")


@dataclass
class Space:
    """The folders of one test and the apps built on them."""

    ws: Path
    state: Path
    apps: list[Client] = field(default_factory=list)

    def write(self, rel: str, text: str) -> None:
        path = self.ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def app(self, **options: Any) -> Client:
        ns = NamespaceConfig("USER", str(self.ws), "default", "USER", default_webapps("USER"))
        settings = Settings(state_dir=str(self.state), namespaces=(ns,), watch=False, **options)
        app = create_app(settings)
        client = Client(app, app.test_client(use_cookies=False))
        client.login()
        self.apps.append(client)
        return client


@pytest.fixture
def space(tmp_path: Path) -> Iterator[Space]:
    """A populated workspace; every app built on it is closed at the end."""
    box = Space(tmp_path / "ws", tmp_path / "state")
    for rel, text in FILES.items():
        box.write(rel, text)
    box.state.mkdir()
    yield box
    for client in box.apps:
        client.app.extensions["atelier"].close()


@pytest.fixture
def api(space: Space) -> Client:
    """A logged-in client of an app on the workspace."""
    return space.app()
