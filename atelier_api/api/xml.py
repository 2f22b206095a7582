"""XML endpoints: cvt/xml/doc, cvt/doc/xml and action/xml/export, list, load (v7)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields

from atelier_api.api.common import (
    MAX_BULK_RESPONSE_BYTES,
    body_bytes,
    bulk_items,
    doc_response,
    error_responses,
    json_body,
    name_list_body,
    respond,
    store_for,
    versioned,
)
from atelier_api.api.schemas.documents import NAME_ARRAY, EnvelopeSchema
from atelier_api.errors import BadRequest, UnsupportedMediaType
from atelier_api.xmlexport import service

blp = Blueprint("xml", __name__, url_prefix="/api/atelier",
                description="XML export format: convert documents to and from the XML export "
                            "of classes, routines and web files; export, list and load XML "
                            "files (DTDs and entities are refused).")
NS = "/v<int:version>/<ns>"
XML_TYPES = ("application/xml", "text/xml")
ERRORS = {400: "malformed body, malformed XML, or XML with a DTD / entity declarations "
               "(entity-expansion and XXE protection); an export of more than 64 MB of "
               "document text",
          401: "not logged in", 404: "no such namespace or document",
          413: "body larger than max_body_bytes",
          415: "wrong Content-Type (application/json; cvt/xml/doc: application/xml)"}


_errors = error_responses(ERRORS)


class FileSchema(Schema):
    """One file of xml/list and xml/load: its client path and its text lines."""

    class Meta:
        unknown = EXCLUDE

    file = fields.String(required=True, metadata={"example": "/local/export.xml"})
    content = fields.List(fields.String(), required=True)
    selected = fields.List(fields.String(), load_default=None, metadata={
        "description": "xml/load: the documents to import (absent: all)"})


class DocItemSchema(Schema):
    """cvt/doc/xml item given with its content instead of by name."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, metadata={"example": "Pkg.A.cls"})
    content = fields.List(fields.String(), required=True)
    enc = fields.Boolean(load_default=False)


CVT_ITEMS = {"type": "array", "items": {"oneOf": [{"type": "string"}, DocItemSchema]}}


@blp.route(NS + "/cvt/xml/doc", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/xml": {
    "schema": {"type": "string"}}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: [{name, content}] "
                  "(web files in base64 carry enc: true)")
@_errors(400, 401, 404, 413, 415)
@versioned(1)
def cvt_xml_doc(ns: str) -> Response:
    """Convert XML to UDL: the documents of an XML export as text lines."""
    store_for(ns)
    if request.mimetype not in XML_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type must be application/xml, not '{request.mimetype or 'none'}'")
    content, console = service.convert_to_udl(body_bytes())
    return respond({"content": content}, console=console)


@blp.route(NS + "/cvt/doc/xml", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": CVT_ITEMS}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: lines of one XML "
                  "export document")
@_errors(400, 401, 404, 413, 415)
@versioned(1)
def cvt_doc_xml(ns: str) -> Response:
    """Convert UDL to XML: documents given by name, or as {name, content}, as one export."""
    store = store_for(ns)
    items = [item if isinstance(item, str) else _load(DocItemSchema(), item, index)
             for index, item in enumerate(bulk_items(json_body(expect=list)))]
    return respond({"content": service.convert_to_xml(store, items, MAX_BULK_RESPONSE_BYTES)})


def _load(schema: Schema, item: Any, index: int, want: str = "a name or an object") -> Any:
    if not isinstance(item, dict):
        raise BadRequest(f"Item {index} of the body must be {want}")
    errors = schema.validate(item)
    if errors:
        raise BadRequest(f"Invalid item {index} of the body: {errors}")
    return schema.load(item)


@blp.route(NS + "/action/xml/export", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": NAME_ARRAY}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: lines of one XML "
                  "export document")
@_errors(400, 401, 404, 413, 415)
@versioned(7)
def xml_export(ns: str) -> Response:
    """Export documents to the lines of one XML export document."""
    store = store_for(ns)
    return respond({"content": service.export_names(store, name_list_body(),
                                                    MAX_BULK_RESPONSE_BYTES)})


def _files() -> list[dict[str, Any]]:
    return [_load(FileSchema(), item, index, "a {file, content} object") for index, item in
            enumerate(json_body(expect=list))]


@blp.route(NS + "/action/xml/list", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": FileSchema(many=True)}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: [{file, status, "
                  "documents: [{name, ts}]}]; ts '-1' when absent on the server")
@_errors(400, 401, 404, 413, 415)
@versioned(7)
def xml_list(ns: str) -> Response:
    """List the documents inside XML (or .cls/.mac/.int/.inc) files."""
    store = store_for(ns)
    return respond({"content": [r.to_dict() for r in service.list_files(store, _files())]})


@blp.route(NS + "/action/xml/load", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": FileSchema(many=True)}}})
@doc_response(200, schema=EnvelopeSchema, description="result.content: [{file, imported, "
                  "status}]; documents are saved (not compiled)")
@_errors(400, 401, 404, 413, 415)
@versioned(7)
def xml_load(ns: str) -> Response:
    """Load the selected documents of XML (or UDL) files into the namespace; no compile."""
    store = store_for(ns)
    return respond({"content": [r.to_dict() for r in service.load_files(store, _files())]})
