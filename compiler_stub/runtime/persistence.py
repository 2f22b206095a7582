"""What ``%Persistent`` needs beyond reading and writing data nodes: the storage of a class,
its indices, the validation of its properties (``%ValidateObject``) and the methods IRIS
generates for unique indices. ``objects`` calls these from ``%Save``, ``%OpenId`` and
``%DeleteId``; nothing here imports ``objects``.

What a class text declares is read once per class (``class_info``, kept on the ``RClass``):

* **Properties**: ``Required``; the datatype the type comes down to (a ``%Library`` datatype,
  through workspace datatype classes and their parameters) and the type's parameters
  (``%String(MAXLEN = 10)``). ``%ValidateObject`` checks them as the datatype classes'
  ``IsValid`` does: ``VALUELIST`` (and nothing else when given), ``MAXLEN`` (50 for
  ``%String``), ``MINLEN``, ``PATTERN``; numbers (``%Integer``, ``%Numeric`` …) with
  ``MINVAL``/``MAXVAL``; ``%Boolean``; ``%Date``/``%Time`` ranges; ``%TimeStamp`` form. An
  empty value is never checked against its type; a required one is an error of its own.
* **Indices** (``Index Name On (A, B As EXACT) [ Unique ]``), inherited along the primary
  superclasses. A standard index is ``^<IndexLocation>("Name", key1, …, id) = ""`` where
  each key is the property's stored value collated: ``SQLUPPER`` (``" "`` + upper case,
  trailing white space removed) for string types, ``EXACT`` for the others, or what the
  index or the property's ``COLLATION`` says. The ``IdKey`` index has no entries: its
  properties make the ID (``A||B``) and the data node's subscripts. Bitmap and bitslice
  indices are kept in the standard layout; an index on collection elements is not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from compiler_stub.reading.model import split_top
from compiler_stub.runtime import lists
from compiler_stub.runtime import values as V
from compiler_stub.runtime.objbase import MethodDef, Obj, PropDef, RClass, arg, full_class_name, out
from compiler_stub.runtime.status import append, embed, error, is_error
from compiler_stub.runtime.streams import StreamObj, is_stream_class
from compiler_stub.runtime.variables import format_ref

# --------------------------------------------------------------------------- storage


class Storage:
    """What ``%Save``/``%OpenId`` need of a class's storage definition."""

    def __init__(self, data: str, ids: str, index: str, stream: str, values: list[str],
                 subscript: str = "") -> None:
        self.data = data          # DataLocation global, without "^"
        self.ids = ids            # IdLocation global
        self.index = index
        self.stream = stream
        self.values = values      # property names in storage order (with %%CLASSNAME)
        self.subscript = subscript
        self.sub_values: list[str] = []   # a subclass's own properties, under subscript
        self.root = True


def _xml_values(body: str, data_name: str) -> tuple[list[str], str]:
    m = re.search(rf'<Data name="{re.escape(data_name)}">(.*?)</Data>', body, re.DOTALL)
    if m is None:
        return [], ""
    inner = m.group(1)
    sub = re.search(r"<Subscript>(.*?)</Subscript>", inner, re.DOTALL)
    pairs = re.findall(r'<Value name="(\d+)">\s*<Value>(.*?)</Value>\s*</Value>', inner,
                       re.DOTALL)
    names = [n for _, n in sorted(pairs, key=lambda p: int(p[0]))]
    return names, sub.group(1).strip() if sub else ""


def read_storage(model: Any) -> Storage | None:
    """The storage of a class text (its first Storage member), or None."""
    for m in model.members:
        if m.kind != "storage" or m.segment is None or not m.segment.open_at:
            continue
        (orow, _), (crow, _) = m.segment.open_at, m.segment.close_at
        body = "\n".join(model.lines[orow + 1:crow])

        def tag(name: str, body_: str = body) -> str:
            found = re.search(rf"<{name}>(.*?)</{name}>", body_, re.DOTALL)
            return found.group(1).strip() if found else ""
        values, sub = _xml_values(body, tag("DefaultData"))
        return Storage(tag("DataLocation").lstrip("^"), tag("IdLocation").lstrip("^"),
                       tag("IndexLocation").lstrip("^"), tag("StreamLocation").lstrip("^"),
                       values, sub.strip('"'))
    return None


