"""Slow and idle clients hold no worker thread: the gthread worker that receives request heads
(and small bodies) in its poller thread, under deadlines, paces the reads and writes its worker
threads do, and bounds the connections of one client address.

gunicorn's gthread worker hands a connection to a worker thread as soon as it has a byte to
read; the thread then blocks until the whole request head has arrived, for as long as the
client cares to take. Here the poller thread reads whatever a connection has, without waiting,
into a ``RequestBuffer``, and submits the connection to the thread pool only once the request
is complete (its head, and its body up to ``BUFFERED_BODY_BYTES``):

- **Head deadline**: a request head must be complete ``head_timeout`` seconds after the
  connection was accepted (for later requests on a kept-alive connection: after its first
  byte). Otherwise the connection is closed, with a 408 envelope when some of it had arrived.
- **Minimum rate**: a body must keep an average of ``min_rate`` bytes per second, measured in
  windows of ``head_timeout`` seconds spent waiting for it: the poller counts from the end of
  the head, a worker thread (reading the part of a body larger than the poller buffers) counts
  the time it is blocked in reads, never the application's own time. The response a worker
  thread writes is held to the same rule. A body too slow is answered 408; a client too slow
  to take its response is cut off.
- **Per client address**: at most ``max_per_client`` connections. A new connection over it
  replaces the oldest connection of that address that is idle (still sending its head, or
  kept alive between requests); when all of them are busy, the new one gets a 503 and is
  closed. The same rule, over all addresses, keeps the worker below gunicorn's
  ``worker_connections``, so it never stops accepting.
- Closing a connection after its response (RFC 9112 section 9.6: half-close, drain what the
  client still sends, then close) lingers in the poller instead of blocking it.

A kept-alive connection between requests sits in the poller (gunicorn's keepalive queue) and
holds no thread either.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import select
import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn import http as gunicorn_http
from gunicorn import util as gunicorn_util
from gunicorn.workers.gthread import TConn, ThreadWorker
from werkzeug.exceptions import RequestTimeout

from atelier_api.api import websocket

log = logging.getLogger(__name__)

#: The largest request head received; a longer one is answered 431.
MAX_HEAD_BYTES = 64 * 1024
#: Bodies up to this size are received by the poller before a thread sees the request; of a
#: larger one, this much is, and a worker thread reads the rest at the minimum rate.
BUFFERED_BODY_BYTES = 256 * 1024
#: How long a closing connection may keep sending before it is closed outright.
CLOSE_LINGER = 2.0
#: Most closing connections lingering at once (the oldest is closed outright beyond).
MAX_LINGERING = 128
#: How long a stopping worker waits for a request head that has started to arrive.
STOP_LINGER = 2.0
#: How often the poller looks for deadlines passed (it wakes up at least once a second).
SWEEP_EVERY = 0.25
#: How often the worker logs what it closed (when it closed anything).
REPORT_EVERY = 60.0

_READ_PIECE = 64 * 1024
_SEND_PIECE = 256 * 1024
_BARE_LF = re.compile(rb"(?<!\r)\n")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

#: What the bytes received so far make of a request (``RequestBuffer.verdict``).
WAIT, READY, TOO_LARGE, CLOSED = "wait", "ready", "too large", "closed"


@dataclass(frozen=True)
class ClientLimits:
    """The three bounds, from the settings of the same names (see ``atelier_api.config``)."""

    head_timeout: float = 20.0  # request_head_timeout_seconds
    min_rate: int = 500  # min_body_rate_bytes (bytes per second)
    max_per_client: int = 64  # max_connections_per_client


class BodyTimeout(RequestTimeout):
    """A request body arrived slower than the minimum rate: the application answers 408."""


class SlowReader(BrokenPipeError):
    """The client took the response slower than the minimum rate: the connection is given up,
    as if the client had gone (gunicorn then closes it without logging an error)."""


class RequestBuffer:
    """The bytes of the next request on a connection, received so far, and whether they make a
    request a worker thread can parse without waiting for the client."""

    def __init__(self, line_limit: int, started: float | None = None) -> None:
        self.line_limit = line_limit
        self.data = bytearray()
        self.restart(b"", started)

    def restart(self, leftover: bytes, now: float | None) -> None:
        """Start on the next request; ``leftover`` is what the client already sent of it."""
        self.data = bytearray(leftover)
        self.started = now
        self.head_done: float | None = None
        self.continue_sent = False
        self._window_mark = 0  # body bytes received when the current window began
        self._start = -1  # where the request line starts: 2 after one leading empty line
        self._searched = 0  # bytes already searched for the end of the head
        self._line_end = -1
        self._head_end = -1
        self._body_wanted = 0
        self._chunked = False
        self._expect = False
        self.verdict = WAIT
        if leftover:
            self.verdict = self._scan(now if now is not None else time.monotonic())

    def add(self, chunk: bytes, now: float) -> str:
        """Append what the socket gave; the verdict on the request so far."""
        if self.started is None:
            self.started = now
        self.data += chunk
        if self.verdict == WAIT:
            self.verdict = self._scan(now)
        return self.verdict

    def take(self) -> bytes:
        """The buffered bytes, for the parser; the buffer is left empty."""
        data = bytes(self.data)
        self.restart(b"", None)
        return data

    @property
    def body_received(self) -> int:
        """Bytes of the body buffered so far."""
        return 0 if self._head_end < 0 else len(self.data) - self._head_end - 4

    def needs_continue(self) -> bool:
        """The client sent ``Expect: 100-continue`` and waits for it before the body."""
        return (self.verdict == WAIT and self._expect and not self.continue_sent
                and self.body_received == 0)

    def deadline(self, limits: ClientLimits, now: float) -> float:
        """When the head must be complete, or the body's current window of
        ``head_timeout`` seconds ends (see ``renew``)."""
        if self.head_done is None:
            return (self.started if self.started is not None else now) + limits.head_timeout
        return self.head_done + limits.head_timeout

    def renew(self, limits: ClientLimits, now: float) -> bool:
        """At the deadline of a body window: True (and a new window) when the body moved at
        least ``head_timeout * min_rate`` bytes in it, False when it is too slow."""
        if self.head_done is None:
            return False
        if self.body_received - self._window_mark < limits.head_timeout * limits.min_rate:
            return False
        self.head_done, self._window_mark = now, self.body_received
        return True

    def _scan(self, now: float) -> str:
        data = self.data
        if self._head_end < 0:
            verdict = self._scan_head(data)
            if self._head_end < 0:
                return verdict
            self.head_done = now  # and the first window of the body begins
            self._read_framing(bytes(data[self._start:self._head_end]))
        body = len(data) - self._head_end - 4
        if self._chunked:
            done = data.endswith(b"0\r\n\r\n")
            return READY if done or body >= BUFFERED_BODY_BYTES else WAIT
        return READY if body >= min(self._body_wanted, BUFFERED_BODY_BYTES) else WAIT

    def _scan_head(self, data: bytearray) -> str:
        """WAIT, TOO_LARGE, or READY when the parser will not need more: the head is complete
        or the parser refuses it already (it rejects a bare LF or an over-long request line
        before it reads on)."""
        if self._start < 0:
            if not data or data == b"\r":
                return WAIT
            self._start = 2 if data.startswith(b"\r\n") else 0
        start = self._start
        if len(data) <= start:
            return WAIT
        if data.startswith(b"\r\n", start):
            return READY  # an empty request line: the parser answers 400
        searched, self._searched = max(self._searched, start), len(data)
        end = data.find(b"\r\n\r\n", max(searched - 3, start))
        if _BARE_LF.search(data, searched, end + 4 if end >= 0 else len(data)):
            return READY  # the parser answers 400 at once
        if end >= 0:
            self._head_end = end
            return READY
        if self._line_end < 0:
            self._line_end = data.find(b"\r\n", max(searched - 1, start))
        line = (self._line_end if self._line_end >= 0 else len(data) - 2) - start
        if line > self.line_limit:
            return READY  # the parser answers 414
        return TOO_LARGE if len(data) - start > MAX_HEAD_BYTES else WAIT

    def _read_framing(self, head: bytes) -> None:
        """How much body follows the head (only to decide when to hand over: the parser
        checks the framing itself, so whatever looks odd is handed over at once)."""
        lines = head.split(b"\r\n")
        http11 = lines[0].endswith(b" HTTP/1.1")
        lengths = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                lengths += 1
                valid = value.isdigit() and len(value) <= 18
                self._body_wanted = int(value) if valid and lengths == 1 else 0
            elif name == b"transfer-encoding":
                self._chunked = True
            elif name == b"expect":
                self._expect = http11 and value.lower() == b"100-continue"
        if lengths > 1:
            self._body_wanted = 0


def client_key(address: Any) -> str:
    """The client address connections are counted by: the IP address of a TCP peer."""
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address or "local")


class PacedSocket(socket.socket):
    """A connection's socket whose blocking reads and writes a worker thread does are held to
    the minimum rate (``pace_request``) or a deadline (``pace_head``); outside those it is a
    plain socket. Only the thread that owns the connection paces it."""

    @classmethod
    def adopt(cls, sock: socket.socket) -> PacedSocket:
        """The same connection as a paced socket (``sock`` is detached)."""
        return cls(sock.family, sock.type, sock.proto, fileno=sock.detach())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.caller_timeout: float | None = self.gettimeout()
        self.mode = ""  # "", "head", "request" or "drain"
        self.limits = ClientLimits()
        self.head_deadline = 0.0
        self.request: Any = None  # gunicorn's request being paced
        self.expired: set[str] = set()  # the directions that were too slow
        self.moved = {"read": 0, "write": 0}  # in the current window
        self.waited = {"read": 0.0, "write": 0.0}  # in the current window

    # what the caller asked for is kept: paced calls set their own timeout, then restore it
    def settimeout(self, value: float | None) -> None:
        self.caller_timeout = value
        super().settimeout(value)

    def setblocking(self, flag: bool) -> None:
        self.caller_timeout = None if flag else 0.0
        super().setblocking(flag)

    def pace_head(self, deadline: float) -> None:
        """Reads must be done by ``deadline`` (a head the poller judged complete never reads)."""
        self.mode, self.head_deadline, self.expired = "head", deadline, set()

    def pace_request(self, limits: ClientLimits, request: Any = None) -> None:
        """From here the request's body reads and response writes keep the minimum rate; a body
        too slow marks gunicorn's ``request`` to close (its response says so)."""
        self.mode, self.limits, self.expired = "request", limits, set()
        self.request = request
        self.moved = {"read": 0, "write": 0}
        self.waited = {"read": 0.0, "write": 0.0}

    def pace_drain(self) -> None:
        """The application is done: a read over the rate now ends the connection quietly."""
        if self.mode == "request":
            self.mode = "drain"

    def pace_off(self) -> None:
        """A plain socket again."""
        self.mode, self.request = "", None

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if not self._paced(flags, "read"):
            return super().recv(bufsize, flags)
        began = self._arm("read")
        try:
            data = super().recv(bufsize, flags)
        except TimeoutError:
            raise self._too_slow("read") from None
        finally:
            self._disarm("read", began)
        self.moved["read"] += len(data)
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        if not self._paced(flags, "read"):
            return super().recv_into(buffer, nbytes, flags)
        began = self._arm("read")
        try:
            count = super().recv_into(buffer, nbytes, flags)
        except TimeoutError:
            raise self._too_slow("read") from None
        finally:
            self._disarm("read", began)
        self.moved["read"] += count
        return count

    def send(self, data: Any, flags: int = 0) -> int:
        if not self._paced(flags, "write"):
            return super().send(data, flags)
        began = self._arm("write")
        try:
            count = super().send(data, flags)
        except TimeoutError:
            raise self._too_slow("write") from None
        finally:
            self._disarm("write", began)
        self.moved["write"] += count
        return count

    def sendall(self, data: Any, flags: int = 0) -> None:
        if not self._paced(flags, "write"):
            super().sendall(data, flags)
            return
        view = memoryview(data).cast("B")
        while view:
            view = view[self.send(view[:_SEND_PIECE], flags):]

    def _paced(self, flags: int, direction: str) -> bool:
        if not self.mode or flags & socket.MSG_DONTWAIT or self.caller_timeout == 0.0:
            return False
        return direction == "read" or self.mode != "head"

    def _arm(self, direction: str) -> float:
        """Set the timeout this call may wait; raise at once when nothing is left of it."""
        now = time.monotonic()
        if direction in self.expired:
            raise self._too_slow(direction)
        if self.mode == "head":
            left = self.head_deadline - now
        else:
            grace, rate = self.limits.head_timeout, self.limits.min_rate
            left = grace - self.waited[direction]
            if left <= 0 and self.moved[direction] >= grace * rate:
                # the window's waits are used up but it moved enough: a new window
                self.moved[direction], self.waited[direction] = 0, 0.0
                left = grace
        if self.caller_timeout is not None:
            left = min(left, self.caller_timeout)
        if left <= 0:
            raise self._too_slow(direction)
        super().settimeout(left)
        return now

    def _disarm(self, direction: str, began: float) -> None:
        self.waited[direction] += time.monotonic() - began
        with contextlib.suppress(OSError):  # closed meanwhile
            super().settimeout(self.caller_timeout)

    def _too_slow(self, direction: str) -> Exception:
        self.expired.add(direction)
        rate = self.limits.min_rate
        if direction == "write":
            return SlowReader(errno.EPIPE, f"the client took the response slower than {rate} "
                              "bytes/s (min_body_rate_bytes)")
        if self.mode == "request":
            if self.request is not None:
                self.request.force_close()
            return BodyTimeout(f"The request body arrived slower than {rate} bytes/s "
                               "(min_body_rate_bytes); the connection is closed.")
        return TimeoutError(errno.ETIMEDOUT, "client too slow")


