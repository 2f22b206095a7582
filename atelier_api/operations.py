"""Operations on a whole sandbox: what the operator endpoints, the command line and the
serving process do with the services of one app.

Owns: the serving process's background threads (watcher and lifetime supervisor), draining
the job queue on shutdown, the operator's status, change list and reset, and the offline reset.
May import: ``services`` and everything below it.
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable
from typing import Any

from atelier_api.config import ConfigError, Settings, state_dir
from atelier_api.documents.namemap import name_at
from atelier_api.errors import AtelierError, NotFound
from atelier_api.sandbox.lifecycle import JOB_STOP_SECONDS, Supervisor, signal_arbiter
from atelier_api.sandbox.watcher import Watcher
from atelier_api.sandbox.workspaces import derived_dir, open_recorded, prepare_workspaces
from atelier_api.services import Services, with_default_namespaces
from atelier_api.work.queue import WorkQueue

log = logging.getLogger(__name__)


class Background:
    """The threads of one serving process: the workspace watcher and the supervisor."""

    def __init__(self, svc: Services, *, stop_process: Callable[[str], None],
                 alive: Callable[[], bool], launched: float | None = None) -> None:
        self.svc = svc
        if launched is not None:
            svc.lifecycle.launched = launched
        self.watcher: Watcher | None = None
        self.supervisor = Supervisor(svc.settings, svc.lifecycle, stop_process=stop_process,
                                     alive=alive)
        svc.lifecycle.on_shutdown("jobs", lambda: _stop_jobs(svc))

    def start(self) -> None:
        """Start the watcher (when enabled) and the supervisor."""
        if self.svc.settings.watch:
            watcher = Watcher(self.svc.stores, debounce=self.svc.settings.watch_debounce_ms / 1000)
            try:
                watcher.start()
                self.watcher = watcher
            except OSError as exc:  # e.g. inotify watch limit: requests still stat every file
                log.warning("file watcher not started (%s); changes made on disk are seen on "
                            "the next request", exc)
        self.supervisor.start()

    def stop(self) -> None:
        """Drain (if nothing did yet), stop the threads and take in the last changes."""
        self.svc.lifecycle.drain("process exit")
        self.supervisor.stop()
        if self.watcher is not None:
            self.watcher.stop()


def start_background(svc: Services, *, arbiter_pid: int, alive: Callable[[], bool],
                     launched: float | None = None) -> Background:
    """Start the background threads of a gunicorn worker (called from ``serve.py``)."""
    background = Background(svc, stop_process=signal_arbiter(arbiter_pid), alive=alive,
                            launched=launched)
    background.start()
    return background


def _stop_jobs(svc: Services) -> None:
    """Cancel queued and running jobs: each ends with the ``cancelled`` status."""
    for value in list(vars(svc).values()):
        if isinstance(value, WorkQueue):
            value.shutdown(cancel=True, timeout=JOB_STOP_SECONDS)


# -- operations (operator endpoints and CLI) -------------------------------------------------
def launch(settings: Settings) -> Settings:
    """Prepare every workspace once per launch (``start_mode`` applies here)."""
    return prepare_workspaces(with_default_namespaces(settings), launch=True)[0]


def status(svc: Services) -> dict[str, Any]:
    """What an operator asks of a launched sandbox: how long it may live, idle, its sources."""
    s, lc = svc.settings, svc.lifecycle
    lifetime_left = (max(0.0, s.max_lifetime_seconds - lc.uptime())
                     if s.max_lifetime_seconds else None)
    return {
        "uptime_seconds": round(lc.uptime(), 3),
        "max_lifetime_seconds": s.max_lifetime_seconds,
        "lifetime_left_seconds": None if lifetime_left is None else round(lifetime_left, 3),
        "idle_timeout_seconds": s.idle_timeout_seconds,
        "idle_seconds": round(lc.idle_for(), 3),
        "start_mode": s.start_mode,
        "draining": lc.draining.is_set(),
        "shutdown_reason": lc.reason,
        "watch": s.watch,
        "namespaces": {name: {**ws.describe(), "generation": svc.stores[name].generation}
                       for name, ws in sorted(svc.workspaces.items()) if name in svc.stores},
    }


def changes(svc: Services, namespace: str) -> dict[str, Any]:
    """Documents added, modified and deleted since the original state (to pull them back)."""
    ws = _workspace(svc, namespace)
    found = _guard(ws.ns.name, ws.changes)
    return {"namespace": ws.ns.name, "source": ws.source, "original": ws.original,
            **found.names(svc.stores[ws.ns.name].describe_path)}


def reset(svc: Services, namespace: str) -> dict[str, Any]:
    """Bring a namespace back to its original state; derived data forgets what changed."""
    ws = _workspace(svc, namespace)
    store = svc.stores[ws.ns.name]
    with store.exclusive():  # no save or delete interleaves with the restore
        undone = _guard(ws.ns.name, ws.restore)
    names = undone.names(store.describe_path)  # before the map forgets what the reset removed
    store.on_external_change(undone.paths())
    if svc.runs is not None:  # the data code made in the namespace goes too (globals)
        svc.runs.reset(ws.ns.name)
    return {"namespace": ws.ns.name, "source": ws.source, "original": ws.original,
            "undone": names}


def reset_offline(settings: Settings, namespace: str) -> dict[str, Any]:
    """``atelier-api reset``: restore the recorded original without a running server."""
    ws = open_recorded(settings, namespace)
    undone = ws.restore()
    shutil.rmtree(derived_dir(state_dir(settings), ws.ns.name), ignore_errors=True)
    return {"namespace": ws.ns.name, "source": ws.source, "original": ws.original,
            "undone": undone.names(functools.partial(name_at, ws.ns.root, ws.layout))}


def _workspace(svc: Services, namespace: str) -> Any:
    ws = svc.workspaces.get(namespace.upper())
    if ws is None or ws.ns.name not in svc.stores:
        raise NotFound(f"Namespace '{namespace}' does not exist or is not available")
    return ws


def _guard(name: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except (ConfigError, OSError) as exc:
        raise AtelierError(f"Workspace of namespace {name}: {exc}") from None
