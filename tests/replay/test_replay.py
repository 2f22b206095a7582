"""Replay of everything the VS Code ObjectScript extension sends, against the README's server.

``statements.json`` holds every ``actionQuery`` statement of the extension's source (one entry
per call site and shape) and ``routes.json`` every REST route its HTTP client calls, both
taken from the extension commit recorded in the files (README.md says how to refresh them).
Each entry is one test case: the statement or request is sent the way the extension sends it
to ``atelier-api serve`` on the bundled demo, and must succeed the way the extension judges
success (HTTP status, empty ``status.summary``), with every column or field the extension's
code reads present in every row.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from e2e.conftest import AUTH, CLIENT_HEADERS, Client, Server, launch, ns_path, stop, wait_for_port

HERE = Path(__file__).parent
STATEMENTS: dict[str, Any] = json.loads((HERE / "statements.json").read_text())
ROUTES: dict[str, Any] = json.loads((HERE / "routes.json").read_text())
BY_ID = {e["id"]: e for e in STATEMENTS["statements"]}
ROUTE_BY_ID = {r["id"]: r for r in ROUTES["routes"]}
#: how long a /work job may take to finish; only stops a test that hangs
HANG_GUARD = 120.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``atelier-api serve`` with no namespace: the bundled demo as USER (a private state
    folder and a free port are the only additions)."""
    base = tmp_path_factory.mktemp("replay")
    srv = launch(["serve", "--port", "0", "--state-dir", str(base / "state")], base / "home")
    try:
        wait_for_port(srv)
        yield srv
    finally:
        stop(srv)


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[Client]:
    """Logged in like the extension: HEAD with Basic auth, then the session cookie only."""
    c = Client(server.base)
    c.login()
    yield c
    c.close()


@pytest.fixture(scope="module")
def api_version(client: Client) -> int:
    info = client.call("GET", "/api/atelier/")
    assert info.status_code == 200, info.text
    return int(info.json()["result"]["content"]["api"])


# --- reading what the caller reads ------------------------------------------------------

_PART = re.compile(r"([^\[\]]*)(?:\[(\d*)\])?")


def missing_fields(value: Any, path: str) -> list[str]:
    """The places where ``path`` (``a.b[].c``, ``a[0].b``) is absent in ``value``; ``[]``
    means every element of a list (none: nothing is missing)."""
    parts = path.split(".")

    def walk(v: Any, i: int, where: str) -> list[str]:
        if i == len(parts):
            return []
        match = _PART.fullmatch(parts[i])
        assert match, f"bad path {path!r}"
        name, index = match.group(1), match.group(2)
        if name:
            if not isinstance(v, dict) or name not in v:
                return [f"{where}.{name}".lstrip(".")]
            v, where = v[name], f"{where}.{name}"
        if index is None:
            return walk(v, i + 1, where)
        if not isinstance(v, list):
            return [f"{where.lstrip('.')} is not a list"]
        if index:
            if int(index) >= len(v):
                return [f"{where.lstrip('.')}[{index}]"]
            return walk(v[int(index)], i + 1, f"{where}[{index}]")
        return [m for n, item in enumerate(v) for m in walk(item, i + 1, f"{where}[{n}]")]

    return walk(value, 0, "")


def extension_error(body: Any) -> str:
    """What makes the extension's request() throw on a parsed body, or ''."""
    if not isinstance(body, dict):
        return f"the body is not a JSON object: {str(body)[:200]}"
    summary = body.get("status", {}).get("summary")
    if summary != "":
        return f"status.summary: {summary!r}"
    result = body.get("result")
    if isinstance(result, dict) and result.get("status"):
        return f"result.status: {result['status']!r}"
    return ""


# --- statements --------------------------------------------------------------------------

def run_statement(client: Client, entry: dict[str, Any]) -> tuple[requests.Response, Any]:
    """POST action/query with the body the extension builds (``parameters`` then ``query``)."""
    resp = client.call("POST", ns_path(entry["namespace"], "action/query"),
                       json_body={"parameters": entry["parameters"], "query": entry["sql"]})
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    return resp, body


def statement_failure(resp: requests.Response, body: Any) -> str:
    if resp.status_code != 200:
        return f"HTTP {resp.status_code}: {str(body)[:300]}"
    error = extension_error(body)
    if error:
        return error
    content = body.get("result", {}).get("content") if isinstance(body, dict) else None
    if not isinstance(content, list):
        return f"result.content is not a list: {str(body)[:300]}"
    return ""


def _entries(entries: list[dict[str, Any]]) -> list[Any]:
    """The entries as test cases; one with a ``gap`` (what the server still misses, and the
    issue that tracks it) is expected to fail, strictly: the day it passes, the mark goes."""
    return [pytest.param(e, id=e["id"], marks=pytest.mark.xfail(strict=True, reason=e["gap"]))
            if e.get("gap") else pytest.param(e, id=e["id"]) for e in entries]