def is_stored(pd: PropDef) -> bool:
    """A property with a place in the data node."""
    return not (pd.transient or pd.calculated or pd.multidimensional)


def storage_of(w: Any, rc: RClass) -> Storage:
    """The storage of a persistent class: its own definition, its root's for a subclass
    sharing the extent, or the default IRIS would generate (compiler.md §4.5: the IdKey
    properties are not in the data node, they are its subscripts)."""
    root = rc
    for c in rc.mro:
        if not c.native and c.extends("%Library.Persistent"):
            root = c
    ids = set(idkey_properties(root))
    base = root.storage if root.storage is not None and root.storage.data else None
    if base is None:
        pkg, _, short = root.name.rpartition(".")
        g = f"{pkg}.{short}" if pkg else short
        names = ["%%CLASSNAME"] + [p for p, pd in root.props.items()
                                   if is_stored(pd) and not pd.owner.startswith("%")
                                   and p not in ids]
        base = Storage(g + "D", g + "D", g + "I", g + "S", names)
    if rc is root:
        return base
    own: Storage | None = rc.storage
    if own is not None and own.data:
        return own
    subs = own.values if own is not None and own.values else [
        p for p, pd in rc.props.items()
        if is_stored(pd) and p not in base.values and not pd.owner.startswith("%")
        and p not in ids]
    st = Storage(base.data, base.ids, base.index, base.stream, base.values,
                 own.subscript if own is not None and own.subscript else
                 rc.name.rpartition(".")[2])
    st.sub_values = subs
    st.root = False
    return st


# --------------------------------------------------------------------------- class texts

def declaration(model: Any, member: Any) -> str:
    """A member's declaration as written (its rows joined)."""
    seg = member.segment
    return " ".join(model.lines[seg.start:seg.end + 1]) if seg is not None else ""


def _unquote(text: str) -> str | None:
    """The value of a keyword or parameter as written: a quoted string, a number or a bare
    word (None: an expression in braces)."""
    t = text.strip()
    if t.startswith("{"):
        return None
    if len(t) >= 2 and t[0] == '"' and t[-1] == '"':
        return t[1:-1].replace('""', '"')
    return t


_TYPE_RE = re.compile(r"\bAs\s+(?:(?:list|array)\s+of\s+)?[%\w.]+\s*\(", re.IGNORECASE)


def type_parameters(decl: str) -> dict[str, str]:
    """``Property P As %String(MAXLEN = 10, VALUELIST = ",a,b")`` -> {MAXLEN: 10, …}."""
    m = _TYPE_RE.search(decl)
    if m is None:
        return {}
    depth, quoted, end = 1, False, -1
    for i in range(m.end(), len(decl)):
        ch = decl[i]
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if not depth:
                end = i
                break
    if end < 0:
        return {}
    params: dict[str, str] = {}
    for part in split_top(decl[m.end():end]):
        name, eq, value = part.partition("=")
        found = _unquote(value) if eq else None
        if found is not None:
            params[name.strip().upper()] = found
    return params


_ON_RE = re.compile(r"\bOn\s+(\((?:[^()]|\([^()]*\))*\)"
                    r"|[^\s\[;(]+(?:\s*\(\s*\w+\s*\))?(?:\s+As\s+%?\w+(?:\s*\(\s*\d+\s*\))?)?)",
                    re.IGNORECASE)
_ITEM_RE = re.compile(
    r'\s*("[^"]+"|[%\w.]+)\s*(\(\s*(?:ELEMENTS|KEYS)\s*\))?'
    r"\s*(?:As\s+%?(\w+)\s*(?:\(\s*(\d+)\s*\))?)?\s*$", re.IGNORECASE)


@dataclass
class IndexItem:
    """One property of an index and how its values are collated."""

    prop: str
    collation: str = ""
    length: int | None = None


@dataclass
class IndexDef:
    """An index of a persistent class."""

    name: str
    items: list[IndexItem]
    unique: bool = False
    idkey: bool = False
    primary: bool = False
    kind: str = "index"
    supported: bool = True

    @property
    def kept(self) -> bool:
        """The index has entries in the index global."""
        return self.supported and not self.idkey


