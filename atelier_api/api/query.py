"""Query: ``POST action/query`` — the IRIS SQL statements IDE clients send, answered locally."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint

from atelier_api.api.common import (
    ascii_number,
    doc_response,
    json_body,
    respond,
    services,
    store_for,
    versioned,
)
from atelier_api.api.disconnect import request_gone_check
from atelier_api.api.schemas.documents import EnvelopeSchema
from atelier_api.errors import BadRequest
from atelier_api.sql.service import SqlService, query_body

blp = Blueprint("query", __name__, url_prefix="/api/atelier",
                description="SQL: the class queries, %Dictionary tables and Studio projects "
                            "the VS Code extension reads through action/query (docs/sql.md).")
NS = "/v<int:version>/<ns>"
MAX_ROWS = 1_000_000
QUERY_BODY = {"type": "object", "required": ["query"], "properties": {
    "query": {"type": "string", "example":
              "SELECT Name, Type FROM %Library.RoutineMgr_StudioOpenDialog(?,?,?,?,?,?,?,?,?,?)"},
    "parameters": {"type": "array", "items": {}, "example":
                   ["*.cls,*.inc,*.mac,*.int", "1", "1", "0", "0", "0", "0", "", "0", "1"]}}}


def sql_service(ns: str) -> SqlService:
    """The SQL service of a namespace (404 for an unknown namespace)."""
    return services().sql[store_for(ns).namespace]


def _max_rows() -> int:
    raw = request.args.get("max", "")
    if raw == "":
        return 0
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):  # int() also reads ' 3', '+3', '3_0', '٣'
        raise BadRequest(f"Query parameter 'max' must be a whole number, not '{raw[:40]}'")
    if digits != raw:
        raise BadRequest("Query parameter 'max' must not be negative")
    value = ascii_number(raw)
    return MAX_ROWS if value is None else min(value, MAX_ROWS)  # None: more digits than any


@blp.route(NS + "/action/query", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": QUERY_BODY}}}, parameters=[
    {"in": "query", "name": "max", "schema": {"type": "integer", "minimum": 0},
     "description": "at most this many rows (0 or absent: all)"}])
@doc_response(200, schema=EnvelopeSchema, description="result.content: one object per "
                  "row keyed by column name; a failed statement is a 200 with status.errors "
                  "[{code: 5540, id: 'SQLCode'}], summary set and result {}")
@doc_response(400, schema=EnvelopeSchema, description="body is not {query, parameters}")
@doc_response(401, schema=EnvelopeSchema, description="not logged in")
@doc_response(404, schema=EnvelopeSchema, description="no such namespace")
@doc_response(415, schema=EnvelopeSchema, description="body is not application/json")
@versioned(1)
def query(ns: str) -> Response:
    """Query: run one SQL statement (bound ? parameters) and return its rows."""
    service = sql_service(ns)
    text, params = query_body(json_body(expect=dict))
    answer = service.query(text, params, _max_rows(), client_gone=request_gone_check())
    if answer.content is None:
        return respond({}, errors=answer.errors, summary=answer.summary)
    return respond({"content": answer.content})

