"""Search end to end on a real ``python -m atelier_api serve --port 0`` process: the /work
search polled like VS Code (every poll an array of only new documents), the same hits as the
synchronous action/search, and a runaway regex that neither freezes the server nor survives
its cancel."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import Client, Server, envelope, ns_path

DEADLINE = 60.0
DOCS = 3000


def _workspace(ws: Path) -> None:
    for i in range(DOCS):
        pkg = ws / "App" / f"P{i // 100:02d}"
        pkg.mkdir(parents=True, exist_ok=True)
        hit = "    set status = $$$ERROR($$$GeneralError, \"needle\")\n" if i % 7 == 0 else ""
        (pkg / f"C{i:04d}.cls").write_text(
            f"/// Class {i}\nClass App.P{i // 100:02d}.C{i:04d} Extends %RegisteredObject\n{{\n\n"
            f"Property Name As %String;\n\nMethod Run() As %Status\n{{\n    set x = {i}\n"
            f"{hit}    quit $$$OK\n}}\n\n}}\n", encoding="utf-8")
    (ws / "Long.mac").write_text("ROUTINE Long\n ; " + "a" * 60_000 + "\n", encoding="utf-8")


def _client(tmp_path: Path, start: Callable[..., Server]) -> Client:
    ws = tmp_path / "ws"
    _workspace(ws)
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                    "--namespace", f"USER={ws}"])
    client = Client(server.base)
    client.login()
    return client


def _queue(client: Client, **fields: Any) -> str:
    body = {"request": "search", "query": "needle", "regex": False, "word": False,
            "case": False, "wild": False, "documents": "*.cls,*.mac", "system": False,
            "generated": False, "mapped": True, "max": 100000, **fields}
    resp = client.call("POST", ns_path("USER", "work"), json_body=body)
    assert resp.status_code == 202, resp.text
    return resp.headers["Location"]


def _poll_all(client: Client, job: str) -> list[dict[str, Any]]:
    """Poll every 50 ms like VS Code until no Retry-After; every envelope, final last."""
    polls = []
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        resp = client.call("GET", ns_path("USER", f"work/{job}"))
        assert resp.status_code == 200, resp.text
        env = envelope(resp)
        assert isinstance(env["result"], list), env["result"]
        polls.append(env)
        if "Retry-After" not in resp.headers:
            return polls
        time.sleep(0.05)
    raise AssertionError(f"search {job} never finished")


def test_work_search_polls_match_the_sync_search(tmp_path: Path,
                                                start: Callable[..., Server]) -> None:
    client = _client(tmp_path, start)
    expected = (DOCS + 6) // 7
    for fields in ({}, {"query": "(?i).*\\$\\$\\$error\\(.*needle.*", "regex": True}):
        polls = _poll_all(client, _queue(client, **fields))
        # how many polls it takes depends on the machine; handing each document out
        # once across them does not (incremental emission: tests/search/test_search_work.py)
        items = [item for env in polls for item in env["result"]]
        docs = [item["doc"] for item in items]
        assert len(docs) == len(set(docs)) == expected, "each document handed out once"
        hit = {"text": 'set status = $$$ERROR($$$GeneralError, "needle")', "member": "Run",
               "line": 2}
        assert all(item["matches"] == [hit] for item in items)
        assert polls[-1]["console"][-1] == f"Found {expected} occurrence/s in {expected} file/s."
    sync = client.call("GET", ns_path("USER", "action/search", v=2),
                       params={"query": "needle", "files": "*.cls", "regex": "0",
                               "max": "100000"})
    assert sync.status_code == 200
    assert sorted(i["doc"] for i in envelope(sync)["result"]) == sorted(docs)


def test_runaway_regex_does_not_freeze_the_server(tmp_path: Path,
                                                  start: Callable[..., Server]) -> None:
    """A look-ahead needs the backtracking engine (RE2 has none), and on a 60,000-character
    line this one backtracks for far longer than the fallback's 30 s limit. Another request
    is answered while it runs (the job still runs after that answer), and DELETE ends it."""
    client = _client(tmp_path, start)
    job = _queue(client, query=".*(?=.*a.*a.*a.*b).*", regex=True, documents="Long.mac")
    info = client.call("GET", "/api/atelier/")  # the client's 30 s timeout: a hang guard
    assert info.status_code == 200
    running = client.call("GET", ns_path("USER", f"work/{job}"))
    assert running.status_code == 200 and "Retry-After" in running.headers
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        resp = client.call("DELETE", ns_path("USER", f"work/{job}"))
        assert resp.status_code == 200
        if "Retry-After" not in resp.headers:
            break
        time.sleep(0.1)
    assert "Retry-After" not in resp.headers
    assert client.call("GET", ns_path("USER", f"work/{job}")).status_code == 404
