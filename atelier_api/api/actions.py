"""Action endpoints: compile (synchronous), index, and the macro look-ups."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, request
from flask_smorest import Blueprint

from atelier_api.api.common import (
    ascii_number,
    doc_response,
    envelope_response,
    error_responses,
    flag,
    json_body,
    name_list_body,
    respond,
    services,
    store_for,
    versioned,
)
from atelier_api.api.disconnect import request_gone
from atelier_api.api.schemas.actions import (
    COMPILE_LIST,
    INDEX_LIST,
    CompileEnvelopeSchema,
    IndexEnvelopeSchema,
    MacroBodySchema,
)
from atelier_api.api.schemas.documents import EnvelopeSchema
from atelier_api.compile.lookups import Lookups
from atelier_api.compile.service import CompileService
from atelier_api.errors import BadRequest, Envelope
from atelier_api.search.query import DEFAULT_MAX, SearchQuery
from atelier_api.search.service import search_envelope

blp = Blueprint("actions", __name__, url_prefix="/api/atelier",
                description="Actions: compile documents, summarise them (index) and look up "
                            "macros.")
NS = "/v<int:version>/<ns>"
ERRORS = {400: "invalid document name, flags or body", 401: "not logged in",
          404: "no such namespace, or no document of the list exists",
          415: "body is not application/json",
          501: "the compiler adapter does not support this action"}


_errors = error_responses(ERRORS)


def compile_service(ns: str) -> CompileService:
    """The compile service of a namespace (404 for an unknown namespace)."""
    return services().compiling[store_for(ns).namespace]


def lookups(ns: str) -> Lookups:
    """Index and macro look-ups over a namespace."""
    service = compile_service(ns)
    return Lookups(service.store, service.catalog, services().compiler)


@blp.route(NS + "/action/compile", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": COMPILE_LIST}}}, parameters=[
    {"in": "query", "name": "flags", "schema": {"type": "string", "default": "cuk"},
     "description": "compiler flags and /qualifiers (qspec)"},
    {"in": "query", "name": "source", "schema": {"type": "integer", "enum": [0, 1]},
     "description": "0: changed documents come back without their Storage lines"}])
@doc_response(200, schema=CompileEnvelopeSchema, description="compiled; console holds the "
                  "compiler output; a failed compile is a 200 with status.errors")
@_errors(400, 401, 404, 415)
@versioned(1)
def compile_docs(ns: str) -> Response:
    """Compile: compile documents and masks synchronously (clients prefer /work)."""
    service = compile_service(ns)
    plan = service.plan(json_body(expect=list), request.args.get("flags"), flag("source", True))
    report = service.run(plan)
    return respond({"content": report.content}, console=report.console, errors=report.errors,
                   summary=report.summary)


@blp.route(NS + "/action/index", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": INDEX_LIST}}})
@doc_response(200, schema=IndexEnvelopeSchema, description="one entry per name, in order; "
                  "missing documents have status set and db ''")
@_errors(400, 401, 404, 415, 501)
@versioned(1)
def index(ns: str) -> Response:
    """Index: class summaries (members, supers, desc as lines) and related documents."""
    version = int((request.view_args or {}).get("version", 1))
    answer = lookups(ns).index(name_list_body(), positions=version >= 4)
    return respond({"content": answer.content}, errors=answer.errors, summary=answer.summary)


def _macro(ns: str, kind: str) -> Response:
    body = json_body(MacroBodySchema(), expect=dict)
    if kind != "list" and not body["macroname"].strip():
        raise BadRequest("'macroname' is required (the macro name without $$$)")
    answer = lookups(ns).macros(kind, body["docname"], body["macroname"], body["includes"])
    return respond({"content": answer.content}, errors=answer.errors, summary=answer.summary)


MACRO_DOC = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": MacroBodySchema}}}}


@blp.route(NS + "/action/getmacrodefinition", methods=["POST"])
@blp.doc(**MACRO_DOC)
@doc_response(200, schema=EnvelopeSchema, description='result.content: {"definition": '
                  "[lines]} ([] for an unknown macro)")
@_errors(400, 401, 404, 415, 501)
@versioned(2)
def macro_definition(ns: str) -> Response:
    """GetMacroDefinition: the source lines defining a macro visible to a document."""
    return _macro(ns, "definition")


@blp.route(NS + "/action/getmacrolocation", methods=["POST"])
@blp.doc(**MACRO_DOC)
@doc_response(200, schema=EnvelopeSchema, description='result.content: {"document": '
                  '"X.inc", "line": n} (document "" for an unknown macro)')
@_errors(400, 401, 404, 415, 501)
@versioned(2)
def macro_location(ns: str) -> Response:
    """GetMacroLocation: the document and line where a macro is defined."""
    return _macro(ns, "location")


@blp.route(NS + "/action/getmacrolist", methods=["POST"])
@blp.doc(**MACRO_DOC)
@doc_response(200, schema=EnvelopeSchema, description='result.content: {"macros": '
                  "[names]}: the document's #defines, its include files (recursively) and "
                  "the system macros")
@_errors(400, 401, 404, 415, 501)
@versioned(2)
def macro_list(ns: str) -> Response:
    """GetMacroList: every macro visible to a document."""
    return _macro(ns, "list")


SEARCH_PARAMS = [
    {"in": "query", "name": "query", "required": True, "schema": {"type": "string"},
     "description": "text, wildcard text or regular expression (regex mode matches whole "
                    "lines: send .*pattern.*; (?i) for case-insensitive)"},
    {"in": "query", "name": "files", "required": True, "schema": {"type": "string"},
     "description": "comma list of names and masks (*.cls,*.mac, Pkg/*.cls, /csp/user/*); a "
                    "leading ' excludes"},
    *({"in": "query", "name": name, "schema": {"type": "integer", "enum": [0, 1]},
       "description": text} for name, text in (
        ("regex", "1 (default): query is a regex matched against whole lines"),
        ("word", "1: whole words only"), ("case", "1: case-sensitive (not in regex mode)"),
        ("wild", "1: * and ? are wildcards"), ("sys", "1: include % (system) documents"),
        ("gen", "1: include generated documents"))),
    {"in": "query", "name": "max", "schema": {"type": "integer", "default": DEFAULT_MAX},
     "description": "most hits to return"}]


def _search_query() -> SearchQuery:
    text, files = request.args.get("query", ""), request.args.get("files", "")
    if not text or not files.strip():
        raise BadRequest("Search needs the parameters 'query' and 'files'")
    raw_max = request.args.get("max", "") or str(DEFAULT_MAX)
    hits = ascii_number(raw_max)
    if hits is None or not 0 < hits <= 1_000_000:
        raise BadRequest(f"'max' must be a number from 1 to 1000000, not '{raw_max[:40]}'")
    return SearchQuery(text, files, flag("regex", True), flag("word"), flag("case"),
                       flag("wild"), flag("sys"), flag("gen"), hits)


@blp.route(NS + "/action/search", methods=["GET"])
@blp.doc(parameters=SEARCH_PARAMS)
@doc_response(200, schema=EnvelopeSchema, description="result is an array of {doc, "
                  "matches: [{text, line | member, line | attr, attrline}]}; console holds "
                  "the search log")
@_errors(400, 401, 404)
@versioned(2)
def search_docs(ns: str) -> Response:
    """Search: find text, wildcards or a regex in documents (the /work search is the async
    form)."""
    query = _search_query()
    body = search_envelope(store_for(ns), query, services().settings.work_time_limit_seconds,
                           gone=request_gone())
    return envelope_response(_Built(body=body), 200)


@dataclass
class _Built(Envelope):
    """An envelope serialized already (a search builds its JSON text directly)."""

    body: bytes = b""

    def dumps(self) -> bytes:
        """The prebuilt bytes."""
        return self.body