def parse_index(model: Any, member: Any) -> IndexDef:
    """The index a class text declares."""
    decl = declaration(model, member)
    m = _ON_RE.search(decl)
    spec = m.group(1) if m is not None else ""
    parts = split_top(spec[1:-1]) if spec.startswith("(") else [spec] if spec else []
    items: list[IndexItem] = []
    supported = bool(parts)
    for part in parts:
        found = _ITEM_RE.match(part)
        if found is None or found.group(2):
            supported = False   # an expression, or a collection's ELEMENTS/KEYS
            continue
        items.append(IndexItem(found.group(1).strip('"'), (found.group(3) or "").upper(),
                               int(found.group(4)) if found.group(4) else None))
    idkey = member.flag("IdKey")
    return IndexDef(member.name, items, idkey or member.flag("Unique") or
                    member.flag("PrimaryKey"), idkey, member.flag("PrimaryKey"),
                    (member.kw("Type") or "index").lower(), supported)


def primary_chain(rc: RClass) -> list[RClass]:
    """The class and its primary superclasses (the first of each ``Extends``), up to the
    first system class."""
    by_name = {c.name: c for c in rc.mro}
    chain = [rc]
    c = rc
    while c.supers and c.supers[0] in by_name and not by_name[c.supers[0]].native:
        c = by_name[c.supers[0]]
        if c in chain:
            break
        chain.append(c)
    return chain


def index_definitions(rc: RClass) -> dict[str, IndexDef]:
    """The indices of a class: its own and those of its primary superclasses (a subclass's
    definition of a name replaces the inherited one)."""
    found: dict[str, IndexDef] = {}
    for c in reversed(primary_chain(rc)):
        if c.model is None:
            continue
        for m in c.model.members:
            if m.kind == "index":
                found[m.name] = parse_index(c.model, m)
    return found


def idkey_properties(rc: RClass) -> list[str]:
    """The properties of the class's IdKey index (none: ids come from the counter)."""
    known = rc.persist
    if isinstance(known, ClassInfo):
        return [it.prop for it in known.idkey.items] if known.idkey is not None else []
    for idx in index_definitions(rc).values():
        if idx.idkey and idx.supported:
            return [it.prop for it in idx.items]
    return []


# --------------------------------------------------------------------------- datatypes

_STRINGS = ("%Library.String", "%Library.Char", "%Library.Name", "%Library.Text",
            "%Library.VarString", "%Library.CacheString")
_INTEGERS = ("%Library.Integer", "%Library.SmallInt", "%Library.TinyInt", "%Library.BigInt")
_NUMBERS = _INTEGERS + ("%Library.Numeric", "%Library.Decimal", "%Library.Float",
                        "%Library.Double", "%Library.Currency")
_DATES = ("%Library.Date", "%Library.Time")
_STAMPS = ("%Library.TimeStamp", "%Library.DateTime")
_DATATYPES = _STRINGS + _NUMBERS + _DATES + _STAMPS + ("%Library.Boolean",)
#: bounds a datatype has without MINVAL/MAXVAL: the integer types' documented ranges;
#: %Date the range $ZDATE knows (0001-01-01 .. 9999-12-31), %Time the seconds of a day
_BOUNDS = {
    "%Library.TinyInt": ("-128", "127"),
    "%Library.SmallInt": ("-32768", "32767"),
    "%Library.BigInt": ("-9223372036854775808", "9223372036854775807"),
    "%Library.Date": ("-672045", "2980013"),
    "%Library.Time": ("0", "86399"),
}
_NUMBER_RE = re.compile(r"[+-]*(?:\d+\.?\d*|\.\d+)(?:[Ee][+-]?\d+)?")
_STAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d*)?)?)?")


@dataclass
class PropRule:
    """What ``%ValidateObject`` and the indices need of a property."""

    name: str
    base: str = ""                 # the %Library datatype its type comes down to
    params: dict[str, str] = field(default_factory=dict)
    required: bool = False
    stream: bool = False
    collection: bool = False

    def default_collation(self) -> tuple[str, int | None]:
        coll = self.params.get("COLLATION", "")
        m = re.fullmatch(r"\s*%?(\w+)\s*(?:\(\s*(\d+)\s*\))?\s*", coll)
        if m is not None:
            return m.group(1).upper(), int(m.group(2)) if m.group(2) else None
        return ("SQLUPPER" if self.base in _STRINGS else "EXACT"), None


