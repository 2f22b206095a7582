"""Namespace info and the %SYS endpoints: jobs, metadata, cspapps, cspdebugid."""

from __future__ import annotations

from flask import Response, current_app, g
from flask_smorest import Blueprint

from atelier_api.adapters.system_library import bound
from atelier_api.api.common import (
    doc_response,
    error_responses,
    flag,
    require_sys,
    respond,
    services,
    store_for,
    versioned,
)
from atelier_api.api.schemas.documents import EnvelopeSchema
from atelier_api.api.schemas.server import NamespaceEnvelopeSchema
from atelier_api.compile.lookups import Lookups
from atelier_api.compile.metadata import MANIFEST, MetadataArchives, Source
from atelier_api.documents.store import ListQuery
from atelier_api.errors import ENVELOPE_HEADERS, NotFound

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


ZIP_MIMETYPE = "application/zip"
_errors = error_responses({401: "not logged in", 404: "not %SYS, or no such database",
                           501: "the compiler adapter does not support action/index"})


@blp.route(NS + "/metadata/<database>", methods=["GET"])
@doc_response(200, schema={"type": "string", "format": "binary"}, content_type=ZIP_MIMETYPE,
              description=f"the bytes of the database's METADATA.zip: {MANIFEST} "
                          '({"database", "server", "api", "classes": [names]}) and one '
                          "index/<Pkg.Name.cls>.json per class holding its action/index "
                          "entry")
@_errors(401, 404, 501)
@versioned(1)
def metadata(ns: str, database: str) -> Response:
    """GetMetaData: METADATA.zip of a database, the index of its classes (%SYS only).

    A database is that of a namespace (USER, IRISSYS, a configured ``db``) or a library
    database of the compiler adapter's system classes (IRISLIB, ENSLIB); any other name is a
    404. The archive holds each class's action/index entry (Atelier's own file format is not
    documented; this is the same information in this server's terms).
    """
    require_sys(ns)
    svc = services()
    wanted = database.upper()
    sources = []
    for name, store in svc.stores.items():
        if store.db.upper() == wanted:
            listed = store.list(ListQuery(cats=frozenset({"CLS"})))
            sources.append(Source(_lookups(name), tuple((i.name, i.ts) for i in listed)))
    system = store_for("%SYS")
    library = bound(system).entries()
    spellings = {db.upper(): db for db in [*(e.db for e in library),
                                           *(s.db for s in svc.stores.values())]}
    if wanted not in spellings:
        raise NotFound(f"Database '{database}' does not exist")
    shipped = tuple((e.name, e.ts) for e in library
                    if e.db.upper() == wanted and e.name.lower().endswith(".cls"))
    if shipped:
        sources.append(Source(_lookups(system.namespace), shipped))
    data = _archives().archive(spellings[wanted], sources)
    resp = Response(data, status=200, mimetype=ZIP_MIMETYPE)
    resp.headers.update(ENVELOPE_HEADERS)
    resp.headers["Content-Disposition"] = 'attachment; filename="METADATA.zip"'
    return resp


def _lookups(namespace: str) -> Lookups:
    service = services().compiling[namespace]
    return Lookups(service.store, service.catalog, services().compiler)


def _archives() -> MetadataArchives:
    """The app's archive builder (keeps the last archives built)."""
    return current_app.extensions.setdefault(  # type: ignore[no-any-return]
        "atelier-metadata", MetadataArchives())


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
