"""Slow and idle clients cannot starve a real server (issue 12, item 1).

Raw sockets play slow-loris against ``python -m atelier_api serve --port 0``: request heads
sent a byte at a time, bodies trickled, responses never read. The availability tests assert
that ``/healthz`` and an authenticated GET still answer while those connections are held open
(no timing thresholds: a request's timeout only stops a hung test), and the limit tests that
connections over a limit are closed, with an envelope when a response is still possible.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from envelopes import basic

from atelier_api.config import ConfigError, load_settings
from atelier_api.slowclients import (
    BUFFERED_BODY_BYTES,
    MAX_HEAD_BYTES,
    READY,
    TOO_LARGE,
    WAIT,
    ClientLimits,
    RequestBuffer,
)

from .conftest import Client, Running, Server, envelope, ns_path

#: Only stops a test that hangs (the bug this file is about); never a performance claim.
HANG_GUARD = 60.0
HOST = "127.0.0.1"
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
BIG_LINES = 40_000  # a routine of about 40 MB: more than the socket buffers of both ends


def _write_config(path: Path, values: dict[str, int]) -> Path:
    path.write_text("".join(f"{key} = {value}\n" for key, value in values.items()),
                    encoding="utf-8")
    return path


@pytest.fixture
def serve(tmp_path: Path, start: Callable[..., Server]) -> Iterator[Callable[..., Running]]:
    """Start a server on a small workspace with the given settings (a TOML file), logged in."""
    clients: list[Client] = []

    def run(big: bool = False, **settings: int) -> Running:
        ws = tmp_path / "ws"
        (ws / "Pkg").mkdir(parents=True)
        (ws / "Pkg" / "A.cls").write_text("Class Pkg.A Extends %RegisteredObject\n{\n}\n")
        if big:
            line = ' set x="' + "a" * 1000 + '"\n'
            (ws / "Big.mac").write_text("ROUTINE Big\n" + line * BIG_LINES)
        config = _write_config(tmp_path / "atelier.toml", settings)
        server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                        "--namespace", f"USER={ws}", "--config", str(config)])
        client = Client(server.base)
        client.login()
        clients.append(client)
        return Running(server, ws, tmp_path / "state", client)

    yield run
    for client in clients:
        client.close()


def still_answering(running: Running) -> None:
    """``/healthz`` and an authenticated GET of a document both answer, each on a fresh
    connection, as a new client would."""
    with requests.Session() as fresh:
        fresh.trust_env = False  # loopback only
        health = fresh.get(running.server.base + "/healthz", timeout=HANG_GUARD)
    assert health.status_code == 200, health.text
    doc = running.client.call("GET", ns_path("USER", "doc/Pkg.A.cls"))  # 30 s guard
    assert doc.status_code == 200, doc.text
    assert envelope(doc)["result"]["name"] == "Pkg.A.cls"


class Loris:
    """``count`` raw connections that send ``first`` at once, then ``rest`` one byte per
    ``interval`` seconds each (from a background thread), never finishing."""

    def __init__(self, port: int, count: int, first: bytes, rest: bytes = b"x" * 100_000,
                 interval: float = 0.25) -> None:
        self.socks: list[socket.socket] = []
        self.dead: set[int] = set()
        self.rest, self.interval = rest, interval
        self.stop = threading.Event()
        for _ in range(count):
            sock = socket.create_connection((HOST, port), timeout=HANG_GUARD)
            sock.settimeout(None)  # blocking: MSG_DONTWAIT then never waits
            try:
                sock.sendall(first)
            except OSError:  # closed by the server already (over a limit)
                self.dead.add(len(self.socks))
            self.socks.append(sock)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        sent = 0
        while not self.stop.wait(self.interval) and sent < len(self.rest):
            byte = self.rest[sent:sent + 1]
            for i, sock in enumerate(self.socks):
                if i in self.dead:
                    continue
                try:
                    sock.send(byte, socket.MSG_DONTWAIT)
                except OSError:
                    self.dead.add(i)
            sent += 1

    def closed_by_server(self) -> list[bytes]:
        """What each connection the server has closed (or answered) received; the others are
        still open and waiting."""
        closed = []
        for sock in self.socks:
            try:
                data = sock.recv(65536, socket.MSG_DONTWAIT | socket.MSG_PEEK)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            closed.append(data)
        return closed

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=HANG_GUARD)
        for sock in self.socks:
            sock.close()


@pytest.fixture
def loris() -> Iterator[Callable[..., Loris]]:
    """Slow clients, closed at the end of the test."""
    made: list[Loris] = []

    def make(*args: object, **kwargs: object) -> Loris:
        made.append(Loris(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for one in made:
        one.close()


def wait_until(condition: Callable[[], object], what: str) -> None:
    """Poll ``condition`` until it holds (the guard only stops a hung test)."""
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def answer_of(data: bytes) -> tuple[int, dict[str, object]]:
    """Status and JSON envelope of a response the server wrote to a raw socket."""
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    assert str(headers["content-type"]).startswith("application/json"), data[:300]
    length = int(headers["content-length"])
    return status, json.loads(body[:length])


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def put_head(name: str, length: int) -> bytes:
    """The head of an authenticated PUT of a document with a body of ``length`` bytes."""
    return (f"PUT {ns_path('USER', 'doc/' + name)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {basic()}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


# -- availability while slow clients are held open ----------------------------------------------
# request_head_timeout_seconds is raised so that nothing is closed for being slow while the
# test runs: the slow connections are really held open when the other requests are answered.
HELD = {"request_head_timeout_seconds": 600}


def test_33_slow_heads_leave_the_server_answering(
        serve: Callable[..., Running], loris: Callable[..., Loris]) -> None:
    """The issue's case: 33 connections send a request line, then a byte now and then."""
    running = serve(**HELD)
    slow = loris(running.server.port, 33, SLOW_HEAD[:23])  # the request line only, at first
    still_answering(running)
    still_answering(running)
    assert slow.closed_by_server() == [], "slow connections under every limit were closed"


