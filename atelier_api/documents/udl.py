"""Textual facts about UDL documents: headers, Storage sections, multi-line method arguments."""

from __future__ import annotations

import re

from atelier_api.documents.names import DocName

_ROUTINE_HEADER = re.compile(r"ROUTINE\s+(\S+?)(?:\s*\[(.*)\])?\s*$", re.IGNORECASE)
_CLASS_HEADER = re.compile(r"Class\s+(%?[^\s\[{]+)", re.IGNORECASE)
_PREAMBLE = re.compile(r"\s*$|///|//|#;|;|Import\b|Include\b|IncludeGenerator\b", re.IGNORECASE)
_METHOD_START = re.compile(r"((?:Class)?Method|ClientMethod)\s+([^\s(]+)\(", re.IGNORECASE)
_STORAGE_START = re.compile(r"Storage\s+\S+")
_ROUTINE_TYPES = {"mac": "MAC", "int": "INT", "inc": "INC", "bas": "BAS", "mvi": "MVI",
                  "mvb": "MVB"}


def header_problem(doc: DocName, lines: list[str]) -> str | None:
    """Why a class or routine text cannot be saved under this name, as an error text; else None."""
    if doc.cat not in ("CLS", "RTN"):
        return None
    if not any(line.strip() for line in lines):
        return f"ERROR #16022: Document '{doc.name}' has no content to save"
    if doc.cat == "RTN":
        return _routine_problem(doc, lines)
    return _class_problem(doc, lines)


def _routine_problem(doc: DocName, lines: list[str]) -> str | None:
    match = _ROUTINE_HEADER.match(lines[0].lstrip("\ufeff"))
    want_type = _ROUTINE_TYPES[doc.ext]
    if match is None:
        return (f"ERROR #16021: Document '{doc.name}' is not in a recognized format: the first "
                f"line must be 'ROUTINE {doc.base} [Type={want_type}]'")
    if match.group(1) != doc.base:
        return (f"ERROR #5001: Routine header names '{match.group(1)}' but the document is "
                f"'{doc.name}'")
    attrs = dict(_attr_pairs(match.group(2) or ""))
    got_type = attrs.get("type", "MAC").upper()
    if got_type != want_type:
        return (f"ERROR #5001: Routine header says Type={got_type} but the document "
                f"'{doc.name}' needs Type={want_type}")
    return None


def _attr_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.split(","):
        key, _, value = item.partition("=")
        if key.strip():
            pairs.append((key.strip().lower(), value.strip()))
    return pairs


def _class_problem(doc: DocName, lines: list[str]) -> str | None:
    in_block_comment = False
    for line in lines:
        text = line.lstrip("\ufeff").strip()
        if in_block_comment:
            in_block_comment = "*/" not in text
            continue
        if text.startswith("/*"):
            in_block_comment = "*/" not in text
            continue
        if _PREAMBLE.match(text):
            continue
        match = _CLASS_HEADER.match(text)
        if match is None:
            break
        named = match.group(1)
        named = named if "." in named else f"User.{named}"
        if named != doc.base:
            return (f"ERROR #5001: Class name '{named}' in the text does not match the "
                    f"document name '{doc.name}'")
        return None
    return (f"ERROR #16021: Document '{doc.name}' is not in a recognized format: expected a "
            f"'Class {doc.base}' definition")


def storage_section(lines: list[str]) -> list[str]:
    """The Storage definitions of a class text (each ``Storage X`` line through its ``}``)."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        if _STORAGE_START.match(lines[index]):
            end = _block_end(lines, index)
            out.extend(lines[index : end + 1])
            index = end + 1
        else:
            index += 1
    return out


def _block_end(lines: list[str], start: int) -> int:
    """Index of the line closing the member block that starts at ``start``."""
    depth = 0
    seen_open = False
    for index in range(start, len(lines)):
        for char in lines[index]:
            if char == "{":
                depth += 1
                seen_open = True
            elif char == "}":
                depth -= 1
        if seen_open and depth <= 0:
            return index
    return len(lines) - 1


def top_level(text: str, sep: str) -> list[int]:
    """The positions of ``sep`` in ``text`` outside (), {} and strings."""
    found: list[int] = []
    depth, quoted = 0, False
    for at, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "({":
            depth += 1
        elif not quoted and char in ")}":
            depth -= 1
        elif not quoted and depth == 0 and char == sep:
            found.append(at)
    return found


def split_arguments(text: str) -> list[str]:
    """Split a formal argument list at top-level commas (respecting (), {} and strings)."""
    bounds = [-1, *top_level(text, ","), len(text)]
    parts = [text[a + 1:b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]
    if parts and not parts[-1]:
        parts.pop()
    return parts


def _signature_span(line: str) -> tuple[int, int] | None:
    """(start, end) of the argument text of a one-line method signature, else None."""
    match = _METHOD_START.match(line)
    if match is None:
        return None
    depth, quoted = 1, False
    for index in range(match.end(), len(line)):
        char = line[index]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return match.end(), index
    return None


def to_multiline(lines: list[str]) -> list[str]:
    """``format=udl-multiline``: every method's arguments one per line, tab-indented."""
    out: list[str] = []
    for line in lines:
        span = _signature_span(line)
        args = split_arguments(line[span[0] : span[1]]) if span else []
        if not span or not args:
            out.append(line)
            continue
        out.append(line[: span[0]])
        for number, arg in enumerate(args):
            tail = "," if number < len(args) - 1 else line[span[1] :]
            out.append("\t" + arg + tail)
    return out


def collapse_multiline(lines: list[str], current: list[str]) -> list[str]:
    """Undo ``to_multiline`` for signatures that are single lines in ``current``.

    A client that read ``udl-multiline`` sends it back; signatures the stored file keeps on
    one line go back to one line, so a save changes only what the client changed.
    """
    if not any(line.endswith("(") and _METHOD_START.match(line) for line in lines):
        return lines  # nothing multi-line was sent: the common save costs one scan
    originals = {}
    for line in current:
        key = _signature_key(line)
        if key is not None:
            originals[key] = line
    out: list[str] = []
    index = 0
    while index < len(lines):
        joined, used = _join_signature(lines, index)
        key = _signature_key(joined) if used else None
        original = originals.get(key) if key is not None else None
        if original is not None:
            out.append(original)
            index += used
        else:
            out.append(lines[index])
            index += 1
    return out


def _signature_key(line: str) -> tuple[str, tuple[str, ...], str] | None:
    span = _signature_span(line)
    if span is None:
        return None
    return line[: span[0]], tuple(split_arguments(line[span[0] : span[1]])), line[span[1] :]


def _join_signature(lines: list[str], start: int) -> tuple[str, int]:
    head = lines[start]
    if not _METHOD_START.match(head) or not head.endswith("("):
        return head, 0
    args: list[str] = []
    for index in range(start + 1, min(len(lines), start + 256)):
        text = lines[index]
        if not text.startswith("\t"):
            return head, 0
        body = text[1:]
        if body.endswith(","):
            args.append(body[:-1])
            continue
        joined = head + ", ".join(args + [body])
        return joined, index - start + 1
    return head, 0
