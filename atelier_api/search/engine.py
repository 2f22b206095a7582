"""Text search over a namespace's documents (``action/search`` and the ``/work`` search).

A query is compiled once: literal text becomes an escaped regex, ``word`` adds word
boundaries, ``wild`` turns ``*``/``?`` into wildcards, ``case`` makes it case-sensitive. In
regex mode the server matches the *whole line* (IRIS semantics: VS Code sends ``(?i)`` and
wraps the pattern as ``.*pattern.*``), and ``case`` is ignored. Regexes that could backtrack
catastrophically (nested unbounded repeats, overlapping alternatives under a repeat) are
refused with a 400: Python's ``re`` cannot be interrupted and would freeze every thread.

Documents come from the namespace's in-memory corpus (``atelier_api.search.corpus``: the
decoded texts, kept current on every save, delete and change on disk): one compiled regex runs
over each chunk of joined texts and its matches are mapped back to document and line (see
"the corpus search" below for why the answer is the per-line test's). User regexes and
wildcards run in a forked worker process that can be killed; the synchronous endpoint gets its
envelope JSON built as text (``search_envelope``). When generated documents take part (``gen``
with compiled output) the files are read one by one as before (``_search_files``). Matches in
classes are attributed to members the way the client locates
them: ``member`` + ``line`` inside a member body, ``attr`` + ``attrline`` for descriptions and
keyword bodies (XData ``Data``, Query ``SqlQuery``), ``attr`` alone for the class line
(``Name``/``Super``) and the ``Include``/``Import`` lines; routines carry ``line`` (the line
number after the ``ROUTINE`` header), web and other files their 1-based line number.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import logging
import multiprocessing
import os
import pickle
import re
import signal
import time
import weakref
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from atelier_api.documents import textcodec
from atelier_api.documents.docsets import mask_matcher
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest, Envelope
from atelier_api.search.corpus import (
    CLASS,
    ROUTINE_HEADER,
    Chunk,
    Corpus,
    CorpusDoc,
    corpus_of,
    selected,
)
from atelier_api.work.queue import JobContext, Work, work_error
from atelier_api.work.queue import Outcome as JobOutcome

log = logging.getLogger(__name__)

try:  # Python 3.11+: the parser lives in re._parser; sre_parse is its deprecated alias
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse

DEFAULT_MAX = 200
MAX_HITS_LIMIT = 1_000_000
MAX_QUERY = 4096
MAX_WILDCARDS = 8
MAX_UNBOUNDED = 12
#: Lines longer than this are cut before a per-line regex test (bounds polynomial patterns).
MAX_LINE = 20_000
MEMBER_RE = re.compile(
    r"(ClassMethod|Method|ClientMethod|Property|Relationship|Parameter|Index|Query|XData|"
    r"Storage|Trigger|ForeignKey|Projection)\s+(\"[^\"]*\"|[%\w.]+)", re.IGNORECASE)
_BODY_ATTR = {"xdata": "Data", "query": "SqlQuery"}
_HEADER_ATTR = (("includegenerator", "IncludeGenerator"), ("include", "IncludeCode"),
                ("import", "Import"))
_NO_PREFILTER = ("\\A", "\\Z", "(?<")
_REPEATS = tuple(getattr(sre_parse, op) for op in (
    "MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(sre_parse, op))


@dataclass(frozen=True)
class SearchQuery:
    """What to look for and where (the parameters of action/search and the /work body)."""

    text: str
    files: str = "*"
    regex: bool = False
    word: bool = False
    case: bool = False
    wild: bool = False
    system: bool = False
    generated: bool = False
    max_hits: int = DEFAULT_MAX
    include: str = ""
    exclude: str = ""


@dataclass(frozen=True)
class FileHits:
    """The matches of one document, in the wire shape ``{"doc", "matches"}``."""

    doc: str
    matches: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of one ``result`` item."""
        return {"doc": self.doc, "matches": list(self.matches)}


@dataclass(frozen=True)
class Summary:
    """How a search ended: hits, files with hits, files read, and why it stopped early."""

    hits: int
    files: int
    scanned: int
    stopped: str = ""  # "" | "max" | "cancelled" | "time limit"


# -- the compiled pattern ---------------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    """A compiled query: a whole-file prefilter and the per-line test."""

    line: re.Pattern[str]
    full: bool  # True: the line must match as a whole (regex mode)
    whole: re.Pattern[str] | None  # searched over a whole decoded file; None: no prefilter
    needle: bytes | None = None  # ASCII literal searched in the raw bytes first
    fold: bool = False  # the needle is lower case: search the lowered bytes

    def file_may_match(self, data: bytes) -> bool:
        """True when the file can hold a hit (a false positive is fine, a miss is not)."""
        if self.needle is not None:
            return self.needle in (data.lower() if self.fold else data)
        if self.whole is None:
            return True
        return self.whole.search(_text(data)) is not None

    def test(self, line: str) -> re.Match[str] | None:
        """The match of one line, or None."""
        line = line[:MAX_LINE]
        return self.line.fullmatch(line) if self.full else self.line.search(line)


def compile_query(query: SearchQuery) -> Pattern:
    """Compile a query once (a 400 for empty, oversized, invalid or dangerous patterns)."""
    text = query.text
    if not text:
        raise BadRequest("The search needs a non-empty 'query'")
    if len(text) > MAX_QUERY:
        raise BadRequest(f"The search 'query' is longer than {MAX_QUERY} characters")
    if query.regex:
        return _regex_pattern(text)
    flags = 0 if query.case else re.IGNORECASE
    body = _wild_body(text) if query.wild else re.escape(text)
    if query.word:
        body = rf"(?<!\w)(?:{body})(?!\w)"
    rx = re.compile(body, flags | re.MULTILINE)
    needle = None
    if not query.wild and text.isascii():
        needle = (text if query.case else text.lower()).encode("ascii")
    return Pattern(rx, False, rx, needle, needle is not None and not query.case)


