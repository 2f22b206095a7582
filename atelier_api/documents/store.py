"""The document store of one namespace: reads, compare-and-swap saves, deletes and listings."""

from __future__ import annotations

import binascii
import builtins
import contextlib
import fnmatch
import functools
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from atelier_api.documents import declared, textcodec, udl
from atelier_api.documents.extensions import CompileRecord, ExportFormat
from atelier_api.documents.fsutil import (
    TEMP_PREFIX,
    NotRegularFile,
    atomic_write,
    case_twin_along,
    is_inside,
    open_regular,
    remove_durably,
)
from atelier_api.documents.layout import SKIPPED_DIRS, Layout
from atelier_api.documents.model import DeleteOutcome, DocInfo, Document, PutOutcome
from atelier_api.documents.modified import Snapshots, crhash
from atelier_api.documents.namemap import NameMap, name_at
from atelier_api.documents.names import DocName, is_text_web_file, parse_name
from atelier_api.documents.roformat import RO_FORMAT, ro_lines
from atelier_api.documents.texts import (
    SourceText,
    TextStore,
    source_text,
    source_text_of_lines,
)
from atelier_api.documents.tsindex import TsIndex, format_ts, parse_ts
from atelier_api.errors import BadRequest, Conflict, DocumentNotFound, InvalidName

FORMATS = ("udl", "udl-multiline", "xml", RO_FORMAT)
_LOCK_STRIPES = 64


@dataclass(frozen=True)
class Located:
    """A document name that passed the gate, with its root-relative and absolute paths."""

    doc: DocName
    rel: str
    path: str


@dataclass(frozen=True)
class ListQuery:
    """What a listing asks for: categories, extensions, generated docs and a name filter."""

    cats: frozenset[str] | None = None
    exts: frozenset[str] | None = None
    generated: bool = False
    filter: str = ""