def test_33_slow_bodies_leave_the_server_answering(
        serve: Callable[..., Running], loris: Callable[..., Loris]) -> None:
    """33 complete PUT heads whose bodies trickle in a byte at a time."""
    running = serve(**HELD)
    slow = loris(running.server.port, 33, put_head("Pkg.Slow.cls", 5000), rest=b"{" * 5000)
    still_answering(running)
    assert slow.closed_by_server() == []


def test_33_kept_alive_connections_sending_their_next_request_slowly(
        serve: Callable[..., Running], loris: Callable[..., Loris]) -> None:
    """After a first request answered in full, each connection starts its next one slowly:
    the worker thread that served the first must not wait for the second."""
    running = serve(**HELD)
    first = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    slow = loris(running.server.port, 33, first + SLOW_HEAD[:23])
    for sock in slow.socks:
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 200"), head
    still_answering(running)
    still_answering(running)


def test_200_slow_loris_connections_leave_the_server_answering(
        serve: Callable[..., Running], loris: Callable[..., Loris]) -> None:
    """200 slow-loris connections from one address: the server holds the newest
    max_connections_per_client (64) of them, closes the others, and keeps answering."""
    running = serve(**HELD)
    slow = loris(running.server.port, 200, SLOW_HEAD[:23])
    still_answering(running)
    wait_until(lambda: len(slow.closed_by_server()) >= 200 - 64, "the surplus to be closed")
    closed = slow.closed_by_server()
    assert len(closed) <= 200 - 64 + 3  # plus the few the test's own requests replaced
    answered = [answer_of(data) for data in closed if data]
    assert answered and all(status == 503 for status, _ in answered)
    assert "max_connections_per_client" in str(answered[0][1]["status"])
    still_answering(running)


def test_200_slow_bodies_leave_the_server_answering(
        serve: Callable[..., Running], loris: Callable[..., Loris]) -> None:
    """200 bodies trickling in: the same, for connections whose heads are complete."""
    running = serve(**HELD)
    slow = loris(running.server.port, 200, put_head("Pkg.Slow.cls", 5000), rest=b"{" * 5000)
    still_answering(running)
    wait_until(lambda: len(slow.closed_by_server()) >= 200 - 64, "the surplus to be closed")


# -- the limits ---------------------------------------------------------------------------------
def test_a_head_not_complete_in_time_is_closed_with_408(serve: Callable[..., Running]) -> None:
    running = serve(request_head_timeout_seconds=1)
    with socket.create_connection((HOST, running.server.port), timeout=HANG_GUARD) as partial, \
            socket.create_connection((HOST, running.server.port), timeout=HANG_GUARD) as silent:
        partial.sendall(SLOW_HEAD[:23])
        status, env = answer_of(read_all(partial))
        assert status == 408
        assert "request_head_timeout_seconds" in json.dumps(env["status"])
        assert read_all(silent) == b""  # nothing sent: closed without an answer
    still_answering(running)


