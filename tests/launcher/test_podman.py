"""The launcher on the podman backend with the project's real image: ``podman system
service`` on a socket of the test's own, a real ``atelier-api launcher`` talking to it
through the Docker SDK, and the sandboxes reached through the launcher's proxy.

Needs podman and the image ``.ci/container-check`` builds (kept for the suite by
``.ci/run``); see ``tests/launcher/engine.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.launcher import engine
from tests.launcher.harness import (
    PASSWORDS,
    LauncherProc,
    has_class,
    sandbox_auth,
    save_and_compile,
)


@pytest.fixture(scope="module")
def socket_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    engine.require_engine()
    with engine.podman_socket(tmp_path_factory.mktemp("podman")) as url:
        yield url


def _containers(instance: str) -> list[dict[str, object]]:
    done = engine.podman("ps", "-a", "--format", "json", "--filter",
                         f"label=atelier-api.launcher={instance}")
    return json.loads(done.stdout or "[]")  # type: ignore[no-any-return]


def _volumes(instance: str) -> list[dict[str, object]]:
    done = engine.podman("volume", "ls", "--format", "json", "--filter",
                         f"label=atelier-api.launcher={instance}")
    return json.loads(done.stdout or "[]")  # type: ignore[no-any-return]


@pytest.fixture
def make(tmp_path: Path, socket_url: str) -> Iterator:  # type: ignore[type-arg]
    made: list[LauncherProc] = []

    def _make(**settings: object) -> LauncherProc:
        instance = f"t{len(made)}{int(time.time() * 1000) % 10**8}"
        launcher = LauncherProc(tmp_path / f"l{len(made)}", {
            "backend": "podman", "engine_url": socket_url, "image": engine.IMAGE,
            "instance": instance, "cpus": 1.0, "memory_bytes": 512 << 20, **settings})
        launcher.instance = instance  # type: ignore[attr-defined]
        made.append(launcher)
        return launcher.start()

    yield _make
    for launcher in made:
        launcher.stop()
        instance = launcher.instance  # type: ignore[attr-defined]
        for found in _containers(instance):
            engine.podman("rm", "-f", str(found["Id"]), check=False)
        for volume in _volumes(instance):
            engine.podman("volume", "rm", "-f", str(volume["Name"]), check=False)


def test_two_users_rules_restart_and_preserved_state(make) -> None:  # type: ignore[no-untyped-def]
    launcher = make(start_state="preserved", max_running=2, relaunch_max=1,
                    max_lifetime_seconds=900)
    instance = launcher.instance
    alice = launcher.launch("alice").json()
    bob = launcher.launch("bob").json()
    assert launcher.wait_state("alice", "ready")["id"] == alice["id"]
    launcher.wait_state("bob", "ready")

    # the containers: labelled by owner and rules, limited, published on loopback only
    found = {c["Labels"]["atelier-api.user"]: c for c in _containers(instance)}
    assert sorted(found) == ["alice", "bob"]
    inspect = json.loads(engine.podman("inspect", str(found["alice"]["Id"])).stdout)[0]
    host = inspect["HostConfig"]
    assert host["Memory"] == 512 << 20 and host["NanoCpus"] == 10**9
    assert host["ReadonlyRootfs"] is True
    assert inspect["Config"]["Labels"]["atelier-api.start-state"] == "preserved"
    bound = inspect["NetworkSettings"]["Ports"]["52773/tcp"][0]
    assert bound["HostIp"] == "127.0.0.1"

    # each reaches only their own sandbox; alice saves and compiles a class
    assert launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(alice)).status_code \
        == 200
    assert launcher.proxied("bob", "GET", "/api/atelier/",
                            ("alice", PASSWORDS["alice"])).status_code == 403
    assert launcher.proxied("bob", "GET", "/api/atelier/", sandbox_auth(alice)).status_code \
        == 401
    save_and_compile(launcher, "alice", sandbox_auth(alice))
    assert not has_class(launcher, "bob", sandbox_auth(bob))

    # the cap: a third user waits
    full = launcher.launch("carol")
    assert full.status_code == 503 and int(full.headers["Retry-After"]) > 0

    # a launcher restart keeps the working sandboxes
    launcher.stop()
    launcher.start()
    assert launcher.wait_state("alice", "ready")["id"] == alice["id"]
    assert has_class(launcher, "alice", sandbox_auth(alice))

    # preserved: the class survives a relaunch into a new container
    again = launcher.call("POST", "/launcher/v1/sandbox/relaunch", "alice", json={})
    assert again.status_code == 201, again.text
    assert again.json()["id"] != alice["id"]
    launcher.wait_state("alice", "ready")
    assert has_class(launcher, "alice", sandbox_auth(again.json()))
    assert alice["id"] not in {c["Labels"]["atelier-api.sandbox"]
                               for c in _containers(instance)}
    # the relaunch limit (1) holds
    over = launcher.call("POST", "/launcher/v1/sandbox/relaunch", "alice", json={})
    assert over.status_code == 403

    # discarding with dropState leaves nothing of alice behind
    launcher.call("DELETE", "/launcher/v1/sandbox?dropState=true", "alice")
    launcher.wait_state("alice", "gone", timeout=60)
    assert [c["Labels"]["atelier-api.user"] for c in _containers(instance)] == ["bob"]
    assert _volumes(instance) == [v for v in _volumes(instance)
                                  if v.get("Labels", {}).get("atelier-api.user") == "bob"]


def test_original_state_and_lifetime_expiry(make) -> None:  # type: ignore[no-untyped-def]
    launcher = make(start_state="original", max_lifetime_seconds=20)
    alice = launcher.launch("alice").json()
    launcher.wait_state("alice", "ready")
    save_and_compile(launcher, "alice", sandbox_auth(alice))
    again = launcher.call("POST", "/launcher/v1/sandbox/relaunch", "alice", json={}).json()
    launcher.wait_state("alice", "ready")
    assert not has_class(launcher, "alice", sandbox_auth(again))  # a fresh start
    assert _volumes(launcher.instance) == []
    ended = launcher.wait_state("alice", "gone", timeout=40)
    assert "lifetime" in ended["reason"]
    assert _containers(launcher.instance) == []
    late = launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(again))
    assert late.status_code == 404 and late.json()["status"]["errors"]


def test_a_missing_image_is_a_clear_error_and_leaves_nothing(make) -> None:  # type: ignore[no-untyped-def]
    launcher = make(image="localhost/no-such-image:latest", start_state="preserved")
    answer = launcher.launch("alice")
    assert answer.status_code == 503
    assert "localhost/no-such-image:latest is not in the podman engine" in \
        answer.json()["error"]["message"]
    assert _containers(launcher.instance) == [] and _volumes(launcher.instance) == []
    assert launcher.call("GET", "/launcher/v1/sandbox", "alice").status_code == 404


def test_with_no_engine_socket_the_launcher_starts_podman_itself(tmp_path: Path) -> None:
    """The newcomer's one command: backend podman, no engine_url, no socket anywhere."""
    engine.require_engine()
    env = {k: v for k, v in engine.podman_env().items() if k != "DOCKER_HOST"}
    instance = f"auto{int(time.time() * 1000) % 10**8}"
    launcher = LauncherProc(tmp_path / "auto", {"backend": "podman", "image": engine.IMAGE,
                                                "instance": instance}, env=env)
    if Path("/run/podman/podman.sock").exists():
        pytest.skip("this machine has a podman socket already")
    try:
        launcher.start()
        view = launcher.launch("alice").json()
        assert launcher.wait_state("alice", "ready")["id"] == view["id"]
        answer = launcher.proxied("alice", "GET", "/api/atelier/", sandbox_auth(view))
        assert answer.status_code == 200
        assert (launcher.state / "podman" / "podman.sock").exists()
    finally:
        launcher.stop()
        for found in _containers(instance):
            engine.podman("rm", "-f", str(found["Id"]), check=False)
