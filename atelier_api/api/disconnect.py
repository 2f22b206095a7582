"""Whether the client of a request went away (for work that runs while the client waits).

A synchronous ``action/search`` waits for its search (in a child process or chunk by chunk in
the request thread); when its client disconnects there is nobody to answer, so the search
stops at its next check instead of running on to its time limit (the views hand the check to
the services as a plain callable: the services never look at the web request).

The WSGI server hands the client's socket to the request (gunicorn:
``environ["gunicorn.socket"]``); a non-blocking peek at it tells whether the client closed
the connection: readable with nothing to read is the end of the stream (a pipelined next
request is data, not an end).

``client_gone`` works on any socket, ``request_gone`` finds the current request's.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable
from typing import Any

from flask import has_request_context, request


def client_gone(sock: Any) -> bool:
    """True when the peer of a connected socket has closed it (or reset it)."""
    try:
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)
        events = poller.poll(0)
        if not events:
            return False
        if events[0][1] & (select.POLLHUP | select.POLLERR | select.POLLNVAL) and not (
                events[0][1] & select.POLLIN):
            return True
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"")
    except (BlockingIOError, InterruptedError):
        return False
    except ConnectionError:
        return True
    except (OSError, ValueError, AttributeError):  # no such socket, or one that cannot peek
        return False


def request_gone() -> Callable[[], bool]:
    """A check whether the client of the current request went away (always False outside a
    request or when the server gives no socket)."""
    sock = request.environ.get("gunicorn.socket") if has_request_context() else None
    if sock is None:
        return lambda: False
    return lambda: client_gone(sock)
