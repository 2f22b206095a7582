"""The launcher end to end on the ``process`` backend: a real ``atelier-api launcher`` and
real sandbox servers (local processes), so the rules, the API, the proxy and recovery are
tested without a container engine. ``test_podman.py`` repeats the essentials with the real
image on podman."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import subprocess
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import tomli_w
import websockets

from tests.launcher.harness import (
    PASSWORDS,
    LauncherProc,
    has_class,
    pid_alive,
    sandbox_auth,
    save_and_compile,
)

Make = Callable[..., LauncherProc]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Make]:
    made: list[LauncherProc] = []

    def _make(**settings: object) -> LauncherProc:
        launcher = LauncherProc(tmp_path / f"l{len(made)}", dict(settings))
        made.append(launcher)
        return launcher.start()

    yield _make
    for launcher in made:
        launcher.cleanup()


def _pid(launcher: LauncherProc, sandbox_id: str) -> int:
    record = launcher.state / "process" / "run" / f"{sandbox_id}.json"
    return int(json.loads(record.read_text())["pid"])


def _gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# -- authentication and ownership -------------------------------------------------------------

def test_users_authenticate_and_see_only_their_own_sandbox(make: Make) -> None:
    launcher = make()
    assert launcher.call("GET", "/launcher/v1/me").status_code == 401
    wrong = requests.get(launcher.url + "/launcher/v1/me", auth=("alice", "nope"), timeout=10)
    assert wrong.status_code == 401 and "WWW-Authenticate" in wrong.headers
    unknown = requests.get(launcher.url + "/launcher/v1/me", auth=("mallory", "x"), timeout=10)
    assert unknown.status_code == 401
    me = launcher.call("GET", "/launcher/v1/me", "alice").json()
    assert me["user"] == "alice" and me["operator"] is False
    assert me["rules"]["startState"] == "original"
    assert launcher.call("GET", "/launcher/v1/sandbox", "alice").status_code == 404

    first = launcher.launch("alice")
    assert first.status_code == 201, first.text
    again = launcher.launch("alice")  # idempotent: the same sandbox
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert launcher.call("GET", "/launcher/v1/sandboxes/alice", "bob").status_code == 403
    assert launcher.call("DELETE", "/launcher/v1/sandboxes/alice", "bob").status_code == 403
    assert launcher.call("GET", "/launcher/v1/sandboxes", "alice").status_code == 403
    listed = launcher.call("GET", "/launcher/v1/sandboxes", "olga")
    assert [s["user"] for s in listed.json()] == ["alice"]
    assert launcher.call("GET", "/launcher/v1/sandboxes/alice", "olga").json()["id"] == \
        first.json()["id"]

    # the page's way in: the cookie of POST /login, scoped to the launcher's own paths
    session = requests.Session()
    bad = session.post(launcher.url + "/launcher/v1/login",
                       json={"username": "alice", "password": "x"}, timeout=10)
    assert bad.status_code == 401
    good = session.post(launcher.url + "/launcher/v1/login",
                        json={"username": "alice", "password": PASSWORDS["alice"]}, timeout=10)
    assert good.status_code == 200
    cookie = good.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/launcher" in cookie
    assert session.get(launcher.url + "/launcher/v1/sandbox", timeout=10).json()["id"] == \
        first.json()["id"]
    forged = requests.get(launcher.url + "/launcher/v1/me", timeout=10,
                          cookies={"atelier_launcher": "olga:9999999999:" + "0" * 64})
    assert forged.status_code == 401
    session.post(launcher.url + "/launcher/v1/logout", timeout=10)
    assert session.get(launcher.url + "/launcher/v1/me", timeout=10).status_code == 401


def test_concurrent_launches_make_one_sandbox(make: Make) -> None:
    launcher = make()
    answers: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(launcher.launch("alice")))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(list((launcher.state / "process" / "run").glob("*.json"))) == 1


# -- the proxy --------------------------------------------------------------------------------

def test_the_proxy_serves_each_user_only_their_sandbox(make: Make) -> None:
    launcher = make()
    alice = launcher.launch("alice").json()
    bob = launcher.launch("bob").json()
    launcher.wait_state("alice", "ready")
    launcher.wait_state("bob", "ready")
    assert alice["connection"]["pathPrefix"] == "/sandbox/alice"
    assert alice["connection"]["password"] != bob["connection"]["password"]
    assert alice["vscodeSettings"]["intersystems.servers"]["atelier-alice"]["webServer"] == {
        "scheme": "http", "host": "127.0.0.1", "port": launcher.port,
        "pathPrefix": "/sandbox/alice"}

    # the sandbox's own credentials, and the owner's launcher credentials, both get in
    own = launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(alice))
    assert own.status_code == 200 and own.json()["result"]["content"]["api"] == 8
    via_launcher = launcher.proxied("alice", "GET", "/api/atelier/",
                                    ("alice", PASSWORDS["alice"]))
    assert via_launcher.status_code == 200
    # another user's: refused by the launcher (403), or by the sandbox (401)
    other = launcher.proxied("bob", "GET", "/api/atelier/", ("alice", PASSWORDS["alice"]))
    assert other.status_code == 403 and other.json()["status"]["errors"]
    crossed = launcher.proxied("bob", "GET", "/api/atelier/", sandbox_auth(alice))
    assert crossed.status_code == 401
    assert launcher.proxied("bob", "GET", "/api/atelier/", None).status_code == 401

    # a session cookie, rewritten to the user's path, works on its own afterwards
    session = requests.Session()
    login = session.head(f"{launcher.url}/sandbox/alice/api/atelier/", auth=sandbox_auth(alice),
                         timeout=10)
    assert login.status_code == 200
    assert "path=/sandbox/alice/api/atelier" in login.headers["Set-Cookie"].lower()
    docs = session.get(f"{launcher.url}/sandbox/alice/api/atelier/v8/%25SYS/docnames/CLS",
                       timeout=10)
    assert docs.status_code == 200, docs.text  # %25SYS reached the sandbox as written
    save_and_compile(launcher, "alice", sandbox_auth(alice))
    assert has_class(launcher, "alice", sandbox_auth(alice))
    assert not has_class(launcher, "bob", sandbox_auth(bob))


def test_websockets_and_large_answers_go_through_the_proxy(make: Make) -> None:
    launcher = make()
    view = launcher.launch("alice").json()
    launcher.wait_state("alice", "ready")
    user, password = sandbox_auth(view)

    # an answer larger than the proxy sends whole: streamed, byte for byte the sandbox's
    lines = ["Class Big.Doc Extends %RegisteredObject", "{", ""]
    lines += [f"/// line {i} " + "x" * 90 for i in range(5000)]
    lines += ["Parameter P = 1;", "", "}"]
    put = launcher.proxied("alice", "PUT", "/api/atelier/v8/USER/doc/Big.Doc.cls",
                           (user, password), json={"enc": False, "content": lines})
    assert put.status_code == 201, put.text
    got = launcher.proxied("alice", "GET", "/api/atelier/v8/USER/doc/Big.Doc.cls",
                           (user, password))
    assert len(got.content) > 256 * 1024 and got.json()["result"]["content"] == lines
    record = json.loads((launcher.state / "process" / "run" / f"{view['id']}.json")
                        .read_text())
    straight = requests.get(f"http://127.0.0.1:{record['port']}/api/atelier/v8/USER/doc/"
                            "Big.Doc.cls", auth=(user, password), timeout=30)
    assert straight.content == got.content
    head = launcher.proxied("alice", "HEAD", "/api/atelier/v8/USER/doc/Big.Doc.cls",
                            (user, password))
    assert head.status_code == 200 and head.content == b""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    url = (f"ws://127.0.0.1:{launcher.port}/sandbox/alice/api/atelier/v8/%25SYS/terminal")

    async def talk() -> list[dict[str, str]]:
        async with websockets.connect(url, additional_headers={
                "Authorization": f"Basic {token}"}) as ws:
            await ws.send(json.dumps({"type": "config", "namespace": "USER"}))
            seen = [json.loads(await asyncio.wait_for(ws.recv(), 20))]
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
            await ws.send(json.dumps({"type": "prompt", "input": 'write 6*7," ok"'}))
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
            return seen

    init, prompt, output = asyncio.run(talk())
    assert init["type"] == "init" and prompt["text"] == "USER>"
    assert output == {"type": "output", "text": "42 ok"}

    async def refused() -> None:
        async with websockets.connect(url.replace("/alice/", "/bob/"), additional_headers={
                "Authorization": f"Basic {token}"}):
            pass

    with pytest.raises(websockets.InvalidStatus) as caught:
        asyncio.run(refused())
    # alice's sandbox credentials are not bob's: the launcher refuses before anything else
    assert caught.value.response.status_code == 401


def test_a_starting_sandbox_holds_requests_up_to_a_bound(make: Make) -> None:
    launcher = make(proxy_wait_seconds=0)
    view = launcher.launch("alice").json()
    assert view["state"] == "starting"
    early = launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(view))
    assert early.status_code == 503 and early.headers["Retry-After"] == "2"
    assert "still starting" in early.json()["status"]["summary"]
    patient = make(proxy_wait_seconds=30)
    view = patient.launch("bob").json()
    waited = patient.proxied("bob", "GET", "/api/atelier/", sandbox_auth(view))
    assert waited.status_code == 200  # held until ready


# -- the rules --------------------------------------------------------------------------------

def test_lifetime_expiry_removes_the_sandbox(make: Make) -> None:
    launcher = make(max_lifetime_seconds=4)
    view = launcher.launch("alice").json()
    assert view["remainingSeconds"] in (3, 4) and view["expiresAt"]
    pid = _pid(launcher, view["id"])
    ended = launcher.wait_state("alice", "gone", timeout=30)
    assert "lifetime" in ended["reason"] and ended["remainingSeconds"] == 0
    assert _gone(pid)
    late = launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(view))
    assert late.status_code == 404 and "launch it again" in late.json()["status"]["summary"]


def test_idle_sandboxes_are_removed_and_traffic_keeps_them(make: Make) -> None:
    launcher = make(idle_timeout_seconds=3)
    alice = launcher.launch("alice").json()
    launcher.launch("bob")
    launcher.wait_state("alice", "ready")
    launcher.wait_state("bob", "ready")
    for _ in range(10):  # alice keeps working for 5 s; bob does nothing
        launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(alice))
        time.sleep(0.5)
    assert launcher.wait_state("bob", "gone", timeout=10)["reason"].startswith("idle")
    assert launcher.sandbox("alice")["state"] == "ready"


def test_relaunch_limit_and_cool_down(make: Make) -> None:
    launcher = make(relaunch_max=1, relaunch_cooldown_seconds=2)
    first = launcher.launch("alice").json()
    first_pid = _pid(launcher, first["id"])
    soon = launcher.call("POST", "/launcher/v1/sandbox/relaunch", "alice", json={})
    assert soon.status_code == 429 and 1 <= int(soon.headers["Retry-After"]) <= 2
    assert launcher.sandbox("alice")["id"] == first["id"]  # nothing stopped
    time.sleep(2.1)
    second = launcher.call("POST", "/launcher/v1/sandbox/relaunch", "alice", json={})
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    assert second.json()["relaunches"]["left"] == 0
    assert _gone(first_pid)
    time.sleep(2.1)
    third = launcher.call("POST", "/launcher/v1/sandbox/relaunch", "alice", json={})
    assert third.status_code == 403 and "No relaunches left" in third.json()["error"]["message"]
    assert launcher.sandbox("alice")["id"] == second.json()["id"]
    # a discard, then a launch, is a relaunch too
    launcher.call("DELETE", "/launcher/v1/sandbox", "alice")
    launcher.wait_state("alice", "gone")
    assert launcher.launch("alice").status_code == 403


def test_the_cap_on_running_sandboxes(make: Make) -> None:
    launcher = make(max_running=2, max_lifetime_seconds=600)
    assert launcher.launch("alice").status_code == 201
    assert launcher.launch("bob").status_code == 201
    full = launcher.launch("carol")
    assert full.status_code == 503
    assert 1 <= int(full.headers["Retry-After"]) <= 600
    assert "All 2 sandboxes are in use" in full.json()["error"]["message"]
    assert launcher.call("GET", "/launcher/v1/sandbox", "carol").status_code == 404
    launcher.call("DELETE", "/launcher/v1/sandbox", "bob")
    launcher.wait_state("bob", "gone")
    assert launcher.launch("carol").status_code == 201


@pytest.mark.parametrize("start_state", ["preserved", "original"])
def test_relaunch_keeps_work_only_when_preserved(make: Make, start_state: str) -> None:
    launcher = make(start_state=start_state)
    view = launcher.launch("alice").json()
    launcher.wait_state("alice", "ready")
    save_and_compile(launcher, "alice", sandbox_auth(view))
    again = launcher.call("POST", "/launcher/v1/sandbox/relaunch", "alice", json={}).json()
    assert again["id"] != view["id"] and again["startState"] == start_state
    launcher.wait_state("alice", "ready")
    assert has_class(launcher, "alice", sandbox_auth(again)) == (start_state == "preserved")
    if start_state == "preserved":  # dropState forgets it
        launcher.call("DELETE", "/launcher/v1/sandbox?dropState=true", "alice")
        launcher.wait_state("alice", "gone")
        assert not any((launcher.state / "process" / "state").iterdir())


def test_a_crash_is_reported_and_can_be_relaunched(make: Make) -> None:
    import os
    import signal

    launcher = make()
    view = launcher.launch("alice").json()
    launcher.wait_state("alice", "ready")
    os.killpg(_pid(launcher, view["id"]), signal.SIGKILL)
    crashed = launcher.wait_state("alice", "crashed", timeout=15)
    assert "exited with status -9" in crashed["reason"]
    answer = launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(view))
    assert answer.status_code == 404 and "crashed" in answer.json()["status"]["summary"]
    again = launcher.launch("alice")
    assert again.status_code == 201
    launcher.wait_state("alice", "ready")


def test_a_sandbox_never_ready_is_crashed_and_removed(make: Make) -> None:
    # its workspace is a git URL whose server accepts and never answers: the clone hangs
    stall = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{stall.getsockname()[1]}/r.git"
    launcher = make(start_timeout_seconds=1, default_workspace="stall",
                    workspaces={"stall": {"url": url}})
    view = launcher.launch("alice").json()
    crashed = launcher.wait_state("alice", "crashed", timeout=15)
    assert "start_timeout_seconds = 1" in crashed["reason"]
    assert not (launcher.state / "process" / "run" / f"{view['id']}.json").exists()
    stall.close()


def test_a_restarted_launcher_carries_on_and_removes_orphans(make: Make) -> None:
    launcher = make()
    alice = launcher.launch("alice").json()
    bob = launcher.launch("bob").json()
    launcher.wait_state("alice", "ready")
    launcher.wait_state("bob", "ready")
    save_and_compile(launcher, "alice", sandbox_auth(alice))
    launcher.stop()
    # bob's record is lost meanwhile: his sandbox becomes an orphan the launcher removes
    path = launcher.state / "launcher.json"
    data = json.loads(path.read_text())
    del data["users"]["bob"]
    path.write_text(json.dumps(data))
    bob_pid = _pid(launcher, bob["id"])
    launcher.start()
    assert launcher.wait_state("alice", "ready")["id"] == alice["id"]
    assert has_class(launcher, "alice", sandbox_auth(alice))
    assert _gone(bob_pid)
    assert launcher.call("GET", "/launcher/v1/sandbox", "bob").status_code == 404


def test_bad_input_gets_clear_errors(make: Make) -> None:
    launcher = make()
    bad = launcher.call("POST", "/launcher/v1/sandbox", "alice", json={"workspace": "nope"})
    assert bad.status_code == 400 and "nope" in bad.json()["error"]["message"]
    typo = launcher.call("POST", "/launcher/v1/sandbox", "alice", json={"workspaces": 1})
    assert typo.status_code == 400
    assert launcher.call("DELETE", "/launcher/v1/sandbox", "alice").status_code == 404
    assert launcher.call("GET", "/launcher/v1/sandboxes/nobody", "olga").status_code == 404
    assert launcher.call("GET", "/launcher/v1/nothing", "alice").status_code == 404
    assert launcher.proxied("nobody", "GET", "/api/atelier/", None).status_code == 404


def test_an_unreachable_engine_is_a_clear_error_and_leaves_nothing(make: Make,
                                                                   tmp_path: Path) -> None:
    launcher = make(backend="podman", engine_url=f"unix://{tmp_path}/no-engine.sock")
    answer = launcher.launch("alice")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert "cannot be reached" in answer.json()["error"]["message"]
    assert launcher.call("GET", "/launcher/v1/sandbox", "alice").status_code == 404
    assert launcher.call("GET", "/launcher/v1/me", "alice").json()["relaunches"]["used"] == 0


def test_workspace_sources_from_git_and_the_allow_list(make: Make, tmp_path: Path) -> None:
    """A user names a workspace source from the allow-list; a git source is cloned by the
    sandbox at start (here a local repository, as a path)."""
    repo = tmp_path / "repo"
    (repo / "src" / "Team").mkdir(parents=True)
    (repo / "src" / "Team" / "Tool.cls").write_text(
        "Class Team.Tool Extends %RegisteredObject\n{\n}\n", encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    launcher = make(allowed_workspaces="team")
    launcher.stop()  # the sources are [workspaces] tables of the launcher's TOML file
    table = tomllib.loads(launcher.config.read_text())
    table["workspaces"] = {"team": {"url": str(repo), "ref": "main"},
                           "other": {"url": str(repo)}}
    launcher.config.write_text(tomli_w.dumps(table))
    launcher.start()
    me = launcher.call("GET", "/launcher/v1/me", "alice").json()
    assert me["workspaces"] == ["empty", "team"]
    refused = launcher.launch("alice", workspace="other")
    assert refused.status_code == 400 and "not one you may choose" in refused.text
    view = launcher.launch("alice", workspace="team").json()
    assert view["workspace"] == "team"
    launcher.wait_state("alice", "ready")
    names = launcher.proxied("alice", "GET", "/api/atelier/v8/USER/docnames/CLS",
                             sandbox_auth(view)).json()["result"]["content"]
    assert "Team.Tool.cls" in {d["name"] for d in names}
