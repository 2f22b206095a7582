"""Fixtures of the search tests: a workspace with classes, routines, web and system files,
and a logged-in Flask test client of an app on it."""

from __future__ import annotations

from typing import Any

import pytest
from envelopes import envelope as envelope
from spaces import SessionClient, SpaceSpec
from spaces import Space as Space
from werkzeug.test import TestResponse

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

class Client(SessionClient):
    """A logged-in client of the search API: searches and work jobs."""

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

    def until_done(self, job: str) -> tuple[list[Any], Any]:
        """Poll until no Retry-After; returns the running envelopes and the final one."""
        running, resp = self.poll_until_done(job, check=_result_is_list)
        return running, envelope(resp)


def _result_is_list(env: Any) -> None:
    assert isinstance(env["result"], list), env


@pytest.fixture
def space_spec() -> SpaceSpec:
    """The workspace of the ``space`` fixture (tests/conftest.py) and its clients."""
    return SpaceSpec(FILES, Client)


@pytest.fixture
def api(space: Space) -> Client:
    """A logged-in client of an app on the workspace."""
    return space.app()