def _wild_body(text: str) -> str:
    text = re.sub(r"\*+", "*", text)
    if text.count("*") + text.count("?") > MAX_WILDCARDS:
        raise BadRequest(f"The search 'query' has more than {MAX_WILDCARDS} wildcards")
    parts = (".*?" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text)
    return "".join(parts)


def _regex_pattern(source: str) -> Pattern:
    """Regex mode: whole-line matching; ``.*core.*`` is searched as ``core`` (same result)."""
    flags_prefix, rest = _split_inline_flags(source)
    parsed = _parse(source)
    check_safe(parsed, source)
    core = _unwrapped_core(rest, parsed)
    prefilter = not any(tok in source for tok in _NO_PREFILTER)
    if core is not None:
        line = _compile(flags_prefix + core, re.MULTILINE)
        return Pattern(line, False, line if prefilter else None)
    line = _compile(source, 0)
    whole = None
    if prefilter:
        try:  # e.g. a second inline flag group cannot move behind the anchors: no prefilter
            whole = re.compile(f"{flags_prefix}^(?:{rest})$", re.MULTILINE)
        except re.error:
            whole = None
    return Pattern(line, True, whole)


def _split_inline_flags(source: str) -> tuple[str, str]:
    match = re.match(r"\(\?[aiLmsux]+\)", source)
    return (match.group(), source[match.end():]) if match else ("", source)


