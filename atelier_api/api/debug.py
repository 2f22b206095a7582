"""The debugger: ``GET /api/atelier/vN/%SYS/debug`` upgraded to a WebSocket (every API
version), on the REST port and path prefix, authenticated like every API request (the
session cookie VS Code sends, or Basic). DBGp commands in (text or binary messages),
``<length>|<base64 of the XML>`` packets out, one message each; the protocol is
``run.debug``'s (docs/debugger.md)."""

from __future__ import annotations

from flask import Response, g, request
from flask_smorest import Blueprint

from atelier_api.api.common import doc_response, error_responses, services, versioned
from atelier_api.api.websocket import Finished, WebSocket, check_handshake, raw_socket
from atelier_api.errors import NotFound
from atelier_api.run import dbgp
from atelier_api.run.debug import DebugConnection
from atelier_api.version import __version__, version_string

blp = Blueprint("debug", __name__, url_prefix="/api/atelier",
                description="The DBGp debugger over a WebSocket (every API version): launch "
                            "a program, or attach to a terminal or a unit-test run "
                            "(docs/debugger.md).")
NS = "/v<int:version>/<ns>"
ERRORS = {400: "not a WebSocket handshake", 401: "not logged in",
          404: "a namespace other than %SYS in the path",
          501: "the compiler adapter cannot run code"}
_errors = error_responses(ERRORS)


@blp.route(NS + "/debug", methods=["GET"], websocket=True)
@doc_response(101, description="Switching Protocols: the debugger's WebSocket (DBGp "
                               "commands in, length|base64(XML) packets out)")
@_errors(400, 401, 404, 501)
@versioned(1)
def debug(ns: str) -> Response:
    """Open a debugger connection (WebSocket)."""
    if ns.upper() != "%SYS":
        raise NotFound(f"The debugger is served under %SYS only, not '{ns}'")
    runs = services().runs
    assert runs is not None
    accept = check_handshake()
    if not runs.available():
        runs.check()  # the 501, before the handshake is answered
    sock = raw_socket()
    socket_ = WebSocket(sock, accept,
                        send_timeout=float(services().settings.request_head_timeout_seconds))
    socket_.keep_bytes = True
    session = g.get("session")
    user = getattr(session, "user", "") or services().settings.username
    connection = DebugConnection(
        runs, user=user, device=request.remote_addr or "", zversion=version_string(),
        engine_version=__version__,
        send=lambda xml: socket_.send_text(dbgp.frame(xml).decode("ascii")))
    try:
        connection.start()
        socket_.serve(connection.on_message, connection.watched, connection.pump,
                      lambda: connection.closed)
    finally:
        connection.close()
        socket_.close()
    return Finished()
