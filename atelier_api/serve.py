"""Running the server under gunicorn: one process, the threaded worker."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings
from .plugins import load_adapter
from .services import build_services

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn configured from our settings; the app is built in the worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        host = self.settings.host
        bind = f"[{host}]:{self.settings.port}" if ":" in host else f"{host}:{self.settings.port}"
        options: dict[str, Any] = {
            "bind": bind, "workers": 1, "worker_class": "gthread",
            "threads": self.settings.threads, "timeout": 0, "graceful_timeout": 20,
            "keepalive": 30, "loglevel": self.settings.log_level, "worker_exit": _worker_exit,
            "proc_name": "atelier-api",
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from . import create_app

        return create_app(self.settings)


def _worker_exit(server: Any, worker: Any) -> None:
    """Flush derived state when the worker stops (SIGTERM included)."""
    app = getattr(worker, "wsgi", None)
    svc = getattr(app, "extensions", {}).get("atelier") if app is not None else None
    if svc is not None:
        svc.close()


def run(settings: Settings) -> None:
    """Fail fast on bad configuration in the parent, then serve until stopped."""
    load_adapter(settings.compiler)
    build_services(settings, load_adapter(settings.compiler)).close()
    log.info("serving on %s:%s", settings.host, settings.port)
    _Gunicorn(settings).run()
