"""Browser-facing defaults (issue 12, item 5), each case with the issue's numbers: the Host
allow-list (DNS rebinding), form and cross-site posts refused (CSRF), security headers on
every response and a CSP under which the /docs page still works offline, login throttling
per client address (1,176 wrong passwords), sessions capped per user (100,000 Basic requests),
the default password refused on public addresses in any letter case, and GET ?CacheLogout=end."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from atelier_api.auth import LoginThrottle, Sessions
from atelier_api.config import ConfigError, load_settings

from .conftest import Api, basic, body, doc_url, error_text, url

SECURITY = ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
            "Content-Security-Policy")
ROUTINE = ["ROUTINE New", " quit"]


class Clock:
    """A hand-driven monotonic clock for the throttle."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def _from(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


# ---- Host: DNS rebinding ------------------------------------------------------------------

REBOUND = ["evil.example", "evil.example:52773", "127.0.0.1.nip.io:52773", "localhost.evil.example",
           "attacker.test.", "a b", "evil.example:port", "[::1", "localhost:52773@evil.example"]


@pytest.mark.parametrize("host", REBOUND)
def test_a_foreign_host_name_is_refused_even_with_a_valid_cookie(api: Api, host: str) -> None:
    """Before: any Host header was answered, so a page on a rebound name read the API."""
    sessions = api.app.extensions["atelier"].sessions
    before = sessions.count()
    for path in ("/api/atelier/", doc_url("R.mac"), "/openapi.json", "/docs"):
        resp = api.get(path, headers={"Host": host})
        assert resp.status_code == 400, (path, resp.status_code)
        assert "allowed_hosts" in error_text(resp)
        assert "Set-Cookie" not in resp.headers
    resp = api.client.head("/api/atelier/", headers={"Host": host, "Authorization": basic()})
    assert resp.status_code == 400 and "Set-Cookie" not in resp.headers
    assert sessions.count() == before


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:52773", "localhost.", "127.0.0.1:52773",
                                  "[::1]:52773", "ide.localhost:8080", "10.1.2.3:52773",
                                  "[2001:db8::1]"])
def test_ip_addresses_and_loopback_names_are_answered(api: Api, host: str) -> None:
    resp = api.get("/api/atelier/", headers={"Host": host})
    assert resp.status_code == 200, body(resp)


def test_allowed_hosts_adds_names_and_subdomains(make_api: Callable[..., Api]) -> None:
    api = make_api(allowed_hosts="ide.example.com, .corp.example")
    for host in ("ide.example.com", "IDE.example.com:443", "corp.example", "a.b.corp.example"):
        assert api.get("/api/atelier/", headers={"Host": host}).status_code == 200, host
    for host in ("example.com", "evil-ide.example.com", "xcorp.example", "corp.example.evil"):
        assert api.get("/api/atelier/", headers={"Host": host}).status_code == 400, host


def test_the_configured_listen_name_is_answered(make_api: Callable[..., Api]) -> None:
    api = make_api(host="sandbox.internal")
    assert api.get("/api/atelier/", headers={"Host": "sandbox.internal:52773"}).status_code == 200
    assert api.get("/api/atelier/", headers={"Host": "other.internal"}).status_code == 400


def test_a_star_turns_the_host_check_off(make_api: Callable[..., Api]) -> None:
    api = make_api(allowed_hosts="*")
    assert api.get("/api/atelier/", headers={"Host": "anything.example"}).status_code == 200


@pytest.mark.parametrize("value", ["http://ide.example.com", "ide.example.com:443",
                                   "ide.example.com/x", "ide example", "ü.example"])
def test_allowed_hosts_entries_are_validated(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="allowed_hosts"):
        load_settings(env={"ATELIER_ALLOWED_HOSTS": value, "ATELIER_STATE_DIR": str(tmp_path)})


# ---- CSRF: form and cross-site posts ------------------------------------------------------

FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
              "text/plain", "text/plain;charset=UTF-8"]


def _changed(api: Api) -> Path:
    """A document added through the API: what a reset would remove."""
    assert api.put_doc("New.mac", ROUTINE).status_code == 201
    return Path(api.app.extensions["atelier"].stores["USER"].root) / "New.mac"


