"""The reverse proxy: ``/<prefix>/<user>/<rest>`` goes to ``/<rest>`` of that user's
sandbox, so an IDE needs only the launcher's host, port and ``pathPrefix``.

* Plain HTTP: the request (its body read in full: gunicorn's guarded worker has it already)
  is sent on a kept-alive connection to the sandbox, and the answer streamed back as it
  comes. Hop-by-hop headers are dropped; ``Set-Cookie`` paths and ``Location`` headers get
  the prefix, so cookies stay scoped to the user's path.
* WebSocket upgrades (the terminal, the debugger): the handshake goes to the sandbox, and
  after its ``101`` the two sockets are joined byte for byte until either side closes.

Who may pass is decided by ``launcher.app``; this module only moves bytes.
"""

from __future__ import annotations

import re
import select
import socket
import threading
from collections.abc import Iterator
from typing import Any

#: request headers never forwarded (hop by hop, RFC 9110 7.6.1) and those the proxy sets
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length"}
_COOKIE_PATH = re.compile(r"(;\s*path=)([^;]*)", re.IGNORECASE)
CHUNK = 64 * 1024
#: an idle WebSocket pair is looked at this often (for the launcher's stop)
TICK = 1.0


class Pool:
    """Kept-alive connections to the sandboxes (plain sockets, ``TCP_NODELAY``), a few per
    endpoint."""

    def __init__(self, per_endpoint: int = 8, timeout: float = 660.0) -> None:
        self.per_endpoint = per_endpoint
        self.timeout = timeout
        self._idle: dict[tuple[str, int], list[socket.socket]] = {}
        self._lock = threading.Lock()

    def get(self, endpoint: tuple[str, int]) -> tuple[socket.socket, bool]:
        """A connection, and whether it was kept from an earlier exchange."""
        with self._lock:
            idle = self._idle.get(endpoint)
            if idle:
                return idle.pop(), True
        sock = socket.create_connection(endpoint, timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        return sock, False

    def put(self, endpoint: tuple[str, int], sock: socket.socket) -> None:
        with self._lock:
            idle = self._idle.setdefault(endpoint, [])
            if len(idle) < self.per_endpoint:
                idle.append(sock)
                return
        sock.close()

    def forget(self, endpoint: tuple[str, int]) -> None:
        """Close the kept connections of a sandbox that went away."""
        with self._lock:
            idle = self._idle.pop(endpoint, [])
        for sock in idle:
            sock.close()


def forward_headers(environ: dict[str, Any], prefix: str) -> dict[str, str]:
    """The request's end-to-end headers plus the ``X-Forwarded-*`` ones."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
            if name.lower() not in _HOP and not name.lower().startswith("x-forwarded-"):
                headers[name] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    headers["X-Forwarded-For"] = environ.get("REMOTE_ADDR", "")
    headers["X-Forwarded-Proto"] = environ.get("wsgi.url_scheme", "http")
    headers["X-Forwarded-Host"] = environ.get("HTTP_HOST", "")
    headers["X-Forwarded-Prefix"] = prefix
    return headers


def rewrite_response_headers(items: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    """Answer headers to send on: hop-by-hop ones dropped, cookie paths and redirects
    moved under ``prefix``."""
    out = []
    for name, value in items:
        lower = name.lower()
        if lower in _HOP - {"host"} or lower == "content-length":
            continue
        if lower == "set-cookie":
            value = _COOKIE_PATH.sub(lambda m: m.group(1) + prefix + (m.group(2) or "/"),
                                     value) if _COOKIE_PATH.search(value) \
                else f"{value}; Path={prefix}/"
        elif lower == "location" and value.startswith("/"):
            value = prefix + value
        out.append((name, value))
    return out


class UpstreamError(OSError):
    """The sandbox's answer could not be read (closed, malformed, too large a head)."""


#: the largest response head read from a sandbox
MAX_HEAD = 64 * 1024


class Upstream:
    """One proxied HTTP/1.1 exchange with a sandbox, on a kept connection: the request sent
    in one write, the answer's head parsed, its body read (``small_body``) or streamed
    (``body``) by its framing (length, chunked, or up to the close).

    A lean client of its own rather than ``http.client``: the proxy's cost is per request,
    and ``http.client`` spends more parsing one answer than the rest of the proxy does."""

    def __init__(self, pool: Pool, endpoint: tuple[str, int], method: str, path: str,
                 headers: dict[str, str], body: bytes) -> None:
        self.pool = pool
        self.endpoint = endpoint
        self.method = method
        lines = [f"{method} {path} HTTP/1.1", f"Host: {endpoint[0]}:{endpoint[1]}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        while True:
            self.sock, kept = pool.get(endpoint)
            try:
                self.sock.sendall(request)
                self._buffer = b""
                head = self._read_head()
                break
            except OSError:
                self.sock.close()
                # a kept connection the sandbox closed meanwhile: once more on a new one
                if not kept:
                    raise
        self._parse(head)

    # -- the head ---------------------------------------------------------------------------
    def _read_head(self) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end >= 0:
                head, self._buffer = self._buffer[:end], self._buffer[end + 4:]
                return head
            if len(self._buffer) > MAX_HEAD:
                raise UpstreamError("the sandbox's answer head is too large")
            data = self.sock.recv(CHUNK)
            if not data:
                raise UpstreamError("the sandbox closed the connection")
            self._buffer += data

    def _parse(self, head: bytes) -> None:
        first, *rest = head.decode("latin-1").split("\r\n")
        version, _, status = first.partition(" ")
        code, _, reason = status.partition(" ")
        if not version.startswith("HTTP/1.") or not code.isdigit():
            self.sock.close()
            raise UpstreamError(f"not an HTTP answer: {first[:60]!r}")
        self.status = int(code)
        self.reason = reason or "-"
        self.items = []
        for line in rest:
            name, sep, value = line.partition(":")
            if sep:
                self.items.append((name.strip(), value.strip()))
        found = {k.lower(): v for k, v in self.items}
        self.chunked = "chunked" in found.get("transfer-encoding", "").lower()
        length = found.get("content-length", "")
        self.length: int | None = int(length) if length.isdigit() else None
        if self.method == "HEAD" or self.status in (204, 304) or self.status < 200:
            self.length, self.chunked = 0, False
        self.will_close = (found.get("connection", "").lower() == "close"
                           or version == "HTTP/1.0"
                           or (self.length is None and not self.chunked))

    def headers(self, prefix: str) -> list[tuple[str, str]]:
        items = rewrite_response_headers(self.items, prefix)
        if self.length is not None and not self.chunked:
            items.append(("Content-Length", dict((k.lower(), v) for k, v in self.items)
                          .get("content-length", str(self.length))))
        return items

    # -- the body ---------------------------------------------------------------------------
    def small_body(self, limit: int = 256 * 1024) -> bytes | None:
        """The whole body when its declared length is at most ``limit`` (then it leaves in
        one write with the head), else None (stream it with ``body``)."""
        if self.chunked or self.length is None or self.length > limit:
            return None
        try:
            data = self._exactly(self.length)
        except BaseException:
            self.sock.close()
            raise
        self._done()
        return data

    def body(self) -> Iterator[bytes]:
        """The answer's body as it arrives; the connection goes back to the pool at its
        end (or is closed when the client went away first)."""
        clean = False
        try:
            if self.chunked:
                yield from self._chunks()
            elif self.length is not None:
                left = self.length
                if self._buffer:
                    piece, self._buffer = self._buffer[:left], self._buffer[left:]
                    left -= len(piece)
                    yield piece
                while left > 0:
                    data = self.sock.recv(min(CHUNK, left))
                    if not data:
                        raise UpstreamError("the sandbox closed the connection mid-body")
                    left -= len(data)
                    yield data
            else:
                if self._buffer:
                    yield self._buffer
                    self._buffer = b""
                while data := self.sock.recv(CHUNK):
                    yield data
            clean = True
        finally:
            if clean:
                self._done()
            else:
                self.sock.close()

    def _chunks(self) -> Iterator[bytes]:
        while True:
            line = self._line()
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self._line():  # trailers, up to the empty line
                    pass
                return
            yield self._exactly(size)
            if self._exactly(2) != b"\r\n":
                raise UpstreamError("bad chunk framing from the sandbox")

    def _line(self) -> bytes:
        while b"\r\n" not in self._buffer:
            data = self.sock.recv(CHUNK)
            if not data:
                raise UpstreamError("the sandbox closed the connection mid-body")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line

    def _exactly(self, count: int) -> bytes:
        while len(self._buffer) < count:
            data = self.sock.recv(max(CHUNK, count - len(self._buffer)))
            if not data:
                raise UpstreamError("the sandbox closed the connection mid-body")
            self._buffer += data
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _done(self) -> None:
        if self.will_close or self._buffer:
            self.sock.close()
        else:
            self.pool.put(self.endpoint, self.sock)


def splice_websocket(client: socket.socket, endpoint: tuple[str, int], head: bytes,
                     stopping: threading.Event) -> None:
    """Send the upgrade request ``head`` to the sandbox, relay its answer, and after a
    ``101`` join the two sockets until either side closes (or the launcher stops)."""
    pace_off = getattr(client, "pace_off", None)  # the slow-client guard lets go of it
    if pace_off is not None:
        pace_off()
    upstream = socket.create_connection(endpoint, timeout=10)
    try:
        upstream.sendall(head)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = upstream.recv(CHUNK)
            if not data:
                break
            answer += data
        client.settimeout(30)
        client.sendall(answer)
        if not answer.startswith(b"HTTP/1.1 101"):
            return
        upstream.settimeout(30)
        _join(client, upstream, stopping)
    finally:
        upstream.close()


def _join(a: socket.socket, b: socket.socket, stopping: threading.Event) -> None:
    peers = {a.fileno(): (a, b), b.fileno(): (b, a)}
    while not stopping.is_set():
        ready, _, _ = select.select(list(peers), [], [], TICK)
        for fd in ready:
            source, target = peers[fd]
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            if not data:
                return
            try:
                target.sendall(data)
            except OSError:
                return


def upgrade_head(headers: dict[str, str], path: str, endpoint: tuple[str, int]) -> bytes:
    """The WebSocket handshake request as sent on to the sandbox (``headers``: from
    ``forward_headers``, with the ``Sec-WebSocket-*`` ones)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {endpoint[0]}:{endpoint[1]}",
             "Upgrade: websocket", "Connection: Upgrade"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