def _compile(source: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(source, flags)
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadRequest(f"Invalid regular expression '{source[:200]}': {exc}") from None


def _parse(source: str) -> Any:
    try:
        return sre_parse.parse(source)
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadRequest(f"Invalid regular expression '{source[:200]}': {exc}") from None


def _unwrapped_core(rest: str, parsed: Any) -> str | None:
    """``X`` when the pattern is ``.*X.*`` with unescaped wrappers, else None."""
    if len(rest) < 4 or not (rest.startswith(".*") and rest.endswith(".*")):
        return None
    backslashes = len(rest[:-2]) - len(rest[:-2].rstrip("\\"))
    items = list(parsed)
    if backslashes % 2 or len(items) < 2 or not (_is_dot_star(items[0]) and
                                                 _is_dot_star(items[-1])):
        return None
    core = rest[2:-2]
    try:
        re.compile(core)
    except re.error:
        return None
    return core


def _is_dot_star(item: Any) -> bool:
    op, av = item
    if op is not sre_parse.MAX_REPEAT:
        return False
    low, high, sub = av
    inner = list(sub)
    return low == 0 and high == sre_parse.MAXREPEAT and len(inner) == 1 and (
        inner[0][0] is sre_parse.ANY)


def check_safe(parsed: Any, source: str) -> None:
    """Refuse patterns whose backtracking can explode (nested or overlapping repeats)."""
    unbounded = [0]
    problem = _risky(parsed, 0, unbounded)
    if problem is None and unbounded[0] > MAX_UNBOUNDED:
        problem = f"more than {MAX_UNBOUNDED} unbounded repeats"
    if problem:
        raise BadRequest(f"Regular expression '{source[:200]}' refused: {problem} can make the "
                         "search backtrack for hours; simplify it")


def _risky(items: Iterable[Any], in_repeat: int, unbounded: list[int]) -> str | None:
    """The first danger in a parsed pattern; ``in_repeat``: 0 none, 1 counted, 2 unbounded."""
    for op, av in items:
        if op in _REPEATS:
            low, high, sub = av
            repeats = high == sre_parse.MAXREPEAT or high > 1000
            unbounded[0] += repeats
            if (in_repeat == 2 and high > 1) or (in_repeat and repeats):
                return "a repeat inside a repeat"
            found = _risky(sub, max(in_repeat, 2 if repeats else int(high > 1)), unbounded)
        elif op is sre_parse.BRANCH:
            if in_repeat and not _distinct_starts(av[1]):
                return "overlapping alternatives inside a repeat"
            found = next((p for alt in av[1] if (p := _risky(alt, in_repeat, unbounded))), None)
        elif op is sre_parse.SUBPATTERN:
            found = _risky(av[-1], in_repeat, unbounded)
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            found = _risky(av[1], in_repeat, unbounded)
        elif op is sre_parse.GROUPREF and in_repeat:
            found = "a back-reference inside a repeat"
        else:
            found = None
        if found:
            return found
    return None


def _distinct_starts(alternatives: list[Any]) -> bool:
    """True when every alternative starts with its own literal (no two can match the same)."""
    firsts = []
    for alt in alternatives:
        items = list(alt)
        if not items or items[0][0] is not sre_parse.LITERAL:
            return False
        firsts.append(items[0][1])
    return len(set(firsts)) == len(firsts)


def _text(data: bytes) -> str:
    """Decoded file text with LF line ends (UTF-8, else Latin-1, as the store decodes)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# -- which documents ----------------------------------------------------------------------------

def select(store: DocumentStore, query: SearchQuery) -> list[Source]:
    """The documents a query searches, sorted by name, as (name, path, generated text)."""
    wanted, unwanted = _spec_matchers(store, query.files)
    include = _name_regex(query.include, "include")
    exclude = _name_regex(query.exclude, "exclude")
    system = query.system or store.namespace == "%SYS"
    out: list[Source] = []
    for doc, path, text in _candidates(store, query.generated):
        if not system and doc.name.startswith("%"):
            continue
        if not any(m(doc) for m in wanted) or any(m(doc) for m in unwanted):
            continue
        where = doc_path(doc)
        if (include and not include.search(where)) or (exclude and exclude.search(where)):
            continue
        out.append((doc.name, path, text))
    out.sort(key=lambda source: source[0])
    return out


def _candidates(store: DocumentStore, generated: bool
                ) -> Iterable[tuple[DocName, str | None, str | None]]:
    """Every document file under the root, then (when asked) the generated documents.

    Walks the folder like the listing does but skips its per-file ``ts`` bookkeeping: a
    search needs paths, not timestamps. The walk never follows symbolic links, so every path
    is inside the root (the name gate protects names that come from clients).
    """
    seen = set()
    for _rel, path, doc in store.walk():
        seen.add(doc.name)
        yield doc, path, None
    if generated and store.compiled is not None:
        for gen in store.compiled.generated_docs():
            doc = parse_name(gen.name)
            if doc.name not in seen:
                yield doc, None, gen.text


def doc_path(doc: DocName) -> str:
    """A name as the client's include/exclude globs see it: ``/Pkg/Cls.cls``, ``/csp/a.js``."""
    return doc.name if doc.is_web else "/" + doc.base.replace(".", "/") + "." + doc.ext


def _name_regex(source: str, what: str) -> re.Pattern[str] | None:
    if not source:
        return None
    if len(source) > MAX_QUERY:
        raise BadRequest(f"'{what}' is longer than {MAX_QUERY} characters")
    check_safe(_parse(source), source)
    return _compile(source, 0)


Matcher = Callable[[DocName], bool]
#: A document to read: (name, path on disk or None, generated text or None).
Source = tuple[str, "str | None", "str | None"]


def _spec_matchers(store: DocumentStore, spec: str) -> tuple[list[Matcher], list[Matcher]]:
    """StudioOpenDialog spec: masks with an optional folder part (``Pkg.Sub/*.cls``; the
    folder carries on to later masks without one), web folders (``/csp/user/*``),
    ``*.cspall`` (every web file), and exclusions with a leading ``'``."""
    wanted: list[Matcher] = []
    unwanted: list[Matcher] = []
    folder = ""
    for raw in spec.split(","):
        item = raw.strip()
        negate = item.startswith("'")
        item = item[1:].strip() if negate else item
        if not item:
            continue
        item, folder = _with_folder(store, item, folder)
        (unwanted if negate else wanted).append(_matcher(item))
    if not wanted:
        raise BadRequest(f"'files' names no document mask: '{spec[:200]}'")
    return wanted, unwanted


def _with_folder(store: DocumentStore, item: str, folder: str) -> tuple[str, str]:
    if item.startswith("/"):
        return (item + "*" if item.endswith("/") else item), folder
    if "/" in item:
        head, _, mask = item.rpartition("/")
        if store.layout.webapp_for("/" + head + "/x") is not None:
            return "/" + item + ("*" if not mask else ""), folder
        folder = head.replace("/", ".").strip(".")
        item = mask or "*"
    if folder and item.lower() != "*.cspall":
        return f"{folder}.{item}", folder
    return item, folder


def _matcher(mask: str) -> Matcher:
    if mask.lower() == "*.cspall":
        return lambda d: d.is_web
    if mask == "*":
        return lambda d: True
    try:
        return mask_matcher(mask)
    except re.error:
        raise BadRequest(f"Invalid document mask '{mask[:200]}'") from None


# -- scanning -----------------------------------------------------------------------------------

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
    if not _uses_corpus(store, query):
        return _search_files(store, query, on_file, say, stop)
    scanned, found = _corpus_found(store, query, stop)
    hits = files = 0
    hits_of = _ChunkHits(found)
    with contextlib.closing(hits_of):
        for chunk, flat in hits_of:
            for d, doc_hits in _per_doc(chunk, flat):
                matches = []
                for _text, match, line in _doc_matches(chunk, d, doc_hits):
                    say(line)
                    matches.append(match)
                hits, files = hits + len(matches), files + 1
                on_file(FileHits(chunk.docs[d].name.name, tuple(matches)))
                if hits >= query.max_hits:
                    hits_of.stopped = "max"
                    break
            if hits_of.stopped:
                break
    summary = Summary(hits, files, scanned, hits_of.stopped)
    _finish(say, summary, query)
    return summary


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
    scanned, found = _corpus_found(store, query, deadline_check(time_limit))
    hits = files = 0
    hits_of = _ChunkHits(found)
    with contextlib.closing(hits_of):
        for chunk, flat in hits_of:
            count, docs = _render_chunk(chunk, flat, query.max_hits - hits, result, console)
            hits, files = hits + count, files + docs
            if hits >= query.max_hits:
                hits_of.stopped = "max"
                break
    summary = Summary(hits, files, scanned, hits_of.stopped)
    _finish(console.append, summary, query)
    errors = _stop_errors(summary)
    text = str(errors[0]["error"]) if errors else ""
    return ('{"status":{"errors":' + _dumps(errors) + ',"summary":' + _enc(text) +
            '},"console":' + _dumps(console) + ',"result":[' + ",".join(result) +
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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _search_files(store: DocumentStore, query: SearchQuery,
                  on_file: Callable[[FileHits], None], say: Callable[[str], None],
                  stop: Callable[[], str]) -> Summary:
    """The file-by-file search (generated documents take part): read every document."""
    sources = select(store, query)
    found = (_isolated if query.regex or query.wild else _inline)(sources, query, stop)
    hits = files = 0
    stopped = ""
    for item in found:
        if isinstance(item, str):
            stopped = item
            break
        hits, files = hits + len(item.matches), files + 1
        for match in item.matches:
            say(f"{item.doc}{_where(match)}: {match['text']}")
        on_file(item)
        if hits >= query.max_hits:
            stopped = "max"
            break
    found.close()
    summary = Summary(hits, files, len(sources), stopped)
    _finish(say, summary, query)
    return summary


def _read(source: Source) -> bytes | None:
    _name, path, text = source
    if path is None:
        return (text or "").encode("utf-8", "surrogatepass")
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _inline(sources: list[Source], query: SearchQuery, stop: Callable[[], str]
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


def _isolated(sources: list[Source], query: SearchQuery, stop: Callable[[], str]
              ) -> Generator[FileHits | str, None, None]:
    """Scan in a child process; killed when ``stop`` gives a reason or the caller stops."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["atelier_api.search.engine"])
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_scan, args=(sources, query, send), daemon=True,
                        name="atelier-search")
    child.start()
    send.close()
    try:
        for message in _from_child(receive.recv, receive.poll, stop):
            if message is None:
                return
            if isinstance(message, str):
                yield message
                return
            yield FileHits(message[0], tuple(message[1]))
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receive.close()


def _child_scan(sources: list[Source], query: SearchQuery, send: Any) -> None:
    """The child process: send (doc, matches) per document with hits, then None."""
    try:
        for found in _inline(sources, query, lambda: ""):
            assert isinstance(found, FileHits)
            send.send((found.doc, list(found.matches)))
        send.send(None)
    except Exception as exc:  # reported to the parent as a stop reason
        send.send(f"failed: {type(exc).__name__}: {exc}")
    finally:
        send.close()


def _finish(say: Callable[[str], None], summary: Summary, query: SearchQuery) -> None:
    if summary.stopped == "max":
        say(f"Reached the maximum of {query.max_hits} hits; the search stopped there.")
    elif summary.stopped:
        say(f"The search stopped early ({summary.stopped}).")
    say(f"Found {summary.hits} occurrence/s in {summary.files} file/s.")


def _where(match: dict[str, Any]) -> str:
    parts = [str(match[k]) for k in ("member", "attr") if k in match]
    num = match.get("line", match.get("attrline"))
    if num is not None:
        parts.append(f"+{num}")
    return f"({' '.join(parts)})" if parts else ""


def deadline_check(seconds: float, cancelled: Callable[[], bool] | None = None
                   ) -> Callable[[], str]:
    """A ``should_stop`` for a time limit (and an optional cancel flag)."""
    end = time.monotonic() + seconds

    def check() -> str:
        if cancelled is not None and cancelled():
            return "cancelled"
        return "time limit" if time.monotonic() > end else ""
    return check


def scan_lines(doc: DocName, lines: list[str], pattern: Pattern, limit: int) -> FileHits | None:
    """The matches of one document's lines (at most ``limit``), attributed for the client."""
    where = _locator(doc, lines)
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


Place = dict[str, Any]


def _locator(doc: DocName, lines: list[str]) -> Callable[[int, int], Place | None]:
    if doc.ext == "cls" and doc.cat == "CLS":
        outline = class_outline(lines)
        return lambda idx, col: _class_place(outline[idx], lines[idx], col)
    if doc.cat == "RTN":
        header = bool(lines) and lines[0][:8].upper() == "ROUTINE "
        return lambda idx, col: None if header and idx == 0 else {
            "line": idx if header else idx + 1}
    return lambda idx, col: {"line": idx + 1}


def _class_place(entry: tuple[str | None, str | None, int | None], line: str, col: int
                 ) -> Place:
    member, attr, num = entry
    place: Place = {}
    if member is not None:
        place["member"] = member
    if attr == "Name":
        extends = re.search(r"\s+Extends\s", line, re.IGNORECASE)
        keywords = line.find("[")
        if extends and col >= extends.start() and (keywords < 0 or col < keywords):
            attr = "Super"
    if attr is not None:
        place["attr"] = attr
        if num is not None:
            place["attrline"] = num
    elif num is not None:
        place["line"] = num
    if not place:
        place["attr"] = "Name"
    return place


Entry = tuple[str | None, str | None, int | None]


def class_outline(lines: list[str]) -> list[Entry]:
    """Per line of a UDL class: (member, attr, line-or-attrline), as the search reports it."""
    out: list[Entry] = [(None, None, None)] * len(lines)
    start = next((i for i, t in enumerate(lines) if re.match(r"Class\s", t, re.I)), None)
    if start is None:
        return [(None, "Name", None)] * len(lines)
    _outline_header(lines, start, out)
    i = start
    while i < len(lines) and lines[i].rstrip() != "{":
        out[i] = (None, "Name", None)
        i += 1
    _outline_body(lines, i + 1, out)
    return out


def _outline_header(lines: list[str], start: int, out: list[Entry]) -> None:
    desc = start
    while desc > 0 and lines[desc - 1].startswith("///"):
        desc -= 1
    for n, i in enumerate(range(desc, start), 1):
        out[i] = (None, "Description", n)
    copyright_line = 0
    for i in range(desc):
        low = lines[i].lower()
        attr = next((a for key, a in _HEADER_ATTR if low.startswith(key + " ")), None)
        if attr is None:
            copyright_line += 1
            out[i] = (None, "Copyright", copyright_line)
        else:
            out[i] = (None, attr, None)


def _outline_body(lines: list[str], i: int, out: list[Entry]) -> None:
    comments = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.rstrip() == "}":
            return
        end = i
        while end < n and lines[end].startswith("///"):
            end += 1
        found = MEMBER_RE.match(lines[end]) if end < n else None
        if found is None:
            if line.strip():
                comments += 1
                for j in range(i, max(end, i + 1)):
                    out[j] = (f"T{comments}", None, None)
            i = max(end, i + 1)
            continue
        name = found.group(2).strip('"')
        for k, j in enumerate(range(i, end), 1):
            out[j] = (name, "Description", k)
        i = _outline_member(lines, end, name, found.group(1).lower(), out)


def _outline_member(lines: list[str], i: int, name: str, kind: str, out: list[Entry]) -> int:
    """Mark one member's declaration and body; returns the line after it."""
    n = len(lines)
    out[i] = (name, None, None)
    if lines[i].rstrip().endswith(";"):
        return i + 1
    j = i + 1
    while j < n and lines[j].rstrip() != "{":
        if MEMBER_RE.match(lines[j]) or lines[j].startswith("///") or lines[j].rstrip() == "}":
            return j
        out[j] = (name, None, None)
        j += 1
    depth, attr = 1, _BODY_ATTR.get(kind)
    k = j + 1
    while k < n and depth:
        bare = lines[k].rstrip()
        depth += (bare == "{") - (bare == "}")
        out[k] = (name, attr, k - j)
        k += 1
    if j < n:
        out[j] = (name, None, None)
    return k


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
    _spec_matchers(store, query.files)
    _name_regex(query.include, "include")
    _name_regex(query.exclude, "exclude")
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


# -- the corpus search ------------------------------------------------------------------------
#
# The documents' texts live in memory (atelier_api.search.corpus); one compiled regex runs over
# each chunk of joined texts and every match is mapped back to its document and line. For
# each line the result is the one the per-line test gives (Pattern.test), because:
#
# * a match that stays inside one line is exactly a match of that line alone: the corpus
#   pattern has no look-around that could see past the line end (user regexes with look-around
#   or \A/\Z are searched line by line instead), ``^``/``$`` are multi-line, and the search
#   restarts at the next line after each hit, so a hit is the line's leftmost match;
# * a match that crosses a line end (``\s``, ``[^x]`` and DOTALL can match ``\n``) is only a
#   candidate: the line it starts in is tested alone, and the search resumes at the next line,
#   so a line-crossing match never hides a match of a later line;
# * documents with a line longer than MAX_LINE are searched line by line (the per-line test
#   cuts such lines).
#
# A case-insensitive pattern runs over the lower-cased copy of ASCII chunks as an equivalent
# case-sensitive pattern (every single-character item replaced by the set of lower-case ASCII
# characters it matches): the same match positions, far faster than re.IGNORECASE.

_CONTEXT_OPS = tuple(getattr(sre_parse, op) for op in ("ASSERT", "ASSERT_NOT"))
_STRING_ANCHORS = (sre_parse.AT_BEGINNING_STRING, sre_parse.AT_END_STRING)


@dataclass(frozen=True)
class Plan:
    """How a query runs over the corpus."""

    pattern: Pattern
    rx: re.Pattern[str] | None  # over the original text; None: every line is tested
    lower_rx: re.Pattern[str] | None  # its equivalent over lower-cased ASCII text


def corpus_plan(query: SearchQuery) -> Plan:
    """The corpus plan of a valid query."""
    pattern = compile_query(query)
    rx: re.Pattern[str] | None
    if not query.regex:
        rx = pattern.line  # escaped text, wildcards and \w look-arounds: line-local
    else:
        rx = pattern.whole if pattern.full else pattern.line
        if rx is not None and not _line_local(sre_parse.parse(rx.pattern, rx.flags)):
            rx = None
    lower_rx = None
    if rx is not None and rx.flags & re.IGNORECASE:
        lower_rx = lowered(rx)
    return Plan(pattern, rx, lower_rx)


def _line_local(items: Iterable[Any]) -> bool:
    """False when a match can depend on text beyond its line (look-around, \\A, \\Z)."""
    for op, av in items:
        if op in _CONTEXT_OPS or (op is sre_parse.AT and av in _STRING_ANCHORS):
            return False
        subs: list[Any] = []
        if op in _REPEATS:
            subs = [av[2]]
        elif op is sre_parse.SUBPATTERN:
            subs = [av[-1]]
        elif op is sre_parse.BRANCH:
            subs = list(av[1])
        elif op is sre_parse.ATOMIC_GROUP:
            subs = [av]
        elif op is sre_parse.GROUPREF_EXISTS:
            subs = [s for s in av[1:] if s is not None]
        if not all(_line_local(sub) for sub in subs):
            return False
    return True


class _Unsupported(Exception):
    """The pattern has an item the lower-case rewrite does not handle."""


_ASCII = [chr(i) for i in range(128)]
_CATEGORIES = {getattr(sre_parse, name): text for name, text in (
    ("CATEGORY_DIGIT", r"\d"), ("CATEGORY_NOT_DIGIT", r"\D"), ("CATEGORY_SPACE", r"\s"),
    ("CATEGORY_NOT_SPACE", r"\S"), ("CATEGORY_WORD", r"\w"), ("CATEGORY_NOT_WORD", r"\W"))}
_ANCHORS = {sre_parse.AT_BEGINNING: "^", sre_parse.AT_END: "$",
            sre_parse.AT_BOUNDARY: r"\b", sre_parse.AT_NON_BOUNDARY: r"\B",
            sre_parse.AT_BEGINNING_STRING: r"\A", sre_parse.AT_END_STRING: r"\Z"}


def lowered(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive pattern that matches lower-cased ASCII text exactly where ``rx``
    (case-insensitive) matches the original text; None when the rewrite does not apply."""
    try:
        parsed = sre_parse.parse(rx.pattern, rx.flags)
        flags = parsed.state.flags & (re.IGNORECASE | re.ASCII | re.DOTALL)
        return re.compile(_unparse(parsed, flags), re.MULTILINE)
    except (_Unsupported, re.error, RecursionError, OverflowError):
        return None


def _unparse(items: Iterable[Any], flags: int) -> str:
    out = []
    for op, av in items:
        if op in (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.IN):
            out.append(_atom(op, av, flags))
        elif op is sre_parse.SUBPATTERN:
            group, add, remove, sub = av
            if add or remove:  # scoped flags: the global case rule would not hold
                raise _Unsupported
            out.append(("(" if group else "(?:") + _unparse(sub, flags) + ")")
        elif op is sre_parse.BRANCH:
            out.append("(?:" + "|".join(_unparse(alt, flags) for alt in av[1]) + ")")
        elif op in _REPEATS:
            low, high, sub = av
            count = f"{{{low},{'' if high == sre_parse.MAXREPEAT else high}}}"
            kind = {sre_parse.MAX_REPEAT: ""}.get(op, "?" if op is sre_parse.MIN_REPEAT else "+")
            out.append(f"(?:{_unparse(sub, flags)}){count}{kind}")
        elif op is sre_parse.AT and av in _ANCHORS:
            out.append(_ANCHORS[av])
        elif op in _CONTEXT_OPS:
            direction, sub = av
            head = "(?" + ("" if direction == 1 else "<") + ("=" if op is _CONTEXT_OPS[0] else "!")
            out.append(head + _unparse(sub, flags) + ")")
        elif op is sre_parse.GROUPREF and av < 100:
            out.append(f"(?:\\{av})")
        elif op is sre_parse.ATOMIC_GROUP:
            out.append(f"(?>{_unparse(av, flags)})")
        else:
            raise _Unsupported
    return "".join(out)


def _esc(ch: str) -> str:
    return f"\\U{ord(ch):08x}"


def _atom(op: Any, av: Any, flags: int) -> str:
    """One single-character item as the set of lower-case ASCII characters it matches."""
    if op is sre_parse.LITERAL:
        source = _esc(chr(av))
    elif op is sre_parse.NOT_LITERAL:
        source = f"[^{_esc(chr(av))}]"
    elif op is sre_parse.ANY:
        source = "."
    else:
        parts: list[str] = []
        for kind, value in av:
            if kind is sre_parse.NEGATE and not parts:
                parts.append("^")
            elif kind is sre_parse.LITERAL:
                parts.append(_esc(chr(value)))
            elif kind is sre_parse.RANGE:
                parts.append(f"{_esc(chr(value[0]))}-{_esc(chr(value[1]))}")
            elif kind is sre_parse.CATEGORY and value in _CATEGORIES:
                parts.append(_CATEGORIES[value])
            else:
                raise _Unsupported
        source = "[" + "".join(parts) + "]"
    test = re.compile(source, flags)
    matched = {ch for ch in _ASCII if test.fullmatch(ch)}
    if any(ch.swapcase() not in matched for ch in matched if ch.isalpha()):
        raise _Unsupported  # not closed under case: lower-casing would change the answer
    chars = sorted({ch.lower() for ch in matched})
    if not chars:
        return "[^\\x00-\\x7f]"  # matches no ASCII character
    if len(chars) == 1:
        return _esc(chars[0])
    return "[" + "".join(_esc(ch) for ch in chars) + "]"


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


# -- running a corpus search ------------------------------------------------------------------

#: (chunk, flat hits of its documents) as the scan produces them
Found = tuple[Chunk, list[int]]


def _selector(store: DocumentStore, query: SearchQuery
              ) -> tuple[tuple[str, str, str, bool], Callable[[CorpusDoc], bool]]:
    """The selection of ``select`` as a per-document test (and its cache key)."""
    wanted, unwanted = _spec_matchers(store, query.files)
    include = _name_regex(query.include, "include")
    exclude = _name_regex(query.exclude, "exclude")
    system = query.system or store.namespace == "%SYS"

    def keep(entry: CorpusDoc) -> bool:
        doc = entry.name
        if not system and doc.name.startswith("%"):
            return False
        if not any(m(doc) for m in wanted) or any(m(doc) for m in unwanted):
            return False
        where = doc_path(doc)
        return not ((include and not include.search(where)) or
                    (exclude and exclude.search(where)))
    return (query.files, query.include, query.exclude, system), keep


def _uses_corpus(store: DocumentStore, query: SearchQuery) -> bool:
    """False when generated documents take part (they are not files: the file-by-file scan)."""
    return not (query.generated and store.compiled is not None and
                any(True for _ in store.compiled.generated_docs()))


def _corpus_found(store: DocumentStore, query: SearchQuery, stop: Callable[[], str]
                  ) -> tuple[int, Generator[Found | str, None, None]]:
    """(documents searched, a generator of each chunk's hits or a stop reason)."""
    plan = corpus_plan(query)
    key, keep = _selector(store, query)
    corpus = corpus_of(store, MAX_LINE)
    chunks = corpus.chunks()
    work = [(index, picked) for index, chunk in enumerate(chunks)
            if (picked := selected(chunk, key, keep))]
    scanned = sum(len(picked) for _index, picked in work)
    if not hasattr(os, "fork") or not work:
        return scanned, _inline_chunks(chunks, work, plan, query.max_hits, stop)
    if query.regex or query.wild:  # the user's regex: in a child that can be killed
        try:
            worker = _acquire(corpus, chunks)
        except OSError as exc:  # no process to be had (memory, process limit)
            _no_fork(exc)
        else:
            return scanned, _isolated_chunks(corpus, chunks, work, plan, query.max_hits, stop,
                                             worker)
    return scanned, _inline_chunks(chunks, work, plan, query.max_hits, stop)  # linear


def _no_fork(exc: OSError) -> None:
    """Say that a regex search runs in the server process: a process could not be forked.
    The pattern passed the backtracking check (``check_safe``) and the time limit is checked
    between chunks, so this is slower to stop, never unsafe to run."""
    log.warning("could not fork a search process (%s); searching in the server process", exc)


Work_ = list[tuple[int, list[int]]]  # (chunk index, indexes of its selected documents)


def _inline_chunks(chunks: list[Chunk], work: Work_, plan: Plan, limit: int,
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


def _scan_to(send: Any, chunks: list[Chunk], work: Work_, plan: Plan, limit: int) -> None:
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


class _Worker:
    """A forked child that keeps the chunks it was forked with and scans them on request.

    Kept between searches while the corpus does not change: forking again for every search
    would make the server copy every memory page it writes while the child lives. It ends
    when its request pipe closes (the server ended) or is killed (cancel, time limit, a
    newer corpus, the corpus dropped).
    """

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.busy = False
        requests_in, self.requests = multiprocessing.Pipe(duplex=False)
        self.results, results_out = multiprocessing.Pipe(duplex=False)
        try:
            pid = os.fork()
        except OSError:
            for conn in (requests_in, self.requests, self.results, results_out):
                conn.close()
            raise
        if pid == 0:  # pragma: no cover - the child (its scan is covered in-process)
            code = 0
            try:
                _only_fds(requests_in, results_out)
                _serve(chunks, requests_in, results_out)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        requests_in.close()
        results_out.close()
        self.pid = pid
        self.kill = weakref.finalize(self, _reap, pid, self.requests, self.results)


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
        _scan_to(results, chunks, work, plan, limit)


def _reap(pid: int, *conns: Any) -> None:
    for conn in conns:
        conn.close()
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _acquire(corpus: Corpus, chunks: list[Chunk]) -> _Worker | None:
    """The corpus's idle worker for these chunks (forked when needed); None when it is busy
    with another search."""
    with corpus.worker_lock:
        worker = corpus.worker
        if isinstance(worker, _Worker) and worker.chunks is not chunks and not worker.busy:
            worker.kill()
            worker = corpus.worker = None
        if worker is None:
            worker = corpus.worker = _Worker(chunks)
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


def _isolated_chunks(corpus: Corpus, chunks: list[Chunk], work: Work_, plan: Plan,
                     limit: int, stop: Callable[[], str], worker: _Worker | None
                     ) -> Generator[Found | str, None, None]:
    """Scan in a child process, killed when ``stop`` gives a reason, because a backtracking
    ``re`` holds the GIL and cannot be interrupted: the corpus's worker, or a one-off fork
    when the worker is busy. Children inherit the chunks: nothing is copied or pickled but
    the request and the hits."""
    if worker is None:
        yield from _forked(chunks, work, plan, limit, stop)
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
            stop: Callable[[], str]) -> Generator[Found | str, None, None]:
    """A one-off child for one search; the child touches only the inherited chunks and its
    pipe, and leaves with ``os._exit``."""
    receive, send = multiprocessing.Pipe(duplex=False)
    try:
        pid = os.fork()
    except OSError as exc:
        receive.close()
        send.close()
        _no_fork(exc)
        yield from _inline_chunks(chunks, work, plan, limit, stop)
        return
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            _only_fds(send)
            _scan_to(send, chunks, work, plan, limit)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    send.close()
    try:
        yield from _receive(receive, chunks, stop, _State())
    finally:
        _reap(pid, receive)


def _per_doc(chunk: Chunk, hits: list[int]) -> Iterable[tuple[int, list[int]]]:
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


# -- attributing and rendering hits -----------------------------------------------------------

#: What a run of outline lines reports, shared by every segment (of any class) alike:
#: (0 numbered / 1 not / 2 the class line, JSON of the keys after "text" (up to the number),
#: console text between the document name and the number or the text, the keys as pairs,
#: the number's key or None)
Kind = tuple[int, str, str, tuple[tuple[str, str], ...], str | None]
_KINDS: dict[tuple[str | None, str | None, bool], Kind] = {}


def _outline_of(chunk: Chunk, d: int) -> tuple[array[int], array[int], list[Kind]]:
    """The class outline of one document version, computed once and cached compactly:
    segments of consecutive lines with the same member / attr and consecutive numbers, as
    (start line of each segment, its number minus its start line, its kind)."""
    entry = chunk.docs[d]
    cached = entry.cache.get("outline")
    if cached is None:
        lines = chunk.doc_text(d).split("\n")
        starts, offsets = array("i"), array("i")
        kinds: list[Kind] = []
        prev: Entry | None = None
        for idx, item in enumerate(class_outline(lines)):
            if prev is not None and item[0] == prev[0] and item[1] == prev[1] and (
                    (item[2] is None and prev[2] is None) or
                    (item[2] is not None and prev[2] is not None and item[2] == prev[2] + 1)):
                prev = item
                continue
            prev = item
            starts.append(idx)
            offsets.append(0 if item[2] is None else item[2] - idx)
            kinds.append(_kind_of(item[0], item[1], item[2] is not None))
        cached = (starts, offsets, kinds)
        entry.cache["outline"] = cached
    return cached


def _kind_of(member: str | None, attr: str | None, numbered: bool) -> Kind:
    key = (member, attr, numbered)
    kind = _KINDS.get(key)
    if kind is None:
        keys: list[tuple[str, str]] = []
        if member is not None:
            keys.append(("member", member))
        numkey = None
        if attr is not None:
            keys.append(("attr", attr))
            numkey = "attrline" if numbered else None
        elif numbered:
            numkey = "line"
        if not keys and numkey is None:
            keys.append(("attr", "Name"))
        frag = "".join(f",{_enc(k)}:{_enc(v)}" for k, v in keys)
        parts = " ".join(v for _k, v in keys)
        if numkey is not None:
            frag += f",{_enc(numkey)}:"
            lead = f"({parts} +" if parts else "(+"
        else:
            lead = f"({parts}): " if parts else ": "
        mode = 2 if attr == "Name" else 1 if numkey is None else 0
        if len(_KINDS) > 100_000:  # member names come and go: outlines keep their own
            _KINDS.clear()
        kind = _KINDS.setdefault(key, (mode, frag, lead, tuple(keys), numkey))
    return kind


def _doc_matches(chunk: Chunk, d: int, hits: list[int]) -> Iterable[tuple[str, Any, str]]:
    """(stripped line text, match dict, console line) of each hit of document ``d``, exactly
    as ``_locator``/``_class_place`` and ``_where`` give them."""
    entry = chunk.docs[d]
    source = chunk.text
    name = entry.name.name
    lines, heads, ends = hits[1::HIT_WIDTH], hits[2::HIT_WIDTH], hits[3::HIT_WIDTH]
    if entry.kind != CLASS:
        shift = 0 if entry.kind == ROUTINE_HEADER else 1
        for idx, head, end in zip(lines, heads, ends, strict=True):
            text = source[head:end].lstrip()
            yield text, {"text": text, "line": idx + shift}, f"{name}(+{idx + shift}): {text}"
        return
    starts, offsets, kinds = _outline_of(chunk, d)
    for k, (idx, head, end) in enumerate(zip(lines, heads, ends, strict=True)):
        raw = source[head:end]
        text = raw.lstrip()
        s = bisect.bisect_right(starts, idx) - 1
        mode, _frag, lead, keys, numkey = kinds[s]
        if mode == 2:  # the class line: Name or Super by column
            match = {"text": text, **_class_place((None, "Name", None), raw,
                                                  hits[k * HIT_WIDTH + 4])}
            yield text, match, f"{name}{_where(match)}: {text}"
        elif numkey is None:
            yield text, {"text": text, **dict(keys)}, f"{name}{lead}{text}"
        else:
            num = idx + offsets[s]
            yield text, {"text": text, **dict(keys), numkey: num}, f"{name}{lead}{num}): {text}"


def _render_chunk(chunk: Chunk, flat: list[int], left: int, result: list[str],
                  console: list[str]) -> tuple[int, int]:
    """``_doc_matches`` for the envelope, flattened over a chunk (a synchronous search may
    render hundreds of thousands of hits): each document's result item as JSON to
    ``result``, each hit's console line to ``console``; at most ``left`` hits. Returns (hits,
    documents)."""
    source = chunk.text
    docs = chunk.docs
    enc, say, where = _enc, console.append, bisect.bisect_right
    hits = files = 0
    n = min(len(flat), left * HIT_WIDTH)
    k = 0
    while k < n:
        d = flat[k]
        entry = docs[d]
        parts: list[str] = []
        add = parts.append
        if entry.kind == CLASS:
            name = entry.name.name
            starts, offsets, kinds = _outline_of(chunk, d)
            while k < n and flat[k] == d:
                idx = flat[k + 1]
                s = where(starts, idx) - 1
                mode, frag, lead = kinds[s][:3]
                if mode == 0:
                    text = source[flat[k + 2]:flat[k + 3]].lstrip()
                    num = idx + offsets[s]
                    add(f'{{"text":{enc(text)}{frag}{num}}}')
                    say(f"{name}{lead}{num}): {text}")
                elif mode == 1:
                    text = source[flat[k + 2]:flat[k + 3]].lstrip()
                    add(f'{{"text":{enc(text)}{frag}}}')
                    say(f"{name}{lead}{text}")
                else:  # the class line: Name or Super by column
                    for _text, match, line in _doc_matches(chunk, d, flat[k:k + HIT_WIDTH]):
                        add(_dumps(match))
                        say(line)
                k += HIT_WIDTH
        else:
            shift = 0 if entry.kind == ROUTINE_HEADER else 1
            prefix = entry.name.name + "(+"
            while k < n and flat[k] == d:
                text = source[flat[k + 2]:flat[k + 3]].lstrip()
                num = flat[k + 1] + shift
                add(f'{{"text":{enc(text)},"line":{num}}}')
                say(f"{prefix}{num}): {text}")
                k += HIT_WIDTH
        result.append(f'{{"doc":{enc(entry.name.name)},"matches":[{",".join(parts)}]}}')
        hits += len(parts)
        files += 1
    return hits, files


_enc: Callable[[str], str] = json.encoder.encode_basestring
