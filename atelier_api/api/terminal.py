"""The Lite Terminal: ``GET /api/atelier/vN/%SYS/terminal`` upgraded to a WebSocket (N >= 7),
on the REST port and path prefix, authenticated like every API request (the session cookie
VS Code sends, or Basic). The protocol is ``run.terminal``'s; one session process each."""

from __future__ import annotations

import json

from flask import Response, g, request
from flask_smorest import Blueprint

from atelier_api.api.common import doc_response, error_responses, services, versioned
from atelier_api.api.websocket import Finished, WebSocket, check_handshake, raw_socket
from atelier_api.errors import NotFound
from atelier_api.run.terminal import Terminal
from atelier_api.version import version_string

blp = Blueprint("terminal", __name__, url_prefix="/api/atelier",
                description="The Lite Terminal over a WebSocket (API v7 and up): one "
                            "ObjectScript process per terminal (docs/runtime.md).")
NS = "/v<int:version>/<ns>"
ERRORS = {400: "not a WebSocket handshake", 401: "not logged in",
          404: "a namespace other than %SYS in the path, or an API version below 7",
          501: "the compiler adapter cannot run code",
          503: "every session slot is taken (max_run_sessions)"}
_errors = error_responses(ERRORS)


@blp.route(NS + "/terminal", methods=["GET"], websocket=True)
@doc_response(101, description="Switching Protocols: the terminal's WebSocket (JSON text "
                               "messages: init, config, prompt, read, output, color, "
                               "interrupt, error)")
@_errors(400, 401, 404, 501, 503)
@versioned(7)
def terminal(ns: str) -> Response:
    """Open a Lite Terminal (WebSocket)."""
    if ns.upper() != "%SYS":
        raise NotFound(f"The terminal is served under %SYS only, not '{ns}'")
    runs = services().runs
    assert runs is not None
    accept = check_handshake()
    runs.check()  # 501 / 503 before the handshake is answered
    sock = raw_socket()
    # a client that takes nothing of what is sent for this long is disconnected, the same
    # window a slow HTTP client gets
    socket_ = WebSocket(sock, accept,
                        send_timeout=float(services().settings.request_head_timeout_seconds))
    session = g.get("session")
    user = getattr(session, "user", "") or services().settings.username
    term = Terminal(runs, user=user, device=request.remote_addr or "", version=version_string(),
                    send=lambda message: socket_.send_text(json.dumps(message)))
    try:
        term.start()
        socket_.serve(term.on_text, lambda: [term.run.session] if term.run else [],
                      term.pump, lambda: term.closed)
    finally:
        term.close()
        socket_.close()
    return Finished()
