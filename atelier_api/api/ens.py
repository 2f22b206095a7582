"""Interoperability endpoints: ens/classes/{type} and ens/adapter/{name}."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from atelier_api.api.common import doc_response, respond, store_for, versioned
from atelier_api.api.schemas.documents import EnvelopeSchema
from atelier_api.xmlexport import ens

blp = Blueprint("ens", __name__, url_prefix="/api/atelier",
                description="Interoperability: class lists by role and adapter input/output "
                            "classes, computed from the workspace's class hierarchy.")
NS = "/v<int:version>/<ns>"


@blp.route(NS + "/ens/classes/<type>", methods=["GET"])
@doc_response(200, schema=EnvelopeSchema, description="result.content: class names "
                  "(empty when the workspace has no interoperability classes)")
@doc_response(400, schema=EnvelopeSchema, description="type is not a number 1..14")
@doc_response(404, schema=EnvelopeSchema, description="no such namespace")
@versioned(1)
def ens_classes(ns: str, type: str) -> Response:  # noqa: A002 - the route's name
    """GetEnsClassType: classes of one role (1 adapters .. 14 rules)."""
    return respond({"content": ens.classes_of_type(store_for(ns), type)})


@blp.route(NS + "/ens/adapter/<name>", methods=["GET"])
@doc_response(200, schema=EnvelopeSchema, description='result.content: {"input": .., '
                  '"output": ..}')
@doc_response(404, schema=EnvelopeSchema, description="no such adapter or namespace")
@versioned(1)
def ens_adapter(ns: str, name: str) -> Response:
    """GetAdpInputOutputClass: an adapter's input and output classes."""
    return respond({"content": ens.adapter_io(store_for(ns), name)})
