"""Whole export documents: documents -> one ``<Export>`` text, and export text -> documents."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from atelier_api.documents import textcodec
from atelier_api.documents.names import DocName, is_text_web_file, parse_name
from atelier_api.xmlexport import document, xmltext
from atelier_api.xmlexport.document import DOC_TAGS, Item
from atelier_api.xmlexport.xmltext import XmlInputError

EXPORT_VERSION = "26"
_CLASS_LINE = re.compile(r"\s*Class\s+(%?[^\s\[{]+)")


@dataclass
class Parsed:
    """The documents of an export, and the tags of elements that hold no document we store."""

    items: list[Item] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def element_for(doc: DocName, data: bytes, webapp: str | None) -> xmltext.Element:
    """The export element of one document from its stored bytes."""
    lines, form = textcodec.decode(data)
    if doc.is_web:
        text = lines if is_text_web_file(doc) and form.encoding == "utf-8" and \
            not xmltext.ILLEGAL_CHARS.search("\n".join(lines)) else None
        app = webapp or doc.name.rsplit("/", 1)[0]
        return document.web_element(doc, app, data, text)
    xmltext.check_xml_safe(doc.name, "\n".join(lines))
    if doc.cat == "CLS":
        return document.class_element(doc.base, lines)
    if doc.cat == "RTN":
        return document.routine_element(doc, lines)
    return document.other_element(doc, lines)


def export_lines(elements: list[xmltext.Element], zv: str) -> list[str]:
    """Lines of one ``<Export>`` document holding the elements."""
    ts = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    head = (f'<Export generator="IRIS" version="{EXPORT_VERSION}" '
            f'zv="{xmltext.escape_attr(zv)}" ts="{ts}">')
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', head]
    parts.extend(xmltext.serialize(el, indent="") for el in elements)
    parts.append("</Export>")
    return "\n".join(parts).split("\n")


def parse_export(data: bytes | str) -> Parsed:
    """The documents inside an XML export (``XmlInputError`` when it is not one)."""
    root = xmltext.parse(data)
    if root.tag != "Export":
        raise XmlInputError(f"XML root element is <{root.tag}>, not <Export>")
    parsed = Parsed()
    for el in root:
        if el.tag in DOC_TAGS:
            parsed.items.append(document.read_element(el))
        else:
            parsed.skipped.append(el.tag)
    return parsed


def udl_file_item(file: str, lines: list[str]) -> Item:
    """A ``.cls``/``.mac``/``.int``/``.inc`` file sent as text: its document name from the text."""
    ext = file.rsplit(".", 1)[-1].lower()
    if ext == "cls":
        for line in lines:
            match = _CLASS_LINE.match(line)
            if match:
                name = match.group(1)
                return Item(parse_name(
                    (name if "." in name else "User." + name) + ".cls").name, lines)
        raise XmlInputError(f"'{file}' holds no 'Class' definition")
    header = lines[0].lstrip("\ufeff") if lines else ""
    match = document.ROUTINE_HEADER.match(header)
    if match is None:
        raise XmlInputError(f"'{file}' does not start with a 'ROUTINE name' header")
    kind = dict(document.header_attrs(header)).get("type", ext if ext != "rtn" else "mac")
    return Item(parse_name(f"{match.group(1)}.{kind.lower()}").name, lines)
