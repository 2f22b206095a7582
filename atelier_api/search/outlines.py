"""Class outlines: where a hit is reported (``member``/``attr``/``line``/``attrline``, as
the client locates it) for classes, routines and other documents, and its console text.

Matches in classes are attributed to members the way the client locates them: ``member`` +
``line`` inside a member body, ``attr`` + ``attrline`` for descriptions and keyword bodies
(XData ``Data``, Query ``SqlQuery``), ``attr`` alone for the class line (``Name``/``Super``)
and the ``Include``/``Import`` lines; routines carry ``line`` (the line number after the
``ROUTINE`` header), web and other files their 1-based line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from atelier_api.documents.names import DocName

MEMBER_RE = re.compile(
    r"(ClassMethod|Method|ClientMethod|Property|Relationship|Parameter|Index|Query|XData|"
    r"Storage|Trigger|ForeignKey|Projection)\s+(\"[^\"]*\"|[%\w.]+)", re.IGNORECASE)
_BODY_ATTR = {"xdata": "Data", "query": "SqlQuery"}
_HEADER_ATTR = (("includegenerator", "IncludeGenerator"), ("include", "IncludeCode"),
                ("import", "Import"))


def where(match: dict[str, Any]) -> str:
    parts = [str(match[k]) for k in ("member", "attr") if k in match]
    num = match.get("line", match.get("attrline"))
    if num is not None:
        parts.append(f"+{num}")
    return f"({' '.join(parts)})" if parts else ""


Place = dict[str, Any]


def locator(doc: DocName, lines: list[str]) -> Callable[[int, int], Place | None]:
    if doc.ext == "cls" and doc.cat == "CLS":
        outline = class_outline(lines)
        return lambda idx, col: class_place(outline[idx], lines[idx], col)
    if doc.cat == "RTN":
        header = bool(lines) and lines[0][:8].upper() == "ROUTINE "
        return lambda idx, col: None if header and idx == 0 else {
            "line": idx if header else idx + 1}
    return lambda idx, col: {"line": idx + 1}


def class_place(entry: tuple[str | None, str | None, int | None], line: str, col: int
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
        while end < n and lines[end].lstrip().startswith("///"):
            end += 1
        found = MEMBER_RE.match(lines[end].lstrip()) if end < n else None
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
    while j < n and lines[j].strip() != "{":
        text = lines[j].lstrip()
        if MEMBER_RE.match(text) or text.startswith("///") or lines[j].rstrip() == "}":
            return j
        out[j] = (name, None, None)
        j += 1
    depth, attr = 1, _BODY_ATTR.get(kind)
    k = j + 1
    while k < n and depth:
        bare = lines[k].strip()
        depth += (bare == "{") - (bare == "}")
        out[k] = (name, attr, k - j)
        k += 1
    if j < n:
        out[j] = (name, None, None)
    return k
