"""Reading the classes of a large compile in worker processes.

Reading a class (segmenting its text, the tree-sitter parse, building its model) depends on its
text only, and it is most of a large compile: about three quarters of a 5,000-class one.
tree-sitter holds the GIL while it parses, so threads cannot share that work; processes can.
For compiles of at least ``POOL_FROM`` classes the texts go to a small pool of worker
processes, in chunks, and their ``ClassSource`` results come back pickled; everything after
the reading (order, checks, storage, INT code, outcomes) stays in the calling process, so a
result is the same object for object as one read in-process (tested).

The pool is started on the first large compile (forkserver: the workers are forked from a
clean server process, never from the threaded server itself), kept while compiles come, and
shut down after ``IDLE_SECONDS`` without one, so an idle sandbox holds no workers. Workers:
``COMPILER_STUB_PROCESSES`` (0 or 1: never use a pool), by default the CPUs this process may
use, at most ``MAX_WORKERS``. Any failure of the pool (it cannot start, a worker dies) makes
that compile read its classes in-process, as a small compile does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from compiler_stub.forkserver import context as forkserver_context
from compiler_stub.reading.outline import ClassSource, read_class

log = logging.getLogger(__name__)

#: From this many classes on, a compile reads them in worker processes.
POOL_FROM = 200
#: Classes per task: large enough to make a task's overhead small, small enough to balance.
CHUNK = 50
MAX_WORKERS = 8
IDLE_SECONDS = 300.0
ENV_WORKERS = "COMPILER_STUB_PROCESSES"


def configured_workers() -> int:
    """Worker processes to use (0: no pool)."""
    raw = os.environ.get(ENV_WORKERS, "").strip()
    if raw:
        try:
            count = int(raw)
        except ValueError:
            log.warning("%s=%r is not a number; reading classes in-process", ENV_WORKERS, raw)
            return 0
    else:
        try:
            count = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - not Linux
            count = os.cpu_count() or 1
    count = min(count, MAX_WORKERS)
    return count if count >= 2 else 0


def _read_chunk(texts: Sequence[str]) -> list[ClassSource]:
    """Worker side: read whole class texts; the lines are left out of the models (the caller
    has them and puts them back), so they cross the pipe once."""
    out = [read_class(text.split("\n"), whole=True) for text in texts]
    for src in out:
        _set_lines(src, ())
    return out


def _set_lines(src: ClassSource, lines: tuple[str, ...]) -> ClassSource:
    """Set the lines of a model nobody else holds yet (just read, or just unpickled): in
    place, although the dataclass is frozen, rather than through ``dataclasses.replace``,
    which would build two new objects per class."""
    if src.model is not None:
        object.__setattr__(src.model, "lines", lines)
    return src


def read_in_process(docs: Sequence[tuple[str, ...]], stop: Callable[[], bool],
                    every: int = 25) -> list[ClassSource]:
    """``read_class(lines, whole=True)`` of each document in this process; asks ``stop``
    every ``every`` documents and returns the ones read so far once it is true."""
    out: list[ClassSource] = []
    for i, lines in enumerate(docs):
        if i % every == 0 and i and stop():
            break
        out.append(read_class(list(lines), whole=True))
    return out


class ReadPool:
    """The worker pool of one adapter, started on demand and stopped when idle."""

    def __init__(self, workers: int | None = None, idle_seconds: float = IDLE_SECONDS) -> None:
        self._workers = configured_workers() if workers is None else workers
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._users = 0
        self._last_used = 0.0
        self._timer: threading.Timer | None = None
        self._broken = False

    @property
    def workers(self) -> int:
        """Worker processes this pool uses (0: it reads in-process)."""
        return 0 if self._broken else self._workers

    @property
    def running(self) -> bool:
        """True while worker processes exist."""
        return self._executor is not None

    def read_all(self, docs: Sequence[tuple[str, ...]],
                 stop: Callable[[], bool] = lambda: False) -> list[ClassSource]:
        """``read_class(lines, whole=True)`` of each document's lines, in order.

        Uses the workers for large sets; reads in-process otherwise or when the pool fails.
        ``stop`` is asked as the reading goes: once it is true, the documents read so far are
        returned (a prefix of ``docs``; the caller reports the rest as not compiled).
        """
        if len(docs) < POOL_FROM or self.workers < 2:
            return read_in_process(docs, stop)
        try:
            return self._read_in_pool(docs, stop)
        except Exception as exc:  # noqa: BLE001 - any pool failure: read in-process
            log.warning("compile worker pool failed (%s: %s); reading classes in-process",
                        type(exc).__name__, exc)
            self._discard(broken=True)
            return read_in_process(docs, stop)

    def _read_in_pool(self, docs: Sequence[tuple[str, ...]],
                      stop: Callable[[], bool]) -> list[ClassSource]:
        executor = self._acquire()
        try:
            starts = range(0, len(docs), CHUNK)
            futures = [executor.submit(_read_chunk, ["\n".join(lines) for lines in
                                                     docs[at:at + CHUNK]]) for at in starts]
            out: list[ClassSource] = []
            for at, future in zip(starts, futures, strict=True):
                if stop():
                    for rest in futures:
                        rest.cancel()
                    break
                out.extend(_set_lines(src, docs[at + i])
                           for i, src in enumerate(future.result()))
            return out
        finally:
            self._release()

    def _acquire(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._executor is None:
                ctx = forkserver_context()  # shared with execution sessions
                self._executor = ProcessPoolExecutor(self._workers, mp_context=ctx)
            self._users += 1
            return self._executor

    def _release(self) -> None:
        with self._lock:
            self._users -= 1
            self._last_used = time.monotonic()
            if self._users == 0 and self._executor is not None and self._idle_seconds > 0:
                self._timer = threading.Timer(self._idle_seconds, self._idle_check)
                self._timer.daemon = True
                self._timer.start()

    def _idle_check(self) -> None:
        with self._lock:
            idle = time.monotonic() - self._last_used >= self._idle_seconds * 0.99
            if self._users or not idle:
                return
            executor, self._executor, self._timer = self._executor, None, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _discard(self, broken: bool = False) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._broken = self._broken or broken
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the workers now (they start again on the next large compile)."""
        self._discard()
