"""Scanning: the lines of one document (the file-by-file scan) and the chunks of the corpus
(one regex pass over joined texts, each hit mapped back to document and line)."""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Generator, Iterable
from typing import Any

from atelier_api.documents import textcodec
from atelier_api.documents.names import DocName, parse_name
from atelier_api.search.corpus import ROUTINE_HEADER, Chunk, CorpusDoc
from atelier_api.search.outlines import locator
from atelier_api.search.plan import Plan
from atelier_api.search.query import FileHits, Pattern, SearchQuery, compile_query
from atelier_api.search.selection import Source


def _read(source: Source) -> bytes | None:
    _name, path, text = source
    if path is None:
        return (text or "").encode("utf-8", "surrogatepass")
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def inline(sources: list[Source], query: SearchQuery, stop: Callable[[], str]
           ) -> Generator[FileHits | str, None, None]:
    """Scan in this process: yields each document's hits, or a stop reason."""
    pattern = compile_query(query)
    left = query.max_hits
    for source in sources:
        reason = stop()
        if reason:
            yield reason
            return
        found = _scan_source(source, pattern, left)
        if found is not None:
            left -= len(found.matches)
            yield found


def _scan_source(source: Source, pattern: Pattern, limit: int) -> FileHits | None:
    data = _read(source)
    if data is None or limit < 1 or not pattern.file_may_match(data):
        return None
    return scan_lines(parse_name(source[0]), textcodec.decode(data)[0], pattern, limit)


def scan_lines(doc: DocName, lines: list[str], pattern: Pattern, limit: int) -> FileHits | None:
    """The matches of one document's lines (at most ``limit``), attributed for the client."""
    where = locator(doc, lines)
    matches = []
    for idx in _candidate_lines(lines, pattern):
        line = lines[idx]
        found = pattern.test(line)
        if found is None:
            continue
        place = where(idx, found.start())
        if place is None:
            continue
        matches.append({"text": line.lstrip(), **place})
        if len(matches) >= limit:
            break
    return FileHits(doc.name, tuple(matches)) if matches else None


def _candidate_lines(lines: list[str], pattern: Pattern) -> Iterable[int]:
    """Indexes of the lines that may match, found by one regex pass over the joined text
    (no Python work per line); every line when the pattern is whole-line or may span lines."""
    if pattern.full or pattern.whole is None:
        return range(len(lines))
    text = "\n".join(lines)
    found: list[int] = []
    line = last = 0
    for match in pattern.line.finditer(text):
        start = match.start()
        if "\n" in match.group():
            return range(len(lines))
        line += text.count("\n", last, start)
        last = start
        if not found or found[-1] != line:
            found.append(line)
    return found


#: One hit: (document index in the chunk, line index in the document, line start, line end,
#: column of the match).
HIT_WIDTH = 5


def scan_chunk(chunk: Chunk, docs: list[int], plan: Plan, limit: int, out: list[int]) -> int:
    """Append the hits of the chunk's documents ``docs`` (at most ``limit``) to ``out`` as
    flat HIT_WIDTH-tuples; returns how many."""
    if plan.lower_rx is not None and chunk.lower is not None:
        rx: re.Pattern[str] | None = plan.lower_rx
        text = chunk.lower
    else:
        rx, text = plan.rx, chunk.text
    source = chunk.text
    starts = chunk.starts
    entries = chunk.docs
    test = plan.pattern.test
    found = 0
    i, count = 0, len(docs)
    while i < count and found < limit:
        first = docs[i]
        if rx is None or entries[first].long:
            found += _scan_lines(chunk, first, test, limit - found, out)
            i += 1
            continue
        j = i
        while j + 1 < count and docs[j + 1] == docs[j] + 1 and not entries[docs[j + 1]].long:
            j += 1
        found += _scan_run(rx, text, source, starts, entries, first, docs[j], test,
                           limit - found, out)
        i = j + 1
    return found


