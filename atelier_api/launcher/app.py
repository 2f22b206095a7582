"""The launcher's Flask app: its REST API (``/launcher/v1``, tag ``Launcher``) and the launch
page (``/``); and the gate of the proxy to the sandboxes (``Launcher.admit``: who may pass
``/<proxy_prefix>/<user>/...``; ``launcher.front`` relays the bytes).

Users authenticate with Basic auth against the users table (scrypt hashes), or with the
cookie ``POST /launcher/v1/login`` sets (the page's way: a browser cannot answer a Basic
prompt from a script). A user sees and controls only their own sandbox; an operator sees
and controls all. With no users table (loopback only) every user name is accepted with any
password: a development set-up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from flask import Flask, Response, g, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint

from atelier_api.launcher.backend import Backend
from atelier_api.launcher.front import Admission, HttpError
from atelier_api.launcher.sandboxes import LaunchRefused, Record, Sandboxes
from atelier_api.launcher.settings import LauncherSettings, check_password
from atelier_api.version import __version__

log = logging.getLogger(__name__)

COOKIE = "atelier_launcher"
COOKIE_SECONDS = 12 * 3600
#: a verified Basic password is remembered this long (scrypt costs ~50 ms per check)
VERIFIED_SECONDS = 300
NO_STORE = {"Cache-Control": "no-store"}
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

blp = Blueprint("launcher", __name__, url_prefix="/launcher/v1",
                description="The launcher: each user's own sandbox on demand (a separate "
                            "service, `atelier-api launcher`; docs/launcher.md).")


# -- schemas ----------------------------------------------------------------------------------

class RelaunchesSchema(ma.Schema):
    used = ma.fields.Integer(metadata={"description": "relaunches made so far"})
    max = ma.fields.Integer(metadata={"description": "relaunch_max (-1: no limit)"})
    left = ma.fields.Integer(allow_none=True, metadata={"description": "null: no limit"})
    cooldownSeconds = ma.fields.Integer()
    nextAllowedAt = ma.fields.String(allow_none=True,
                                     metadata={"description": "ISO time; null: now"})


class ConnectionSchema(ma.Schema):
    scheme = ma.fields.String()
    host = ma.fields.String()
    port = ma.fields.Integer()
    pathPrefix = ma.fields.String(metadata={"description": "VS Code's `pathPrefix`"})
    namespace = ma.fields.String()
    username = ma.fields.String()
    password = ma.fields.String(metadata={"description": "the sandbox's own random password"})


class SandboxSchema(ma.Schema):
    user = ma.fields.String()
    id = ma.fields.String()
    state = ma.fields.String(metadata={"description": "starting, ready, stopping, gone or "
                                                      "crashed"})
    reason = ma.fields.String(metadata={"description": "why it stopped or crashed"})
    workspace = ma.fields.String()
    startState = ma.fields.String(metadata={"description": "original or preserved"})
    createdAt = ma.fields.String()
    readyAt = ma.fields.String(allow_none=True)
    endedAt = ma.fields.String(allow_none=True)
    expiresAt = ma.fields.String(allow_none=True, metadata={"description": "null: no limit"})
    remainingSeconds = ma.fields.Integer(allow_none=True)
    idleTimeoutSeconds = ma.fields.Integer()
    url = ma.fields.String(metadata={"description": "the sandbox through the launcher"})
    relaunches = ma.fields.Nested(RelaunchesSchema)
    connection = ma.fields.Nested(ConnectionSchema)
    vscodeSettings = ma.fields.Dict(metadata={"description": "the settings.json snippet"})


class LaunchBodySchema(ma.Schema):
    workspace = ma.fields.String(load_default=None, metadata={
        "description": "a workspace source name (GET /launcher/v1/me lists them)"})


class DiscardArgsSchema(ma.Schema):
    dropState = ma.fields.Boolean(load_default=False, metadata={
        "description": "also remove the preserved workspace and state"})


class LoginBodySchema(ma.Schema):
    username = ma.fields.String(required=True)
    password = ma.fields.String(required=True)


class MeSchema(ma.Schema):
    user = ma.fields.String()
    operator = ma.fields.Boolean()
    workspaces = ma.fields.List(ma.fields.String())
    rules = ma.fields.Dict()
    relaunches = ma.fields.Nested(RelaunchesSchema)


class LauncherErrorSchema(ma.Schema):
    """``{"error": {"status", "message"}}``, the launcher's errors."""

    error = ma.fields.Dict(metadata={"description": "{status, message}"})


