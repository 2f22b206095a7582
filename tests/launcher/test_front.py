"""The launcher's front (``atelier_api.launcher.front``) at the byte level: a real front on
a loopback port, in front of a real launcher state (its settings, records and gate), with
small raw HTTP servers in place of the sandbox and of the launcher's app, so every framing
and fault can be produced on purpose. Clients are raw sockets: what goes over the wire is
what is asserted.

The same front in front of real sandboxes and the real app: ``test_launcher.py``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from atelier_api.launcher import front as front_module
from atelier_api.launcher.front import Front, listen, parse_head
from atelier_api.launcher.sandboxes import Record, UserState
from atelier_api.launcher.serve import build
from atelier_api.launcher.settings import hash_password, load_launcher_settings

Script = Callable[[str, bytes], "bytes | Callable[[socket.socket], None]"]


@dataclass
class Seen:
    connection: int
    head: str
    body: bytes


@dataclass
class RawServer:
    """An HTTP server on a loopback port that answers each request by ``script(head, body)``
    (bytes to send, or a function given the socket), and records what it was sent."""

    script: Script
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = ("127.0.0.1", self.sock.getsockname()[1])
        self.connections = 0
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.open.append(conn)
            threading.Thread(target=self._serve, args=(conn, self.connections),
                             daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                text = head.decode("latin-1")
                length = 0
                for line in text.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                self.seen.append(Seen(number, text, body))
                answer = self.script(text, body)
                if not callable(answer) and text.startswith("HEAD "):  # the head only
                    answer = answer.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
                if callable(answer):
                    answer(conn)
                    return
                conn.sendall(answer)
                if b"Connection: close" in answer.split(b"\r\n\r\n")[0]:
                    return
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self.open:
            conn.close()


def ok(body: bytes = b"hello", *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


SANDBOX_PASSWORD = "sandbox-pw"
HASHES = {u: hash_password(f"{u}-pw") for u in ("alice", "bob")}


class Rig:
    """A front over a launcher state whose user ``alice`` has a ready sandbox: ``sandbox``
    (a RawServer); the launcher's app is ``app`` (another)."""

    def __init__(self, tmp: Path, **settings: object) -> None:
        self.sandbox_script: Script = lambda head, body: ok()
        self.app_script: Script = lambda head, body: ok(b"app")
        self.sandbox = RawServer(lambda h, b: self.sandbox_script(h, b))
        self.app = RawServer(lambda h, b: self.app_script(h, b))
        config = load_launcher_settings(
            env={}, cli={"backend": "process", "state_dir": str(tmp), "proxy_wait_seconds": 0,
                         **settings},
            users={u: {"password_hash": h} for u, h in HASHES.items()})
        flask_app, self.sandboxes = build(config)
        self.state = flask_app.extensions["launcher"]
        self.record = Record("s1", "alice", "empty", "original", time.time(), 0, "alice",
                             SANDBOX_PASSWORD, state="ready", endpoint=self.sandbox.endpoint)
        self.sandboxes.store.users["alice"] = UserState(1, time.time(), self.record)
        listener = listen("127.0.0.1", 0)
        self.port = listener.getsockname()[1]
        self.front = Front(self.state, listener, self.app.endpoint)
        self.front.start()

    def connect(self) -> Client:
        return Client(socket.create_connection(("127.0.0.1", self.port), timeout=10))

    def close(self) -> None:
        self.front.stop()
        self.sandbox.close()
        self.app.close()
        self.sandboxes.backend.close()


