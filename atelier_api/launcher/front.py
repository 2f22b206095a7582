"""The launcher's front door: one asyncio server on the launcher's port.

* ``/<proxy_prefix>/<user>/<rest>`` goes to ``/<rest>`` of that user's sandbox, so an IDE
  needs only the launcher's host, port and ``pathPrefix``. The request is read whole
  (bounded by ``max_body_bytes``; ``Expect: 100-continue`` answered; a chunked body
  re-framed with a length), sent on a kept-alive connection to the sandbox, and the answer
  relayed as it comes: a small one in one write with its head, a large, chunked or
  close-delimited one streamed. Hop-by-hop headers are dropped; ``Set-Cookie`` paths and
  ``Location`` headers get the prefix, so cookies stay scoped to the user's path.
* WebSocket upgrades (the terminal, the debugger): the handshake goes to the sandbox, and
  after its ``101`` the two connections are joined byte for byte until either side closes.
* Everything else (the REST API, the page) goes the same way to the launcher's Flask app,
  which gunicorn serves on a private Unix socket.

Why a front of its own rather than the proxy as a WSGI application: an IDE sends many small
requests, and a second Python HTTP server per request (a worker thread's hand-off and
gunicorn's parsing) cost more than the sandbox's own answer to a small one. Here a proxied
request costs one event-loop pass per direction.

Who may pass is decided by ``Launcher.admit`` (``launcher.app``); this module moves bytes
and keeps connections sane: a head bounded in size and time, at most
``max_connections_per_client`` connections per client address (the oldest idle one gives
way to a new one), a client that stops reading dropped after a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import threading
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import unquote

if TYPE_CHECKING:
    from atelier_api.launcher.sandboxes import Sandboxes
    from atelier_api.launcher.settings import LauncherSettings

log = logging.getLogger(__name__)

#: the largest request or answer head
MAX_HEAD = 64 * 1024
CHUNK = 64 * 1024
#: answers up to this length leave in one write with their head
SMALL = 256 * 1024
#: seconds a kept-alive client connection may take to send its next request's head
KEEPALIVE = 30.0
#: seconds a client may take to send a request body, or to take an answer's next bytes
CLIENT_TIMEOUT = 60.0
#: seconds a sandbox (or the launcher's app) may take to answer; long work goes to /work
UPSTREAM_TIMEOUT = 660.0
#: idle kept connections per sandbox (and to the app)
KEEP_PER_ENDPOINT = 8
#: requests to the launcher's own app at once (its gunicorn counts every front connection
#: as one client address)
APP_AT_ONCE = 32
#: connections at once, over all clients
MAX_CONNECTIONS = 2048

#: hop-by-hop headers (RFC 9110 7.6.1), never relayed; the front sets its own
_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                  "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"})
_COOKIE_PATH = re.compile(r"(;\s*path=)([^;]*)", re.IGNORECASE)
_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_REASONS = {100: "Continue", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 408: "Request Timeout", 413: "Content Too Large",
            429: "Too Many Requests", 431: "Request Header Fields Too Large",
            501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}

T = TypeVar("T")
Endpoint = tuple[str, int] | str  # (host, port), or the path of a Unix socket


class HttpError(Exception):
    """A request the front answers itself, in the Atelier envelope: a refusal of the gate
    (the connection goes on), or a malformed request (the connection ends)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None,
                 challenge: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.challenge = challenge


@dataclass
class Admission:
    """A proxied request may pass: to ``endpoint``, with ``authorization`` in place of the
    client's when set (the owner's launcher password becomes the sandbox's own)."""

    endpoint: tuple[str, int]
    authorization: str | None = None


class Gate(Protocol):
    """What the front needs of the launcher (``launcher.app.Launcher``)."""

    settings: LauncherSettings
    sandboxes: Sandboxes

    def admit(self, owner: str, authorization: str | None, blocking: bool
              ) -> Admission | None:
        """An ``Admission``, ``HttpError`` when refused, None when deciding would wait and
        ``blocking`` is false."""


class UpstreamError(OSError):
    """The sandbox's (or the app's) answer could not be read."""


