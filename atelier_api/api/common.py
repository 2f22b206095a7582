"""Helpers shared by the views: envelopes, version gating, namespace lookup, JSON bodies."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.routing import IntegerConverter

from atelier_api.documents.store import DocumentStore
from atelier_api.errors import (
    ENVELOPE_HEADERS,
    JSON_MIMETYPE,
    AtelierError,
    BadRequest,
    Envelope,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    error_envelope,
)
from atelier_api.services import Services
from atelier_api.version import API_VERSION

#: every Atelier route lives under this prefix
API_PREFIX = "/api/atelier"

F = TypeVar("F", bound=Callable[..., Any])


def services() -> Services:
    """The service container of the current app."""
    return current_app.extensions["atelier"]  # type: ignore[no-any-return]


def respond(
    result: Any = None, *, status: int = 200, console: list[str] | None = None,
    headers: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None,
    summary: str = "",
) -> Response:
    """A JSON envelope response with the IRIS cache headers."""
    env = Envelope({} if result is None else result, console or [], errors or [], summary)
    return envelope_response(env, status, headers)


def envelope_response(env: Envelope, status: int, headers: dict[str, str] | None = None
                      ) -> Response:
    """Serialize an envelope (no body for HEAD)."""
    body = b"" if request.method == "HEAD" else env.dumps()
    resp = Response(body, status=status, mimetype=None, content_type=JSON_MIMETYPE)
    resp.headers.update(ENVELOPE_HEADERS)
    if headers:
        resp.headers.update(headers)
    return resp


def error_response(exc: AtelierError) -> Response:
    """The envelope of an error, with its status and headers."""
    return envelope_response(error_envelope(exc), exc.http_status, exc.headers)


def versioned(min_version: int = 1) -> Callable[[F], F]:
    """Serve the view under /v{min_version}/ .. /v8/; below or above answers 404."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            version = kwargs.pop("version")
            if not min_version <= version <= API_VERSION:
                raise NotFound(f"Endpoint not available in API version {version} (this server "
                               f"serves it from v{min_version} to v{API_VERSION})")
            return view(*args, **kwargs)

        wrapper.min_version = min_version  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def store_for(namespace: str) -> DocumentStore:
    """The store of a namespace, or a 404 naming it."""
    store = services().store(namespace)
    if store is None:
        raise NotFound(f"Namespace '{namespace}' does not exist or is not available")
    return store


def require_sys(namespace: str) -> None:
    """Server-level endpoints live only under %SYS."""
    if namespace.upper() != "%SYS":
        raise NotFound(f"This endpoint exists only in %SYS, not in '{namespace}'")


def body_bytes() -> bytes:
    """The raw request body; 413 also for a chunked body that runs past max_body_bytes.

    Werkzeug stops reading a stream without Content-Length at the limit and returns what it
    read, which would surface as a misleading "not valid JSON" 400.
    """
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    over = limit is not None and request.content_length is None and len(raw) >= limit
    if over and request.environ["wsgi.input"].read(1):
        raise PayloadTooLarge("Request body is larger than the configured limit "
                              "(max_body_bytes)")
    return raw


def json_body(schema: Schema | None = None, *, expect: type = object) -> Any:
    """Parse the JSON body: 415 without application/json, 400 when malformed or mistyped."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, not '{request.mimetype or 'none'}'")
    raw = body_bytes()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("Request body is not valid JSON: nested too deeply") from None
    if _may_hold_surrogate(raw) and _has_lone_surrogate(data):
        raise BadRequest("Request body is not valid Unicode: a string holds a lone surrogate "
                         "(\\ud800-\\udfff escape)")
    if expect is not object and not isinstance(data, expect):
        kind = "array" if expect is list else "object"
        raise BadRequest(f"Request body must be a JSON {kind}")
    if schema is None:
        return data
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise BadRequest(f"Invalid request body: {_messages(exc.messages)}") from None


_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: In UTF-8 JSON text a surrogate can only come from a \uD800-\uDFFF escape, or from the
#: bytes of an encoded one (json.loads decodes with surrogatepass).
_SURROGATE_SOURCE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _may_hold_surrogate(raw: bytes) -> bool:
    """False when the parsed body of ``raw`` cannot hold a surrogate: the full walk of the
    parsed body is needed only when the text has something that could become one."""
    if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):
        return True  # UTF-16/32 bodies carry surrogates as code units: check the values
    return _SURROGATE_SOURCE.search(raw) is not None


def _has_lone_surrogate(data: Any) -> bool:
    """True when any key or string in parsed JSON holds a surrogate (cannot become UTF-8)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False


