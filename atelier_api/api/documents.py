"""Document endpoints: doc (GET/PUT/DELETE/HEAD), docs, docnames, modified.

The compiler adapter's system documents (``atelier_api.adapters.system_library``) are served
beside the namespace's own: readable by name in every namespace, listed in ``%SYS`` (and
elsewhere when a ``docnames`` filter asks for ``%`` names), never written. A workspace
document of the same name wins everywhere.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from atelier_api.adapters.contract import SystemDoc
from atelier_api.adapters.system_library import bound, read_only_text
from atelier_api.api.common import (
    MAX_BULK_RESPONSE_BYTES,
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
from atelier_api.documents import textcodec, udl
from atelier_api.documents.model import DeleteOutcome, DocInfo, Document
from atelier_api.documents.names import CATEGORIES, ROUTINE_EXTS, DocName, parse_name
from atelier_api.documents.roformat import RO_FORMAT, ro_lines
from atelier_api.documents.store import DocumentStore, ListQuery
from atelier_api.documents.tsindex import parse_ts
from atelier_api.errors import BadRequest, DocumentNotFound, InvalidName

blp = Blueprint("documents", __name__, url_prefix="/api/atelier",
                description="Documents: read, save, delete and list classes, routines, web "
                            "files and other documents.")
NS = "/v<int:version>/<ns>"
ERRORS = {400: "invalid document name or malformed request", 401: "not logged in",
          404: "no such document or namespace", 415: "body is not application/json"}


_doc_errors = error_responses(ERRORS)
#: One schema instance for every save: building one per request costs more than loading.
_PUT_BODY = PutDocBodySchema()
SYS_NAMESPACE = "%SYS"


# -- the system documents -------------------------------------------------------------------
def _system_entry(store: DocumentStore, name: str) -> SystemDoc | None:
    """The system document a name denotes when the workspace has no document of that name
    (the workspace wins), else None."""
    library = bound(store)
    if not library.entries():
        return None
    try:
        loc = store.locate(name)
    except InvalidName:
        return None
    if store.exists(loc):
        return None
    return library.find(loc.doc.name)


def system_document(store: DocumentStore, name: str, *, binary: bool = False,
                    fmt: str = "udl", storage_only: bool = False) -> Document | None:
    """A system document as GET doc answers it (signature text, ``db`` of its library
    database, ``upd`` true), or None when ``name`` is none (callers ask after the
    workspace said 404)."""
    entry = bound(store).read(name)
    if entry is None or entry.lines is None:
        return None
    doc = parse_name(entry.name)
    lines = list(entry.lines)
    base = Document(doc.name, doc.cat, entry.db, entry.ts, True)
    if binary:
        data = "\n".join(lines).encode("utf-8", "surrogatepass")
        return replace(base, enc=True, content=textcodec.b64_chunks(data))
    if fmt == "xml":
        if store.export_format is None:
            raise BadRequest("The XML export format is not available for this namespace")
        data = "\n".join(lines).encode("utf-8", "surrogatepass")
        return replace(base, content=store.export_format.export_lines(store.layout, doc, data))
    if fmt == RO_FORMAT:
        return replace(base, content=ro_lines(doc, lines, entry.ts))
    if doc.ext == "cls" and storage_only:
        return replace(base, flags=1, content=udl.storage_section(lines))
    if doc.ext == "cls" and fmt == "udl-multiline":
        lines = udl.to_multiline(lines)
    return replace(base, content=lines)


def _read_only(doc: DocName, entry: SystemDoc) -> Response:
    """The answer to a write of a system document: IRIS's soft error, nothing written."""
    text = read_only_text(entry.name)
    result = Document(doc.name, doc.cat, entry.db, status=text, content=[])
    return respond(result.to_dict(), console=[text])


def _get(store: DocumentStore, name: str, **options: Any) -> Document:
    """A workspace document, else the system document of that name, else the 404."""
    try:
        return store.get(name, **options)
    except DocumentNotFound:
        found = system_document(store, name, **options)
        if found is None:
            raise
        return found