class GuardedConn(TConn):  # type: ignore[misc]
    """gunicorn's connection, with the request being received and the worker that counts it."""

    parser: Any  # gunicorn's request parser, made by hand_over()

    def __init__(self, cfg: Any, sock: PacedSocket, client: Any, server: Any,
                 owner: GuardedWorker) -> None:
        super().__init__(cfg, sock, client, server)
        self.owner = owner
        self.peer = client_key(client)
        line_limit = cfg.limit_request_line if cfg.limit_request_line > 0 else 8190
        self.buffer = RequestBuffer(line_limit, started=time.monotonic())
        self.released = False

    def pull(self) -> str:
        """Read what the socket holds, never waiting; the verdict on the request (CLOSED when
        the client went away before completing it)."""
        budget = MAX_HEAD_BYTES + BUFFERED_BODY_BYTES
        while self.buffer.verdict == WAIT and len(self.buffer.data) <= budget:
            try:
                chunk = self.sock.recv(_READ_PIECE, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return CLOSED
            if not chunk:
                return CLOSED
            self.buffer.add(chunk, time.monotonic())
        return self.buffer.verdict

    def send_continue(self) -> None:
        """``100 Continue`` for a client that waits for it before sending its body (gunicorn
        sends another when the application starts; a client ignores an extra 1xx)."""
        self.buffer.continue_sent = True
        with contextlib.suppress(OSError):
            self.sock.send(_CONTINUE, socket.MSG_DONTWAIT)

    def hand_over(self) -> None:
        """Give the complete request to gunicorn's parser (created on the first request)."""
        if self.parser is None:
            self.parser = gunicorn_http.get_parser(self.cfg, self.sock, self.client)
        self.parser.unreader.unread(self.buffer.take())
        self.data_ready = True  # gunicorn's handle() must not wait for data

    def settle(self) -> None:
        """After a request: what the client already sent of the next one is buffered here."""
        leftover = self.parser.unreader.take_buffered() if self.parser is not None else b""
        self.buffer.restart(leftover, time.monotonic() if leftover else None)

    def close(self, graceful: bool = False) -> None:
        if not self.released:
            self.released = True
            self.owner.release(self)
        if graceful and self.owner.on_poller_thread():
            self.owner.close_lingering(self.sock)
        elif graceful:
            gunicorn_util.close_graceful(self.sock)
        else:
            gunicorn_util.close(self.sock)


class GuardedWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker whose threads only ever see complete requests (see the
    module's docstring). Subclasses say their limits in ``client_limits``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = self.client_limits()
        self.waiting: dict[GuardedConn, None] = {}  # receiving a request, in the poller
        self.peers: dict[str, dict[GuardedConn, None]] = {}  # open connections by address
        self.lingering: dict[socket.socket, float] = {}  # half-closed, until the client closes
        self.closed_by_reason: Counter[str] = Counter()
        self.poller_thread = 0
        self.stopping_since: float | None = None
        self.reported = time.monotonic()
        self.next_sweep = 0.0
        self.peers_lock = threading.Lock()

    def client_limits(self) -> ClientLimits:
        """The limits this worker enforces."""
        return ClientLimits()

    def on_poller_thread(self) -> bool:
        """True on the thread that runs the poller (the only one that may touch it)."""
        return threading.get_ident() == self.poller_thread

    def run(self) -> None:
        self.poller_thread = threading.get_ident()
        super().run()

    # -- connections arrive -------------------------------------------------------------------
    def accept(self, listener: Any) -> None:
        try:
            client_sock, address = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            if exc.errno in (errno.EMFILE, errno.ENFILE):  # out of file descriptors
                self.closed_by_reason["out of file descriptors"] += 1
                while self.lingering:
                    self._end_linger(next(iter(self.lingering)))
                self._make_room(None, "out of file descriptors")
                return
            raise
        conn = GuardedConn(self.cfg, PacedSocket.adopt(client_sock), address,
                           listener.getsockname(), self)
        self.nr_conns += 1
        with self.peers_lock:
            peers = self.peers.setdefault(conn.peer, {})
            crowded = len(peers) >= self.limits.max_per_client
        if crowded and not self._make_room(peers, "max_connections_per_client"):
            self.closed_by_reason["refused: max_connections_per_client"] += 1
            self._answer(conn, 503, "Service Unavailable",
                         f"too many connections from {conn.peer} (max_connections_per_client "
                         f"= {self.limits.max_per_client})")
            self.nr_conns -= 1
            conn.close(graceful=True)
            return
        with self.peers_lock:
            self.peers.setdefault(conn.peer, {})[conn] = None
        if self.nr_conns >= self.worker_connections:
            self._make_room(None, "worker_connections")
        self.enqueue_req(conn)

    def enqueue_req(self, conn: GuardedConn) -> None:
        """Submit the connection to the thread pool once its request is complete; until then
        the poller receives it."""
        conn.sock.setblocking(False)
        verdict = conn.pull()
        if verdict == READY:
            conn.hand_over()
            super().enqueue_req(conn)
        elif verdict == WAIT:
            if conn.buffer.needs_continue():
                conn.send_continue()
            if conn.buffer.started is None:
                conn.buffer.started = time.monotonic()
            self.waiting[conn] = None
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 partial(self._on_request_bytes, conn))
        else:
            self._drop(conn, verdict)

    def _on_request_bytes(self, conn: GuardedConn, _sock: Any) -> None:
        verdict = conn.pull()
        if verdict == WAIT:
            if conn.buffer.needs_continue():
                conn.send_continue()
            return
        self._stop_waiting(conn)
        if verdict == READY:
            conn.hand_over()
            super().enqueue_req(conn)
        else:
            self._drop(conn, verdict)

    def _stop_waiting(self, conn: GuardedConn) -> None:
        self.waiting.pop(conn, None)
        self._unregister(conn.sock)

    def _drop(self, conn: GuardedConn, verdict: str) -> None:
        self.nr_conns -= 1
        if verdict == TOO_LARGE:
            self.closed_by_reason["request head too large"] += 1
            self._answer(conn, 431, "Request Header Fields Too Large",
                         f"request head larger than {MAX_HEAD_BYTES} bytes")
            conn.close(graceful=True)  # the answer is not lost to a reset
        else:
            conn.close()

    # -- worker threads -----------------------------------------------------------------------
    def handle(self, conn: GuardedConn) -> Any:
        conn.sock.pace_head(time.monotonic() + self.limits.head_timeout)
        try:
            return super().handle(conn)
        finally:
            conn.sock.pace_off()
            conn.settle()

    def handle_request(self, req: Any, conn: GuardedConn) -> Any:
        conn.sock.pace_request(self.limits, req)
        try:
            return super().handle_request(req, conn)
        finally:
            conn.sock.pace_drain()

    def next_request_buffered(self, conn: GuardedConn, linger: float) -> bool:
        """On a worker thread after a response: True when the connection's next request is
        complete within ``linger`` seconds (then this thread serves it too); False hands the
        connection back to the poller, with whatever arrived of it."""
        deadline = time.monotonic() + linger
        conn.sock.setblocking(False)  # handle() makes it blocking again
        while True:
            verdict = conn.pull()
            if verdict == READY:
                conn.hand_over()
                return True
            if verdict != WAIT:
                return False
            if conn.buffer.needs_continue():
                conn.send_continue()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                readable, _, _ = select.select([conn.sock], [], [], remaining)
            except (OSError, ValueError):
                return False
            if not readable:
                return False

    def finish_request(self, conn: GuardedConn, fs: Any) -> None:
        """gunicorn's, but a kept-alive connection with the start of its next request already
        buffered goes on receiving it (its socket may never turn readable again)."""
        if (not fs.cancelled() and fs.exception() is None and fs.result() is True
                and conn.buffer.data):
            self.enqueue_req(conn)
            return
        super().finish_request(conn, fs)

    # -- limits -------------------------------------------------------------------------------
    def _make_room(self, peers: dict[GuardedConn, None] | None, reason: str) -> bool:
        """Close the oldest idle connection (of ``peers``, or of all): one still sending its
        request, else one kept alive between requests. False when all are busy."""
        with self.peers_lock:
            candidates = list(peers) if peers is not None else list(self.waiting)
        victim = next((c for c in candidates if c in self.waiting), None)
        if victim is None:
            kept = set(self.keepalived_conns)
            pool: Iterable[GuardedConn] = candidates if peers is not None else \
                self.keepalived_conns
            victim = next((c for c in pool if c in kept), None)
            if victim is None:
                return False
            self.keepalived_conns.remove(victim)
            self._unregister(victim.sock)
        else:
            self._stop_waiting(victim)
        self.closed_by_reason[f"replaced: {reason}"] += 1
        self.nr_conns -= 1
        if victim.buffer.data:
            self._answer(victim, 503, "Service Unavailable",
                         f"connection closed to make room for a newer one ({reason})")
            victim.close(graceful=True)
        else:
            victim.close()
        return True

    def release(self, conn: GuardedConn) -> None:
        """Forget a closing connection in the per-address counts."""
        with self.peers_lock:
            peers = self.peers.get(conn.peer)
            if peers is not None:
                peers.pop(conn, None)
                if not peers:
                    del self.peers[conn.peer]

    def murder_pending(self) -> None:
        """gunicorn's, plus the deadlines of requests being received and lingering closes."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self.stopping_since is None:
            self.stopping_since = now
            websocket.STOPPING.set()  # open terminals and debuggers let go
        if now < self.next_sweep and self.stopping_since is None:
            return
        self.next_sweep = now + SWEEP_EVERY
        for conn in list(self.waiting):
            buffer = conn.buffer
            if self.stopping_since is None:
                if now < buffer.deadline(self.limits, now) or buffer.renew(self.limits, now):
                    continue
            elif buffer.data and now < min(buffer.deadline(self.limits, now),
                                           self.stopping_since + STOP_LINGER):
                continue
            self._stop_waiting(conn)
            self.nr_conns -= 1
            if conn.buffer.data:
                self.closed_by_reason["request_head_timeout_seconds" if conn.buffer.head_done
                                      is None else "min_body_rate_bytes"] += 1
                self._answer(conn, 408, "Request Timeout", self._timeout_message(conn))
                conn.close(graceful=True)
            else:
                conn.close()
        for sock, deadline in list(self.lingering.items()):
            if now >= deadline:
                self._end_linger(sock)
        self._report(now)

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        if force:
            for conn in list(self.waiting):
                self._stop_waiting(conn)
                self.nr_conns -= 1
                conn.close()
            for sock in list(self.lingering):
                self._end_linger(sock)

    def _timeout_message(self, conn: GuardedConn) -> str:
        if conn.buffer.head_done is None:
            return (f"request head not complete within {self.limits.head_timeout:g} s "
                    "(request_head_timeout_seconds)")
        return (f"request body arrived slower than {self.limits.min_rate} bytes/s "
                "(min_body_rate_bytes)")

    def _answer(self, conn: GuardedConn, status: int, reason: str, message: str) -> None:
        """An error response, if the socket takes it now (never waiting)."""
        try:
            conn.sock.setblocking(False)
            gunicorn_util.write_error(conn.sock, status, reason, message)
        except OSError:
            pass

    def _report(self, now: float) -> None:
        if now - self.reported < REPORT_EVERY:
            return
        self.reported = now
        if self.closed_by_reason:
            details = ", ".join(f"{n} {why}" for why, n in sorted(self.closed_by_reason.items()))
            log.warning("closed slow or surplus client connections in the last %d s: %s",
                        REPORT_EVERY, details)
            self.closed_by_reason.clear()

    # -- closing ------------------------------------------------------------------------------
    def close_lingering(self, sock: socket.socket) -> None:
        """Half-close, then let the poller drain what the client still sends until it closes
        too (or ``CLOSE_LINGER`` has passed): its last response is not cut off by a reset."""
        try:
            sock.setblocking(False)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            gunicorn_util.close(sock)
            return
        if self._drained(sock):
            gunicorn_util.close(sock)
            return
        if len(self.lingering) >= MAX_LINGERING:
            self._end_linger(next(iter(self.lingering)))
        self.lingering[sock] = time.monotonic() + CLOSE_LINGER
        self.poller.register(sock, selectors.EVENT_READ, self._on_lingering)

    def _on_lingering(self, sock: socket.socket) -> None:
        if self._drained(sock):
            self._end_linger(sock)

    def _end_linger(self, sock: socket.socket) -> None:
        self.lingering.pop(sock, None)
        self._unregister(sock)
        gunicorn_util.close(sock)

    def _unregister(self, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(sock)

    @staticmethod
    def _drained(sock: socket.socket) -> bool:
        """Read what is there; True once the client has closed (or the socket failed)."""
        while True:
            try:
                if not sock.recv(_READ_PIECE, socket.MSG_DONTWAIT):
                    return True
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                return True
