"""Every SQL statement has a budget (issue 12): a time limit, a memory ceiling, a longest
value, result caps and a size cap of the projects database; the function allow-list covers a
class query's Filter; a statement stops when its client goes away. Failures are IRIS SQL
errors (HTTP 200, ERROR #5540 with the SQLCODE), and the server keeps answering.

The inputs are the issue's: 33 copies of the endless recursive statement, the nested
``replace()`` that took ~1.1 GB, the ``INSERT ... SELECT`` that grew the projects database
by 93 MB, and a raw socket closed while its statement runs.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from envelopes import PASSWORD, USER, basic

from atelier_api.config import ConfigError, Settings, load_settings
from atelier_api.services import sql_limits
from atelier_api.sql import budget as budget_module
from atelier_api.sql.budget import Gate

from .conftest import DIALOG, FILES, Client, build, dialog_params, envelope

ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
ENDLESS_COPIES = 33
ENDLESS_ROWS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c"


def nested_replace(levels: int, seed: str = "'xxxxxxxxxx'") -> str:
    """``replace(replace(... 'xxxxxxxxxx' ..., 'x', 'xxxxxxxxxx')``: ten times longer per
    level (8 levels: the issue's 1,000,000,000 characters)."""
    text = seed
    for _ in range(levels):
        text = f"replace({text}, 'x', 'xxxxxxxxxx')"
    return text


ONE_MB = nested_replace(6, "'x'")  # 1,000,000 characters
MAX_VALUE = budget_module.SQL_MAX_VALUE_BYTES


def sqlcode(env: dict[str, Any]) -> int:
    """The SQLCODE of an SQL error envelope."""
    err = env["status"]["errors"][0]
    assert err["code"] == 5540 and err["id"] == "SQLCode", err
    return int(err["params"][0])


def use_gate(api: Client, new: Gate) -> None:
    """Give every namespace of the test's server this gate (its statement threads)."""
    for service in api.app.extensions["atelier"].sql.values():
        service.gate = new


@pytest.fixture
def gate(api: Client) -> Iterator[Gate]:
    """A fresh gate of the default size for the test's server, shut down afterwards."""
    fresh = Gate()
    use_gate(api, fresh)
    yield fresh
    fresh.shutdown()


def limit(api: Client, **changes: Any) -> None:
    """Change the limits of the USER namespace's SQL service."""
    service = api.app.extensions["atelier"].sql["USER"]
    service.limits = dataclasses.replace(service.limits, **changes)


def heap() -> Any:
    """SQLite's ``sqlite3_memory_highwater`` (None when it cannot be reached)."""
    if budget_module.HEAP_USED is None:
        return None
    import _sqlite3

    func = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_highwater
    func.restype = ctypes.c_int64
    func.argtypes = [ctypes.c_int]
    return func


# -- time ---------------------------------------------------------------------------------


def test_endless_statement_stops_at_its_time_limit(api: Client, gate: Gate) -> None:
    limit(api, time_limit=1.0)
    before = budget_module.STOPPED["TIMEOUT"]
    env = api.sql_error(ENDLESS)
    assert sqlcode(env) == -450
    assert "time limit of 1 s" in env["status"]["summary"]
    # counted when the statement's own thread stopped (which may be after the answer)
    assert _wait_for(lambda: budget_module.STOPPED["TIMEOUT"] == before + 1)
    assert api.rows("SELECT 1 AS one") == [{"one": 1}]  # its slot is free again


def test_max_takes_the_first_rows_of_an_endless_statement(api: Client, gate: Gate) -> None:
    resp = api.query_raw(ENDLESS_ROWS, max="5")
    assert envelope(resp)["result"]["content"] == [{"x": i} for i in range(1, 6)]


def test_statements_over_the_waiting_room_are_refused_at_once(api: Client) -> None:
    small = Gate(running=1, waiting=0)
    use_gate(api, small)
    try:
        limit(api, time_limit=2.0)
        answers: list[dict[str, Any]] = []
        first = threading.Thread(target=lambda: answers.append(envelope(
            api.query_raw(ENDLESS))))
        first.start()
        while small.admitted == 0:
            time.sleep(0.01)
        env = api.sql_error(ENDLESS)
        assert sqlcode(env) == -400
        assert "Too many SQL statements at once" in env["status"]["summary"]
        first.join(60)
        assert sqlcode(answers[0]) == -450
    finally:
        small.shutdown()


def test_python_loops_of_class_queries_check_the_budget(
        api: Client, gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    """ProjectItemsList(showAll) walks every document for each package item in Python, where
    the progress handler never runs: it checks the budget once per item."""
    api.rows("INSERT INTO %Studio.Project (Name) VALUES ('p')")
    api.rows("INSERT INTO %Studio.ProjectItem (Project, Name, Type) WITH RECURSIVE "
             "c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000) "
             "SELECT 'p', 'Pkg' || x, 'PKG' FROM c")
    checks = []

    def check(self: budget_module.Budget) -> None:
        checks.append(1)
        if len(checks) == 50:  # as if the time limit passed during the 50th item
            self.cancel(budget_module.Stop.TIMEOUT)
            raise self.error()

    monkeypatch.setattr(budget_module.Budget, "check", check)
    env = api.sql_error("SELECT Name FROM %Studio.Project_ProjectItemsList('p', 1)")
    assert sqlcode(env) == -450
    assert len(checks) == 50


# -- memory and values ----------------------------------------------------------------------


def test_nested_replace_is_refused_before_it_takes_memory(api: Client, gate: Gate) -> None:
    highwater = heap()
    if highwater is not None:
        highwater(1)  # reset the high-water mark
    env = api.sql_error(f"SELECT length({nested_replace(8)}) AS n")
    assert sqlcode(env) == -400
    assert "<MAXSTRING>" in env["status"]["summary"]
    if highwater is not None:
        assert highwater(0) < budget_module.SQL_MEMORY_LIMIT_BYTES
    # a value up to the longest string is fine
    assert api.rows(f"SELECT length({nested_replace(5)}) AS n") == [{"n": 1_000_000}]


def test_a_statement_over_the_memory_ceiling_fails_with_store(api: Client, gate: Gate) -> None:
    wide = ", ".join(f"{ONE_MB} || {i} AS c{i}" for i in range(300))  # ~300 MB in one row
    env = api.sql_error(f"SELECT {wide}")
    assert sqlcode(env) == -400
    assert "<STORE>" in env["status"]["summary"]
    assert api.rows("SELECT 1 AS one") == [{"one": 1}]


def test_growing_temporary_data_is_stopped_at_the_memory_check(
        api: Client, gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    if budget_module.HEAP_USED is None:
        pytest.skip("sqlite3_memory_used cannot be reached")
    stop_at = budget_module.HEAP_USED() + (16 << 20)
    # the stop mark only: lowering the hard heap limit would hold for the whole test process
    monkeypatch.setattr(budget_module.SqlLimits, "memory_stop_bytes", property(
        lambda _limits: stop_at))
    before = budget_module.STOPPED["MEMORY"]
    env = api.sql_error(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000000) "
        "SELECT count(DISTINCT x || 'abcdefghijabcdefghij') AS n FROM c")
    assert sqlcode(env) == -400
    assert "<STORE>" in env["status"]["summary"]
    assert _wait_for(lambda: budget_module.STOPPED["MEMORY"] == before + 1)


def test_functions_sqlite_would_run_in_one_long_step_are_linear(
        api: Client, gate: Gate) -> None:
    """instr, replace and trim compare each position with the whole pattern in SQLite, in
    one step the progress handler cannot interrupt (minutes for these values)."""
    hay = "'aaaaaaaaaaaaaaa'"  # 15 x 10^5 = 1,500,000 characters after 5 levels
    for _ in range(5):
        hay = f"replace({hay}, 'a', 'aaaaaaaaaa')"
    needle = hay + " || 'b'"
    big = f"{hay} || {hay}"  # 3,000,000
    assert api.rows(f"SELECT instr({big}, {needle}) AS i") == [{"i": 0}]
    assert api.rows(f"SELECT length(replace({big}, {needle}, 'x')) AS n") == [{"n": 3_000_000}]
    # SQLite's trim tries each character of the set in turn: 'a' last of 1,500,001
    assert api.rows(f"SELECT length(trim({big}, replace({hay}, 'a', 'b') || 'a')) AS n"
                    ) == [{"n": 0}]
    # ordinary answers are SQLite's
    assert api.rows("SELECT instr('hello', 'l') AS i, replace('a-b-c', '-', '+') AS r, "
                    "trim('  x  ') AS t, ltrim('xxay', 'x') AS l, rtrim('ayy', 'y') AS rt, "
                    "replace(12.5, '.', ',') AS n") == [
        {"i": 3, "r": "a+b+c", "t": "x", "l": "ay", "rt": "a", "n": "12,5"}]


def test_list_functions_refuse_values_over_the_longest_string(api: Client, gate: Gate) -> None:
    commas = f"replace({ONE_MB}, 'x', ',')"  # a million empty pieces: 4+ MB as a $LIST
    env = api.sql_error(f"SELECT $LISTLENGTH($LISTFROMSTRING({commas})) AS n")
    assert "<MAXSTRING>" in env["status"]["summary"]
    env = api.sql_error(f"SELECT $LISTBUILD({ONE_MB}, {ONE_MB}, {ONE_MB}, {ONE_MB}) AS s")
    assert "<MAXSTRING>" in env["status"]["summary"]
    assert api.rows(f"SELECT $PIECE({commas}, ',', 999999, 1000000) AS p, "
                    f"$LENGTH({commas}, ',') AS n") == [{"p": ",", "n": 1_000_001}]


def test_like_patterns_have_a_length_cap(api: Client, gate: Gate) -> None:
    cap = budget_module.SQL_MAX_LIKE_PATTERN
    env = api.sql_error("SELECT 1 AS one WHERE 'a' LIKE ?", ["%" + "a" * cap])
    assert f"LIKE pattern longer than {cap} characters" in env["status"]["summary"]
    assert api.rows("SELECT 1 AS one WHERE 'ab' LIKE ?", ["%" * cap]) == [{"one": 1}]


# -- results ------------------------------------------------------------------------------


def test_more_rows_than_the_cap_fail_with_500(api: Client, gate: Gate) -> None:
    rows = budget_module.SQL_MAX_RESULT_ROWS
    env = api.sql_error("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                        f"x <= {rows}) SELECT x FROM c")
    assert sqlcode(env) == -500
    got = api.rows("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                   f"x < {rows}) SELECT count(*) AS n FROM c")
    assert got == [{"n": rows}]


def test_a_result_over_the_byte_cap_fails_with_store(api: Client, gate: Gate) -> None:
    count = budget_module.SQL_MAX_RESULT_BYTES // 1_000_000 + 1
    env = api.sql_error("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                        f"x < {count}) SELECT x || {ONE_MB} AS v FROM c")
    assert sqlcode(env) == -400
    assert "<STORE> the result is larger than" in env["status"]["summary"]


# -- the Filter ---------------------------------------------------------------------------


@pytest.mark.parametrize("condition", ["hex(Name) <> ''", "unicode(Name) > 0",
                                       "abs(random()) >= 0", "soundex(Name) <> ''"])
def test_filter_functions_pass_the_same_allow_list(api: Client, gate: Gate,
                                                   condition: str) -> None:
    """These functions are refused in a statement; inside a Filter they ran (the Filter
    was applied before the allow-list was switched on)."""
    main = api.sql_error(f"SELECT Name FROM %Dictionary.ClassDefinition WHERE {condition}")
    assert sqlcode(main) == -99
    env = api.sql_error(DIALOG, dialog_params("*", flat="1", filter=condition))
    assert sqlcode(env) == -99
    assert "not authorized to use function" in env["status"]["summary"]


def test_filter_still_filters(api: Client, gate: Gate) -> None:
    rows = api.rows(DIALOG, dialog_params("*.cls", flat="1", filter="Name LIKE '%Sub%'"))
    assert rows == [{"Name": "Pkg.Sub.B.cls", "Type": 4}]
    both = api.rows("SELECT d.Name FROM %Library.RoutineMgr_StudioOpenDialog(?,?,?,?,?,?,?,?,?,?)"
                    " d WHERE d.Type = 4", dialog_params("*", flat="1", filter="Type IN (4, 0)"))
    assert {r["Name"] for r in both} == {"Pkg.A.cls", "Pkg.Sub.B.cls", "Tests.T.cls"}


# -- projects -----------------------------------------------------------------------------


def test_insert_select_cannot_grow_the_projects_database_past_its_cap(
        api: Client, gate: Gate) -> None:
    service = api.app.extensions["atelier"].sql["USER"]
    api.rows("INSERT INTO %Studio.Project (Name, Description) VALUES ('keep', 'kept')")
    before = os.path.getsize(service.projects)
    # 93 rows of 1 MB: the 93 MB in one statement
    env = api.sql_error(
        "INSERT INTO %Studio.ProjectItem (Project, Name, Type) WITH RECURSIVE c(x) AS "
        f"(SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 93) SELECT 'keep', x || {ONE_MB}, "
        "'CLS' FROM c")
    assert sqlcode(env) == -400
    assert "<FILEFULL>" in env["status"]["summary"]
    size = os.path.getsize(service.projects)
    assert size <= budget_module.PROJECTS_MAX_BYTES
    assert size == before  # the statement was rolled back
    assert api.rows("SELECT COUNT(*) AS n FROM %Studio.ProjectItem") == [{"n": 0}]
    api.rows("INSERT INTO %Studio.ProjectItem (Project, Name, Type) VALUES ('keep', 'A', 'CLS')")
    assert api.rows("SELECT Name, Description FROM %Studio.Project") == [
        {"Name": "keep", "Description": "kept"}]


# -- a client that goes away -----------------------------------------------------------------


def test_closing_the_socket_stops_the_statement_in_process(api: Client, gate: Gate) -> None:
    """The request's server socket (``gunicorn.socket``) reports the peer's close; the
    statement stops with that reason (its time limit is far away)."""
    limit(api, time_limit=3600.0)
    server_side, client_side = socket.socketpair()
    before = dict(budget_module.STOPPED)
    answers: list[dict[str, Any]] = []

    def post() -> None:
        resp = api.post("/api/atelier/v8/USER/action/query", json={"query": ENDLESS},
                        environ_overrides={"gunicorn.socket": server_side})
        answers.append(envelope(resp))

    worker = threading.Thread(target=post)
    worker.start()
    while gate.admitted == 0:
        time.sleep(0.01)
    client_side.close()
    worker.join(120)
    assert not worker.is_alive()
    assert sqlcode(answers[0]) == -456
    stopped = _wait_for(lambda: budget_module.STOPPED["CLIENT_GONE"] > before.get(
        "CLIENT_GONE", 0))
    assert stopped, budget_module.STOPPED
    assert budget_module.STOPPED["TIMEOUT"] == before.get("TIMEOUT", 0)
    _wait_for(lambda: gate.admitted == 0)
    assert gate.admitted == 0  # the statement's thread is free again
    server_side.close()


def _wait_for(condition: Any, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


# -- through a real server -----------------------------------------------------------------

LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTED = re.compile(r"Booting worker with pid: (\d+)")
QUERY_PATH = "/api/atelier/v8/USER/action/query"


class Server:
    """``python -m atelier_api serve --port 0`` on the SQL tests' workspace; its output is
    collected line by line."""

    def __init__(self, base: Path) -> None:
        ws = base / "ws"
        for rel, data in FILES.items():
            (ws / rel).parent.mkdir(parents=True, exist_ok=True)
            (ws / rel).write_bytes(data)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
        env.update(HOME=str(base), XDG_STATE_HOME=str(base / "xdg"), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "atelier_api", "serve", "--port", "0", "--namespace",
             f"USER={ws}", "--state-dir", str(base / "state")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            start_new_session=True)
        self.lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.port = self._wait_port()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _wait_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            match = LISTENING.search(line)
            if match:
                return int(match.group(1))
        raise AssertionError("server did not start:\n" + "".join(self.lines))

    def output(self) -> str:
        return "".join(self.lines)

    def worker_pid(self) -> int:
        """The gunicorn worker (it says "Booting worker with pid: N")."""
        found: list[int] = []

        def booted() -> bool:
            found.extend(int(m) for m in BOOTED.findall(self.output()))
            return bool(found)

        assert _wait_for(booted), self.output()
        return found[-1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    running = Server(tmp_path)
    yield running
    running.stop()


def send_query(port: int, query: str) -> socket.socket:
    """POST action/query on a raw socket (Basic auth, Connection: close); the socket."""
    body = json.dumps({"query": query, "parameters": []}).encode()
    head = (f"POST {QUERY_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: {basic()}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    sock.sendall(head.encode() + body)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of the response on a ``Connection: close`` socket."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def sql_threads(pid: int) -> dict[int, int]:
    """CPU ticks of each statement thread of a process: the threads ``SQL_THREAD_NICE``
    nicer than the process."""
    def fields(tid: int | str) -> list[str]:
        return Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()

    try:
        nice = min(19, int(fields(pid)[16]) + budget_module.SQL_THREAD_NICE)  # field 19: nice
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return {}
    out = {}
    for tid in tids:
        try:
            stat = fields(tid)
        except OSError:
            continue
        if int(stat[16]) == nice:
            out[int(tid)] = int(stat[11]) + int(stat[12])  # utime + stime
    return out


def test_33_endless_statements_fail_within_their_budget_while_requests_answer(
        server: Server) -> None:
    socks = [send_query(server.port, ENDLESS) for _ in range(ENDLESS_COPIES)]
    with requests.Session() as session:
        session.trust_env = False
        resp = session.get(f"http://127.0.0.1:{server.port}/api/atelier/v8/USER/doc/Pkg.A.cls",
                           auth=(USER, PASSWORD), timeout=60)
        assert resp.status_code == 200
        assert resp.json()["result"]["content"][2] == "Class Pkg.A Extends %Persistent [ Final ]"
    in_flight = [s for s in socks if not _readable(s)]
    assert in_flight, "the unrelated request was answered while statements still ran"
    answers = [read_response(s) for s in socks]
    assert all(status == 200 for status, _ in answers)
    codes = [sqlcode(body) for _, body in answers]
    admitted = budget_module.SQL_MAX_RUNNING + budget_module.SQL_MAX_WAITING
    assert codes.count(-450) == admitted, [b["status"]["summary"] for _, b in answers]
    busy = [b["status"]["summary"] for _, b in answers if sqlcode(b) == -400]
    assert len(busy) == ENDLESS_COPIES - admitted
    assert all("Too many SQL statements at once" in s for s in busy)
    # and the server runs statements again
    status, body = read_response(send_query(server.port, "SELECT 1 AS one"))
    assert (status, body["result"]) == (200, {"content": [{"one": 1}]})


def _readable(sock: socket.socket) -> bool:
    import select

    return bool(select.select([sock], [], [], 0)[0])


def test_a_client_that_disconnects_stops_its_running_statement(server: Server) -> None:
    # a first statement loads the SQL engine and starts the statement threads
    status, body = read_response(send_query(server.port, "SELECT 1 AS one"))
    assert (status, body["result"]) == (200, {"content": [{"one": 1}]})
    pid = server.worker_pid()
    idle = sql_threads(pid)
    assert idle, server.output()
    sock = send_query(server.port, ENDLESS)
    # running: a statement thread burns CPU (0.1 s of it)
    assert _wait_for(lambda: any(ticks > idle.get(tid, 0) + 10
                                 for tid, ticks in sql_threads(pid).items())), server.output()
    sock.close()
    marker = "SQL statement stopped (client disconnected)"
    assert _wait_for(lambda: marker in server.output()), server.output()
    assert "SQL statement stopped (time limit)" not in server.output()
    status, body = read_response(send_query(server.port, "SELECT 1 AS one"))
    assert (status, body["result"]) == (200, {"content": [{"one": 1}]})


def test_docs_show_the_defaults() -> None:
    """docs/sql.md's budget table shows the constants' values and the settings' names."""
    text = (Path(__file__).parents[2] / "docs" / "sql.md").read_text(encoding="utf-8")
    b = budget_module
    shown = [
        f"| time a statement may run | `sql_time_limit_seconds` | {b.SQL_TIME_LIMIT_SECONDS:g} s |",
        "| time a statement may wait for a free slot | `sql_time_limit_seconds` | "
        f"{b.SQL_TIME_LIMIT_SECONDS:g} s |",
        f"| statements running at once (whole server) | `sql_threads` | {b.SQL_MAX_RUNNING} |",
        f"| statements waiting for a slot | `sql_queue` | {b.SQL_MAX_WAITING} |",
        f"| `sql_memory_bytes` | {b.SQL_MEMORY_LIMIT_BYTES >> 20} MB |",
        f"| SQLite heap at which running statements are stopped | three quarters of "
        f"`sql_memory_bytes` | {b.SqlLimits().memory_stop_bytes >> 20} MB |",
        f"| | {b.SQL_MAX_VALUE_BYTES:,} bytes |",
        f"| longest `LIKE` pattern | | {b.SQL_MAX_LIKE_PATTERN} characters |",
        f"| rows of a result | `sql_max_rows` | {b.SQL_MAX_RESULT_ROWS:,} |",
        "| bytes of a result (values and column names) | `sql_max_result_bytes` | "
        f"{b.SQL_MAX_RESULT_BYTES >> 20} MB |",
        "| size of a namespace's projects database | `projects_max_bytes` | "
        f"{b.PROJECTS_MAX_BYTES >> 20} MB |",
        f"every {b.PROGRESS_STEPS:,}",
        f"(niceness +{b.SQL_THREAD_NICE}",
    ]
    assert [s for s in shown if s not in text] == []


# -- settings ------------------------------------------------------------------------------


def test_default_settings_make_the_default_limits() -> None:
    """The settings table's defaults and the module's constants are one set of numbers."""
    assert sql_limits(Settings()) == budget_module.SqlLimits()


def test_settings_reach_every_namespace_and_one_shared_gate(tmp_path: Path) -> None:
    api = build(tmp_path, sql_time_limit_seconds=1, sql_threads=1, sql_queue=0,
                sql_max_rows=3)
    services = api.app.extensions["atelier"]
    assert services.sql["USER"].limits == dataclasses.replace(
        budget_module.SqlLimits(), time_limit=1.0, running=1, waiting=0, max_result_rows=3)
    assert {id(s.gate) for s in services.sql.values()} == {id(services.sql_gate)}
    assert (services.sql_gate.running, services.sql_gate.waiting) == (1, 0)
    env = api.sql_error(ENDLESS)
    assert sqlcode(env) == -450 and "time limit of 1 s" in env["status"]["summary"]
    env = api.sql_error("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                        "WHERE x < 4) SELECT x FROM c")
    assert sqlcode(env) == -500 and "more than 3 rows" in env["status"]["summary"]
    assert api.rows("SELECT 1 AS one") == [{"one": 1}]
    services.close()


@pytest.mark.parametrize("key", ["sql_time_limit_seconds", "sql_threads", "sql_max_rows",
                                 "sql_max_result_bytes", "sql_memory_bytes",
                                 "projects_max_bytes"])
def test_settings_too_small_to_run_a_statement_are_refused(key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings(env={}, cli={key: 0})
