"""GET/HEAD /api/atelier/: server info, login with Basic, cookie-only sessions and logout."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from atelier_api.app import create_app
from atelier_api.config import Settings

from .conftest import Api, basic, body, doc_url, error_text, url

VERSION_RE = re.compile(r"^\d{4}\.\d+")


def client_product_version(version: str) -> str:
    """What the VS Code client derives: text after the first ") ", first token."""
    assert ") " in version
    return version.split(") ", 1)[1].split(" ")[0]


def test_server_info_shape(api: Api) -> None:
    resp = api.get("/api/atelier/")
    assert resp.status_code == 200
    content = body(resp)["result"]["content"]
    assert VERSION_RE.match(client_product_version(content["version"]))
    assert content["api"] == 8
    assert {"USER", "%SYS"} <= set(content["namespaces"])
    assert all(ns == ns.upper() for ns in content["namespaces"])
    assert isinstance(content["id"], str) and content["id"]


def test_server_info_without_trailing_slash(api: Api) -> None:
    assert body(api.get("/api/atelier"))["result"]["content"]["api"] == 8


def test_demo_default_when_no_namespace_given(tmp_path: Path) -> None:
    app = create_app(Settings(state_dir=str(tmp_path)))
    api = Api(app, app.test_client(use_cookies=False))
    api.login()
    content = body(api.get("/api/atelier/"))["result"]["content"]
    assert {"USER", "%SYS"} <= set(content["namespaces"])
    names = [d["name"] for d in body(api.get(url("USER", "docnames")))["result"]["content"]]
    assert "Demo.Person.cls" in names


def test_head_login_sets_exactly_one_cookie_and_no_body(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    resp = api.client.head("/api/atelier/", headers={"Authorization": basic()})
    assert resp.status_code == 200
    assert resp.data == b""
    cookies = resp.headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    assert cookies[0].startswith("CSPSESSIONID")
    assert "path=/api/atelier/" in cookies[0].lower()


def test_user_name_is_case_insensitive_password_is_not(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    ok = api.client.head("/api/atelier/", headers={"Authorization": basic("_system", "SYS")})
    assert ok.status_code == 200
    bad = api.client.get("/api/atelier/", headers={"Authorization": basic("_SYSTEM", "sys")})
    assert bad.status_code == 401


@pytest.mark.parametrize("v", range(1, 9))
@pytest.mark.parametrize("rest", ["", "docnames", "doc/R.mac"])
def test_cookie_alone_authenticates_every_version(ro_api: Api, v: int, rest: str) -> None:
    resp = ro_api.get(url("USER", rest, v))
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers
    assert body(resp)["status"]["errors"] == []


def test_cookie_alone_authenticates_writes_and_sys_routes(api: Api) -> None:
    assert api.put_doc("New.mac", ["ROUTINE New", " quit"]).status_code == 201
    assert api.delete(doc_url("New.mac")).status_code == 200
    assert api.get(url("%SYS", "cspapps/USER")).status_code == 200
    assert api.head(doc_url("R.mac")).status_code == 200
    assert api.post(url("USER", "docs"), json=["R.mac"]).status_code == 200


@pytest.mark.parametrize("joiner", ["; ", " "])
def test_whole_set_cookie_strings_echoed_back(make_api: Callable[..., Api], joiner: str) -> None:
    api = make_api(login=False)
    login = api.client.head("/api/atelier/", headers={"Authorization": basic()})
    raw = login.headers.getlist("Set-Cookie")
    # the client may also hold a gateway cookie; all raw strings are joined and sent back
    header = joiner.join(["CSPWSERVERID=abc; path=/; HttpOnly", *raw])
    resp = api.client.get("/api/atelier/", headers={"Cookie": header})
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers


def test_bad_credentials_401_envelope(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    for auth in (basic("_SYSTEM", "wrong"), basic("nobody", "SYS"), "Basic !!!notbase64",
                 "Bearer abc", "Basic"):
        resp = api.client.head("/api/atelier/", headers={"Authorization": auth})
        assert resp.status_code == 401
        assert "Set-Cookie" not in resp.headers
        resp = api.client.get("/api/atelier/", headers={"Authorization": auth})
        assert resp.status_code == 401
        assert "Access Denied" in error_text(resp)


def test_no_credentials_401_with_www_authenticate(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    for path in ("/api/atelier/", url("USER", "doc/R.mac"), url("USER", "nosuchroute")):
        resp = api.client.get(path)
        assert resp.status_code == 401
        assert resp.headers["WWW-Authenticate"].startswith("Basic")
        error_text(resp)


def test_unknown_cookie_is_401(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    resp = api.client.get("/api/atelier/",
                          headers={"Cookie": "CSPSESSIONID-SP-52773-UP-api-atelier-=forged"})
    assert resp.status_code == 401
    error_text(resp)


def test_logout_ends_the_session(api: Api) -> None:
    old = api.cookie
    resp = api.head("/api/atelier/?CacheLogout=end")
    assert resp.status_code == 200
    assert resp.data == b""
    assert api.get("/api/atelier/").status_code == 401
    assert api.get(doc_url("R.mac")).status_code == 401
    # the client's retry: a HEAD with Basic logs in again with a fresh cookie
    api.cookie = ""
    assert api.login() != old
    assert api.get("/api/atelier/").status_code == 200


def test_logout_expires_the_cookie_and_does_not_issue_a_new_one(api: Api) -> None:
    resp = api.head("/api/atelier/", query_string={"CacheLogout": "end"},
                    headers={"Authorization": basic()})
    assert resp.status_code == 200
    cookies = resp.headers.getlist("Set-Cookie")
    assert len(cookies) <= 1
    assert all("max-age=0" in c.lower() for c in cookies)


def test_valid_cookie_plus_basic_does_not_issue_a_second_cookie(api: Api) -> None:
    for path in ("/api/atelier/", url("USER", "doc/R.mac")):
        resp = api.call("HEAD" if path == "/api/atelier/" else "GET", path,
                        headers={"Authorization": basic()})
        assert resp.status_code == 200
        assert resp.headers.getlist("Set-Cookie") == []


def test_sessions_do_not_pile_up(api: Api) -> None:
    sessions = api.app.extensions["atelier"].sessions
    before = sessions.count()
    for _ in range(5):
        api.head("/api/atelier/", headers={"Authorization": basic()})
        api.get("/api/atelier/")
    assert sessions.count() == before


def test_openapi_and_docs_need_no_login(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    resp = api.client.get("/openapi.json")
    assert resp.status_code == 200
    assert "/api/atelier/" in resp.get_json()["paths"]
