"""Document endpoints: doc (GET/PUT/DELETE/HEAD), docs, docnames, modified."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from atelier_api.api.common import (
    body_bytes,
    doc_response,
    error_responses,
    flag,
    json_body,
    name_list_body,
    respond,
    store_for,
    versioned,
)
from atelier_api.api.schemas.documents import (
    NAME_ARRAY,
    DeleteDocsEnvelopeSchema,
    DocNamesEnvelopeSchema,
    DocumentEnvelopeSchema,
    EnvelopeSchema,
    ModifiedItemSchema,
    PutDocBodySchema,
)
from atelier_api.documents.names import CATEGORIES, ROUTINE_EXTS
from atelier_api.documents.store import ListQuery
from atelier_api.documents.tsindex import parse_ts
from atelier_api.errors import BadRequest

blp = Blueprint("documents", __name__, url_prefix="/api/atelier",
                description="Documents: read, save, delete and list classes, routines, web "
                            "files and other documents.")
NS = "/v<int:version>/<ns>"
ERRORS = {400: "invalid document name or malformed request", 401: "not logged in",
          404: "no such document or namespace", 415: "body is not application/json"}


_doc_errors = error_responses(ERRORS)
#: One schema instance for every save: building one per request costs more than loading.
_PUT_BODY = PutDocBodySchema()


def _etag(ts: str) -> dict[str, str]:
    return {"ETag": f'"{ts}"'}


@blp.route(NS + "/doc/<docname:name>", methods=["GET"])
@doc_response(200, schema=DocumentEnvelopeSchema, description="the document")
@doc_response(304, description="If-None-Match equals the document's ts; no body")
@_doc_errors(400, 401, 404)
@blp.doc(parameters=[
    {"in": "query", "name": "binary", "schema": {"type": "integer", "enum": [0, 1]},
     "description": "1: base64 chunks (enc true) even for text"},
    {"in": "query", "name": "format", "schema": {"type": "string",
                                                 "enum": ["udl", "udl-multiline", "xml"]}},
    {"in": "query", "name": "storageOnly", "schema": {"type": "integer", "enum": [0, 1]},
     "description": "classes: only the Storage sections, flags 1"},
    {"in": "header", "name": "If-None-Match", "schema": {"type": "string"},
     "description": "a ts; 304 when it is the document's current ts"}])
@versioned(1)
def get_doc(ns: str, name: str) -> Response:
    """GetDoc: read a document as text lines or base64 chunks."""
    if request.method == "HEAD":  # werkzeug gives every GET rule HEAD too, matched first
        return _head(ns, name)
    fmt = request.args.get("format") or "udl"
    doc = store_for(ns).get(name, binary=flag("binary"), fmt=fmt,
                            storage_only=flag("storageOnly"))
    if _matches(request.headers.get("If-None-Match"), doc.ts):
        resp = Response(status=304)
        resp.headers.update(_etag(doc.ts))
        return resp
    return respond(doc.to_dict(), headers=_etag(doc.ts))


def _matches(header: str | None, ts: str) -> bool:
    if not header or not ts:
        return False
    wanted = parse_ts(ts)
    return any(parse_ts(tag) == wanted for tag in header.split(","))


@blp.route(NS + "/doc/<docname:name>", methods=["HEAD"])
@doc_response(200, description="exists; ETag carries its ts")
@_doc_errors(400, 401, 404)
@versioned(1)
def head_doc(ns: str, name: str) -> Response:
    """HeadDoc: existence and ETag without the content."""
    return _head(ns, name)


def _head(ns: str, name: str) -> Response:
    return respond(headers=_etag(store_for(ns).ts_of(name)))


@blp.route(NS + "/doc/<docname:name>", methods=["PUT"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": PutDocBodySchema}}}, parameters=[
    {"in": "query", "name": "ignoreConflict", "schema": {"type": "integer", "enum": [0, 1]},
     "description": "1: save without the timestamp check"},
    {"in": "header", "name": "If-None-Match", "schema": {"type": "string"},
     "description": "the ts the client last saw; required to update unless ignoreConflict=1"}])
@doc_response(200, schema=DocumentEnvelopeSchema, description="updated (or soft error in "
                  "result.status, nothing written)")
@doc_response(201, schema=DocumentEnvelopeSchema, description="created")
@doc_response(409, schema=DocumentEnvelopeSchema,
                  description="changed on the server since If-None-Match; result is the "
                              "server's copy")
@_doc_errors(400, 401, 415)
@versioned(1)
def put_doc(ns: str, name: str) -> Response:
    """PutDoc: create or update a document under compare-and-swap."""
    store = store_for(ns)
    loc = store.locate(name)  # an invalid name is a 400 before the body is even parsed
    body = json_body(_PUT_BODY, expect=dict)
    outcome = store.put(loc, body["content"], enc=body["enc"],
                        if_match=request.headers.get("If-None-Match"),
                        ignore_conflict=flag("ignoreConflict"))
    headers = _etag(outcome.doc.ts) if outcome.doc.ts else {}
    return respond(outcome.doc.to_dict(), status=201 if outcome.created else 200,
                   console=list(outcome.console), headers=headers)


@blp.route(NS + "/doc/<docname:name>", methods=["DELETE"])
@doc_response(200, schema=DocumentEnvelopeSchema, description="deleted; ts is ''")
@_doc_errors(400, 401, 404)
@versioned(1)
def delete_doc(ns: str, name: str) -> Response:
    """DeleteDoc: delete one document."""
    return respond(store_for(ns).delete(name).to_dict())


@blp.route(NS + "/docs", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": NAME_ARRAY}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: document objects; "
                  "per-document errors in their status")
@_doc_errors(400, 401, 415)
@versioned(1)
def get_docs(ns: str) -> Response:
    """GetDocs: read many documents."""
    store = store_for(ns)
    docs = store.get_many(name_list_body())
    return respond({"content": [d.to_dict() for d in docs]})


@blp.route(NS + "/docs", methods=["DELETE"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": NAME_ARRAY}}})
@doc_response(200, schema=DeleteDocsEnvelopeSchema, description="per-item status")
@_doc_errors(400, 401, 415)
@versioned(1)
def delete_docs(ns: str) -> Response:
    """DeleteDocs: delete many documents; ``result`` is an array."""
    store = store_for(ns)
    return respond([o.to_dict() for o in store.delete_many(name_list_body())])


@blp.route(NS + "/docnames", methods=["GET"], defaults={"cat": "*", "type": "*"})
@blp.route(NS + "/docnames/<cat>", methods=["GET"], defaults={"type": "*"})
@blp.route(NS + "/docnames/<cat>/<type>", methods=["GET"])
@blp.doc(parameters=[
    {"in": "query", "name": "generated", "schema": {"type": "integer", "enum": [0, 1]}},
    {"in": "query", "name": "filter", "schema": {"type": "string"},
     "description": "case-insensitive substring of the name, or a glob with * and ?"}])
@doc_response(200, schema=DocNamesEnvelopeSchema, description="the documents")
@_doc_errors(400, 401, 404)
@versioned(1)
def docnames(ns: str, cat: str, type: str) -> Response:  # noqa: A002 - the route's name
    """GetDocNames: list documents by category and type."""
    type_ = "" if _empty_type_segment() else type
    query = ListQuery(*_cat_and_exts(cat, type_), generated=flag("generated"),
                      filter=request.args.get("filter", ""))
    entries = store_for(ns).list(query)
    return respond({"content": [e.to_dict() for e in entries]})


def _empty_type_segment() -> bool:
    """``docnames/CLS/``: an explicitly empty type is a 400 (as on IRIS), not "all types"."""
    rule = request.url_rule
    return request.path.endswith("/") and rule is not None and rule.rule.endswith("<cat>")


def _cat_and_exts(cat: str, type_: str) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    cat = cat.upper()
    if cat != "*" and cat not in CATEGORIES:
        raise BadRequest(f"Unknown category '{cat}'; use CLS, RTN, CSP, OTH or *")
    exts = None if type_ == "*" else _ext_list(type_)
    if cat == "RTN" and exts is not None and not exts <= ROUTINE_EXTS:
        raise BadRequest(f"Routine types are {', '.join(sorted(ROUTINE_EXTS))}, not '{type_}'")
    if cat == "CLS" and exts is not None and exts != {"cls"}:
        raise BadRequest("The type of category CLS must be '*'")
    return (None if cat == "*" else frozenset({cat})), exts


def _ext_list(type_: str) -> frozenset[str]:
    items = [t.strip().lower().lstrip(".") for t in type_.split(",")]
    if not type_ or any(not t for t in items):
        raise BadRequest("Empty document type; omit the segment or use '*'")
    return frozenset(items)


@blp.route(NS + "/modified/<type>", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": ModifiedItemSchema(many=True)}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: per database, the "
                  "documents changed since the given dbhash")
@_doc_errors(400, 401, 415)
@versioned(1)
def modified(ns: str, type: str) -> Response:  # noqa: A002
    """GetModifiedDocNames: what changed since the database hashes a client holds."""
    if not body_bytes():
        raise BadRequest("Request body is empty; send [] to get every document")
    items = json_body(ModifiedItemSchema(many=True), expect=list)
    store = store_for(ns)
    exts = None if type == "*" else _ext_list(type)
    if exts is not None and not exts <= ROUTINE_EXTS | {"cls"}:
        raise BadRequest(f"Unknown type '{type}' for modified; use * or cls, mac, int, inc, "
                         "bas, mvi")
    entries = store.list(ListQuery(exts=exts, generated=True))
    return respond({"content": _modified_rows(store, items, entries)})


def _modified_rows(store: Any, items: list[dict[str, str]], entries: list[Any]) -> list[Any]:
    since = {i["dbname"].upper(): i["dbhash"] for i in items}
    rows = [{"dbname": store.db, "dbhash": store.snapshots.take(entries), "crhash": store.crhash,
             "docs": store.snapshots.changes(since.get(store.db.upper(), ""), entries)}]
    rows.extend({"dbname": name, "dbhash": "000", "crhash": "000", "docs": []}
                for name in since if name != store.db.upper())
    return rows
