"""``atelier-api serve`` as a process: refusals, the demo default, shutdown, what it writes."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
import requests

from .conftest import Client, Running, Server, envelope, ns_path, stop, wait_exit


def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under a folder with its mtime and bytes."""
    out: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        data = path.read_bytes() if path.is_file() else None
        out[str(path.relative_to(root))] = (path.stat().st_mtime_ns, data)
    return out


@pytest.mark.parametrize("extra", [[], ["--auth", "none"], ["--username", "_SYSTEM"]],
                         ids=["default-credentials", "auth-none", "username-only"])
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_non_loopback_host_refused_without_credentials(
        start: Callable[..., Server], tmp_path: Path, host: str, extra: list[str]) -> None:
    server = start(["serve", "--host", host, "--port", "0", "--state-dir",
                    str(tmp_path / "state"), *extra], wait=False)
    code = wait_exit(server)
    out = server.output()
    assert code != 0
    assert host in out
    assert any(word in out.lower() for word in ("credentials", "password", "auth"))
    assert "Listening at" not in out
    assert "Traceback" not in out


@pytest.mark.parametrize("args,words", [
    (["--namespace", "USER"], "NAME=DIR"),
    (["--namespace", "USER=/nonexistent/folder/x"], "does not exist"),
    (["--port", "70000"], "port"),
    (["--layout", "nonsense"], "layout"),
])
def test_bad_configuration_fails_fast_with_a_clear_message(
        start: Callable[..., Server], tmp_path: Path, args: list[str], words: str) -> None:
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"), *args],
                   wait=False)
    assert wait_exit(server) != 0
    assert words in server.output()
    assert "Listening at" not in server.output()
    assert "Traceback" not in server.output()


def test_demo_is_served_without_namespaces(start: Callable[..., Server],
                                           tmp_path: Path) -> None:
    demo = Path(str(resources.files("atelier_api") / "demo"))
    before = tree(demo)
    state = tmp_path / "state"
    server = start(["serve", "--port", "0", "--state-dir", str(state)])
    client = Client(server.base)
    client.login()
    info = envelope(client.call("GET", "/api/atelier/"))["result"]["content"]
    assert {"USER", "%SYS"} <= set(info["namespaces"])
    names = {d["name"] for d in envelope(client.call("GET", ns_path("USER", "docnames")))[
        "result"]["content"]}
    assert {"Demo.Person.cls", "Demo.Utils.cls", "DemoRoutine.mac"} <= names
    got = envelope(client.call("GET", ns_path("USER", "doc/Demo.Utils.cls")))["result"]
    lines = got["content"] + ["/// edited through the API"]
    resp = client.call("PUT", ns_path("USER", "doc/Demo.Utils.cls"),
                       headers={"IF-NONE-MATCH": got["ts"]},
                       json_body={"enc": False, "content": lines})
    assert resp.status_code == 200
    client.close()
    assert tree(demo) == before
    copies = [p for p in state.rglob("Utils.cls")]
    assert copies and "/// edited through the API" in copies[0].read_text()


def test_sigterm_stops_the_server_cleanly(running: Running) -> None:
    assert stop(running.server) == 0
    with requests.Session() as session, pytest.raises(requests.ConnectionError):
        session.trust_env = False  # no proxy: loopback only
        session.get(running.server.base + "/api/atelier/", timeout=5)


def test_server_writes_nothing_outside_its_state_and_workspace(running: Running) -> None:
    home = running.server.home
    assert home is not None
    running.client.call("PUT", ns_path("USER", "doc/Home.mac"), params={"ignoreConflict": "1"},
                        json_body={"enc": False, "content": ["ROUTINE Home"]})
    assert stop(running.server) == 0
    assert list(home.rglob("*")) == []


def test_two_servers_side_by_side(running: Running, start: Callable[..., Server],
                                  tmp_path: Path) -> None:
    other_ws = tmp_path / "ws2"
    other_ws.mkdir()
    (other_ws / "Two.mac").write_text("ROUTINE Two\n")
    second = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state2"),
                    "--namespace", f"USER={other_ws}"])
    assert second.port != running.server.port
    client = Client(second.base)
    client.login()
    for c, expected in ((client, "Two.mac"), (running.client, "R.mac")):
        names = [d["name"] for d in envelope(c.call("GET", ns_path("USER", "docnames/RTN")))[
            "result"]["content"]]
        assert names == [expected]
    client.close()
    assert stop(second) == 0
    assert running.client.call("GET", "/api/atelier/").status_code == 200


def test_chunked_body_over_the_limit_is_413(start: Callable[..., Server],
                                            tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    config = tmp_path / "atelier.toml"
    config.write_text("max_body_bytes = 4096\n")
    server = start(["serve", "--port", "0", "--config", str(config), "--state-dir",
                    str(tmp_path / "state"), "--namespace", f"USER={ws}"])
    client = Client(server.base)
    client.login()

    def chunks():  # no Content-Length: Transfer-Encoding: chunked
        yield b'{"enc":false,"content":["ROUTINE Big","'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"]}'

    resp = client.call("PUT", ns_path("USER", "doc/Big.mac"), params={"ignoreConflict": "1"},
                       headers={"Content-Type": "application/json"}, data=chunks())
    assert resp.status_code == 413
    assert envelope(resp)["status"]["summary"]
    sized = client.call("PUT", ns_path("USER", "doc/Big.mac"), params={"ignoreConflict": "1"},
                        json_body={"enc": False, "content": ["ROUTINE Big", "x" * 8192]})
    assert sized.status_code == 413
    assert not (ws / "Big.mac").exists()
    assert client.call("GET", "/api/atelier/").status_code == 200
    client.close()


def test_jobs_lists_the_running_request(running: Running) -> None:
    resp = running.client.call("GET", ns_path("%SYS", "jobs"), params={"system": "1"})
    rows = envelope(resp)["result"]["content"]
    assert rows
    assert all(isinstance(r["pid"], int) and r["namespace"] and r["routine"] for r in rows)
