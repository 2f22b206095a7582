"""Text-level segmentation of a UDL class: member ranges and the bracket-balance pre-check.

The class compiler finds member bodies by counting braces outside strings and comments; a body
that does not balance makes the whole class unparsable (#5559). Doing this on the raw text, before
tree-sitter, stops one unbalanced method from cascading into the following members.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MEMBER_RE = re.compile(
    r"^(ClassMethod|Method|ClientMethod|Property|Relationship|Parameter|Index|Query|XData|"
    r"Storage|Trigger|ForeignKey|Projection)\s+(\"[^\"]*\"|[%\w.]+)", re.IGNORECASE)
BODY_KINDS = {"classmethod", "method", "clientmethod", "query", "xdata", "storage", "trigger"}
CLASS_RE = re.compile(r"^Class\s+([%\w.]+)", re.IGNORECASE)
OPAQUE_CLOSE = re.compile(r"^\}\s*$")
_CODE_TOKEN = re.compile(r'["{};]|//|#;|/\*')  # what changes the brace count or ends it
_DECL_TOKEN = re.compile(r'["()\[\]{};]')  # what a declaration scan looks at


@dataclass(frozen=True)
class Segment:
    """A member's rows (0-based): doc comment, declaration, and body braces when it has one."""

    kind: str
    name: str
    doc_start: int
    start: int
    end: int
    open_at: tuple[int, int] | None = None
    close_at: tuple[int, int] | None = None


@dataclass(frozen=True)
class Layout:
    """The class header rows, the members, and a structure problem (row, member) if any."""

    class_row: int
    open_row: int
    members: tuple[Segment, ...]
    problem: tuple[int, str] | None = None


_HTML_OPEN = re.compile(r"&html<", re.IGNORECASE)
_HTML_TOKEN = re.compile(r"<(?=[A-Za-z/!?])|>")
_RAW_TAG = re.compile(r"<(script|style)\b", re.IGNORECASE)


class CodeLexer:
    """Lexer state for ObjectScript code: strings, block comments and embedded HTML span
    characters (and lines).

    Embedded HTML (``&html<...>``) ends at the ``>`` that closes it: a ``<`` that starts a tag
    (a letter, ``/``, ``!`` or ``?`` follows) opens a level and every ``>`` closes one, and the
    text of a ``<script>`` or ``<style>`` element is skipped to its end tag, so ``a<b`` or
    ``x>0`` in JavaScript does not count (the rule the tree-sitter grammar follows). Braces and
    quotes inside it are HTML's, not code's.
    """

    def __init__(self) -> None:
        self.block = False
        self.html = 0  # nesting depth inside &html<...>; 0: code
        self.raw = ""  # inside the text of this <script>/<style> element of embedded HTML

    def braces(self, line: str, col: int = 0) -> list[tuple[int, str]]:
        """Positions of ``{``/``}`` outside strings and comments, from ``col``.

        Jumps from one significant token to the next (regex and ``str.find``, not a Python
        loop per character): this runs on every line of every body.
        """
        out: list[tuple[int, str]] = []
        if not self.block and not self.html and "{" not in line and "}" not in line and (
                "/*" not in line) and "&" not in line:
            return out  # most code lines: nothing to count, no state to change
        i, n = col, len(line)
        while i < n:
            if self.html:
                i = self._html(line, i)
                continue
            if self.block:
                end = line.find("*/", i)
                if end < 0:
                    return out
                self.block, i = False, end + 2
                continue
            m = _CODE_TOKEN.search(line, i)
            at = m.start() if m is not None else n
            html = _HTML_OPEN.search(line, i, at + 1) if "&" in line[i:at + 1] else None
            if m is None and html is None:
                return out
            if html is not None:
                self.html, i = 1, html.end()
                continue
            assert m is not None
            tok = m.group()
            if tok == '"':
                close = line.find('"', at + 1)
                if close < 0:
                    return out
                i = close + 1
            elif tok == "/*":
                self.block, i = True, at + 2
            elif tok in "{}":
                out.append((at, tok))
                i = at + 1
            else:  # a comment: the rest of the line is not code
                return out
        return out


    def _html(self, line: str, i: int) -> int:
        """Skip embedded HTML from ``i``; the column to go on from (the line's end when the
        HTML goes on)."""
        n = len(line)
        while i < n:
            if self.raw:
                end = line.lower().find("</" + self.raw, i)
                if end < 0:
                    return n
                self.raw, i = "", end
            m = _HTML_TOKEN.search(line, i)
            if m is None:
                return n
            if m.group() == ">":
                self.html -= 1
                if not self.html:
                    return m.end()
            else:
                self.html += 1
                raw = _RAW_TAG.match(line, m.start())
                if raw is not None:  # its text runs to the end tag; the tag closes first
                    close = line.find(">", raw.end())
                    if close < 0:
                        return n  # (a tag over several lines: its text is not skipped)
                    self.html -= 1
                    self.raw, i = raw.group(1).lower(), close + 1
                    continue
            i = m.end()
        return n


