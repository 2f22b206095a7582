"""Operator endpoints, outside ``/api/atelier/``: sandbox status, reset, and the change list.

Basic auth with the server's credentials on every call (no session cookie: operators script
these with curl), checked by the app's authentication hook under the login throttle. Bodies
are the Atelier envelope, like every other answer of this server. This blueprint also keeps
the idle clock: each request to ``/api/atelier/`` is API activity.
"""

from __future__ import annotations

from flask import Response, g, request
from flask_smorest import Blueprint

from atelier_api import operations
from atelier_api.api.common import API_PREFIX, doc_response, respond, services
from atelier_api.api.schemas.documents import EnvelopeSchema

blp = Blueprint("operator", __name__, url_prefix="/operator",
                description="Operator endpoints (Basic auth): lifecycle status, reset of a "
                            "namespace to its original state, and the documents changed "
                            "through the API since then.")


@blp.before_app_request
def activity_begins() -> None:
    """A request to the API keeps the sandbox from going idle while it runs."""
    path = request.path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        services().lifecycle.begin()
        g.atelier_activity = True


@blp.teardown_app_request
def activity_ends(_exc: BaseException | None) -> None:
    """The request ended: the idle clock starts again from now."""
    if g.pop("atelier_activity", False):
        services().lifecycle.end()


@blp.route("/status", methods=["GET"])
@doc_response(200, schema=EnvelopeSchema, description="result: uptime, lifetime left, "
                  "idle seconds, start mode, draining, and each namespace's source")
@doc_response(401, schema=EnvelopeSchema, description="bad or missing credentials")
def status() -> Response:
    """How long this sandbox may live, how long it has been idle, where its code comes from."""
    return respond(operations.status(services()))


@blp.route("/changes/<string:namespace>", methods=["GET"])
@doc_response(200, schema=EnvelopeSchema, description='result: {"added": [names], '
                  '"modified": [...], "deleted": [...], "original": commit or snapshot}')
@doc_response(401, schema=EnvelopeSchema, description="bad or missing credentials")
@doc_response(404, schema=EnvelopeSchema, description="unknown namespace")
def changes(namespace: str) -> Response:
    """Documents added, modified or deleted since the original state, to pull them back."""
    return respond(operations.changes(services(), namespace))


@blp.route("/reset/<string:namespace>", methods=["POST"])
@doc_response(200, schema=EnvelopeSchema, description="result.undone: the documents the "
                  "reset added back, restored or removed")
@doc_response(401, schema=EnvelopeSchema, description="bad or missing credentials")
@doc_response(404, schema=EnvelopeSchema, description="unknown namespace")
def reset(namespace: str) -> Response:
    """Bring a namespace back to its original state (the cloned commit or first snapshot)."""
    return respond(operations.reset(services(), namespace))