def _etag(ts: str) -> dict[str, str]:
    return {"ETag": f'"{ts}"'}


@blp.route(NS + "/doc/<docname:name>", methods=["GET"])
@doc_response(200, schema=DocumentEnvelopeSchema, description="the document")
@doc_response(304, description="If-None-Match equals the document's ts; no body")
@_doc_errors(400, 401, 404)
@blp.doc(parameters=[
    {"in": "query", "name": "binary", "schema": {"type": "integer", "enum": [0, 1]},
     "description": "1: base64 chunks (enc true) even for text"},
    {"in": "query", "name": "format", "schema": {"type": "string", "enum": [
        "udl", "udl-multiline", "xml", RO_FORMAT]},
     "description": "udl (default); udl-multiline: method arguments one per line; xml: one "
                    "XML export; %RO: a routine in the legacy %RO export form (routines "
                    "only; 400 for other documents); ignored with binary=1"},
    {"in": "query", "name": "storageOnly", "schema": {"type": "integer", "enum": [0, 1]},
     "description": "classes: only the Storage sections, flags 1"},
    {"in": "header", "name": "If-None-Match", "schema": {"type": "string"},
     "description": "a ts; 304 when it is the document's current ts"}])
@versioned(1)
def get_doc(ns: str, name: str) -> Response:
    """GetDoc: read a document as text lines or base64 chunks.

    A name the namespace does not have may be a system document of the compiler adapter
    (its signature text, db IRISLIB or ENSLIB, upd true, read-only), in every namespace.
    """
    if request.method == "HEAD":  # werkzeug gives every GET rule HEAD too, matched first
        return _head(ns, name)
    fmt = request.args.get("format") or "udl"
    if fmt.upper() == RO_FORMAT:
        fmt = RO_FORMAT
    doc = _get(store_for(ns), name, binary=flag("binary"), fmt=fmt,
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
    store = store_for(ns)
    try:
        ts = store.ts_of(name)
    except DocumentNotFound:
        entry = bound(store).find(name)
        if entry is None:
            raise
        ts = entry.ts
    return respond(headers=_etag(ts))


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
    """PutDoc: create or update a document under compare-and-swap.

    A system document of the compiler adapter is refused with IRIS's read-only error
    (#5883) in result.status, HTTP 200; nothing is written.
    """
    store = store_for(ns)
    loc = store.locate(name)  # an invalid name is a 400 before the body is even parsed
    body = json_body(_PUT_BODY, expect=dict)
    entry = _system_entry(store, loc.doc.name)
    if entry is not None:
        return _read_only(loc.doc, entry)
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
    """DeleteDoc: delete one document.

    A system document of the compiler adapter is refused as PutDoc refuses it.
    """
    store = store_for(ns)
    entry = _system_entry(store, name)
    if entry is not None:
        return _read_only(store.locate(name).doc, entry)
    return respond(store.delete(name).to_dict())


@blp.route(NS + "/docs", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": NAME_ARRAY}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: document objects; "
                  "per-document errors in their status")
@_doc_errors(400, 401, 415)
@versioned(1)
def get_docs(ns: str) -> Response:
    """GetDocs: read many documents.

    System documents of the compiler adapter are read as GetDoc reads them. Once the
    documents read hold 64 MB of text, the rest are answered unread, each with an error in
    its ``status`` (#5001, saying to read it in another request).
    """
    store = store_for(ns)
    docs = []
    room = MAX_BULK_RESPONSE_BYTES
    for raw in name_list_body():
        if room <= 0:  # not read at all: the answer is full
            docs.append(Document(str(raw), "", status=_answer_full(), content=[]))
            continue
        try:
            doc = _get(store, raw)
        except (InvalidName, DocumentNotFound) as exc:
            doc = Document(str(raw), "", status=exc.text, content=[])
        room -= sum(len(line) + 1 for line in doc.content)
        docs.append(doc)
    return respond({"content": [d.to_dict() for d in docs]})


def _answer_full() -> str:
    """The status of a document POST docs did not read because its answer was full."""
    return (f"ERROR #5001: The answer holds {MAX_BULK_RESPONSE_BYTES >> 20} MB of documents "
            "already; read this one in another request")


@blp.route(NS + "/docs", methods=["DELETE"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": NAME_ARRAY}}})
@doc_response(200, schema=DeleteDocsEnvelopeSchema, description="per-item status")
@_doc_errors(400, 401, 415)
@versioned(1)
def delete_docs(ns: str) -> Response:
    """DeleteDocs: delete many documents; ``result`` is an array.

    A system document of the compiler adapter is refused in its item's status (#5883).
    """
    store = store_for(ns)
    out = []
    for raw in name_list_body():
        entry = _system_entry(store, raw)
        if entry is not None:
            out.append(DeleteOutcome(entry.name, entry.db, read_only_text(entry.name)))
        else:
            out.extend(store.delete_many([raw]))
    return respond([o.to_dict() for o in out])


@blp.route(NS + "/docnames", methods=["GET"], defaults={"cat": "*", "type": "*"})
@blp.route(NS + "/docnames/<cat>", methods=["GET"], defaults={"type": "*"})
@blp.route(NS + "/docnames/<cat>/<type>", methods=["GET"])
@blp.doc(parameters=[
    {"in": "query", "name": "generated", "schema": {"type": "integer", "enum": [0, 1]}},
    {"in": "query", "name": "filter", "schema": {"type": "string"},
     "description": "case-insensitive substring of the name, or a glob with * and ?; a "
                    "filter starting with % also lists the system documents outside %SYS"}])
@doc_response(200, schema=DocNamesEnvelopeSchema, description="the documents")
@_doc_errors(400, 401, 404)
@versioned(1)
def docnames(ns: str, cat: str, type: str) -> Response:  # noqa: A002 - the route's name
    """GetDocNames: list documents by category and type.

    The compiler adapter's system documents are listed in %SYS, and in other namespaces when
    the filter starts with % (a workspace document of the same name wins).
    """
    type_ = "" if _empty_type_segment() else type
    query = ListQuery(*_cat_and_exts(cat, type_), generated=flag("generated"),
                      filter=request.args.get("filter", ""))
    store = store_for(ns)
    entries = store.list(query)
    if store.namespace == SYS_NAMESPACE or query.filter.startswith("%"):
        entries = _with_system(store, entries, query)
    return respond({"content": [e.to_dict() for e in entries]},
                   console=_duplicate_notes(store, {e.name for e in entries}))


def _duplicate_notes(store: DocumentStore, listed: set[str]) -> list[str]:
    """A console warning for each listed document that more than one file declares."""
    return [f"WARNING: {len(rels)} files declare {name}: serving {rels[0]}, ignoring "
            f"{', '.join(rels[1:])}" for name, rels in sorted(store.duplicates().items())
            if name in listed]


def _with_system(store: DocumentStore, entries: list[DocInfo], query: ListQuery
                 ) -> list[DocInfo]:
    """A listing with the system documents that match the query and that no workspace
    document shadows, sorted by name."""
    system = bound(store).entries()
    if not system:
        return entries
    have = {e.name for e in entries}
    match = _name_matcher(query.filter)
    extra = []
    for entry in system:
        if entry.name in have or (match is not None and not match(entry.name)):
            continue
        try:
            doc = parse_name(entry.name)
        except InvalidName:
            continue
        if (query.cats is not None and doc.cat not in query.cats) or (
                query.exts is not None and doc.ext not in query.exts):
            continue
        extra.append(DocInfo(doc.name, doc.cat, entry.ts, True, entry.db))
    if not extra:
        return entries
    return sorted(entries + extra, key=lambda info: info.name)


def _name_matcher(text: str) -> Callable[[str], bool] | None:
    """The docnames ``filter`` as the store applies it: a glob with ``*``/``?``, else a
    substring; case-insensitive."""
    if not text:
        return None
    needle = text.lower()
    if "*" in needle or "?" in needle:
        return lambda name: fnmatch.fnmatchcase(name.lower(), needle)
    return lambda name: needle in name.lower()


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
