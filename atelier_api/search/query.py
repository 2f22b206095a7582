"""The query and its compilation: what to look for, the compiled pattern (whole-file
prefilter and per-line test), include/exclude name patterns, and the result shapes.

A query is compiled once: literal text becomes an escaped regex, ``word`` adds word
boundaries, ``wild`` turns ``*``/``?`` into wildcards, ``case`` makes it case-sensitive. In
regex mode the server matches the *whole line* (IRIS semantics: VS Code sends ``(?i)`` and
wraps the pattern as ``.*pattern.*``), and ``case`` is ignored. Every pattern runs on RE2
(linear time) when RE2 can express it (``engine``); a regex that needs Python's backtracking
engine (look-around, back-references, ...) is refused with a 400 when its shape could make
that engine backtrack for hours (``regex_safety``).

The include/exclude patterns over document names (``name_regex``: JavaScript sources from the
client's glob library, ``jsregex``) never reach the backtracking engine: RE2 runs them when it
can express them or once the glob library's look-aheads are rewritten away (``lookfree``), the
automaton (``automaton``) the rest, look-arounds included, in a time per
name that is bounded whatever the pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from atelier_api.errors import BadRequest
from atelier_api.search.automaton import Automaton, Unsupported
from atelier_api.search.engine import Regex, build
from atelier_api.search.jsregex import python_source
from atelier_api.search.lookfree import rewrite
from atelier_api.search.regex_safety import check_safe
from atelier_api.search.sre import sre_parse

DEFAULT_MAX = 200
MAX_HITS_LIMIT = 1_000_000
MAX_QUERY = 4096
MAX_WILDCARDS = 8
#: Lines longer than this are cut before a per-line regex test (bounds polynomial patterns).
MAX_LINE = 20_000
_NO_PREFILTER = ("\\A", "\\Z", "(?<")


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
    """A compiled query: a whole-file prefilter and the per-line test (``engine.Regex``:
    RE2 where it can, Python's ``re`` for what RE2 lacks)."""

    line: Regex
    full: bool  # True: the line must match as a whole (regex mode)
    whole: Regex | None  # searched over a whole decoded file; None: no prefilter
    needle: bytes | None = None  # ASCII literal searched in the raw bytes first
    fold: bool = False  # the needle is lower case: search the lowered bytes

    @property
    def linear(self) -> bool:
        """True when RE2 runs every part of it (no backtracking engine on any text)."""
        return self.line.linear and (self.whole is None or self.whole.linear)

    def file_may_match(self, data: bytes) -> bool:
        """True when the file can hold a hit (a false positive is fine, a miss is not)."""
        if self.needle is not None:
            return self.needle in (data.lower() if self.fold else data)
        if self.whole is None:
            return True
        return self.whole.search(_text(data)) is not None

    def test(self, line: str) -> int | None:
        """The column of the line's match, or None."""
        line = line[:MAX_LINE]
        found = self.line.fullmatch(line) if self.full else self.line.search(line)
        return None if found is None else found[0]


@lru_cache(maxsize=64)
def compile_query(query: SearchQuery) -> Pattern:
    """Compile a query once (a 400 for empty, oversized, invalid or dangerous patterns)."""
    text = query.text
    if not text:
        raise BadRequest("The search needs a non-empty 'query'")
    if len(text) > MAX_QUERY:
        raise BadRequest(f"The search 'query' is longer than {MAX_QUERY} characters")
    if query.regex:
        return _regex_pattern(text)
    flags = (0 if query.case else re.IGNORECASE) | re.MULTILINE
    body = _wild_body(text) if query.wild else re.escape(text)
    rx = build(body, flags, single_line=False, word=query.word)
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
    core = _unwrapped_core(rest, parsed)
    prefilter = not any(tok in source for tok in _NO_PREFILTER)
    if core is not None:
        line = _checked(flags_prefix + core, re.MULTILINE, single_line=False)
        return Pattern(line, False, line if prefilter else None)
    line = _checked(source, 0, single_line=True)
    whole = None
    if prefilter:
        try:  # e.g. a second inline flag group cannot move behind the anchors: no prefilter
            whole = _checked(f"{flags_prefix}^(?:{rest})$", re.MULTILINE, single_line=False)
        except BadRequest:
            whole = None
    return Pattern(line, True, whole)


def _checked(source: str, flags: int, *, single_line: bool) -> Regex:
    """The pattern for both engines; a 400 when it is invalid, or when it needs the
    backtracking engine and its shape can make that engine backtrack for hours."""
    try:
        rx = build(source, flags, single_line=single_line)
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadRequest(f"Invalid regular expression '{source[:200]}': {exc}") from None
    if not rx.linear:
        check_safe(_parse(source, flags), source, rx.lacks)
        _compile(source, flags)
    return rx


def _split_inline_flags(source: str) -> tuple[str, str]:
    match = re.match(r"\(\?[aiLmsux]+\)", source)
    return (match.group(), source[match.end():]) if match else ("", source)


def _compile(source: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(source, flags)
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadRequest(f"Invalid regular expression '{source[:200]}': {exc}") from None


def _parse(source: str, flags: int = 0) -> Any:
    try:
        return sre_parse.parse(source, flags)
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


def _text(data: bytes) -> str:
    """Decoded file text with LF line ends (UTF-8, else Latin-1, as the store decodes)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


@dataclass(frozen=True)
class NamePattern:
    """An include/exclude pattern over document paths: RE2 where it can run it (``rx``, for
    ASCII paths and for any), else the automaton (``automaton``)."""

    rx: Regex
    automaton: Automaton | None

    def found(self, path: str) -> bool:
        """True when the pattern matches somewhere in ``path``."""
        program = self.rx.program(path.isascii())
        if program.linear is not None:
            return program.search(path) is not None
        assert self.automaton is not None
        return self.automaton.search(path)


@lru_cache(maxsize=32)
def name_regex(source: str, what: str) -> NamePattern | None:
    """An include/exclude pattern (a JavaScript source) over document paths; a 400 when it is
    invalid, or needs what no finite automaton has (a back-reference, ...) or is too large."""
    if not source:
        return None
    if len(source) > MAX_QUERY:
        raise BadRequest(f"'{what}' is longer than {MAX_QUERY} characters")
    try:
        python = python_source(source)
        rx = build(python, 0, single_line=True)
        if not rx.linear:  # the glob library's look-aheads, rewritten away when provable
            plain = rewrite(python)
            if plain is not None:
                rewritten = build(plain, 0, single_line=True)
                rx = rewritten if rewritten.linear else rx
        automaton = None if rx.linear else Automaton(sre_parse.parse(python))
    except (re.error, ValueError, OverflowError, RecursionError) as exc:
        raise BadRequest(f"Invalid regular expression '{source[:200]}' in '{what}': "
                         f"{exc}") from None
    except Unsupported as exc:
        raise BadRequest(f"Regular expression '{source[:200]}' in '{what}' is not supported "
                         f"for document names: it has {exc}") from None
    return NamePattern(rx, automaton)
