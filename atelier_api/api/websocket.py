"""WebSockets on the REST port (RFC 6455, frames by ``wsproto``): the handshake answered
from the WSGI request, then a loop on the connection's own socket that also watches the
descriptors of what the socket talks to (an execution session).

A WebSocket holds its request thread for as long as it is open; the number open at once is
bounded by the caller (``Runs.max_sessions``), so REST requests always find a thread.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import select
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, request
from wsproto.connection import Connection, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from atelier_api.errors import BadRequest

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: the largest message a client may send (a larger one closes the socket with 1009)
MAX_MESSAGE = 1 << 20
#: how long a send may wait for a client that does not read, by default (then the socket is
#: closed); the terminal uses the server's ``request_head_timeout_seconds``
SEND_TIMEOUT = 30.0
#: how often the loop wakes up without traffic (clocks of the other side)
TICK = 0.2
#: set when the worker stops: every open WebSocket closes (1001, going away) at its next
#: tick instead of holding the worker's graceful stop for its whole timeout
STOPPING = threading.Event()


def is_upgrade() -> bool:
    """The request asks for a WebSocket."""
    return (request.headers.get("Upgrade", "").lower() == "websocket"
            and "upgrade" in request.headers.get("Connection", "").lower())


def raw_socket() -> socket.socket:
    """The connection's socket (gunicorn's worker, or werkzeug's development server)."""
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if sock is None:
        raise BadRequest("This server cannot hand the connection over to a WebSocket")
    return sock  # type: ignore[no-any-return]


def check_handshake() -> str:
    """The ``Sec-WebSocket-Accept`` value of a valid upgrade request, or a 400."""
    if not is_upgrade():
        raise BadRequest("This endpoint is a WebSocket: send an Upgrade: websocket request")
    key = request.headers.get("Sec-WebSocket-Key", "").strip()
    version = request.headers.get("Sec-WebSocket-Version", "")
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raw = b""
    if version != "13" or len(raw) != 16:
        raise BadRequest("A WebSocket handshake needs Sec-WebSocket-Version 13 and a "
                         "16-byte Sec-WebSocket-Key")
    digest = hashlib.sha1((key + _GUID).encode("ascii")).digest()  # noqa: S324 - RFC 6455
    return base64.b64encode(digest).decode("ascii")


class WebSocket:
    """An open WebSocket on the request's socket."""

    def __init__(self, sock: socket.socket, accept: str, extra_headers: Iterable[str] = (),
                 send_timeout: float = SEND_TIMEOUT) -> None:
        self.sock = sock
        pace_off = getattr(sock, "pace_off", None)  # the slow-client guard lets go of it
        if pace_off is not None:
            pace_off()
        sock.settimeout(send_timeout)
        head = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket",
                "Connection: Upgrade", f"Sec-WebSocket-Accept: {accept}", *extra_headers]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        self.conn = Connection(ConnectionType.SERVER)
        self.open = True
        #: hand binary messages over as bytes (the debugger decodes them itself)
        self.keep_bytes = False
        self._parts: list[str | bytes | bytearray] = []
        self._size = 0

    def send_text(self, text: str) -> None:
        """One text message (dropped once the socket is closing)."""
        if self.open:
            self._write(self.conn.send(Message(data=text)))

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:  # gone, or not reading for SEND_TIMEOUT
            self.open = False

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from this side."""
        if self.open:
            with contextlib.suppress(LocalProtocolError):
                self._write(self.conn.send(CloseConnection(code=code, reason=reason)))
            self.open = False

    def serve(self, on_text: Callable[[Any], None], watched: Callable[[], list[Any]],
              on_ready: Callable[[], None], done: Callable[[], bool]) -> None:
        """Until the socket closes or ``done()``: messages to ``on_text`` (text, or bytes
        for a binary message when ``keep_bytes``); when one of ``watched()`` (objects with
        ``fileno``) is readable, or every ``TICK``, ``on_ready``."""
        while self.open and not done():
            if STOPPING.is_set():
                self.close(1001, "the server is stopping")
                break
            others = watched()
            try:
                readable, _, _ = select.select([self.sock, *others], [], [], TICK)
            except (OSError, ValueError):
                break
            if self.sock in readable and not self._receive(on_text):
                break
            on_ready()
        self.close()

    def _receive(self, on_text: Callable[[Any], None]) -> bool:
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError, TimeoutError):
            return True
        except OSError:
            self.open = False
            return False
        self.conn.receive_data(data or None)
        try:
            for event in self.conn.events():
                if not self._event(event, on_text):
                    return False
        except RemoteProtocolError as exc:
            self.close(1002, str(exc)[:100])
            return False
        return bool(data)

    def _event(self, event: Any, on_text: Callable[[Any], None]) -> bool:
        if isinstance(event, Ping):
            self._write(self.conn.send(event.response()))
        elif isinstance(event, CloseConnection):
            with contextlib.suppress(LocalProtocolError):
                self._write(self.conn.send(event.response()))
            self.open = False
            return False
        elif isinstance(event, TextMessage | BytesMessage):
            self._size += len(event.data)
            if self._size > MAX_MESSAGE:
                self.close(1009, f"message larger than {MAX_MESSAGE} bytes")
                return False
            self._parts.append(event.data)
            if event.message_finished:
                parts, self._parts, self._size = self._parts, [], 0
                if self.keep_bytes and isinstance(event, BytesMessage):
                    on_text(b"".join(bytes(p) for p in parts if not isinstance(p, str)))
                    return True
                text = "".join(p if isinstance(p, str) else p.decode("utf-8", "replace")
                               for p in parts)
                on_text(text)
        return True


class Finished(Response):
    """The answer of a view that served a WebSocket: nothing more is written, and the
    server closes the connection (gunicorn treats ``StopIteration`` from the application
    as "close the connection")."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        raise StopIteration
