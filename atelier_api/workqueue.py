"""The async work queue behind ``/work``: jobs with states, a cancel token, a time limit,
incremental polling and bounded retention.

A job's function receives a ``JobContext``: it appends console lines and result items as it
goes; each poll hands out only what is new since the previous poll. The final poll carries the
outcome and drains the job (a later poll is a 404).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .compiler import CancelToken
from .jobs import JobRegistry

log = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, FAILED, CANCELLED, TIMEOUT = (
    "queued", "running", "done", "failed", "cancelled", "timeout")
FINAL_STATES = frozenset({DONE, FAILED, CANCELLED, TIMEOUT})


@dataclass
class Outcome:
    """How a job ended: the final ``result`` and ``status.errors`` of its last poll."""

    result: Any = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""


class JobContext:
    """What a running job sees: console and result sinks, and its cancel token."""

    def __init__(self, job: WorkJob) -> None:
        self._job = job

    @property
    def cancel(self) -> CancelToken:
        """The token to check between units of work."""
        return self._job.token

    @property
    def cancelled(self) -> bool:
        """True once cancellation or the time limit asked the job to stop."""
        return self._job.token.cancelled

    def console(self, *lines: str) -> None:
        """Append console lines (a poll returns only new ones)."""
        with self._job.lock:
            self._job.console.extend(lines)

    def emit(self, *items: Any) -> None:
        """Append incremental result items (search matches, test results)."""
        with self._job.lock:
            self._job.items.extend(items)


@dataclass
class WorkJob:
    """One queued or running job."""

    id: int
    namespace: str
    kind: str
    deadline: float
    token: CancelToken = field(default_factory=CancelToken)
    state: str = QUEUED
    console: list[str] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    console_sent: int = 0
    items_sent: int = 0
    outcome: Outcome | None = None
    finished_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Poll:
    """What one poll returns: new console lines, new items, and the outcome when final."""

    running: bool
    console: list[str]
    items: list[Any]
    outcome: Outcome | None
    state: str


Work = Callable[[JobContext], Outcome]


class WorkQueue:
    """Runs jobs on a bounded thread pool and keeps them until drained (or expired)."""

    def __init__(self, registry: JobRegistry | None = None, *, workers: int = 2,
                 retention_seconds: float = 600.0, max_jobs: int = 1000) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work")
        self._jobs: OrderedDict[int, WorkJob] = OrderedDict()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._registry = registry
        self._retention = retention_seconds
        self._max_jobs = max_jobs
        self._closed = False

    def submit(self, namespace: str, kind: str, work: Work, time_limit: float) -> int:
        """Queue a job; returns its id (the bare ``Location`` header value)."""
        job = WorkJob(next(self._ids), namespace.upper(), kind, time.monotonic() + time_limit)
        with self._lock:
            if self._closed:
                raise RuntimeError("the work queue is shut down")
            self._expire()
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job.id

    def _run(self, job: WorkJob, work: Work) -> None:
        with job.lock:
            if job.token.cancelled:
                self._finish_locked(job, CANCELLED, _cancelled_outcome(job))
                return
            job.state = RUNNING
        row = self._registry.start(job.namespace, f"work:{job.kind}:{job.id}") if (
            self._registry) else None
        try:
            outcome = work(JobContext(job))
            state = DONE
        except Exception as exc:  # a failing job is a result, not a crash
            log.exception("job %s (%s) failed", job.id, job.kind)
            outcome = Outcome(None, [_error(f"Job failed: {type(exc).__name__}: {exc}")],
                              f"ERROR #5002: Job failed: {type(exc).__name__}: {exc}")
            state = FAILED
        finally:
            if row is not None and self._registry is not None:
                self._registry.finish(row.pid)
        with job.lock:
            if job.token.cancelled and job.state != TIMEOUT and state == DONE:
                state, outcome = CANCELLED, _cancelled_outcome(job, outcome)
            if job.state == TIMEOUT:
                state, outcome = TIMEOUT, _timeout_outcome(job, outcome)
            self._finish_locked(job, state, outcome)

    @staticmethod
    def _finish_locked(job: WorkJob, state: str, outcome: Outcome) -> None:
        job.state = state
        job.outcome = outcome
        job.finished_at = time.monotonic()
        job.done.set()

    def poll(self, namespace: str, job_id: int) -> Poll | None:
        """New output of a job; None when unknown or drained. The final poll drains it."""
        job = self._get(namespace, job_id)
        if job is None:
            return None
        with job.lock:
            self._check_deadline(job)
            console = job.console[job.console_sent :]
            items = job.items[job.items_sent :]
            job.console_sent += len(console)
            job.items_sent += len(items)
            final = job.state in FINAL_STATES
            state = job.state
        if final:
            with self._lock:
                self._jobs.pop(job.id, None)
        return Poll(not final, console, items, job.outcome if final else None, state)

    def _check_deadline(self, job: WorkJob) -> None:
        if job.state in FINAL_STATES or time.monotonic() < job.deadline:
            return
        job.token.cancel()
        if job.state == QUEUED:
            self._finish_locked(job, TIMEOUT, _timeout_outcome(job))
        else:
            job.state = TIMEOUT  # the worker finishes it at its next cancel check

    def cancel(self, namespace: str, job_id: int) -> Poll | None:
        """Ask a job to stop. Running jobs report ``running`` until they have stopped."""
        job = self._get(namespace, job_id)
        if job is None:
            return None
        with job.lock:
            job.token.cancel()
            if job.state == QUEUED:
                self._finish_locked(job, CANCELLED, _cancelled_outcome(job))
            stopped = job.state in FINAL_STATES
        if stopped:
            with self._lock:
                self._jobs.pop(job.id, None)
        return Poll(not stopped, [], [], job.outcome, job.state)

    def _get(self, namespace: str, job_id: int) -> WorkJob | None:
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
        return job if job is not None and job.namespace == namespace.upper() else None

    def _expire(self) -> None:
        """Drop finished jobs nobody drained within the retention time, and the oldest ones
        beyond the job limit."""
        now = time.monotonic()
        for job_id, job in list(self._jobs.items()):
            done = job.state in FINAL_STATES
            if done and now - job.finished_at > self._retention:
                del self._jobs[job_id]
        while len(self._jobs) >= self._max_jobs:
            oldest = next((j for j in self._jobs.values() if j.state in FINAL_STATES), None)
            if oldest is None:
                break
            del self._jobs[oldest.id]

    def running(self) -> list[WorkJob]:
        """Jobs not finished yet."""
        with self._lock:
            return [j for j in self._jobs.values() if j.state not in FINAL_STATES]

    def shutdown(self, *, cancel: bool = True, timeout: float = 20.0) -> None:
        """Stop accepting jobs; cancel (or let finish) running ones and wait for them."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        if cancel:
            for job in jobs:
                job.token.cancel()
        deadline = time.monotonic() + timeout
        for job in jobs:
            job.done.wait(max(0.0, deadline - time.monotonic()))
        self._pool.shutdown(wait=False, cancel_futures=True)


def _error(text: str, code: int = 5002) -> dict[str, Any]:
    return {"error": f"ERROR #{code}: {text}", "code": code, "domain": "%ObjectErrors",
            "id": "WorkError", "params": [text]}


def _cancelled_outcome(job: WorkJob, partial: Outcome | None = None) -> Outcome:
    text = f"Job {job.id} ({job.kind}) was cancelled"
    result = partial.result if partial else None
    return Outcome(result, [_error(text)], f"ERROR #5002: {text}")


def _timeout_outcome(job: WorkJob, partial: Outcome | None = None) -> Outcome:
    text = f"Job {job.id} ({job.kind}) exceeded its time limit and was stopped"
    result = partial.result if partial else None
    return Outcome(result, [_error(text)], f"ERROR #5002: {text}")