Err = LauncherErrorSchema


# -- the app ----------------------------------------------------------------------------------

class Launcher:
    """What the views and the front share: settings, sandboxes, verified passwords."""

    def __init__(self, settings: LauncherSettings, sandboxes: Sandboxes) -> None:
        self.settings = settings
        self.sandboxes = sandboxes
        self.front: Any = None  # launcher.front.Front, once the worker runs
        self._verified: dict[str, float] = {}
        self._lock = threading.Lock()
        self.secret = sandboxes.store.secret.encode()

    # authentication ---------------------------------------------------------------------------
    def basic_user(self, header: str | None) -> tuple[str | None, str | None]:
        """(user, password) of a Basic header, or (None, None)."""
        if not header or header[:6].lower() != "basic ":
            return None, None
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        user, sep, password = raw.partition(":")
        return (user, password) if sep else (None, None)

    def check(self, user: str, password: str, blocking: bool = True) -> bool | None:
        """A launcher user's password (remembered for a while once right); None when it
        needs checking and ``blocking`` is false (scrypt takes tens of milliseconds)."""
        users = self.settings.users
        if not users:
            return bool(_valid_name(user))
        known = users.get(user)
        if known is None:
            return False
        key = hashlib.sha256(f"{user}\0{password}\0{known.password_hash}".encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            if self._verified.get(key, 0) > now:
                return True
        if not blocking:
            return None
        if not check_password(known.password_hash, password):
            return False
        with self._lock:
            self._verified[key] = now + VERIFIED_SECONDS
        return True

    def admit(self, owner: str, authorization: str | None, blocking: bool
              ) -> Admission | None:
        """Whether a request for ``owner``'s sandbox passes (``launcher.front`` asks): an
        ``Admission``, ``HttpError`` (401, 403, 404, 503) when refused, or None when deciding
        would wait and ``blocking`` is false (a password's first check, a sandbox starting).

        Basic credentials are checked here only when they are not the sandbox's own: another
        user's launcher password gets 403, unknown ones 401. Without credentials the sandbox
        decides (its session cookie, scoped to the user's path)."""
        override = None
        user, password = self.basic_user(authorization)
        if user is not None and password is not None:
            record = self.sandboxes.get(owner)
            own = (record is not None and user == record.username
                   and hmac.compare_digest(password.encode(), record.password.encode()))
            if not own:
                known = self.check(user, password, blocking)
                if known is None:
                    return None
                if known and user != owner:
                    raise HttpError(403, f"The sandbox of {owner} is not yours.")
                if not known:
                    raise HttpError(401, "Wrong user name or password for this sandbox.",
                                    challenge=True)
                if record is not None:  # the owner's launcher password: the sandbox's own
                    token = base64.b64encode(f"{record.username}:{record.password}".encode())
                    override = "Basic " + token.decode()
        try:
            record = self.sandboxes.wait_ready(
                owner, self.settings.proxy_wait_seconds if blocking else 0)
        except LaunchRefused as exc:
            if exc.status == 503 and not blocking and self.settings.proxy_wait_seconds > 0:
                return None
            raise HttpError(exc.status, exc.message, exc.retry_after) from None
        assert record.endpoint is not None
        self.sandboxes.touch(owner)
        return Admission(tuple(record.endpoint), override)  # type: ignore[arg-type]

    def is_operator(self, user: str) -> bool:
        known = self.settings.users.get(user)
        return bool(known and known.operator)

    def cookie_value(self, user: str) -> str:
        expires = int(time.time()) + COOKIE_SECONDS
        payload = f"{user}:{expires}"
        mac = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
        return f"{payload}:{mac}"

    def cookie_user(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            user, expires, mac = value.rsplit(":", 2)
        except ValueError:
            return None
        want = hmac.new(self.secret, f"{user}:{expires}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, mac) or not expires.isdigit() \
                or int(expires) < time.time():
            return None
        if self.settings.users and user not in self.settings.users:
            return None
        return user

    def current_user(self) -> str | None:
        user, password = self.basic_user(request.headers.get("Authorization"))
        if user is not None and password is not None:
            return user if self.check(user, password) else None
        return self.cookie_user(request.cookies.get(COOKIE))

    # views' helpers ---------------------------------------------------------------------------
    def base_url(self) -> tuple[str, str, int]:
        """(scheme, host, port) IDEs reach the launcher at."""
        url = urlsplit(self.settings.public_url or request.host_url)
        scheme = url.scheme or "http"
        return scheme, url.hostname or "127.0.0.1", url.port or (443 if scheme == "https"
                                                                  else 80)

    def relaunches(self, user: str) -> dict[str, Any]:
        s = self.settings
        state = self.sandboxes.user_state(user)
        used = max(0, state.launches - 1)
        left = None if s.relaunch_max < 0 else max(0, s.relaunch_max - used)
        next_at = state.last_launch + s.relaunch_cooldown_seconds if state.launches else 0
        return {"used": used, "max": s.relaunch_max, "left": left,
                "cooldownSeconds": s.relaunch_cooldown_seconds,
                "nextAllowedAt": _iso(next_at) if next_at > time.time() else None}

    def view(self, record: Record) -> dict[str, Any]:
        s = self.settings
        scheme, host, port = self.base_url()
        prefix = f"/{s.proxy_prefix}/{record.user}"
        now = time.time()
        live = record.active
        server = f"atelier-{record.user}"
        connection = {"scheme": scheme, "host": host, "port": port, "pathPrefix": prefix,
                      "namespace": s.namespace, "username": record.username,
                      "password": record.password}
        return {
            "user": record.user, "id": record.sandbox_id, "state": record.state,
            "reason": record.reason, "workspace": record.workspace,
            "startState": record.start_state, "createdAt": _iso(record.created),
            "readyAt": _iso(record.ready_at) if record.ready_at else None,
            "endedAt": _iso(record.ended_at) if record.ended_at else None,
            "expiresAt": _iso(record.expires) if record.expires else None,
            "remainingSeconds": max(0, int(record.expires - now)) if record.expires and live
            else (None if not record.expires else 0),
            "idleTimeoutSeconds": s.idle_timeout_seconds,
            "url": f"{scheme}://{_hostport(host, port, scheme)}{prefix}",
            "relaunches": self.relaunches(record.user),
            "connection": connection,
            "vscodeSettings": {
                "intersystems.servers": {server: {
                    "webServer": {"scheme": scheme, "host": host, "port": port,
                                  "pathPrefix": prefix},
                    "username": record.username, "password": record.password}},
                "objectscript.conn": {"server": server, "ns": s.namespace, "active": True},
            },
        }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00",
                                                                                      "Z")


def _hostport(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


def _valid_name(user: str) -> bool:
    import re

    return re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", user) is not None


def _state() -> Launcher:
    from flask import current_app

    launcher: Launcher = current_app.extensions["launcher"]
    return launcher


def _error(status: int, message: str, retry_after: int | None = None) -> Response:
    headers = dict(NO_STORE)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    # the page's own calls (X-Requested-With) get no challenge: a browser would hold the
    # request and put its password prompt over the page's login form
    if status == 401 and request.headers.get("X-Requested-With") != "XMLHttpRequest":
        headers["WWW-Authenticate"] = 'Basic realm="atelier-launcher"'
    body = json.dumps({"error": {"status": status, "message": message}})
    return Response(body, status=status, headers=headers, content_type="application/json")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json",
                    headers={**NO_STORE, **(headers or {})})


def _require_user() -> str:
    user = _state().current_user()
    if user is None:
        raise _Abort(_error(401, "Log in: Basic auth with your launcher user, or POST "
                                 "/launcher/v1/login."))
    g.launcher_user = user
    return user


def _owner_or_operator(target: str) -> str:
    user = _require_user()
    if user != target and not _state().is_operator(user):
        raise _Abort(_error(403, "You may only see and control your own sandbox."))
    return user


class _Abort(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _sandbox_or_404(user: str) -> Record:
    record = _state().sandboxes.get(user)
    if record is None:
        raise _Abort(_error(404, f"{user} has no sandbox yet."))
    return record


def _refused(exc: LaunchRefused) -> Response:
    return _error(exc.status, exc.message, exc.retry_after)


# -- the API ----------------------------------------------------------------------------------

@blp.route("/login", methods=["POST"])
@blp.arguments(LoginBodySchema)
@blp.response(200, MeSchema)
@blp.alt_response(401, schema=Err, description="wrong user name or password")
def login(body: dict[str, str]) -> Response:
    """Log in to the launcher: sets its session cookie (the page's way in)."""
    state = _state()
    if not state.check(body["username"], body["password"]):
        return _error(401, "Wrong user name or password.")
    response = _json(_me(body["username"]))
    response.set_cookie(COOKIE, state.cookie_value(body["username"]), max_age=COOKIE_SECONDS,
                        path="/launcher", httponly=True, samesite="Strict",
                        secure=request.scheme == "https")
    return response


@blp.route("/logout", methods=["POST"])
@blp.response(204)
def logout() -> Response:
    """Forget the launcher's session cookie."""
    response = Response(status=204, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/launcher")
    return response


def _me(user: str) -> dict[str, Any]:
    state = _state()
    s = state.settings
    return {"user": user, "operator": state.is_operator(user), "workspaces": s.choosable(),
            "rules": {"maxLifetimeSeconds": s.max_lifetime_seconds,
                      "idleTimeoutSeconds": s.idle_timeout_seconds,
                      "startState": s.start_state, "relaunchMax": s.relaunch_max,
                      "relaunchCooldownSeconds": s.relaunch_cooldown_seconds,
                      "maxRunning": s.max_running, "cpus": s.cpus,
                      "memoryBytes": s.memory_bytes},
            "relaunches": state.relaunches(user)}


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@blp.alt_response(401, schema=Err, description="not logged in")
def me() -> Response:
    """Who you are, the rules, the workspace sources you may choose."""
    return _json(_me(_require_user()))


@blp.route("/sandbox")
class OwnSandbox(MethodView):
    """Your own sandbox."""

    @blp.response(200, SandboxSchema)
    @blp.alt_response(404, schema=Err, description="you never launched one")
    def get(self) -> Response:
        """Your sandbox's state, remaining lifetime and connection settings (also the last
        one, `gone` or `crashed`, with the reason)."""
        user = _require_user()
        return _json(_state().view(_sandbox_or_404(user)))

    @blp.arguments(LaunchBodySchema)
    @blp.response(201, SandboxSchema, description="a new sandbox, `starting`")
    @blp.alt_response(200, schema=SandboxSchema, description="the one you have (idempotent)")
    @blp.alt_response(403, schema=Err, description="no relaunches left")
    @blp.alt_response(429, schema=Err, description="relaunch cool-down (Retry-After)")
    @blp.alt_response(503, schema=Err, description="all sandboxes in use, or the "
                                                           "engine is down (Retry-After)")
    def post(self, body: dict[str, Any]) -> Response:
        """Launch your sandbox, or return the one you have."""
        user = _require_user()
        try:
            record, created = _state().sandboxes.launch(user, body.get("workspace"))
        except LaunchRefused as exc:
            return _refused(exc)
        return _json(_state().view(record), 201 if created else 200)

    @blp.arguments(DiscardArgsSchema, location="query")
    @blp.response(202, SandboxSchema, description="it is stopping")
    @blp.alt_response(404, schema=Err, description="you have none")
    def delete(self, args: dict[str, Any]) -> Response:
        """Discard your sandbox (and with `dropState=true` its preserved state)."""
        user = _require_user()
        record = _state().sandboxes.discard(user, drop_state=args["dropState"])
        if record is None:
            return _error(404, f"{user} has no sandbox.")
        return _json(_state().view(record), 202)


@blp.route("/sandbox/relaunch", methods=["POST"])
@blp.arguments(LaunchBodySchema)
@blp.response(201, SandboxSchema)
@blp.alt_response(403, schema=Err, description="no relaunches left")
@blp.alt_response(429, schema=Err, description="relaunch cool-down (Retry-After)")
@blp.alt_response(503, schema=Err, description="all sandboxes in use, or the engine "
                                                       "is down (Retry-After)")
def relaunch(body: dict[str, Any]) -> Response:
    """Replace your sandbox by a new one, within the relaunch rules (`original`: from the
    workspace source again; `preserved`: with your saved work)."""
    user = _require_user()
    try:
        record = _state().sandboxes.relaunch(user, body.get("workspace"))
    except LaunchRefused as exc:
        return _refused(exc)
    return _json(_state().view(record), 201)


@blp.route("/sandboxes", methods=["GET"])
@blp.response(200, SandboxSchema(many=True))
@blp.alt_response(403, schema=Err, description="operators only")
def list_sandboxes() -> Response:
    """Every user's sandbox (operators only); add `?all=1` for ended ones too."""
    user = _require_user()
    state = _state()
    if not state.is_operator(user):
        return _error(403, "Only an operator may list every sandbox.")
    show_all = request.args.get("all") in ("1", "true")
    return _json([state.view(r) for r in state.sandboxes.all() if show_all or r.active])


@blp.route("/sandboxes/<user>")
class UserSandbox(MethodView):
    """One user's sandbox (that user or an operator)."""

    @blp.response(200, SandboxSchema)
    @blp.alt_response(403, schema=Err, description="another user's sandbox")
    @blp.alt_response(404, schema=Err, description="none")
    def get(self, user: str) -> Response:
        """That user's sandbox."""
        _owner_or_operator(user)
        return _json(_state().view(_sandbox_or_404(user)))

    @blp.arguments(DiscardArgsSchema, location="query")
    @blp.response(202, SandboxSchema)
    @blp.alt_response(403, schema=Err, description="another user's sandbox")
    @blp.alt_response(404, schema=Err, description="none")
    def delete(self, args: dict[str, Any], user: str) -> Response:
        """Discard that user's sandbox."""
        _owner_or_operator(user)
        record = _state().sandboxes.discard(user, drop_state=args["dropState"])
        if record is None:
            return _error(404, f"{user} has no sandbox.")
        return _json(_state().view(record), 202)


# -- the page ---------------------------------------------------------------------------------

def _static(name: str) -> Response:
    kinds = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
             ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
    folder = resources.files("atelier_api.launcher") / "static"
    target = folder / name
    if "/" in name or name.startswith(".") or not target.is_file():
        return _error(404, f"no such file: {name}")
    kind = next((v for k, v in kinds.items() if name.endswith(k)), "application/octet-stream")
    return Response(target.read_bytes(), content_type=kind,
                    headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache",
                             "X-Content-Type-Options": "nosniff"})


def create_launcher_app(settings: LauncherSettings, sandboxes: Sandboxes) -> Flask:
    """The launcher's Flask app over ``sandboxes`` (whose threads the caller starts)."""
    app = Flask(__name__)
    app.url_map.strict_slashes = False
    app.config.update({
        "API_TITLE": "atelier-api launcher", "API_VERSION": __version__,
        "OPENAPI_VERSION": "3.0.3", "OPENAPI_URL_PREFIX": "/launcher",
        "OPENAPI_JSON_PATH": "openapi.json", "MAX_CONTENT_LENGTH": settings.max_body_bytes,
    })
    state = Launcher(settings, sandboxes)
    app.extensions["launcher"] = state
    api = Api(app)
    api.register_blueprint(blp)
    api.spec.components.security_scheme("basic", {"type": "http", "scheme": "basic"})

    app.add_url_rule("/", "page", lambda: _static("index.html"))
    app.add_url_rule("/launcher/static/<name>", "static_file", _static)
    app.add_url_rule("/launcher/healthz", "healthz",
                     lambda: _json({"status": "ok", "backend": sandboxes.backend.name}))

    @app.errorhandler(_Abort)
    def _aborted(exc: _Abort) -> Response:
        return exc.response

    @app.errorhandler(422)
    def _unprocessable(exc: Any) -> Response:
        messages = getattr(exc, "data", {}).get("messages", {})
        return _error(400, f"Bad request: {json.dumps(messages)}")

    @app.errorhandler(413)
    def _too_large(_exc: Any) -> Response:
        return _error(413, f"Request body over max_body_bytes = {settings.max_body_bytes}")

    @app.errorhandler(404)
    def _not_found(_exc: Any) -> Response:
        return _error(404, f"No such path: {request.path}")

    @app.errorhandler(405)
    def _not_allowed(_exc: Any) -> Response:
        return _error(405, f"{request.method} is not allowed on {request.path}")

    return app


def make_backend(settings: LauncherSettings, instance: str) -> Backend:
    """The configured backend."""
    if settings.backend in ("podman", "docker"):
        from atelier_api.launcher.engine import EngineBackend

        return EngineBackend(instance=instance, engine_url=settings.engine_url,
                             name=settings.backend)
    if settings.backend == "kubernetes":
        from atelier_api.launcher import kube

        labels = dict(pair.split("=", 1) for pair in settings.kube_launcher_labels.split(",")
                      if "=" in pair)
        backend: Backend = kube.KubernetesBackend(settings.kube_namespace
                                                  or kube.own_namespace(), instance,
                                                  launcher_selector=labels)
        return backend
    from atelier_api.launcher.process import ProcessBackend

    return ProcessBackend(f"{settings.state_dir}/process", instance=instance)
