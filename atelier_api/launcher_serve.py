"""Running the launcher: ``atelier-api launcher``.

Two parts in one worker process: the front (``launcher.front``, an asyncio server on the
launcher's port: the proxy to the sandboxes, and the way in to everything else), and the
Flask app (API and page) under gunicorn with the server's guarded worker, bound to a Unix
socket in a private folder that only the front talks to. gunicorn's master watches the
worker; the listening socket is made before it forks, so a port in use fails the start."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import socket
import tempfile
from dataclasses import replace
from typing import Any

from gunicorn.app.base import BaseApplication

from atelier_api.launcher.backend import BackendUnavailable
from atelier_api.launcher.engine import engine_socket_found, start_podman_service
from atelier_api.launcher.front import Front, listen
from atelier_api.launcher.serve import build
from atelier_api.launcher.settings import LauncherSettings, default_state_dir
from atelier_api.serve import EnvelopeWorker
from atelier_api.slowclients import ClientLimits

log = logging.getLogger(__name__)


class StartError(RuntimeError):
    """The launcher cannot start: its address is taken, or its backend cannot even be set up
    (no Kubernetes configuration, a missing client library)."""


class LauncherWorker(EnvelopeWorker):
    """The server's guarded gthread worker, with the default client limits."""

    def client_limits(self) -> ClientLimits:
        return ClientLimits()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: LauncherSettings, listener: socket.socket, app_socket: str
                 ) -> None:
        self.settings = settings
        self.listener = listener
        self.app_socket = app_socket
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        listener, app_socket = self.listener, self.app_socket

        def post_worker_init(worker: Any) -> None:
            launcher = worker.wsgi.extensions["launcher"]
            launcher.sandboxes.start()
            front = Front(launcher, listener, app_socket)
            launcher.front = front
            front.start()

        options: dict[str, Any] = {
            "bind": f"unix:{app_socket}", "workers": 1, "worker_class": LauncherWorker,
            "threads": s.threads,
            "timeout": 0, "graceful_timeout": 10, "keepalive": 30, "loglevel": s.log_level,
            "proc_name": "atelier-launcher", "sendfile": False,
            "post_worker_init": post_worker_init, "worker_exit": _worker_exit,
        }
        if "control_socket_disable" in self.cfg.settings:
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        app, _ = build(self.settings)
        return app


def _worker_exit(server: Any, worker: Any) -> None:
    launcher = worker.wsgi.extensions.get("launcher") if hasattr(worker, "wsgi") else None
    if launcher is not None:
        front = getattr(launcher, "front", None)
        if front is not None:
            front.stop()
        launcher.sandboxes.close()


def run(settings: LauncherSettings) -> None:
    """Check the backend answers, then serve until stopped. Sandboxes outlive the launcher:
    a restarted launcher adopts them."""
    try:
        listener = listen(settings.host, settings.port)
    except OSError as exc:
        raise StartError(f"cannot listen on {settings.host}:{settings.port}: "
                           f"{os.strerror(exc.errno) if exc.errno else exc} (another "
                           "launcher or server there? "
                           "--port or ATELIER_LAUNCHER_PORT)") from None
    if settings.backend == "podman" and not settings.engine_url and not engine_socket_found():
        # one command on a machine with podman: its API service, run by the launcher
        url, _service = start_podman_service(os.path.join(
            settings.state_dir or default_state_dir(), "podman"))
        atexit.register(_service.terminate)
        settings = replace(settings, engine_url=url)
        log.info("started podman system service on %s", url)
    try:
        app, sandboxes = build(settings)
    except BackendUnavailable as exc:
        raise StartError(str(exc)) from None
    try:
        sandboxes.backend.ping()
    except BackendUnavailable as exc:
        log.warning("%s (launches fail until it answers)", exc)
    sandboxes.backend.close()
    del app
    log.info("launcher on %s:%s, backend %s, state in %s (pid %s)", settings.host,
             settings.port, settings.backend, settings.state_dir or default_state_dir(),
             os.getpid())
    private = tempfile.mkdtemp(prefix="atelier-launcher-")  # 0700: only this user
    atexit.register(shutil.rmtree, private, True)
    _Gunicorn(settings, listener, os.path.join(private, "app.sock")).run()
