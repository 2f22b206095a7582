"""Storage definitions for persistent and serial classes, generated or extended in place."""

from __future__ import annotations

import re
import zlib

from compiler_stub.reading.model import ClassModel, Member
from compiler_stub.resolution.world import PERSISTENT, ClassWorld

_VALUE_RE = re.compile(r"^<Value>(.*)</Value>$")
_NUM_RE = re.compile(r'^<Value name="(\d+)">$')
_NOT_STORED = ("transient", "calculated", "multidimensional")


def _hash(text: str, width: int) -> str:
    """A short upper-case hex hash (the IRIS algorithm is unknown; this one is ours)."""
    return f"{zlib.crc32(text.encode('utf-8')):08X}"[:width]


def global_base(classname: str) -> str:
    """Global name base for a class: ``Demo.Person``, or a hashed short form past 31 chars.

    The shape copies real output (``HS.AU.Types2A5.AustralianS4E87`` + suffix): package cut to
    11 characters + 3 hash characters, class name cut to 11 + 4; the hash values differ.
    """
    if len(classname) + 1 <= 31:
        return classname
    pkg, _, short = classname.rpartition(".")
    if len(pkg) > 14:
        pkg = pkg[:11] + _hash(pkg, 3)
    if len(pkg) + len(short) + 2 > 31:
        short = short[:11] + _hash(classname, 4)
    return f"{pkg}.{short}"


def stored(member: Member) -> bool:
    """True for a property that is kept in storage."""
    if member.kind not in ("property", "relationship"):
        return False
    if any(member.flag(k) for k in _NOT_STORED):
        return False
    cardinality = (member.kw("Cardinality") or "").lower()
    return cardinality not in ("many", "children")


def _kind(world: ClassWorld, model: ClassModel) -> str:
    """'root', 'sub' (shares the superclass extent), 'serial' or '' (no storage)."""
    ctype = world.class_type(model.name)
    if ctype == "serial":
        return "serial"
    if ctype != "persistent" or model.flag("NoExtent"):
        return ""
    supers = world.supers(model.name)
    primary = supers[0] if supers else ""
    if primary and primary != PERSISTENT and world.class_type(primary) == "persistent":
        return "sub"
    return "root"


def properties(world: ClassWorld, model: ClassModel, kind: str) -> list[str]:
    """Stored property names in storage order (inherited mixin properties first for roots)."""
    names: list[str] = []
    sources = [model]
    if kind == "root":
        mixins = [world.model(a) for a in reversed(world.ancestors(model.name))
                  if world.in_workspace(a)]
        sources = [m for m in mixins if m is not None] + sources
    for src in sources:
        for member in src.members:
            if stored(member) and member.name not in names:
                names.append(member.name)
    return names


def _values(names: list[str], first: int) -> list[str]:
    """``<Value name="n">`` blocks numbered from ``first``."""
    out: list[str] = []
    for i, name in enumerate(names, first):
        out += [f'<Value name="{i}">', f"<Value>{name}</Value>", "</Value>"]
    return out


def generate(world: ClassWorld, model: ClassModel) -> list[str] | None:
    """A fresh ``Storage Default`` member for the class, or None when it has no storage."""
    kind = _kind(world, model)
    if not kind:
        return None
    short, base = model.short, global_base(model.name)
    props = properties(world, model, kind)
    body: list[str]
    if kind == "serial":
        data = [f'<Data name="{short}State">', *_values(props, 1), "</Data>",
                f"<State>{short}State</State>"] if props else []
        body = [*data, f"<StreamLocation>^{base}S</StreamLocation>",
                "<Type>%Storage.Serial</Type>"]
    elif kind == "sub":
        body = [f'<Data name="{short}DefaultData">', f'<Subscript>"{short}"</Subscript>',
                *_values(props, 1), "</Data>", f"<DefaultData>{short}DefaultData</DefaultData>",
                "<Type>%Storage.Persistent</Type>"] if props else [
                    "<Type>%Storage.Persistent</Type>"]
    else:
        body = [f'<Data name="{short}DefaultData">', *_values(["%%CLASSNAME", *props], 1),
                "</Data>", f"<DataLocation>^{base}D</DataLocation>",
                f"<DefaultData>{short}DefaultData</DefaultData>",
                f"<IdLocation>^{base}D</IdLocation>",
                f"<IndexLocation>^{base}I</IndexLocation>",
                f"<StreamLocation>^{base}S</StreamLocation>", "<Type>%Storage.Persistent</Type>"]
    return ["Storage Default", "{", *body, "}"]


def _data_block(body: list[str], name: str) -> tuple[int, int] | None:
    """(start, end) indexes of ``<Data name="name">`` ... ``</Data>`` in storage lines."""
    start = next((i for i, x in enumerate(body) if x.strip() == f'<Data name="{name}">'), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(body)) if body[i].strip() == "</Data>"), None)
    return None if end is None else (start, end)


def merge(world: ClassWorld, model: ClassModel, current: list[str]) -> list[str] | None:
    """Add stored properties missing from an existing storage; None when nothing changes.

    Existing numbers are never reshuffled; new properties get the next numbers.
    """
    kind = _kind(world, model)
    fresh = generate(world, model)
    if not kind or fresh is None:
        return None
    props = properties(world, model, kind)
    data_name = f"{model.short}State" if kind == "serial" else f"{model.short}DefaultData"
    block = _data_block(current, data_name)
    if block is None:
        return _insert_data(current, fresh, data_name) if props else None
    start, end = block
    inside = [x.strip() for x in current[start:end]]
    known = {m.group(1) for x in inside if (m := _VALUE_RE.match(x))}
    numbers = [int(m.group(1)) for x in inside if (m := _NUM_RE.match(x))]
    new = [p for p in props if p not in known]
    if not new:
        return None
    return [*current[:end], *_values(new, max(numbers, default=0) + 1), *current[end:]]


def _insert_data(current: list[str], fresh: list[str], data_name: str) -> list[str]:
    """Put the generated Data node (and its DefaultData/State pointer) into a storage."""
    block = _data_block(fresh, data_name)
    assert block is not None
    data = fresh[block[0]:block[1] + 1]
    pointer = [x for x in fresh if x.startswith(("<DefaultData>", "<State>"))]
    out = list(current)
    anchor = next((i for i, x in enumerate(out) if x.strip().startswith(
        ("<IdLocation>", "<IndexLocation>", "<StreamLocation>", "<Type>"))), len(out) - 1)
    out[anchor:anchor] = pointer
    open_at = next(i for i, x in enumerate(out) if x.strip() == "{")
    out[open_at + 1:open_at + 1] = data
    return out


def place(lines: list[str], model: ClassModel, storage: list[str]) -> list[str]:
    """The class text with ``storage`` replacing its Storage member or added as the last one."""
    existing = next((m for m in model.members if m.kind == "storage" and m.segment), None)
    if existing is not None and existing.segment is not None:
        seg = existing.segment
        return [*lines[:seg.start], *storage, *lines[seg.end + 1:]]
    close = max(i for i, x in enumerate(lines) if x.strip() == "}")
    head = list(lines[:close])
    while head and not head[-1].strip():
        head.pop()
    return [*head, "", *storage, "", *lines[close:]]