def _scan_run(rx: re.Pattern[str], text: str, source: str, starts: list[int],
              entries: list[CorpusDoc], first: int, last: int,
              test: Callable[[str], re.Match[str] | None], limit: int, out: list[int]) -> int:
    """One regex pass over the consecutive documents ``first``..``last`` of a chunk."""
    pos, endpos = starts[first], starts[last + 1] - 1
    d, dstart, dnext = first, starts[first], starts[first + 1]
    line, seen = 0, dstart
    search, rfind, find, count = rx.search, text.rfind, text.find, text.count
    found = 0
    while pos <= endpos:
        match = search(text, pos, endpos)
        if match is None:
            break
        start = match.start()
        if start >= dnext:
            d = bisect.bisect_right(starts, start, d + 1) - 1
            dstart, dnext = starts[d], starts[d + 1]
            line, seen = 0, dstart
        newline = rfind("\n", dstart, start)
        head = dstart if newline < 0 else newline + 1
        end = find("\n", start)
        line += count("\n", seen, head)
        seen = head
        pos = end + 1
        if match.end() > end:  # crossed a line end: only a candidate
            alone = test(source[head:end])
            if alone is None:
                continue
            col = alone.start()
        else:
            col = start - head
        if line == 0 and entries[d].kind == ROUTINE_HEADER:
            continue
        out += (d, line, head, end, col)
        found += 1
        if found >= limit:
            break
    return found


def _scan_lines(chunk: Chunk, d: int, test: Callable[[str], re.Match[str] | None],
                limit: int, out: list[int]) -> int:
    """Test each line of one document alone (no corpus prefilter applies)."""
    head = chunk.starts[d]
    skip_first = chunk.docs[d].kind == ROUTINE_HEADER
    found = 0
    for idx, line in enumerate(chunk.doc_text(d).split("\n")):
        match = test(line)
        if match is not None and not (skip_first and idx == 0):
            out += (d, idx, head, head + len(line), match.start())
            found += 1
            if found >= limit:
                break
        head += len(line) + 1
    return found


#: (chunk, flat hits of its documents) as the scan produces them
Found = tuple[Chunk, list[int]]


Work_ = list[tuple[int, list[int]]]  # (chunk index, indexes of its selected documents)


def inline_chunks(chunks: list[Chunk], work: Work_, plan: Plan, limit: int,
                  stop: Callable[[], str]) -> Generator[Found | str, None, None]:
    for index, picked in work:
        reason = stop()
        if reason:
            yield reason
            return
        out: list[int] = []
        limit -= scan_chunk(chunks[index], picked, plan, limit, out)
        if out:
            yield chunks[index], out
        if limit <= 0:
            return


def scan_to(send: Any, chunks: list[Chunk], work: Work_, plan: Plan, limit: int) -> None:
    """In a child: scan and send ``H`` + the chunk index and its hits (int64) per chunk with
    hits, then ``D``; ``E`` + a message when the scan fails."""
    try:
        for index, picked in work:
            hits: list[int] = []
            limit -= scan_chunk(chunks[index], picked, plan, limit, hits)
            if hits:
                out = array("q", (index,))
                out.extend(hits)
                send.send_bytes(b"H" + out.tobytes())
            if limit <= 0:
                break
        send.send_bytes(b"D")
    except Exception as exc:  # reported to the parent as a stop reason
        send.send_bytes(b"E" + f"failed: {type(exc).__name__}: {exc}".encode())


def per_doc(chunk: Chunk, hits: list[int]) -> Iterable[tuple[int, list[int]]]:
    """The flat hits of a chunk grouped by document: (document index, its flat hits)."""
    start = 0
    n = len(hits)
    while start < n:
        d = hits[start]
        end = start + HIT_WIDTH
        while end < n and hits[end] == d:
            end += HIT_WIDTH
        yield d, hits[start:end]
        start = end
