"""``%Library.RoutineMgr_StudioOpenDialog``: the rows the VS Code extension browses by.

Arguments (Spec, Dir, OrderBy, SystemFiles, Flat, NotStudio, ShowGenerated, Filter,
RoundTime, Mapped). Spec is a comma list of masks; the first may carry a folder:
``Pkg.Sub/*.cls,*.mac`` (a package folder) or ``/csp/user/*`` (a web folder); ``'mask``
excludes; ``*.other`` is every "other" document, ``Pkg.*.other`` those whose names match
``Pkg.*``. Flat 1 lists full names of everything below the folder, Flat 0 one level with
names relative to the folder, sub-packages as Type 9 and web sub-folders as Type 10 rows.
"Other" documents (Type 100; a project, ``.prj``, Type 8) have no package folders: one level
lists them at the root by their full names. The Filter argument (an SQL condition on the
rows) is applied by the engine.

SystemFiles 1 (always in ``%SYS``) also lists the compiler adapter's system documents
(``atelier_api.adapters.system_library``) that no workspace document shadows, unless Mapped
is 0 (they live in the library databases, not in the namespace's own).

One statement may call the query many times: once per row of another table (a project
folder's listing calls it with each project item's name, ``atelier_api.sql.lateral``). Inside
``statement_scope()`` (the engine opens one per statement) the namespace is read once: the
first call takes a ``Snapshot`` of the store (its document names, walked once; a document's
entry, stat and ts, read when it first becomes a row and kept), later calls look their names
up in it by prefix, and a call with the same arguments as an earlier one (its Filter aside:
the engine applies it) gets the earlier rows. The scope ends with its statement, so the next
statement sees every document saved or deleted in between.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import fnmatch
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from atelier_api.adapters.system_library import SystemLibrary
from atelier_api.documents.model import DocInfo
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import InvalidName

COLUMNS = [("Name", "TEXT"), ("IsDirectory", "TEXT"), ("Type", "INTEGER"), ("Size", "INTEGER"),
           ("Date", "TEXT"), ("Description", "TEXT"), ("IconType", "INTEGER")]
DEFAULTS: list[Any] = ["*", 1, 1, 0, 0, 0, 0, "", 0, 1]
TYPES = {"mac": 0, "int": 1, "inc": 2, "bas": 3, "cls": 4, "prj": 8, "mvb": 11, "mvi": 12}
WEB_TYPE, PACKAGE_TYPE, WEB_FOLDER_TYPE, OTHER_TYPE = 5, 9, 10, 100
OTHER_MASK = ".other"


@dataclass(frozen=True)
class DialogArgs:
    """The arguments, normalised."""

    spec: str
    ascending: bool
    order_by: int
    system: bool
    flat: bool
    generated: bool
    filter: str
    mapped: bool = True


def dialog_args(args: list[Any]) -> DialogArgs:
    """Fill missing arguments with their defaults; numbers given as strings are accepted."""
    full = list(args) + DEFAULTS[len(args):]
    full = [DEFAULTS[i] if v is None or v == "" and i != 7 else v for i, v in enumerate(full)]
    return DialogArgs(str(full[0]), _num(full[1]) != 0, _num(full[2]), _num(full[3]) != 0,
                      _num(full[4]) != 0, _num(full[6]) != 0, str(full[7] or ""),
                      _num(full[9]) != 0)


def _num(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class Spec:
    """A parsed Spec: the folder (package with trailing '.', web path with trailing '/')."""

    folder: str
    web: bool
    masks: tuple[str, ...]
    excludes: tuple[str, ...]


def parse_spec(text: str) -> Spec:
    """Split a Spec into its folder, include masks and exclusions."""
    items = [i.strip() for i in text.split(",") if i.strip()] or ["*"]
    first = items[0]
    folder, web = "", False
    if "/" in first.lstrip("'"):
        head, _, tail = first.rpartition("/")
        web = head.startswith("/") or "/" in head or head == ""
        folder = (("/" + head.strip("/") + "/") if head.strip("/") else "/") if web else \
            head.strip(".") + "."
        items[0] = tail or "*"
    masks = tuple(i.lower() for i in items if not i.startswith("'"))
    excludes = tuple(i[1:].lower() for i in items if i.startswith("'"))
    return Spec(folder, web, masks or ("*",), excludes)


def _mask_hit(mask: str, doc: DocName, rel: str) -> bool:
    if mask == "*":
        return True
    if mask == "*.cspall":
        return doc.is_web
    if mask.endswith(OTHER_MASK):  # *.other, Pkg.*.other: "other" documents by name
        return doc.cat == "OTH" and fnmatch.fnmatchcase(rel.lower(), mask[:-len(OTHER_MASK)])
    if doc.is_web:
        return fnmatch.fnmatchcase(rel.lower(), mask.lstrip("/")) or fnmatch.fnmatchcase(
            doc.name.lower(), "/" + mask.lstrip("/"))
    return fnmatch.fnmatchcase(rel.lower(), mask)


def _relative(spec: Spec, doc: DocName) -> str | None:
    """The name below the spec's folder, or None when the document is elsewhere."""
    if not spec.folder:
        return doc.name.lstrip("/") if doc.is_web else doc.name
    if doc.is_web != spec.web:
        return None
    if spec.web and spec.folder == "/":
        return doc.name[1:]
    if doc.name.lower().startswith(spec.folder.lower()):
        return doc.name[len(spec.folder):]
    return None


