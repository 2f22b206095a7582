"""Local variables: one variable's tree (``Node``), a process's symbol table (``Locals``), and
the ZWRITE form of any variable (``zwrite_lines``).

A ``Node`` holds an optional value and children keyed by subscript strings. Subscripts are
ordered by ``values.collation_key`` (canonical numbers first, numerically, then strings by code
point). Children live in a dict; the ordered view (``$ORDER``, ``$QUERY``, ZWRITE) is a sorted
key list built lazily and kept up to date cheaply: a key that sorts after the last one is
appended, a position dict makes a walk over existing keys O(1) a step, ``bisect`` answers
from keys that do not exist.

Space: a child that has no children of its own is stored as its bare value in the parent's
dict; it becomes a ``Node`` only when it gets children. Empty nodes never stay in a tree, so
``$DATA`` is a dict look-up.

Rules followed (InterSystems ObjectScript reference unless noted): ``$ORDER``/``$QUERY``
directions 1 and -1, an empty last subscript starts from the first (or last) one; an empty
subscript anywhere else is ``<SUBSCRIPT>``; ``$DATA`` 0/1/10/11; ``KILL`` removes a node and
its descendants, ``ZKILL`` only the node's value; ``MERGE`` copies the source subtree into the
destination without killing anything, does nothing when source and destination are the same
node and raises ``<COMMAND>`` when one is a descendant of the other; ``$INCREMENT`` of an
undefined node starts from 0. ZWRITE quotes strings (doubling quotes), prints canonical
numbers bare and non-printing characters as ``$c(n,...)`` pieces joined with ``_``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.values import add, collation_key, is_canonic, to_str

__all__ = [
    "MISSING",
    "Locals",
    "Node",
    "format_ref",
    "zwrite_lines",
    "zwrite_subscript",
    "zwrite_value",
]


class _Missing:
    """The marker of an absent value (a node with children only, or no node at all)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

_INSORT_LIMIT = 1 << 20  # past this many children a middle insert drops the sorted view
_MIDDLE_BURST = 64  # this many middle inserts in a row (no reads) on a big node drop it too


# subscripts joined by newlines, every one a canonical integer below 10**18
_ALL_SMALL_INTS = re.compile(r"(?:0|-?[1-9][0-9]{0,17})(?:\n(?:0|-?[1-9][0-9]{0,17}))*")


def _ck(s: str) -> Any:
    """``collation_key`` with a fast path for the commonest subscripts, small positive
    integers (digits only, no leading zero): those are canonical numbers by definition."""
    if len(s) < 19 and s.isdigit() and s.isascii() and (s[0] != "0" or s == "0"):
        return (0, int(s))
    return collation_key(s)


