"""XML operations over a namespace's document store: export, convert, list and load."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from atelier_api.documents import textcodec
from atelier_api.documents.layout import Layout
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest, DocumentNotFound, InvalidName
from atelier_api.version import version_string
from atelier_api.xmlexport import export
from atelier_api.xmlexport.document import Item
from atelier_api.xmlexport.export import Parsed
from atelier_api.xmlexport.xmltext import Element, HostileXml, XmlInputError

UDL_FILE_EXTS = frozenset({"cls", "mac", "int", "inc", "rtn"})


def zv() -> str:
    """The ``zv`` attribute: this server's version string."""
    return version_string()


class XmlFormat:
    """The XML export format as a store uses it (``documents.extensions.ExportFormat``)."""

    def export_lines(self, layout: Layout, doc: DocName, data: bytes) -> list[str]:
        """GET doc ``format=xml``: one document as the lines of an export."""
        return export.export_lines([_element(layout, doc, data)], zv())

    def udl_lines(self, doc: DocName, lines: list[str]) -> list[str] | None:
        """PUT doc with export text: the UDL lines it holds; None for other content."""
        return udl_of_export(doc, lines) if looks_like_export(lines) else None


def _element(layout: Layout, doc: DocName, data: bytes) -> Element:
    app = layout.webapp_for(doc.name) if doc.is_web else None
    return export.element_for(doc, data, app.path if app else None)


def _stored_bytes(store: DocumentStore, raw: str) -> tuple[DocName, bytes]:
    doc = store.get(raw, binary=True)  # raises InvalidName / DocumentNotFound
    return parse_name(doc.name), textcodec.b64_join(list(doc.content))


class _Room:
    """What is left of an export's ``max_bytes``: gathering past it is a 400, before the
    export is built."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.left = max_bytes

    def take(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left < 0:
            raise BadRequest(f"The documents to export hold more than {self.max_bytes >> 20} "
                             "MB; export them in several requests")
        return data


def export_names(store: DocumentStore, names: Iterable[str], max_bytes: int) -> list[str]:
    """action/xml/export: the named documents as the lines of one export (400 when their
    contents hold more than ``max_bytes``)."""
    room = _Room(max_bytes)
    elements = []
    for raw in names:
        doc, data = _stored_bytes(store, raw)
        elements.append(_element(store.layout, doc, room.take(data)))
    return export.export_lines(elements, zv())


def convert_to_xml(store: DocumentStore, items: list[Any], max_bytes: int) -> list[str]:
    """cvt/doc/xml: names (read from the store) or ``{name, content[, enc]}`` objects (400
    when their contents hold more than ``max_bytes``)."""
    room = _Room(max_bytes)
    elements = []
    for item in items:
        if isinstance(item, str):
            doc, data = _stored_bytes(store, item)
        else:
            doc = parse_name(item["name"])
            content = item["content"]
            data = (textcodec.b64_join(content) if item.get("enc")
                    else textcodec.encode(content, None))
        elements.append(_element(store.layout, doc, room.take(data)))
    return export.export_lines(elements, zv())


def convert_to_udl(data: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """cvt/xml/doc: [{name, content}] of the documents in an export, and console notes."""
    parsed = export.parse_export(data)
    out = []
    for item in parsed.items:
        content, enc = item.content()
        out.append({"name": item.name, "content": content, **({"enc": True} if enc else {})})
    return out, _skipped_notes(parsed)


def _skipped_notes(parsed: Parsed) -> list[str]:
    return [f"Skipped <{tag}>: not a document type this server stores" for tag in parsed.skipped]


def read_file(file: str, lines: list[str]) -> Parsed:
    """The documents of an uploaded file: an XML export, or one UDL class/routine text."""
    ext = os.path.splitext(file)[1].lower().lstrip(".")
    if ext in UDL_FILE_EXTS:
        return Parsed([export.udl_file_item(file, lines)])
    if ext == "ro":
        raise XmlInputError("%RO routine files are not supported; export them as XML or UDL")
    return export.parse_export("\n".join(lines))


@dataclass(frozen=True)
class FileResult:
    """One entry of xml/list or xml/load."""

    file: str
    status: str
    documents: list[dict[str, str]] | None = None
    imported: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the entry."""
        out: dict[str, Any] = {"file": self.file, "status": self.status}
        if self.documents is not None:
            out["documents"] = self.documents
        if self.imported is not None:
            out["imported"] = self.imported
        return out


