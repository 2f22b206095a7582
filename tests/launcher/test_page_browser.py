"""The launch page in a real headless Chromium (Playwright), against a real launcher on a
loopback port with the ``process`` backend (each sandbox a local ``atelier-api serve``):
log in (a wrong password first), launch, wait for ``ready``, the settings.json snippet and
its credentials (a real request through the proxy), the live countdown, Copy, relaunch (a new
id), a relaunch over the limit (the API's message in the page), discard with its
confirmation (``gone``), log out; and no CSP violation or console error all along.

Without Chromium or the ``playwright`` package the test skips on a developer's machine and
fails under CI (``CI=true``), where a skip would hide a missing install step. Playwright's
own browser downloads are never used: it drives the system's Chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from atelier_api.launcher.front import Front, listen
from atelier_api.launcher.sandboxes import Sandboxes
from atelier_api.launcher.serve import build
from atelier_api.launcher.settings import hash_password, load_launcher_settings

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the skip (or CI failure) below says so
    sync_playwright = None

PASSWORD = "page-test-" + "5e0c9a"
LIFETIME = 300
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: a sandbox (a fresh ``atelier-api serve``) is ready within this
READY_MS = 30_000


def _chromium() -> str | None:
    env = os.environ.get("ATELIER_TEST_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    return next((found for name in ("chromium", "chromium-browser")
                 if (found := shutil.which(name))), None)


def _require_browser() -> str:
    """The system Chromium's path; skip (or under CI fail) without it or Playwright."""
    browser = _chromium()
    reason = None
    if sync_playwright is None:
        reason = "the playwright package is not installed (pip install -e .[test])"
    elif browser is None:
        reason = "no Chromium on this machine (Debian: apt-get install chromium)"
    if reason is None and browser is not None:
        return browser
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the launch page's browser test needs Chromium and Playwright: {reason}")
    pytest.skip(reason)


@dataclass
class Launcher:
    url: str
    sandboxes: Sandboxes


@pytest.fixture
def launcher(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Launcher]:
    """A real launcher (process backend) on a loopback port; every sandbox discarded, and
    no sandbox process left, at the end. Indirect parameters: more settings, and
    ``workspaces`` (the TOML tables)."""
    more = dict(getattr(request, "param", {}))
    workspaces = more.pop("workspaces", None)
    cli = {"backend": "process", "state_dir": str(tmp_path / "launcher"),
           "max_lifetime_seconds": LIFETIME, "idle_timeout_seconds": 600,
           "relaunch_max": 1, "relaunch_cooldown_seconds": 0, "start_timeout_seconds": 60,
           **more}
    settings = load_launcher_settings(
        env={}, cli=cli, workspaces=workspaces,
        users={"alice": {"password_hash": hash_password(PASSWORD)}})
    app, sandboxes = build(settings)
    sandboxes.start()
    # the app on a port of its own, behind the launcher's front (as `atelier-api launcher`
    # puts it behind on a Unix socket)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    listener = listen("127.0.0.1", 0)
    front = Front(app.extensions["launcher"], listener, ("127.0.0.1", server.server_port))
    front.start()
    try:
        yield Launcher(f"http://127.0.0.1:{listener.getsockname()[1]}", sandboxes)
    finally:
        for record in sandboxes.all():
            if record.active:
                sandboxes.discard(record.user)
        deadline = time.monotonic() + 20
        while any(r.active for r in sandboxes.all()) and time.monotonic() < deadline:
            time.sleep(0.05)
        front.stop()
        server.shutdown()
        thread.join(10)
        sandboxes.close()
        for seen in sandboxes.backend.list_owned():  # a removal that failed: do it now
            sandboxes.backend.remove(seen.sandbox_id)
        assert sandboxes.backend.list_owned() == []


