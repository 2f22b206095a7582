"""Lifecycle of a sandbox: maximum lifetime, idle timeout, start mode, reset, graceful shutdown.

The rules (settings in ``config.OPTIONS``):

- ``max_lifetime_seconds``: the process shuts down gracefully this long after its launch.
- ``idle_timeout_seconds``: it shuts down gracefully after this long without a request to
  ``/api/atelier/`` (a request in flight, a WebSocket included, counts as activity; probes and
  operator calls do not).
- ``start_mode``: on a launch over an existing state dir, ``keep`` the changes made through
  the API or start from the ``original`` state (see ``atelier_api.workspace``).

A ``Supervisor`` thread, started in the serving process after the app is built (never in
``create_app``), enforces the first two by sending SIGTERM to the gunicorn arbiter; SIGTERM
from outside takes the same path. Shutdown drains: /readyz answers 503, queued and running
jobs are cancelled (they end with a clear ``cancelled`` status), the registered shutdown hooks
run (WebSockets close), gunicorn finishes the requests in flight, the watcher takes in its last
batch and ``Services.close`` flushes derived state. Every write through the API is durable
when its response is sent, so nothing written is lost.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .config import ConfigError, Settings, state_dir
from .errors import AtelierError, NotFound

if TYPE_CHECKING:
    from .services import Services
    from .watcher import Watcher

log = logging.getLogger(__name__)
#: How long draining waits for cancelled jobs to stop.
JOB_STOP_SECONDS = 10.0


class Lifecycle:
    """The API's activity (the idle clock), the drain state and the shutdown hooks."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._busy = 0
        self._last = clock()
        self.launched = clock()
        self.draining = threading.Event()
        self.reason = ""
        self._hooks: list[tuple[str, Callable[[], None]]] = []

    def begin(self) -> None:
        """A request to the API started."""
        with self._lock:
            self._busy += 1
            self._last = self._clock()

    def end(self) -> None:
        """A request to the API ended."""
        with self._lock:
            self._busy = max(0, self._busy - 1)
            self._last = self._clock()

    def idle_for(self) -> float:
        """Seconds since the API was last active (0 while a request is in flight)."""
        with self._lock:
            return 0.0 if self._busy else self._clock() - self._last

    def uptime(self) -> float:
        """Seconds since launch."""
        return self._clock() - self.launched

    def on_shutdown(self, name: str, hook: Callable[[], None]) -> None:
        """Run ``hook`` when the process starts shutting down (close WebSockets, stop jobs)."""
        with self._lock:
            self._hooks.append((name, hook))

    def drain(self, reason: str) -> bool:
        """Begin the shutdown once: remember why and run the hooks. False if already draining."""
        with self._lock:
            if self.draining.is_set():
                return False
            self.draining.set()
            self.reason = reason
            hooks = list(self._hooks)
        log.info("shutting down: %s", reason)
        for name, hook in hooks:
            try:
                hook()
            except Exception:  # one failing hook must not keep the others from running
                log.exception("shutdown hook %s failed", name)
        return True


class Supervisor:
    """Enforces the maximum lifetime and the idle timeout; notices an outside SIGTERM."""

    def __init__(self, settings: Settings, lifecycle: Lifecycle, *,
                 stop_process: Callable[[str], None], alive: Callable[[], bool]) -> None:
        self.settings = settings
        self.lifecycle = lifecycle
        self._stop_process = stop_process
        self._alive = alive
        self._stop = threading.Event()
        limits = [s for s in (settings.max_lifetime_seconds, settings.idle_timeout_seconds) if s]
        self.tick = min([0.2, *(s / 10 for s in limits)])
        self._thread = threading.Thread(target=self._run, name="atelier-lifecycle", daemon=True)

    def due(self) -> str | None:
        """Why the sandbox must stop now, or None."""
        s, lc = self.settings, self.lifecycle
        if s.max_lifetime_seconds and lc.uptime() >= s.max_lifetime_seconds:
            return f"maximum lifetime of {s.max_lifetime_seconds} s reached"
        if s.idle_timeout_seconds and lc.idle_for() >= s.idle_timeout_seconds:
            return f"idle for {s.idle_timeout_seconds} s (no request to /api/atelier/)"
        return None

    def start(self) -> None:
        """Start the supervising thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the supervising thread (at process exit)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            if not self._alive():
                self.lifecycle.drain("SIGTERM received")
                return
            reason = self.due()
            if reason is not None:
                self.lifecycle.drain(reason)
                self._stop_process(reason)
                return


def signal_arbiter(pid: int) -> Callable[[str], None]:
    """A ``stop_process`` that asks the gunicorn arbiter for a graceful shutdown (SIGTERM)."""

    def stop(reason: str) -> None:
        log.warning("stopping the sandbox: %s", reason)
        os.kill(pid, signal.SIGTERM)

    return stop


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
            from .watcher import Watcher

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
    from .workqueue import WorkQueue

    for value in list(vars(svc).values()):
        if isinstance(value, WorkQueue):
            value.shutdown(cancel=True, timeout=JOB_STOP_SECONDS)


# -- operations (operator endpoints and CLI) -------------------------------------------------
def launch(settings: Settings) -> Settings:
    """Prepare every workspace once per launch (``start_mode`` applies here)."""
    from .services import with_default_namespaces
    from .workspace import prepare_workspaces

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
            **found.names(ws.layout)}


def reset(svc: Services, namespace: str) -> dict[str, Any]:
    """Bring a namespace back to its original state; derived data forgets what changed."""
    ws = _workspace(svc, namespace)
    store = svc.stores[ws.ns.name]
    with store.exclusive():  # no save or delete interleaves with the restore
        undone = _guard(ws.ns.name, ws.restore)
    store.on_external_change(undone.paths())
    return {"namespace": ws.ns.name, "source": ws.source, "original": ws.original,
            "undone": undone.names(ws.layout)}


def reset_offline(settings: Settings, namespace: str) -> dict[str, Any]:
    """``atelier-api reset``: restore the recorded original without a running server."""
    from .workspace import derived_dir, open_recorded

    ws = open_recorded(settings, namespace)
    undone = ws.restore()
    shutil.rmtree(derived_dir(state_dir(settings), ws.ns.name), ignore_errors=True)
    return {"namespace": ws.ns.name, "source": ws.source, "original": ws.original,
            "undone": undone.names(ws.layout)}


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
