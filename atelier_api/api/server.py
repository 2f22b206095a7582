"""Server info, login and logout: ``GET`` and ``HEAD /api/atelier/``."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint
from werkzeug.datastructures import MultiDict

from atelier_api.api.common import doc_response, respond, services
from atelier_api.api.schemas.server import ServerEnvelopeSchema
from atelier_api.version import API_VERSION, version_string

blp = Blueprint("server", __name__, url_prefix="/api/atelier",
                description="Server information, login (HEAD with Basic auth sets the session "
                            "cookie) and logout (?CacheLogout=end).")
FEATURES = [{"name": "DEEPSEE", "enabled": False}, {"name": "ENSEMBLE", "enabled": False},
            {"name": "HEALTHSHARE", "enabled": False}]
#: IRIS's reserved logout parameters, compared without letter case (IrisLogout, CACHELOGOUT).
LOGOUT_PARAMS = ("cachelogout", "irislogout")


def asks_logout(args: MultiDict[str, str]) -> bool:
    """True when a query string asks to end the session, by IRIS's rule: ``CacheLogout``
    or ``IRISLogout`` with any value but ``cookie`` (which only drops a login cookie, a
    thing this server does not issue). Any request under /api/atelier/ may carry it, GET
    and HEAD alike; the session ends once that request is answered."""
    return any(name.lower() in LOGOUT_PARAMS and value.strip().lower() != "cookie"
               for name, value in args.items(multi=True))


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
    return respond()  # the app's after-request hook ends the session (``asks_logout``)


__all__ = ["blp", "API_VERSION"]
