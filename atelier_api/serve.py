"""Running the server under gunicorn: one process, the threaded worker."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.http import wsgi as gunicorn_wsgi

from atelier_api.adapters.discovery import load_adapter
from atelier_api.config import ConfigError, Settings, load_settings
from atelier_api.operations import launch
from atelier_api.services import build_services
from atelier_api.slowclients import ClientLimits, GuardedWorker

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn configured from our settings; the app is built in the worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.launched = time.monotonic()  # the lifetime clock survives a worker restart
        super().__init__()

    def load_config(self) -> None:
        host = self.settings.host
        bind = f"[{host}]:{self.settings.port}" if ":" in host else f"{host}:{self.settings.port}"
        options: dict[str, Any] = {
            "bind": bind, "workers": 1, "worker_class": EnvelopeWorker,
            "threads": self.settings.threads, "timeout": 0, "graceful_timeout": 20,
            "keepalive": 30, "loglevel": self.settings.log_level, "worker_exit": _worker_exit,
            "post_worker_init": _post_worker_init,
            "proc_name": "atelier-api",
            # responses go through the socket's paced sendall (atelier_api.slowclients)
            "sendfile": False,
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25.1
            # its control socket lives in $HOME, shared by every sandbox on the host
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from atelier_api.app import create_app

        app = create_app(self.settings)
        start_warm_up(app.extensions["atelier"])
        return app


class EnvelopeWorker(GuardedWorker):
    """The gthread worker whose own error pages (bad request line, URI too long, headers too
    large, request timeouts) are Atelier envelopes too: a client must never receive HTML.

    Slow and idle clients are kept off its threads by ``GuardedWorker``
    (``atelier_api.slowclients``), with the limits of the settings."""

    def init_process(self) -> None:
        gunicorn_util.write_error = _write_envelope_error  # this worker process only
        gunicorn_wsgi.Response = CoalescingResponse  # what wsgi.create() builds, here only
        super().init_process()

    def client_limits(self) -> ClientLimits:
        settings = getattr(self.app, "settings", None)
        if not isinstance(settings, Settings):  # an external gunicorn: the environment's
            try:
                settings = load_settings()
            except ConfigError:
                return ClientLimits()  # the application reports the bad setting itself
        return ClientLimits(head_timeout=float(settings.request_head_timeout_seconds),
                            min_rate=settings.min_body_rate_bytes,
                            max_per_client=settings.max_connections_per_client)

    def handle(self, conn: Any) -> Any:
        """Serve a kept-alive connection's next requests in the same thread while they come.

        The plain gthread worker hands every finished connection back to its poller thread
        and every new request back to the pool: three thread hand-offs per request. An IDE
        sends its requests back to back, so this thread waits a moment (``KEEPALIVE_LINGER``)
        for the next one to arrive complete before handing the connection back (a request that
        is still arriving by then goes back to the poller, never keeping this thread).
        """
        result = super().handle(conn)
        while result is True and self.alive and self.next_request_buffered(
                conn, KEEPALIVE_LINGER):
            result = super().handle(conn)
        return result


class CoalescingResponse(gunicorn_wsgi.Response):  # type: ignore[misc]
    """gunicorn's response whose head leaves in the same write as the first body bytes.

    gunicorn writes the head, then each body piece: two writes for the smallest answer, so
    the client wakes up twice (once for a head it cannot use alone). Held until the first
    body bytes (or the end, for an answer without a body), the head costs no write of its
    own. The writes still go through the worker's paced socket."""

    _held = b""
    headers_sent: bool

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        lines = self.default_headers()
        lines.extend(f"{k}: {v}\r\n" for k, v in self.headers)
        self._held = ("".join(lines) + "\r\n").encode("latin-1")
        self.headers_sent = True

    def _emit_body(self, data: bytes) -> None:
        if not self._held:
            super()._emit_body(data)
            return
        if self.chunked:
            data = b"%X\r\n%s\r\n" % (len(data), data)
        head, self._held = self._held, b""
        self.sock.sendall(head + data)

    def flush_head(self) -> None:
        """Send a head still held (an answer with no body bytes)."""
        if self._held:
            head, self._held = self._held, b""
            self.sock.sendall(head)

    def close(self) -> None:
        if not self.headers_sent:
            self.send_headers()
        self.flush_head()
        super().close()


#: How long a worker thread waits for the next request on a kept-alive connection.
KEEPALIVE_LINGER = 0.05


def _write_envelope_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` with a JSON envelope instead of an HTML page."""
    from atelier_api.errors import JSON_MIMETYPE, AtelierError, error_envelope

    error = AtelierError(f"{reason}: {mesg}" if mesg else reason)
    error.http_status = status_int
    body = error_envelope(error).dumps()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {JSON_MIMETYPE}\r\nContent-Length: {len(body)}\r\n\r\n")
    send = getattr(gunicorn_util, "write_nonblock", None)
    if send is not None:
        send(sock, head.encode("latin-1") + body)
    else:
        sock.sendall(head.encode("latin-1") + body)


def start_warm_up(svc: Any) -> threading.Thread:
    """Index every namespace in the background; /readyz answers 200 once it is done."""
    thread = threading.Thread(target=svc.warm_up, name="atelier-warm-up", daemon=True)
    thread.start()
    return thread


def _post_worker_init(worker: Any) -> None:
    """Start the worker's background threads: the file watcher and the lifecycle supervisor."""
    from atelier_api.operations import start_background

    worker.atelier_background = start_background(
        worker.wsgi.extensions["atelier"], arbiter_pid=worker.ppid,
        alive=lambda: bool(worker.alive), launched=getattr(worker.app, "launched", None))


def _worker_exit(server: Any, worker: Any) -> None:
    """Flush derived state when the worker stops (SIGTERM included)."""
    background = getattr(worker, "atelier_background", None)
    if background is not None:
        background.stop()  # drain, stop the supervisor, take in the watcher's last batch
    app = getattr(worker, "wsgi", None)
    svc = getattr(app, "extensions", {}).get("atelier") if app is not None else None
    if svc is not None:
        svc.close()


def run(settings: Settings) -> None:
    """Fail fast on bad configuration in the parent, then serve until stopped."""
    load_adapter(settings.compiler)
    launch(settings)  # clone / snapshot / apply start_mode, once per launch
    build_services(settings, load_adapter(settings.compiler)).close()
    log.info("serving on %s:%s", settings.host, settings.port)
    _Gunicorn(settings).run()
