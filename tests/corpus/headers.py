"""The document name a source file declares, read by the corpus tests on their own (never
with the server's code, so a server bug cannot hide behind the same bug here).

* a class: after blank lines, ``//`` and ``/* */`` comments and ``Include``,
  ``IncludeGenerator`` and ``Import`` lines, the header ``Class Pkg.Name ...`` declares
  ``Pkg.Name.cls`` (a name without a package is stored as ``User.Name``);
* a routine in UDL: the first line ``ROUTINE Name [Type=MAC|INC|INT,...]`` declares
  ``Name.mac``, ``Name.inc`` or ``Name.int`` (Type defaults to MAC);
* a routine in the ``%RO`` export format: two header lines, then ``Name^TYPE^...`` declares
  ``Name.type``;
* a routine file without either: its file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_IDENT = r"%?[^\W_][^\W_]*(?:\.[^\W_]+)*"
_CLASS = re.compile(rf"Class\s+({_IDENT})(?=\s|\{{|$)", re.IGNORECASE)
_PREAMBLE = re.compile(r"(Include|IncludeGenerator|Import)\b", re.IGNORECASE)
_ROUTINE = re.compile(rf"ROUTINE\s+({_IDENT})\s*(?:\[([^\]]*)\])?\s*$", re.IGNORECASE)
_RO_ROUTINE = re.compile(rf"({_IDENT})\^(MAC|INC|INT|BAS|MVI|MVB)\^", re.IGNORECASE)
ROUTINE_TYPES = ("MAC", "INC", "INT", "BAS", "MVI", "MVB")


@dataclass(frozen=True)
class Declared:
    """What a file declares: the document name, how it was found (``class``, ``routine``,
    ``ro`` or ``filename``) and the 1-based line of the declaration (0: none)."""

    name: str
    how: str
    line: int


def text_of(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), else Latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def declared_name(path: Path) -> Declared | None:
    """The document name ``path`` declares, or None when a class file declares no class."""
    ext = path.suffix.lower()
    lines = text_of(path.read_bytes()).splitlines()
    if ext == ".cls":
        return _class_name(lines)
    return _routine_name(lines) or Declared(path.name[: -len(ext)] + ext, "filename", 0)


def _class_name(lines: list[str]) -> Declared | None:
    in_comment = False
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        while line:
            if in_comment:
                end = line.find("*/")
                if end < 0:
                    line = ""
                    break
                line, in_comment = line[end + 2:].strip(), False
                continue
            if line.startswith("/*"):
                line, in_comment = line[2:], True
                continue
            break
        if not line or line.startswith("//"):
            continue
        match = _CLASS.match(line)
        if match:
            name = match.group(1)
            return Declared(f"{name if '.' in name else 'User.' + name}.cls", "class", number)
        if _PREAMBLE.match(line):
            continue
        return None
    return None


def _routine_name(lines: list[str]) -> Declared | None:
    if not lines:
        return None
    match = _ROUTINE.match(lines[0].strip())
    if match:
        kind = "MAC"
        for item in (match.group(2) or "").split(","):
            key, _, value = item.partition("=")
            if key.strip().lower() == "type" and value.strip().upper() in ROUTINE_TYPES:
                kind = value.strip().upper()
        return Declared(f"{match.group(1)}.{kind.lower()}", "routine", 1)
    # %RO: a description line, a date or "%RO" line, then one "Name^TYPE^..." per routine
    if len(lines) > 2:
        match = _RO_ROUTINE.match(lines[2])
        if match and ("~Format=" in lines[0] or lines[1].strip().upper().startswith("%RO")):
            return Declared(f"{match.group(1)}.{match.group(2).lower()}", "ro", 3)
    return None