@pytest.fixture(params=["uvloop", "asyncio"])
def rig(request: pytest.FixtureRequest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Rig]]:
    """Rigs on uvloop's event loop (the launcher's, when installed) and on asyncio's own
    (without it)."""
    if request.param == "asyncio":
        monkeypatch.setattr(front_module, "new_loop", asyncio.new_event_loop)
    made: list[Rig] = []

    def make(**settings: object) -> Rig:
        made.append(Rig(tmp_path / f"r{len(made)}", **settings))
        assert ("uvloop" in type(made[-1].front.loop).__module__) == (request.param == "uvloop")
        return made[-1]

    yield make
    for one in made:
        one.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(path: str, *fields: str, method: str = "GET", body: bytes = b"",
            version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}", "Host: launcher.test:8080", *fields]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Client:
    """A raw client connection that keeps what it received beyond one answer."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()

    def recv(self, size: int) -> bytes:
        if self.buffer:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
            return data
        return self.sock.recv(size)

    def fill(self, until: Callable[[bytes], bool]) -> bool:
        """Receive until ``until(buffer)``; False when the connection closed first."""
        while not until(self.buffer):
            data = self.sock.recv(65536)
            if not data:
                return False
            self.buffer += data
        return True


def read_answer(client: Client, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One answer (length, chunked or up to the close), its fields by lower-case name (the
    last of each; ``set-cookie`` joined by newlines)."""
    assert client.fill(lambda b: b"\r\n\r\n" in b), f"closed before an answer: {client.buffer!r}"
    head, _, client.buffer = client.buffer.partition(b"\r\n\r\n")
    parsed = parse_head(head, request=False)
    fields: dict[str, str] = {}
    for name, value in parsed.fields:
        key = name.lower()
        fields[key] = fields[key] + "\n" + value if key in fields else value
    status = int(parsed.start[1])
    if method == "HEAD" or status in (100, 101, 204, 304):
        return status, fields, b""
    if "content-length" in fields:
        length = int(fields["content-length"])
        assert client.fill(lambda b: len(b) >= length)
        body, client.buffer = client.buffer[:length], client.buffer[length:]
        return status, fields, body
    if fields.get("transfer-encoding") == "chunked":
        client.fill(lambda b: b.endswith(b"0\r\n\r\n"))
    else:
        client.fill(lambda b: False)  # up to the close
    body, client.buffer = client.buffer, b""
    return status, fields, body


def closed(client: Client) -> bool:
    client.sock.settimeout(5)
    try:
        return not client.buffer and client.sock.recv(1) == b""
    except ConnectionResetError:
        return True


# -- relaying -----------------------------------------------------------------------------------

def test_a_proxied_request_and_its_answer_are_rewritten_as_documented(rig) -> None:
    r = rig()
    r.sandbox_script = lambda h, b: ok(b"{}", "Set-Cookie: s=1; Path=/api/atelier; HttpOnly",
                                       "Set-Cookie: t=2", "Location: /api/atelier/v8/USER",
                                       "Keep-Alive: timeout=5", "Connection: keep-alive")
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/api/atelier/v8/%25SYS/doc/A.cls?x=1",
                             "Authorization: " + basic("alice", SANDBOX_PASSWORD),
                             "X-Forwarded-For: 6.6.6.6", "Connection: keep-alive",
                             "Proxy-Authorization: secret", "Accept: application/json"))
        status, fields, body = read_answer(sock)
    assert status == 200 and body == b"{}"
    assert fields["set-cookie"].split("\n") == [
        "s=1; Path=/sandbox/alice/api/atelier; HttpOnly", "t=2; Path=/sandbox/alice/"]
    assert fields["location"] == "/sandbox/alice/api/atelier/v8/USER"
    assert "keep-alive" not in fields and "connection" not in fields
    seen = parse_head(r.sandbox.seen[0].head.encode(), request=True)
    assert seen.start == ("GET", "/api/atelier/v8/%25SYS/doc/A.cls?x=1", "HTTP/1.1")
    assert seen.get("host") == f"127.0.0.1:{r.sandbox.endpoint[1]}"
    assert seen.all("x-forwarded-for") == ["127.0.0.1"]
    assert seen.get("x-forwarded-prefix") == "/sandbox/alice"
    assert seen.get("x-forwarded-host") == "launcher.test:8080"
    assert seen.get("accept") == "application/json"
    assert seen.get("authorization") == basic("alice", SANDBOX_PASSWORD)
    assert seen.get("connection") is None and seen.get("proxy-authorization") is None


def test_connections_are_kept_both_ways_and_pipelined_requests_answered_in_order(rig) -> None:
    r = rig()
    r.sandbox_script = lambda h, b: ok(h.split(" ")[1].encode())
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/one") + request("/sandbox/alice/two"))
        assert read_answer(sock)[2] == b"/one"
        assert read_answer(sock)[2] == b"/two"
        sock.sendall(request("/sandbox/alice/three", method="HEAD"))
        status, fields, rest = read_answer(sock, "HEAD")
        assert status == 200 and fields["content-length"] == "6" and sock.buffer == b""
        sock.sendall(request("/sandbox/alice/four"))
        assert read_answer(sock)[2] == b"/four"
    assert r.sandbox.connections == 1  # one kept connection carried all four