def type_code(doc: DocName) -> int:
    """The StudioOpenDialog Type of a document."""
    if doc.is_web:
        return WEB_TYPE
    return TYPES.get(doc.ext, OTHER_TYPE)


def studio_open_dialog(store: DocumentStore, args: list[Any],
                       system: SystemLibrary | None = None) -> tuple[list[tuple[Any, ...]], str]:
    """(rows, filter condition) of a StudioOpenDialog call.

    A package or web folder is one row without date or size, so only the documents that
    become rows of their own are looked at on disk (stat, ts). Inside a statement scope the
    documents come from the statement's snapshot and equal calls share their rows."""
    opts = dialog_args(args)
    scope = _SCOPE.get()
    if scope is None:
        snapshot = Snapshot(store, opts.generated)
        try:
            return _dialog_rows(snapshot, opts, system), opts.filter
        finally:
            snapshot.close()
    key = (id(store), dataclasses.replace(opts, filter=""), system is not None)
    rows = scope.rows.get(key)
    if rows is None:
        rows = _dialog_rows(scope.snapshot(store, opts.generated), opts, system)
        scope.rows[key] = rows
    return list(rows), opts.filter


def _dialog_rows(snapshot: Snapshot, opts: DialogArgs, system: SystemLibrary | None
                 ) -> list[tuple[Any, ...]]:
    spec = parse_spec(opts.spec)
    store = snapshot.store
    listing = Listing(opts, spec, opts.system or store.namespace == "%SYS")
    prefixes = name_prefixes(spec)
    for n in snapshot.documents.select(prefixes):
        doc = snapshot.documents.docs[n]
        rel = listing.wants(doc)
        if rel is not None:
            listing.add(doc, rel, functools.partial(snapshot.info, n),
                        functools.partial(_size, store, doc))
    if system is not None and listing.system and opts.mapped:
        library = snapshot.system_docs(system)
        for n in library.select(prefixes):
            doc = library.docs[n]
            rel = listing.wants(doc)
            if rel is not None:
                listing.add(doc, rel, functools.partial(_known, library.entries[n]),
                            functools.partial(_system_size, system, doc.name))
    return _ordered(list(listing.rows.values()), opts)


# -- one statement's view of the namespace ---------------------------------------------------

