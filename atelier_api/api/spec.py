"""The OpenAPI side of the HTTP layer: flask-smorest's ``Api`` with every status documented.

Every answer of this server under ``/api/atelier/`` and ``/operator/``, error or not, is the
Atelier envelope. A view declares its success statuses and the errors particular to it
(``doc_response``, ``error_responses``); ``ErrorStatuses`` adds to every operation what all
of them share, so that no status the server can return is missing from the document:

- ``401`` on every route that needs a login (``/api/atelier/...``, ``/operator/...``);
- ``404`` on every versioned route (a version outside the endpoint's range, an unknown
  namespace);
- ``413`` and ``415`` on every operation that takes a request body;
- ``4XX`` and ``5XX``: any other client or server error, as the envelope.

There is no ``default`` response: a success status an operation does not declare is a
mismatch that the fuzzing run (``tests/api/test_fuzz.py``) reports.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask_smorest import Api

from atelier_api.api.schemas.documents import EnvelopeSchema

#: the schema component of the envelope (``EnvelopeSchema`` as the marshmallow plugin names it)
ENVELOPE = "Envelope"
LOGIN_PREFIXES = ("/api/atelier", "/operator")
VERSIONED = "/v{version}/"
CLIENT_ERROR = ("any other client error (such as 405, 409, 423 or 429): status.errors and "
                "status.summary say what is wrong")
SERVER_ERROR = ("an internal error (500) or the server unavailable (503: busy, starting or "
                "shutting down)")


def _response(description: str, *, body: bool) -> dict[str, Any]:
    """A response documented with the envelope as its body (none for HEAD)."""
    if not body:
        return {"description": description + " (HEAD: no body)"}
    return {"description": description,
            "content": {"application/json": {"schema": ENVELOPE}}}


def _body_media_types(operation: dict[str, Any]) -> list[str]:
    return sorted(operation.get("requestBody", {}).get("content", {}))


def shared_statuses(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    """The statuses every operation like this one can answer, with their descriptions."""
    body = method != "head"
    out: dict[str, Any] = {}
    if path.startswith(LOGIN_PREFIXES):
        out["401"] = _response("not logged in: no valid session cookie and no valid Basic "
                               "credentials", body=body)
    if VERSIONED in path:
        out["404"] = _response("no such namespace, or the endpoint does not exist in this "
                               "API version", body=body)
    media = _body_media_types(operation)
    if media:
        out["413"] = _response("request body larger than the configured limit "
                               "(max_body_bytes)", body=body)
        out["415"] = _response(f"Content-Type is not {' or '.join(media)}", body=body)
    out["4XX"] = _response(CLIENT_ERROR, body=body)
    out["5XX"] = _response(SERVER_ERROR, body=body)
    return out


class ErrorStatuses(BasePlugin):
    """An apispec plugin adding the shared error statuses to every operation (a status the
    view documents itself keeps the view's description)."""

    def operation_helper(self, path: str | None = None,
                         operations: dict[str, Any] | None = None, **_kwargs: Any) -> None:
        """Complete the responses of each operation of ``path``."""
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            declared = {str(code) for code in responses}
            for code, response in shared_statuses(path or "", method, operation).items():
                if code not in declared:
                    responses[code] = response
            if method == "head":  # a HEAD answer has the headers of a GET, never a body
                for response in responses.values():
                    if isinstance(response, dict):
                        response.pop("content", None)


class AtelierApi(Api):  # type: ignore[misc]
    """flask-smorest's ``Api`` documenting errors as the Atelier envelope.

    ``ERROR_SCHEMA`` is what flask-smorest's per-status response components hold; its
    ``default`` response (its own error schema, which no answer of this server has) is off.
    """

    ERROR_SCHEMA = EnvelopeSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Any = None, *, spec_kwargs: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        options = dict(spec_kwargs or {})
        options["extra_plugins"] = [*options.get("extra_plugins", ()), ErrorStatuses()]
        super().__init__(app, spec_kwargs=options, **kwargs)
