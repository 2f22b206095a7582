"""tree-sitter grammars: UDL for classes, routine for .mac/.int/.inc."""

from __future__ import annotations

import tree_sitter_objectscript_routine as _routine
import tree_sitter_objectscript_udl as _udl
from tree_sitter import Language, Node, Parser, Tree

UDL = Language(_udl.language_objectscript_udl())
ROUTINE = Language(_routine.language_objectscript_routine())


def parse_class(text: str) -> Tree:
    """Parse UDL class text (a new Parser per call: parsers are not thread-safe)."""
    return Parser(UDL).parse(text.encode("utf-8"))


def parse_routine(text: str) -> Tree:
    """Parse routine text (.mac, .int, .inc)."""
    return Parser(ROUTINE).parse(text.encode("utf-8"))


def error_nodes(node: Node) -> list[Node]:
    """ERROR and MISSING nodes under ``node`` in document order (not inside other errors)."""
    found: list[Node] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.is_error or cur.is_missing:
            found.append(cur)
            continue
        if cur.has_error:
            stack.extend(reversed(cur.children))
    return found


def text_of(node: Node) -> str:
    """The source text of a node."""
    return (node.text or b"").decode("utf-8", "replace")


def children_of(node: Node, *types: str) -> list[Node]:
    """Direct named children of the given types."""
    return [c for c in node.named_children if c.type in types]


def first_of(node: Node, *types: str) -> Node | None:
    """First direct named child of the given types, or None."""
    return first_in(node.named_children, *types)


def first_in(nodes: list[Node], *types: str) -> Node | None:
    """First of ``nodes`` (e.g. a ``named_children`` list fetched once) of the given types."""
    return next((c for c in nodes if c.type in types), None)


def char_column(line: str, byte_col: int) -> int:
    """Convert a 0-based byte column of ``line`` to a 0-based character column."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))