def test_a_kept_connection_the_sandbox_closed_is_replaced_unnoticed(rig) -> None:
    r = rig()
    r.sandbox_script = lambda h, b: ok(b"x", "Connection: close") if "/first" in h else ok(b"y")
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/first"))
        assert read_answer(sock)[2] == b"x"
        sock.sendall(request("/sandbox/alice/second"))
        assert read_answer(sock)[2] == b"y"
    # a kept connection that the sandbox closed while idle
    for conn in r.sandbox.open:
        with contextlib.suppress(OSError):  # the first one is closed already
            conn.shutdown(socket.SHUT_RDWR)
    time.sleep(0.1)
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/third"))
        assert read_answer(sock)[2] == b"y"


def test_request_bodies_chunked_or_expecting_continue_reach_the_sandbox_with_a_length(
        rig) -> None:
    r = rig()
    r.sandbox_script = lambda h, b: ok(b"got " + b)
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/doc", "Transfer-Encoding: chunked", method="PUT")
                     + b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n")
        assert read_answer(sock)[2] == b"got hello, world"
        sock.sendall(request("/sandbox/alice/doc", "Expect: 100-continue", "Content-Length: 4",
                             method="PUT"))
        status, _, _ = read_answer(sock)
        assert status == 100  # asked for the body before it was sent
        sock.sendall(b"body")
        assert read_answer(sock)[2] == b"got body"
    heads = [parse_head(s.head.encode(), request=True) for s in r.sandbox.seen]
    assert [h.get("content-length") for h in heads] == ["12", "4"]
    assert all(h.get("transfer-encoding") is None and h.get("expect") is None for h in heads)


@pytest.mark.parametrize(("raw", "status"), [
    (request("/sandbox/alice/x", "Content-Length: 3", "Transfer-Encoding: chunked",
             method="POST") + b"0\r\n\r\n", 400),
    (request("/sandbox/alice/x", "Transfer-Encoding: gzip", method="POST"), 501),
    (b"GARBAGE\r\n\r\n", 400),
    (request("/sandbox/alice/x", "Bad Header Name: 1"), 400),
    (request("/sandbox/alice/x", "Content-Length: 1", "Content-Length: 2", method="POST"), 400),
    (request("/sandbox/alice/x", "X-Big: " + "a" * 70000), 431),
    (request("/sandbox/alice/x", method="PUT", body=b"z" * 2000), 413),
    (request("/sandbox/alice/x", "Transfer-Encoding: chunked", method="PUT")
     + b"800\r\n" + b"z" * 2048 + b"\r\n0\r\n\r\n", 413),
    (request("/sandbox/alice/x", version="HTTP/2.0"), 400),
])
def test_bad_requests_get_an_envelope_and_the_connection_closes(rig, raw: bytes,
                                                                  status: int) -> None:
    r = rig(max_body_bytes=1000)
    with r.connect() as sock:
        sock.sendall(raw)
        got, fields, body = read_answer(sock)
        assert got == status, body
        assert fields["connection"] == "close" and b'"errors"' in body
        assert closed(sock)
    assert r.sandbox.seen == []  # nothing of it went on


def test_answer_framings_are_relayed_byte_for_byte(rig) -> None:
    r = rig()
    big = bytes(range(256)) * 2048  # 512 KB: streamed, not sent whole
    chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"

    def script(head: str, body: bytes) -> bytes | Callable[[socket.socket], None]:
        if "/big" in head:
            return ok(big)
        if "/chunked" in head:
            return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked

        def until_close(conn: socket.socket) -> None:
            conn.sendall(b"HTTP/1.1 200 OK\r\n\r\nall of it")
            conn.close()
        return until_close

    r.sandbox_script = script
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/big"))
        assert read_answer(sock)[2] == big
        sock.sendall(request("/sandbox/alice/chunked"))
        status, fields, body = read_answer(sock)
        assert fields["transfer-encoding"] == "chunked" and body == chunked
        sock.sendall(request("/sandbox/alice/closes"))
        status, fields, body = read_answer(sock)
        assert body == b"all of it" and fields["connection"] == "close"
        assert closed(sock)
    with r.connect() as sock:  # an HTTP/1.0 client gets no chunks
        sock.sendall(request("/sandbox/alice/chunked", version="HTTP/1.0"))
        status, fields, body = read_answer(sock)
        assert "transfer-encoding" not in fields and body == b"hello world"
        assert closed(sock)


