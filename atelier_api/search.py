"""Text search over a namespace's documents (``action/search`` and the ``/work`` search).

A query is compiled once: literal text becomes an escaped regex, ``word`` adds word
boundaries, ``wild`` turns ``*``/``?`` into wildcards, ``case`` makes it case-sensitive. In
regex mode the server matches the *whole line* (IRIS semantics: VS Code sends ``(?i)`` and
wraps the pattern as ``.*pattern.*``), and ``case`` is ignored. Regexes that could backtrack
catastrophically (nested unbounded repeats, overlapping alternatives under a repeat) are
refused with a 400: Python's ``re`` cannot be interrupted and would freeze every thread.

Documents are streamed: each file is read as bytes and tested as a whole (a byte search for
plain ASCII literals, else one regex search over the decoded text); only files with a hit are
split into lines. Matches in classes are attributed to members the way the client locates
them: ``member`` + ``line`` inside a member body, ``attr`` + ``attrline`` for descriptions and
keyword bodies (XData ``Data``, Query ``SqlQuery``), ``attr`` alone for the class line
(``Name``/``Super``) and the ``Include``/``Import`` lines; routines carry ``line`` (the line
number after the ``ROUTINE`` header), web and other files their 1-based line number.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

from .catalog.docsets import mask_matcher
from .documents import textcodec
from .documents.names import DocName, parse_name
from .documents.store import DocumentStore
from .errors import BadRequest
from .workqueue import JobContext, Work, work_error
from .workqueue import Outcome as JobOutcome

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
    for _rel, path, doc in store._walk():  # noqa: SLF001 - the listing's own walk
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

    ``should_stop`` returns a reason ('cancelled', 'time limit') to stop early. Literal and
    word searches run in this process (their regex is linear); user regexes and wildcards run
    in a child process that is killed on cancel or time limit, because a backtracking ``re``
    holds the GIL and cannot be interrupted.
    """
    validate(store, query)
    say = console or (lambda _line: None)
    say(f"Searching for '{query.text}' in '{query.files}'")
    sources = select(store, query)
    stop = should_stop or (lambda: "")
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
    ctx.set_forkserver_preload(["atelier_api.search"])
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_scan, args=(sources, query, send), daemon=True,
                        name="atelier-search")
    child.start()
    send.close()
    try:
        while True:
            reason = stop()
            if reason:
                yield reason
                return
            if not receive.poll(0.05):
                continue
            try:
                message = receive.recv()
            except EOFError:
                yield "the search process ended unexpectedly"
                return
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
    errors = []
    if summary.stopped not in ("", "max"):
        errors.append(work_error(f"The search stopped early ({summary.stopped}): the results "
                                 "are incomplete"))
    return items, lines, errors


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
