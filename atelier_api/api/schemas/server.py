"""Schemas of the server-level endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields

from atelier_api.api.schemas.documents import EnvelopeSchema


class FeatureSchema(Schema):
    """A feature flag."""

    name = fields.String(required=True)
    enabled = fields.Boolean(required=True)


class ServerInfoSchema(Schema):
    """GET /api/atelier/ result.content."""

    version = fields.String(required=True, metadata={
        "description": "$ZVERSION-style; the text after ') ' starts with YYYY.N"})
    id = fields.String(required=True)
    api = fields.Integer(required=True, metadata={"example": 8})
    features = fields.List(fields.Nested(FeatureSchema), required=True)
    namespaces = fields.List(fields.String(), required=True)


class ServerContentSchema(Schema):
    """Wrapper with ``content``."""

    content = fields.Nested(ServerInfoSchema, required=True)


class ServerEnvelopeSchema(EnvelopeSchema):
    """Envelope of GET /api/atelier/."""

    result = fields.Nested(ServerContentSchema, required=True)


class DbSchema(Schema):
    """A database mapped into a namespace."""

    name = fields.String(required=True)
    crhash = fields.String(required=True)
    default = fields.Boolean(required=True)
    dbsys = fields.Boolean(required=True)


class NamespaceInfoSchema(Schema):
    """GET /vN/{NS} result.content."""

    name = fields.String(required=True)
    db = fields.List(fields.Nested(DbSchema), required=True)
    features = fields.List(fields.Nested(FeatureSchema), required=True)


class NamespaceContentSchema(Schema):
    """Wrapper with ``content``."""

    content = fields.Nested(NamespaceInfoSchema, required=True)


class NamespaceEnvelopeSchema(EnvelopeSchema):
    """Envelope of GET /vN/{NS}."""

    result = fields.Nested(NamespaceContentSchema, required=True)


class JobSchema(Schema):
    """A %SYS/jobs row."""

    pid = fields.Integer(required=True)
    namespace = fields.String(required=True)
    routine = fields.String(required=True)
    state = fields.String(required=True)
    device = fields.String(required=True)
