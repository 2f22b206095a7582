"""Namespace info and the %SYS endpoints: jobs, cspapps, cspdebugid."""

from __future__ import annotations

from flask import Response, g
from flask_smorest import Blueprint

from atelier_api.api.common import (
    doc_response,
    flag,
    require_sys,
    respond,
    services,
    store_for,
    versioned,
)
from atelier_api.api.schemas.documents import EnvelopeSchema
from atelier_api.api.schemas.server import NamespaceEnvelopeSchema
from atelier_api.errors import NotFound

blp = Blueprint("system", __name__, url_prefix="/api/atelier",
                description="Namespace information and server-level (%SYS) endpoints.")
NS = "/v<int:version>/<ns>"
NS_FEATURES = [{"name": "ENSEMBLE", "enabled": False}]  # ENSEMBLE must come first


@blp.route(NS, methods=["GET"])
@doc_response(200, schema=NamespaceEnvelopeSchema, description="databases and features")
@doc_response(404, schema=EnvelopeSchema, description="unknown namespace")
@versioned(1)
def namespace_info(ns: str) -> Response:
    """GetNamespace: the databases mapped into the namespace and its features."""
    store = store_for(ns)
    db = [{"name": store.db, "crhash": store.crhash, "default": True, "dbsys": False}]
    return respond({"content": {"name": store.namespace, "db": db, "features": NS_FEATURES}})


@blp.route(NS + "/jobs", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "system", "schema": {"type": "integer",
                                                                    "enum": [0, 1]}}])
@doc_response(200, schema=EnvelopeSchema, description="result.content: running work")
@versioned(1)
def jobs(ns: str) -> Response:
    """GetJobs: this sandbox's own running work (requests, jobs, the server itself)."""
    require_sys(ns)
    rows = services().jobs.rows(flag("system"))
    return respond({"content": [r.to_dict() for r in rows]})


@blp.route(NS + "/cspapps", methods=["GET"], defaults={"target": None})
@blp.route(NS + "/cspapps/<target>", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "detail", "schema": {"type": "integer",
                                                                    "enum": [0, 1]}}])
@doc_response(200, schema=EnvelopeSchema, description="web application paths, or "
                  "{name, default} objects with detail=1")
@versioned(1)
def cspapps(ns: str, target: str | None) -> Response:
    """GetCSPApps: web applications of one namespace or of all."""
    require_sys(ns)
    stores = [store_for(target)] if target else list(services().stores.values())
    detail = flag("detail")
    content: list[object] = []
    for store in stores:
        for index, app in enumerate(store.layout.webapps):
            content.append({"name": app.path, "default": index == 0} if detail else app.path)
    return respond({"content": content})


@blp.route(NS + "/cspdebugid", methods=["GET"])
@doc_response(200, schema=EnvelopeSchema, description="result.content: a number")
@versioned(2)
def cspdebugid(ns: str) -> Response:
    """GetCSPDebugId: the id a debugger attaches to as CSPDEBUG:<id> (one per session)."""
    require_sys(ns)
    session = getattr(g, "session", None)
    if session is None:
        raise NotFound("No session")
    return respond({"content": session.debug_id})
