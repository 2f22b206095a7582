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

import http.client
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
    """Kept-alive HTTP connections to the sandboxes, a few per endpoint."""

    def __init__(self, per_endpoint: int = 8, timeout: float = 660.0) -> None:
        self.per_endpoint = per_endpoint
        self.timeout = timeout
        self._idle: dict[tuple[str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def get(self, endpoint: tuple[str, int]) -> http.client.HTTPConnection:
        with self._lock:
            idle = self._idle.get(endpoint)
            if idle:
                return idle.pop()
        return http.client.HTTPConnection(endpoint[0], endpoint[1], timeout=self.timeout)

    def put(self, endpoint: tuple[str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(endpoint, [])
            if len(idle) < self.per_endpoint:
                idle.append(conn)
                return
        conn.close()

    def forget(self, endpoint: tuple[str, int]) -> None:
        """Close the kept connections of a sandbox that went away."""
        with self._lock:
            idle = self._idle.pop(endpoint, [])
        for conn in idle:
            conn.close()


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


class Upstream:
    """One proxied HTTP exchange: the sandbox's answer, streamed."""

    def __init__(self, pool: Pool, endpoint: tuple[str, int], method: str, path: str,
                 headers: dict[str, str], body: bytes) -> None:
        self.pool = pool
        self.endpoint = endpoint
        headers = dict(headers, Host=f"{endpoint[0]}:{endpoint[1]}")
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # a kept connection the sandbox closed meanwhile: once more
            self.conn = pool.get(endpoint)
            try:
                self.conn.request(method, path, body=body or None, headers=headers)
                self.response = self.conn.getresponse()
                break
            except (ConnectionError, http.client.RemoteDisconnected,
                    http.client.BadStatusLine) as exc:
                self.conn.close()
                if attempt == 2 or isinstance(exc, ConnectionRefusedError):
                    raise
        self.status = self.response.status
        self.reason = self.response.reason

    def headers(self, prefix: str) -> list[tuple[str, str]]:
        items = rewrite_response_headers(self.response.getheaders(), prefix)
        length = self.response.getheader("Content-Length")
        if length is not None and self.response.getheader("Transfer-Encoding") is None:
            items.append(("Content-Length", length))
        return items

    def small_body(self, limit: int = 256 * 1024) -> bytes | None:
        """The whole body when its declared length is at most ``limit`` (then it leaves in
        one write with the head), else None (stream it with ``body``)."""
        length = self.response.getheader("Content-Length")
        if self.response.getheader("Transfer-Encoding") is not None or length is None \
                or not length.isdigit() or int(length) > limit:
            return None
        try:
            data = self.response.read()
        except BaseException:
            self.conn.close()
            raise
        if self.response.will_close:
            self.conn.close()
        else:
            self.pool.put(self.endpoint, self.conn)
        return data

    def body(self) -> Iterator[bytes]:
        """The answer's body as it arrives; the connection goes back to the pool at its
        end (or is closed when the client went away first)."""
        done = False
        try:
            while True:
                chunk = self.response.read1(CHUNK)
                if not chunk:
                    break
                yield chunk
            done = True
        finally:
            if done and not self.response.will_close:
                self.response.close()  # read1 never marks a Content-Length body done
                self.pool.put(self.endpoint, self.conn)
            else:
                self.conn.close()


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