@pytest.mark.parametrize("entry", _entries(STATEMENTS["statements"]))
def test_statement(client: Client, entry: dict[str, Any]) -> None:
    for step_id in STATEMENTS["fixtures"].get(entry.get("setup", ""), []):
        step = BY_ID[step_id]
        failure = statement_failure(*run_statement(client, step))
        assert not failure, f"set-up statement {step_id} ({step['source']}) failed: {failure}"
    resp, body = run_statement(client, entry)
    failure = statement_failure(resp, body)
    assert not failure, f"{entry['source']}: {failure}"
    rows = body["result"]["content"]
    assert len(rows) >= entry["min_rows"], \
        f"{len(rows)} rows, the demo gives at least {entry['min_rows']}: {rows}"
    missing = {col: [i for i, row in enumerate(rows) if not isinstance(row, dict) or col not in row]
               for col in entry["reads"]}
    missing = {col: where for col, where in missing.items() if where}
    assert not missing, \
        f"columns the caller reads are missing (column: row numbers): {missing}; " \
        f"first row: {rows[0] if rows else None}"


# --- routes ------------------------------------------------------------------------------

def js_mtime(ts: str) -> datetime:
    """``new Date(ts + "Z")`` of the extension: the server's time stamp, to the millisecond."""
    day, _, clock = ts.partition(" ")
    whole, _, fraction = clock.partition(".")
    stamp = datetime.strptime(f"{day} {whole}", "%Y-%m-%d %H:%M:%S")
    return stamp.replace(microsecond=int((fraction + "000")[:3]) * 1000)


def capture(spec: str, resp: requests.Response) -> Any:
    """One value a later request needs, from a response (``kind:where``)."""
    kind, _, where = spec.partition(":")
    if kind == "header":
        return resp.headers[where]
    value = resp.json()
    for name in where.split("."):
        value = value[name]
    if kind == "json":
        return value
    stamp = js_mtime(value)
    if kind == "mtime-header":  # toISOString() with T and Z turned into spaces, trimmed
        return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
    assert kind == "mtime-ms", spec
    return calendar.timegm(stamp.timetuple()) * 1000 + stamp.microsecond // 1000


def fill(value: Any, captured: dict[str, Any]) -> Any:
    """The request with ``{{name}}`` and ``{"$capture": name}`` replaced by captured values."""
    if isinstance(value, str):
        return re.sub(r"\{\{(\w+)\}\}", lambda m: str(captured[m.group(1)]), value)
    if isinstance(value, list):
        return [fill(v, captured) for v in value]
    if isinstance(value, dict):
        if "$capture" in value:
            got = captured[value["$capture"]]
            return value["join"].join(got) if "join" in value else got
        return {k: fill(v, captured) for k, v in value.items()}
    return value


def send(client: Client, req: dict[str, Any], captured: dict[str, Any]) -> requests.Response:
    headers = fill(req.get("headers", {}), captured)
    path = fill(req["path"], captured)
    if "body" not in req:
        return client.call(req["method"], path, headers=headers)
    body = fill(req["body"], captured)
    if req.get("body_type") == "text":
        return client.call(req["method"], path, headers=headers, data=body.encode())
    return client.call(req["method"], path, headers=headers, json_body=body)


def run_setup(client: Client, route: dict[str, Any], captured: dict[str, Any]) -> None:
    for step in route.get("setup", []):
        req = ROUTE_BY_ID[step] if isinstance(step, str) else step
        name = step if isinstance(step, str) else f"{req['method']} {req['path']}"
        resp = send(client, req, captured)
        assert resp.status_code in req["status"], \
            f"set-up {name}: HTTP {resp.status_code}: {resp.text[:300]}"
        for key, spec in req.get("capture", {}).items():
            captured[key] = capture(spec, resp)


def follow(client: Client, route: dict[str, Any], first: requests.Response,
           captured: dict[str, Any]) -> list[requests.Response]:
    """The /work polling: GET the job a POST queued, or repeat a DELETE, while the answer
    carries Retry-After."""
    if route["method"] == "POST":
        req = {"method": "GET", "path": f"{route['path']}/{first.headers['Location']}"}
        resp = send(client, req, captured)
    else:
        req, resp = route, first
    polls = [resp]
    deadline = time.monotonic() + HANG_GUARD
    while resp.status_code == 200 and resp.headers.get("Retry-After"):
        assert time.monotonic() < deadline, f"{req['path']} still running after {HANG_GUARD}s"
        time.sleep(0.05)
        resp = send(client, req, captured)
        polls.append(resp)
    return polls


