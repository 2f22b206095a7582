"""The registry of this sandbox's own work: what ``%SYS/jobs`` lists.

Each request being served and each background job is a row; ``pid`` is a small integer that
stays unique for the life of the process (a debugger attaches with ``PID:<pid>``).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class JobRow:
    """One unit of work in progress."""

    pid: int
    namespace: str
    routine: str
    state: str
    device: str
    system: bool
    started: float
    #: an execution session (``adapters.execution``): its namespace and the routine it
    #: runs are read live
    session: Any = None

    def to_dict(self) -> dict[str, object]:
        """JSON shape of a ``%SYS/jobs`` row."""
        namespace, routine, state = self.namespace, self.routine, self.state
        if self.session is not None:
            namespace = self.session.namespace or namespace
            running = self.session.routine()
            routine = running or routine  # the routine it runs, else what it is (%Terminal)
            state = "RUN" if self.session.running() else "READ"
        return {"pid": self.pid, "namespace": namespace, "routine": routine,
                "state": state, "device": self.device}


class JobRegistry:
    """Thread-safe table of running work."""

    def __init__(self) -> None:
        self._rows: dict[int, JobRow] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(os.getpid() * 1000 + 1)

    @contextmanager
    def running(self, namespace: str, routine: str, *, system: bool = False,
                device: str = "") -> Iterator[JobRow]:
        """Register work for the duration of a ``with`` block."""
        row = self.start(namespace, routine, system=system, device=device)
        try:
            yield row
        finally:
            self.finish(row.pid)

    def start(self, namespace: str, routine: str, *, system: bool = False,
              device: str = "") -> JobRow:
        """Register work that ends with ``finish``."""
        row = JobRow(next(self._ids), namespace, routine, "RUN", device, system, time.time())
        with self._lock:
            self._rows[row.pid] = row
        return row

    def finish(self, pid: int) -> None:
        """Forget finished work."""
        with self._lock:
            self._rows.pop(pid, None)

    def rows(self, include_system: bool) -> list[JobRow]:
        """Running work, oldest first; system rows only when asked for."""
        with self._lock:
            rows = list(self._rows.values())
        return [r for r in rows if include_system or not r.system]
