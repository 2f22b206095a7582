"""The error tree and the one mapping from errors to the Atelier response envelope."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ENVELOPE_HEADERS = {
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
    "Expires": "Thu, 29 Oct 1998 17:04:19 GMT",
}
JSON_MIMETYPE = "application/json; charset=utf-8"


class AtelierError(Exception):
    """Base of every error the service reports to a client.

    Each subclass knows its HTTP status and its IRIS-style error number; ``result`` is the
    body's ``result`` member (a document object for document-level errors, else ``{}``).
    """

    http_status = 500
    code = 5001
    domain = "%ObjectErrors"

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        result: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.result = {} if result is None else result
        self.headers = headers or {}

    @property
    def text(self) -> str:
        """The error as IRIS prints it: ``ERROR #5001: message``."""
        return f"ERROR #{self.code}: {self.message}"

    def status_error(self) -> dict[str, Any]:
        """The entry for ``status.errors``."""
        return {
            "error": self.text,
            "code": self.code,
            "domain": self.domain,
            "id": type(self).__name__,
            "params": [self.message],
        }


class BadRequest(AtelierError):
    """The request itself is malformed (bad JSON, wrong field types, missing parameters)."""

    http_status = 400


class InvalidName(BadRequest):
    """A document name fails the name grammar or would leave the namespace root."""

    code = 16006

    def __init__(self, name: str, reason: str = "") -> None:
        shown = name.replace("\x00", "\\0")
        suffix = f" ({reason})" if reason else ""
        super().__init__(f"Document '{shown}' name is invalid{suffix}")
        self.name = name


class Unauthorized(AtelierError):
    """No valid session cookie and no valid Basic credentials."""

    http_status = 401
    code = 822

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Basic realm="atelier-api"'})


class NotFound(AtelierError):
    """An unknown route, namespace, job or resource."""

    http_status = 404


class MethodNotAllowed(AtelierError):
    """A known route asked with a method it does not serve."""

    http_status = 405


class Conflict(AtelierError):
    """A save whose If-None-Match does not match the server's current timestamp."""

    http_status = 409
    code = 16025


class PayloadTooLarge(AtelierError):
    """A request body above the configured limit."""

    http_status = 413


class UnsupportedMediaType(AtelierError):
    """A body endpoint called without ``Content-Type: application/json``."""

    http_status = 415


class Locked(AtelierError):
    """The document is locked by other work in progress."""

    http_status = 423
    code = 5864


class ServiceUnavailable(AtelierError):
    """The server is starting or shutting down."""

    http_status = 503


@dataclass
class Envelope:
    """The Atelier response envelope, before serialization."""

    result: Any = field(default_factory=dict)
    console: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The envelope as a JSON-ready dict."""
        return {
            "status": {"errors": self.errors, "summary": self.summary},
            "console": self.console,
            "result": self.result,
        }

    def dumps(self) -> bytes:
        """Serialize compactly, keeping key order and non-ASCII text as UTF-8."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


def error_envelope(exc: AtelierError) -> Envelope:
    """Render an error into the envelope: status.errors, status.summary and result."""
    return Envelope(result=exc.result, errors=[exc.status_error()], summary=exc.text)


class DocumentNotFound(NotFound):
    """A named document that does not exist; the body's result is the soft-error document."""

    code = 16005

    def __init__(self, name: str, cat: str) -> None:
        message = f"Document '{name}' does NOT exist"
        result = {"name": name, "db": "", "ts": "", "cat": cat, "enc": False, "content": [],
                  "status": f"ERROR #{self.code}: {message}"}
        super().__init__(message, result=result)
