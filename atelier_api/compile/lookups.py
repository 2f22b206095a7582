"""``action/index`` and the macro look-ups of one namespace, answered by the adapter.

Index entries follow the request order; a name that is invalid or does not exist gets an
entry of its own with ``status`` set and ``db`` empty (what the VS Code client filters on).
From API v4 an item may carry a position (``Pkg.Cls.cls:Method+3``) and ``others`` entries
then carry positions too. ``others`` only lists documents that exist (a class's ``.1.int``
appears once a compile with ``k`` generated it). Adapter faults are an HTTP 200 with
``status.errors`` and per-entry ``status``, never a 500.

Routine positions are IRIS's ``label+offset`` (``offset`` lines below the line of ``label``;
no label: from the top, where line 0 is the UDL ``ROUTINE`` header). The client reads the
positions of ``others`` by the other document's type (``viewOthers``): an ``.int`` as
``X.int:+offset``, a ``.mac`` as ``X.mac:+offset+namespace``. The adapter maps a ``.mac``
line to its ``.int`` line (``X.mac:+n`` in, ``X.int:+m`` out); this module turns a label
position of a ``.mac`` into that absolute form first, and answers the way back (``X.int``
position -> ``X.mac:+n+NS``) by asking the adapter for the ``.mac`` line that maps to the
``.int`` line (a binary search: the map only grows down the routine).

A name the workspace does not have may be one of the adapter's system documents
(``atelier_api.adapters.system_library``): it is indexed from its signature text, with ``db``
its library database and, for a class, ``depl`` true (the implementation is not there: like
a deployed class, it is read-only); the macro look-ups of one read its text. A workspace
document of the same name wins.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from atelier_api.adapters.contract import (
    Adapter,
    Capability,
    ClassSummary,
    ContractError,
    IndexEntry,
    IndexRequest,
    IndexResult,
    MacroRequest,
    MacroResult,
    SourceDoc,
    SystemDoc,
    call,
)
from atelier_api.adapters.system_library import system_library
from atelier_api.compile.state import CompiledCatalog
from atelier_api.compile.workspace_view import StoreWorkspace
from atelier_api.documents.docsets import MAX_ITEMS
from atelier_api.documents.names import DocName
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import AtelierError, BadRequest, DocumentNotFound, InvalidName

log = logging.getLogger(__name__)
_POSITION_RE = re.compile(r"(?P<name>[^:]+):(?P<pos>[%\w\"]*\+\d+|[%\w\"]+)")
_LABEL_OFFSET_RE = re.compile(r"(?P<label>[%\w\"]*)(?:\+(?P<offset>\d+))?")
#: the characters that may continue a label name (a label ends at anything else)
_LABEL_CHARS = frozenset("%ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
#: most adapter look-ups one ``.int`` -> ``.mac`` position may take
MAX_POSITION_PROBES = 64
_MACRO_RE = re.compile(r"%?[A-Za-z0-9]+")
MACRO_KINDS = ("definition", "location", "list")


class AdapterUnsupported(AtelierError):
    """The configured compiler adapter did not declare the capability a request needs."""

    http_status = 501


@dataclass
class Answer:
    """``result.content`` of a look-up and its ``status.errors``."""

    content: Any
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The first error's text ('' when none)."""
        return str(self.errors[0]["error"]) if self.errors else ""


def _adapter_error(adapter: Adapter, what: str, exc: Exception) -> dict[str, Any]:
    """The ``status.errors`` entry of an adapter that raised or broke the contract."""
    if isinstance(exc, ContractError):
        text = f"The compiler adapter '{adapter.info.name}' returned a malformed {what}: {exc}"
    else:
        log.exception("compiler adapter %s failed in %s", adapter.info.name, what)
        text = (f"The compiler adapter '{adapter.info.name}' failed in {what}: "
                f"{type(exc).__name__}: {exc}")
    return {"error": f"ERROR #5002: {text}", "code": 5002, "domain": "%ObjectErrors",
            "id": "CompilerAdapterError", "params": [text]}


def _require(adapter: Adapter, capability: Capability, what: str) -> None:
    if not adapter.supports(capability):
        raise AdapterUnsupported(f"The compiler adapter '{adapter.info.name}' does not "
                                 f"support {what}")


@dataclass
class _Item:
    """One requested index item: what was asked, the document and its position."""

    raw: str
    doc: DocName | None = None
    source: SourceDoc | None = None
    position: str = ""
    status: str = ""
    system: SystemDoc | None = None