class Names:
    """Document names in the order they were read, with a look-up by lower-case prefix.

    ``entries`` holds what each name came with (a listing entry or a call that reads it)."""

    def __init__(self, docs: list[DocName], entries: list[Any]) -> None:
        self.docs = docs
        self.entries = entries
        self._keys: list[tuple[str, int]] | None = None
        self._other: list[int] = []

    def select(self, prefixes: list[str] | None) -> Iterator[int]:
        """The numbers, in order, of the names that start with one of ``prefixes`` (lower
        case; None: every name), and of every name a prefix test cannot rule out (one that
        is not ASCII: its lower-case form may not split where its original does)."""
        if prefixes is None or not all(p.isascii() for p in prefixes):
            return iter(range(len(self.docs)))
        keys = self._index()
        found: set[int] = set(self._other)
        for prefix in set(prefixes):
            at = bisect.bisect_left(keys, (prefix, -1))
            while at < len(keys) and keys[at][0].startswith(prefix):
                found.add(keys[at][1])
                at += 1
        return iter(sorted(found))

    def _index(self) -> list[tuple[str, int]]:
        if self._keys is None:
            keys = []
            for n, doc in enumerate(self.docs):
                if doc.name.isascii():
                    keys.append((doc.name.lower(), n))
                else:
                    self._other.append(n)
            keys.sort()
            self._keys = keys
        return self._keys


class Snapshot:
    """The documents of a store at one moment: their names, walked once (with the generated
    documents when ``generated``), each one's entry (stat, ts) read when first asked for and
    kept, and the system documents no workspace document shadows."""

    def __init__(self, store: DocumentStore, generated: bool) -> None:
        self.store = store
        docs: list[DocName] = []
        calls: list[Callable[[], DocInfo | None]] = []
        for doc, info_of in store.lazy_list(generated=generated):
            docs.append(doc)
            calls.append(info_of)
        self.documents = Names(docs, calls)
        self._infos: dict[int, DocInfo | None] = {}
        self._system: Names | None = None

    def info(self, n: int) -> DocInfo | None:
        """The listing entry of document ``n`` (None: gone since the walk)."""
        if n not in self._infos:
            self._infos[n] = self.documents.entries[n]()
        return self._infos[n]

    def system_docs(self, system: SystemLibrary) -> Names:
        """The system documents that no document of the snapshot shadows, with their
        entries."""
        if self._system is None:
            found = _system_docs(system, {doc.name for doc in self.documents.docs})
            self._system = Names([doc for doc, _info in found], [info for _doc, info in found])
        return self._system

    def close(self) -> None:
        """Write the timestamps the entries read to the store's index."""
        self.store.index.flush()


@dataclass
class _Scope:
    """One statement's snapshots (by store and ``generated``) and StudioOpenDialog rows (by
    store and arguments, the Filter left out)."""

    snapshots: dict[tuple[int, bool], Snapshot] = field(default_factory=dict)
    rows: dict[tuple[Any, ...], list[tuple[Any, ...]]] = field(default_factory=dict)

    def snapshot(self, store: DocumentStore, generated: bool) -> Snapshot:
        key = (id(store), generated)
        found = self.snapshots.get(key)
        if found is None:
            found = self.snapshots[key] = Snapshot(store, generated)
        return found


_SCOPE: ContextVar[_Scope | None] = ContextVar("atelier_sql_statement_scope", default=None)


@contextlib.contextmanager
def statement_scope() -> Iterator[None]:
    """Read each namespace at most once (twice with its generated documents) while the
    block runs: one statement. Its calls run on the thread that opened the scope."""
    scope = _Scope()
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)
        for snapshot in scope.snapshots.values():
            snapshot.close()


def snapshot_of(store: DocumentStore) -> Snapshot:
    """The statement's snapshot of ``store`` without generated documents (a fresh one
    outside a statement scope)."""
    scope = _SCOPE.get()
    return Snapshot(store, False) if scope is None else scope.snapshot(store, False)


def name_prefixes(spec: Spec) -> list[str] | None:
    """Lower-case prefixes of the full names the spec's masks can match (None: any name).

    A document's name is the spec's folder and its name below it; a mask matches that
    relative name from its first character, a web mask also the whole path. A package folder
    holds no web files, a web folder nothing else."""
    folder = spec.folder.lower()
    web = spec.web or not folder
    plain = not spec.web or not folder
    out: list[str] = []
    for mask in spec.masks:
        if mask == "*.cspall":
            if web:
                out.append(folder or "/")
            continue
        if mask.endswith(OTHER_MASK):
            if plain:
                out.append(folder + _literal(mask[:-len(OTHER_MASK)]))
            continue
        if plain:
            out.append(folder + _literal(mask))
        if web:  # below a web folder a name starts with the folder, whichever way it matched
            bare = _literal(mask.lstrip("/"))
            out.append(folder + bare if folder else "/" + bare)
            whole = "/" + bare
            if folder and whole.startswith(folder):
                out.append(whole)
            elif folder and folder.startswith(whole):
                out.append(folder)
    return None if any(p == "" for p in out) else out


