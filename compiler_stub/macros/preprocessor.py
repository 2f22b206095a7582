"""The macro preprocessor: #define / #def1arg / #undef / #include, lookup and expansion."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

DEFINE_RE = re.compile(r"^\s*#(define|def1arg)\s+([%A-Za-z][A-Za-z0-9]*)(\(([^)]*)\))?(.*)$",
                       re.IGNORECASE)
UNDEF_RE = re.compile(r"^\s*#undef\s+([%A-Za-z][A-Za-z0-9]*)", re.IGNORECASE)
INCLUDE_RE = re.compile(r"^\s*#include\s+([%\w.]+)", re.IGNORECASE)
USE_RE = re.compile(r"\$\$\$([%A-Za-z][A-Za-z0-9]*)")
_MASK_TOKEN = re.compile(r'"|//|#;|;')
CONTINUE = "##continue"

IncludeLookup = Callable[[str], tuple[str, tuple[str, ...]] | None]


@dataclass(frozen=True)
class MacroDef:
    """A macro: parameters (None when it takes none), body, and where it is defined."""

    name: str
    params: tuple[str, ...] | None
    body: str
    document: str
    line: int
    source: tuple[str, ...]


@dataclass
class MacroTable:
    """Macros in scope while preprocessing one document, and the include files not found."""

    defs: dict[str, MacroDef] = field(default_factory=dict)
    missing: list[tuple[str, int]] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)


def _define_at(lines: tuple[str, ...] | list[str], row: int, document: str) -> tuple[MacroDef, int]:
    """Read the #define starting at ``row`` (following ##continue lines): (def, last row)."""
    m = DEFINE_RE.match(lines[row])
    assert m is not None
    body, last = m.group(5), row
    while body.rstrip().endswith(CONTINUE) and last + 1 < len(lines):
        last += 1
        body = body.rstrip()[:-len(CONTINUE)] + " " + lines[last].strip()
    params = tuple(p.strip() for p in m.group(4).split(",")) if m.group(3) else None
    body = body[1:] if body.startswith(" ") else body
    return MacroDef(m.group(2), params, body.strip(), document, row + 1,
                    tuple(lines[row:last + 1])), last


def directive(table: MacroTable, lines: tuple[str, ...] | list[str], row: int, document: str,
              lookup: IncludeLookup) -> int:
    """Apply a preprocessor directive at ``row``; return the last row it used."""
    line = lines[row]
    if DEFINE_RE.match(line):
        mdef, last = _define_at(lines, row, document)
        table.defs[mdef.name] = mdef
        return last
    m = UNDEF_RE.match(line)
    if m:
        table.defs.pop(m.group(1), None)
        return row
    m = INCLUDE_RE.match(line)
    if m:
        include(table, m.group(1), row + 1, lookup)
    return row


def include(table: MacroTable, name: str, line: int, lookup: IncludeLookup) -> bool:
    """Load include file ``name`` (recursively) into the table; record it when missing."""
    if name in table.loaded:
        return True
    found = lookup(name)
    if found is None:
        table.missing.append((name, line))
        return False
    table.loaded.add(name)
    document, lines = found
    row = 0
    while row < len(lines):
        row = directive(table, lines, row, document, lookup) + 1
    return True


def mask_code(line: str) -> str:
    """The line with string literals and comments blanked (macros there are not uses).

    Jumps from one quote or comment marker to the next (this runs on every code line).
    """
    if '"' not in line and ";" not in line and "//" not in line:
        return line
    out, pos, i = [], 0, 0
    while (m := _MASK_TOKEN.search(line, i)) is not None:
        tok, at = m.group(), m.start()
        if tok == '"':
            close = line.find('"', at + 1)
            end = len(line) if close < 0 else close + 1
            out += [line[pos:at], " " * (end - at)]
            pos = i = end
        elif tok == "#;" and at > 0 and line[at - 1] == "#":  # ``##;``: the ``;`` starts it
            i = at + 1
        else:
            out += [line[pos:at], " " * (len(line) - at)]
            pos = len(line)
            break
    out.append(line[pos:])
    return "".join(out)


def uses(line: str) -> list[tuple[int, str]]:
    """(column, name) of every ``$$$Name`` use in code (not in strings or comments)."""
    if "$$$" not in line:
        return []
    return [(m.start(), m.group(1)) for m in USE_RE.finditer(mask_code(line))]


def _call_args(text: str, start: int) -> tuple[list[str], int] | None:
    """Arguments of a call whose ``(`` is at ``start``: (args, index after ``)``)."""
    depth, in_str = 0, False
    cur: list[str] = []
    args: list[str] = []
    for i in range(start, len(text)):
        ch = text[i]
        if ch == '"':
            in_str = not in_str
        if not in_str and ch == "(":
            depth += 1
            if depth == 1:
                continue
        elif not in_str and ch == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args, i + 1
        elif not in_str and ch == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    return None


@functools.lru_cache(maxsize=1024)
def _param_re(param: str) -> re.Pattern[str]:
    """The pattern of a macro parameter's uses in its body (compiled once per name)."""
    return re.compile(rf"(?<![\w%]){re.escape(param)}(?!\w)")


def _substitute(mdef: MacroDef, args: list[str]) -> str:
    """The body with parameters replaced (a single parameter takes every argument)."""
    params = list(mdef.params or ())
    if len(params) == 1 and len(args) > 1:
        args = [",".join(args)]
    body = mdef.body
    pairs = list(zip(params, args, strict=False))
    if len(pairs) > 1:  # longer names first, so %ab is replaced before %a
        pairs.sort(key=lambda p: -len(p[0]))
    for param, arg in pairs:
        body = _param_re(param).sub(arg.replace("\\", "\\\\"), body)
    return _quote_calls(body)


def _quote_calls(text: str) -> str:
    """Replace ``##quote(x)`` with the string literal of ``x``."""
    while True:
        i = text.find("##quote(")
        if i < 0:
            return text
        found = _call_args(text, i + 7)
        if found is None:
            return text
        inner = text[i + 8:found[1] - 1]
        text = text[:i] + '"' + inner.replace('"', '""') + '"' + text[found[1]:]


def expand(line: str, table: MacroTable, depth: int = 0) -> str:
    """Expand every defined macro use in a code line (nested uses too, 20 levels at most)."""
    if "$$$" not in line:  # nothing to expand (most lines)
        return line
    masked, out, pos = mask_code(line), [], 0
    for m in USE_RE.finditer(masked):
        mdef = table.defs.get(m.group(1))
        if mdef is None or m.start() < pos:
            continue
        end, args = m.end(), list[str]()
        if mdef.params is not None and line[end:end + 1] == "(":
            found = _call_args(line, end)
            if found is not None:
                args, end = found
        out.append(line[pos:m.start()])
        out.append(_substitute(mdef, args))
        pos = end
    out.append(line[pos:])
    text = "".join(out)
    return expand(text, table, depth + 1) if depth < 20 and text != line and "$$$" in text \
        else text