def test_a_sandbox_that_does_not_answer_is_a_502_envelope(rig) -> None:
    r = rig()
    nobody = socket.create_server(("127.0.0.1", 0))
    r.record.endpoint = nobody.getsockname()
    nobody.close()  # a port nothing listens on
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/x"))
        status, _, body = read_answer(sock)
        assert status == 502 and b"did not answer" in body
        sock.sendall(request("/sandbox/alice/y"))  # the client's connection goes on
        assert read_answer(sock)[0] == 502
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/terminal", "Upgrade: websocket",
                             "Connection: Upgrade", "Sec-WebSocket-Key: k"))
        status, _, body = read_answer(sock)
        assert status == 502 and b"did not answer" in body and closed(sock)


# -- who passes ---------------------------------------------------------------------------------

def test_the_gate_refuses_with_envelopes_and_lends_the_owner_the_sandbox_password(rig) -> None:
    r = rig()
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/x", "Authorization: " + basic("bob", "bob-pw")))
        status, _, body = read_answer(sock)
        assert status == 403 and b"not yours" in body
        sock.sendall(request("/sandbox/alice/x", "Authorization: " + basic("bob", "nope")))
        status, fields, _ = read_answer(sock)
        assert status == 401 and fields["www-authenticate"].startswith("Basic")
        sock.sendall(request("/sandbox/carol/x"))
        status, _, body = read_answer(sock)
        assert status == 404 and b"carol" in body
        sock.sendall(request("/sandbox/alice/x", "Authorization: " + basic("alice", "alice-pw")))
        assert read_answer(sock)[0] == 200
    assert [s.head.count("Authorization: ") for s in r.sandbox.seen] == [1]
    assert basic("alice", SANDBOX_PASSWORD) in r.sandbox.seen[0].head


def test_a_starting_sandbox_holds_a_request_up_to_the_bound(rig) -> None:
    r = rig(proxy_wait_seconds=10)
    r.record.state = "starting"
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/x"))
        time.sleep(0.6)
        r.record.state = "ready"
        started = time.monotonic()
        assert read_answer(sock)[0] == 200
        assert time.monotonic() - started < 2
    impatient = rig(proxy_wait_seconds=0)
    impatient.record.state = "starting"
    with impatient.connect() as sock:
        sock.sendall(request("/sandbox/alice/x"))
        status, fields, _ = read_answer(sock)
        assert status == 503 and fields["retry-after"] == "2"


def test_a_client_at_its_bound_replaces_an_idle_connection_and_busy_ones_get_503(rig) -> None:
    r = rig(max_connections_per_client=3)

    def script(head: str, body: bytes) -> bytes | Callable[[socket.socket], None]:
        if "/ws" not in head:
            return ok()

        def hold(conn: socket.socket) -> None:
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\n\r\n")
            while conn.recv(1024):
                pass
        return hold

    r.sandbox_script = script
    idle = [r.connect() for _ in range(3)]
    for sock in idle:  # each served once, then kept alive doing nothing
        sock.sendall(request("/sandbox/alice/x"))
        assert read_answer(sock)[0] == 200
    with r.connect() as fourth:  # the oldest idle one makes room
        fourth.sendall(request("/sandbox/alice/x"))
        assert read_answer(fourth)[0] == 200
    assert closed(idle[0])
    for sock in idle:
        sock.close()
    time.sleep(0.2)
    upgrade = ("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: k")
    busy = [r.connect() for _ in range(3)]
    for sock in busy:
        sock.sendall(request("/sandbox/alice/ws", *upgrade))
        assert read_answer(sock)[0] == 101
    with r.connect() as extra:  # nothing idle to close: refused
        status, fields, body = read_answer(extra)
        assert status == 503 and fields["retry-after"] == "5" and b"all busy" in body
    for sock in busy:
        sock.close()


# -- the app, WebSockets, ends --------------------------------------------------------------------

def test_other_paths_go_to_the_app_as_the_client_wrote_them(rig) -> None:
    r = rig()
    with r.connect() as sock:
        sock.sendall(request("/launcher/v1/sandbox?x=%2F", "Cookie: atelier_launcher=v",
                             method="POST", body=b"{}"))
        assert read_answer(sock)[2] == b"app"
    seen = parse_head(r.app.seen[0].head.encode(), request=True)
    assert seen.start[:2] == ("POST", "/launcher/v1/sandbox?x=%2F")
    assert seen.get("host") == "launcher.test:8080"  # the app's URLs are made of it
    assert seen.get("cookie") == "atelier_launcher=v" and r.app.seen[0].body == b"{}"
    assert r.sandbox.seen == []


