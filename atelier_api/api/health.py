"""Probes for orchestrators: ``/healthz`` (liveness) and ``/readyz`` (readiness), no auth.

They live outside ``/api/atelier/`` so the auth hook never guards them, and they answer small
plain JSON objects (not the Atelier envelope): their readers are kubelets, ``HEALTHCHECK`` and
load balancers, not IDE clients.
"""

from __future__ import annotations

import json

from flask import Response, request
from flask_smorest import Blueprint

from atelier_api.api.common import doc_response, services

blp = Blueprint("health", __name__, url_prefix="",
                description="Liveness and readiness probes for orchestrators (no auth).")
NO_CACHE = {"Cache-Control": "no-store"}


def _json(body: dict[str, object], status: int) -> Response:
    data = b"" if request.method == "HEAD" else json.dumps(body).encode()
    return Response(data, status=status, content_type="application/json", headers=NO_CACHE)


@blp.route("/healthz", methods=["GET"])
@doc_response(200, description='{"status": "ok"} while the process serves requests')
def healthz() -> Response:
    """Liveness: 200 whenever the process can answer HTTP."""
    return _json({"status": "ok"}, 200)


@blp.route("/readyz", methods=["GET"])
@doc_response(200, description='{"status": "ready", "namespaces": [...]}, plus "duplicates": '
                                '{namespace: {document: [served path, ignored paths...]}} when '
                                'two files declare one document')
@doc_response(503, description='{"status": "starting", "pending": [namespaces]} until '
                                   "every namespace is loaded and indexed once")
def readyz() -> Response:
    """Readiness: 200 once every namespace store is loaded and indexed, 503 before."""
    # also 503 ({"status": "stopping"}) from the moment the server drains for shutdown
    svc = services()
    if svc.lifecycle.draining.is_set():  # shutting down: take traffic away first
        return _json({"status": "stopping", "pending": [],
                      "message": f"shutting down: {svc.lifecycle.reason}"}, 503)
    if svc.ready:
        body: dict[str, object] = {"status": "ready", "namespaces": sorted(svc.stores)}
        duplicates = {ns: store.duplicates() for ns, store in sorted(svc.stores.items())
                      if store.names.built}
        if any(duplicates.values()):  # files that declare a document another file declares
            body["duplicates"] = {ns: found for ns, found in duplicates.items() if found}
        return _json(body, 200)
    pending = svc.pending()
    return _json({"status": "starting", "pending": pending,
                  "message": "indexing namespaces: " + ", ".join(pending)}, 503)