@pytest.mark.parametrize("ctype", FORM_TYPES)
def test_operator_reset_refuses_a_form_post(api: Api, ctype: str) -> None:
    """Before: POST /operator/reset/USER with a form content type reset the namespace."""
    added = _changed(api)
    resp = api.client.post("/operator/reset/USER", data="a=1",
                           headers={"Authorization": basic(), "Content-Type": ctype})
    assert resp.status_code == 415
    assert "application/json" in error_text(resp)
    assert added.exists()
    resp = api.client.post("/operator/reset/USER", headers={"Authorization": basic()})
    assert resp.status_code == 200, body(resp)  # curl -X POST (no body) still works
    assert not added.exists()


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"}, {"Origin": "null"},
    {"Origin": "http://localhost:3000"}, {"Origin": "https://localhost"},
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
])
def test_cross_site_state_changes_are_refused(api: Api, headers: dict[str, str]) -> None:
    added = _changed(api)
    resp = api.client.post("/operator/reset/USER", headers={"Authorization": basic(),
                                                            **headers})
    assert resp.status_code == 403, resp.data
    assert "refused" in error_text(resp)
    assert added.exists()
    resp = api.put(doc_url("Other.mac"), json={"enc": False, "content": ["ROUTINE Other"]},
                   headers=headers)
    assert resp.status_code == 403
    assert api.delete(doc_url("New.mac"), headers=headers).status_code == 403
    assert added.exists()


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost"},
                                     {"Origin": "http://localhost", "Sec-Fetch-Site":
                                      "same-origin"}, {"Sec-Fetch-Site": "none"}])
def test_same_origin_requests_pass(api: Api, headers: dict[str, str]) -> None:
    """The /docs page's "Try it out" is same-origin: it works."""
    resp = api.put(doc_url("Page.mac"), json={"enc": False, "content": ["ROUTINE Page"]},
                   headers=headers)
    assert resp.status_code == 201, body(resp)


def test_an_allowed_name_is_a_trusted_origin_behind_a_proxy(make_api: Callable[..., Api]
                                                            ) -> None:
    api = make_api(allowed_hosts="ide.example.com")
    resp = api.put(doc_url("Proxy.mac"), json={"enc": False, "content": ["ROUTINE Proxy"]},
                   headers={"Origin": "https://ide.example.com", "Host": "127.0.0.1:52773"})
    assert resp.status_code == 201, body(resp)


@pytest.mark.parametrize("ctype", FORM_TYPES)
def test_api_writes_refuse_form_types(api: Api, ctype: str) -> None:
    resp = api.put(doc_url("Form.mac"), data='{"enc": false, "content": ["ROUTINE Form"]}',
                   headers={"Content-Type": ctype})
    assert resp.status_code == 415
    assert api.get(doc_url("Form.mac")).status_code == 404
    assert api.post(url("USER", "docs"), data='["R.mac"]',
                    headers={"Content-Type": ctype}).status_code == 415
    assert api.call("DELETE", doc_url("R.mac"), data="x",
                    headers={"Content-Type": ctype}).status_code == 415
    assert api.get(doc_url("R.mac")).status_code == 200


def test_the_protocols_own_body_types_still_pass(api: Api) -> None:
    assert api.post(url("USER", "docs"), json=["R.mac"]).status_code == 200
    xml = ('<?xml version="1.0" encoding="UTF-8"?><Export generator="IRIS" version="26">'
           '<Routine name="X" type="MAC"><![CDATA[X\n quit\n]]></Routine></Export>')
    for ctype in ("application/xml", "text/xml; charset=utf-8"):
        resp = api.post(url("USER", "cvt/xml/doc"), data=xml, headers={"Content-Type": ctype})
        assert resp.status_code == 200, (ctype, resp.data[:300])
    assert api.delete(doc_url("R.mac")).status_code == 200  # no body, no type


# ---- security headers and the docs page's CSP --------------------------------------------

def _all_kinds(api: Api) -> dict[str, TestResponse]:
    return {
        "200": api.get("/api/atelier/"), "HEAD": api.head(doc_url("R.mac")),
        "401": api.client.get("/api/atelier/"), "404": api.get(url("USER", "nosuch")),
        "405": api.call("PATCH", "/api/atelier/"), "415": api.put(doc_url("X.mac"), data="x"),
        "400 host": api.get("/api/atelier/", headers={"Host": "evil.example"}),
        "healthz": api.client.get("/healthz"), "openapi": api.client.get("/openapi.json"),
        "docs": api.client.get("/docs"), "css": api.client.get("/docs/static/swagger-ui.css"),
        "file page": api.client.get("/docs/static/oauth2-redirect.html"),
        "304": api.get(doc_url("R.mac"), headers={
            "If-None-Match": api.get(doc_url("R.mac")).headers.get("ETag", "x")}),
    }


