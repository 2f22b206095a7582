"""Running the launcher: ``atelier-api launcher`` (gunicorn, one process, threads, the
server's guarded worker)."""

from __future__ import annotations

import atexit
import logging
import os
from dataclasses import replace
from typing import Any

from gunicorn.app.base import BaseApplication

from atelier_api.launcher.backend import BackendUnavailable
from atelier_api.launcher.engine import engine_socket_found, start_podman_service
from atelier_api.launcher.serve import build
from atelier_api.launcher.settings import LauncherSettings, default_state_dir
from atelier_api.serve import EnvelopeWorker
from atelier_api.slowclients import ClientLimits

log = logging.getLogger(__name__)


class LauncherWorker(EnvelopeWorker):
    """The server's guarded gthread worker, with the default client limits."""

    def client_limits(self) -> ClientLimits:
        return ClientLimits()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: LauncherSettings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        bind = f"[{s.host}]:{s.port}" if ":" in s.host else f"{s.host}:{s.port}"
        options: dict[str, Any] = {
            "bind": bind, "workers": 1, "worker_class": LauncherWorker, "threads": s.threads,
            "timeout": 0, "graceful_timeout": 10, "keepalive": 30, "loglevel": s.log_level,
            "proc_name": "atelier-launcher", "sendfile": False,
            "post_worker_init": _post_worker_init, "worker_exit": _worker_exit,
        }
        if "control_socket_disable" in self.cfg.settings:
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        app, _ = build(self.settings)
        return app


def _post_worker_init(worker: Any) -> None:
    worker.wsgi.extensions["launcher"].sandboxes.start()


def _worker_exit(server: Any, worker: Any) -> None:
    launcher = worker.wsgi.extensions.get("launcher") if hasattr(worker, "wsgi") else None
    if launcher is not None:
        launcher.stopping.set()
        launcher.sandboxes.close()


def run(settings: LauncherSettings) -> None:
    """Check the backend answers, then serve until stopped. Sandboxes outlive the launcher:
    a restarted launcher adopts them."""
    if settings.backend == "podman" and not settings.engine_url and not engine_socket_found():
        # one command on a machine with podman: its API service, run by the launcher
        url, _service = start_podman_service(os.path.join(
            settings.state_dir or default_state_dir(), "podman"))
        atexit.register(_service.terminate)
        settings = replace(settings, engine_url=url)
        log.info("started podman system service on %s", url)
    app, sandboxes = build(settings)
    try:
        sandboxes.backend.ping()
    except BackendUnavailable as exc:
        log.warning("%s (launches fail until it answers)", exc)
    sandboxes.backend.close()
    del app
    log.info("launcher on %s:%s, backend %s, state in %s (pid %s)", settings.host,
             settings.port, settings.backend, settings.state_dir or default_state_dir(),
             os.getpid())
    _Gunicorn(settings).run()
