"""Read a UDL class into a ClassModel: text segmentation, then tree-sitter on the declarations."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Node

from compiler_stub.reading.grammars import (
    children_of,
    error_nodes,
    first_in,
    first_of,
    parse_class,
    text_of,
)
from compiler_stub.reading.model import CODE_LANGUAGES, Arg, ClassModel, Member, parse_keywords
from compiler_stub.reading.segments import Layout, Segment, header, segment

_LANG_RE = re.compile(r"\bLanguage\s*=\s*(\w+)", re.IGNORECASE)
_COLLECTION_RE = re.compile(r"(?i)\s*(list|array)\s+of\s+(.*)$", re.DOTALL)
_OPAQUE_KINDS = ("query", "xdata", "storage", "clientmethod")
_NAME_TYPES = ("method_name", "property_name", "relationship_name", "parameter_name", "index_name",
               "query_name", "xdata_name", "storage_name", "trigger_name", "foreignkey_name",
               "projection_name")


@dataclass(frozen=True)
class ClassSource:
    """A class read from text: its model (None without a Class header) and any structure problem.

    ``problem`` is (0-based row, member name) of the first thing that makes the class text
    unparsable (#5559); the model then holds what could still be read. ``whole`` is true when
    the whole text was parsed too (``read_class(..., whole=True)``); ``first_error`` is then
    the row of that parse's first error (None: it parsed cleanly), so the syntax phase does
    not parse the text again.
    """

    model: ClassModel | None
    layout: Layout
    problem: tuple[int, str] | None = None
    whole: bool = False
    first_error: int | None = None


def class_language(lines: list[str], layout: Layout) -> str:
    """The class-level Language keyword ('' when absent)."""
    if layout.class_row < 0:
        return ""
    m = _LANG_RE.search(" ".join(lines[layout.class_row:layout.open_row + 1]))
    return m.group(1).lower() if m else ""


def _opaque_for(default_language: str) -> Callable[[str, str], bool]:
    """A predicate telling whether a member body is not ObjectScript."""
    def opaque(kind: str, decl: str) -> bool:
        if kind in _OPAQUE_KINDS:
            return True
        m = _LANG_RE.search(decl)
        return (m.group(1).lower() if m else default_language) not in CODE_LANGUAGES
    return opaque


def sanitized(lines: list[str], members: tuple[Segment, ...]) -> list[str]:
    """The class text with every member body blanked (rows and columns kept)."""
    out = list(lines)
    for seg in members:
        if seg.open_at is None or seg.close_at is None:
            continue
        (orow, ocol), (crow, ccol) = seg.open_at, seg.close_at
        for r in range(orow, crow + 1):
            a = ocol + 1 if r == orow else 0
            b = ccol if r == crow else len(out[r])
            out[r] = out[r][:a] + " " * max(0, b - a) + out[r][b:]
    return out


def _in_body(row: int, col: int, members: tuple[Segment, ...]) -> bool:
    """True when (row, col) lies inside a blanked body."""
    for seg in members:
        if seg.open_at and seg.close_at and seg.open_at <= (row, col) <= seg.close_at:
            return True
    return False


def _false_positive(node: Node) -> bool:
    """Declaration errors the real compiler accepts (see the parser notes)."""
    text = text_of(node)
    return bool(re.match(r"(?is)language\s*=", text) or re.search(r"\((ELEMENTS|KEYS)\)", text))


def declaration_error(root: Node, layout: Layout) -> tuple[int, int] | None:
    """First real error (row, col) of the sanitized parse, ignoring body artefacts."""
    for node in error_nodes(root):
        row, col = node.start_point.row, node.start_point.column
        if _in_body(row, col, layout.members) or _false_positive(node):
            continue
        return row, col
    return None


def read_class(lines: list[str], whole: bool = False) -> ClassSource:
    """Segment, parse the declarations and build the model.

    The declarations are parsed with every member body blanked, so that an error in a body
    cannot cascade into the members after it. With ``whole`` (compiles), the whole text is
    parsed first; when that parse is clean, nothing could cascade and its tree serves for the
    declarations too: one parse per class instead of two.
    """
    lang = class_language(lines, header(lines))
    layout = segment(lines, _opaque_for(lang))
    first_error = None
    if whole:
        tree = parse_class("\n".join(lines))
        if not tree.root_node.has_error:
            model = _model(tree.root_node, lines, layout, lang)
            return ClassSource(model, layout, layout.problem, True, None)
        first_error = error_nodes(tree.root_node)[0].start_point.row
    tree = parse_class("\n".join(sanitized(lines, layout.members)))
    model = _model(tree.root_node, lines, layout, lang)
    problem = layout.problem
    if problem is None:
        bad = declaration_error(tree.root_node, layout)
        if bad is not None:
            problem = (bad[0], _member_at(layout, bad[0]))
    return ClassSource(model, layout, problem, whole, first_error)


def _member_at(layout: Layout, row: int) -> str:
    """Name of the member whose rows include ``row`` ('' for class level)."""
    for seg in layout.members:
        if seg.doc_start <= row <= seg.end:
            return seg.name
    return ""


def doc_text(line: str) -> str:
    """A ``///`` line without its marker and one following space."""
    body = line.strip()[3:]
    return body[1:] if body.startswith(" ") else body


def _docs_before(siblings: list[Node], index: int) -> tuple[str, ...]:
    """The documatic lines directly before ``siblings[index]``."""
    out: list[str] = []
    i = index - 1
    while i >= 0 and siblings[i].type == "documatic_line":
        out.insert(0, doc_text(text_of(siblings[i])))
        i -= 1
    return tuple(out)


def _model(root: Node, lines: list[str], layout: Layout, lang: str) -> ClassModel | None:
    """Build the ClassModel from the sanitized tree."""
    top = root.named_children
    cdef = next((i for i, n in enumerate(top) if n.type == "class_definition"), None)
    if cdef is None:
        return None
    node = top[cdef]
    name_node = first_of(node, "class_name")
    ext = first_of(node, "class_extends")
    heads = _header_names(top)
    keywords = tuple(kv for k in children_of(node, "class_keyword")
                     for kv in parse_keywords(text_of(k)))
    body = first_of(node, "class_body")
    members = _members(body, layout, lang) if body is not None else ()
    return ClassModel(
        keywords=keywords, name=text_of(name_node) if name_node else "",
        row=node.start_point.row, doc=_docs_before(top, cdef),
        supers=tuple(text_of(c) for c in children_of(ext, "class_name")) if ext else (),
        includes=heads["include"], include_generators=heads["includegenerator"],
        imports=heads["import"], members=members, lines=tuple(lines))


def _header_names(top: list[Node]) -> dict[str, tuple[str, ...]]:
    """Include / IncludeGenerator / Import names before the class."""
    out: dict[str, list[str]] = {"include": [], "includegenerator": [], "import": []}
    for n in top:
        if n.type == "class_definition":
            break
        word = text_of(n).split(None, 1)[0].lower() if text_of(n).strip() else ""
        if word in out:
            out[word].extend(text_of(c) for c in children_of(n, "class_name"))
    return {k: tuple(v) for k, v in out.items()}


def _members(body: Node, layout: Layout, lang: str) -> tuple[Member, ...]:
    """Members of the class body, matched to their text segments by row."""
    by_row = {seg.start: seg for seg in layout.members}
    kids = body.named_children
    out = []
    for i, stmt in enumerate(kids):
        if stmt.type != "class_statement":
            continue
        parts = stmt.named_children
        if not parts:
            continue
        member = _member(parts[0], _docs_before(kids, i), lang, by_row)
        if member is not None:
            out.append(member)
    return tuple(out)


def _member(node: Node, doc: tuple[str, ...], lang: str,
            by_row: dict[int, Segment]) -> Member | None:
    """One member node -> Member (with its text segment, found by row)."""
    inner = first_in(node.named_children, "method_definition") or node
    kids = _Kids(inner.named_children)
    name_node = kids.first(*_NAME_TYPES)
    if name_node is None:
        return None
    kw_node = kids.first_suffix("keywords")
    keywords = parse_keywords(text_of(kw_node)) if kw_node is not None else ()
    raw_type, collection = _type_of(kids)
    language = next((v for k, v in keywords if k == "language"), lang).lower()
    if node.type == "clientmethod":
        language = language or "javascript"
    default = kids.first("default_argument_value")
    row = node.start_point.row
    return Member(
        keywords=keywords, kind=node.type, name=text_of(name_node).strip('"'),
        row=row, doc=doc, type=raw_type, collection=collection,
        args=_args(kids.first("arguments")), language=language,
        default=text_of(default).lstrip("= ").strip() if default is not None else "",
        segment=by_row.get(row))


class _Kids:
    """A node's named children with the index of the first child of each type.

    Looking children up by type is the model builder's main work: one pass over the children
    (a method's statements included) instead of one per question.
    """

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.at: dict[str, int] = {}
        for i, child in enumerate(nodes):
            self.at.setdefault(child.type, i)

    def first(self, *types: str) -> Node | None:
        """The first child of any of the given types, or None."""
        at, best = self.at, -1
        for kind in types:
            i = at.get(kind, -1)
            if i >= 0 and (best < 0 or i < best):
                best = i
        return self.nodes[best] if best >= 0 else None

    def first_suffix(self, suffix: str) -> Node | None:
        """The first child whose type ends with ``suffix``, or None."""
        return next((self.nodes[i] for t, i in self.at.items() if t.endswith(suffix)), None)


def _type_of(kids: _Kids) -> tuple[str, str]:
    """(type name without parameters, collection 'list'/'array'/'') of a member or argument,
    from its children."""
    holder = kids.first("return_type", "parameter_type")
    tnode = first_of(holder, "typename") if holder is not None else None
    if tnode is None:
        return "", ""
    text = text_of(tnode)
    m = _COLLECTION_RE.match(text)
    collection, text = (m.group(1).lower(), m.group(2)) if m else ("", text)
    return text.split("(", 1)[0].strip(), collection


def _args(node: Node | None) -> tuple[Arg, ...]:
    """Formal arguments of a method or query."""
    if node is None:
        return ()
    out = []
    for a in children_of(node, "argument"):
        kids = _Kids(a.named_children)
        name = kids.first("method_arg")
        raw, _ = _type_of(kids)
        default = kids.first("default_argument_value")
        out.append(Arg(
            name=text_of(name) if name else "", type=raw,
            byref=kids.first("keyword_byref") is not None,
            output=kids.first("keyword_output") is not None,
            default=text_of(default).lstrip("= ").strip() if default is not None else ""))
    return tuple(out)
