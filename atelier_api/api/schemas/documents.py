"""Marshmallow schemas of the document endpoints: request bodies and documented responses."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


class StatusSchema(Schema):
    """``status`` of every envelope."""

    errors = fields.List(fields.Dict(), required=True,
                         metadata={"description": "IRIS %Status entries: error, code, domain, id"})
    summary = fields.String(required=True, metadata={"description": "'' when no error"})


class EnvelopeSchema(Schema):
    """The Atelier envelope; ``result`` depends on the endpoint."""

    status = fields.Nested(StatusSchema, required=True)
    console = fields.List(fields.String(), required=True)
    result: fields.Field[Any] = fields.Raw(required=True)


class DocumentSchema(Schema):
    """A document object (GET/PUT/DELETE doc ``result``)."""

    name = fields.String(required=True, metadata={"example": "Demo.Person.cls"})
    db = fields.String(required=True, metadata={"example": "USER"})
    ts = fields.String(required=True, metadata={
        "description": "UTC 'YYYY-MM-DD HH:MM:SS.fff'; '' when deleted or missing",
        "example": "2026-11-25 10:00:00.123"})
    upd = fields.Boolean(metadata={"description": "up to date: compiled form matches source"})
    cat = fields.String(validate=validate.OneOf(["CLS", "RTN", "CSP", "OTH"]))
    status = fields.String(metadata={"description": "'' or a document-level error text"})
    enc = fields.Boolean(metadata={"description": "true: content holds base64 chunks"})
    flags = fields.Integer(metadata={"description": "1: content holds only Storage sections"})
    content = fields.List(fields.String(), metadata={
        "description": "text lines without terminators (a final '' means a final newline) "
                       "or base64 chunks"})
    ext = fields.List(fields.Dict())
    gen = fields.Boolean(metadata={"description": "present (true) on documents a compile "
                                                  "generated, such as Pkg.Cls.1.int"})


class DocumentEnvelopeSchema(EnvelopeSchema):
    """Envelope whose result is one document object."""

    result = fields.Nested(DocumentSchema, required=True)


class DocInfoSchema(Schema):
    """One docnames entry."""

    name = fields.String(required=True)
    cat = fields.String(required=True)
    ts = fields.String(required=True)
    upd = fields.Boolean(required=True)
    db = fields.String(required=True)
    gen = fields.Boolean(required=True)


class DocInfoListSchema(Schema):
    """``result`` holding ``content``: a list of docnames entries."""

    content = fields.List(fields.Nested(DocInfoSchema), required=True)


class DocNamesEnvelopeSchema(EnvelopeSchema):
    """Envelope of GET docnames."""

    result = fields.Nested(DocInfoListSchema, required=True)


class StrictBoolean(fields.Boolean):
    """A JSON ``true``/``false`` only: 1, "yes" or "true" are type errors, not booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Lines(fields.List):  # type: ignore[type-arg]
    """A list of strings checked in one pass: a document can have many thousands of lines, and
    per-item field objects would dominate the cost of a save."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(), **kwargs)

    def _deserialize(  # type: ignore[override]
            self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        for index, item in enumerate(value):
            if type(item) is not str:
                raise ValidationError({index: ["Not a valid string."]})
        return value


class PutDocBodySchema(Schema):
    """Body of PUT doc. Unknown keys (VS Code's ``mtime``) are ignored."""

    class Meta:
        unknown = EXCLUDE

    enc = StrictBoolean(load_default=False, metadata={"description": "content is base64"})
    content = Lines(required=True, metadata={
        "description": "text lines without terminators, or base64 chunks when enc is true"})


class ModifiedItemSchema(Schema):
    """One database hash of POST modified."""

    class Meta:
        unknown = EXCLUDE

    dbname = fields.String(required=True)
    dbhash = fields.String(required=True)


class DeleteItemSchema(Schema):
    """One item of DELETE docs ``result``."""

    name = fields.String(required=True)
    db = fields.String(required=True)
    status = fields.String(required=True)


class DeleteDocsEnvelopeSchema(EnvelopeSchema):
    """Envelope of DELETE docs: ``result`` is an array."""

    result = fields.List(fields.Nested(DeleteItemSchema), required=True)


NAME_ARRAY = {"type": "array", "items": {"type": "string"},
              "example": ["Demo.Person.cls", "DemoRoutine.mac", "/csp/user/index.html"]}
