"""The public entry: ``action/search`` (``search_envelope``, ``search_all``) and the ``/work``
search job (``search_job``), with validation and the early-stop rules.

Documents come from the namespace's in-memory corpus (``atelier_api.search.corpus``); every
pattern runs on RE2 (linear time) unless it needs what only Python's backtracking engine has
(``engine``); user regexes and wildcards run in a forked worker process that can be killed
(``workers``); include/exclude patterns are decided in this process, a bounded time per name
(``automaton``), asking between names whether to stop. A search that needs the backtracking
engine stops after ``BACKTRACKING_SECONDS`` at the latest; a synchronous search stops when its
client goes away (``client``). The synchronous endpoint gets its envelope JSON built as text
(``search_envelope``). When generated documents take part (``gen`` with compiled output) the
files are read one by one (``_search_files``). With the system flag (``sys=1``, always in
``%SYS``) the compiler adapter's system documents are searched after the workspace's, from
their texts, within the same ``max``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest, Envelope
from atelier_api.search.corpus import corpus_of
from atelier_api.search.outlines import where
from atelier_api.search.plan import corpus_plan
from atelier_api.search.query import (
    MAX_HITS_LIMIT,
    MAX_LINE,
    FileHits,
    SearchQuery,
    Summary,
    compile_query,
    name_regex,
)
from atelier_api.search.render import doc_matches, dumps, enc, render_chunk
from atelier_api.search.scan import Found, inline, inline_chunks, per_doc
from atelier_api.search.selection import (
    KeepPaths,
    Source,
    corpus_selection,
    name_filter,
    select,
    spec_matchers,
    system_sources,
)
from atelier_api.search.workers import acquire, isolated, isolated_chunks, no_fork
from atelier_api.work.queue import JobContext, Work, work_error
from atelier_api.work.queue import Outcome as JobOutcome

#: The longest a search that needs the backtracking engine (Python's ``re``: look-around,
#: back-references, ...) may run, whatever the request's own time limit.
BACKTRACKING_SECONDS = 30.0
BACKTRACKING_STOP = f"the backtracking engine's time limit of {BACKTRACKING_SECONDS:g} s"
GONE_STOP = "the client went away"


def search(store: DocumentStore, query: SearchQuery, *, on_file: Callable[[FileHits], None],
           console: Callable[[str], None] | None = None,
           should_stop: Callable[[], str] | None = None) -> Summary:
    """Search a namespace; each document with hits goes to ``on_file`` as it is found.

    ``should_stop`` returns a reason ('cancelled', 'time limit') to stop early. The documents
    come from the namespace's in-memory corpus (atelier_api.search.corpus). Literal and word
    searches run in this thread (on RE2, which releases the GIL); user regexes and wildcards
    run in a forked child that is killed when the search stops early, because a backtracking
    ``re`` holds the GIL and cannot be interrupted. A query that needs the backtracking engine
    also stops after ``BACKTRACKING_SECONDS``.
    """
    validate(store, query)
    say = console or (lambda _line: None)
    say(f"Searching for '{query.text}' in '{query.files}'")
    stop = _budgeted(should_stop or (lambda: ""), query)
    keep = _keep_paths(query, stop)
    try:
        system = system_sources(store, query, keep)
    except _Stopped as exc:
        return _stopped(say, query, exc.reason)
    if not _uses_corpus(store, query):
        return _search_files(store, query, on_file, say, stop, system, keep)
    scanned, found = _corpus_found(store, query, stop, keep)
    hits = files = 0
    hits_of = _ChunkHits(found)
    with contextlib.closing(hits_of):
        for chunk, flat in hits_of:
            for d, doc_hits in per_doc(chunk, flat):
                matches = []
                for _text, match, line in doc_matches(chunk, d, doc_hits):
                    say(line)
                    matches.append(match)
                hits, files = hits + len(matches), files + 1
                on_file(FileHits(chunk.docs[d].name.name, tuple(matches)))
                if hits >= query.max_hits:
                    hits_of.stopped = "max"
                    break
            if hits_of.stopped:
                break
    summary = _search_system(store, system, query,
                             Summary(hits, files, scanned, hits_of.stopped),
                             on_file, say, stop)
    _finish(say, summary, query)
    return summary


def _search_system(store: DocumentStore, system: list[Source], query: SearchQuery,
                   summary: Summary, on_file: Callable[[FileHits], None],
                   say: Callable[[str], None], stop: Callable[[], str]) -> Summary:
    """The workspace's summary with the system documents searched after it (when the
    workspace part did not stop early), within what is left of ``max``."""
    if summary.stopped or not system:
        return summary
    left = dataclasses.replace(query, max_hits=query.max_hits - summary.hits)
    hits, files, stopped = _scan_sources(store, system, left, on_file, say, stop)
    return Summary(summary.hits + hits, summary.files + files, summary.scanned + len(system),
                   stopped)


def search_envelope(store: DocumentStore, query: SearchQuery, time_limit: float,
                    gone: Callable[[], bool] | None = None) -> bytes:
    """The JSON envelope of a synchronous search (action/search), built as text: the bytes
    ``Envelope(items, console, errors, summary).dumps()`` of ``search_all`` would give.

    ``gone`` tells whether the client went away (the search then stops; the view passes
    ``atelier_api.api.disconnect.request_gone()``)."""
    validate(store, query)
    gone = gone or (lambda: False)
    if not _uses_corpus(store, query):
        items, lines, errors = search_all(store, query, time_limit, gone)
        return Envelope(items, lines, errors,
                        str(errors[0]["error"]) if errors else "").dumps()
    console = [f"Searching for '{query.text}' in '{query.files}'"]
    result: list[str] = []
    stop = _budgeted(deadline_check(time_limit, gone=gone), query)
    keep = _keep_paths(query, stop)
    try:
        system = system_sources(store, query, keep)
    except _Stopped as exc:
        system = []
        stop = _first(exc.reason, stop)
    scanned, found = _corpus_found(store, query, stop, keep)
    hits = files = 0
    hits_of = _ChunkHits(found)
    with contextlib.closing(hits_of):
        for chunk, flat in hits_of:
            count, docs = render_chunk(chunk, flat, query.max_hits - hits, result, console)
            hits, files = hits + count, files + docs
            if hits >= query.max_hits:
                hits_of.stopped = "max"
                break
    summary = _search_system(store, system, query,
                             Summary(hits, files, scanned, hits_of.stopped),
                             lambda item: result.append(dumps(item.to_dict())),
                             console.append, stop)
    _finish(console.append, summary, query)
    errors = _stop_errors(summary)
    text = str(errors[0]["error"]) if errors else ""
    return ('{"status":{"errors":' + dumps(errors) + ',"summary":' + enc(text) +
            '},"console":' + dumps(console) + ',"result":[' + ",".join(result) +
            "]}").encode()


class _ChunkHits:
    """Each chunk's hits from a corpus scan until it gives a stop reason (kept in
    ``stopped``, where the consumer also puts its own, "max"); ``close`` ends the scan."""

    def __init__(self, found: Generator[Found | str, None, None]) -> None:
        self.found = found
        self.stopped = ""

    def __iter__(self) -> Iterator[Found]:
        for item in self.found:
            if isinstance(item, str):
                self.stopped = item
                return
            yield item

    def close(self) -> None:
        self.found.close()


def _search_files(store: DocumentStore, query: SearchQuery,
                  on_file: Callable[[FileHits], None], say: Callable[[str], None],
                  stop: Callable[[], str], system: list[Source] | None = None,
                  keep: KeepPaths | None = None) -> Summary:
    """The file-by-file search (generated documents take part): read every document, then
    the system documents (``system``; None: those the query selects)."""
    try:
        if system is None:
            system = system_sources(store, query, keep)
        sources = select(store, query, keep) + system
    except _Stopped as exc:
        return _stopped(say, query, exc.reason)
    hits, files, stopped = _scan_sources(store, sources, query, on_file, say, stop)
    summary = Summary(hits, files, len(sources), stopped)
    _finish(say, summary, query)
    return summary


def _scan_sources(store: DocumentStore, sources: list[Source], query: SearchQuery,
                  on_file: Callable[[FileHits], None], say: Callable[[str], None],
                  stop: Callable[[], str]) -> tuple[int, int, str]:
    """Scan documents one by one (a regex or wildcard search in a child process of the
    store): (hits, files with hits, why it stopped early)."""
    if not sources:
        return 0, 0, ""
    if query.regex or query.wild:
        found = isolated(sources, query, stop, store)
    else:
        found = inline(sources, query, stop)
    hits = files = 0
    stopped = ""
    for item in found:
        if isinstance(item, str):
            stopped = item
            break
        hits, files = hits + len(item.matches), files + 1
        for match in item.matches:
            say(f"{item.doc}{where(match)}: {match['text']}")
        on_file(item)
        if hits >= query.max_hits:
            stopped = "max"
            break
    found.close()
    return hits, files, stopped


class _Stopped(Exception):
    """The include/exclude patterns could not be decided: the search stopped (the reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _keep_paths(query: SearchQuery, stop: Callable[[], str]) -> KeepPaths | None:
    """How the include/exclude patterns are decided (None: the query has none): in this
    process, a bounded time per path, until ``stop`` gives a reason (``_Stopped``)."""
    names = name_filter(query)
    if names is None:
        return None

    def keep(paths: list[str]) -> list[bool]:
        kept = names.decide(paths, stop)
        if isinstance(kept, str):
            raise _Stopped(kept)
        return kept
    return keep


def _stopped(say: Callable[[str], None], query: SearchQuery, reason: str) -> Summary:
    summary = Summary(0, 0, 0, reason)
    _finish(say, summary, query)
    return summary


def _only(reason: str) -> Generator[Found | str, None, None]:
    """A scan that stopped before it began."""
    yield reason


def _first(reason: str, stop: Callable[[], str]) -> Callable[[], str]:
    """A ``should_stop`` that gives ``reason`` at once."""
    return lambda: reason or stop()


def _finish(say: Callable[[str], None], summary: Summary, query: SearchQuery) -> None:
    if summary.stopped == "max":
        say(f"Reached the maximum of {query.max_hits} hits; the search stopped there.")
    elif summary.stopped:
        say(f"The search stopped early ({summary.stopped}).")
    say(f"Found {summary.hits} occurrence/s in {summary.files} file/s.")


def deadline_check(seconds: float, cancelled: Callable[[], bool] | None = None,
                   gone: Callable[[], bool] | None = None) -> Callable[[], str]:
    """A ``should_stop`` for a time limit (and an optional cancel flag and client check)."""
    end = time.monotonic() + seconds

    def check() -> str:
        if cancelled is not None and cancelled():
            return "cancelled"
        if gone is not None and gone():
            return GONE_STOP
        return "time limit" if time.monotonic() > end else ""
    return check


def _budgeted(stop: Callable[[], str], query: SearchQuery) -> Callable[[], str]:
    """``stop``, plus the backtracking engine's time limit when the query's pattern needs that
    engine."""
    if compile_query(query).linear:
        return stop
    end = time.monotonic() + BACKTRACKING_SECONDS

    def check() -> str:
        return stop() or (BACKTRACKING_STOP if time.monotonic() > end else "")
    return check


def search_all(store: DocumentStore, query: SearchQuery, time_limit: float,
               gone: Callable[[], bool] | None = None
               ) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    """A synchronous search: (result items, console lines, errors of an early stop)."""
    items: list[dict[str, Any]] = []
    lines: list[str] = []
    summary = search(store, query, on_file=lambda f: items.append(f.to_dict()),
                     console=lines.append, should_stop=deadline_check(time_limit, gone=gone))
    return items, lines, _stop_errors(summary)


def _stop_errors(summary: Summary) -> list[dict[str, Any]]:
    if summary.stopped in ("", "max"):
        return []
    return [work_error(f"The search stopped early ({summary.stopped}): the results are "
                       "incomplete")]


def validate(store: DocumentStore, query: SearchQuery) -> None:
    """Raise the 400 a query deserves before any work is queued."""
    compile_query(query)
    spec_matchers(store, query.files)
    name_regex(query.include, "include")
    name_regex(query.exclude, "exclude")
    if not 0 < query.max_hits <= MAX_HITS_LIMIT:
        raise BadRequest(f"'max' must be a number from 1 to {MAX_HITS_LIMIT}")


def search_job(store: DocumentStore, query: SearchQuery, *, console: bool = True) -> Work:
    """The search as a /work job: each document's hits are emitted as soon as it is read."""
    validate(store, query)

    def work(ctx: JobContext) -> JobOutcome:
        search(store, query, on_file=lambda found: ctx.emit(found.to_dict()),
               console=ctx.console if console else None,
               should_stop=lambda: (ctx.stop_reason or "cancelled") if ctx.cancelled else "")
        return JobOutcome([])
    return work


def _uses_corpus(store: DocumentStore, query: SearchQuery) -> bool:
    """False when generated documents take part (they are not files: the file-by-file scan)."""
    return not (query.generated and store.compiled is not None and
                any(True for _ in store.compiled.generated_docs()))


def _corpus_found(store: DocumentStore, query: SearchQuery, stop: Callable[[], str],
                  keep: KeepPaths | None = None
                  ) -> tuple[int, Generator[Found | str, None, None]]:
    """(documents searched, a generator of each chunk's hits or a stop reason)."""
    plan = corpus_plan(query)
    corpus = corpus_of(store, MAX_LINE)
    chunks = corpus.chunks()
    try:
        work = corpus_selection(store, query, chunks, keep)
    except _Stopped as exc:
        return 0, _only(exc.reason)
    scanned = sum(len(picked) for _index, picked in work)
    if not hasattr(os, "fork") or not work:
        return scanned, inline_chunks(chunks, work, plan, query.max_hits, stop)
    if query.regex or query.wild:  # the user's regex: in a child that can be killed
        try:
            worker = acquire(corpus, chunks)
        except OSError as exc:  # no process to be had (memory, process limit)
            no_fork(exc)
        else:
            return scanned, isolated_chunks(corpus, chunks, work, plan, query.max_hits, stop,
                                            worker)
    return scanned, inline_chunks(chunks, work, plan, query.max_hits, stop)  # linear