class Lookups:
    """Index and macro look-ups over one namespace's documents."""

    def __init__(self, store: DocumentStore, catalog: CompiledCatalog | None,
                 adapter: Adapter) -> None:
        self.store = store
        self.catalog = catalog
        self.adapter = adapter
        self.system = system_library(adapter)

    # -- action/index -------------------------------------------------------------------------
    def index(self, items: list[str], *, positions: bool) -> Answer:
        """Summaries of the named documents, in request order."""
        _require(self.adapter, Capability.INDEX, "action/index")
        if len(items) > MAX_ITEMS:
            raise BadRequest(f"action/index names {len(items)} documents; at most {MAX_ITEMS} "
                             "are accepted in one request")
        view = StoreWorkspace(self.store, self.catalog)
        wanted = [self._item(raw, view, positions) for raw in items]
        for w in wanted:
            if w.position and w.source is not None and w.doc is not None and (
                    w.doc.ext == "mac"):
                w.position = _absolute(w.source.lines, w.position)
        found = [w for w in wanted if w.source is not None]
        request = IndexRequest(tuple(w.source for w in found if w.source is not None), view,
                               tuple((w.source.name, w.position) for w in found
                                     if w.source is not None and w.position))
        try:
            result: IndexResult = call(self.adapter, Capability.INDEX, request)
        except Exception as exc:  # reported in the envelope, never a 500
            error = _adapter_error(self.adapter, "index", exc)
            for w in found:
                w.status = str(error["error"])
            return Answer([self._missing(w) for w in wanted], [error])
        entries = iter(result.entries)
        return Answer([self._entry(w, next(entries), view) if w.source is not None and
                       not w.status else self._missing(w) for w in wanted])

    def _item(self, raw: str, view: StoreWorkspace, positions: bool) -> _Item:
        name, position = raw, ""
        match = _POSITION_RE.fullmatch(raw) if positions and "/" not in raw else None
        if match:
            name, position = match.group("name"), match.group("pos")
        item = _Item(raw, position=position)
        try:
            item.doc = self.store.locate(name).doc
        except InvalidName as exc:
            item.status = exc.text
            return item
        item.source = view.document(item.doc.name)
        if item.source is None and not item.doc.is_web:
            item.system = self.system.read(item.doc.name)
            if item.system is not None and item.system.lines is not None:
                item.source = SourceDoc(item.doc.name, item.system.lines, item.system.ts, True)
        if item.source is None:
            item.status = DocumentNotFound(item.doc.name, item.doc.cat).text
        return item

    def _missing(self, item: _Item) -> dict[str, Any]:
        doc = item.doc
        return {"name": doc.name if doc else item.raw, "db": "", "ts": "", "gen": False,
                "others": [], "cat": doc.cat if doc else "", "status": item.status,
                "content": {}}

    def _entry(self, item: _Item, entry: IndexEntry, view: StoreWorkspace) -> dict[str, Any]:
        assert item.doc is not None and item.source is not None
        system = item.system
        gen = entry.gen or (system is None and self.catalog is not None and
                            self.catalog.generated(item.doc.name) is not None)
        content = _summary(entry.content) if entry.content is not None else {}
        if system is not None and content:
            content["depl"] = True  # signature text only: read-only, like a deployed class
        others = [o for o in entry.others if self._exists(o.split(":", 1)[0])]
        if item.position and item.doc.ext == "int":
            others = [self._mac_position(view, item.source, item.position, o) for o in others]
        return {"name": item.doc.name, "db": system.db if system else self.store.db,
                "ts": item.source.ts, "gen": gen, "others": others,
                "cat": item.doc.cat, "status": entry.status, "content": content}

    # -- .int position -> .mac position -------------------------------------------------------
    def _mac_position(self, view: StoreWorkspace, source: SourceDoc, position: str,
                      other: str) -> str:
        """``other`` (a plain ``X.mac`` of an ``.int`` entry) with the position of the
        ``.mac`` line that ``position`` of the ``.int`` comes from: ``X.mac:+n+NS``.
        Anything else, or a line the adapter maps nowhere, stays as it is."""
        if ":" in other or not other.lower().endswith(".mac"):
            return other
        target = _line_of(source.lines, position)
        mac = view.document(other)
        if target is None or mac is None:
            return other
        line = _MacSearch(self.adapter, view, mac, source.name).line_for(target)
        return other if line is None else f"{other}:+{line}+{self.store.namespace}"

    def _exists(self, name: str) -> bool:
        try:
            self.store.ts_of(name)
        except (DocumentNotFound, InvalidName):
            return False
        return True

    # -- macros -------------------------------------------------------------------------------
    def macros(self, kind: str, docname: str, macroname: str, includes: list[str]) -> Answer:
        """getmacrodefinition / getmacrolocation / getmacrolist for a document."""
        _require(self.adapter, Capability.MACROS, f"getmacro{kind}")
        doc = self.store.locate(docname).doc
        name = macroname.strip().removeprefix("$$$")
        if kind != "list" and not _MACRO_RE.fullmatch(name):
            raise BadRequest(f"'macroname' must be a macro name such as 'MyMacro' (without "
                             f"$$$), not '{macroname[:80]}'")
        view = StoreWorkspace(self.store, self.catalog)
        document = view.document(doc.name)
        if document is None and not doc.is_web:  # a system include file or class
            found = self.system.read(doc.name)
            if found is not None and found.lines is not None:
                document = SourceDoc(doc.name, found.lines, found.ts, True)
        request = MacroRequest(doc.name, name if kind != "list" else "", tuple(includes),
                               document, view)
        try:
            result: MacroResult = call(self.adapter, Capability.MACROS, request)
        except Exception as exc:  # reported in the envelope, never a 500
            return Answer(_macro_content(kind, MacroResult()),
                          [_adapter_error(self.adapter, "macros", exc)])
        return Answer(_macro_content(kind, result))


