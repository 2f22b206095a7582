"""The public entry: ``action/search`` (``search_envelope``, ``search_all``) and the ``/work``
search job (``search_job``), with validation and the early-stop rules.

Documents come from the namespace's in-memory corpus (``atelier_api.search.corpus``); user
regexes and wildcards run in a forked worker process that can be killed (``workers``); the
synchronous endpoint gets its envelope JSON built as text (``search_envelope``). When
generated documents take part (``gen`` with compiled output) the files are read one by one
(``_search_files``). With the system flag (``sys=1``, always in ``%SYS``) the compiler
adapter's system documents are searched after the workspace's, from their texts, within the
same ``max``.
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
from atelier_api.search.corpus import corpus_of, selected
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
from atelier_api.search.selection import Source, select, selector, spec_matchers, system_sources
from atelier_api.search.workers import acquire, isolated, isolated_chunks, no_fork
from atelier_api.work.queue import JobContext, Work, work_error
from atelier_api.work.queue import Outcome as JobOutcome


def search(store: DocumentStore, query: SearchQuery, *, on_file: Callable[[FileHits], None],
           console: Callable[[str], None] | None = None,
           should_stop: Callable[[], str] | None = None) -> Summary:
    """Search a namespace; each document with hits goes to ``on_file`` as it is found.

    ``should_stop`` returns a reason ('cancelled', 'time limit') to stop early. The documents
    come from the namespace's in-memory corpus (atelier_api.search.corpus). Literal and word
    searches run in this thread (their regex is linear); user regexes and wildcards run in a
    forked child that is killed on cancel or time limit, because a backtracking ``re`` holds
    the GIL and cannot be interrupted.
    """
    validate(store, query)
    say = console or (lambda _line: None)
    say(f"Searching for '{query.text}' in '{query.files}'")
    stop = should_stop or (lambda: "")
    system = system_sources(store, query)
    if not _uses_corpus(store, query):
        return _search_files(store, query, on_file, say, stop, system)
    scanned, found = _corpus_found(store, query, stop)
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
    summary = _search_system(system, query, Summary(hits, files, scanned, hits_of.stopped),
                             on_file, say, stop)
    _finish(say, summary, query)
    return summary


def _search_system(system: list[Source], query: SearchQuery, summary: Summary,
                   on_file: Callable[[FileHits], None], say: Callable[[str], None],
                   stop: Callable[[], str]) -> Summary:
    """The workspace's summary with the system documents searched after it (when the
    workspace part did not stop early), within what is left of ``max``."""
    if summary.stopped or not system:
        return summary
    left = dataclasses.replace(query, max_hits=query.max_hits - summary.hits)
    hits, files, stopped = _scan_sources(system, left, on_file, say, stop)
    return Summary(summary.hits + hits, summary.files + files, summary.scanned + len(system),
                   stopped)


def search_envelope(store: DocumentStore, query: SearchQuery, time_limit: float) -> bytes:
    """The JSON envelope of a synchronous search (action/search), built as text: the bytes
    ``Envelope(items, console, errors, summary).dumps()`` of ``search_all`` would give."""
    validate(store, query)
    if not _uses_corpus(store, query):
        items, lines, errors = search_all(store, query, time_limit)
        return Envelope(items, lines, errors,
                        str(errors[0]["error"]) if errors else "").dumps()
    console = [f"Searching for '{query.text}' in '{query.files}'"]
    result: list[str] = []
    stop = deadline_check(time_limit)
    scanned, found = _corpus_found(store, query, stop)
    hits = files = 0
    hits_of = _ChunkHits(found)
    with contextlib.closing(hits_of):
        for chunk, flat in hits_of:
            count, docs = render_chunk(chunk, flat, query.max_hits - hits, result, console)
            hits, files = hits + count, files + docs
            if hits >= query.max_hits:
                hits_of.stopped = "max"
                break
    summary = _search_system(system_sources(store, query), query,
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
                  stop: Callable[[], str], system: list[Source] | None = None) -> Summary:
    """The file-by-file search (generated documents take part): read every document, then
    the system documents (``system``; None: those the query selects)."""
    if system is None:
        system = system_sources(store, query)
    sources = select(store, query) + system
    hits, files, stopped = _scan_sources(sources, query, on_file, say, stop)
    summary = Summary(hits, files, len(sources), stopped)
    _finish(say, summary, query)
    return summary


def _scan_sources(sources: list[Source], query: SearchQuery,
                  on_file: Callable[[FileHits], None], say: Callable[[str], None],
                  stop: Callable[[], str]) -> tuple[int, int, str]:
    """Scan documents one by one: (hits, files with hits, why it stopped early)."""
    if not sources:
        return 0, 0, ""
    found = (isolated if query.regex or query.wild else inline)(sources, query, stop)
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


def _finish(say: Callable[[str], None], summary: Summary, query: SearchQuery) -> None:
    if summary.stopped == "max":
        say(f"Reached the maximum of {query.max_hits} hits; the search stopped there.")
    elif summary.stopped:
        say(f"The search stopped early ({summary.stopped}).")
    say(f"Found {summary.hits} occurrence/s in {summary.files} file/s.")


def deadline_check(seconds: float, cancelled: Callable[[], bool] | None = None
                   ) -> Callable[[], str]:
    """A ``should_stop`` for a time limit (and an optional cancel flag)."""
    end = time.monotonic() + seconds

    def check() -> str:
        if cancelled is not None and cancelled():
            return "cancelled"
        return "time limit" if time.monotonic() > end else ""
    return check


def search_all(store: DocumentStore, query: SearchQuery, time_limit: float
               ) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    """A synchronous search: (result items, console lines, errors of an early stop)."""
    items: list[dict[str, Any]] = []
    lines: list[str] = []
    summary = search(store, query, on_file=lambda f: items.append(f.to_dict()),
                     console=lines.append, should_stop=deadline_check(time_limit))
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


def _corpus_found(store: DocumentStore, query: SearchQuery, stop: Callable[[], str]
                  ) -> tuple[int, Generator[Found | str, None, None]]:
    """(documents searched, a generator of each chunk's hits or a stop reason)."""
    plan = corpus_plan(query)
    key, keep = selector(store, query)
    corpus = corpus_of(store, MAX_LINE)
    chunks = corpus.chunks()
    work = [(index, picked) for index, chunk in enumerate(chunks)
            if (picked := selected(chunk, key, keep))]
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
