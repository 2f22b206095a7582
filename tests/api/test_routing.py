"""Routing: version prefixes, minimum versions, namespaces, unknown routes and methods."""

from __future__ import annotations

import pytest

from .conftest import Api, body, doc_url, error_text, url

V1_ROUTES = ["", "docnames", "docnames/CLS", "docnames/RTN/mac", "doc/R.mac",
             "doc/csp/user/x.js", "doc//csp/user/x.js"]
SYS_ROUTES = ["jobs", "cspapps", "cspapps/USER", "cspapps/%25SYS"]


@pytest.mark.parametrize("v", range(1, 9))
@pytest.mark.parametrize("rest", V1_ROUTES)
def test_v1_endpoints_under_every_version(ro_api: Api, v: int, rest: str) -> None:
    resp = ro_api.get(url("USER", rest, v))
    assert resp.status_code == 200, resp.data
    assert body(resp)["status"]["errors"] == []


@pytest.mark.parametrize("v", range(1, 9))
@pytest.mark.parametrize("rest", SYS_ROUTES)
def test_sys_endpoints_under_every_version(ro_api: Api, v: int, rest: str) -> None:
    resp = ro_api.get(url("%SYS", rest, v))
    assert resp.status_code == 200, resp.data
    assert isinstance(body(resp)["result"]["content"], list)


@pytest.mark.parametrize("v", [0, 9, 10, 99])
@pytest.mark.parametrize("rest", ["", "docnames", "doc/R.mac"])
def test_versions_outside_1_to_8_are_404_envelopes(ro_api: Api, v: int, rest: str) -> None:
    resp = ro_api.get(url("USER", rest, v))
    assert resp.status_code == 404
    error_text(resp)


@pytest.mark.parametrize("prefix", ["/api/atelier/vx/USER", "/api/atelier/v-1/USER",
                                    "/api/atelier/8/USER", "/api/atelier/v/USER"])
def test_malformed_version_segment_is_404(ro_api: Api, prefix: str) -> None:
    resp = ro_api.get(prefix + "/docnames")
    assert resp.status_code == 404
    error_text(resp)


def test_cspdebugid_needs_v2(ro_api: Api) -> None:
    resp = ro_api.get(url("%SYS", "cspdebugid", 1))
    assert resp.status_code == 404
    assert "version" in error_text(resp)
    for v in range(2, 9):
        resp = ro_api.get(url("%SYS", "cspdebugid", v))
        assert resp.status_code == 200
        assert isinstance(body(resp)["result"]["content"], int)


@pytest.mark.parametrize("ns", ["%25SYS", "%25sys"])
def test_percent_encoded_sys_namespace(ro_api: Api, ns: str) -> None:
    resp = ro_api.get(f"/api/atelier/v8/{ns}")
    assert resp.status_code == 200
    assert body(resp)["result"]["content"]["name"] == "%SYS"


def test_namespace_is_case_insensitive(ro_api: Api) -> None:
    assert body(ro_api.get(url("user")))["result"]["content"]["name"] == "USER"
    assert ro_api.get(url("user", "doc/R.mac")).status_code == 200


@pytest.mark.parametrize("rest", ["", "docnames", "doc/R.mac", "docs"])
def test_unknown_namespace_404_envelope(ro_api: Api, rest: str) -> None:
    method = "POST" if rest == "docs" else "GET"
    resp = ro_api.call(method, url("NOPE", rest), json=["R.mac"])
    assert resp.status_code == 404
    assert "NOPE" in error_text(resp)


@pytest.mark.parametrize("path", ["/", "/nothing", "/api/atelier/v8/USER/nothing",
                                  "/api/atelier/v8/USER/action/nothing", "/api/other",
                                  "/api/atelier/v8/USER/docnames/CLS/*/extra"])
def test_unknown_route_404_envelope(ro_api: Api, path: str) -> None:
    resp = ro_api.get(path)
    assert resp.status_code == 404
    assert resp.mimetype == "application/json"
    error_text(resp)


@pytest.mark.parametrize("method,path", [
    ("POST", "/api/atelier/"), ("PUT", "/api/atelier/"), ("DELETE", "/api/atelier/"),
    ("POST", "/api/atelier/v8/USER/doc/R.mac"), ("GET", "/api/atelier/v8/USER/docs"),
    ("PUT", "/api/atelier/v8/USER/docnames"), ("GET", "/api/atelier/v8/USER/modified/*"),
    ("PATCH", "/api/atelier/v8/USER/doc/R.mac"),
])
def test_wrong_method_405_envelope(ro_api: Api, method: str, path: str) -> None:
    resp = ro_api.call(method, path)
    assert resp.status_code == 405
    assert resp.mimetype == "application/json"
    assert "not allowed" in error_text(resp)


def test_errors_are_json_even_when_html_is_preferred(ro_api: Api) -> None:
    for path in ("/nothing", url("NOPE"), doc_url("Missing.mac")):
        resp = ro_api.get(path, headers={"Accept": "text/html"})
        assert resp.mimetype == "application/json"
        assert b"<html" not in resp.data.lower()
        error_text(resp)


def test_head_responses_have_no_body(ro_api: Api) -> None:
    for path, status in (("/api/atelier/", 200), (doc_url("R.mac"), 200),
                         (doc_url("Missing.mac"), 404), (doc_url("../x.mac"), 400),
                         (url("NOPE", "doc/R.mac"), 404), ("/nothing", 404)):
        resp = ro_api.head(path)
        assert resp.status_code == status, path
        assert resp.data == b"", path


def test_head_without_login_is_401_without_body(ro_api: Api) -> None:
    resp = ro_api.client.head(doc_url("R.mac"))
    assert resp.status_code == 401
    assert resp.data == b""


def test_304_has_no_body(ro_api: Api) -> None:
    ts = ro_api.ts("R.mac")
    resp = ro_api.get_doc("R.mac", headers={"If-None-Match": ts})
    assert resp.status_code == 304
    assert resp.data == b""


def test_responses_carry_no_cache_headers(ro_api: Api) -> None:
    resp = ro_api.get(url("USER", "docnames"))
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers["Content-Type"].startswith("application/json")


def test_options_is_an_envelope_with_allow(ro_api: Api) -> None:
    resp = ro_api.call("OPTIONS", doc_url("R.mac"))
    assert resp.status_code == 200
    assert body(resp)["status"]["errors"] == []
    allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert {"GET", "HEAD", "PUT", "DELETE"} <= allowed
