"""Scanning: the lines of one document (the file-by-file scan) and the chunks of the corpus
(one regex pass over joined texts, each hit mapped back to document and line)."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Generator, Iterable
from typing import Any

from atelier_api.documents import textcodec
from atelier_api.documents.names import DocName, parse_name
from atelier_api.search.corpus import ROUTINE_HEADER, Chunk
from atelier_api.search.engine import Program
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
        col = pattern.test(line)
        if col is None:
            continue
        place = where(idx, col)
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
    program = pattern.line.program(text.isascii())
    if program.linear is not None:
        data = text.encode("utf-8", "replace")
        spans: Iterable[tuple[int, int]] = program.spans_bytes(data)
        nl: str | bytes = b"\n"
        counted: str | bytes = data
    else:
        spans = (m.span() for m in program.python_rx().finditer(text))
        nl, counted = "\n", text
    found: list[int] = []
    line = last = 0
    for start, end in spans:
        if counted.find(nl, start, end) >= 0:  # type: ignore[arg-type]
            return range(len(lines))
        line += counted.count(nl, last, start)  # type: ignore[arg-type]
        last = start
        if not found or found[-1] != line:
            found.append(line)
    return found


#: One hit: (document index in the chunk, line index in the document, line start, line end,
#: column of the match), as character offsets in the chunk's text.
HIT_WIDTH = 5

#: Where a pattern matches in a range of a chunk: (start, end) or None.
Search = Callable[[int, int], "tuple[int, int] | None"]


def scan_chunk(chunk: Chunk, docs: list[int], plan: Plan, limit: int, out: list[int]) -> int:
    """Append the hits of the chunk's documents ``docs`` (at most ``limit``) to ``out`` as
    flat HIT_WIDTH-tuples; returns how many."""
    program = None if plan.rx is None else plan.rx.program(chunk.ascii)
    view = None if program is None else _View.of(chunk, program)
    entries = chunk.docs
    test = plan.pattern.test
    found = 0
    i, count = 0, len(docs)
    while i < count and found < limit:
        first = docs[i]
        if view is None or entries[first].long:
            found += _scan_lines(chunk, first, test, limit - found, out)
            i += 1
            continue
        j = i
        while j + 1 < count and docs[j + 1] == docs[j] + 1 and not entries[docs[j + 1]].long:
            j += 1
        found += _scan_run(view, chunk, first, docs[j], test, limit - found, out)
        i = j + 1
    return found


class _View:
    """A chunk as one engine searches it: RE2 over the UTF-8 bytes, Python's ``re`` over the
    text; ``chars`` maps the offsets found to character offsets (called with offsets that
    never decrease)."""

    def __init__(self, search: Search, text: str | bytes, starts: list[int],
                 chars: Callable[[int], int]) -> None:
        self.search, self.text, self.starts, self.chars = search, text, starts, chars
        self.nl: str | bytes = b"\n" if isinstance(text, bytes) else "\n"

    @classmethod
    def of(cls, chunk: Chunk, program: Program) -> _View:
        if program.linear is None:
            rx = program.python_rx()

            def python(pos: int, endpos: int) -> tuple[int, int] | None:
                match = rx.search(chunk.text, pos, endpos)
                return None if match is None else match.span()
            return cls(python, chunk.text, chunk.starts, _same)
        data, search = chunk.data, program.byte_search()

        def linear(pos: int, endpos: int) -> tuple[int, int] | None:
            return search(data, pos, endpos)
        return cls(linear, data, chunk.byte_starts, _same if chunk.ascii else _Chars(data))


def _same(offset: int) -> int:
    return offset


class _Chars:
    """Character offsets of increasing byte offsets in UTF-8 data (decoding only the bytes
    between one call and the next)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.byte = self.char = 0

    def __call__(self, offset: int) -> int:
        if offset < self.byte:
            self.byte = self.char = 0
        self.char += len(self.data[self.byte:offset].decode("utf-8", "replace"))
        self.byte = offset
        return self.char


def _scan_run(view: _View, chunk: Chunk, first: int, last: int,
              test: Callable[[str], int | None], limit: int, out: list[int]) -> int:
    """One regex pass over the consecutive documents ``first``..``last`` of a chunk."""
    text, starts, nl, chars, search = view.text, view.starts, view.nl, view.chars, view.search
    source, entries = chunk.text, chunk.docs
    pos, endpos = starts[first], starts[last + 1] - 1
    d, dstart, dnext = first, starts[first], starts[first + 1]
    line, seen = 0, dstart
    rfind, find, count = text.rfind, text.find, text.count
    found = 0
    while pos <= endpos:
        span = search(pos, endpos)
        if span is None:
            break
        start, stop = span
        if start >= dnext:
            d = bisect.bisect_right(starts, start, d + 1) - 1
            dstart, dnext = starts[d], starts[d + 1]
            line, seen = 0, dstart
        newline = rfind(nl, dstart, start)  # type: ignore[arg-type]
        head = dstart if newline < 0 else newline + 1
        end = find(nl, start)  # type: ignore[arg-type]
        line += count(nl, seen, head)  # type: ignore[arg-type]
        seen = head
        pos = end + 1
        head_c, start_c, end_c = chars(head), chars(start), chars(end)
        if stop > end:  # crossed a line end: only a candidate
            col = test(source[head_c:end_c])
            if col is None:
                continue
        else:
            col = start_c - head_c
        if line == 0 and entries[d].kind == ROUTINE_HEADER:
            continue
        out += (d, line, head_c, end_c, col)
        found += 1
        if found >= limit:
            break
    return found


def _scan_lines(chunk: Chunk, d: int, test: Callable[[str], int | None],
                limit: int, out: list[int]) -> int:
    """Test each line of one document alone (no corpus prefilter applies)."""
    head = chunk.starts[d]
    skip_first = chunk.docs[d].kind == ROUTINE_HEADER
    found = 0
    for idx, line in enumerate(chunk.doc_text(d).split("\n")):
        col = test(line)
        if col is not None and not (skip_first and idx == 0):
            out += (d, idx, head, head + len(line), col)
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
