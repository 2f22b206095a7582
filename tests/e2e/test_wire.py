"""Wire-level behaviour of the real server: JSON for every error, even gunicorn's own."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from .conftest import Running, envelope, ns_path


def raw_request(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes to the server on 127.0.0.1 and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


@pytest.mark.parametrize("data,status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
    (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400),
], ids=["bad-request-line", "uri-too-long", "too-many-headers", "bad-version"])
def test_protocol_errors_are_envelopes(running: Running, data: bytes, status: int) -> None:
    code, headers, body = raw_request(running.server.port, data)
    assert code == status
    assert headers["content-type"].startswith("application/json")
    env = json.loads(body)
    assert env["status"]["summary"] and env["status"]["errors"]
    assert env["console"] == [] and env["result"] == {}


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/nothing", 404), ("GET", "/api/atelier/v9/USER", 404),
    ("POST", "/api/atelier/", 405), ("GET", ns_path("NOPE", "docnames"), 404),
    ("DELETE", ns_path("USER", "docs"), 415),
])
def test_errors_through_gunicorn_are_envelopes(running: Running, method: str, path: str,
                                               status: int) -> None:
    resp = running.client.call(method, path, headers={"Accept": "text/html"})
    assert resp.status_code == status
    assert envelope(resp)["status"]["summary"]


def test_head_and_304_have_no_body(running: Running) -> None:
    c = running.client
    head = c.call("HEAD", ns_path("USER", "doc/R.mac"))
    assert head.status_code == 200 and head.content == b""
    ts = head.headers["ETag"].strip('"')
    cached = c.call("GET", ns_path("USER", "doc/R.mac"), headers={"IF-NONE-MATCH": f'"{ts}"'})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers.get("Content-Length", "0") == "0"


def test_unauthenticated_requests_get_401_envelopes(running: Running) -> None:
    with requests.Session() as session:
        session.trust_env = False  # no proxy: loopback only
        resp = session.get(running.server.base + ns_path("USER", "doc/R.mac"), timeout=30)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert envelope(resp)["status"]["summary"]


def _read_responses(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """Read ``count`` complete HTTP responses (Content-Length framed) from one connection."""
    buf, out = b"", []
    while len(out) < count:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buf[:head_end].decode("latin-1").split("\r\n")
            length = next(int(v) for k, _, v in (x.partition(":") for x in head[1:])
                          if k.strip().lower() == "content-length")
            if len(buf) >= head_end + 4 + length:
                out.append((int(head[0].split(" ")[1]), buf[head_end + 4:head_end + 4 + length]))
                buf = buf[head_end + 4 + length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, "connection closed early"
        buf += chunk
    return out


def test_keepalive_connection_serves_back_to_back_and_pipelined_requests(
        running: Running) -> None:
    """One connection: requests sent one after another and two sent in one write all get
    their own answers, in order (the worker keeps serving a kept-alive connection)."""
    cookie = running.client.cookie.split(";")[0]
    request = (f"GET {ns_path('USER', 'doc/Pkg.A.cls')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Cookie: {cookie}\r\n\r\n").encode()
    other = (f"GET {ns_path('USER', 'doc/R.mac')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             f"Cookie: {cookie}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", running.server.port), timeout=30) as sock:
        for _ in range(5):
            sock.sendall(request)
            [(status, body)] = _read_responses(sock, 1)
            assert status == 200 and json.loads(body)["result"]["name"] == "Pkg.A.cls"
        sock.sendall(request + other)
        answers = _read_responses(sock, 2)
    names = [json.loads(body)["result"]["name"] for _, body in answers]
    assert [s for s, _ in answers] == [200, 200] and names == ["Pkg.A.cls", "R.mac"]
