"""The sandbox's execution sessions: opened through the compiler adapter for a namespace,
bounded in number, listed in ``%SYS/jobs`` (with their process and current routine), closed
with the server."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from atelier_api.adapters.contract import Adapter, Capability
from atelier_api.adapters.execution import ExecutionLimits, ExecutionRequest, ExecutionSession
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import AtelierError, NotFound, ServiceUnavailable
from atelier_api.version import version_string
from atelier_api.work.jobs import JobRegistry, JobRow


class CannotRun(AtelierError):
    """The adapter does not run code (every surface answers this)."""

    http_status = 501

    def __init__(self, adapter: str) -> None:
        super().__init__(f"The compiler adapter '{adapter}' cannot run code, so the terminal, "
                         "unit tests and the debugger are not available on this server")


class TooManySessions(ServiceUnavailable):
    """Every execution slot is taken."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} sessions are running already (max_run_sessions); close a "
                         "terminal or wait for a test run to end", headers={"Retry-After": "5"})


@dataclass
class Run:
    """One open session and its row in the jobs list."""

    session: ExecutionSession
    job: JobRow
    kind: str


@dataclass
class DebugTarget:
    """A run that waits for a debugger to attach with ``CSPDEBUG:<id>`` (a unit-test run with
    ``debug: true``): ``attached`` is set when one attaches, ``go`` when it sends its first
    ``run`` or step, or leaves."""

    id: int
    run: Run | None = None          # set once the run's session is open
    attached: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)


class Runs:
    """The open sessions of one server (thread-safe)."""

    def __init__(self, adapter: Adapter, stores: dict[str, DocumentStore],
                 data_root: Callable[[str], str], jobs: JobRegistry, limits: ExecutionLimits,
                 max_sessions: int) -> None:
        self.adapter = adapter
        self.stores = stores
        self.data_root = data_root  # a namespace's derived-data folder (a reset wipes it)
        self.jobs = jobs
        self.limits = limits
        self.max_sessions = max_sessions
        self._open: dict[int, Run] = {}
        self._lock = threading.Lock()
        self._targets: dict[int, DebugTarget] = {}
        self._target_ids = itertools.count(1)

    def available(self) -> bool:
        """True when the adapter runs code."""
        return self.adapter.supports(Capability.EXECUTE)

    def check(self) -> None:
        """Raise the error a surface answers when no session can be opened now."""
        if not self.available():
            raise CannotRun(self.adapter.info.name)
        with self._lock:
            if len(self._open) >= self.max_sessions:
                raise TooManySessions(self.max_sessions)

    def open(self, namespace: str, *, user: str, device: str, kind: str,
             documents: Callable[[str], tuple[str, str] | None] | None = None) -> Run:
        """A new session in ``namespace`` (404 when there is no such namespace); its
        documents are the namespace's, or ``documents`` (a unit-test run's overlay)."""
        self.check()
        store = self.stores.get(namespace.upper())
        if store is None:
            raise NotFound(f"Namespace '{namespace}' does not exist")
        request = ExecutionRequest(store.namespace, documents or self.documents_of(store),
                                   self.data_dir(store.namespace), self.limits, user,
                                   self._switch, version_string())
        session = self.adapter.open_session(request)
        job = self.jobs.start(store.namespace, kind, device=device)
        job.session = session
        run = Run(session, job, kind)
        with self._lock:
            self._open[job.pid] = run
        return run

    def close(self, run: Run) -> None:
        """End a session and forget it."""
        try:
            run.session.close()
        finally:
            with self._lock:
                self._open.pop(run.job.pid, None)
            self.jobs.finish(run.job.pid)

    def wait_for_debugger(self) -> DebugTarget:
        """A new target for a debugger (``CSPDEBUG:<id>``); its run is set when it opens."""
        with self._lock:
            target = DebugTarget(next(self._target_ids))
            self._targets[target.id] = target
        return target

    def take_debug_target(self, text: str) -> DebugTarget | None:
        """The run waiting under id ``text``, taken (one debugger each); None if none, or
        if its run has not opened yet."""
        if not text.isdigit():
            return None
        with self._lock:
            target = self._targets.get(int(text))
            if target is None or target.run is None:
                return None
            return self._targets.pop(int(text))

    def drop_debug_target(self, target: DebugTarget) -> None:
        """No debugger came: the id is no longer offered."""
        with self._lock:
            self._targets.pop(target.id, None)

    def find(self, pid: int) -> Run | None:
        """The session listed under ``pid`` in the jobs list."""
        with self._lock:
            return self._open.get(pid)

    def reset(self, namespace: str) -> int:
        """A namespace is reset: the sessions in it end (their terminals say so) and the
        data its code made (globals) is wiped. The number of sessions ended."""
        name = namespace.upper()
        with self._lock:
            runs = [r for r in self._open.values() if r.session.namespace == name]
        for run in runs:
            run.session.close()
        shutil.rmtree(self.data_dir(name), ignore_errors=True)
        return len(runs)

    def close_all(self) -> None:
        """End every session (the server stops)."""
        with self._lock:
            runs = list(self._open.values())
        for run in runs:
            self.close(run)

    def data_dir(self, namespace: str) -> str:
        """The namespace's folder for data code makes (globals)."""
        path = os.path.join(self.data_root(namespace), "data")
        os.makedirs(path, exist_ok=True)
        return path

    def _switch(self, namespace: str) -> tuple[Any, str] | None:
        store = self.stores.get(namespace.upper())
        if store is None:
            return None
        return self.documents_of(store), self.data_dir(store.namespace)

    @staticmethod
    def documents_of(store: DocumentStore) -> Callable[[str], tuple[str, str] | None]:
        """A session's document reader over a namespace: (text, version) or None."""
        def read(name: str) -> tuple[str, str] | None:
            try:
                source = store.text_of(name)
            except AtelierError:
                return None
            if source is None:
                return None
            return "\n".join(source.lines), f"{source.ts}:{source.sha.hex()}"
        return read
