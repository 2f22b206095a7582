"""Macro look-ups for the editor: definition, location and the list of macros in scope."""

from __future__ import annotations

from atelier_api.adapters.contract import MacroLocation, MacroRequest, MacroResult, SourceDoc
from compiler_stub.classunit import include_lookup
from compiler_stub.library.bundle import Library
from compiler_stub.macros.preprocessor import (
    DEFINE_RE,
    INCLUDE_RE,
    UNDEF_RE,
    IncludeLookup,
    MacroTable,
    directive,
    include,
)
from compiler_stub.reading.outline import read_class
from compiler_stub.resolution.world import ClassWorld


def _table(world: ClassWorld, library: Library, request: MacroRequest,
           doc: SourceDoc | None) -> MacroTable:
    """Every macro visible in the document (whole document, includes, client includes)."""
    table = MacroTable()
    lookup = include_lookup(world, library)
    is_class = request.docname.lower().endswith(".cls")
    if is_class:
        include(table, "%occInclude", 0, lookup)
        if doc is not None:
            model = read_class(list(doc.lines)).model
            if model is not None:
                world.batch[model.name] = read_class(list(doc.lines))
                for name in world.includes(model.name):
                    include(table, name, 0, lookup)
    for name in request.includes:
        include(table, name, 0, lookup)
    if doc is not None:
        _directives(table, doc, lookup)
    return table


def _directives(table: MacroTable, doc: SourceDoc, lookup: IncludeLookup) -> None:
    """Apply the #define / #undef / #include lines of the document in order."""
    lines, row = doc.lines, 0
    while row < len(lines):
        line = lines[row]
        if DEFINE_RE.match(line) or UNDEF_RE.match(line) or INCLUDE_RE.match(line):
            row = directive(table, lines, row, doc.name, lookup)
        row += 1


def run_macros(library: Library, request: MacroRequest) -> MacroResult:
    """Definition and location of ``macroname`` (when given) and all macro names."""
    world = ClassWorld(library, request.workspace, {})
    doc = request.document or request.workspace.document(request.docname)
    table = _table(world, library, request, doc)
    names = tuple(sorted(table.defs, key=str.lower))
    found = table.defs.get(request.macroname.removeprefix("$$$")) if request.macroname else None
    if found is None:
        return MacroResult(macros=names)
    location = MacroLocation(found.document, found.line) if found.document else None
    return MacroResult(found.source, location, names)
