"""``action/index`` and the macro look-ups of one namespace, answered by the adapter.

Index entries follow the request order; a name that is invalid or does not exist gets an
entry of its own with ``status`` set and ``db`` empty (what the VS Code client filters on).
From API v4 an item may carry a position (``Pkg.Cls.cls:Method+3``) and ``others`` entries
then carry positions too. ``others`` only lists documents that exist (a class's ``.1.int``
appears once a compile with ``k`` generated it). Adapter faults are an HTTP 200 with
``status.errors`` and per-entry ``status``, never a 500.

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
        return Answer([self._entry(w, next(entries)) if w.source is not None and not w.status
                       else self._missing(w) for w in wanted])

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

    def _entry(self, item: _Item, entry: IndexEntry) -> dict[str, Any]:
        assert item.doc is not None and item.source is not None
        system = item.system
        gen = entry.gen or (system is None and self.catalog is not None and
                            self.catalog.generated(item.doc.name) is not None)
        content = _summary(entry.content) if entry.content is not None else {}
        if system is not None and content:
            content["depl"] = True  # signature text only: read-only, like a deployed class
        return {"name": item.doc.name, "db": system.db if system else self.store.db,
                "ts": item.source.ts, "gen": gen,
                "others": [o for o in entry.others if self._exists(o.split(":", 1)[0])],
                "cat": item.doc.cat, "status": entry.status, "content": content}

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