def _datatype(w: Any, type_name: str, pkg: str) -> tuple[str, dict[str, str]]:
    """The ``%Library`` datatype a property type comes down to and the parameters its
    workspace datatype classes set ("" when the type is not a datatype)."""
    name = full_class_name(type_name or "%String")
    params: dict[str, str] = {}
    if not name.startswith("%") and "." not in name:
        name = f"{pkg}.{name}" if pkg else name
    load = getattr(w, "load_class", None)
    for _ in range(32):
        if name.startswith("%"):
            return (name, params) if name in _DATATYPES else ("", {})
        model = load(name) if load is not None else None
        if model is None or not model.supers:
            return "", {}
        for m in model.members:
            if m.kind == "parameter" and m.name.upper() not in params:
                value = _unquote(m.default)
                if value is not None:
                    params[m.name.upper()] = value
        sup = model.supers[0].strip()
        name = full_class_name(sup) if sup.startswith("%") or "." in sup else \
            f"{model.package}.{sup}" if model.package else sup
    return "", {}


@dataclass
class ClassInfo:
    """The properties and indices of a class as persistence sees them."""

    props: dict[str, PropRule] = field(default_factory=dict)
    indices: dict[str, IndexDef] = field(default_factory=dict)
    idkey: IndexDef | None = None

    @property
    def streams(self) -> list[str]:
        return [n for n, r in self.props.items() if r.stream]


def class_info(w: Any, rc: RClass) -> ClassInfo:
    """What the class texts of ``rc`` and its superclasses say about its properties and
    indices (read once per class)."""
    cached = rc.persist
    if isinstance(cached, ClassInfo):
        return cached
    info = ClassInfo()
    owners = {c.name: c for c in rc.mro}
    for name, pd in rc.props.items():
        if pd.calculated or pd.multidimensional:
            continue
        owner = owners.get(pd.owner)
        model = owner.model if owner is not None else None
        member = next((m for m in model.members if m.kind == "property" and m.name == name),
                      None) if model is not None else None
        if model is None or member is None:
            continue
        rule = PropRule(name, required=member.flag("Required"))
        if pd.collection:
            rule.collection = True
        elif is_stream_class(pd.type):
            rule.stream = True
        else:
            rule.base, rule.params = _datatype(w, pd.type, model.package)
            rule.params.update(type_parameters(declaration(model, member)))
        info.props[name] = rule
    info.indices = index_definitions(rc)
    for idx in info.indices.values():
        if idx.idkey and idx.supported and info.idkey is None:
            info.idkey = idx
            for it in idx.items:
                if it.prop in info.props:
                    info.props[it.prop].required = True   # an ID has no empty component
        for it in idx.items:
            if not it.collation:
                rule_ = info.props.get(it.prop)
                it.collation, length = ("EXACT", None) if idx.idkey or rule_ is None else \
                    rule_.default_collation()
                it.length = it.length if it.length is not None else length
    rc.persist = info
    return info


# --------------------------------------------------------------------------- validation

def _is_number(s: str) -> bool:
    return _NUMBER_RE.fullmatch(s) is not None


def check_value(rule: PropRule, v: Any) -> tuple[Any, ...] | None:
    """The error ``IsValid`` of the property's datatype gives for ``v`` (code, arguments),
    or None when it is valid."""
    s = V.to_str(v)
    p = rule.params
    valuelist = p.get("VALUELIST", "")
    if valuelist:
        sep = valuelist[0]
        return None if sep + s + sep in valuelist + sep else (7205, s, valuelist)
    base = rule.base
    if base in _STRINGS:
        maxlen = p.get("MAXLEN", "50" if base == "%Library.String" else "")
        if maxlen.isdigit() and len(s) > int(maxlen):
            return 7201, s, maxlen
        minlen = p.get("MINLEN", "")
        if minlen.isdigit() and len(s) < int(minlen):
            return 7202, s, minlen
        pattern = p.get("PATTERN", "")
        if pattern and not V.pattern(s, pattern):
            return 7209, s, pattern
        return None
    if base == "%Library.Boolean":
        return None if _is_number(s) and V.num(s) in (0, 1) else (7206, s)
    if base in _STAMPS:
        m = _STAMP_RE.fullmatch(s)
        ok = m is not None and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31 \
            and (m.group(4) is None or int(m.group(4)) < 24)
        return None if ok else (7208, s)
    if base in _NUMBERS or base in _DATES:
        if not _is_number(s):
            return 7207, s
        low, high = _BOUNDS.get(base, ("", ""))
        low, high = p.get("MINVAL", low), p.get("MAXVAL", high)
        if low != "" and _is_number(low) and V.lt(s, low):
            return 7204, s, low
        if high != "" and _is_number(high) and V.gt(s, high):
            return 7203, s, high
        if base in _INTEGERS and V.truth(p.get("STRICT", "0")) and V.to_str(V.num(s)) != \
                V.to_str(V.idiv(V.num(s), 1)):
            return 7207, s
    return None