#: Most documents one bulk request (``POST``/``DELETE docs``, ``cvt/doc/xml``,
#: ``action/xml/export``) may name: beyond it the client sends several requests.
MAX_BULK_ITEMS = 10_000


#: Text one bulk read (``POST docs``, ``cvt/doc/xml``, ``action/xml/export``) gathers for its
#: answer at most: POST docs answers the documents past it with a per-document error (the
#: client reads them in another request), an export larger than this is refused with a 400.
MAX_BULK_RESPONSE_BYTES = 64 << 20


def bulk_items(data: list[Any]) -> list[Any]:
    """``data`` when a bulk request's items are within ``MAX_BULK_ITEMS``, else a 400."""
    if len(data) > MAX_BULK_ITEMS:
        raise BadRequest(f"At most {MAX_BULK_ITEMS} documents in one request, not {len(data)}; "
                         "send them in several requests")
    return data


def name_list_body() -> list[str]:
    """A body that is a JSON array of document names (at most ``MAX_BULK_ITEMS``)."""
    data = bulk_items(json_body(expect=list))
    bad = [i for i, item in enumerate(data) if not isinstance(item, str)]
    if bad:
        raise BadRequest(f"Request body must be an array of document names; item {bad[0]} is "
                         "not a string")
    return data


def _messages(messages: Any) -> str:
    return json.dumps(messages, ensure_ascii=False, sort_keys=True)


#: most digits a number in a path or a query parameter may have (no count or id this server
#: takes is that large; int() of a very long digit string costs time, then raises)
MAX_DIGITS = 18


def ascii_number(text: str) -> int | None:
    """The value of a whole number written in ASCII digits 0-9 only, else None.

    ``str.isdigit`` and ``int`` also take the digits of other scripts and compatibility
    forms (``³``, ``①``, ``٣``, fullwidth ``３``): ``int("³")`` raises and ``int("٣")`` is 3.
    A number on the wire is ASCII, so anything else is not a number at all.
    """
    if not text or len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


class AsciiIntConverter(IntegerConverter):
    """The ``int`` URL converter with ASCII digits only.

    Werkzeug's matches ``\\d+``, which in a Python ``str`` pattern is any Unicode decimal
    digit: ``/v٣/`` was read as ``/v3/``. Registered as ``int``, so every ``<int:...>`` rule
    uses it.
    """

    regex = "[0-9]+"


def flag(name: str, default: bool = False) -> bool:
    """A 0/1 (or true/false) query parameter; anything else is a 400."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    low = value.lower()
    if low in ("1", "true", "yes"):
        return True
    if low in ("0", "false", "no"):
        return False
    raise BadRequest(f"Query parameter '{name}' must be 0 or 1, not '{value}'")


def doc_response(status: int, *, schema: Any = None, description: str,
                 headers: dict[str, Any] | None = None,
                 content_type: str | None = None) -> Callable[[F], F]:
    """Document one response of a view for the OpenAPI document, like flask-smorest's
    ``Blueprint.alt_response`` but without wrapping the view: alt_response adds a wrapper
    per status (each one deep-copying the documentation so far, and each one a call on every
    request), which cost start-up time and request latency for documentation alone.
    ``content_type``: a body that is not the JSON envelope (``schema`` then an OpenAPI
    schema object, such as a binary string)."""
    from flask_smorest.utils import resolve_schema_instance

    resp: dict[str, Any] = {"description": description, "content_type": content_type}
    if schema is not None:
        resp["schema"] = resolve_schema_instance(schema)
    if headers is not None:
        resp["headers"] = headers

    def decorate(view: F) -> F:
        doc = view.__dict__.setdefault("_apidoc", {})
        doc.setdefault("response", {}).setdefault("responses", {}).setdefault(
            status, []).append(resp)
        return view
    return decorate


def error_responses(errors: dict[int, str]) -> Callable[..., Callable[[F], F]]:
    """``errors(400, 404)``: a decorator documenting those statuses (envelope, description
    from ``errors``) on a view, for the OpenAPI document."""
    from atelier_api.api.schemas.documents import EnvelopeSchema

    def for_codes(*codes: int) -> Callable[[F], F]:
        def decorate(view: F) -> F:
            for code in codes:
                view = doc_response(code, schema=EnvelopeSchema, description=errors[code])(view)
            return view
        return decorate
    return for_codes