class _MacSearch:
    """The ``.mac`` line an ``.int`` line comes from, found through the adapter's own
    ``.mac`` -> ``.int`` map (``X.mac:+n`` -> ``X.int:+m``): a binary search over the
    ``.mac`` lines, since a later ``.mac`` line never maps to an earlier ``.int`` line.
    Lines the preprocessor drops (``#define``, ``#include``...) map nowhere."""

    def __init__(self, adapter: Adapter, view: StoreWorkspace, mac: SourceDoc,
                 int_name: str) -> None:
        self.adapter = adapter
        self.view = view
        self.mac = mac
        self.int_name = int_name.lower()
        self.seen: dict[int, int | None] = {}

    def probe(self, line: int) -> int | None:
        """The ``.int`` line the adapter maps ``.mac`` line ``line`` to (None: dropped)."""
        if line not in self.seen:
            if len(self.seen) >= MAX_POSITION_PROBES:
                raise _GiveUp
            request = IndexRequest((self.mac,), self.view, ((self.mac.name, f"+{line}"),))
            try:
                result: IndexResult = call(self.adapter, Capability.INDEX, request)
            except Exception:  # no position then: the plain name is still right
                raise _GiveUp from None
            found = None
            for other in result.entries[0].others if result.entries else ():
                name, _, pos = other.partition(":")
                if name.lower() == self.int_name and pos.startswith("+") and pos[1:].isdigit():
                    found = int(pos[1:])
            self.seen[line] = found
        return self.seen[line]

    def line_for(self, target: int) -> int | None:
        """The first ``.mac`` line mapped to ``.int`` line ``target``; else the nearest one
        above it; None when no line maps at or above it (or the search gave up)."""
        lo, hi = 1, len(self.mac.lines) - 1  # line 0 is the ROUTINE header
        first_at: tuple[int, int] | None = None  # (line, .int line) mapped to target or later
        last_above: int | None = None  # the last line mapped before target (above it)
        try:
            while lo <= hi:
                mid = lo + (hi - lo) // 2
                line, mapped = mid, self.probe(mid)
                while mapped is None and line < hi:
                    line += 1
                    mapped = self.probe(line)
                if mapped is None:  # nothing from mid to hi maps anywhere
                    hi = mid - 1
                elif mapped >= target:
                    first_at, hi = (line, mapped), mid - 1
                else:
                    last_above, lo = line, line + 1
        except _GiveUp:
            return None
        if first_at is not None and first_at[1] == target:
            return first_at[0]
        return last_above if last_above is not None else None


class _GiveUp(Exception):
    """The ``.mac`` line search stopped (too many look-ups, or the adapter failed)."""


def _parse_position(position: str) -> tuple[str, int] | None:
    """(label, offset) of ``label+offset``, ``+offset`` or ``label``; None otherwise."""
    match = _LABEL_OFFSET_RE.fullmatch(position)
    if match is None:
        return None
    return match.group("label").strip('"'), int(match.group("offset") or 0)


def _label_line(lines: tuple[str, ...] | list[str], label: str) -> int | None:
    """The line (0: the ROUTINE header, never a label) where ``label`` starts, or None."""
    for number, text in enumerate(lines):
        if number and text.startswith(label) and (
                len(text) == len(label) or text[len(label)] not in _LABEL_CHARS):
            return number
    return None


def _line_of(lines: tuple[str, ...] | list[str], position: str) -> int | None:
    """The absolute line of a routine position (``label+offset``), or None when its label
    is not in the routine or the line lies past the end."""
    parsed = _parse_position(position)
    if parsed is None:
        return None
    label, offset = parsed
    start = _label_line(lines, label) if label else 0
    if start is None or start + offset >= len(lines):
        return None
    return start + offset


def _absolute(lines: tuple[str, ...], position: str) -> str:
    """A ``.mac`` position as the adapter reads it: ``+n`` from the top ('' when the label is
    not in the routine: the other document is then named without a position)."""
    line = _line_of(lines, position)
    return "" if line is None else f"+{line}"


def _macro_content(kind: str, result: MacroResult) -> dict[str, Any]:
    if kind == "definition":
        return {"definition": list(result.definition)}
    if kind == "location":
        loc = result.location
        return {"document": loc.document if loc else "", "line": loc.line if loc else 0}
    return {"macros": list(result.macros)}


def _summary(summary: ClassSummary) -> dict[str, Any]:
    """The JSON ``content`` of a class entry (``desc`` arrays of lines, as the client expects)."""
    return _jsonable(dataclasses.asdict(summary))  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
