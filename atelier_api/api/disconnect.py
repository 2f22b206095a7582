"""Whether the client of a request went away, for work that runs while the client waits.

A synchronous ``action/search`` or an SQL statement of ``action/query`` runs while its client
waits; when the client disconnects there is nobody to answer, so the work stops at its next
check instead of running on to its time limit. The views hand the check to the services as a
plain callable: the services never look at the web request.

The WSGI server hands the client's socket to the request (gunicorn:
``environ["gunicorn.socket"]``, werkzeug's development server: ``werkzeug.socket``). It is
polled without reading: a hang-up, an error or the peer's end of stream (``POLLRDHUP`` on
Linux; elsewhere a one-byte peek that reads nothing) means the client is gone. Bytes of a next
request on the same connection do not; a client that half-closes its side after sending the
request counts as gone.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable

from flask import has_request_context, request

#: the peer closed or reset the connection (POLLRDHUP: Linux, the peer sent its FIN)
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL | getattr(select, "POLLRDHUP", 0)
_RDHUP = bool(getattr(select, "POLLRDHUP", 0))


def client_gone(sock: socket.socket) -> bool:
    """True when the peer of a connected socket has closed it (or reset it)."""
    fd = sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | _GONE)
    for _fd, events in poller.poll(0):
        if events & _GONE:
            return True
        if events & select.POLLIN and not _RDHUP:
            return _eof(sock)
    return False


def _eof(sock: socket.socket) -> bool:
    """Where POLLRDHUP is missing: peek one byte; end of stream is an empty read."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except ConnectionError:
        return True
    except (OSError, ValueError):  # a TLS socket cannot peek
        return False


def request_gone_check() -> Callable[[], bool] | None:
    """A check that the current request's client went away; None outside a request, or when
    the server gives no socket (or the platform has no ``poll``)."""
    if not has_request_context():
        return None
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if not isinstance(sock, socket.socket) or not hasattr(select, "poll"):
        return None
    return lambda: client_gone(sock)


def request_gone() -> Callable[[], bool]:
    """``request_gone_check``, always callable (never gone when there is no socket)."""
    return request_gone_check() or (lambda: False)