def _literal(mask: str) -> str:
    """The part of an fnmatch mask before its first wildcard."""
    for n, char in enumerate(mask):
        if char in "*?[":
            return mask[:n]
    return mask


@dataclass
class Listing:
    """The rows of one call, keyed by lower-case name and type (first one wins)."""

    opts: DialogArgs
    spec: Spec
    system: bool
    rows: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def wants(self, doc: DocName) -> str | None:
        """The name of ``doc`` below the spec's folder when the call lists it, else None."""
        rel = _relative(self.spec, doc)
        if rel is None or (not self.system and doc.name.startswith("%")):
            return None
        if doc.cat == "OTH" and not self.opts.flat and self.spec.folder:
            return None  # no package folders: one level lists them at the root only
        if not any(_mask_hit(m, doc, rel) for m in self.spec.masks):
            return None
        if any(_mask_hit(m, doc, rel) for m in self.spec.excludes):
            return None
        return rel

    def add(self, doc: DocName, rel: str, info_of: Callable[[], DocInfo | None],
            size_of: Callable[[DocInfo], int]) -> None:
        """The row of a listed document: its package or web-folder row in a one-level view,
        else its own row (its entry asked for only then)."""
        folder = None if self.opts.flat else _folder_row(doc, rel)
        if folder is not None:
            self.rows.setdefault(folder[0].lower() + f"\x00{folder[2]}", folder)
            return
        info = info_of()
        if info is None:  # gone since the folder was read
            return
        row = (doc.name if self.opts.flat else rel, "", type_code(doc), size_of(info), info.ts,
               "", 0)
        self.rows.setdefault(str(row[0]).lower() + f"\x00{row[2]}", row)


def _known(info: DocInfo) -> DocInfo:
    return info


def _system_docs(system: SystemLibrary, seen: set[str]) -> list[tuple[DocName, DocInfo]]:
    """The system documents no workspace document shadows, with their listing entries."""
    out = []
    for entry in system.entries():
        if entry.name in seen:
            continue
        try:
            doc = parse_name(entry.name)
        except InvalidName:
            continue
        out.append((doc, DocInfo(doc.name, doc.cat, entry.ts, True, entry.db)))
    return out


def _system_size(system: SystemLibrary, name: str, _info: DocInfo) -> int:
    return system.size(name)


def _folder_row(doc: DocName, rel: str) -> tuple[Any, ...] | None:
    """The package or web-folder row a document shows as in a one-level view, or None when
    the document is a row of its own there."""
    if doc.is_web:
        head, sep, _rest = rel.partition("/")
        return (head, "/", WEB_FOLDER_TYPE, 0, "", "", 0) if sep else None
    if doc.cat == "OTH":
        return None
    base = rel[: -(len(doc.ext) + 1)] if doc.ext else rel
    head, sep, _rest = base.partition(".")
    return (head, ".", PACKAGE_TYPE, 0, "", "", 0) if sep else None


def _size(store: DocumentStore, doc: DocName, info: DocInfo) -> int:
    """The size of a workspace document: its file's, or a generated document's text's."""
    if info.size >= 0:  # the listing's own stat
        return info.size
    if info.gen and store.compiled is not None:  # generated: its text's size
        made = store.compiled.generated(doc.name)
        return len(made.text.encode("utf-8", "surrogatepass")) if made else 0
    return 0


def _ordered(rows: list[tuple[Any, ...]], opts: DialogArgs) -> list[tuple[Any, ...]]:
    column = {2: 4, 3: 3}.get(opts.order_by)
    if column is None:
        rows.sort(key=lambda r: str(r[0]).lower(), reverse=not opts.ascending)
    else:
        rows.sort(key=lambda r: (r[column], str(r[0]).lower()), reverse=not opts.ascending)
    return rows
