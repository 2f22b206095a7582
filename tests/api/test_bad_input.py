"""Bad input is a product feature: clear 4xx envelopes, never a 500, never a stray write."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import Api, Box, body, doc_url, error_text, snapshot, url

SMALL_LIMIT = 4096
BODY_ENDPOINTS = [
    ("PUT", "doc/R.mac"), ("POST", "docs"), ("DELETE", "docs"), ("POST", "modified/*"),
]


# -- malformed bodies ----------------------------------------------------------------------

@pytest.mark.parametrize("method,rest", BODY_ENDPOINTS)
@pytest.mark.parametrize("raw", [
    b"{", b"[1,", b"not json", b"\xff\xfe\x00garbage", b"'x'", b"{'content': []}",
    b"[" * 100_000, b"{\"a\":" * 50_000,
], ids=["brace", "open-array", "text", "bad-utf8", "single-quotes", "python-dict",
        "deep-arrays", "deep-objects"])
def test_malformed_json_is_400(api: Api, box: Box, method: str, rest: str, raw: bytes) -> None:
    before = snapshot(box.root)
    resp = api.call(method, url("USER", rest), data=raw, content_type="application/json")
    assert resp.status_code == 400
    error_text(resp)
    assert snapshot(box.root) == before


@pytest.mark.parametrize("method,rest", BODY_ENDPOINTS)
@pytest.mark.parametrize("ctype", [None, "text/plain", "application/xml",
                                   "application/x-www-form-urlencoded", "multipart/form-data",
                                   "application/jsonx"])
def test_wrong_content_type_is_415(api: Api, box: Box, method: str, rest: str,
                                   ctype: str | None) -> None:
    before = snapshot(box.root)
    payload = b'{"enc":false,"content":["ROUTINE R"," quit"]}' if rest.startswith("doc") \
        else b"[]"
    headers = {"Content-Type": ctype} if ctype else {}
    resp = api.call(method, url("USER", rest), data=payload, headers=headers)
    assert resp.status_code == 415
    assert "Content-Type" in error_text(resp)
    assert snapshot(box.root) == before


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_content_type_variants_accepted(api: Api, ctype: str) -> None:
    resp = api.post(url("USER", "docs"), data=b'["R.mac"]', headers={"Content-Type": ctype})
    assert resp.status_code == 200


@pytest.mark.parametrize("method,rest", BODY_ENDPOINTS)
def test_body_over_limit_is_413(make_api: Callable[..., Api], box: Box, method: str,
                                rest: str) -> None:
    api = make_api(max_body_bytes=SMALL_LIMIT)
    before = snapshot(box.root)
    payload = '{"enc":false,"content":["ROUTINE R","' + "x" * SMALL_LIMIT + '"]}'
    if not rest.startswith("doc"):
        payload = '["' + "x" * SMALL_LIMIT + '"]'
    resp = api.call(method, url("USER", rest), data=payload, content_type="application/json")
    assert resp.status_code == 413
    assert "limit" in error_text(resp)
    assert snapshot(box.root) == before


def test_body_just_under_limit_is_accepted(make_api: Callable[..., Api]) -> None:
    api = make_api(max_body_bytes=SMALL_LIMIT)
    line = "x" * (SMALL_LIMIT - 100)
    resp = api.put_doc("Big.mac", ["ROUTINE Big", f" ; {line}"])
    assert resp.status_code == 201


@pytest.mark.parametrize("payload", [
    {}, {"enc": False}, {"content": None}, {"content": "ROUTINE R"}, {"content": {"a": 1}},
    {"content": 5}, {"content": [1, 2]}, {"content": [None]}, {"content": [["x"]]},
    {"content": [{"a": 1}]}, {"content": ["ROUTINE R"], "enc": "yes"},
    {"content": ["ROUTINE R"], "enc": "true"}, {"content": ["ROUTINE R"], "enc": 1},
    {"content": ["ROUTINE R"], "enc": 0}, {"content": ["ROUTINE R"], "enc": None},
    {"content": ["ROUTINE R"], "enc": []}, [], ["ROUTINE R"], "text", 42, None, True,
    {"content": ["ROUTINE R", "\ud800"]},
])
def test_put_doc_bad_body_is_400(api: Api, box: Box, payload: Any) -> None:
    before = snapshot(box.root)
    resp = api.put(doc_url("R.mac"), query_string={"ignoreConflict": "1"},
                   data=json.dumps(payload), content_type="application/json")
    assert resp.status_code == 400, resp.data
    error_text(resp)
    assert snapshot(box.root) == before


@pytest.mark.parametrize("rest", ["docs"])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("payload", [{}, {"names": ["R.mac"]}, "R.mac", 1, None, [1],
                                     [None], [["R.mac"]], [{"name": "R.mac"}], ["R.mac", 2]])
def test_name_array_bodies_must_be_arrays_of_strings(api: Api, box: Box, method: str,
                                                     rest: str, payload: Any) -> None:
    before = snapshot(box.root)
    resp = api.call(method, url("USER", rest), data=json.dumps(payload),
                    content_type="application/json")
    assert resp.status_code == 400
    error_text(resp)
    assert snapshot(box.root) == before


@pytest.mark.parametrize("payload", [{}, "x", [1], [None], [{}], [{"dbname": "USER"}],
                                     [{"dbhash": "x"}], [{"dbname": 1, "dbhash": "x"}],
                                     [{"dbname": "USER", "dbhash": None}], [[]]])
def test_modified_bad_body_is_400(api: Api, payload: Any) -> None:
    resp = api.post(url("USER", "modified/*"), json=payload)
    assert resp.status_code == 400
    error_text(resp)


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_lone_surrogate_names_in_bodies_are_rejected_cleanly(api: Api, box: Box,
                                                            method: str) -> None:
    before = snapshot(box.root)
    resp = api.call(method, url("USER", "docs"), json=["/csp/user/\ud800.js", "R.mac"])
    assert 400 <= resp.status_code < 500
    error_text(resp)
    assert snapshot(box.root) == before


# -- hostile names -------------------------------------------------------------------------

HOSTILE = [
    "../x.mac", "../../x.mac", "%2e%2e/x.mac", "%2E%2E/%2E%2E/x.mac", "..%2fx.mac",
    "csp/user/../../evil.js", "csp/user/%2e%2e/%2e%2e/evil.js", "/csp/user/%2e%2e/evil.js",
    "csp/user/./x.js", "csp/user/%2e/x.js", "csp/user//x.js", "/csp/user/x.js/..",
    "/etc/passwd", "//etc/passwd", "%2fetc%2fpasswd", "%2f%2f%2fetc/passwd", "/tmp/evil.js",
    "/proc/self/environ", "R%00.mac", "R.mac%00.js", "csp/user/x%00.js", "%00",
    "csp%5cuser%5cx.js", "..%5c..%5cevil.mac", "csp/user/..%5c..%5cevil.js", "C:%5cevil.mac",
    "Pkg..A.cls", ".A.cls", "A.cls", "..cls", ".mac", "..mac", "R.exe", "R", "R.", ".",
    "..", "csp/user", "csp/user/", "csp", "x" * 2000 + ".mac", "csp/user/" + "y" * 2000 + ".js",
    "csp/user/ x.js", "csp/user/x.js.", "csp/user/x.js%20", "~/evil.mac", "%7e/evil.js",
    "Pkg_A.cls", "Pkg.A%0a.cls", "R%0d%0a.mac", "R%7f.mac", "R%c2%85.mac",
    "csp/user/out/evil.js", "Link.mac", "Evil.X.cls", "csp/user/linkfile.js", "Loop.mac",
    "LoopDir.X.cls",
]
CASE_TWINS = ["pkg.A.cls", "Pkg.a.cls", "PKG.A.cls", "r.mac", "/csp/user/X.js",
              "csp/USER/X.JS", "inc.inc"]


def content_for(name: str) -> list[str]:
    """Text whose header matches the name, so a save gets past the header check."""
    base, _, ext = name.rpartition(".")
    if ext.lower() == "cls":
        return [f"Class {base}", "{", "}"]
    if ext.lower() in ("mac", "inc"):
        kind = " [Type=INC]" if ext.lower() == "inc" else ""
        return [f"ROUTINE {base}{kind}", " quit"]
    return ["x"]


@pytest.fixture
def hostile_box(box: Box) -> Box:
    """The box with an ``outside`` folder and symlinks from the workspace into it."""
    outside = box.root / "outside"
    outside.mkdir()
    (outside / "secret.mac").write_text("ROUTINE Link\n ; secret\n")
    (outside / "secret.js").write_text("secret")
    os.symlink(outside, box.ws / "csp/user/out")
    os.symlink(outside / "secret.mac", box.ws / "Link.mac")
    os.symlink(outside, box.ws / "Evil")
    os.symlink(outside / "secret.js", box.ws / "csp/user/linkfile.js")
    os.symlink("Loop.mac", box.ws / "Loop.mac")  # a loop: resolves nowhere
    os.symlink("LoopDir", box.ws / "LoopDir")
    return box


def _send(api: Api, method: str, name: str) -> Any:
    path = url("USER", "doc/") + name
    if method == "PUT":
        return api.put(path, query_string={"ignoreConflict": "1"},
                       json={"enc": False, "content": content_for(name)})
    return api.call(method, path)


@pytest.mark.parametrize("name", HOSTILE + CASE_TWINS)
def test_hostile_names_are_4xx_and_write_nothing(api: Api, hostile_box: Box, name: str) -> None:
    before = snapshot(hostile_box.root)
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        resp = _send(api, method, name)
        assert 400 <= resp.status_code < 500, (method, resp.status_code, resp.data[:300])
        if method == "HEAD":
            assert resp.data == b""
        else:
            error_text(resp)
            assert b"secret" not in resp.data
        assert snapshot(hostile_box.root) == before, method


def test_hostile_names_in_bodies_are_per_item_errors(api: Api, hostile_box: Box) -> None:
    before = snapshot(hostile_box.root)
    names = [n.replace("%2e", ".").replace("%2f", "/").replace("%00", "\x00")
             .replace("%5c", "\\") for n in HOSTILE]
    for method in ("POST", "DELETE"):
        resp = api.call(method, url("USER", "docs"), json=names)
        assert resp.status_code == 200
        env = body(resp)
        items = env["result"] if method == "DELETE" else env["result"]["content"]
        assert len(items) == len(names)
        assert all(item["status"] for item in items), [i for i in items if not i["status"]]
        assert b"secret" not in resp.data
    assert snapshot(hostile_box.root) == before


def test_symlink_inside_the_root_is_no_second_name(api: Api, box: Box) -> None:
    os.symlink(box.ws / "R.mac", box.ws / "Alias.mac")
    before = snapshot(box.root)
    for method in ("GET", "HEAD", "DELETE"):
        resp = api.call(method, doc_url("Alias.mac"))
        assert 400 <= resp.status_code < 500, (method, resp.status_code)
    assert api.put_doc("Alias.mac", ["ROUTINE Alias", " quit"], ignore=1).status_code == 400
    assert snapshot(box.root) == before
    assert api.get_doc("R.mac").status_code == 200
    names = [d["name"] for d in body(api.get(url("USER", "docnames")))["result"]["content"]]
    assert "R.mac" in names and "Alias.mac" not in names


def test_put_onto_a_folder_is_4xx(api: Api, box: Box) -> None:
    (box.ws / "csp/user/sub").mkdir()
    (box.ws / "csp/user/sub/inner.js").write_text("x")
    before = snapshot(box.root)
    for name in ("/csp/user/sub", "/csp/user/x.js/deeper.js", "/csp/user/sub/inner.js/y.js"):
        resp = api.put_doc(name, ["x"], ignore=1)
        assert 400 <= resp.status_code < 500, (name, resp.status_code, resp.data)
        error_text(resp)
        assert api.head(doc_url(name)).status_code >= 400
        assert 400 <= api.delete(doc_url(name)).status_code < 500
    assert snapshot(box.root) == before


def test_folder_is_not_a_document(api: Api, box: Box) -> None:
    (box.ws / "csp/user/sub").mkdir()
    for method in ("GET", "HEAD", "DELETE"):
        assert api.call(method, url("USER", "doc/csp/user/sub")).status_code == 404, method


# -- the sweep: nothing a client sends may produce a 500 -----------------------------------

def _sweep() -> list[tuple[str, str, dict[str, Any]]]:
    j = {"content_type": "application/json"}
    doc = "/api/atelier/v8/USER/doc/"
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", doc + "R.mac?binary=2", {}), ("GET", doc + "R.mac?storageOnly=x", {}),
        ("GET", doc + "R.mac?format=", {}), ("GET", doc + "R.mac?format=%00", {}),
        ("GET", doc + "R.mac?storageOnly=1", {}), ("GET", doc + "Pkg.A.cls?storageOnly=1&"
                                                   "format=udl-multiline&binary=1", {}),
        ("GET", doc + "/csp/user/x.js?format=udl-multiline", {}),
        ("GET", doc + "R.mac", {"headers": {"If-None-Match": "9999-99-99 99:99:99.999"}}),
        ("GET", doc + "R.mac", {"headers": {"If-None-Match": "0000-00-00 00:00:00"}}),
        ("GET", doc + "R.mac", {"headers": {"If-None-Match": "x" * 10000}}),
        ("GET", doc + "R.mac", {"headers": {"If-None-Match": ",,,\"\",W/"}}),
        ("GET", doc + "R.mac", {"headers": {"If-None-Match": "2024-01-01 00:00:00.abc"}}),
        ("PUT", doc + "R.mac", {"headers": {"If-None-Match": "garbage"}, "json": {
            "content": ["ROUTINE R"]}}),
        ("PUT", doc + "R.mac?ignoreConflict=2", {"json": {"content": ["ROUTINE R"]}}),
        ("PUT", doc + "R.mac?ignoreConflict=1", {"json": {"content": ["ROUTINE R\n x"]}}),
        ("PUT", doc + "R.mac?ignoreConflict=1", {"json": {"content": ["\ufeffROUTINE R"]}}),
        ("PUT", doc + "Pkg.A.cls?ignoreConflict=1", {"json": {"content": ["/*", "Class"]}}),
        ("PUT", doc + "Pkg.A.cls?ignoreConflict=1", {"json": {"content": ["Class"]}}),
        ("PUT", doc + "Pkg.A.cls?ignoreConflict=1", {"json": {"content": ["Method X(", "\t"]}}),
        ("PUT", doc + "R.mac?ignoreConflict=1", {"json": {"content": ["ROUTINE R [", " q"]}}),
        ("PUT", doc + "R.mac?ignoreConflict=1", {"json": {"content": ["ROUTINE R [Type]"]}}),
        ("PUT", doc + "R.mac?ignoreConflict=1", {"json": {"content": ["x"], "enc": True}}),
        ("PUT", doc + "R.mac?ignoreConflict=1", {"json": {"content": ["===="], "enc": True}}),
        ("PUT", doc + "Pkg.A.cls?ignoreConflict=1", {"json": {"content": ["/w=="], "enc": True}}),
        ("PUT", doc + "/csp/user/x.js?ignoreConflict=1", {"json": {"content": ["a\u0000b"]}}),
        ("PUT", doc + "/csp/user/x.js?ignoreConflict=1", {"json": {"content": ["\udcff"]}}),
        ("PUT", doc + "/csp/user/n.js?ignoreConflict=1", {"json": {"content": ["\ud83d"]}}),
        ("PUT", doc + "R.mac", {"data": b'{"content": ["ROUTINE R"], "content": 1}', **j}),
        ("PUT", doc + "R.mac", {"data": b'{"content": [NaN]}', **j}),
        ("PUT", doc + "R.mac", {"data": b'{"content": ["\\ud800"]}', **j}),
        ("PUT", doc + "R.mac", {"data": b"\xef\xbb\xbf{}", **j}),
        ("PUT", doc + "R.mac", {"data": "{}".encode("utf-16"), **j}),
        ("PUT", doc + "R.mac", {"data": b"", **j}),
        ("PUT", doc + "R.mac", {"data": b"   ", **j}),
        ("POST", "/api/atelier/v8/USER/docs", {"data": b"", **j}),
        ("DELETE", "/api/atelier/v8/USER/docs", {"data": b"", **j}),
        ("DELETE", "/api/atelier/v8/USER/docs", {}),
        ("POST", "/api/atelier/v8/USER/docs", {"json": ["x" * 5000 + ".mac", "", " ", "\x00"]}),
        ("DELETE", "/api/atelier/v8/USER/docs", {"json": ["/csp/user", "csp", "/", "//"]}),
        ("POST", "/api/atelier/v8/USER/modified/%00", {"json": []}),
        ("POST", "/api/atelier/v8/USER/modified/,", {"json": []}),
        ("POST", "/api/atelier/v8/USER/modified/*", {"json": [{"dbname": "", "dbhash": ""}]}),
        ("POST", "/api/atelier/v8/USER/modified/*", {"json": [{"dbname": "\ud800",
                                                               "dbhash": "x"}]}),
        ("GET", "/api/atelier/v8/USER/docnames/%00", {}),
        ("GET", "/api/atelier/v8/USER/docnames/CSP/%00", {}),
        ("GET", "/api/atelier/v8/USER/docnames/*/*?filter=%00", {}),
        ("GET", "/api/atelier/v8/USER/docnames/*/*?filter=[", {}),
        ("GET", "/api/atelier/v8/USER/docnames/*/*?filter=*[!", {}),
        ("GET", "/api/atelier/v8/USER/docnames?generated=x", {}),
        ("GET", "/api/atelier/v8/%00", {}), ("GET", "/api/atelier/v8/%25", {}),
        ("GET", "/api/atelier/v8/%ff%fe", {}), ("GET", "/api/atelier/v8/USER/doc/%ff.mac", {}),
        ("GET", "/api/atelier/v8/%25SYS/cspapps/%00", {}),
        ("GET", "/api/atelier/v8/%25SYS/cspapps?detail=7", {}),
        ("GET", "/api/atelier/v8/%25SYS/jobs?system=x", {}),
        ("GET", "/api/atelier/v99999999999999999999999/USER", {}),
        ("GET", "/api/atelier/v8/" + "N" * 5000, {}),
        ("HEAD", "/api/atelier/?CacheLogout=%00", {}),
        ("HEAD", "/api/atelier/?IRISLogout=end", {}),
        ("GET", "/api/atelier/", {"headers": {"Cookie": "CSPSESSIONID" * 1000}}),
        ("GET", "/api/atelier/", {"headers": {"Cookie": "=;=;;,,"}}),
        ("GET", "/api/atelier/", {"headers": {"Authorization": "Basic " + "A" * 10001}}),
        ("GET", "/api/atelier/", {"headers": {"Authorization": "Basic /w=="}}),
        ("OPTIONS", "/api/atelier/v8/USER/doc/R.mac", {}),
        ("TRACE", "/api/atelier/", {}),
        ("GET", "/openapi.json", {}), ("GET", "/docs/static/%2e%2e/%2e%2e/etc/passwd", {}),
    ]
    return cases


@pytest.mark.parametrize("method,path,kwargs", _sweep())
def test_no_input_produces_a_500(api: Api, box: Box, method: str, path: str,
                                 kwargs: dict[str, Any]) -> None:
    resp = api.call(method, path, **kwargs)
    assert resp.status_code < 500, (resp.status_code, resp.data[:300])
    if method != "HEAD" and resp.status_code != 304 and not path.startswith(("/docs/",
                                                                             "/openapi")):
        body(resp)
    assert not (box.root / "etc").exists()


def test_unexpected_exceptions_become_a_500_envelope(api: Api,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = api.app.extensions["atelier"].store("USER")

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "list", boom)
    resp = api.get(url("USER", "docnames"))
    assert resp.status_code == 500
    assert "RuntimeError" in error_text(resp)
    assert "disk on fire" not in resp.data.decode()


def test_state_dir_untouched_by_hostile_names(api: Api, box: Box, tmp_path: Path) -> None:
    for name in ("../state/index/USER.sqlite", "%2e%2e/%2e%2e/state/x.mac"):
        assert 400 <= _send(api, "PUT", name).status_code < 500
    assert not any(p.suffix == ".mac" for p in (tmp_path / "state").rglob("*"))