def envelope(status: int, message: str, retry_after: int | None = None,
             challenge: bool = False, close: bool = False) -> bytes:
    """A whole answer with an error in the Atelier envelope (what an IDE reads)."""
    body = json.dumps({"status": {"errors": [{"error": message, "code": 0,
                                              "domain": "launcher", "id": "", "params": []}],
                                  "summary": message},
                       "console": [], "result": {}}).encode()
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
             "Content-Type: application/json; charset=utf-8", f"Content-Length: {len(body)}",
             "Cache-Control: no-store"]
    if retry_after is not None:
        lines.append(f"Retry-After: {retry_after}")
    if challenge:
        lines.append('WWW-Authenticate: Basic realm="atelier-api"')
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# -- heads ------------------------------------------------------------------------------------

@dataclass
class Head:
    """A request head (``start`` = method, target, version) or an answer head (version,
    status, reason), with its header fields in order as received."""

    start: tuple[str, str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        for key, value in self.fields:
            if key.lower() == name:
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key.lower() == name]

    def tokens(self, name: str) -> set[str]:
        """The comma-separated tokens of every ``name`` field, lower-cased."""
        return {t.strip().lower() for v in self.all(name) for t in v.split(",") if t.strip()}


def parse_head(data: bytes, request: bool) -> Head:
    """Parse a head (without its final empty line); ``HttpError(400)`` when malformed."""
    lines = data.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if request:
        if len(parts) != 3 or not _TOKEN.match(parts[0]) or not parts[1] \
                or not parts[2].startswith(b"HTTP/1."):
            raise HttpError(400, "Malformed request line.")
    elif len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit() \
            or len(parts[1]) != 3:
        raise UpstreamError(f"not an HTTP answer: {lines[0][:60]!r}")
    start = tuple(p.decode("latin-1") for p in (parts + [b""])[:3])
    head = Head((start[0], start[1], start[2]))
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN.match(name):  # also obsolete line folding (RFC 9112 5.2)
            if request:
                raise HttpError(400, "Malformed header field.")
            raise UpstreamError("malformed header field in an answer")
        head.fields.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return head


