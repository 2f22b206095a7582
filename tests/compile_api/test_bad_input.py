"""Bad input to action/compile: a clear envelope error, never a 500, never a partial write."""

from __future__ import annotations

from atelier_api.documents.docsets import MAX_ITEMS

from .conftest import Client, Space, envelope, summary


def _snapshot(space: Space) -> dict[str, bytes]:
    return {str(p.relative_to(space.ws)): p.read_bytes()
            for p in sorted(space.ws.rglob("*")) if p.is_file()}


def test_bad_bodies(api: Client, space: Space) -> None:
    before = _snapshot(space)
    url = api.url("action/compile")
    cases = [
        ({"data": "[]", "content_type": "text/plain"}, 415, "Content-Type"),
        ({"data": "[", "content_type": "application/json"}, 400, "not valid JSON"),
        ({"json": {"documents": ["R.mac"]}}, 400, "must be a JSON array"),
        ({"json": "R.mac"}, 400, "must be a JSON array"),
        ({"json": [None]}, 400, "item 0 must be a document name"),
        ({"json": ["R.mac", 5]}, 400, "item 1 must be a document name"),
        ({"json": [{"name": 5}]}, 400, "item 0"),
        ({"json": [""]}, 400, "item 0"),
        ({"json": [["R.mac"]]}, 400, "item 0"),
    ]
    for kwargs, status, words in cases:
        resp = api.call("POST", url, **kwargs)
        assert resp.status_code == status, (kwargs, resp.data)
        assert words in summary(resp), (kwargs, summary(resp))
    assert _snapshot(space) == before


def test_hostile_names_are_400(api: Client, space: Space) -> None:
    before = _snapshot(space)
    for name in ("../Pkg/Person.cls", "/etc/passwd", "Pkg.Person.cls\x00", "a\\b.cls",
                 "Person.cls", "Pkg.Person.exe", "%2e%2e/x.mac", "//csp/../x.js"):
        resp = api.compile(["R.mac", name])
        assert resp.status_code == 400, name
        assert "#16006" in summary(resp)
    assert _snapshot(space) == before


def test_invalid_flags_are_400(api: Client) -> None:
    for flags in ("c;k", "cuk/keepsource=\x01", "c" * 600, "ck//", "c'k", "ck/"):
        resp = api.compile(["R.mac"], flags)
        assert resp.status_code == 400, flags
        assert "Invalid compiler flags" in summary(resp)
    for flags in ("", "cuk", "ck-d", "-d", "cbk/compileembedded=1", "/display=none",
                  "cuk /checkuptodate=expandedonly", "co1k", "/defines=A=1,B"):
        assert api.compile(["R.mac"], flags).status_code == 200, flags


def test_bad_source_parameter(api: Client) -> None:
    resp = api.compile(["R.mac"], source=7)
    assert resp.status_code == 400 and "'source' must be 0 or 1" in summary(resp)


def test_huge_lists_are_refused_before_any_work(api: Client, space: Space) -> None:
    before = _snapshot(space)
    resp = api.compile([f"Pkg.C{i}.cls" for i in range(MAX_ITEMS + 1)])
    assert resp.status_code == 400
    assert f"at most {MAX_ITEMS}" in summary(resp)
    assert _snapshot(space) == before


def test_unknown_namespace_is_404(api: Client) -> None:
    resp = api.call("POST", api.url("action/compile", ns="NOPE"), json=["R.mac"])
    assert resp.status_code == 404 and "NOPE" in summary(resp)
    resp = api.call("POST", api.url("work", ns="NOPE"),
                    json={"request": "compile", "documents": ["R.mac"]})
    assert resp.status_code == 404


def test_get_is_not_a_compile(api: Client) -> None:
    resp = api.call("GET", api.url("action/compile"))
    assert resp.status_code == 405
    assert envelope(resp)["status"]["errors"]