def test_a_body_slower_than_the_minimum_rate_gets_408(serve: Callable[..., Running]) -> None:
    """The poller receives a small body: 10 bytes in the 1 s window when 100 are due."""
    running = serve(request_head_timeout_seconds=1, min_body_rate_bytes=100)
    with socket.create_connection((HOST, running.server.port), timeout=HANG_GUARD) as sock:
        sock.sendall(put_head("Pkg.Slow.cls", 1000) + b"{" * 10)
        status, env = answer_of(read_all(sock))
    assert status == 408
    assert "min_body_rate_bytes" in json.dumps(env["status"])
    assert not (running.ws / "Pkg" / "Slow.cls").exists()


def test_a_large_body_that_stalls_gets_an_envelope_408(serve: Callable[..., Running]) -> None:
    """Beyond what the poller buffers, a worker thread reads the body; when it stalls there
    the application answers 408 (an envelope) and the connection is closed."""
    running = serve(request_head_timeout_seconds=1, min_body_rate_bytes=100)
    length = BUFFERED_BODY_BYTES + 100_000
    with socket.create_connection((HOST, running.server.port), timeout=HANG_GUARD) as sock:
        sock.sendall(put_head("Pkg.Slow.cls", length) + b" " * (BUFFERED_BODY_BYTES + 10))
        status, env = answer_of(read_all(sock))
    assert status == 408
    assert "min_body_rate_bytes" in json.dumps(env["status"])
    still_answering(running)


