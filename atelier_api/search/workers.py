"""Child processes: user regexes and wildcards run in a forked child that can be killed
(cancel, time limit, the client gone), because Python's backtracking ``re`` holds the GIL and
cannot be interrupted (RE2 is linear, but a large pattern over a large corpus still takes its
time); the corpus's kept worker, one-off forks, and the pipes between them and the server.

No child outlives its search or the server (``processes``: forked by one long-lived thread,
``PR_SET_PDEATHSIG``, own process group, registered per store until reaped); a kept worker
also ends by itself when its request pipe closes.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import time
import weakref
from array import array
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from atelier_api.search.corpus import Chunk, Corpus
from atelier_api.search.plan import Plan
from atelier_api.search.processes import fork, reap
from atelier_api.search.query import FileHits, SearchQuery
from atelier_api.search.scan import Found, Work_, inline, inline_chunks, scan_to
from atelier_api.search.selection import Source

log = logging.getLogger(__name__)


# -- the file-by-file scan in a child ---------------------------------------------------------

def isolated(sources: list[Source], query: SearchQuery, stop: Callable[[], str],
             owner: object) -> Generator[FileHits | str, None, None]:
    """Scan in a child process of ``owner`` (the store); killed when ``stop`` gives a reason
    or the caller stops."""
    child = _one_off(lambda send: _child_scan(sources, query, send), owner)
    if child is None:
        yield from inline(sources, query, stop)
        return
    pid, receive = child
    try:
        for message in _from_child(receive.recv, receive.poll, stop):
            if message is None:
                return
            if isinstance(message, str):
                yield message
                return
            yield FileHits(message[0], tuple(message[1]))
    finally:
        reap(pid, receive)


def _child_scan(sources: list[Source], query: SearchQuery, send: Any) -> None:
    """The child process: send (doc, matches) per document with hits, then None."""
    try:
        for found in inline(sources, query, lambda: ""):
            assert isinstance(found, FileHits)
            send.send((found.doc, list(found.matches)))
        send.send(None)
    except Exception as exc:  # reported to the parent as a stop reason
        send.send(f"failed: {type(exc).__name__}: {exc}")
    finally:
        send.close()


def _one_off(body: Callable[[Any], object], owner: object) -> tuple[int, Any] | None:
    """Fork a child of ``owner`` that runs ``body`` with the sending end of a new pipe (and
    no other inherited descriptor): its pid and the receiving end, or None (logged) when no
    process could be forked and the caller works in the server process instead."""
    receive, send = multiprocessing.Pipe(duplex=False)

    def main() -> None:  # pragma: no cover - the child
        _only_fds(send)
        body(send)
    try:
        pid = fork(main, owner)
    except OSError as exc:
        receive.close()
        send.close()
        no_fork(exc)
        return None
    send.close()
    return pid, receive


def no_fork(exc: OSError) -> None:
    """Say that a regex search runs in the server process: a process could not be forked.
    The pattern passed the backtracking check (``check_safe``) and the time limit is checked
    between chunks, so this is slower to stop, never unsafe to run."""
    log.warning("could not fork a search process (%s); searching in the server process", exc)


class _Worker:
    """A forked child that keeps the chunks it was forked with and scans them on request.

    Kept between searches while the corpus does not change: forking again for every search
    would make the server copy every memory page it writes while the child lives. It ends
    when its request pipe closes (the server ended) or is killed (cancel, time limit, a
    newer corpus, the corpus dropped).
    """

    def __init__(self, chunks: list[Chunk], owner: object) -> None:
        self.chunks = chunks
        self.busy = False
        requests_in, self.requests = multiprocessing.Pipe(duplex=False)
        self.results, results_out = multiprocessing.Pipe(duplex=False)

        def main() -> None:  # pragma: no cover - the child (its scan is covered in-process)
            _only_fds(requests_in, results_out)
            _serve(chunks, requests_in, results_out)
        try:
            pid = fork(main, owner)
        except OSError:
            for conn in (requests_in, self.requests, self.results, results_out):
                conn.close()
            raise
        requests_in.close()
        results_out.close()
        self.pid = pid
        self.kill = weakref.finalize(self, reap, pid, self.requests, self.results)


def _only_fds(*conns: Any) -> None:  # pragma: no cover - in a child
    """Close every inherited descriptor but stdio and ``conns``: a child must not keep the
    server's sockets (a client waiting for a connection to close) or other pipes open."""
    keep = sorted(conn.fileno() for conn in conns)
    low = 3
    for fd in keep:
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, max(os.sysconf("SC_OPEN_MAX"), low + 1) if hasattr(os, "sysconf")
                  else 65536)


