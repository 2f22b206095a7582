"""The terminal's syntax colours: a command line coloured with ANSI escapes from the
grammar's own highlight query (``tree_sitter_objectscript.HIGHLIGHTS_QUERY``)."""

from __future__ import annotations

import functools
import threading

import tree_sitter_objectscript as _grammar
from tree_sitter import Language, Parser, Query, QueryCursor

#: ANSI colour of each highlight group (the part of a capture name before the first dot)
PALETTE = {
    "keyword": "\x1b[34m", "function": "\x1b[33m", "string": "\x1b[31m",
    "number": "\x1b[32m", "boolean": "\x1b[32m", "comment": "\x1b[90m",
    "variable": "\x1b[36m", "constant": "\x1b[35m", "type": "\x1b[32m",
    "module": "\x1b[32m", "operator": "", "punctuation": "",
}
RESET = "\x1b[0m"
_LANGUAGE = Language(_grammar.language_objectscript())
_local = threading.local()


@functools.lru_cache(maxsize=1)
def _query() -> Query:
    return Query(_LANGUAGE, _grammar.HIGHLIGHTS_QUERY)


def _parser() -> Parser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = Parser(_LANGUAGE)
    return parser


def color(text: str) -> str:
    """``text`` with ANSI colours; lines are parsed as routine body lines (after a space),
    so a command at the start of the line is not taken for a label."""
    if not text.strip():
        return text
    lines = text.split("\r\n")
    source = "\n".join(" " + line for line in lines).encode("utf-8")
    tree = _parser().parse(source)
    spans: dict[int, tuple[int, str]] = {}  # start byte -> (end byte, colour); first wins
    for name, nodes in QueryCursor(_query()).captures(tree.root_node).items():
        colour = PALETTE.get(name.split(".", 1)[0], "")
        if not colour:
            continue
        for node in nodes:
            if node.start_byte not in spans or spans[node.start_byte][0] < node.end_byte:
                spans[node.start_byte] = (node.end_byte, colour)
    out: list[str] = []
    pos = 0
    for start in sorted(spans):
        end, colour = spans[start]
        if start < pos:
            continue
        out.append(source[pos:start].decode("utf-8", "replace"))
        out.append(colour + source[start:end].decode("utf-8", "replace") + RESET)
        pos = end
    out.append(source[pos:].decode("utf-8", "replace"))
    coloured = "".join(out)
    # drop the space each line got, keeping colours
    return "\r\n".join(line[1:] if line.startswith(" ") else line
                       for line in coloured.split("\n"))