class Node:
    """One variable's tree: ``value`` (``MISSING`` when undefined) and subscripted children."""

    __slots__ = (
        "value", "kids", "name", "_subs", "_cks", "_last", "_pos", "_hint", "_burst", "_miss",
    )

    def __init__(self, name: str = "", value: Any = MISSING) -> None:
        self.value = value
        self.kids: dict[str, Any] = {}
        self.name = name
        self._subs: list[str] | None = None  # the children in collation order
        self._cks: list[Any] | None = None  # their collation keys (built when needed)
        self._last: Any = None  # the collation key of the last child (when known)
        self._pos: dict[str, int] | None = None  # child -> index (built when walks jump)
        self._hint = 0  # index of the child ``next_sub`` returned last
        self._burst = 0
        self._miss = 0

    def __repr__(self) -> str:
        return f"Node({self.name!r}, value={self.value!r}, kids={len(self.kids)})"

    # ------------------------------------------------------------------ ordered view

    def _build(self) -> list[str]:
        kids = self.kids
        joined = "\n".join(kids) if len(kids) > 64 else ""
        if (
            joined
            and joined.count("\n") == len(kids) - 1  # no subscript holds a newline
            and _ALL_SMALL_INTS.fullmatch(joined) is not None
        ):
            subs = self._subs = sorted(kids, key=int)  # all canonical integers: a faster key
        else:
            subs = self._subs = sorted(kids, key=_ck)
        self._cks = self._pos = self._last = None
        self._hint = self._burst = self._miss = 0
        return subs

    def _keys(self, subs: list[str]) -> list[Any]:
        cks = self._cks
        if cks is None:
            cks = self._cks = list(map(_ck, subs))
        return cks

    def _drop_view(self) -> None:
        self._subs = self._cks = self._pos = self._last = None

    def note_added(self, s: str) -> None:
        """Keep the sorted view (if built) up to date after a new child ``s``."""
        subs = self._subs
        if subs is None:
            return
        ck = _ck(s)
        if subs:
            last = self._last
            if last is None:
                last = _ck(subs[-1])
            if not last < ck:
                self._insert(subs, s, ck)
                return
        subs.append(s)
        if self._cks is not None:
            self._cks.append(ck)
        self._last = ck
        if self._pos is not None:
            self._pos[s] = len(subs) - 1

    def _insert(self, subs: list[str], s: str, ck: Any) -> None:
        n = len(subs)
        self._burst += 1
        if n > _INSORT_LIMIT or (n > 4096 and self._burst > _MIDDLE_BURST):
            self._drop_view()
            return
        cks = self._keys(subs)
        i = bisect_right(cks, ck)
        cks.insert(i, ck)
        subs.insert(i, s)
        self._pos = None

    def note_removed(self, s: str) -> None:
        """Keep the sorted view (if built) up to date after child ``s`` went away."""
        subs = self._subs
        if subs is None:
            return
        pos = self._pos
        if subs and subs[-1] == s:
            subs.pop()
            if self._cks is not None:
                self._cks.pop()
            self._last = None
            if pos is not None:
                del pos[s]
            return
        if len(subs) > _INSORT_LIMIT:
            self._drop_view()
            return
        h = self._hint
        if h < len(subs) and subs[h] == s:
            i = h
        elif pos is not None:
            i = pos[s]
        else:
            i = bisect_left(self._keys(subs), _ck(s))
        del subs[i]
        if self._cks is not None:
            del self._cks[i]
        self._pos = None

    def next_sub(self, s: str, d: int) -> str:
        """The child after (``d=1``) or before (``d=-1``) ``s`` ("" = from the edge)."""
        subs = self._subs
        if subs is None:
            if not self.kids:
                return ""
            subs = self._build()
        self._burst = 0
        n = len(subs)
        if s == "":
            if not n:
                return ""
            i = 0 if d == 1 else n - 1
            self._hint = i
            return subs[i]
        h = self._hint
        if h < n and subs[h] == s:
            i = h + d
        else:
            pos = self._pos
            if pos is None:
                self._miss += 1
                if self._miss > 8 + (n >> 4):
                    pos = self._pos = {k: j for j, k in enumerate(subs)}
                    self._miss = 0
            j = None if pos is None else pos.get(s)
            if j is not None:
                i = j + d
            elif d == 1:
                i = bisect_right(self._keys(subs), _ck(s))
            else:
                i = bisect_left(self._keys(subs), _ck(s)) - 1
        if 0 <= i < n:
            self._hint = i
            return subs[i]
        return ""

    def sorted_keys(self) -> list[str]:
        """The children's subscripts in collation order (a fresh list)."""
        subs = self._subs
        if subs is None:
            subs = self._build()
        return list(subs)

    # ------------------------------------------------------------------ navigation

    def _entry(self, subs: tuple[str, ...]) -> Any:
        """The entry at ``subs``: a ``Node``, a bare value, or ``MISSING``."""
        cur: Any = self
        for s in subs:
            if type(cur) is not Node:
                return MISSING
            cur = cur.kids.get(s, MISSING)
            if cur is MISSING:
                return MISSING
        return cur

    def _container(self, subs: tuple[str, ...]) -> Node | None:
        """The ``Node`` at ``subs`` when it has one (``self`` for ``()``)."""
        e = self._entry(subs)
        return e if type(e) is Node else None

    def _bad(self, subs: tuple[str, ...], allow_last: bool = False) -> None:
        """Raise ``<SUBSCRIPT>`` if an empty subscript is where none may be."""
        check = subs[:-1] if allow_last else subs
        if "" in check:
            raise ObjectScriptError("SUBSCRIPT", format_ref(self.name, subs))

    def _undefined(self, subs: tuple[str, ...]) -> ObjectScriptError:
        if "" in subs:
            return ObjectScriptError("SUBSCRIPT", format_ref(self.name, subs))
        return ObjectScriptError("UNDEFINED", "*" + format_ref(self.name, subs))

    # ------------------------------------------------------------------ values

    def get(self, subs: tuple[str, ...] = ()) -> Any:
        """The value at ``subs``; ``<UNDEFINED>`` when there is none."""
        if not subs:
            v = self.value
        elif len(subs) == 1:
            v = self.kids.get(subs[0], MISSING)
        else:
            v = self._entry(subs)
        if type(v) is Node:
            v = v.value
        if v is MISSING:
            raise self._undefined(subs)
        return v

    def get_or(self, subs: tuple[str, ...], default: Any = "") -> Any:
        """``$GET``: the value at ``subs`` or ``default``."""
        if not subs:
            v = self.value
        elif len(subs) == 1:
            v = self.kids.get(subs[0], MISSING)
        else:
            v = self._entry(subs)
        if type(v) is Node:
            v = v.value
        if v is MISSING:
            if "" in subs:
                self._bad(subs)
            return default
        return v

    def set(self, subs: tuple[str, ...], v: Any) -> None:
        """``SET name(subs)=v``."""
        n = len(subs)
        if n == 1:
            s = subs[0]
            kids = self.kids
            if s in kids:
                e = kids[s]
                if type(e) is Node:
                    e.value = v
                else:
                    kids[s] = v
                return
            if s == "":
                self._bad(subs)
            kids[s] = v
            if self._subs is not None:
                self.note_added(s)
            return
        if n == 0:
            self.value = v
            return
        cur = self
        for i in range(n - 1):
            s = subs[i]
            kids = cur.kids
            e = kids.get(s, MISSING)
            if type(e) is not Node:
                if e is MISSING:
                    if s == "":
                        self._bad(subs)
                    child = Node("", MISSING)
                    kids[s] = child
                    cur.note_added(s)
                else:
                    child = Node("", e)
                    kids[s] = child
                e = child
            cur = e
        s = subs[n - 1]
        kids = cur.kids
        e = kids.get(s, MISSING)
        if type(e) is Node:
            e.value = v
        elif e is MISSING:
            if s == "":
                self._bad(subs)
            kids[s] = v
            cur.note_added(s)
        else:
            kids[s] = v

    def set1(self, s: str, v: Any) -> None:
        """``SET name(s)=v`` (one subscript: the translator's fast path)."""
        kids = self.kids
        e = kids.get(s, MISSING)
        if e is MISSING:
            self.set((s,), v)  # a new child: the general path keeps the ordered view
        elif type(e) is Node:
            e.value = v
        else:
            kids[s] = v

    def next1(self, s: str) -> str:
        """``$ORDER(name(s))`` (one subscript, forward: the translator's fast path)."""
        view = self._subs
        if view is not None:
            h = self._hint
            if h < len(view) and view[h] == s:  # the walk's next step
                h += 1
                if h < len(view):
                    self._hint = h
                    return view[h]
                return ""
        return self.next_sub(s, 1)

    def keys_after(self, s: str) -> list[str]:
        """The children after ``s`` in collation order (all of them for ""): the steps a
        ``$ORDER`` walk from ``s`` takes when nothing changes the node meanwhile."""
        first = self.next_sub(s, 1)
        if first == "" or self._subs is None:
            return []
        return self._subs[self._hint:]

    def has(self, subs: tuple[str, ...] = ()) -> bool:
        """The node at ``subs`` has a value."""
        return self.data(subs) & 1 == 1

    def data(self, subs: tuple[str, ...] = ()) -> int:
        """``$DATA``: 0 (nothing), 1 (value), 10 (descendants only), 11 (both)."""
        e = self if not subs else self._entry(subs)
        if e is MISSING:
            if "" in subs:
                self._bad(subs)
            return 0
        if type(e) is Node:
            return (0 if e.value is MISSING else 1) + (10 if e.kids else 0)
        return 1

    def increment(self, subs: tuple[str, ...] = (), by: Any = 1) -> Any:
        """``$INCREMENT(name(subs), by)``: the new value (an undefined node counts as 0)."""
        old = self.get_or(subs, MISSING)
        new = add(0 if old is MISSING else old, by)
        self.set(subs, new)
        return new

    # ------------------------------------------------------------------ KILL

    def _path(self, subs: tuple[str, ...]) -> list[Node] | None:
        """The nodes from ``self`` down to the parent of ``subs[-1]`` (all must be nodes)."""
        path = [self]
        cur = self
        for s in subs[:-1]:
            e = cur.kids.get(s, MISSING)
            if type(e) is not Node:
                return None
            path.append(e)
            cur = e
        return path

    def _prune(self, path: list[Node], subs: tuple[str, ...]) -> None:
        """Remove or flatten emptied nodes along ``path`` (deepest first)."""
        for depth in range(len(path) - 1, 0, -1):
            node = path[depth]
            if node.kids:
                return
            parent = path[depth - 1]
            s = subs[depth - 1]
            if node.value is MISSING:
                del parent.kids[s]
                parent.note_removed(s)
            else:
                parent.kids[s] = node.value  # a leaf again: back to a bare value

    def clear(self) -> None:
        """Remove the value and every descendant."""
        self.value = MISSING
        self.kids = {}
        self._drop_view()

    def kill(self, subs: tuple[str, ...] = ()) -> None:
        """``KILL name(subs)``: the node and all its descendants."""
        if not subs:
            self.clear()
            return
        self._bad(subs)
        path = self._path(subs)
        if path is None:
            return
        parent = path[-1]
        s = subs[-1]
        if s not in parent.kids:
            return
        del parent.kids[s]
        parent.note_removed(s)
        self._prune(path, subs)

    def zkill(self, subs: tuple[str, ...] = ()) -> None:
        """``ZKILL name(subs)``: the node's value only; descendants stay."""
        if not subs:
            self.value = MISSING
            return
        self._bad(subs)
        path = self._path(subs)
        if path is None:
            return
        parent = path[-1]
        s = subs[-1]
        e = parent.kids.get(s, MISSING)
        if e is MISSING:
            return
        if type(e) is Node:
            e.value = MISSING  # it has children, so it stays
            return
        del parent.kids[s]
        parent.note_removed(s)
        self._prune(path, subs)

    # ------------------------------------------------------------------ $ORDER / $QUERY

    def order(self, subs: tuple[str, ...], d: Any = 1) -> str:
        """``$ORDER(name(subs), d)``: the next (``d=1``) or previous (``d=-1``) sibling
        subscript of ``subs[-1]``, "" at the end; ``subs[-1]==""`` starts at the edge."""
        if type(d) is not int or (d != 1 and d != -1):
            d = direction(d)
        n = len(subs)
        if n == 1:
            view = self._subs
            if view is not None:  # the walk's next step, inline
                h = self._hint
                if h < len(view) and view[h] == subs[0]:
                    h = h + 1 if d == 1 else h - 1
                    if 0 <= h < len(view):
                        self._hint = h
                        return view[h]
                    return ""
            return self.next_sub(subs[0], d)
        if n == 0:
            raise ObjectScriptError("FUNCTION")
        parent = self._container(subs[:-1])
        if parent is None:
            self._bad(subs, allow_last=True)
            return ""
        return parent.next_sub(subs[-1], d)

    def order_value(self, subs: tuple[str, ...], d: Any = 1) -> tuple[str, Any]:
        """The 3-argument ``$ORDER``: (next subscript, its value or ``MISSING``)."""
        s = self.order(subs, d)
        if s == "":
            return "", MISSING
        return s, self.get_or(subs[:-1] + (s,), MISSING)

    def _first_below(self, node: Node) -> tuple[str, ...]:
        """Relative subscripts of the first defined node strictly below ``node``."""
        rel: list[str] = []
        cur = node
        while True:
            s = cur.next_sub("", 1)
            rel.append(s)
            e = cur.kids[s]
            if type(e) is not Node or e.value is not MISSING:
                return tuple(rel)
            cur = e

    def _last_at_or_below(self, s: str, parent: Node) -> tuple[str, ...]:
        """Relative subscripts (from ``parent``) of the last node of child ``s``'s subtree."""
        rel = [s]
        e = parent.kids[s]
        while type(e) is Node and e.kids:
            s = e.next_sub("", -1)
            rel.append(s)
            e = e.kids[s]
        return tuple(rel)

    def query(self, subs: tuple[str, ...] = (), d: Any = 1) -> tuple[str, ...] | None:
        """``$QUERY(name(subs), d)``: the subscripts of the next (previous) defined node in
        depth-first order, or ``None``. The unsubscripted node itself is never returned."""
        if type(d) is not int or (d != 1 and d != -1):
            d = direction(d)
        self._bad(subs, allow_last=True)
        if d == 1 and (not subs or subs[-1] != ""):
            node = self._container(subs)
            if node is not None and node.kids:
                return subs + self._first_below(node)
        path = subs
        while path:
            parent_subs = path[:-1]
            parent = self._container(parent_subs)
            if parent is not None and parent.kids:
                s = parent.next_sub(path[-1], d)
                if s:
                    if d == 1:
                        e = parent.kids[s]
                        if type(e) is Node and e.value is MISSING:
                            return parent_subs + (s,) + self._first_below(e)
                        return parent_subs + (s,)
                    return parent_subs + self._last_at_or_below(s, parent)
            if d == -1 and parent_subs and self.data(parent_subs) & 1:
                return parent_subs
            path = parent_subs
        return None

    # ------------------------------------------------------------------ MERGE, walks

    def walk(self, subs: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
        """(subscripts relative to ``subs``, value) of every defined node at or below
        ``subs``, in collation order (a node before its descendants)."""
        e = self if not subs else self._entry(subs)
        if e is MISSING:
            return
        if type(e) is not Node:
            yield (), e
            return
        yield from _walk_node(e, ())

    def same_variable(self, other: Any) -> bool:
        """``other`` is this very variable (for MERGE's overlap rule)."""
        return other is self

    def merge_from(self, subs: tuple[str, ...], other: Any, other_subs: tuple[str, ...]) -> None:
        """``MERGE name(subs)=other(other_subs)``; ``other`` is a ``Node`` or a global."""
        self._bad(subs)
        if other.same_variable(self):
            if subs == other_subs:
                return
            k = min(len(subs), len(other_subs))
            if subs[:k] == other_subs[:k]:
                raise ObjectScriptError("COMMAND")
        items = list(other.walk(other_subs))
        for rel, v in items:
            self.set(subs + rel, v)


def _walk_node(node: Node, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if node.value is not MISSING:
        yield prefix, node.value
    if not node.kids:
        return
    kids = node.kids
    for s in node.sorted_keys():
        e = kids.get(s, MISSING)
        if e is MISSING:
            continue
        if type(e) is Node:
            yield from _walk_node(e, prefix + (s,))
        else:
            yield prefix + (s,), e


def direction(d: Any) -> int:
    """A ``$ORDER``/``$QUERY`` direction: 1 or -1, anything else is ``<FUNCTION>``."""
    if type(d) is str:
        s = d.strip()
        if s in ("1", "-1"):
            return int(s)
    elif type(d) in (int, float, Decimal) and d in (1, -1):
        return int(d)
    raise ObjectScriptError("FUNCTION")


# ---------------------------------------------------------------------------- the symbol table


class Locals:
    """A process's (or a procedure's private) symbol table, with ``NEW`` support.

    ``node(name)`` binds a name on first use. ``KILL`` empties a node in place, so a name
    passed by reference (``bind``) sees it; ``NEW`` rebinds the name to a fresh node and
    ``restore(mark)`` puts the saved bindings back.
    """

    __slots__ = ("_vars", "_stack")

    def __init__(self) -> None:
        self._vars: dict[str, Node] = {}
        self._stack: list[tuple[str, Node | None, frozenset[str] | None]] = []

    def node(self, name: str) -> Node:
        """The node bound to ``name`` (created, empty, on first use)."""
        n = self._vars.get(name)
        if n is None:
            n = self._vars[name] = Node(name)
        return n

    def lookup(self, name: str) -> Node | None:
        """The node bound to ``name`` if any (it may be empty: check ``data``)."""
        return self._vars.get(name)

    def bind(self, name: str, node: Node) -> None:
        """Bind ``name`` to an existing node (a by-reference parameter)."""
        self._vars[name] = node

    def kill(self, name: str) -> None:
        """``KILL name``."""
        n = self._vars.get(name)
        if n is not None:
            n.clear()

    def kill_all(self, except_: Iterable[str] = ()) -> None:
        """Argumentless ``KILL``, or the exclusive ``KILL (a,b)`` keeping ``except_``."""
        keep = set(except_)
        for name, n in list(self._vars.items()):
            if name not in keep:
                n.clear()
                if n.name == name:
                    del self._vars[name]

    def names(self) -> list[str]:
        """Names of the defined variables, in ZWRITE order (code point order)."""
        return sorted(name for name, n in self._vars.items() if n.value is not MISSING or n.kids)

    # ------------------------------------------------------------------ NEW

    def mark(self) -> int:
        """A mark to ``restore`` to when the frame that ran ``NEW`` ends."""
        return len(self._stack)

    def new(self, names: Iterable[str]) -> None:
        """``NEW a,b``: the names start undefined until ``restore``."""
        for name in names:
            self._stack.append((name, self._vars.pop(name, None), None))

    def new_all_except(self, names: Iterable[str] = ()) -> None:
        """``NEW (a,b)`` (and argumentless ``NEW``: no names): every other variable is new,
        including those first set after this ``NEW``."""
        keep = frozenset(names)
        for name in [n for n in self._vars if n not in keep]:
            self._stack.append((name, self._vars.pop(name), None))
        self._stack.append(("", None, keep))

    def restore(self, mark: int) -> None:
        """Undo every ``NEW`` since ``mark``."""
        stack = self._stack
        while len(stack) > mark:
            name, saved, keep = stack.pop()
            if keep is not None:
                for n in [n for n in self._vars if n not in keep]:
                    del self._vars[n]
                continue
            if saved is None:
                self._vars.pop(name, None)
            else:
                self._vars[name] = saved

    def zwrite_all(self, **hooks: Any) -> list[str]:
        """Argumentless ``ZWRITE``: every defined variable, by name."""
        out: list[str] = []
        for name in self.names():
            out.extend(zwrite_lines(name, self._vars[name], **hooks))
        return out


# ---------------------------------------------------------------------------- ZWRITE


def _printable(c: str) -> bool:
    o = ord(c)
    return 32 <= o < 127 or o > 159


def zwrite_string(s: str) -> str:
    """A string as ZWRITE prints it: quoted (quotes doubled); runs of non-printing
    characters as ``$c(n,...)``; pieces joined with ``_``."""
    if s.isascii() and s.isprintable():
        return '"' + s.replace('"', '""') + '"'
    pieces: list[str] = []
    run: list[str] = []
    codes: list[str] = []
    for c in s:
        if _printable(c):
            if codes:
                pieces.append("$c(" + ",".join(codes) + ")")
                codes = []
            run.append(c)
        else:
            if run:
                pieces.append('"' + "".join(run).replace('"', '""') + '"')
                run = []
            codes.append(str(ord(c)))
    if run:
        pieces.append('"' + "".join(run).replace('"', '""') + '"')
    if codes:
        pieces.append("$c(" + ",".join(codes) + ")")
    return "_".join(pieces) if pieces else '""'


def _number_text(s: str) -> bool:
    return len(s) <= 200 and is_canonic(s)


def zwrite_subscript(s: str) -> str:
    """A subscript as ZWRITE prints it: canonical numbers bare, strings quoted."""
    return s if _number_text(s) else zwrite_string(s)


def format_ref(name: str, subs: tuple[str, ...]) -> str:
    """``name(sub,...)`` as IRIS prints a reference (ZWRITE, $QUERY, error details)."""
    if not subs:
        return name
    return name + "(" + ",".join(map(zwrite_subscript, subs)) + ")"


def default_oref_format(v: Any) -> str:
    """How ZWRITE shows an object reference held in a variable."""
    return f"<OBJECT REFERENCE>[{to_str(v)}]"


def zwrite_value(
    v: Any,
    *,
    oref_format: Callable[[Any], str] | None = None,
    list_format: Callable[[str], str | None] | None = None,
) -> str:
    """The right-hand side of a ZWRITE line. ``list_format`` may render a ``$LIST``
    string (``$lb(...)``) and return ``None`` for a string that is not one."""
    t = type(v)
    if t is str:
        if _number_text(v):
            return str(v)
        if list_format is not None:
            shown = list_format(v)
            if shown is not None:
                return shown
        return zwrite_string(v)
    if t is int or t is Decimal:
        return to_str(v)
    if t is float:
        s = to_str(v)
        return s if _number_text(s) else f'$double("{s}")'
    return (oref_format or default_oref_format)(v)


def zwrite_lines(
    name: str,
    node: Any,
    subs: tuple[str, ...] = (),
    *,
    oref_format: Callable[[Any], str] | None = None,
    list_format: Callable[[str], str | None] | None = None,
) -> list[str]:
    """ZWRITE output of ``name(subs)`` and all its descendants, one line per defined node.
    ``node`` is a local ``Node`` or a global node (same API); ``name`` includes the ``^``
    of a global."""
    out: list[str] = []
    for rel, v in node.walk(subs):
        ref = format_ref(name, subs + rel)
        out.append(ref + "=" + zwrite_value(v, oref_format=oref_format, list_format=list_format))
    return out