class DocumentStore:
    """Documents of one namespace, kept as files under ``root`` in the client's layout."""

    def __init__(
        self, namespace: str, root: str, layout: Layout, db: str, index: TsIndex,
        new_eol: str = "\n",
    ) -> None:
        self.namespace = namespace
        self.root = os.path.abspath(root)
        self.root_real = os.path.realpath(self.root)
        self.layout = layout
        self.db = db
        self.index = index
        self.new_eol = new_eol
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        #: document names of the files, from their headers (atelier_api.documents.namemap)
        self.names = NameMap(self.root, layout, index)
        self.snapshots = Snapshots()
        #: decoded texts per file version, for compile reads and the search corpus
        #: (atelier_api.documents.texts: what it holds and its freshness rule)
        self.texts = TextStore(index)
        self.crhash = crhash(self.root_real)
        #: changes taken in from other programs (watcher, reset): a counter and the callbacks
        #: of derived data, called with the changed root-relative paths
        self.generation = 0
        self.listeners: list[Callable[[list[str]], None]] = []
        #: the watcher that takes in this root's changes while it runs
        #: (atelier_api.sandbox.watcher); None: nobody watches, derived caches must stat the
        #: files themselves
        self.watched: object | None = None
        #: the in-memory texts that searches run over (atelier_api.search.corpus), made by
        #: the first search
        self.search_corpus: object | None = None
        #: compile state (``upd``, generated documents); attached by atelier_api.compile.service
        self.compiled: CompileRecord | None = None
        #: the XML export format (``GET doc?format=xml``, PUT of export text); attached by
        #: the service container (atelier_api.xmlexport.service.XmlFormat)
        self.export_format: ExportFormat | None = None

    # -- the gate ---------------------------------------------------------------------------
    def locate(self, raw: str) -> Located:
        """Validate a name and map it to a path inside the root, or raise ``InvalidName``:
        the file that declares the document, else where a new one goes."""
        doc = parse_name(raw)
        if doc.is_web:
            rel = self.layout.to_path(doc)
        else:
            self.map_names()
            rel = self.names.locate(doc)
        if doc.is_web or self.names.resolve(doc.name) != rel:  # not a file the walk found
            _refuse_links(self.root, rel, raw)
        path = os.path.join(self.root, *rel.split("/"))
        if not is_inside(self.root_real, path):
            raise InvalidName(raw, "it would resolve outside the namespace root")
        return Located(doc, rel, path)

    def _lock(self, rel: str) -> threading.Lock:
        return self._locks[hash(rel.lower()) % _LOCK_STRIPES]

    @staticmethod
    def _read(path: str) -> tuple[bytes, os.stat_result] | None:
        """The bytes and stat of a regular file; None when there is nothing there. A FIFO,
        socket, device or link is never opened for reading: ``InvalidName``."""
        try:
            with open_regular(path) as handle:
                return handle.read(), os.fstat(handle.fileno())
        except NotRegularFile as exc:
            if os.path.isdir(path) and not os.path.islink(path):
                return None  # a folder: no document (a GET says 404, a PUT refuses it)
            raise InvalidName(os.path.basename(path), f"{exc.strerror}, not a document "
                                                      "file") from None
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def upd(self, doc: DocName, ts: int = 0) -> bool:
        """Up-to-date state: nothing to compile counts as up to date; a compilable document
        is up to date while its text (``ts``) is the one that compiled last."""
        if not doc.is_compilable:
            return True
        return self.compiled is not None and self.compiled.is_current(doc.name, ts)

    def _generated(self, loc: Located) -> tuple[bytes, int]:
        """A generated document (kept in the compile state, never on disk), or a 404."""
        gen = self.compiled.generated(loc.doc.name) if self.compiled is not None else None
        if gen is None:
            raise DocumentNotFound(loc.doc.name, loc.doc.cat)
        return gen.text.encode("utf-8", "surrogatepass"), gen.ts

    # -- reads ------------------------------------------------------------------------------
    def get(
        self, raw: str, *, binary: bool = False, fmt: str = "udl", storage_only: bool = False
    ) -> Document:
        """Read a document as text lines or base64 chunks."""
        if fmt not in FORMATS:
            raise BadRequest(f"Unsupported format '{fmt}'; supported: {', '.join(FORMATS)}")
        loc = self.locate(raw)
        # under the document's lock: a read racing a save must not record its older
        # version after the save's, or the saver's fresh ts would turn stale (false 409)
        with self._lock(loc.rel):
            current = self._read(loc.path)
            if current is None:
                data, ts = self._generated(loc)
            else:
                data, st = current
                ts = self.index.record_read(loc.rel, st, data)
        self.index.flush()
        doc = self._render(loc.doc, data, ts, binary=binary, fmt=fmt, storage_only=storage_only)
        return doc if current is not None else _replace(doc, gen=True)

    def _render(
        self, doc: DocName, data: bytes, ts: int, *, binary: bool = False, fmt: str = "udl",
        storage_only: bool = False,
    ) -> Document:
        lines, form = textcodec.decode(data)
        as_binary = binary or (doc.is_web and (
            not is_text_web_file(doc) or form.encoding != "utf-8"))
        base = Document(doc.name, doc.cat, self.db, format_ts(ts), self.upd(doc, ts))
        if as_binary:
            return _replace(base, enc=True, content=textcodec.b64_chunks(data))
        if fmt == "xml":  # the document as one XML export (atelier_api.xmlexport)
            return _replace(base, content=self._export_format().export_lines(
                self.layout, doc, data))
        if fmt == RO_FORMAT:  # a routine in the legacy %RO export form (documents.roformat)
            return _replace(base, content=ro_lines(doc, lines, base.ts))
        if doc.ext == "cls" and storage_only:
            return _replace(base, flags=1, content=udl.storage_section(lines))
        if doc.ext == "cls" and fmt == "udl-multiline":
            lines = udl.to_multiline(lines)
        return _replace(base, content=declared.present(doc, lines))

    def _export_format(self) -> ExportFormat:
        if self.export_format is None:
            raise BadRequest("The XML export format is not available for this namespace")
        return self.export_format

    def text_of(self, raw: str) -> SourceText | None:
        """A document's text lines, ts and digest as a compile reads them (the content of a
        plain GET); None when there is no such document, on disk or generated.

        Meant for documents that are not web files. A file whose version the index vouches for
        without reading it (same signature, settled) comes from the text store (``texts``); any
        other is read, recorded and decoded as GET does, and handed to the text store.
        """
        loc = self.locate(raw)
        with self._lock(loc.rel):  # see get()
            held = self.texts.served(loc.rel, loc.path)
            if held is not None:
                return _presented(loc.doc, held)
            current = self._read(loc.path)
            if current is not None:
                data, st = current
                text = self.texts.keep(loc.rel, data, st,
                                       self.index.record_read(loc.rel, st, data))
        self.index.flush()
        if current is not None:
            return _presented(loc.doc, text)
        try:
            data, ts = self._generated(loc)
        except DocumentNotFound:
            return None
        return source_text(data, ts)

    def ts_of(self, raw: str) -> str:
        """The current ``ts`` of a document (HEAD); raises when it does not exist."""
        loc = self.locate(raw)
        with self._lock(loc.rel):  # see get()
            try:
                st = os.stat(loc.path)
            except (FileNotFoundError, NotADirectoryError):
                return format_ts(self._generated(loc)[1])
            if not stat.S_ISREG(st.st_mode):  # a folder is no document (GET agrees: 404)
                raise DocumentNotFound(loc.doc.name, loc.doc.cat)
            ts = self.index.ts_of(loc.rel, st, lambda: _read_bytes(loc.path))
        self.index.flush()
        return format_ts(ts)

    def exists(self, loc: Located) -> bool:
        """True when the located document is a file (not a folder) or a generated document:
        what ``ts_of`` answers rather than a 404, without reading or recording anything."""
        if os.path.isfile(loc.path):
            return True
        return self.compiled is not None and self.compiled.generated(loc.doc.name) is not None

    def get_many(self, names: Iterable[str]) -> list[Document]:
        """GET /docs: each document, or a soft error in its ``status``."""
        out = []
        for raw in names:
            try:
                out.append(self.get(raw))
            except (InvalidName, DocumentNotFound) as exc:
                out.append(Document(str(raw), "", status=exc.text, content=[]))
        return out

    # -- writes -----------------------------------------------------------------------------
    def put(
        self, raw: str | Located, content: list[str], *, enc: bool = False,
        if_match: str | None = None, ignore_conflict: bool = False,
    ) -> PutOutcome:
        """Save under the per-document lock: conflict check and write are one step.

        ``raw`` is a name, or what ``locate`` made of one (the gate is not passed twice).
        """
        loc = raw if isinstance(raw, Located) else self.locate(raw)
        lines, data = self._incoming(loc.doc, content, enc)
        sent = lines if data is None else None
        if data is None and loc.doc.cat in ("CLS", "RTN") and self.export_format is not None:
            udl_lines = self.export_format.udl_lines(loc.doc, lines or [])  # export text (v2+)
            if udl_lines is not None:
                lines = udl_lines
        problem = udl.header_problem(loc.doc, lines) if lines is not None else None
        with self._lock(loc.rel):
            current = self._read(loc.path)
            if current is not None and sent is not None and sent == declared.present(
                    loc.doc, textcodec.decode(current[0])[0]):
                # what a GET showed, sent back: never a change, never an error (whatever the
                # file's own form)
                ts = self.index.record_read(loc.rel, current[1], current[0])
                self.index.flush()
                return PutOutcome(self._saved(loc.doc, ts), False)
            if problem:
                return PutOutcome(Document(loc.doc.name, loc.doc.cat, status=problem), False,
                                  (problem,))
            if current is None:
                return self._create(loc, lines, data)
            return self._update(loc, lines, data, current, if_match, ignore_conflict)

    def _incoming(
        self, doc: DocName, content: list[str], enc: bool
    ) -> tuple[list[str] | None, bytes | None]:
        """(text lines, exact bytes): lines for text saves, bytes for base64 saves."""
        if not enc:
            return list(content), None
        try:
            data = textcodec.b64_join(content)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(f"content is not valid base64: {exc}") from None
        lines = textcodec.decode(data)[0] if doc.cat in ("CLS", "RTN") else None
        return lines, data

    def _create(self, loc: Located, lines: list[str] | None, data: bytes | None) -> PutOutcome:
        if os.path.lexists(loc.path):  # a folder or special file: never replace it
            raise InvalidName(loc.doc.name, "a folder or non-regular file holds its path")
        twin = case_twin_along(self.root, loc.rel)
        if twin:
            other = os.path.relpath(twin, self.root).replace(os.sep, "/")
            raise BadRequest(f"Document '{loc.doc.name}' differs only in letter case from the "
                             f"existing '{other}'")
        if data is None:
            data = textcodec.encode(lines or [], None, self.new_eol)
        try:
            return PutOutcome(self._write(loc, data, None, created=True), True)
        except (FileExistsError, NotADirectoryError):  # a file where a folder would be
            raise InvalidName(loc.doc.name, "a file stands where its folder would be") from None

    def _update(
        self, loc: Located, lines: list[str] | None, data: bytes | None,
        current: tuple[bytes, os.stat_result], if_match: str | None, ignore_conflict: bool,
    ) -> PutOutcome:
        old, st = current
        cur_ts = self.index.record_read(loc.rel, st, old)
        if data is None:
            decoded = textcodec.decode(old)
            if loc.doc.ext == "cls":
                lines = udl.collapse_multiline(lines or [], decoded[0])
            lines = declared.to_stored(loc.doc, lines or [], decoded[0])
            data = textcodec.encode(lines, old, self.new_eol, decoded=decoded)
        stale = not ignore_conflict and (if_match is None or parse_ts(if_match) != cur_ts)
        if data == old:  # nothing changes: never a conflict, never a new ts
            self.index.flush()
            return PutOutcome(self._saved(loc.doc, cur_ts), False)
        if stale:
            self.index.flush()
            server = self._render(loc.doc, old, cur_ts)
            raise Conflict(
                f"Document '{loc.doc.name}' has been changed on the server since "
                f"{if_match or 'it was last read'} (server ts {format_ts(cur_ts)})",
                result=server.to_dict(),
            )
        return PutOutcome(self._write(loc, data, cur_ts, stat.S_IMODE(st.st_mode)), False)

    def _write(self, loc: Located, data: bytes, prev_ts: int | None,
               mode: int | None = None, *, created: bool = False) -> Document:
        st = atomic_write(loc.path, data, mode)
        if created and not loc.doc.is_web:
            self.names.record(loc.rel, loc.doc, st)
        ts = self.index.record_write(loc.rel, st, data, prev_ts)
        self.index.flush()
        return self._saved(loc.doc, ts)

    def _saved(self, doc: DocName, ts: int) -> Document:
        return Document(doc.name, doc.cat, self.db, format_ts(ts), self.upd(doc, ts),
                        content=[])

    def delete(self, raw: str) -> Document:
        """Delete one document; its ``ts`` becomes ``""``."""
        loc = self.locate(raw)
        with self._lock(loc.rel):
            if not os.path.isfile(loc.path):
                if self.compiled is not None and self.compiled.drop_generated(loc.doc.name):
                    return Document(loc.doc.name, loc.doc.cat, self.db, "", False, content=[])
                raise DocumentNotFound(loc.doc.name, loc.doc.cat)
            remove_durably(loc.path, self.root)
            self.names.forget(loc.rel)
            self.index.record_delete(loc.rel)
            self.index.flush()
            if self.compiled is not None:  # its generated documents go with it
                self.compiled.drop_source(loc.doc.name)
        return Document(loc.doc.name, loc.doc.cat, self.db, "", False, content=[])

    def delete_many(self, names: Iterable[str]) -> list[DeleteOutcome]:
        """DELETE /docs: per-item status, ``db`` naming where each was deleted from."""
        out = []
        for raw in names:
            try:
                doc = self.delete(raw)
                out.append(DeleteOutcome(doc.name, self.db, ""))
            except (InvalidName, DocumentNotFound) as exc:
                out.append(DeleteOutcome(str(raw), "", exc.text))
        return out

    # -- changes made by other programs (watcher, reset) ------------------------------------
    def on_external_change(self, relpaths: Iterable[str]) -> list[str]:
        """Take in files another program changed: refresh each ts under the document's lock
        (the server's own writes are known and skipped), then tell the listeners.

        Returns the paths whose document really changed, appeared or disappeared.
        """
        changed = [rel for rel in relpaths if self._take_in(rel)]
        if changed:
            self.index.flush()
            self.generation += 1
            for listener in list(self.listeners):
                listener(changed)
        return changed

    def _take_in(self, rel: str) -> bool:
        path = os.path.join(self.root, *rel.split("/"))
        with self._lock(rel):
            try:
                st: os.stat_result | None = os.stat(path)
            except (FileNotFoundError, NotADirectoryError):
                st = None
            if st is not None and not stat.S_ISREG(st.st_mode):
                st = None
            renamed = self.names.built and self.names.refresh(rel, st)
            return self.index.refresh(rel, st, lambda: _read_bytes(path)) or renamed

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold every document's lock: no save or delete runs meanwhile (reset)."""
        for lock in self._locks:
            lock.acquire()
        try:
            yield
        finally:
            for lock in reversed(self._locks):
                lock.release()

    # -- listings ---------------------------------------------------------------------------
    def list(self, query: ListQuery = ListQuery()) -> list[DocInfo]:
        """Every document under the root that matches the query, sorted by name."""
        out: list[DocInfo] = []
        match = _name_matcher(query.filter)
        for rel, path, doc in self.walk():
            if query.cats is not None and doc.cat not in query.cats:
                continue
            if query.exts is not None and doc.ext not in query.exts:
                continue
            if match is not None and not match(doc.name):
                continue
            info = self._info(rel, path, doc)
            if info is not None:
                out.append(info)
        if query.generated and self.compiled is not None:
            out.extend(self._generated_infos(query, match, {info.name for info in out}))
        self.index.flush()
        out.sort(key=lambda info: info.name)
        return out

    def _info(self, rel: str, path: str, doc: DocName) -> DocInfo | None:
        """The listing entry of one document file; None when it is gone."""
        with self._lock(rel):  # see get()
            try:
                st = os.stat(path)
            except FileNotFoundError:
                return None
            ts = self.index.ts_of(rel, st, functools.partial(_read_bytes, path))
        return DocInfo(doc.name, doc.cat, format_ts(ts), self.upd(doc, ts), self.db,
                       size=st.st_size)

    def lazy_list(self, generated: bool = False
                  ) -> Iterator[tuple[DocName, Callable[[], DocInfo | None]]]:
        """Every document's name (unsorted) with a call that gives its listing entry, for
        listings that need the entry (a stat, the ts) of only some documents: a folder view
        shows a whole package as one row."""
        seen: set[str] = set()
        for rel, path, doc in self.walk():
            seen.add(doc.name)
            yield doc, functools.partial(self._info, rel, path, doc)
        if generated and self.compiled is not None:
            for gen in self._generated_infos(ListQuery(generated=True), None, seen):
                yield parse_name(gen.name), functools.partial(_known, gen)
        self.index.flush()

    def _generated_infos(self, query: ListQuery, match: Callable[[str], bool] | None,
                         seen: set[str]) -> Iterator[DocInfo]:
        """Listing entries of the generated documents that match the query (``gen`` true)."""
        assert self.compiled is not None
        for gen in self.compiled.generated_docs():
            doc = parse_name(gen.name)
            if doc.name in seen or (query.cats is not None and doc.cat not in query.cats):
                continue
            if (query.exts is not None and doc.ext not in query.exts) or (
                    match is not None and not match(doc.name)):
                continue
            yield DocInfo(doc.name, doc.cat, format_ts(gen.ts), True, self.db, True)

    def walk(self) -> Iterable[tuple[str, str, DocName]]:
        """(relative path, absolute path, name) of every file that serves a document: a full
        walk of the root, taken into the name map (files that appeared or went away)."""
        files = self._document_files()
        rels = [rel for rel, _path in files]
        if self.names.built:
            self.names.sync(rels)
        else:
            self.names.build(rels)
        check = self.watched is None  # nobody reports changed headers: stat for them
        name_of = self.names.name_of
        for rel, path in files:
            if check and not self.layout.is_web_path(rel):
                try:
                    self.names.verify(rel, os.stat(path))
                except OSError:
                    continue
            doc = name_of(rel)
            if doc is not None:
                yield rel, path, doc

    def map_names(self) -> None:
        """Build the name map with a walk of the root, once."""
        if not self.names.built:
            self.names.build([rel for rel, _path in self._document_files()])

    def name_of(self, rel: str) -> DocName | None:
        """The document a root-relative file serves (None: none, or a duplicate)."""
        if self.layout.is_web_path(rel):
            return self.layout.to_name(rel)
        self.map_names()
        return self.names.name_of(rel)

    def describe_path(self, rel: str) -> DocName | None:
        """What a file declares (mapped, served or not; else read from disk), for messages
        about files that may be gone by now."""
        mapped = self.names.declared_by(rel)
        return mapped if mapped is not None else name_at(self.root, self.layout, rel)

    def duplicates(self) -> dict[str, builtins.list[str]]:
        """Document names declared by more than one file (served path first)."""
        self.map_names()
        return self.names.duplicates()

    def _document_files(self) -> builtins.list[tuple[str, str]]:
        """(root-relative, absolute) paths of every regular file that holds a document."""
        out: builtins.list[tuple[str, str]] = []
        stack = [("", self.root)]
        holds = self.layout.holds_document
        while stack:
            rel_dir, abs_dir = stack.pop()
            try:
                entries = list(os.scandir(abs_dir))
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                continue
            for entry in entries:
                leaf = entry.name
                if entry.is_dir(follow_symlinks=False):
                    if leaf in SKIPPED_DIRS:
                        continue
                    if leaf[0] == "." and not self.layout.is_web_folder(rel_dir + leaf):
                        continue
                    stack.append((rel_dir + leaf + "/", entry.path))
                elif leaf.startswith(TEMP_PREFIX) or not entry.is_file(follow_symlinks=False):
                    continue
                elif holds(rel_dir + leaf):
                    out.append((rel_dir + leaf, entry.path))
        return out


