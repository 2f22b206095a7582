"""action/index summaries: class outline, generated documents ('others'), positions."""

from __future__ import annotations

import re

from atelier_api.adapters.contract import (
    ArgSummary,
    ClassSummary,
    IndexEntry,
    IndexRequest,
    IndexResult,
    MethodSummary,
    ParameterSummary,
    PropertySummary,
    SourceDoc,
)
from compiler_stub.generation.intcode import code_members, mac_to_int, method_label_row
from compiler_stub.library.bundle import Library
from compiler_stub.macros.preprocessor import MacroTable
from compiler_stub.reading.model import ClassModel, Member
from compiler_stub.reading.outline import read_class
from compiler_stub.resolution.world import ClassWorld

_GEN_RE = re.compile(r"^(.+)\.(G?\d+)\.int$", re.IGNORECASE)
_POS_RE = re.compile(r"^([%\w\"]*)\+(\d+)$")


def _type(world: ClassWorld, model: ClassModel, raw: str) -> str:
    """Full type name ('' when none)."""
    return world.resolve(raw, model) if raw else ""


def _method(world: ClassWorld, model: ClassModel, m: Member) -> MethodSummary:
    """Summary of one method."""
    return MethodSummary(
        name=m.name, desc=m.doc, depr=m.flag("Deprecated"), final=m.flag("Final"),
        internal=m.flag("Internal"), private=m.flag("Private"),
        scope="class" if m.kind == "classmethod" else "instance",
        returntype=_type(world, model, m.type),
        args=tuple(ArgSummary(a.name, _type(world, model, a.type)) for a in m.args))


def summary(world: ClassWorld, model: ClassModel) -> ClassSummary:
    """The index ``content`` of a class (own members, full type names)."""
    methods = tuple(_method(world, model, m) for m in model.members if m.is_method)
    props = tuple(PropertySummary(
        name=m.name, desc=m.doc, depr=m.flag("Deprecated"), final=m.flag("Final"),
        internal=m.flag("Internal"), private=m.flag("Private"),
        type=_type(world, model, m.type)) for m in model.of_kind("property", "relationship"))
    params = tuple(ParameterSummary(
        name=m.name, desc=m.doc, depr=m.flag("Deprecated"), final=m.flag("Final"),
        internal=m.flag("Internal"), type=m.type, default=m.default)
        for m in model.of_kind("parameter"))
    return ClassSummary(
        desc=model.doc, depl=model.flag("Deployed"), depr=model.flag("Deprecated"),
        final=model.flag("Final"), hidden=model.flag("Hidden"),
        super=tuple(world.supers(model.name)), methods=methods, properties=props,
        parameters=params)


def class_others(model: ClassModel) -> list[str]:
    """The routines a compile of this class generates."""
    out = []
    if code_members(model, False):
        out.append(f"{model.name}.1.int")
    if code_members(model, True):
        out.append(f"{model.name}.G1.int")
    return out


def _class_position(model: ClassModel, others: list[str], pos: str) -> list[str]:
    """``Method+n`` in a class -> ``Pkg.Cls.1.int:+k`` entries."""
    m = _POS_RE.match(pos)
    if not m:
        return others
    out = []
    for name in others:
        row = method_label_row(model, m.group(1).strip('"'), name.endswith(".G1.int"))
        out.append(f"{name}:+{row + int(m.group(2))}" if row else name)
    return out


def _class_entry(world: ClassWorld, doc: SourceDoc, pos: str | None) -> IndexEntry:
    """Index entry of a class document."""
    src = read_class(list(doc.lines))
    if src.model is None:
        return IndexEntry(doc.name, f"ERROR #5559: The class definition for class "
                                    f"'{doc.name[:-4]}' could not be parsed correctly")
    others = class_others(src.model)
    if pos:
        others = _class_position(src.model, others, pos)
    return IndexEntry(doc.name, "", False, tuple(others), summary(world, src.model))


def _routine_entry(world: ClassWorld, doc: SourceDoc, pos: str | None) -> IndexEntry:
    """Index entry of a routine or other document."""
    base, _, ext = doc.name.rpartition(".")
    ext = ext.lower()
    gen = _GEN_RE.match(doc.name)
    if gen and world.document(gen.group(1)) is not None:
        return IndexEntry(doc.name, "", True, (f"{gen.group(1)}.cls",))
    if ext == "mac":
        other = f"{base}.int"
        m = _POS_RE.match(pos or "")
        if m:
            _, rows = mac_to_int(doc.name, list(doc.lines), MacroTable())
            line = int(m.group(2))
            if line < len(rows) and rows[line] >= 0:
                other = f"{other}:+{rows[line]}"
        return IndexEntry(doc.name, "", False, (other,))
    if ext == "int" and world.workspace.document(f"{base}.mac") is not None:
        return IndexEntry(doc.name, "", True, (f"{base}.mac",))
    return IndexEntry(doc.name, "", False, ())


def run_index(library: Library, request: IndexRequest) -> IndexResult:
    """One entry per requested document, in order."""
    world = ClassWorld(library, request.workspace, {})
    positions = dict(request.positions)
    entries = []
    for doc in request.documents:
        pos = positions.get(doc.name)
        if doc.name.lower().endswith(".cls"):
            entries.append(_class_entry(world, doc, pos))
        else:
            entries.append(_routine_entry(world, doc, pos))
    return IndexResult(tuple(entries))