def _decl_end(lines: list[str], row: int, wants_body: bool) -> tuple[int, int, str]:
    """Scan a declaration from ``row``: (row, col, '{' or ';') where it ends, or (-1, -1, '')."""
    paren = bracket = brace = 0
    code = CodeLexer()
    for r in range(row, len(lines)):
        line, i = lines[r], 0
        while i < len(line):
            if brace:  # inside braces of a keyword value: code rules
                for col, br in code.braces(line, i):
                    brace += 1 if br == "{" else -1
                    if not brace:
                        i = col + 1
                        break
                else:
                    break
                continue
            m = _DECL_TOKEN.search(line, i)
            if m is None:
                break
            ch, i = m.group(), m.start()
            if ch == '"':
                close = line.find('"', i + 1)
                if close < 0:
                    break
                i = close
            elif ch == "{" and wants_body and not paren and not bracket:
                return r, i, "{"
            elif ch == "(":
                paren += 1
            elif ch == ")":
                paren -= 1
            elif ch == "[":
                bracket += 1
            elif ch == "]":
                bracket -= 1
            elif ch == "{":
                brace += 1
            elif ch == "}":
                brace -= 1
            elif not (paren or bracket):  # ";" (brace is 0 here)
                return r, i, ";"
            i += 1
        if r > row and not (paren or bracket or brace) and MEMBER_RE.match(lines[r]):
            break
    return -1, -1, ""


def _code_body(lines: list[str], open_at: tuple[int, int]) -> tuple[int, int] | None:
    """Matching close brace of an ObjectScript body, or None when the braces do not balance."""
    code, depth = CodeLexer(), 0
    for r in range(open_at[0], len(lines)):
        if r > open_at[0] and depth and lines[r][:1] not in " \t" and MEMBER_RE.match(lines[r]):
            return None
        start = open_at[1] if r == open_at[0] else 0
        for col, br in code.braces(lines[r], start):
            depth += 1 if br == "{" else -1
            if not depth:
                rest = lines[r][col + 1:].strip()
                ok = not rest or rest.startswith(("//", ";", "#;"))
                return (r, col) if ok else None
    return None


def _opaque_body(lines: list[str], open_at: tuple[int, int]) -> tuple[int, int] | None:
    """Close of a body that is not ObjectScript (XData, Storage, SQL, Python): a line that is
    only ``}`` and is followed by what may follow a member (another member, a ``///`` line,
    the class's own closing brace, the end). A ``}`` line inside the content (JSON, class text)
    is followed by more content, so it does not end the body."""
    tail = lines[open_at[0]].rstrip()
    if tail.endswith("}") and len(tail) - 1 > open_at[1]:
        return open_at[0], len(tail) - 1
    first = None
    for r in range(open_at[0] + 1, len(lines)):
        if OPAQUE_CLOSE.match(lines[r]):
            if _ends_member(lines, r + 1):
                return r, 0
            first = r if first is None else first
    return None if first is None else (first, 0)


def _ends_member(lines: list[str], row: int) -> bool:
    """True when the text from ``row`` on can follow a member's closing brace."""
    lines, r = _after_gaps(lines, row)
    if r >= len(lines):
        return True
    line = lines[r].lstrip()
    if line.startswith("///") or MEMBER_RE.match(line):
        return True
    return OPAQUE_CLOSE.match(lines[r]) is not None and _after_gaps(lines, r + 1)[1] >= len(lines)


def _after_gaps(lines: list[str], row: int) -> tuple[list[str], int]:
    """The first row from ``row`` that is not blank or a comment between members, with the
    lines as read (block comments blanked)."""
    while row < len(lines):
        if lines[row].strip().startswith("/*"):
            lines, row = _blank_comment(lines, row)
        elif _is_gap(lines[row]):
            row += 1
        else:
            break
    return lines, row