def validate(w: Any, obj: Obj) -> Any:
    """``%ValidateObject``: every property checked, the errors in one status (a datatype
    error carries the 5802 that names the property, embedded); then ``%OnValidateObject``."""
    rc = obj.cls
    sc: Any = 1
    if not rc.native:
        info = class_info(w, rc)
        for rule in info.props.values():
            v = obj.props.get(rule.name, "")
            if rule.stream:
                empty = v is None or v == "" or (isinstance(v, StreamObj) and not v.text
                                                 and v.sid == "")
            else:
                empty = not rule.collection and (v is None or (isinstance(v, str) and v == ""))
            if empty:
                if rule.required:
                    sc = append(sc, error(5659, f"{rc.name}::{rule.name}({V.to_str(obj)},"
                                                f"ID={V.to_str(obj.oid)})"))
                continue
            if isinstance(v, Obj):
                if v.cls.extends("%Library.SerialObject"):
                    sc = append(sc, validate(w, v))
                continue
            if rule.collection or rule.stream or not rule.base or \
                    not isinstance(v, (str, int, float, Decimal)):
                continue
            bad = check_value(rule, v)
            if bad is not None:
                sc = append(sc, embed(error(*bad), error(5802, f"{rc.name}:{rule.name}",
                                                         V.to_str(v))))
    if not is_error(sc):
        m = rc.methods.get("%OnValidateObject")
        if m is not None and m.fn is None:
            r = w.run(obj, rc, m, True, ())
            if is_error(r):
                sc = r
    return sc


# --------------------------------------------------------------------------- ids and rows

def id_subscripts(info: ClassInfo, idtext: str) -> tuple[str, ...]:
    """The data node's subscripts for an ID (``A||B`` of a two-property IdKey: ``(A, B)``)."""
    if info.idkey is not None and len(info.idkey.items) > 1:
        parts = idtext.split("||")
        if len(parts) == len(info.idkey.items):
            return tuple(parts)
    return (idtext,)


def id_of(info: ClassInfo, stored: dict[str, Any]) -> str:
    """The ID an IdKey class's object has: its IdKey properties' values joined by ``||``."""
    assert info.idkey is not None
    return "||".join(V.to_str(stored.get(it.prop, "")) for it in info.idkey.items)


def id_value(idtext: str) -> Any:
    """An ID as ``%Id()`` gives it (a number when it is one)."""
    return V.num(idtext) if V.is_canonic(idtext) else idtext


def row_class(w: Any, rc: RClass, row: Any) -> RClass:
    """The class a data node's ``%%CLASSNAME`` names (``rc`` when it is the root's)."""
    vals = lists.items(row) if isinstance(row, str) else []
    first = vals[0] if vals and vals[0] is not lists.UNDEF else ""
    if isinstance(first, str) and first.strip("~"):
        return w.get(first.strip("~").split("~")[-1])  # type: ignore[no-any-return]
    return rc


def read_stored(P: Any, st: Storage, info: ClassInfo, idtext: str) -> dict[str, Any] | None:
    """The stored values of an object by property name (None: no such object)."""
    subs = id_subscripts(info, idtext)
    g = P.g(st.data)
    row = g.get_or(subs, None)
    if row is None:
        return None
    found: dict[str, Any] = {}
    vals = lists.items(row) if isinstance(row, str) and row else []
    for i, n in enumerate(st.values):
        if n != "%%CLASSNAME" and i < len(vals):
            found[n] = "" if vals[i] is lists.UNDEF else vals[i]
    if st.sub_values:
        srow = g.get_or(subs + (st.subscript,), None)
        svals = lists.items(srow) if isinstance(srow, str) and srow else []
        for i, n in enumerate(st.sub_values):
            if i < len(svals):
                found[n] = "" if svals[i] is lists.UNDEF else svals[i]
    if info.idkey is not None:
        for it, part in zip(info.idkey.items, subs, strict=False):
            found[it.prop] = id_value(part)
    return found


