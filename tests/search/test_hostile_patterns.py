"""Issue 12, hostile searches, against a real ``python -m atelier_api serve`` process:

* the seven regular expressions that passed the old safety check and then backtracked for
  minutes (``(a?){28}a{28}``, ``(a{1,2}){400}b``, ``a*…*b``, the wildcard ``*a*a*a*a*a*a*a*b``
  and three more of the same kinds) complete with their hits, all at once, while another
  request answers: RE2 runs them;
* a synchronous search whose client disconnects stops, and its search process with it
  (a raw socket that sends the request and closes);
* killing the server (SIGTERM or SIGKILL of the server process, SIGKILL of its gunicorn
  worker) leaves no search process behind (checked by pid).
"""

from __future__ import annotations

import base64
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from envelopes import PASSWORD, USER

from atelier_api.search.service import BACKTRACKING_SECONDS

START_TIMEOUT = 60.0
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
SEARCH = "/api/atelier/v8/USER/action/search"
#: how long a stopped search process may take to disappear (a bounded wait, not a measure)
GONE_WITHIN = 60.0

# One routine holds, for each pattern, a line that made the backtracking engine explode and
# lines it matches. Regex mode matches whole lines; wildcards find text inside a line.
A28, A40, A60, A200, A600, A2000 = ("a" * n for n in (28, 40, 60, 200, 600, 2000))
LINES = [A28, A600, A600 + "b", A60, "aaab", A2000, "aaaaaaab", A40, "aab", A40 + "b", A200,
         "a1b"]
ENDS_IN_B = [A600 + "b", "aaab", "aaaaaaab", "aab", A40 + "b"]
SEVEN: list[tuple[dict[str, str], list[str]]] = [
    ({"query": "(a?){28}a{28}", "regex": "1"}, [A28, A40]),
    ({"query": "(a{1,2}){400}b", "regex": "1"}, [A600 + "b"]),
    ({"query": "a*" * 12 + "b", "regex": "1"}, ENDS_IN_B),
    ({"query": "*a*a*a*a*a*a*a*b", "regex": "0", "wild": "1"},
     [A600 + "b", "aaaaaaab", A40 + "b"]),
    ({"query": "(a{0,30}){0,30}b", "regex": "1"}, ENDS_IN_B),
    ({"query": "(?:a|aa)" * 40 + "b", "regex": "1"}, [A40 + "b"]),
    ({"query": r"\w*\d*" * 6 + "b", "regex": "1"}, ENDS_IN_B + ["a1b"]),
]
#: needs the backtracking engine (a look-ahead) and passes its check, but is polynomial:
#: on a 20 000-character line it runs until something stops it
SLOW = ".*(?=.*a.*a.*a.*b).*"
SLOW_LINE = "a" * 20_000