def test_a_websocket_is_joined_after_the_sandbox_agrees(rig) -> None:
    r = rig()

    def script(head: str, body: bytes) -> bytes | Callable[[socket.socket], None]:
        if "/refuse" in head:
            return b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno"

        def echo(conn: socket.socket) -> None:
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: abc\r\n\r\n")
            while data := conn.recv(1024):
                conn.sendall(data.upper())
        return echo

    r.sandbox_script = script
    upgrade = ("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: k",
               "Sec-WebSocket-Version: 13")
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/api/atelier/v8/%25SYS/terminal", *upgrade))
        status, fields, _ = read_answer(sock)
        assert status == 101 and fields["sec-websocket-accept"] == "abc" and sock.buffer == b""
        sock.sendall(b"frames both ways")
        assert sock.recv(100) == b"FRAMES BOTH WAYS"
    seen = parse_head(r.sandbox.seen[0].head.encode(), request=True)
    assert seen.get("upgrade") == "websocket" and seen.get("sec-websocket-key") == "k"
    assert seen.start[1] == "/api/atelier/v8/%25SYS/terminal"
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/refuse", *upgrade))
        status, _, body = read_answer(sock)
        assert status == 401 and body == b"no" and closed(sock)


def test_an_ended_sandbox_leaves_no_kept_connection(rig) -> None:
    r = rig()
    with r.connect() as sock:
        sock.sendall(request("/sandbox/alice/x"))
        assert read_answer(sock)[0] == 200

    def kept() -> int:
        async def count() -> int:
            return len(r.front.pool.idle.get(r.sandbox.endpoint, []))
        return asyncio.run_coroutine_threadsafe(count(), r.front.loop).result(5)

    assert kept() == 1
    r.sandboxes._end(r.record, "gone", "lifetime ended")
    deadline = time.monotonic() + 5
    while kept() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert kept() == 0
    while r.sandbox.open[0].fileno() != -1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.sandbox.open[0].fileno() == -1  # the sandbox saw it closed, and closed its end


def test_slow_loris_connections_do_not_keep_a_client_out(rig) -> None:
    """A hundred connections that never finish their head (more than the per-client
    bound): the front holds no thread for any of them, and a real request is answered."""
    r = rig()
    loris = []
    for _ in range(100):
        sock = socket.create_connection(("127.0.0.1", r.port), timeout=10)
        sock.sendall(b"GET /sandbox/alice/x HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        loris.append(sock)
    try:
        started = time.monotonic()
        with r.connect() as sock:
            sock.sendall(request("/sandbox/alice/x"))
            assert read_answer(sock)[0] == 200
        assert time.monotonic() - started < 5
        assert len(r.front.peers["127.0.0.1"]) <= 64  # older ones made room
    finally:
        for sock in loris:
            sock.close()


def _gone_from_front(r: Rig, seconds: float = 5) -> bool:
    """Whether the front holds no client connection any more (within ``seconds``)."""
    deadline = time.monotonic() + seconds
    while r.front.peers and time.monotonic() < deadline:
        time.sleep(0.02)
    return not r.front.peers


def test_clients_too_slow_or_idle_too_long_are_let_go(rig) -> None:
    r = rig()
    r.front.keepalive = r.front.client_timeout = 0.5
    with r.connect() as sock:  # a body that never comes: 408 in the envelope
        sock.sendall(request("/sandbox/alice/x", "Content-Length: 10", method="PUT") + b"abc")
        status, fields, body = read_answer(sock)
        assert status == 408 and fields["connection"] == "close" and b"in time" in body
        assert closed(sock)
    with r.connect() as sock:  # a kept-alive connection idle past the bound: closed
        sock.sendall(request("/sandbox/alice/x"))
        assert read_answer(sock)[0] == 200
        assert closed(sock)
    big = b"x" * (32 << 20)
    r.sandbox_script = lambda h, b: ok(big)
    sock = r.connect()  # asks for 32 MB and never reads it: dropped
    sock.sendall(request("/sandbox/alice/big"))
    try:
        deadline = time.monotonic() + 5
        while not any(s.head.startswith("GET /big") for s in r.sandbox.seen):
            assert time.monotonic() < deadline, "the request never reached the sandbox"
            time.sleep(0.02)
        assert r.front.peers  # being answered...
        assert _gone_from_front(r)  # ...until the front gives up on the reader
    finally:
        sock.close()