# --------------------------------------------------------------------------- index entries

#: how an empty (NULL) value is subscripted under a collation that adds nothing to it
NULL_SUBSCRIPT = "-100000000000000"
_WHITE = " \t\r\n\x0b\x0c"


def _upper(s: str) -> str:
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in s)


def collate(value: Any, how: str, length: int | None = None) -> str:
    """A value as an index subscript under a collation (``SQLUPPER``, ``SQLSTRING``,
    ``EXACT``, ``UPPER``, ``ALPHAUP``, ``TRUNCATE``, ``PLUS``, ``MINUS``)."""
    s = V.to_str(value)
    how = how.upper()
    if how in ("SQLUPPER", "SQLSTRING", "STRING"):
        body = s.rstrip(_WHITE)
        r = " " + (body if how == "SQLSTRING" else _upper(body))
    elif how == "UPPER":
        r = _upper(s)
    elif how == "ALPHAUP":
        r = "".join(c for c in _upper(s) if c.isalnum() or c in ",?")
    elif how in ("PLUS", "MINUS"):
        n = V.num(s)
        r = V.to_str(V.neg(n) if how == "MINUS" else n)
    else:
        r = s
    if length is not None:
        r = r[:length]
    return r if r != "" else NULL_SUBSCRIPT


def index_key(idx: IndexDef, stored: dict[str, Any]) -> tuple[str, ...]:
    return tuple(collate(stored.get(it.prop, ""), it.collation, it.length)
                 for it in idx.items)


def index_entries(info: ClassInfo, stored: dict[str, Any], idtext: str) -> list[tuple[str, ...]]:
    """The index nodes of an object."""
    return [(idx.name, *index_key(idx, stored), idtext)
            for idx in info.indices.values() if idx.kept]


def unique_clash(P: Any, rc: RClass, st: Storage, info: ClassInfo, stored: dict[str, Any],
                 idtext: str) -> Any:
    """ERROR #5808 for the first unique index another object already has these values in
    (None: no clash). An empty value is NULL, which no unique index refuses."""
    if not st.index:
        return None
    g = P.g(st.index)
    for idx in info.indices.values():
        if not idx.unique or not idx.kept:
            continue
        if any(V.to_str(stored.get(it.prop, "")) == "" for it in idx.items):
            continue
        head = (idx.name, *index_key(idx, stored))
        other = g.order((*head, ""), 1)
        if other != "" and other == idtext:
            other = g.order((*head, idtext), 1)
        if other != "":
            return error(5808, f"{rc.name}:{idx.name}:{format_ref('^' + st.index, head)}")
    return None


def update_index(P: Any, st: Storage, info: ClassInfo, old: dict[str, Any] | None,
                 new: dict[str, Any] | None, idtext: str) -> None:
    """Remove an object's old index nodes and set its new ones."""
    if not st.index:
        return
    g = P.g(st.index)
    if old is not None:
        for subs in index_entries(info, old, idtext):
            g.kill(subs)
    if new is not None:
        for subs in index_entries(info, new, idtext):
            g.set(subs, "")


def _chosen(info: ClassInfo, names: Any) -> list[IndexDef]:
    wanted = [V.to_str(x) for x in lists.items(names) if x is not lists.UNDEF] \
        if isinstance(names, str) and names else []
    return [idx for idx in info.indices.values()
            if idx.kept and (not wanted or idx.name in wanted)]


def purge_indices(P: Any, w: Any, rc: RClass, names: Any = "") -> Any:
    """``%PurgeIndices(list)``: the nodes of the listed indices (all when "") removed."""
    st = storage_of(w, rc)
    for idx in _chosen(class_info(w, rc), names) if st.index else ():
        P.g(st.index).kill((idx.name,))
    return 1