@dataclass
class Server:
    """A running ``atelier-api serve`` process and its output."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _launch(tmp: Path, files: dict[str, str]) -> Server:
    ws, home = tmp / "ws", tmp / "home"
    ws.mkdir(parents=True)
    home.mkdir()
    for rel, text in files.items():
        (ws / rel).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "atelier_api", "serve", "--port", "0", "--state-dir",
         str(tmp / "state"), "--namespace", f"USER={ws}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True)
    server = Server(proc)
    found: queue.Queue[int | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.lines.append(line)
            match = LISTENING.search(line)
            if match:
                found.put(int(match.group(1)))
        found.put(None)
    threading.Thread(target=pump, daemon=True).start()
    try:
        port = found.get(timeout=START_TIMEOUT)
    except queue.Empty:
        port = None
    if port is None:
        _stop(server)
        raise AssertionError("server did not start:\n" + "".join(server.lines))
    server.port = port
    return server


def _stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Server]]:
    started: list[Server] = []

    def start(files: dict[str, str]) -> Server:
        server = _launch(tmp_path / f"s{len(started)}", files)
        started.append(server)
        return server
    yield start
    for server in started:
        _stop(server)


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never a proxy: 127.0.0.1 only
    session.auth = (USER, PASSWORD)
    return session


def _search(session: requests.Session, server: Server, params: dict[str, str],
            files: str = "*.mac", timeout: float = 120.0) -> Any:
    resp = session.get(server.base + SEARCH, params={"files": files, **params},
                       timeout=timeout)
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()


def _answers(session: requests.Session, server: Server) -> bool:
    return session.get(server.base + "/api/atelier/", timeout=30).status_code == 200


# -- processes, by pid -------------------------------------------------------------------------

def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[1]), fields[0]


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[1] not in ("Z", "X")  # a zombie is dead, not reaped


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parents[int(entry)] = stat[0]
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [p for p, parent in parents.items() if parent == pid]
        found += kids
        todo += kids
    return found


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _search_processes(server: Server) -> list[int]:
    return [p for p in _descendants(server.proc.pid)
            if _comm(p) == "atelier-search" and _alive(p)]


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def _until(check: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.05)


def _busy_search_process(server: Server) -> int:
    """Wait for a search process that is scanning (its CPU time grows); its pid."""
    seen: dict[int, int] = {}
    busy: list[int] = []

    def check() -> bool:
        for pid in _search_processes(server):
            ticks = _cpu_ticks(pid)
            if pid in seen and ticks > seen[pid] + 5:
                busy.append(pid)
                return True
            seen.setdefault(pid, ticks)
        return False
    _until(check, "a search process that scans", 30)
    return busy[0]


def _raw_search(server: Server, params: dict[str, str], files: str = "*.mac"
                ) -> socket.socket:
    """Send a synchronous search on a raw socket and read nothing."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    query = urlencode({"files": files, **params})
    sock.sendall(f"GET {SEARCH}?{query} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                 f"Authorization: Basic {auth}\r\nAccept: application/json\r\n\r\n".encode())
    return sock


# -- the tests ---------------------------------------------------------------------------------

def test_the_seven_hostile_patterns_complete_while_another_request_answers(
        serve: Callable[[dict[str, str]], Server]) -> None:
    server = serve({"Hostile.mac": "ROUTINE Hostile\n" + "\n".join(LINES) + "\n"})
    session = _session()
    with ThreadPoolExecutor(len(SEVEN)) as pool:
        pending = [pool.submit(_search, _session(), server, params) for params, _ in SEVEN]
        assert _answers(session, server), "an unrelated request answers meanwhile"
        bodies = [future.result() for future in pending]
    for (params, expected), body in zip(SEVEN, bodies, strict=True):
        assert body["status"] == {"errors": [], "summary": ""}, params
        texts = [m["text"] for item in body["result"] for m in item["matches"]]
        assert texts == expected, params["query"]
    assert _answers(session, server)


def test_a_disconnected_synchronous_search_stops_its_search_process(
        serve: Callable[[dict[str, str]], Server]) -> None:
    server = serve({"Slow.mac": f"ROUTINE Slow\n{SLOW_LINE}\n"})
    session = _session()
    started = time.monotonic()
    sock = _raw_search(server, {"query": SLOW, "regex": "1"})
    worker = _busy_search_process(server)
    sock.close()  # the client goes away without reading the answer
    # it ends because its client left, long before the backtracking engine's own time limit
    _until(lambda: not _alive(worker), "the search process ends after the disconnect",
           started + BACKTRACKING_SECONDS / 2 - time.monotonic())
    assert _answers(session, server)
    assert _search(session, server, {"query": "aaa", "regex": "0"})["result"]


def _server_with_busy_searches(serve: Callable[[dict[str, str]], Server]
                               ) -> tuple[Server, int, list[int], list[socket.socket]]:
    """A server with two search processes scanning for connected clients (the corpus's kept
    worker and a one-off process): (server, its gunicorn worker's pid, the search processes'
    pids, the clients' sockets)."""
    server = serve({"Slow.mac": f"ROUTINE Slow\n{SLOW_LINE}\n", "Other.mac": "ROUTINE Other\n"})
    socks = [_raw_search(server, {"query": SLOW, "regex": "1"})]
    first = _busy_search_process(server)
    socks.append(_raw_search(server, {"query": SLOW, "regex": "1"}))
    _until(lambda: len(_search_processes(server)) == 2, "a second search process", 30)
    pids = _search_processes(server)
    parent = (_stat(first) or (0, ""))[0]
    assert parent and all((_stat(p) or (0, ""))[0] == parent for p in pids)
    return server, parent, pids, socks


@pytest.mark.parametrize("how", ["SIGTERM server", "SIGKILL server", "SIGKILL worker"])
def test_killing_the_server_leaves_no_search_process(
        serve: Callable[[dict[str, str]], Server], how: str) -> None:
    server, worker, pids, socks = _server_with_busy_searches(serve)
    assert worker != server.proc.pid  # the search processes are the gunicorn worker's
    try:
        sig = signal.SIGTERM if how.startswith("SIGTERM") else signal.SIGKILL
        os.kill(worker if how.endswith("worker") else server.proc.pid, sig)
        _until(lambda: not any(_alive(p) for p in pids),
               f"no search process of {pids} left after {how}", GONE_WITHIN)
        if how == "SIGKILL server":  # the orphaned gunicorn worker leaves by itself
            _until(lambda: not _alive(worker), "the gunicorn worker ends", GONE_WITHIN)
    finally:
        for sock in socks:
            sock.close()
        if server.proc.poll() is None:
            server.proc.kill()
        for pid in (worker, *pids):  # never leave a process of this test behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