def test_every_response_carries_the_security_headers(api: Api) -> None:
    """Before: none of X-Content-Type-Options, X-Frame-Options, CSP, Referrer-Policy."""
    for kind, resp in _all_kinds(api).items():
        missing = [h for h in SECURITY if h not in resp.headers]
        assert not missing, (kind, resp.status_code, missing)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        if resp.mimetype != "text/html":
            assert csp.startswith("default-src 'none'"), (kind, csp)


class _Page(HTMLParser):
    """Assets, inline scripts and styles, and inline handlers of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.assets: list[tuple[str, str]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self.attr_code: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attr_code += [k for k in values if k == "style" or k.startswith("on")]
        if values.get("src") or (tag == "link" and values.get("href")):
            self.assets.append((tag, str(values.get("src") or values.get("href"))))
        elif tag in self.inline:
            self._open = tag
            self.inline[tag].append("")

    def handle_data(self, data: str) -> None:
        if self._open:
            self.inline[self._open][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_docs_page_csp_admits_exactly_what_the_page_uses(api: Api) -> None:
    resp = api.client.get("/docs")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = _Page()
    page.feed(resp.get_data(as_text=True))
    rules = _directives(resp.headers["Content-Security-Policy"])
    assert rules["default-src"] == ["'none'"]
    assert not page.attr_code, "inline handlers or style attributes need 'unsafe-hashes'"
    for tag, src in page.assets:  # every asset from this origin, allowed as 'self'
        assert src.startswith("/") and not src.startswith("//"), src
        kind = "script-src" if tag == "script" else "style-src"
        assert "'self'" in rules[kind]
        assert api.client.get(src).status_code == 200, src
    assert page.inline["script"], "the page's own start-up script"
    for kind, texts in (("script-src", page.inline["script"]),
                        ("style-src", page.inline["style"])):
        for text in texts:
            assert _hash(text) in rules[kind], (kind, text[:80])
    assert rules["connect-src"] == ["'self'"]  # the spec is fetched from this server
    assert "data:" in rules["img-src"]  # Swagger UI's icons are data: URLs in its CSS
    assert re.search(r'"?validatorUrl"?\s*:\s*null', resp.get_data(as_text=True)), \
        "no badge image from the public validator service"


def test_the_docs_assets_load_nothing_from_elsewhere(api: Api) -> None:
    css = api.client.get("/docs/static/swagger-ui.css").get_data(as_text=True)
    refs = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    assert refs and all(r.startswith("data:") or not re.match(r"[a-z]+:|//", r) for r in refs)
    assert "@import" not in css


def _browser() -> str | None:
    return next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(b)), None)


@pytest.fixture
def served(api: Api) -> Iterator[str]:
    """The app on a real loopback port (the browser needs one)."""
    server = make_server("127.0.0.1", 0, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.mark.skipif(_browser() is None, reason="no headless Chromium on this machine")
def test_the_docs_page_renders_in_a_real_browser_under_its_csp(served: str,
                                                               tmp_path: Path) -> None:
    """Headless Chromium, offline (loopback only): Swagger UI renders every operation and
    the browser reports no CSP violation."""
    browser = _browser()
    assert browser is not None
    done = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=20000", "--dump-dom", served + "/docs"],
        capture_output=True, text=True, timeout=120, check=False)
    violations = [line for line in done.stderr.splitlines()
                  if "Content Security Policy" in line]
    assert not violations, violations[:3]
    assert done.stdout.count("opblock-summary-path") > 20, done.stdout[:500]
    assert "HeadServer" in done.stdout


# ---- login throttling: 1,176 wrong passwords ---------------------------------------------

def _throttled(api: Api, max_failures: int = 10, window: int = 60) -> Clock:
    clock = Clock()
    api.app.extensions["atelier"].sessions.throttle = LoginThrottle(max_failures, window, clock)
    return clock


def test_1176_wrong_passwords_from_one_address_end_in_429(make_api: Callable[..., Api]) -> None:
    """Before: 1,176 tries per second, every one a 401. Now 10 per minute, then 429."""
    api = make_api()
    clock = _throttled(api)
    statuses = []
    for attempt in range(1176):
        resp = api.client.head("/api/atelier/", headers={
            "Authorization": basic(password=f"guess{attempt}")}, **_from("198.51.100.7"))
        statuses.append(resp.status_code)
        if attempt == 10:
            assert int(resp.headers["Retry-After"]) == 60
        clock.now += 0.001
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    last = api.client.get("/api/atelier/", headers={"Authorization": basic()},
                          **_from("198.51.100.7"))
    assert last.status_code == 429  # the right password too: guessing learns nothing
    assert 1 <= int(last.headers["Retry-After"]) <= 60
    assert "try again in" in error_text(last)
    # another address is not affected, nor a client with a live cookie at that address
    assert api.client.get("/api/atelier/", headers={"Authorization": basic()},
                          **_from("198.51.100.8")).status_code == 200
    assert api.get("/api/atelier/", **_from("198.51.100.7")).status_code == 200
    clock.now += 60  # the window passes: the address may log in again
    assert api.client.head("/api/atelier/", headers={"Authorization": basic()},
                           **_from("198.51.100.7")).status_code == 200


def test_retry_after_counts_down_with_the_sliding_window(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    clock = _throttled(api)
    wrong = {"Authorization": basic(password="wrong")}
    for _ in range(10):
        assert api.client.get("/api/atelier/", headers=wrong).status_code == 401
        clock.now += 5  # failures at 0, 5, ... 45 s
    clock.now = 5000.0 + 50
    assert api.client.get("/api/atelier/", headers=wrong).headers["Retry-After"] == "10"
    clock.now = 5000.0 + 60  # the first failure left the window: one more try
    assert api.client.get("/api/atelier/", headers=wrong).status_code == 401
    assert api.client.get("/api/atelier/", headers=wrong).headers["Retry-After"] == "5"


def test_operator_endpoints_share_the_throttle(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    _throttled(api)
    codes = [api.client.get("/operator/status", headers={"Authorization": basic(
        password="wrong")}).status_code for _ in range(12)]
    assert codes == [401] * 10 + [429] * 2
    resp = api.client.get("/operator/status", headers={"Authorization": basic()})
    assert resp.status_code == 429 and resp.headers["Retry-After"]
    assert api.client.head("/api/atelier/", headers={"Authorization": basic()}).status_code == 429


def test_operator_endpoints_take_basic_only(make_api: Callable[..., Api]) -> None:
    """No credentials, wrong ones, or an API session cookie instead of them: 401 (checked
    once, by the app's authentication hook); the right Basic credentials: the status."""
    api = make_api(login=False)
    login = api.client.head("/api/atelier/", headers={"Authorization": basic()})
    cookie = login.headers["Set-Cookie"].split(";", 1)[0]
    for headers in ({}, {"Authorization": basic(password="wrong")}, {"Cookie": cookie}):
        assert api.client.get("/operator/status", headers=headers).status_code == 401
    assert api.client.get("/operator/status", headers={"Authorization": basic()}
                          ).status_code == 200


def test_no_credentials_is_no_guess(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    _throttled(api)
    for _ in range(50):
        assert api.client.get("/api/atelier/").status_code == 401
    assert api.client.head("/api/atelier/", headers={"Authorization": basic()}).status_code == 200


def test_the_throttle_is_configurable_and_can_be_off(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False, login_max_failures=3, login_window_seconds=5)
    wrong = {"Authorization": basic(password="wrong")}
    codes = [api.client.get("/api/atelier/", headers=wrong).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert 1 <= int(api.client.get("/api/atelier/", headers=wrong).headers["Retry-After"]) <= 5
    off = make_api(login=False, login_max_failures=0)
    assert {off.client.get("/api/atelier/", headers=wrong).status_code
            for _ in range(30)} == {401}


def test_ipv6_clients_are_throttled_by_their_64() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock)
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"):
        throttle.failed(host)
    assert throttle.retry_after("2001:db8:1:2::abcd") == 60
    assert throttle.retry_after("2001:db8:1:3::1") == 0
    for _ in range(3):
        throttle.failed("::ffff:198.51.100.9")
    assert throttle.retry_after("198.51.100.9") == 60


def test_the_throttle_remembers_a_bounded_number_of_addresses() -> None:
    throttle = LoginThrottle(10, 60, Clock())
    for i in range(12_000):
        throttle.failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert throttle.tracked() == 10_000


# ---- sessions capped per user: 100,000 Basic requests ------------------------------------

def test_100000_basic_logins_keep_at_most_the_cap() -> None:
    """Before: every Basic request without a cookie made a session, 100,000 kept."""
    sessions = Sessions("_SYSTEM", "S3cret", 52773, 3600, True, Clock())
    header = basic("_SYSTEM", "S3cret")
    first, _ = sessions.authenticate(None, header, "127.0.0.1")
    tokens = [sessions.authenticate(None, header, "127.0.0.1")[0].token
              for _ in range(100_000 - 1)]
    assert sessions.count() == sessions.count("_SYSTEM") == 100
    assert sessions.from_cookie(f"{sessions.cookie_name}={first.token}") is None
    assert all(sessions.from_cookie(f"{sessions.cookie_name}={t}") for t in tokens[-100:])


def test_the_least_recently_used_session_goes_first() -> None:
    clock = Clock()
    sessions = Sessions("_SYSTEM", "pw", 52773, 3600, True, clock, max_per_user=3)
    old, mid, new = (sessions.open("_SYSTEM") for _ in range(3))
    clock.now += 1
    assert sessions.from_cookie(f"{sessions.cookie_name}={old.token}") is old  # used again
    sessions.open("_SYSTEM")
    alive = {s.token for s in (old, mid, new)
             if sessions.from_cookie(f"{sessions.cookie_name}={s.token}")}
    assert alive == {old.token, new.token}


def test_basic_requests_over_http_are_capped(make_api: Callable[..., Api]) -> None:
    api = make_api(max_sessions_per_user=5)
    sessions = api.app.extensions["atelier"].sessions
    cookies = []
    for _ in range(40):
        resp = api.client.get("/api/atelier/", headers={"Authorization": basic()})
        cookies.append(resp.headers["Set-Cookie"])
    assert sessions.count() == 5
    assert api.client.get("/api/atelier/", headers={"Cookie": cookies[0]}).status_code == 401
    assert api.client.get("/api/atelier/", headers={"Cookie": cookies[-1]}).status_code == 200


@pytest.mark.parametrize("env", [{"ATELIER_MAX_SESSIONS_PER_USER": "0"},
                                 {"ATELIER_LOGIN_WINDOW_SECONDS": "0"},
                                 {"ATELIER_LOGIN_MAX_FAILURES": "-1"}])
def test_limits_are_validated(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_settings(env={**env, "ATELIER_STATE_DIR": str(tmp_path)})


# ---- the default password on a public address --------------------------------------------

@pytest.mark.parametrize("password", ["sys", "Sys", "sYs", " SYS ", "SYS"])
@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_the_default_password_is_refused_in_any_case(tmp_path: Path, password: str,
                                                     host: str) -> None:
    """Before: --password sys was accepted on a public address."""
    with pytest.raises(ConfigError, match="default password"):
        load_settings(env={"ATELIER_STATE_DIR": str(tmp_path)},
                      cli={"host": host, "password": password})


def test_a_chosen_password_is_accepted_in_public(tmp_path: Path) -> None:
    settings = load_settings(env={"ATELIER_STATE_DIR": str(tmp_path)},
                             cli={"host": "0.0.0.0", "password": "sys-but-longer"})
    assert settings.password == "sys-but-longer"


# ---- ?CacheLogout=end ----------------------------------------------------------------------

@pytest.mark.parametrize("query", ["CacheLogout=end", "IRISLogout=end", "IrisLogout=1",
                                   "CACHELOGOUT=END"])
def test_get_with_cache_logout_logs_out(api: Api, query: str) -> None:
    """Before: GET ?CacheLogout=end answered 200 and the session lived on."""
    resp = api.get(f"/api/atelier/?{query}")
    assert resp.status_code == 200
    assert body(resp)["result"]["content"]["api"] == 8
    cookies = resp.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and "max-age=0" in cookies[0].lower()
    assert api.get("/api/atelier/").status_code == 401


def test_logout_on_any_api_path(api: Api) -> None:
    resp = api.get(url("USER", "docnames"), query_string={"CacheLogout": "end"})
    assert resp.status_code == 200
    assert api.get("/api/atelier/").status_code == 401


def test_iris_logout_cookie_keeps_the_session(api: Api) -> None:
    """IRIS: IRISLogout=cookie only drops a login cookie, which this server does not issue."""
    resp = api.get("/api/atelier/?IRISLogout=cookie")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    assert api.get("/api/atelier/").status_code == 200


def test_head_logout_as_the_extension_sends_it(api: Api) -> None:
    resp = api.head("/api/atelier/?CacheLogout=end")
    assert resp.status_code == 200 and resp.data == b""
    assert len(resp.headers.getlist("Set-Cookie")) == 1
    assert api.get(doc_url("R.mac")).status_code == 401
