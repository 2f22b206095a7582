"""Byte-faithful text: split file bytes into lines and join edited lines in the file's own style.

A file keeps its byte-order mark, its encoding and its line endings; a line the client did not
touch keeps its own terminator even in a file with mixed endings.
"""

from __future__ import annotations

import base64
import difflib
import re
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"
_EOL_RE = re.compile(r"\r\n|\n|\r")
EOLS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
#: Base64 chunk size in bytes: a multiple of 3 so padding only appears in the last chunk.
B64_CHUNK = 24573


@dataclass(frozen=True)
class TextForm:
    """How a file's text is stored on disk."""

    bom: bool = False
    encoding: str = "utf-8"
    eol: str = "\n"
    mixed: bool = False


def decode(data: bytes) -> tuple[list[str], TextForm]:
    """Split file bytes into lines (no terminators) and describe the file's text form.

    A final newline shows as a final empty line, so joining the lines back with the
    file's terminator gives the original bytes.
    """
    bom = data.startswith(BOM)
    body = data[3:] if bom else data
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = body.decode("latin-1"), "latin-1"
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    counts = {"\r\n": crlf, "\n": lf, "\r": cr}
    eol = max(counts, key=lambda k: (counts[k], k == "\n")) if any(counts.values()) else "\n"
    mixed = sum(1 for c in counts.values() if c) > 1
    return _EOL_RE.split(text), TextForm(bom, encoding, eol, mixed)


def encode(lines: list[str], old: bytes | None, new_eol: str = "\n", *,
           decoded: tuple[list[str], TextForm] | None = None) -> bytes:
    """Join lines into file bytes in the style of ``old`` (or ``new_eol`` for a new file).

    ``decoded``: ``decode(old)`` when the caller has it already.
    """
    if old is None:
        return new_eol.join(lines).encode("utf-8")
    old_lines, form = decoded if decoded is not None else decode(old)
    if form.mixed:
        text = _join_keeping_terminators(old, old_lines, lines, form.eol)
    else:  # a file without any terminator yet has no style of its own
        text = (form.eol if len(old_lines) > 1 else new_eol).join(lines)
    try:
        data = text.encode(form.encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    return BOM + data if form.bom else data


def _join_keeping_terminators(old: bytes, old_lines: list[str], lines: list[str], eol: str) -> str:
    """Join ``lines`` giving each kept or edited-in-place line the terminator it had before.

    Only lines the client inserted get the majority terminator ``eol``.
    """
    old_text = old.decode("utf-8", errors="replace")
    old_terms = _EOL_RE.findall(old_text.removeprefix("\ufeff"))
    terms = [eol] * max(len(lines) - 1, 0)
    matcher = difflib.SequenceMatcher(None, old_lines, lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag not in ("equal", "replace"):
            continue
        for k in range(min(i2 - i1, j2 - j1)):
            if j1 + k < len(terms) and i1 + k < len(old_terms):
                terms[j1 + k] = old_terms[i1 + k]
    out = []
    for index, line in enumerate(lines):
        out.append(line)
        if index < len(terms):
            out.append(terms[index])
    return "".join(out)


def b64_chunks(data: bytes) -> list[str]:
    """Base64-encode bytes in chunks whose padding can only appear in the last one."""
    if not data:
        return []
    return [
        base64.b64encode(data[i : i + B64_CHUNK]).decode("ascii")
        for i in range(0, len(data), B64_CHUNK)
    ]


def b64_join(chunks: list[str]) -> bytes:
    """Decode base64 chunks one by one (each may carry its own padding) and concatenate."""
    return b"".join(base64.b64decode(chunk, validate=True) for chunk in chunks)