@dataclass
class Watched:
    """What the browser reported while the page ran."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str, int]] = field(default_factory=list)


#: reports every CSP violation of the page into window.__violations (runs before the page's
#: own scripts, outside its CSP)
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def chromium() -> str:
    """The system Chromium (checked before a launcher is built for nothing)."""
    return _require_browser()


@pytest.fixture
def page(chromium: str, launcher: Launcher) -> Iterator[tuple[Page, Watched]]:
    assert sync_playwright is not None
    watched = Watched()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.grant_permissions(["clipboard-read", "clipboard-write"],
                                      origin=launcher.url)
            context.add_init_script(WATCH_CSP)
            # loopback only: anything else the page asked for would be a leak
            context.route(lambda url: not url.startswith(launcher.url + "/"),
                          lambda route: (watched.failed.append(route.request.url),
                                         route.abort()))
            tab = context.new_page()
            tab.set_default_timeout(10_000)
            tab.on("console", lambda msg: watched.console.append(f"{msg.type}: {msg.text}"))
            tab.on("pageerror", lambda exc: watched.errors.append(str(exc)))
            tab.on("response", lambda r: r.status >= 400 and watched.refused.append(
                (r.request.method, urlsplit(r.url).path, r.status)))
            yield tab, watched
        finally:
            browser.close()


def _seconds(clock: str) -> int:
    h, m, s = (int(part) for part in clock.split(":"))
    return h * 3600 + m * 60 + s


def _login(tab: Page, password: str) -> None:
    tab.fill("#username", "alice")
    tab.fill("#password", password)
    tab.click("#login-submit")


def test_the_launch_page_launches_relaunches_and_discards_in_a_real_browser(
        chromium: str, launcher: Launcher, page: tuple[Page, Watched]) -> None:
    tab, watched = page
    response = tab.goto(launcher.url + "/")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    # a wrong password: the API's message, still the login form
    expect(tab.locator("#login")).to_be_visible()
    _login(tab, "not-the-password")
    expect(tab.locator("#error")).to_be_visible()
    expect(tab.locator("#error-message")).to_have_text("Wrong user name or password.")
    expect(tab.locator("#error-title")).to_contain_text("401")
    expect(tab.locator("#app")).to_be_hidden()

    # the right one: the app, no sandbox yet, the rules
    _login(tab, PASSWORD)
    expect(tab.locator("#app")).to_be_visible()
    expect(tab.locator("#error")).to_be_hidden()
    expect(tab.locator("#who-name")).to_have_text("alice")
    expect(tab.locator("#state")).to_have_text("none")
    expect(tab.locator("#rules")).to_contain_text("5 min at most")
    expect(tab.locator("#workspace-picker")).to_be_hidden()  # one workspace: no picker
    expect(tab.locator("#relaunch")).to_be_hidden()

    # Launch: starting, then ready (the page polls)
    tab.click("#launch")
    expect(tab.locator("#state")).to_have_text("ready", timeout=READY_MS)
    record = launcher.sandboxes.get("alice")
    assert record is not None and record.state == "ready"
    first_id = record.sandbox_id
    expect(tab.locator("#sandbox-id")).to_have_text(first_id)
    assert tab.get_attribute("#status", "aria-live") == "polite"

    # the settings.json snippet: valid JSON, the proxy's path prefix, working credentials
    snippet_text = tab.text_content("#snippet") or ""
    snippet = json.loads(snippet_text)
    (server_name, server), = snippet["intersystems.servers"].items()
    assert snippet["objectscript.conn"]["server"] == server_name
    web = server["webServer"]
    assert web["pathPrefix"] == "/sandbox/alice"
    assert f"{web['scheme']}://{web['host']}:{web['port']}" == launcher.url
    auth = (server["username"], server["password"])
    expect(tab.locator("#conn-username")).to_have_text(auth[0])
    expect(tab.locator("#conn-password")).to_have_text(auth[1])
    expect(tab.locator("#conn-prefix")).to_have_text("/sandbox/alice")
    through = requests.get(f"{launcher.url}/sandbox/alice/api/atelier/", auth=auth, timeout=15)
    assert through.status_code == 200, through.text[:300]
    assert "content" in through.json()["result"]
    wrong = requests.get(f"{launcher.url}/sandbox/alice/api/atelier/",
                         auth=(auth[0], "wrong"), timeout=15)
    assert wrong.status_code == 401

    # Copy: the snippet on the clipboard
    tab.click("#copy")
    expect(tab.locator("#copy-status")).to_have_text("Copied.")
    assert tab.evaluate("navigator.clipboard.readText()") == snippet_text

    # the remaining lifetime counts down, live
    first = _seconds(tab.text_content("#remaining") or "")
    assert LIFETIME - 60 < first <= LIFETIME
    tab.wait_for_timeout(2200)
    second = _seconds(tab.text_content("#remaining") or "")
    assert first - 4 <= second < first
    expect(tab.locator("#idle")).to_have_text("10 min without IDE requests")
    expect(tab.locator("#relaunches")).to_contain_text("1 left")

    # Discard, then Cancel: nothing happens
    tab.click("#discard")
    expect(tab.locator("#confirm")).to_be_visible()
    expect(tab.locator("#drop-state-row")).to_be_hidden()  # start_state original
    tab.click("#cancel-discard")
    expect(tab.locator("#confirm")).to_be_hidden()
    assert (launcher.sandboxes.get("alice") or record).state == "ready"

    # Relaunch: a new sandbox (new id), ready again; the old one removed
    tab.click("#relaunch")
    expect(tab.locator("#sandbox-id")).not_to_have_text(first_id)
    expect(tab.locator("#state")).to_have_text("ready", timeout=READY_MS)
    second_record = launcher.sandboxes.get("alice")
    assert second_record is not None and second_record.sandbox_id != first_id
    expect(tab.locator("#sandbox-id")).to_have_text(second_record.sandbox_id)
    assert [o.sandbox_id for o in launcher.sandboxes.backend.list_owned()] == [
        second_record.sandbox_id]
    expect(tab.locator("#relaunches")).to_contain_text("0 left (1 of 1 used)")
    new_snippet = json.loads(tab.text_content("#snippet") or "")
    new_server = new_snippet["intersystems.servers"][server_name]
    assert new_server["password"] != auth[1]

    # a relaunch over the limit: the API's 403 and message, the sandbox untouched
    tab.click("#relaunch")
    expect(tab.locator("#error")).to_be_visible()
    expect(tab.locator("#error-title")).to_have_text("Relaunch failed (403):")
    expect(tab.locator("#error-message")).to_have_text(
        "No relaunches left: the limit is 1 and alice has used them all.")
    expect(tab.locator("#state")).to_have_text("ready")
    expect(tab.locator("#sandbox-id")).to_have_text(second_record.sandbox_id)

    # Discard with its confirmation: stopping, then gone; no sandbox process left
    tab.click("#discard")
    tab.click("#confirm-discard")
    expect(tab.locator("#state")).to_have_text("gone", timeout=15_000)
    expect(tab.locator("#reason")).to_have_text("Reason: discarded")
    expect(tab.locator("#connect")).to_be_hidden()
    expect(tab.locator("#launch")).to_be_visible()
    expect(tab.locator("#remaining")).to_have_text("ended")
    assert launcher.sandboxes.backend.list_owned() == []

    # log out: the login form, and the cookie no longer opens the API
    tab.click("#logout")
    expect(tab.locator("#login")).to_be_visible()
    assert tab.evaluate("fetch('/launcher/v1/me', {headers: {'X-Requested-With': "
                        "'XMLHttpRequest'}}).then((r) => r.status)") == 401

    violations: list[Any] = tab.evaluate("window.__violations")
    assert violations == []
    assert watched.errors == []
    assert watched.failed == []
    # the API's refusals, each once as the browser's "Failed to load resource"; nothing else
    assert set(watched.refused) == {
        ("GET", "/launcher/v1/me", 401),               # before logging in, after logging out
        ("POST", "/launcher/v1/login", 401),           # the wrong password
        ("GET", "/launcher/v1/sandbox", 404),          # none launched yet
        ("POST", "/launcher/v1/sandbox/relaunch", 403),  # over the limit
    }, watched.refused
    failed_loads = [line for line in watched.console
                    if line.startswith("error: Failed to load resource: the server responded")]
    assert len(failed_loads) == len(watched.refused), watched.console
    others = [line for line in watched.console
              if line.startswith(("error", "warning")) and line not in failed_loads]
    assert others == [], watched.console


@pytest.mark.parametrize("launcher", [{"start_state": "preserved",
                                       "workspaces": {"demo": {"source": "empty"}}}],
                         indirect=True)
def test_the_page_picks_a_workspace_and_discards_with_the_preserved_state(
        chromium: str, launcher: Launcher, page: tuple[Page, Watched]) -> None:
    """Two workspace sources: the picker; start_state preserved: Discard offers to drop the
    preserved state too, and ``?dropState=true`` removes it."""
    tab, watched = page
    tab.goto(launcher.url + "/")
    _login(tab, PASSWORD)
    expect(tab.locator("#workspace-picker")).to_be_visible()
    assert tab.locator("#workspace option").all_text_contents() == ["empty", "demo"]
    tab.select_option("#workspace", "demo")
    tab.click("#launch")
    expect(tab.locator("#state")).to_have_text("ready", timeout=READY_MS)
    expect(tab.locator("#sandbox-workspace")).to_have_text("demo")
    expect(tab.locator("#sandbox-start")).to_have_text("preserved")
    record = launcher.sandboxes.get("alice")
    assert record is not None and record.workspace == "demo"
    state_root = Path(launcher.sandboxes.settings.state_dir) / "process" / "state"
    assert [p.name for p in state_root.iterdir()]  # the user's preserved state exists

    tab.click("#discard")
    expect(tab.locator("#drop-state-row")).to_be_visible()
    expect(tab.locator("#drop-state")).not_to_be_checked()
    tab.check("#drop-state")
    tab.click("#confirm-discard")
    expect(tab.locator("#state")).to_have_text("gone", timeout=15_000)
    deadline = time.monotonic() + 10
    while list(state_root.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(state_root.iterdir()) == []

    assert tab.evaluate("window.__violations") == []
    assert watched.errors == [] and watched.failed == []
    assert set(watched.refused) == {("GET", "/launcher/v1/me", 401),
                                    ("GET", "/launcher/v1/sandbox", 404)}, watched.refused