def _presented(doc: DocName, text: SourceText) -> SourceText:
    """A compile's view of a routine stored without its UDL header (``%RO`` or bare)."""
    lines = declared.present(doc, list(text.lines))
    if len(lines) == len(text.lines) and (not lines or lines[0] == text.lines[0]):
        return text
    return source_text_of_lines(lines, text.ts)


def _refuse_links(root: str, rel: str, raw: str) -> None:
    """``InvalidName`` when a folder on the way to ``rel`` (or ``rel`` itself) is a symbolic
    link: a file reached through a link back into the root would get a second name."""
    path = root
    for part in rel.split("/"):
        path = os.path.join(path, part)
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                raise InvalidName(raw, f"its path goes through the symbolic link "
                                       f"'{os.path.relpath(path, root)}'")
        except (FileNotFoundError, NotADirectoryError):
            return


def _known(info: DocInfo) -> DocInfo:
    """A generated document's entry, known already (for ``lazy_list``)."""
    return info


def _read_bytes(path: str) -> bytes:
    try:
        with open_regular(path) as handle:
            return handle.read()
    except OSError:
        return b""


def _name_matcher(text: str):  # type: ignore[no-untyped-def]
    """docnames ``filter``: a glob when it has ``*``/``?``, else a substring; case-insensitive."""
    if not text:
        return None
    needle = text.lower()
    if "*" in needle or "?" in needle:
        return lambda name: fnmatch.fnmatchcase(name.lower(), needle)
    return lambda name: needle in name.lower()


def _replace(doc: Document, **changes: object) -> Document:
    from dataclasses import replace

    return replace(doc, **changes)  # type: ignore[arg-type]
