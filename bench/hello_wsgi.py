"""A bare WSGI app: the transport floor of gunicorn's gthread worker (context rows only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b'{"status":"ok"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer every request with the same tiny JSON body."""
    start_response("200 OK", HEADERS)
    return [BODY]
