"""Lifecycle rules against a real ``python -m atelier_api serve --port 0`` process."""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from .conftest import CLASS_A1, CLASS_A2, Origin, Server, wait_for, write

NEW = "Class Pkg.New\n{\n}\n"


def test_idle_timeout_stops_the_sandbox(start_server: Callable[..., Server],
                                        tmp_path: Path) -> None:
    server = start_server("--namespace", f"USER=empty:{tmp_path / 'ws'}",
                          env={"ATELIER_IDLE_TIMEOUT_SECONDS": "2"})
    assert server.call("GET", "/api/atelier/").status_code == 200
    assert server.wait_exit(60) == 0  # exits by itself
    log = server.text()
    assert "idle for 2 s (no request to /api/atelier/)" in log
    assert "Shutting down: Master" in log


def test_max_lifetime_stops_a_busy_sandbox(start_server: Callable[..., Server],
                                           tmp_path: Path) -> None:
    server = start_server("--namespace", f"USER=empty:{tmp_path / 'ws'}",
                          env={"ATELIER_MAX_LIFETIME_SECONDS": "3"})
    status = server.call("GET", "/operator/status").json()["result"]
    assert status["max_lifetime_seconds"] == 3 and status["lifetime_left_seconds"] <= 3

    def gone() -> bool:  # keep the API busy: the lifetime is a hard limit all the same
        with contextlib.suppress(requests.ConnectionError):
            server.call("GET", "/api/atelier/v1/USER/docnames", timeout=5)
        return server.proc.poll() is not None

    wait_for(gone, 60, "the lifetime to run out", interval=0.1)
    assert server.proc.returncode == 0
    assert "maximum lifetime of 3 s reached" in server.text()


def _changes(server: Server) -> tuple[list[str], list[str], list[str]]:
    result = server.call("GET", "/operator/changes/USER").json()["result"]
    return result["added"], result["modified"], result["deleted"]


@pytest.mark.parametrize("source", ["git", "folder"])
def test_start_mode_keep_then_original(start_server: Callable[..., Server], origin: Origin,
                                       tmp_path: Path, source: str) -> None:
    ns = f"USER=git+{origin.url}@v1"
    if source == "folder":
        write(tmp_path / "ws", "Pkg/A.cls", CLASS_A1)
        ns = f"USER={tmp_path / 'ws'}"
    first = start_server("--namespace", ns)
    assert first.put_doc("Pkg.A.cls", CLASS_A2).status_code == 200
    assert first.put_doc("Pkg.New.cls", NEW).status_code == 201
    assert first.terminate() == 0

    kept = start_server("--namespace", ns, env={"ATELIER_START_MODE": "keep"})
    assert kept.call("GET", "/api/atelier/v1/USER/doc/Pkg.New.cls").status_code == 200
    assert _changes(kept) == (["Pkg.New.cls"], ["Pkg.A.cls"], [])
    assert kept.terminate() == 0

    fresh = start_server("--namespace", ns, env={"ATELIER_START_MODE": "original"})
    assert fresh.call("GET", "/api/atelier/v1/USER/doc/Pkg.New.cls").status_code == 404
    doc = fresh.call("GET", "/api/atelier/v1/USER/doc/Pkg.A.cls").json()["result"]
    assert "Property One As %String;" in doc["content"]
    assert _changes(fresh) == ([], [], [])
    assert fresh.terminate() == 0


def test_sigterm_during_a_slow_save_loses_nothing(start_server: Callable[..., Server],
                                                  tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    server = start_server("--namespace", f"USER=empty:{ws}")
    lines = [f"// line {i} " + "x" * 60 for i in range(20_000)]
    body = json.dumps({"enc": False, "content": ["Class Pkg.Slow", "{", *lines, "}"]}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest("PUT", "/api/atelier/v1/USER/doc/Pkg.Slow.cls")
    conn.putheader("Authorization", "Basic X1NZU1RFTTpTWVM=")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.send(body[: len(body) // 2])  # the request is in flight, its body half sent

    def in_flight() -> bool:
        rows = server.call("GET", "/api/atelier/v1/%25SYS/jobs").json()["result"]["content"]
        return any("Pkg.Slow.cls" in row["routine"] for row in rows)

    wait_for(in_flight, 30, "the save to be running")
    server.proc.send_signal(15)  # SIGTERM, as an orchestrator sends it
    wait_for(lambda: "Handling signal: term" in server.text(), 30, "the signal to arrive")
    conn.send(body[len(body) // 2 :])
    resp = conn.getresponse()
    saved = json.loads(resp.read())
    assert resp.status == 201, saved
    conn.close()
    assert server.wait_exit(60) == 0
    assert (ws / "Pkg" / "Slow.cls").read_text().splitlines()[2] == lines[0]

    again = start_server("--namespace", f"USER=empty:{ws}")
    doc = again.call("GET", "/api/atelier/v1/USER/doc/Pkg.Slow.cls").json()["result"]
    assert doc["ts"] == saved["result"]["ts"]  # the index was flushed on the way out
    assert doc["content"][2] == lines[0] and len(doc["content"]) == len(lines) + 3
    assert again.terminate() == 0


def test_reset_endpoint_on_a_running_sandbox(start_server: Callable[..., Server],
                                             origin: Origin) -> None:
    server = start_server("--namespace", f"USER=git+{origin.url}@main")
    assert server.put_doc("Pkg.New.cls", NEW).status_code == 201
    resp = server.call("POST", "/operator/reset/USER")
    assert resp.status_code == 200, resp.text
    assert resp.json()["result"]["undone"]["added"] == ["Pkg.New.cls"]
    assert server.call("GET", "/api/atelier/v1/USER/doc/Pkg.New.cls").status_code == 404
    assert server.call("GET", "/operator/status").json()["result"]["namespaces"]["USER"][
        "generation"] >= 1  # derived data was told
    assert server.terminate() == 0


def test_the_served_process_watches_its_workspace(start_server: Callable[..., Server],
                                                  tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write(ws, "Pkg/A.cls", CLASS_A1)
    server = start_server("--namespace", f"USER={ws}")
    before = server.call("GET", "/api/atelier/v1/USER/doc/Pkg.A.cls").json()["result"]["ts"]

    def generation() -> int:
        status = server.call("GET", "/operator/status").json()["result"]
        return int(status["namespaces"]["USER"]["generation"])

    assert generation() == 0
    write(ws, "Pkg/A.cls", CLASS_A2)  # an editor saves: the watcher takes it in by itself
    wait_for(lambda: generation() == 1, 30, "the watcher of the served process", interval=0.1)
    after = server.call("GET", "/api/atelier/v1/USER/doc/Pkg.A.cls").json()["result"]["ts"]
    assert after > before
    assert server.terminate() == 0