def test_a_body_at_the_minimum_rate_is_accepted(serve: Callable[..., Running]) -> None:
    """A PUT whose body comes in slowly but above the rate is saved like any other."""
    running = serve(request_head_timeout_seconds=1, min_body_rate_bytes=100)
    body = json.dumps({"enc": False, "content": ["Class Pkg.B", "{", "}"]}).encode()
    body += b" " * (300 - len(body))  # JSON allows trailing spaces
    with socket.create_connection((HOST, running.server.port), timeout=HANG_GUARD) as sock:
        sock.sendall(put_head("Pkg.B.cls", len(body)).replace(
            b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        for start in range(0, len(body), 50):  # 50 bytes every 0.1 s: 500 bytes/s
            sock.sendall(body[start:start + 50])
            time.sleep(0.1)
        status, env = answer_of(read_all(sock))
    assert status in (200, 201), env
    assert (running.ws / "Pkg" / "B.cls").read_text().startswith("Class Pkg.B")


def test_a_request_head_over_64_kib_gets_431(serve: Callable[..., Running]) -> None:
    running = serve()
    with socket.create_connection((HOST, running.server.port), timeout=HANG_GUARD) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n" + b"X-A: " + b"b" * (MAX_HEAD_BYTES + 10))
        status, env = answer_of(read_all(sock))
    assert status == 431 and env["status"]["errors"]


def test_clients_that_do_not_read_their_responses_are_cut_off(
        serve: Callable[..., Running]) -> None:
    """One worker thread, asked for a 40 MB document by two clients that read nothing. The
    thread fills the first socket, then waits on it; once a window of 1 s passes with less
    than 100 bytes taken (the first window moved megabytes, so it is the second), the thread
    gives that connection up and writes the second answer, which ends the same way. Only then
    can ``/healthz`` be answered; and neither client, reading at last, gets its whole document.

    (With two threads the test would race the rule it checks: a client that starts reading
    before its window has run out is a slow reader, not a stalled one, and is served.)"""
    running = serve(big=True, threads=1, request_head_timeout_seconds=1,
                    min_body_rate_bytes=100)
    stalled = [_unread_get(running), _unread_get(running)]  # the second waits for the first
    still_answering(running)  # the only thread has given up both
    for sock in stalled:
        with sock:
            received = 1
            try:
                while chunk := sock.recv(1 << 20):
                    received += len(chunk)
            except ConnectionResetError:
                pass
            assert received < 40 * 1000 * 1000, "the whole document arrived: not cut off"


def test_over_the_per_client_limit_with_every_connection_busy_gets_503(
        serve: Callable[..., Running]) -> None:
    """max_connections_per_client = 2, both connections busy writing responses their clients
    do not read: a third connection is answered 503 and closed; once they go, it works."""
    running = serve(big=True, max_connections_per_client=2, **HELD)
    running.client.session.close()  # its kept-alive connection would be the idle one
    busy = [_unread_get(running), _unread_get(running)]
    with socket.create_connection((HOST, running.server.port), timeout=HANG_GUARD) as third:
        status, env = answer_of(read_all(third))
    assert status == 503
    assert "max_connections_per_client" in json.dumps(env["status"])
    for sock in busy:
        sock.close()

    def healthz() -> bool:
        with requests.Session() as fresh:
            fresh.trust_env = False
            try:
                return fresh.get(running.server.base + "/healthz",
                                 timeout=HANG_GUARD).status_code == 200
            except requests.ConnectionError:
                return False

    wait_until(healthz, "the busy connections to be given up")


def _unread_get(running: Running) -> socket.socket:
    """A connection whose GET of Big.mac has started to be answered, and is not read on: its
    worker thread is busy writing it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(HANG_GUARD)
    sock.connect((HOST, running.server.port))
    sock.sendall((f"GET {ns_path('USER', 'doc/Big.mac')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Authorization: {basic()}\r\n\r\n").encode())
    assert sock.recv(1) == b"H"  # the response has begun: a worker thread is writing it
    return sock


# -- the settings --------------------------------------------------------------------------------
def test_settings_come_from_environment_and_toml(tmp_path: Path) -> None:
    config = _write_config(tmp_path / "a.toml", {"request_head_timeout_seconds": 7,
                                                  "max_connections_per_client": 9})
    settings = load_settings(config_file=str(config), env={"ATELIER_MIN_BODY_RATE_BYTES": "42"})
    assert (settings.request_head_timeout_seconds, settings.min_body_rate_bytes,
            settings.max_connections_per_client) == (7, 42, 9)
    defaults = load_settings(env={})
    assert (defaults.request_head_timeout_seconds, defaults.min_body_rate_bytes,
            defaults.max_connections_per_client) == (20, 500, 64)
    for key, value in [("REQUEST_HEAD_TIMEOUT_SECONDS", "0"), ("MIN_BODY_RATE_BYTES", "0"),
                       ("MAX_CONNECTIONS_PER_CLIENT", "0"), ("REQUEST_HEAD_TIMEOUT_SECONDS",
                                                             "soon")]:
        with pytest.raises(ConfigError):
            load_settings(env={f"ATELIER_{key}": value})


# -- how the poller judges the bytes it has --------------------------------------------------------
def _feed(data: bytes, step: int = 1) -> list[str]:
    buffer = RequestBuffer(4094, started=0.0)
    return [buffer.add(data[i:i + step], 0.0) for i in range(0, len(data), step)]


def test_a_head_is_ready_only_at_its_empty_line() -> None:
    head = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
    verdicts = _feed(head)
    assert verdicts[:-1] == [WAIT] * (len(head) - 1) and verdicts[-1] == READY
    assert _feed(b"\r\n" + head)[-1] == READY  # one empty line before it is allowed


def test_a_body_is_waited_for_up_to_the_buffered_size() -> None:
    head = b"PUT /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
    assert _feed(head + b"abcd", step=len(head) + 4) == [WAIT]
    assert _feed(head + b"abcde", step=len(head) + 5) == [READY]
    big = b"PUT /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"
    assert _feed(big + b"a" * BUFFERED_BODY_BYTES, step=1 << 20) == [READY]
    chunked = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
    assert _feed(chunked, step=len(chunked)) == [WAIT]
    assert _feed(chunked + b"0\r\n\r\n", step=len(chunked) + 5) == [READY]


def test_heads_the_parser_refuses_at_once_are_handed_over() -> None:
    assert _feed(b"GET /x HTTP/1.1\nHost: a")[-1] == READY  # bare LF: 400 from the parser
    assert _feed(b"GET /" + b"a" * 5000)[-1] == READY  # request line over the limit: 414
    assert _feed(b"\r\n\r\n")[-1] == READY  # empty request line: 400
    assert _feed(b"GET / HTTP/1.1\r\nX: " + b"b" * MAX_HEAD_BYTES, step=4096)[-1] == TOO_LARGE


def test_expect_100_continue_is_answered_before_the_body() -> None:
    buffer = RequestBuffer(4094, started=0.0)
    buffer.add(b"PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", 0.0)
    assert buffer.needs_continue()
    buffer.add(b"abc", 0.0)
    assert buffer.verdict == READY and not buffer.needs_continue()


def test_a_body_window_is_renewed_only_when_enough_arrived() -> None:
    limits = ClientLimits(head_timeout=10, min_rate=10)
    buffer = RequestBuffer(4094, started=0.0)
    buffer.add(b"PUT /x HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", 0.0)
    assert buffer.deadline(limits, 0.0) == 10
    buffer.add(b"a" * 100, 5.0)  # 100 bytes in the first window: exactly the minimum
    assert buffer.renew(limits, 10.0) and buffer.deadline(limits, 10.0) == 20
    buffer.add(b"a" * 99, 15.0)
    assert not buffer.renew(limits, 20.0)
