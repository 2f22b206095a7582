"""What a document file says it is: the name its own header declares, and the stored form.

A file's document name comes from its content wherever the file sits (the folder layout only
decides where *new* documents go; ``atelier_api.documents.namemap``). The forms read here:

* UDL: ``Class Pkg.Name`` after optional comments and ``Import``/``Include`` lines;
  ``ROUTINE name [Type=INC]`` on the first line of a routine (no ``Type``: MAC).
* ``%RO``: the routine transfer format IRIS's source-control hooks save: a description line
  (``^INC^Save for Source Control^^~Format=IRIS.S~^UTF8``), the line ``%RO``, then
  ``name^TYPE^...`` and the routine's lines.
* An XML export holding one document: ``<Export ...><Class name="...">`` or
  ``<Routine name="..." type="INC">``.
* A routine file without a header (``bare``): its lines are the routine's lines; the name then
  comes from the path.

Clients see every routine in UDL form: ``present`` gives a ``%RO`` or bare file's text with the
``ROUTINE`` header a GET shows and a compile reads, and ``to_stored`` turns the lines a client
saves back into the file's own form, so an unchanged GET→PUT writes the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from atelier_api.documents.names import ROUTINE_EXTS, DocName

#: How much of a file is read to find its header.
HEAD_BYTES = 8192

_CLASS_LINE = re.compile(r"\s*Class\s+(%?[^\s\[{]+)", re.IGNORECASE)
_SKIPPED = re.compile(r"\s*$|\s*(///|//|#;|;)|\s*(Import|Include|IncludeGenerator)\b",
                      re.IGNORECASE)
_ROUTINE_LINE = re.compile(r"ROUTINE\s+(%?[^\s\[]+)(?:\s*\[(.*)\])?\s*$", re.IGNORECASE)
_RO_NAME = re.compile(r"(%?[^\s^]+)\^(MAC|INT|INC|BAS|MVI|MVB)\^", re.IGNORECASE)
_XML_DOC = re.compile(r"<(Class|Routine)\s[^>]*?name\s*=\s*\"([^\"]+)\"([^>]*)>", re.IGNORECASE)
_XML_TYPE = re.compile(r"type\s*=\s*\"([A-Za-z]+)\"", re.IGNORECASE)
_TYPE_ATTR = re.compile(r"(?:^|,)\s*Type\s*=\s*([A-Za-z]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Declared:
    """A file's declared document name (``None``: no header) and its stored form."""

    name: str | None
    form: str  # "udl" | "ro" | "xml" | "bare" | "none"


NOTHING = Declared(None, "none")


def declared(ext: str, lines: list[str]) -> Declared:
    """The name a class or routine file's first lines declare (``ext``: lower-case file
    extension). Files of other types, or without a recognised header, declare nothing."""
    if not lines:
        return NOTHING
    first = lines[0].lstrip("\ufeff")
    if (ext == "cls" or ext in ROUTINE_EXTS) and first.lstrip().startswith("<"):
        return _xml_declared(lines)
    if ext == "cls":
        return _class_declared(lines)
    if ext not in ROUTINE_EXTS:
        return NOTHING
    match = _ROUTINE_LINE.match(first)
    if match is not None:
        kind = _routine_type(match.group(2) or "") or "MAC"
        return Declared(f"{match.group(1)}.{kind.lower()}", "udl")
    ro = _ro_name(lines)
    if ro is not None:
        return Declared(ro, "ro")
    return Declared(None, "bare")


def _class_declared(lines: list[str]) -> Declared:
    in_comment = False
    for line in lines:
        text = line.lstrip("\ufeff")
        if in_comment:
            in_comment = "*/" not in text
            continue
        if text.lstrip().startswith("/*"):
            in_comment = "*/" not in text
            continue
        match = _CLASS_LINE.match(text)
        if match is not None:
            named = match.group(1)
            return Declared(f"{named if '.' in named else 'User.' + named}.cls", "udl")
        if not _SKIPPED.match(text):
            break
    return NOTHING


def _routine_type(attrs: str) -> str | None:
    match = _TYPE_ATTR.search(attrs)
    return match.group(1).upper() if match else None


def _ro_name(lines: list[str]) -> str | None:
    """``name.type`` of a ``%RO`` file (``%RO`` on line 2, ``name^TYPE^`` on line 3)."""
    if len(lines) < 3 or not lines[1].startswith("%RO"):
        return None
    match = _RO_NAME.match(lines[2])
    return f"{match.group(1)}.{match.group(2).lower()}" if match else None


def _xml_declared(lines: list[str]) -> Declared:
    head = "\n".join(lines[:40])
    if "<Export" not in head:
        return NOTHING
    match = _XML_DOC.search(head)
    if match is None:
        return NOTHING
    if match.group(1).lower() == "class":
        return Declared(f"{match.group(2)}.cls", "xml")
    kind = _XML_TYPE.search(match.group(3))
    return Declared(f"{match.group(2)}.{(kind.group(1) if kind else 'MAC').lower()}", "xml")


def head_lines(data: bytes) -> list[str]:
    """The first lines of a file's first bytes (any encoding, any line ending)."""
    text = data[:HEAD_BYTES].decode("utf-8", "replace")
    lines = re.split(r"\r\n|\n|\r", text)
    return lines[:-1] if len(data) > HEAD_BYTES and len(lines) > 1 else lines


# -- the routine forms a client never sees ---------------------------------------------------
def header_line(doc: DocName) -> str:
    """The UDL header IRIS shows for a routine (MAC without a ``Type``)."""
    kind = doc.ext.upper()
    return f"ROUTINE {doc.base}" if kind == "MAC" else f"ROUTINE {doc.base} [Type={kind}]"


def routine_form(lines: list[str]) -> str:
    """``udl``, ``ro`` or ``bare``: how a routine file's lines are stored."""
    if lines and _ROUTINE_LINE.match(lines[0].lstrip("\ufeff")):
        return "udl"
    return "ro" if _ro_name(lines) is not None else "bare"


def present(doc: DocName, lines: list[str]) -> list[str]:
    """A routine's lines as clients see them (UDL, with its header); others unchanged."""
    if doc.cat != "RTN":
        return lines
    form = routine_form(lines)
    if form == "ro":
        return [header_line(doc), *lines[3:]]
    if form == "bare":
        return [header_line(doc), *lines]
    return lines


def to_stored(doc: DocName, new: list[str], old: list[str]) -> list[str]:
    """The lines to write for a save of ``new`` (UDL, as presented) over a file whose lines
    are ``old``: a ``%RO`` file keeps its three wrapper lines, a bare file stays bare."""
    if doc.cat != "RTN":
        return new
    form = routine_form(old)
    if form == "udl" or not new:
        return new
    has_header = _ROUTINE_LINE.match(new[0].lstrip("\ufeff")) is not None
    body = new[1:] if has_header else new
    if form == "ro":
        return [*old[:3], *body]
    return body