def _serve(chunks: list[Chunk], requests: Any, results: Any) -> None:  # pragma: no cover
    while True:
        try:
            plan, work, limit = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        scan_to(results, chunks, work, plan, limit)


def acquire(corpus: Corpus, chunks: list[Chunk]) -> _Worker | None:
    """The corpus's idle worker for these chunks (forked when needed); None when it is busy
    with another search."""
    with corpus.worker_lock:
        worker = corpus.worker
        if isinstance(worker, _Worker) and worker.chunks is not chunks and not worker.busy:
            worker.kill()
            worker = corpus.worker = None
        if worker is None:
            worker = corpus.worker = _Worker(chunks, corpus.store)
        assert isinstance(worker, _Worker)
        if worker.busy or worker.chunks is not chunks:
            return None
        worker.busy = True
        return worker


def _release(corpus: Corpus, worker: _Worker, healthy: bool) -> None:
    with corpus.worker_lock:
        worker.busy = False
        if not healthy:
            worker.kill()
            if corpus.worker is worker:
                corpus.worker = None


def isolated_chunks(corpus: Corpus, chunks: list[Chunk], work: Work_, plan: Plan,
                    limit: int, stop: Callable[[], str], worker: _Worker | None
                    ) -> Generator[Found | str, None, None]:
    """Scan in a child process, killed when ``stop`` gives a reason, because a backtracking
    ``re`` holds the GIL and cannot be interrupted: the corpus's worker, or a one-off fork
    when the worker is busy. Children inherit the chunks: nothing is copied or pickled but
    the request and the hits."""
    if worker is None:
        yield from _forked(chunks, work, plan, limit, stop, corpus.store)
        return
    healthy = False
    state = _State()
    try:
        worker.requests.send_bytes(pickle.dumps((plan, work, limit)))
        yield from _receive(worker.results, chunks, stop, state)
        healthy = state.done
    except GeneratorExit:  # the caller has enough hits: the child ends at the same limit
        healthy = not state.reason and _drain(worker.results)
        raise
    finally:
        _release(corpus, worker, healthy)


@dataclass
class _State:
    done: bool = False  # the child said it is done
    reason: str = ""  # why the parent stopped listening (a stop reason or a failure)


def _receive(results: Any, chunks: list[Chunk], stop: Callable[[], str], state: _State
             ) -> Generator[Found | str, None, None]:
    """Each chunk's hits as the child sends them, or a stop reason."""
    for message in _from_child(results.recv_bytes, results.poll, stop):
        if isinstance(message, str):
            state.reason = message
            yield message
            return
        tag, body = message[:1], message[1:]
        if tag == b"D":
            state.done = True
            return
        if tag == b"E":
            state.reason = body.decode(errors="replace")
            yield state.reason
            return
        received = array("q")
        received.frombytes(body)
        yield chunks[received[0]], received[1:].tolist()


def _from_child(recv: Callable[[], Any], poll: Callable[[float], bool],
                stop: Callable[[], str]) -> Generator[Any, None, None]:
    """The messages a child process sends on a pipe, until ``stop`` gives a reason or the pipe
    breaks: then that reason (a str) is the last item."""
    while True:
        reason = stop()
        if reason:
            yield reason
            return
        if not poll(0.05):
            continue
        try:
            message = recv()
        except (EOFError, OSError):
            yield "the search process ended unexpectedly"
            return
        yield message


def _drain(results: Any, seconds: float = 2.0) -> bool:
    """The caller stopped reading early (enough hits): read up to the child's ``D``."""
    end = time.monotonic() + seconds
    with contextlib.suppress(EOFError, OSError):
        while results.poll(max(end - time.monotonic(), 0)):
            if results.recv_bytes()[:1] in (b"D", b"E"):
                return True
    return False


def _forked(chunks: list[Chunk], work: Work_, plan: Plan, limit: int,
            stop: Callable[[], str], owner: object) -> Generator[Found | str, None, None]:
    """A one-off child for one search; the child touches only the inherited chunks and its
    pipe, and leaves with ``os._exit``."""
    child = _one_off(lambda send: scan_to(send, chunks, work, plan, limit), owner)
    if child is None:
        yield from inline_chunks(chunks, work, plan, limit, stop)
        return
    pid, receive = child
    try:
        yield from _receive(receive, chunks, stop, _State())
    finally:
        reap(pid, receive)
