"""The app factory: ``create_app`` builds the Flask app, its services, blueprints and hooks."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, Response, g, request, send_from_directory
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter
from werkzeug.routing.exceptions import WebsocketMismatch

from atelier_api.api.common import API_PREFIX, AsciiIntConverter
from atelier_api.api.spec import AtelierApi
from atelier_api.version import __version__

log = logging.getLogger(__name__)


class DocNameConverter(PathConverter):
    """A document name: like ``path`` but may start with "/" (``doc//csp/user/x.csp``), and
    any character matches (a name with a newline reaches the view, which refuses it: 400)."""

    regex = "(?s:.+?)"
    part_isolating = False


class AtelierFlask(Flask):
    """Flask whose automatic OPTIONS answer is an envelope too (never an empty 200 body)."""

    def make_default_options_response(self) -> Response:
        """``Allow`` as Flask computes it, with the Atelier envelope as the body."""
        from atelier_api.api.common import respond

        allow = super().make_default_options_response().headers.get("Allow", "")
        return respond(headers={"Allow": allow})


def create_app(settings: Any = None, *, compiler: Any = None) -> Flask:
    """Build the Flask app and its services; the only builder of app state.

    No background thread starts here: those belong to the process entry points.
    """
    from atelier_api.adapters.discovery import load_adapter
    from atelier_api.config import load_settings
    from atelier_api.services import build_services

    settings = settings if settings is not None else load_settings()
    adapter = compiler if compiler is not None else load_adapter(settings.compiler)
    svc = build_services(settings, adapter)
    app = AtelierFlask(__name__)
    app.url_map.merge_slashes = False  # doc//csp/user/x.csp must reach the view intact
    app.url_map.strict_slashes = False
    app.url_map.converters["docname"] = DocNameConverter
    app.url_map.converters["int"] = AsciiIntConverter  # /v٣/ is not /v3/
    app.config.update(_flask_config(svc.settings))
    app.extensions["atelier"] = svc
    api = AtelierApi(app, spec_kwargs={"info": {"description": API_DESCRIPTION}})
    api.register_converter(DocNameConverter, lambda _c: {
        "type": "string",
        "description": "document name; web files may start with / (doc//csp/user/x.csp)"})
    _register_blueprints(api)
    _register_hooks(app)
    _register_docs_assets(app)
    return app


API_DESCRIPTION = (
    "An open reference implementation of the InterSystems ObjectScript source-code REST API "
    "(\"Atelier\", /api/atelier/v1..v8). Every response body is the Atelier envelope "
    "{status: {errors, summary}, console, result}. Log in with HEAD /api/atelier/ and Basic "
    "auth; later calls authenticate with the session cookie alone. Every versioned path exists "
    "under /v1/ .. /v8/ from the endpoint's minimum version up; the namespace segment is "
    "percent-encoded (%25SYS)."
)


def _flask_config(settings: Any) -> dict[str, Any]:
    return {
        "MAX_CONTENT_LENGTH": settings.max_body_bytes,
        "API_TITLE": "atelier-api",
        "API_VERSION": __version__,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/static/",
        # no badge from the public validator service: the page works offline, under its CSP
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "JSON_SORT_KEYS": False,
    }


def _register_blueprints(api: AtelierApi) -> None:
    from atelier_api.api import (
        actions,
        debug,
        documents,
        ens,
        health,
        operator,
        query,
        server,
        system,
        terminal,
        work,
        xml,
    )

    for module in (server, system, documents, actions, query, work, xml, ens, health, operator,
                   terminal, debug):
        api.register_blueprint(module.blp)


def _register_hooks(app: Flask) -> None:
    from atelier_api.api.common import error_response, services
    from atelier_api.api.server import asks_logout
    from atelier_api.errors import (
        AtelierError,
        BadRequest,
        MethodNotAllowed,
        NotFound,
        PayloadTooLarge,
    )

    _register_browser_defaults(app)  # first: Host and cross-site checks precede the login

    @app.before_request
    def authenticate() -> None:
        g.new_session = False
        path = request.path
        client = request.remote_addr or ""
        svc = services()
        if _under(path, OPERATOR_PREFIX):  # Basic on every call, under the login throttle
            if svc.sessions.auth_required:
                svc.sessions.login(request.headers.get("Authorization"), client)
            return
        if not _under(path, API_PREFIX):
            return
        g.session, g.new_session = svc.sessions.authenticate(
            request.headers.get("Cookie"), request.headers.get("Authorization"), client)
        g.logout = asks_logout(request.args)
        g.job = svc.jobs.start(_namespace_of(path), f"{request.method} {request.path}",
                               device=request.remote_addr or "")

    @app.teardown_request
    def end_job(_exc: BaseException | None) -> None:
        job = g.pop("job", None)
        if job is not None:
            services().jobs.finish(job.pid)

    @app.after_request
    def add_cookie(resp: Response) -> Response:
        sessions = services().sessions
        if g.get("logout", False):  # ?CacheLogout=end: the session ends with this request
            sessions.close(g.session)
            resp.headers.add("Set-Cookie", sessions.expire_cookie_value())
        elif g.get("new_session", False):
            resp.headers.add("Set-Cookie", sessions.set_cookie_value(g.session))
        return resp

    @app.errorhandler(AtelierError)
    def atelier_error(exc: AtelierError) -> Response:
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        mapped: dict[int, type[AtelierError]] = {
            404: NotFound, 405: MethodNotAllowed, 413: PayloadTooLarge, 400: BadRequest,
            422: BadRequest}
        code = exc.code or 500
        kind = mapped.get(code, AtelierError)
        error = kind(_http_message(exc))
        if kind is AtelierError:
            error.http_status = code
        return error_response(error)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(AtelierError(f"Internal error: {type(exc).__name__}"))


OPERATOR_PREFIX = "/operator"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _register_browser_defaults(app: Flask) -> None:
    """Host allow-list, cross-site refusal, security headers (the session cap and the login
    throttle are the session table's own: ``services.build_services``)."""
    from atelier_api.api import guards
    from atelier_api.config import host_names

    settings = app.extensions["atelier"].settings
    guards.register(app, settings.host, host_names(settings.allowed_hosts))


def _namespace_of(path: str) -> str:
    """The namespace segment of an API path (``%SYS`` when there is none)."""
    parts = path[len(API_PREFIX) :].split("/")
    return parts[2].upper() if len(parts) > 2 and parts[2] else "%SYS"


def _http_message(exc: HTTPException) -> str:
    code = exc.code or 500
    if code == 404:
        return f"No such endpoint: {request.method} {request.path}"
    if code == 405:
        return f"Method {request.method} is not allowed on {request.path}"
    if code == 413:
        return "Request body is larger than the configured limit (max_body_bytes)"
    if isinstance(exc, WebsocketMismatch):
        return ("This endpoint is a WebSocket: open it with an Upgrade: websocket request"
                if request.headers.get("Upgrade", "").lower() != "websocket"
                else "This endpoint is not a WebSocket")
    messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
    return f"{exc.name}: {messages or exc.description}"


def _register_docs_assets(app: Flask) -> None:
    import swagger_ui_bundle

    folder = swagger_ui_bundle.swagger_ui_path

    @app.route("/docs/static/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        """Swagger UI assets, served locally (no CDN needed)."""
        return send_from_directory(os.fspath(folder), filename, max_age=3600)
