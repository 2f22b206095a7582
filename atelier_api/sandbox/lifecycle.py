"""Lifecycle of a sandbox: maximum lifetime, idle timeout, start mode, reset, graceful shutdown.

The rules (settings in ``config.OPTIONS``):

- ``max_lifetime_seconds``: the process shuts down gracefully this long after its launch.
- ``idle_timeout_seconds``: it shuts down gracefully after this long without a request to
  ``/api/atelier/`` (a request in flight, a WebSocket included, counts as activity; probes and
  operator calls do not).
- ``start_mode``: on a launch over an existing state dir, ``keep`` the changes made through
  the API or start from the ``original`` state (see ``atelier_api.sandbox.workspaces``).

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
import signal
import threading
import time
from collections.abc import Callable

from atelier_api.config import Settings

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