def _parse_or_status(file: str, lines: list[str]) -> tuple[Parsed | None, str]:
    """Parsed file, or a per-file status; hostile XML is refused for the whole request."""
    try:
        return read_file(file, lines), ""
    except HostileXml:
        raise
    except BadRequest as exc:
        return None, f"ERROR #{exc.code}: {exc.message}"


def list_files(store: DocumentStore, files: list[dict[str, Any]]) -> list[FileResult]:
    """action/xml/list: the documents of each file with their server ``ts`` (``-1``: absent)."""
    out = []
    for entry in files:
        parsed, status = _parse_or_status(entry["file"], entry["content"])
        docs = [] if parsed is None else [
            {"name": item.name, "ts": _ts_or_absent(store, item.name)} for item in parsed.items]
        out.append(FileResult(entry["file"], status, documents=docs))
    return out


def _ts_or_absent(store: DocumentStore, name: str) -> str:
    try:
        return store.ts_of(name)
    except (DocumentNotFound, InvalidName):
        return "-1"


def load_files(store: DocumentStore, files: list[dict[str, Any]]) -> list[FileResult]:
    """action/xml/load: save the selected documents of each file (no compile)."""
    out = []
    for entry in files:
        parsed, status = _parse_or_status(entry["file"], entry["content"])
        imported: list[str] = []
        if parsed is not None:
            wanted = _selection(entry.get("selected"))
            errors = [_save(store, item, imported) for item in parsed.items
                      if wanted is None or item.name.lower() in wanted]
            status = "\n".join(e for e in errors if e)
        out.append(FileResult(entry["file"], status, imported=imported))
    return out


def _selection(selected: list[str] | None) -> set[str] | None:
    if selected is None:
        return None
    names = set()
    for raw in selected:
        try:
            names.add(parse_name(raw).name.lower())
        except InvalidName:
            names.add(raw.lower())
    return names


def _save(store: DocumentStore, item: Item, imported: list[str]) -> str:
    """Write one document through the store's normal save path; its error text or ""."""
    content, enc = item.content()
    try:
        outcome = store.put(item.name, content, enc=enc, ignore_conflict=True)
    except BadRequest as exc:
        return exc.text
    if outcome.doc.status:
        return outcome.doc.status
    imported.append(item.name)
    return ""


def looks_like_export(lines: list[str]) -> bool:
    """True when PUT doc content is XML export text rather than UDL."""
    first = next((line.lstrip("\ufeff \t") for line in lines if line.strip()), "")
    return first.startswith(("<?xml", "<Export"))


def udl_of_export(doc: DocName, lines: list[str]) -> list[str]:
    """PutDoc with XML export content: the UDL lines of the document it holds.

    The document named like the target wins; a single other document is returned as is (the
    store's header check then reports the name mismatch); malformed XML or an export without
    documents leaves the text unchanged (the store reports it as an unrecognized format).
    Hostile XML (DTD, entities) raises ``HostileXml`` (400).
    """
    try:
        items = export.parse_export("\n".join(lines)).items
    except HostileXml:
        raise
    except XmlInputError:
        return lines
    texts = [item for item in items if item.lines is not None]
    match = [item for item in texts if item.name.lower() == doc.name.lower()]
    chosen = match or (texts if len(texts) == 1 else [])
    return list(chosen[0].lines or []) if chosen else lines