async def read_head(reader: asyncio.StreamReader, timeout: float, request: bool
                    ) -> Head | None:
    """The next head on a connection; None at a clean end of it (nothing sent)."""
    try:
        data = await within(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise HttpError(400, "Incomplete request head.") if request \
            else UpstreamError("the connection closed mid-head") from None
    except asyncio.LimitOverrunError:
        raise HttpError(431, f"Request head over {MAX_HEAD} bytes.") if request \
            else UpstreamError("answer head too large") from None
    except TimeoutError:
        if request:
            return None  # an idle kept-alive connection, or a client too slow with its head
        raise UpstreamError("no answer in time") from None
    return parse_head(data.lstrip(b"\r\n")[:-4], request)


def body_length(head: Head, request: bool) -> int | None:
    """The body's length by its framing: a number, -1 for chunked, None for
    close-delimited (answers only)."""
    encodings = head.tokens("transfer-encoding")
    lengths = {v.strip() for v in head.all("content-length")}
    if encodings:
        if request and lengths:  # both: a smuggling attempt (RFC 9112 6.3)
            raise HttpError(400, "Both Content-Length and Transfer-Encoding.")
        if encodings != {"chunked"}:
            if request:
                raise HttpError(501, "Only the chunked transfer coding is understood.")
            return None
        return -1
    if len(lengths) > 1 or (lengths and not next(iter(lengths)).isdigit()):
        if request:
            raise HttpError(400, "Bad Content-Length.")
        raise UpstreamError("bad Content-Length in an answer")
    if lengths:
        return int(next(iter(lengths)))
    return 0 if request else None


async def read_chunked(reader: asyncio.StreamReader, limit: int, timeout: float) -> bytes:
    """A chunked request body, de-chunked (trailers dropped)."""
    body = bytearray()
    while True:
        line = await within(reader.readuntil(b"\r\n"), timeout)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise HttpError(400, "Bad chunk size.") from None
        if size == 0:
            while (await within(reader.readuntil(b"\r\n"), timeout)) != b"\r\n":
                pass
            return bytes(body)
        if len(body) + size > limit:
            raise HttpError(413, f"Request body over max_body_bytes = {limit}")
        body += await within(reader.readexactly(size + 2), timeout)
        if body[-2:] != b"\r\n":
            raise HttpError(400, "Bad chunk framing.")
        del body[-2:]


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """``awaitable``'s result, or ``TimeoutError`` after ``seconds`` (``asyncio.timeout``:
    no task of its own, unlike ``wait_for`` on Python 3.11)."""
    async with asyncio.timeout(seconds):
        return await awaitable


async def flush(writer: asyncio.StreamWriter, seconds: float) -> None:
    """Wait while the peer is behind with what was written (up to ``seconds``)."""
    if writer.transport.get_write_buffer_size():
        async with asyncio.timeout(seconds):
            await writer.drain()


def rewrite_cookie(value: str, prefix: str) -> str:
    """A sandbox's ``Set-Cookie`` with its path moved under ``prefix``."""
    if _COOKIE_PATH.search(value):
        return _COOKIE_PATH.sub(lambda m: m.group(1) + prefix + (m.group(2) or "/"), value)
    return f"{value}; Path={prefix}/"


# -- kept connections -------------------------------------------------------------------------

@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class Pool:
    """Kept-alive connections to the sandboxes and to the app, a few per endpoint (used
    from the front's event loop only)."""

    def __init__(self, per_endpoint: int = KEEP_PER_ENDPOINT) -> None:
        self.per_endpoint = per_endpoint
        self.idle: dict[Endpoint, list[Conn]] = {}

    async def get(self, endpoint: Endpoint) -> tuple[Conn, bool]:
        """A connection, and whether it was kept from an earlier exchange."""
        idle = self.idle.get(endpoint)
        while idle:
            conn = idle.pop()
            if not conn.reader.at_eof():
                return conn, True
            conn.close()
        if isinstance(endpoint, str):
            reader, writer = await within(
                asyncio.open_unix_connection(endpoint, limit=MAX_HEAD), 10)
        else:
            reader, writer = await within(
                asyncio.open_connection(*endpoint, limit=MAX_HEAD), 10)
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Conn(reader, writer), False

    def put(self, endpoint: Endpoint, conn: Conn) -> None:
        idle = self.idle.setdefault(endpoint, [])
        if len(idle) < self.per_endpoint:
            idle.append(conn)
        else:
            conn.close()

    def forget(self, endpoint: Endpoint) -> None:
        """Close the kept connections of a sandbox that went away."""
        for conn in self.idle.pop(endpoint, []):
            conn.close()

    def close(self) -> None:
        for endpoint in list(self.idle):
            self.forget(endpoint)


# -- the front --------------------------------------------------------------------------------

@dataclass
class Request:
    head: Head
    body: bytes
    peer: str

    @property
    def method(self) -> str:
        return self.head.start[0]

    @property
    def keep_alive(self) -> bool:
        return self.head.start[2] == "HTTP/1.1" and "close" not in self.head.tokens("connection")

    @property
    def upgrade(self) -> bool:
        return (self.method == "GET" and "websocket" in self.head.tokens("upgrade")
                and "upgrade" in self.head.tokens("connection"))


class Front:
    """The asyncio server on ``listener``, in a thread of its own (``start``/``stop``)."""

    def __init__(self, state: Gate, listener: socket.socket, app: Endpoint) -> None:
        self.state = state
        self.settings = state.settings
        self.listener = listener
        self.app = app
        self.max_per_client = state.settings.max_connections_per_client
        self.keepalive = KEEPALIVE
        self.client_timeout = CLIENT_TIMEOUT
        self.prefix = f"/{self.settings.proxy_prefix}/"
        self.pool = Pool()
        self.loop = new_loop()
        self.thread = threading.Thread(target=self._run, name="launcher-front", daemon=True)
        self.ready = threading.Event()
        #: each client address's connections, in the order they came: idle or not
        self.peers: dict[str, dict[asyncio.StreamWriter, bool]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        #: admissions that wait (a password's first check, a sandbox still starting)
        self.waiting = ThreadPoolExecutor(8, thread_name_prefix="launcher-admit")
        self.server: asyncio.Server | None = None
        self.app_slots: asyncio.Semaphore | None = None
        state.sandboxes.on_end.append(self._ended)

    # -- life -------------------------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()
        self.ready.wait(10)

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self._shutdown()))
        self.thread.join(10)
        self.waiting.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def _serve(self) -> None:
        self.app_slots = asyncio.Semaphore(APP_AT_ONCE)
        self.server = await asyncio.start_server(self._connection, sock=self.listener,
                                                 limit=MAX_HEAD, backlog=1024)
        self.ready.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self.server.serve_forever()

    async def _shutdown(self) -> None:
        """Stop accepting, end every connection (WebSockets included) and serve_forever."""
        if self.server is not None:
            self.server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        self.pool.close()

    def _ended(self, record: Any) -> None:
        """A sandbox ended (called from the launcher's threads): drop its kept connections."""
        endpoint = tuple(record.endpoint) if record.endpoint else None
        if endpoint is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.pool.forget, endpoint)

    # -- one client connection ----------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peername = writer.get_extra_info("peername")
        peer = str(peername[0]) if isinstance(peername, tuple) and peername else "local"
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mine = self.peers.setdefault(peer, {})
        if (len(mine) >= self.max_per_client and not self._make_room(mine)) \
                or len(self.tasks) >= MAX_CONNECTIONS:
            writer.write(envelope(503, f"Too many connections from {peer} "
                                       f"(at most {self.max_per_client}, all busy).",
                                  retry_after=5, close=True))
            with contextlib.suppress(Exception):
                await flush(writer, 5)
            writer.close()
            if not mine:
                self.peers.pop(peer, None)
            return
        self.tasks.add(task)
        try:
            while True:
                mine[writer] = True  # idle: between requests, or still sending a head
                request = await self._read_request(reader, writer, peer)
                mine[writer] = False
                if request is None:
                    break
                if not await self._handle(request, reader, writer):
                    break
        except HttpError as exc:
            with contextlib.suppress(Exception):
                writer.write(envelope(exc.status, exc.message, exc.retry_after,
                                      exc.challenge, close=True))
                await flush(writer, 5)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the client went away, or stopped reading
        except asyncio.CancelledError:
            pass
        except OSError as exc:  # a sandbox broke off mid-answer: the client's ends too
            log.info("launcher front: a connection from %s ended: %s", peer, exc)
        except Exception:  # noqa: BLE001 - one bad exchange must not end the front
            log.exception("launcher front: a connection from %s failed", peer)
        finally:
            self.tasks.discard(task)
            mine.pop(writer, None)
            if not mine:
                self.peers.pop(peer, None)
            writer.close()

    @staticmethod
    def _make_room(mine: dict[asyncio.StreamWriter, bool]) -> bool:
        """Close the oldest idle connection of a client at its bound (as the server's guard
        does: an IDE's kept-alive sockets must not lock it out); False when all are busy."""
        for writer, idle in mine.items():
            if idle:
                del mine[writer]
                writer.close()
                return True
        return False

    async def _read_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            peer: str) -> Request | None:
        head = await read_head(reader, self.keepalive, request=True)
        if head is None:
            return None
        if head.start[2] not in ("HTTP/1.0", "HTTP/1.1"):
            raise HttpError(400, "Only HTTP/1.0 and HTTP/1.1.")
        limit = self.settings.max_body_bytes
        length = body_length(head, request=True)
        if length is not None and length > limit:
            raise HttpError(413, f"Request body over max_body_bytes = {limit}")
        if length and "100-continue" in head.tokens("expect"):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if length == -1:
            body = await read_chunked(reader, limit, self.client_timeout)
        elif length:
            try:
                body = await within(reader.readexactly(length), self.client_timeout)
            except TimeoutError:
                raise HttpError(408, "The request body did not arrive in time.") from None
        else:
            body = b""
        return Request(head, body, peer)

    async def _handle(self, request: Request, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> bool:
        """Answer one request; whether the connection stays open for the next."""
        target = request.head.start[1]
        path = target
        if "://" in target[:10]:  # absolute form: its path
            path = "/" + target.split("://", 1)[1].partition("/")[2]
        if path.startswith(self.prefix):
            return await self._proxy(request, path, writer, reader)
        assert self.app_slots is not None
        async with self.app_slots:
            headers = self._forward_fields(request, None)
            return await self._exchange(self.app, request.head.get("host") or "localhost",
                                        request, path, headers, writer, None)

    # -- to a sandbox -----------------------------------------------------------------------
    async def _proxy(self, request: Request, path: str, writer: asyncio.StreamWriter,
                     reader: asyncio.StreamReader) -> bool:
        owner_raw, slash, rest = path[len(self.prefix):].partition("/")
        owner = unquote(owner_raw)
        prefix = f"{self.prefix}{owner_raw}"
        rest = "/" + rest if slash else "/"
        authorization = request.head.get("authorization")
        admit = self.state.admit
        try:
            admission = admit(owner, authorization, blocking=False)
            if admission is None:  # a password to check, or a sandbox still starting
                admission = await self.loop.run_in_executor(
                    self.waiting, lambda: admit(owner, authorization, blocking=True))
        except HttpError as exc:
            writer.write(envelope(exc.status, exc.message, exc.retry_after, exc.challenge,
                                  close=not request.keep_alive))
            await flush(writer, self.client_timeout)
            return request.keep_alive
        assert admission is not None
        headers = self._forward_fields(request, prefix)
        if admission.authorization is not None:
            headers = [(k, v) for k, v in headers if k.lower() != "authorization"]
            headers.append(("Authorization", admission.authorization))
        if request.upgrade:
            await self._websocket(admission.endpoint, request, rest, headers, reader, writer,
                                  prefix)
            return False
        endpoint = admission.endpoint
        return await self._exchange(endpoint, f"{endpoint[0]}:{endpoint[1]}", request, rest,
                                    headers, writer, prefix)

    def _forward_fields(self, request: Request, prefix: str | None) -> list[tuple[str, str]]:
        """The request's end-to-end fields, plus ``X-Forwarded-*``."""
        out = [(k, v) for k, v in request.head.fields
               if k.lower() not in _HOP and k.lower() not in ("host", "content-length", "expect")
               and not k.lower().startswith("x-forwarded-")]
        out.append(("X-Forwarded-For", request.peer))
        out.append(("X-Forwarded-Proto", "http"))
        out.append(("X-Forwarded-Host", request.head.get("host") or ""))
        if prefix is not None:
            out.append(("X-Forwarded-Prefix", prefix))
        return out

    async def _exchange(self, endpoint: Endpoint, host: str, request: Request, target: str,
                        fields: list[tuple[str, str]], writer: asyncio.StreamWriter,
                        prefix: str | None) -> bool:
        """Send ``request`` on to ``endpoint`` (as ``Host: host``: the sandbox's own address,
        or for the app the one the client named, which its URLs are made of) and relay the
        answer; whether the client's connection stays open."""
        lines = [f"{request.method} {target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in fields]
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(request.body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body
        try:
            conn, answer = await self._send(endpoint, data)
        except (OSError, asyncio.IncompleteReadError, HttpError) as exc:
            log.warning("launcher front: %s did not answer: %s", _name(endpoint), exc)
            writer.write(envelope(502, "The sandbox did not answer." if prefix is not None
                                  else "The launcher's application did not answer.",
                                  close=not request.keep_alive))
            await flush(writer, self.client_timeout)
            return request.keep_alive
        return await self._relay(endpoint, conn, answer, request, writer, prefix)

    async def _send(self, endpoint: Endpoint, data: bytes) -> tuple[Conn, Head]:
        """Write a request and read its answer's head (once more on a new connection when
        a kept one turns out closed)."""
        while True:
            conn, kept = await self.pool.get(endpoint)
            try:
                conn.writer.write(data)
                head = await read_head(conn.reader, UPSTREAM_TIMEOUT, request=False)
                if head is None:
                    raise UpstreamError("the connection closed")
                return conn, head
            except (OSError, asyncio.IncompleteReadError):
                conn.close()
                if not kept:
                    raise

    async def _relay(self, endpoint: Endpoint, conn: Conn, answer: Head, request: Request,
                     writer: asyncio.StreamWriter, prefix: str | None) -> bool:
        version, status_text, reason = answer.start
        status = int(status_text)
        length = body_length(answer, request=False)
        if request.method == "HEAD" or status in (204, 304) or status < 200:
            length = 0
        keep_up = (version == "HTTP/1.1" and "close" not in answer.tokens("connection")
                   and length is not None)
        keep_client = request.keep_alive and length is not None
        chunked = length == -1
        fields = []
        for name, value in answer.fields:
            lower = name.lower()
            if lower in _HOP and not (chunked and lower == "transfer-encoding"):
                continue
            if prefix is not None:
                if lower == "set-cookie":
                    value = rewrite_cookie(value, prefix)
                elif lower == "location" and value.startswith("/"):
                    value = prefix + value
            fields.append((name, value))
        if chunked and request.head.start[2] == "HTTP/1.0":  # no chunks for 1.0: de-chunked
            fields = [(k, v) for k, v in fields if k.lower() != "transfer-encoding"]
            keep_client = False
        if not keep_client:
            fields.append(("Connection", "close"))
        head = (f"HTTP/1.1 {status_text} {reason or '-'}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode("latin-1")
        clean = False
        try:
            if length is not None and 0 <= length <= SMALL:
                body = await within(conn.reader.readexactly(length), UPSTREAM_TIMEOUT) \
                    if length else b""
                writer.write(head + body)
            else:
                writer.write(head)
                if length is None:
                    await self._copy_to_end(conn.reader, writer)
                elif chunked:
                    await self._copy_chunks(conn.reader, writer,
                                            raw=request.head.start[2] != "HTTP/1.0")
                else:
                    await self._copy(conn.reader, writer, length)
            await flush(writer, self.client_timeout)
            clean = True
        finally:
            # bytes past the answer's end (a server breaking HTTP): never reused
            if clean and keep_up and not getattr(conn.reader, "_buffer", b""):
                self.pool.put(endpoint, conn)
            else:
                conn.close()
        return keep_client

    async def _copy(self, source: asyncio.StreamReader, target: asyncio.StreamWriter,
                    left: int) -> None:
        while left > 0:
            data = await within(source.read(min(CHUNK, left)), UPSTREAM_TIMEOUT)
            if not data:
                raise UpstreamError("the answer ended early")
            left -= len(data)
            target.write(data)
            await flush(target, self.client_timeout)

    async def _copy_to_end(self, source: asyncio.StreamReader,
                           target: asyncio.StreamWriter) -> None:
        while data := await within(source.read(CHUNK), UPSTREAM_TIMEOUT):
            target.write(data)
            await flush(target, self.client_timeout)

    async def _copy_chunks(self, source: asyncio.StreamReader, target: asyncio.StreamWriter,
                           raw: bool) -> None:
        """A chunked answer, as it is (``raw``) or de-chunked."""
        while True:
            line = await within(source.readuntil(b"\r\n"), UPSTREAM_TIMEOUT)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise UpstreamError("bad chunk size in an answer") from None
            if raw:
                target.write(line)
            if size == 0:
                while True:
                    trailer = await within(source.readuntil(b"\r\n"),
                                                     UPSTREAM_TIMEOUT)
                    if raw:
                        target.write(trailer)
                    if trailer == b"\r\n":
                        return
            data = await within(source.readexactly(size + 2), UPSTREAM_TIMEOUT)
            target.write(data if raw else data[:-2])
            await flush(target, self.client_timeout)

    # -- WebSockets ---------------------------------------------------------------------------
    async def _websocket(self, endpoint: tuple[str, int], request: Request, target: str,
                         fields: list[tuple[str, str]], reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter, prefix: str) -> None:
        """The handshake to the sandbox; after its ``101`` the two connections joined."""
        try:
            up_reader, up_writer = await within(
                asyncio.open_connection(*endpoint, limit=MAX_HEAD), 10)
        except OSError as exc:
            log.warning("launcher front: %s did not answer: %s", _name(endpoint), exc)
            writer.write(envelope(502, "The sandbox did not answer.", close=True))
            await flush(writer, self.client_timeout)
            return
        try:
            lines = [f"GET {target} HTTP/1.1", f"Host: {endpoint[0]}:{endpoint[1]}",
                     "Upgrade: websocket", "Connection: Upgrade"]
            lines += [f"{k}: {v}" for k, v in fields]
            up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            answer = await read_head(up_reader, UPSTREAM_TIMEOUT, request=False)
            if answer is None:
                raise UpstreamError("the sandbox closed the connection")
            if answer.start[1] != "101":
                # refused (401, 404...): relayed as any answer, then the connection ends
                await self._relay(endpoint, Conn(up_reader, up_writer), answer,
                                  Request(request.head, b"", request.peer), writer, prefix)
                return
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in answer.fields).encode("latin-1") + b"\r\n")
            await writer.drain()
            await _join((reader, writer), (up_reader, up_writer))
        finally:
            up_writer.close()


async def _join(a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                b: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
    """Copy both ways until either side closes."""

    async def pump(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        while data := await source.read(CHUNK):
            target.write(data)
            await target.drain()

    tasks = [asyncio.ensure_future(pump(a[0], b[1])), asyncio.ensure_future(pump(b[0], a[1]))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when it is installed (the ``launcher`` extra has it: a proxied
    request costs about a quarter less), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _name(endpoint: Endpoint) -> str:
    return endpoint if isinstance(endpoint, str) else f"{endpoint[0]}:{endpoint[1]}"


def listen(host: str, port: int) -> socket.socket:
    """The launcher's listening socket (made before gunicorn forks its worker, so a port in
    use is reported at start)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024, reuse_port=False)
    sock.setblocking(False)
    return sock