def _blank_comment(lines: list[str], row: int) -> tuple[list[str], int]:
    """A copy of ``lines`` with the ``/* ... */`` comment that starts on ``row`` blanked out
    (columns kept), and the row to go on from: its last row when code follows the comment
    there, else the row after it."""
    end = _block_comment_end(lines, row)
    first = lines[row].find("/*")
    close = lines[end].find("*/", first + 2 if end == row else 0)
    stop = len(lines[end]) if close < 0 else close + 2
    out = list(lines)
    for r in range(row, end + 1):
        lo, hi = (first if r == row else 0), (stop if r == end else len(out[r]))
        out[r] = out[r][:lo] + " " * (hi - lo) + out[r][hi:]
    return out, (end if out[end].strip() else end + 1)


def _block_comment_end(lines: list[str], row: int) -> int:
    """The row where a ``/* ... */`` comment starting on ``row`` ends (the last row if never)."""
    start = lines[row].find("/*") + 2
    for r in range(row, len(lines)):
        if "*/" in lines[r][start if r == row else 0:]:
            return r
    return len(lines) - 1


def _header(lines: list[str]) -> tuple[int, int] | None:
    """Rows of the ``Class`` line and of the class's opening brace."""
    for r, line in enumerate(lines):
        if CLASS_RE.match(line):
            for o in range(r, min(r + 20, len(lines))):
                if "{" in lines[o] and (o > r or lines[o].rstrip().endswith("{")):
                    return r, o
            return None
    return None


def header(lines: list[str]) -> Layout:
    """Only the class header rows (no members): enough to read the class keywords."""
    head = _header(lines)
    return Layout(-1, -1, (), (0, "")) if head is None else Layout(head[0], head[1], ())


def _is_gap(line: str) -> bool:
    """Blank lines and comments may sit between members."""
    s = line.strip()
    return not s or s.startswith(("//", "#;", ";", "/*", "*"))


def segment(lines: list[str], opaque: Callable[[str, str], bool]) -> Layout:
    """Split class text into members; ``opaque(kind, decl)`` tells bodies that are not code."""
    head = _header(lines)
    if head is None:
        return Layout(-1, -1, (), (0, ""))
    class_row, open_row = head
    members: list[Segment] = []
    r, doc = open_row + 1, None
    while r < len(lines):
        line = lines[r]
        if line.lstrip().startswith("///"):
            doc = r if doc is None else doc
            r += 1
            continue
        if line.strip().startswith("/*"):  # a block comment between members, maybe several rows
            lines, r = _blank_comment(lines, r)  # a member may follow it on its last row
            doc = None
            continue
        m = MEMBER_RE.match(line.lstrip())  # members may be indented
        if not m:
            if line.strip() == "}" and line.startswith("}"):
                tail = [x for x in lines[r + 1:] if x.strip()]
                problem = (r + 1, "") if tail else None
                return Layout(class_row, open_row, tuple(members), problem)
            if _is_gap(line):
                doc, r = None, r + 1
                continue
            return Layout(class_row, open_row, tuple(members), (r, ""))
        seg, problem = _member(lines, r, m, doc, opaque)
        if problem is not None:
            return Layout(class_row, open_row, tuple(members), problem)
        assert seg is not None
        members.append(seg)
        r, doc = seg.end + 1, None
    return Layout(class_row, open_row, tuple(members), (len(lines) - 1, ""))


def _member(lines: list[str], row: int, m: re.Match[str], doc: int | None,
            opaque: Callable[[str, str], bool]) -> tuple[Segment | None, tuple[int, str] | None]:
    """One member from its keyword line: its segment, or a structure problem."""
    kind, name = m.group(1).lower(), m.group(2).strip('"')
    er, ec, how = _decl_end(lines, row, kind in BODY_KINDS)
    if how == "":
        return None, (row, name)
    doc_start = row if doc is None else doc
    if how == ";":
        rest = lines[er][ec + 1:].strip()
        return (None, (er, name)) if rest and not rest.startswith("//") else (
            Segment(kind, name, doc_start, row, er), None)
    decl = "\n".join(lines[row:er + 1])
    close = (_opaque_body if opaque(kind, decl) else _code_body)(lines, (er, ec))
    if close is None:
        return None, (row, name)
    return Segment(kind, name, doc_start, row, close[0], (er, ec), close), None