def body_of(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text


def check_reads(route: dict[str, Any], resp: requests.Response,
                polls: list[requests.Response]) -> list[str]:
    problems = []
    for read in route["reads"]:
        kind, _, path = read.partition(":") if ":" in read else ("", "", read)
        if kind == "header":
            if path not in resp.headers:
                problems.append(f"header {path}")
            continue
        bodies = [body_of(p) for p in polls] if kind == "poll" else \
            [body_of(polls[-1])] if kind == "final" else [body_of(resp)]
        problems += [f"{kind + ':' if kind else ''}{m}" for b in bodies
                     for m in missing_fields(b, path)]
    return problems


def open_socket(server: Server, client: Client, route: dict[str, Any]) -> int:
    ws = websocket.create_connection(server.base.replace("http://", "ws://") + route["path"],
                                     header=[f"Cookie: {client.cookie}"], timeout=HANG_GUARD)
    try:
        return int(ws.getstatus())
    finally:
        ws.close()


@pytest.mark.parametrize("route", ROUTES["routes"], ids=lambda r: r["id"])
def test_route(server: Server, client: Client, api_version: int,
               route: dict[str, Any]) -> None:
    assert api_version >= route["min_version"], \
        f"the server's API v{api_version}; the extension needs v{route['min_version']}"
    if route.get("client") == "fresh":
        client = Client(server.base)
        if route["id"] == "login":
            resp = client.session.head(server.base + route["path"], auth=AUTH,
                                       headers=CLIENT_HEADERS, timeout=30)
        else:
            client.login()
            resp = client.call(route["method"], route["path"])
        client.close()
        assert resp.status_code in route["status"], f"HTTP {resp.status_code}: {resp.text[:300]}"
        problems = check_reads(route, resp, [resp])
        assert not problems, f"missing in the response: {problems}"
        return
    if route.get("transport") == "websocket":
        status = open_socket(server, client, route)
        assert status in route["status"], f"WebSocket handshake answered {status}"
        return
    captured: dict[str, Any] = {}
    run_setup(client, route, captured)
    resp = send(client, route, captured)
    assert resp.status_code in route["status"], f"HTTP {resp.status_code}: {resp.text[:300]}"
    polls = follow(client, route, resp, captured) if route.get("poll") else [resp]
    for answer in [resp, *polls]:
        if answer.status_code < 300 and answer.request.method != "HEAD" and answer.content:
            error = extension_error(body_of(answer))
            assert not error, f"{answer.request.method} {answer.request.path_url}: {error}"
    if route.get("poll"):
        assert polls[-1].status_code == 200, f"last poll: HTTP {polls[-1].status_code}"
    problems = check_reads(route, resp, polls)
    assert not problems, f"missing in the response: {problems}"


# --- the data itself ----------------------------------------------------------------------

SOURCE = re.compile(r"src/[\w/.]+\.ts:\d+")
READ = re.compile(r"(?:(?:header|poll|final):)?[\w.\-\[\]]+")


def test_the_data_files_are_well_formed() -> None:
    """Ids unique, sources as file:line, set-ups and captures that exist, both files taken
    from the same extension commit."""
    assert STATEMENTS["extension"] == ROUTES["extension"]
    assert len(BY_ID) == len(STATEMENTS["statements"])
    assert len(ROUTE_BY_ID) == len(ROUTES["routes"])
    for steps in STATEMENTS["fixtures"].values():
        assert all(step in BY_ID for step in steps), steps
    for entry in STATEMENTS["statements"]:
        assert SOURCE.fullmatch(entry["source"]), entry["id"]
        assert entry["feature"] and entry["sql"] and entry["namespace"], entry["id"]
        assert all(isinstance(p, str) for p in entry["parameters"]), entry["id"]
        assert all(isinstance(c, str) and c for c in entry["reads"]), entry["id"]
        assert entry.get("setup") in (None, *STATEMENTS["fixtures"]), entry["id"]
    for route in ROUTES["routes"]:
        assert SOURCE.fullmatch(route["source"]), route["id"]
        assert all(SOURCE.fullmatch(c) for c in route["callers"] if c.startswith("src/")), \
            route["id"]
        assert route["min_version"] <= ROUTES["api_version"], route["id"]
        assert all(READ.fullmatch(r) for r in route["reads"] + route.get("reads_optional", [])), \
            route["id"]
        produced = {key for step in route.get("setup", [])
                    for key in (ROUTE_BY_ID[step] if isinstance(step, str) else step)
                    .get("capture", {})}
        used = set(re.findall(r"\{\{(\w+)\}\}", json.dumps(route))) | \
            set(re.findall(r'"\$capture": "(\w+)"', json.dumps(route)))
        assert used <= produced, f"{route['id']}: {used - produced} captured by no set-up"
