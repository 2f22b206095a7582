"""Server info, login and logout: ``GET`` and ``HEAD /api/atelier/``."""

from __future__ import annotations

from flask import Response, g, request
from flask_smorest import Blueprint

from atelier_api.api.common import doc_response, respond, services
from atelier_api.api.schemas.server import ServerEnvelopeSchema
from atelier_api.version import API_VERSION, version_string

blp = Blueprint("server", __name__, url_prefix="/api/atelier",
                description="Server information, login (HEAD with Basic auth sets the session "
                            "cookie) and logout (?CacheLogout=end).")
FEATURES = [{"name": "DEEPSEE", "enabled": False}, {"name": "ENSEMBLE", "enabled": False},
            {"name": "HEALTHSHARE", "enabled": False}]
LOGOUT_PARAMS = ("CacheLogout", "IRISLogout")


@blp.route("/", methods=["GET"])
@doc_response(200, schema=ServerEnvelopeSchema, description="version, api, namespaces")
def get_server() -> Response:
    """GetServer: version string, API level, features and the namespaces of this user."""
    if request.method == "HEAD":  # werkzeug gives every GET rule HEAD too, matched first
        return head_server()  # type: ignore[no-any-return]
    svc = services()
    content = {"version": version_string(), "id": svc.server_id, "api": API_VERSION,
               "features": FEATURES, "namespaces": sorted(svc.stores)}
    return respond({"content": content})


@blp.route("/", methods=["HEAD"])
@doc_response(200, description="logged in: Set-Cookie carries the session cookie; or "
                  "logged out with ?CacheLogout=end")
@doc_response(401, description="bad or missing credentials")
@blp.doc(parameters=[{"in": "query", "name": "CacheLogout", "schema": {"type": "string",
                                                                          "enum": ["end"]}}])
def head_server() -> Response:
    """HeadServer: the login ping; with ``CacheLogout=end`` it ends the session."""
    if any(request.args.get(p, "").lower() == "end" for p in LOGOUT_PARAMS):
        sessions = services().sessions
        sessions.close(g.session)
        g.new_session = False
        return respond(headers={"Set-Cookie": sessions.expire_cookie_value()})
    return respond()


__all__ = ["blp", "API_VERSION"]
