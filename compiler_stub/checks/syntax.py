"""Syntax errors in ObjectScript code: first error per member, named like the INT compiler does.

Each code body is re-parsed alone inside a minimal class, so that an error in one method never
cascades into the next; only bodies at or after the first error of the whole-class parse are
re-parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from compiler_stub.checks.vocabulary import known_command, known_function, known_variable
from compiler_stub.reading.grammars import (
    char_column,
    error_nodes,
    parse_class,
    parse_routine,
    text_of,
)
from compiler_stub.reading.model import ClassModel, Member
from compiler_stub.reading.outline import ClassSource
from compiler_stub.reading.segments import CodeLexer

_DOLLAR = re.compile(r"(?<!\$)\$([A-Za-z][A-Za-z0-9]*)(\(?)")
_WORD = re.compile(r"[%A-Za-z0-9]+")


@dataclass(frozen=True)
class SyntaxIssue:
    """A code error: 0-based row and char column in the document, code, message, token."""

    row: int
    col: int
    code: str
    text: str
    token: str
    member: str = ""


def _balanced(line: str, start: int) -> str:
    """``$Name(...)`` from ``start`` up to its matching parenthesis (or the line end)."""
    depth, in_str = 0, False
    for i in range(start, len(line)):
        ch = line[i]
        if ch == '"':
            in_str = not in_str
        elif not in_str and ch == "(":
            depth += 1
        elif not in_str and ch == ")":
            depth -= 1
            if not depth:
                return line[start:i + 1]
    return line[start:].rstrip()


def _dollar_issue(line: str) -> tuple[int, str, str, str] | None:
    """An unknown ``$function(`` (#1016) or ``$variable`` (#1032) on the line."""
    for m in _DOLLAR.finditer(line):
        name, paren = m.group(1), m.group(2)
        if paren and not known_function(name):
            return m.start(), "1016", "Invalid function name", _balanced(line, m.start())
        if not paren and not known_variable(name) and not line[m.end():].startswith("."):
            return m.start(), "1032", "Invalid special variable", m.group(0)
    return None


def _statement_token(line: str, col: int) -> str:
    """The text of the statement from ``col`` (up to two spaces or the line end)."""
    rest = line[col:].rstrip()
    return rest.split("  ", 1)[0] or rest


def classify(line: str, col: int, node_text: str) -> tuple[int, str, str, str]:
    """Name an error at ``col`` of ``line``: (col, code, message, quoted token)."""
    found = _dollar_issue(line)
    if found is not None:
        return found
    prefix = line[:col]
    word_m = _WORD.match(line, col)
    word = word_m.group(0) if word_m else ""
    at_command = prefix.strip() == "" or (prefix.endswith(" ") and not prefix.endswith("  ")
                                          and prefix.rstrip()[-1:].isalnum())
    if at_command and word and not known_command(word):
        return col, "1026", "Invalid command", _statement_token(line, col)
    head = prefix.strip()
    if head and " " not in head and known_command(head) and prefix.endswith(head):
        return col, "1003", "Expected space", line[col:col + 1] or node_text[:1]
    if not head and word and known_command(word):
        after = line[col + len(word):col + len(word) + 1]
        if after and after not in " :\t":
            return col + len(word), "1003", "Expected space", after
    token = node_text.split("\n", 1)[0].strip() or line[col:].strip()
    return col, "1054", "Invalid expression", token


def _wrapper(member: Member, lines: list[str]) -> tuple[list[str], int]:
    """A minimal class holding only this body, and the document row of its first body row."""
    seg = member.segment
    assert seg is not None and seg.open_at and seg.close_at
    (orow, ocol), (crow, ccol) = seg.open_at, seg.close_at
    body = list(lines[orow:crow + 1])
    body[-1] = body[-1][:ccol] if crow != orow else body[-1]
    body[0] = " " * (ocol + 1) + body[0][ocol + 1:(ccol if crow == orow else None)]
    mode = " [ CodeMode = expression ]" if member.codemode == "expression" else ""
    return ["Class Z.Z", "{", f"Method Z(){mode}", "{", *body, "}", "}"], orow - 4


def _first_real(nodes: list[Node]) -> Node | None:
    """The first error that is not a known false positive (``"…"__Name`` concatenation)."""
    for node in nodes:
        if not text_of(node).startswith("__"):
            return node
    return None


def _issue_at(node: Node, rows: list[str], shift: int, member: str) -> SyntaxIssue:
    """Turn an error node of a parse of ``rows`` into a SyntaxIssue in document rows."""
    row, col = node.start_point.row, node.start_point.column
    if node.is_missing and row > 0 and not rows[row][:col].strip():
        row, col = row - 1, len(rows[row - 1].encode("utf-8"))
    line = rows[row] if row < len(rows) else ""
    ccol = char_column(line, col)
    ccol, code, text, token = classify(line, ccol, text_of(node))
    return SyntaxIssue(row + shift, ccol, code, text, token, member)


def _closers(body: list[str]) -> str:
    """Closing braces that balance the ``{`` left open by ``body``."""
    code, depth = CodeLexer(), 0
    for line in body:
        for _, br in code.braces(line):
            depth += 1 if br == "{" else -1
    return " " + "}" * max(depth, 0)


def _prefix_errors(head: list[str], body: list[str], k: int) -> list[Node]:
    """Errors of the wrapper holding only the first ``k + 1`` body rows, braces closed."""
    part = body[:k + 1]
    rows = [*head, *part[:-1], part[-1] + _closers(part), "}", "}"]
    return [n for n in error_nodes(parse_class("\n".join(rows)).root_node)
            if not text_of(n).startswith("__")]


def _bisect(head: list[str], body: list[str]) -> tuple[int, list[Node]]:
    """Smallest body row whose prefix fails to parse, with that prefix's errors."""
    lo, hi = 0, len(body) - 1
    found: list[Node] = _prefix_errors(head, body, hi)
    while lo < hi:
        mid = (lo + hi) // 2
        errs = _prefix_errors(head, body, mid)
        if errs:
            hi, found = mid, errs
        else:
            lo = mid + 1
    return lo, found


def member_issue(member: Member, lines: list[str]) -> SyntaxIssue | None:
    """The first syntax error of one code member, parsed alone."""
    rows, shift = _wrapper(member, lines)
    node = _first_real(error_nodes(parse_class("\n".join(rows)).root_node))
    if node is None:
        return None
    last = len(rows) - 3
    if 4 <= node.start_point.row <= last:
        return _issue_at(node, rows, shift, member.name)
    head, body = rows[:4], rows[4:last + 1]
    k, errs = _bisect(head, body)
    on_row = [n for n in errs if n.start_point.row == k + 4]
    if on_row:
        return _issue_at(on_row[0], rows, shift, member.name)
    line = body[k]
    col, code, text, token = classify(line, len(line) - len(line.lstrip()), line.strip())
    return SyntaxIssue(k + 4 + shift, col, code, text, token, member.name)


def class_issues(model: ClassModel, src: ClassSource | None = None) -> list[SyntaxIssue]:
    """First syntax error of every ObjectScript member of a structurally sound class.

    ``src`` is the ClassSource the model came from: when it parsed the whole text already
    (``read_class(..., whole=True)``), its first error row is reused instead of parsing again.
    """
    lines = list(model.lines)
    if src is not None and src.whole:
        first = src.first_error
    else:
        errors = error_nodes(parse_class("\n".join(lines)).root_node)
        first = errors[0].start_point.row if errors else None
    if first is None:
        return []
    out = []
    for m in model.members:
        if m.is_code and m.segment and m.segment.open_at and m.segment.end >= first:
            found = member_issue(m, lines)
            if found is not None:
                out.append(found)
    return out


def routine_issues(lines: list[str]) -> list[SyntaxIssue]:
    """First syntax error per label block of a routine (.mac/.int/.inc)."""
    if not any(line.strip() for line in lines):
        return []
    errors = error_nodes(parse_routine("\n".join(lines)).root_node)
    out: list[SyntaxIssue] = []
    seen: set[int] = set()
    for node in errors:
        if text_of(node).startswith("__"):
            continue
        issue = _issue_at(node, lines, 0, "")
        block = _block_of(lines, issue.row)
        if block not in seen:
            seen.add(block)
            out.append(issue)
    return out


def _block_of(lines: list[str], row: int) -> int:
    """Row of the label that starts the block holding ``row`` (-1 before any label)."""
    for r in range(row, -1, -1):
        line = lines[r]
        if line[:1] not in ("", " ", "\t", ";", "#", "/", "}") and not line.startswith("ROUTINE"):
            return r
    return -1
