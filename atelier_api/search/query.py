"""The query and its compilation: what to look for, the compiled pattern (whole-file
prefilter and per-line test), include/exclude name patterns, and the result shapes.

A query is compiled once: literal text becomes an escaped regex, ``word`` adds word
boundaries, ``wild`` turns ``*``/``?`` into wildcards, ``case`` makes it case-sensitive. In
regex mode the server matches the *whole line* (IRIS semantics: VS Code sends ``(?i)`` and
wraps the pattern as ``.*pattern.*``), and ``case`` is ignored. Regexes that could backtrack
catastrophically are refused with a 400 (``regex_safety``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from atelier_api.errors import BadRequest
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


def _text(data: bytes) -> str:
    """Decoded file text with LF line ends (UTF-8, else Latin-1, as the store decodes)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def name_regex(source: str, what: str) -> re.Pattern[str] | None:
    if not source:
        return None
    if len(source) > MAX_QUERY:
        raise BadRequest(f"'{what}' is longer than {MAX_QUERY} characters")
    check_safe(_parse(source), source)
    return _compile(source, 0)