def build_indices(P: Any, w: Any, rc: RClass, names: Any = "", purge: bool = True) -> Any:
    """``%BuildIndices(list, autoPurge)``: the listed indices (all when "") made again from
    the objects of the extent."""
    st = storage_of(w, rc)
    info = class_info(w, rc)
    chosen = _chosen(info, names) if st.index else []
    if purge:
        purge_indices(P, w, rc, names)
    if not chosen:
        return 1
    depth = len(info.idkey.items) if info.idkey is not None else 1
    g = P.g(st.index)
    for subs, row in list(P.g(st.data).walk(())):
        if len(subs) != depth:
            continue
        target = row_class(w, rc, row)
        if not target.extends(rc.name):
            continue
        tinfo = class_info(w, target)
        idtext = "||".join(subs)
        stored = read_stored(P, storage_of(w, target), tinfo, idtext)
        if stored is None:
            continue
        for idx in chosen:
            tidx = tinfo.indices.get(idx.name, idx)
            g.set((idx.name, *index_key(tidx, stored), idtext), "")
    return 1


# --------------------------------------------------------------------------- index methods

def _class_of(w: Any, this: Any) -> RClass:
    rc: RClass = this.cls if isinstance(this, Obj) else w.get(V.to_str(this))
    return rc


def _find(P: Any, rc: RClass, idx: IndexDef, values: list[Any]) -> str:
    """The ID of the object whose index values are ``values`` ("" when none)."""
    w = P.objects
    st = storage_of(w, rc)
    if idx.idkey:
        idtext = "||".join(V.to_str(v) for v in values)
        subs = id_subscripts(class_info(w, rc), idtext)
        return idtext if "" not in subs and P.g(st.data).data(subs) % 2 else ""
    stored = {it.prop: v for it, v in zip(idx.items, values, strict=False)}
    return P.g(st.index).order((idx.name, *index_key(idx, stored), ""), 1)  # type: ignore[no-any-return]


def _index_call(name: str, P: Any, this: Any, args: tuple[Any, ...]) -> tuple[
        RClass, IndexDef, list[Any], str, tuple[Any, ...]]:
    rc = _class_of(P.objects, this)
    idx = class_info(P.objects, rc).indices[name]
    n = len(idx.items)
    values = [arg(a) for a in args[:n]] + [""] * max(0, n - len(args))
    return rc, idx, values, _find(P, rc, idx, values), args[n:]


def _index_exists(name: str, P: Any, this: Any, *args: Any) -> int:
    """``<Index>Exists(value…, .id)``."""
    _, _, _, found, rest = _index_call(name, P, this, args)
    if rest:
        out(rest[0], id_value(found) if found else "")
    return 1 if found else 0


def _index_open(name: str, P: Any, this: Any, *args: Any) -> Any:
    """``<Index>Open(value…, concurrency, .sc)``: the object, or "" and ERROR #5770."""
    rc, _, values, found, rest = _index_call(name, P, this, args)
    sc = rest[1] if len(rest) > 1 else None
    if not found:
        out(sc, error(5770, name, "||".join(V.to_str(v) for v in values)))
        return ""
    return P.objects.class_call(rc.name, "%OpenId", True,
                                (id_value(found), arg(rest[0], -1) if rest else -1, sc))


def _index_delete(name: str, P: Any, this: Any, *args: Any) -> Any:
    """``<Index>Delete(value…, concurrency)``: ``%DeleteId`` of the object it finds."""
    rc, _, values, found, rest = _index_call(name, P, this, args)
    if not found:
        return error(5771, name, "||".join(V.to_str(v) for v in values))
    return P.objects.class_call(rc.name, "%DeleteId", True,
                                (id_value(found), arg(rest[0], -1) if rest else -1))


def add_index_methods(rc: RClass, model: Any) -> None:
    """The class methods IRIS generates for each unique index (Unique, PrimaryKey, IdKey):
    ``<Index>Exists``, ``<Index>Open``, ``<Index>Delete`` (a method the class text
    defines under that name stays)."""
    for m in model.members:
        if m.kind != "index" or not any(m.flag(k) for k in ("Unique", "PrimaryKey", "IdKey")):
            continue
        for suffix, fn in (("Exists", _index_exists), ("Open", _index_open),
                           ("Delete", _index_delete)):
            mname = m.name + suffix
            if mname not in rc.own_methods:
                rc.own_methods[mname] = MethodDef(mname, rc.name, "classmethod",
                                                  partial(fn, m.name))
