"""Storage definitions for persistent and serial classes, generated or extended in place.

What IRIS's default storage classes (``%Storage.Persistent``, ``%Storage.Serial``) write, as
real committed class files show it (``../shared/spec/compiler.md`` §4.5):

* A class without a Storage member gets a fresh one. A root class stores ``%%CLASSNAME`` and
  its stored properties as ``<Value>`` entries of its default data node; a subclass sharing the
  superclass extent stores only what the superclass does not, under ``<Subscript>"Short"``; a
  serial class stores every property in its State node.
* Not stored anywhere: Transient, Calculated and MultiDimensional properties, ``many`` and
  ``children`` relationships. Not stored in the data node because they make up the ID: the
  properties of the IdKey index (in the class or inherited from its primary superclasses) and
  the ``Cardinality = parent`` relationship.
* ``array of`` collections (and ``list of`` ones with ``STORAGEDEFAULT = "array"``) get a
  ``<Data>`` node of their own with ``<Structure>subnode</Structure>``; dynamic objects and
  arrays one with ``<Structure>node</Structure>``. A ``list of`` collection is a ``<Value>``
  (``SqlListType`` shapes only its SQL projection). Data nodes are kept sorted by name.
* An existing Storage is only ever added to: a property stored in any of its ``<Data>`` nodes
  keeps its place, a new one gets the next ``<Value name="N">`` of the node ``<DefaultData>``
  (``<State>`` for serial classes) names, and nothing else moves. Storage of another type
  (``%Storage.SQL``, custom storage), a body this module cannot read line by line, and a
  class whose ``StorageStrategy`` names another storage are left alone.
* When nothing needs adding, nothing is returned: the class text is not rewritten at all.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from compiler_stub.reading.model import ClassModel, Member, split_top
from compiler_stub.resolution.world import PERSISTENT, SERIAL, ClassWorld

_NOT_STORED = ("transient", "calculated", "multidimensional")
_DYNAMIC = ("%Library.DynamicObject", "%Library.DynamicArray", "%Library.DynamicAbstractObject")
_TYPES = {"serial": "%Storage.Serial", "root": "%Storage.Persistent", "sub": "%Storage.Persistent"}
_TAG_RE = re.compile(
    r"<!\[CDATA\[(?P<cdata>.*?)\]\]>|<!--.*?-->|<\?.*?\?>"
    r'|<(?P<close>/?)(?P<tag>[A-Za-z_%][\w%.:-]*)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*"[^"]*")*)'
    r"\s*(?P<empty>/?)>", re.DOTALL)
_NAME_ATTR_RE = re.compile(r'\bname\s*=\s*"([^"]*)"')
_ON_RE = re.compile(r"\bOn\s+(\((?:[^()]|\([^()]*\))*\)|[^\s\[;]+)", re.IGNORECASE)
_PROP_NAME_RE = re.compile(r'"[^"]+"|[%\w.]+')
_STORAGEDEFAULT_RE = re.compile(r'\bSTORAGEDEFAULT\s*=\s*"?(\w+)', re.IGNORECASE)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))


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


# -- what the class stores -------------------------------------------------------------------

@dataclass(frozen=True)
class StoredProperty:
    """A property that needs a storage location: ``value`` (a ``<Value>`` of the data node),
    ``subnode`` (an array's own node) or ``node`` (a dynamic object's own node)."""

    name: str
    place: str = "value"


def _kind(world: ClassWorld, model: ClassModel) -> str:
    """'root', 'sub' (shares a superclass extent), 'serial' or '' (no storage)."""
    ctype = world.class_type(model.name)
    if ctype == "serial":
        return "serial"
    if ctype != "persistent" or model.flag("NoExtent"):
        return ""
    for sup in world.primary_chain(model.name)[1:]:
        if sup == PERSISTENT:
            break
        found = world.model(sup)
        if world.class_type(sup) == "persistent" and not (found and found.flag("NoExtent")):
            return "sub"
    return "root"


def _serial_sub(world: ClassWorld, model: ClassModel) -> bool:
    """True for a serial class whose primary superclass is itself a serial class (it inherits
    that class's StreamLocation and, if there is one, its State node)."""
    for sup in world.primary_chain(model.name)[1:]:
        if sup == SERIAL:
            return False
        if world.class_type(sup) == "serial":
            return True
    return False


def _primary_super(world: ClassWorld, name: str) -> str:
    supers = world.supers(name)
    return supers[0] if supers else ""


def _super_extent(world: ClassWorld, model: ClassModel) -> list[str]:
    """Classes whose properties a subclass's superclass storage holds (primary superclass and
    everything it inherits)."""
    primary = _primary_super(world, model.name)
    return [primary, *world.ancestors(primary)] if primary else []


def _sources(world: ClassWorld, model: ClassModel, kind: str) -> list[ClassModel]:
    """Workspace classes whose properties this class's storage holds, most distant first."""
    names = world.ancestors(model.name)
    if kind == "sub":
        inherited = set(_super_extent(world, model))
        names = [a for a in names if a not in inherited]
    found = [world.model(a) for a in reversed(names) if world.in_workspace(a)]
    return [m for m in found if m is not None] + [model]


def _declaration(model: ClassModel, member: Member) -> str:
    """The declaration text of a member (its segment rows), or '' when unknown."""
    seg = member.segment
    return " ".join(model.lines[seg.start:seg.end + 1]) if seg is not None else ""


def _idkey_properties(world: ClassWorld, model: ClassModel) -> set[str]:
    """Properties of the IdKey index (indexes are inherited from the primary superclasses)."""
    for cls in world.primary_chain(model.name):
        owner = model if cls == model.name else world.model(cls)
        if owner is None:
            continue
        for member in owner.of_kind("index"):
            if not member.flag("IdKey"):
                continue
            m = _ON_RE.search(_declaration(owner, member))
            if m is None:
                continue
            spec = m.group(1)
            items = split_top(spec[1:-1]) if spec.startswith("(") else [spec]
            return {p.group(0).strip('"') for x in items if (p := _PROP_NAME_RE.match(x))}
    return set()


def _place(world: ClassWorld, owner: ClassModel, member: Member, kind: str) -> str:
    """Where a stored property goes (see ``StoredProperty``)."""
    if kind == "serial":
        return "value"
    m = _STORAGEDEFAULT_RE.search(_declaration(owner, member))
    default = m.group(1).lower() if m else ""
    if member.collection == "array":
        return "value" if default == "list" else "subnode"
    if member.collection == "list":
        return "subnode" if default == "array" else "value"
    if member.kind == "property" and member.type and world.resolve(member.type, owner) in _DYNAMIC:
        return "node"
    return "value"


def _is_stored(member: Member) -> bool:
    """A property or relationship that has a storage location at all."""
    if member.kind not in ("property", "relationship"):
        return False
    if any(member.flag(k) for k in _NOT_STORED):
        return False
    cardinality = (member.kw("Cardinality") or "").lower()
    return cardinality not in ("many", "children", "parent")


def stored_properties(world: ClassWorld, model: ClassModel, kind: str) -> list[StoredProperty]:
    """The properties this class's storage holds, in storage order (declaration order, most
    distant workspace superclass first); the most derived declaration of a name decides."""
    effective: dict[str, tuple[ClassModel, Member]] = {}
    for src in _sources(world, model, kind):
        for member in src.members:
            if member.kind in ("property", "relationship"):
                effective[member.name] = (src, member)
    if kind == "sub":
        for cls in _super_extent(world, model):
            sup = world.model(cls)
            for member in sup.members if sup is not None else ():
                if member.kind in ("property", "relationship"):
                    effective.pop(member.name, None)  # the superclass storage holds it
    ids = _idkey_properties(world, model)
    return [StoredProperty(name, _place(world, src, member, kind))
            for name, (src, member) in effective.items()
            if name not in ids and _is_stored(member)]


def _parent_relationship(world: ClassWorld, model: ClassModel) -> Member | None:
    """The ``Cardinality = parent`` relationship of a child class, if it has one."""
    for src in reversed(_sources(world, model, "root")):
        for member in src.of_kind("relationship"):
            if (member.kw("Cardinality") or "").lower() == "parent":
                return member
    return None


def _parameter(world: ClassWorld, name: str, parameter: str) -> str:
    """A class parameter's value (the class first, then its primary superclasses)."""
    for cls in world.primary_chain(name):
        found = world.model(cls)
        for member in found.of_kind("parameter") if found is not None else ():
            if member.name.lower() == parameter.lower():
                return member.default.strip().strip('"')
    return ""


def _base(world: ClassWorld, name: str) -> str:
    """The global base of a class: its DEFAULTGLOBAL (without ``^``) or its name."""
    return _parameter(world, name, "DEFAULTGLOBAL").lstrip("^") or global_base(name)


# -- reading an existing storage -------------------------------------------------------------

@dataclass
class _Element:
    """One XML element of a storage body, with offsets into the body text."""

    tag: str
    name: str
    start: int
    close_start: int = -1
    end: int = -1
    text: str = ""
    children: list[_Element] = field(default_factory=list)


def _unescape(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _parse_xml(text: str) -> list[_Element] | None:
    """Top-level elements of a storage body, or None when it is not well formed."""
    root = _Element("", "", 0)
    stack = [root]
    pos = 0
    for m in _TAG_RE.finditer(text):
        between = text[pos:m.start()]
        pos = m.end()
        if between.strip():
            if len(stack) == 1 or "<" in between:
                return None
            stack[-1].text += _unescape(between)
        if m.group("cdata") is not None:
            stack[-1].text += m.group("cdata")
            continue
        tag = m.group("tag")
        if tag is None:
            continue  # a comment or processing instruction
        if m.group("close"):
            cur = stack.pop() if len(stack) > 1 else None
            if cur is None or cur.tag != tag:
                return None
            cur.close_start, cur.end, cur.text = m.start(), m.end(), cur.text.strip()
            continue
        name = _NAME_ATTR_RE.search(m.group("attrs") or "")
        element = _Element(tag, name.group(1) if name else "", m.start())
        stack[-1].children.append(element)
        if m.group("empty"):
            element.close_start = element.end = m.end()
        else:
            stack.append(element)
    if len(stack) != 1 or text[pos:].strip():
        return None
    return root.children


class _Storage:
    """An existing Storage member: its lines and the elements of its body."""

    def __init__(self, lines: list[str], open_at: int, close_at: int,
                 top: list[_Element]) -> None:
        self.lines = lines
        self.open_at = open_at
        self.close_at = close_at
        self.top = top
        self.starts: list[int] = []
        offset = 0
        for line in lines[open_at + 1:close_at]:
            self.starts.append(offset)
            offset += len(line) + 1

    @classmethod
    def read(cls, lines: list[str]) -> _Storage | None:
        """The storage, or None when its braces or XML are not in the line shape IRIS writes."""
        open_at = next((i for i, x in enumerate(lines) if x.strip() == "{"), None)
        close_at = next((i for i in range(len(lines) - 1, -1, -1)
                         if lines[i].strip() == "}"), None)
        if open_at is None or close_at is None or close_at <= open_at:
            return None
        top = _parse_xml("\n".join(lines[open_at + 1:close_at]))
        return None if top is None else cls(lines, open_at, close_at, top)

    def simple(self, tag: str) -> str | None:
        """The text of the first top-level element ``tag``, or None."""
        return next((e.text for e in self.top if e.tag == tag), None)

    def data(self, name: str) -> _Element | None:
        """The ``<Data name="name">`` element, or None."""
        return next((e for e in self.top if e.tag == "Data" and e.name == name), None)

    def has_locations(self) -> bool:
        """True when the storage names its own data or id location (a root's storage)."""
        return self.simple("DataLocation") is not None or self.simple("IdLocation") is not None

    def shares_extent(self) -> bool:
        """True for the storage of a subclass: its default node sits under a subscript."""
        default = self.data(self.simple("DefaultData") or "")
        return default is not None and any(c.tag == "Subscript" for c in default.children)

    def data_names(self) -> set[str]:
        """Names of the ``<Data>`` nodes."""
        return {e.name for e in self.top if e.tag == "Data"}

    def stored(self) -> set[str]:
        """Every property (and ``%%CLASSNAME``) some ``<Data>`` node already stores."""
        out: set[str] = set()
        for data in (e for e in self.top if e.tag == "Data"):
            for child in data.children:
                if child.tag == "Attribute":
                    out.add(child.text)
                elif child.tag == "Value":
                    out.update(v.text for v in child.children if v.tag == "Value")
        return out

    def row(self, offset: int) -> int:
        """Index in ``lines`` of the body line holding ``offset``."""
        low, high = 0, len(self.starts) - 1
        while low < high:
            mid = (low + high + 1) // 2
            if self.starts[mid] <= offset:
                low = mid
            else:
                high = mid - 1
        return self.open_at + 1 + low

    def _column(self, offset: int) -> int:
        return offset - self.starts[self.row(offset) - self.open_at - 1]

    def starts_line(self, offset: int) -> bool:
        """True when only blanks precede ``offset`` on its line."""
        line = self.lines[self.row(offset)]
        return not line[:self._column(offset)].strip()

    def ends_line(self, offset: int) -> bool:
        """True when only blanks follow ``offset`` (an element's end) on its line."""
        line = self.lines[self.row(offset - 1)]
        return not line[self._column(offset - 1) + 1:].strip()

    def indent(self, offset: int) -> str:
        """The leading blanks of the line holding ``offset``."""
        line = self.lines[self.row(offset)]
        return line[:len(line) - len(line.lstrip())]

    def base(self) -> str:
        """The indentation of the top-level elements ('' as IRIS writes them)."""
        return self.indent(self.top[0].start) if self.top else ""

    def step(self) -> str:
        """How much deeper than its element a child is indented ('' as IRIS writes them)."""
        for element in self.top:
            if element.children:
                outer = self.indent(element.start)
                inner = self.indent(element.children[0].start)
                return inner[len(outer):] if inner.startswith(outer) else ""
        return ""


def _inherited_storages(world: ClassWorld, classes: Iterable[str]) -> list[_Storage]:
    """The readable storages of workspace classes."""
    out = []
    for cls in classes:
        found = world.model(cls) if world.in_workspace(cls) else None
        member = _storage_member(found) if found is not None else None
        if found is not None and member is not None and member.segment is not None:
            seg = member.segment
            storage = _Storage.read(list(found.lines[seg.start:seg.end + 1]))
            if storage is not None:
                out.append(storage)
    return out


def _storage_member(model: ClassModel) -> Member | None:
    """The storage the class uses: the one StorageStrategy names, else the first."""
    members = [m for m in model.members if m.kind == "storage" and m.segment]
    wanted = (model.kw("StorageStrategy") or "").strip().strip('"')
    if wanted:
        return next((m for m in members if m.name == wanted), None)
    return members[0] if members else None


def _inherited_state(world: ClassWorld, model: ClassModel) -> str:
    """The State node a serial class inherits from a serial superclass's storage, or ''."""
    for storage in _inherited_storages(world, world.primary_chain(model.name)[1:]):
        state = storage.simple("State")
        if state:
            return state
    return ""


# -- writing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Node:
    """An element to write: a leaf with ``text``, or one with ``children`` on lines of their
    own (IRIS writes every element on its own line)."""

    tag: str
    name: str = ""
    text: str = ""
    children: tuple[_Node, ...] = ()

    def render(self, indent: str = "", step: str = "") -> list[str]:
        """The element's lines; ``step`` indents each level of children further."""
        head = f'<{self.tag} name="{self.name}">' if self.name else f"<{self.tag}>"
        if not self.children:
            return [f"{indent}{head}{self.text}</{self.tag}>"]
        inner = [line for child in self.children for line in child.render(indent + step, step)]
        return [indent + head, *inner, f"{indent}</{self.tag}>"]


def _values(names: list[str], first: int) -> list[_Node]:
    """``<Value name="n">`` elements numbered from ``first``."""
    return [_Node("Value", str(i), children=(_Node("Value", text=name),))
            for i, name in enumerate(names, first)]


def _own_node(prop: StoredProperty, subscript: str) -> _Node:
    """The ``<Data>`` node of an array (subnode) or a dynamic object (node)."""
    structure = "node" if prop.place == "node" else "subnode"
    return _Node("Data", prop.name, children=(
        _Node("Attribute", text=prop.name), _Node("Structure", text=structure),
        _Node("Subscript", text=f'"{subscript}"')))


def _node_subscript(model: ClassModel, kind: str, prop: str) -> str:
    """A subclass's own nodes are subscripted with the full property name."""
    return f"{model.name}.{prop}" if kind == "sub" else prop


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name1``, ``name2`` ... when a node of that name exists already."""
    if name not in taken:
        return name
    n = 1
    while f"{name}{n}" in taken:
        n += 1
    return f"{name}{n}"


def _taken_names(world: ClassWorld, model: ClassModel) -> set[str]:
    """Data node names of the workspace superclasses' storages (a subclass's storage is
    merged with them, so its own default node must not reuse one)."""
    taken: set[str] = set()
    for storage in _inherited_storages(world, world.ancestors(model.name)):
        taken |= storage.data_names()
    return taken


def _default_node(world: ClassWorld, model: ClassModel, kind: str, values: list[str],
                  taken: set[str]) -> tuple[_Node, _Node | None]:
    """A new default data (State) node holding ``values``, and the element pointing to it."""
    subscript = (_Node("Subscript", text=f'"{model.short}"'),)
    if kind == "serial":
        inherited = _inherited_state(world, model)
        if inherited:  # the superclass's State node, filled in by this class
            return _Node("Data", inherited, children=tuple(_values(values, 1))), None
        name = _free_name(f"{model.short}State", taken)
        sub = subscript if _serial_sub(world, model) else ()
        return (_Node("Data", name, children=(*sub, *_values(values, 1))),
                _Node("State", text=name))
    name = _free_name(f"{model.short}DefaultData", taken)
    sub = subscript if kind == "sub" else ()
    return (_Node("Data", name, children=(*sub, *_values(values, 1))),
            _Node("DefaultData", text=name))


def generate(world: ClassWorld, model: ClassModel) -> list[str] | None:
    """A fresh ``Storage Default`` member for the class, or None when it has no storage."""
    kind = _kind(world, model)
    if not kind or _parameter(world, model.name, "USEEXTENTSET").lower() in ("1", "true"):
        return None  # no storage, or hashed extent globals this module cannot name
    props = stored_properties(world, model, kind)
    values = [p.name for p in props if p.place == "value"]
    if kind == "root":
        values.insert(0, "%%CLASSNAME")
    nodes = {p.name: _own_node(p, _node_subscript(model, kind, p.name))
             for p in props if p.place != "value"}
    pointer: list[_Node] = []
    if values:
        node, link = _default_node(world, model, kind, values,
                                   _taken_names(world, model) | set(nodes))
        nodes[node.name] = node
        pointer = [link] if link is not None else []
    body = [nodes[name] for name in sorted(nodes)]  # IRIS keeps Data nodes sorted by name
    base = _base(world, model.name)
    if kind == "serial":
        own = not _serial_sub(world, model)
        stream = [_Node("StreamLocation", text=f"^{base}S")] if own else []
        body += [*pointer, *stream, _Node("Type", text="%Storage.Serial")]
    elif kind == "sub":
        body += [*pointer, _Node("Type", text="%Storage.Persistent")]
    else:
        data_at = id_at = f"^{base}D"
        parent = _parent_relationship(world, model)
        if parent is not None:
            inverse = (parent.kw("Inverse") or "").strip('"')
            owner = world.resolve(parent.type, model)
            id_base = (_parameter(world, model.name, "DEFAULTGLOBAL").lstrip("^")
                       or _base(world, owner))
            data_at, id_at = f'{{%%PARENT}}("{inverse}")', f'^{id_base}C("{inverse}")'
        body += [_Node("DataLocation", text=data_at), *pointer,
                 _Node("IdLocation", text=id_at), _Node("IndexLocation", text=f"^{base}I"),
                 _Node("StreamLocation", text=f"^{base}S"),
                 _Node("Type", text="%Storage.Persistent")]
    name = (model.kw("StorageStrategy") or "").strip().strip('"') or "Default"
    return [f"Storage {name}", "{", *(line for node in body for line in node.render()), "}"]


@dataclass
class _Edit:
    """Lines to insert before row ``at`` (``order`` and ``key`` sort edits at one row)."""

    at: int
    lines: list[str]
    order: int = 0
    key: str = ""


def merge(world: ClassWorld, model: ClassModel, current: list[str]) -> list[str] | None:
    """The storage with locations for stored properties that have none; None when nothing
    changes (or when the storage is not one this module may extend)."""
    kind = _kind(world, model)
    member = _storage_member(model)
    if not kind or member is None or member.segment is None:
        return None
    if list(model.lines[member.segment.start:member.segment.end + 1]) != current:
        return None  # StorageStrategy names another storage than the one handed in
    storage = _Storage.read(current)
    if storage is None or (storage.simple("Type") or _TYPES[kind]) != _TYPES[kind]:
        return None
    if kind == "root" and not storage.has_locations():
        if not storage.shares_extent():
            return None  # neither a root's nor a subclass's shape: not one to complete
        kind = "sub"  # a superclass this compile cannot see as persistent holds the extent
    known = storage.stored()
    if kind == "sub":
        for inherited in _inherited_storages(world, _super_extent(world, model)):
            known |= inherited.stored()
    new = [p for p in stored_properties(world, model, kind) if p.name not in known]
    if not new:
        return None
    edits: list[_Edit] = []
    values = [p.name for p in new if p.place == "value"]
    if values and not _add_values(world, model, kind, storage, values, edits):
        return None
    for prop in (p for p in new if p.place != "value"):
        if storage.data(prop.name) is None:
            edit = _data_edit(storage, _own_node(prop, _node_subscript(model, kind, prop.name)))
            if edit is None:
                return None
            edits.append(edit)
    out = list(current)
    for edit in sorted(edits, key=lambda e: (e.at, e.order, e.key), reverse=True):
        out[edit.at:edit.at] = edit.lines
    return out if out != current else None


def _add_values(world: ClassWorld, model: ClassModel, kind: str, storage: _Storage,
                values: list[str], edits: list[_Edit]) -> bool:
    """Edits that put ``values`` into the default node (made when there is none yet); False
    when the storage has no place this module can write them to."""
    pointer_tag = "State" if kind == "serial" else "DefaultData"
    name = storage.simple(pointer_tag)
    if name is None and kind == "serial":
        inherited = _inherited_state(world, model)
        name = inherited if inherited and storage.data(inherited) is not None else None
    step = storage.step()
    if name is not None:
        data = storage.data(name)
        if data is None or not storage.starts_line(data.close_start):
            return False
        numbers = [int(v.name) for v in data.children if v.tag == "Value" and v.name.isdigit()]
        first = next((v for v in data.children if v.tag == "Value"), None)
        indent = storage.indent(first.start) if first else storage.indent(data.start) + step
        lines = [line for node in _values(values, max(numbers, default=0) + 1)
                 for line in node.render(indent, step)]
        edits.append(_Edit(storage.row(data.close_start), lines))
        return True
    if kind == "root" and "%%CLASSNAME" not in storage.stored():
        values = ["%%CLASSNAME", *values]
    taken = storage.data_names() | _taken_names(world, model)
    node, pointer = _default_node(world, model, kind, values, taken)
    edit = _data_edit(storage, node)
    if edit is None:
        return False
    edits.append(edit)
    if pointer is not None:
        after = [e for e in storage.top if e.tag != "Data" and e.tag.lower() > pointer_tag.lower()]
        if after and not storage.starts_line(after[0].start):
            return False
        at = storage.row(after[0].start) if after else storage.close_at
        indent = storage.indent(after[0].start) if after else storage.base()
        edits.append(_Edit(at, pointer.render(indent), order=1))
    return True


def _data_edit(storage: _Storage, node: _Node) -> _Edit | None:
    """Insert a ``<Data>`` element in name order among the existing ones (IRIS keeps them
    sorted); None when the neighbour to write next to shares its line with other XML."""
    datas = [e for e in storage.top if e.tag == "Data"]
    later = next((e for e in datas if e.name > node.name), None)
    if later is None and datas:
        last = datas[-1]
        if not storage.ends_line(last.end):
            return None
        lines = node.render(storage.indent(last.start), storage.step())
        return _Edit(storage.row(last.end - 1) + 1, lines, key=node.name)
    before = later if later is not None else next(iter(storage.top), None)
    if before is None:
        return _Edit(storage.close_at, node.render(), key=node.name)
    if not storage.starts_line(before.start):
        return None
    lines = node.render(storage.indent(before.start), storage.step())
    return _Edit(storage.row(before.start), lines, key=node.name)


def place(lines: list[str], model: ClassModel, storage: list[str]) -> list[str]:
    """The class text with ``storage`` replacing its Storage member or added as the last one."""
    existing = _storage_member(model)
    if existing is not None and existing.segment is not None:
        seg = existing.segment
        return [*lines[:seg.start], *storage, *lines[seg.end + 1:]]
    close = max(i for i, x in enumerate(lines) if x.strip() == "}")
    head = list(lines[:close])
    while head and not head[-1].strip():
        head.pop()
    return [*head, "", *storage, "", *lines[close:]]
