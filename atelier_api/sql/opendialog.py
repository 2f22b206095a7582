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
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
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
    become rows of their own are looked at on disk (stat, ts)."""
    opts = dialog_args(args)
    listing = _Listing(opts, parse_spec(opts.spec), opts.system or store.namespace == "%SYS")
    seen: set[str] = set()
    for doc, info_of in store.lazy_list(generated=opts.generated):
        seen.add(doc.name)
        rel = listing.wants(doc)
        if rel is not None:
            listing.add(doc, rel, info_of, functools.partial(_size, store, doc))
    if system is not None and listing.system and opts.mapped:
        for doc, entry in _system_docs(system, seen):
            rel = listing.wants(doc)
            if rel is not None:
                listing.add(doc, rel, functools.partial(_known, entry),
                            functools.partial(_system_size, system, doc.name))
    return _ordered(list(listing.rows.values()), opts), opts.filter


@dataclass
class _Listing:
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
