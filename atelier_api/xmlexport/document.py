"""One document <-> its element of the XML export (class, routine, web file, other)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from atelier_api.documents import textcodec
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.udlscan import Unmappable
from atelier_api.errors import InvalidName
from atelier_api.xmlexport import classes, classtext, xmltext
from atelier_api.xmlexport.xmltext import Element, XmlInputError

ROUTINE_HEADER = re.compile(r"ROUTINE ([^\s\[]+)(?: \[(.*)\])?")
DOC_TAGS = ("Class", "Routine", "CSP", "CSPBase64", "Document")


@dataclass(frozen=True)
class Item:
    """A document read from an export: text lines, or exact bytes for base64 web files."""

    name: str
    lines: list[str] | None = None
    data: bytes | None = None

    def content(self) -> tuple[list[str], bool]:
        """(content, enc) as a PUT body carries them."""
        if self.data is not None:
            return textcodec.b64_chunks(self.data) or [""], True
        return list(self.lines or []), False


# -- document -> element ----------------------------------------------------------------------
def class_element(class_name: str, lines: list[str]) -> Element:
    """Structured form when it rebuilds the text exactly, else the verbatim ``<UDL>`` form."""
    try:
        el = classes.to_element(class_name, lines)
        again = xmltext.parse(xmltext.serialize(el))
        if classtext.to_lines(again) == lines:
            return el
    except (Unmappable, XmlInputError, IndexError, ValueError, RecursionError):
        pass
    return classes.verbatim_element(class_name, lines)


def routine_element(doc: DocName, lines: list[str]) -> Element:
    """``<Routine name type languagemode>`` with the text below the ROUTINE header line."""
    header = lines[0] if lines else ""
    attrs = dict(header_attrs(header))
    el = Element("Routine", {"name": doc.base, "type": doc.ext.upper(),
                             "languagemode": attrs.get("languagemode", "0")})
    if header != routine_header(el):
        el.set("header", header)  # extension: the header line as written, kept verbatim
    el.text = xmltext.lines_to_body(lines[1:])
    return el


def header_attrs(header: str) -> list[tuple[str, str]]:
    match = ROUTINE_HEADER.fullmatch(header)
    if match is None or not match.group(2):
        return []
    pairs = (item.partition("=") for item in match.group(2).split(","))
    return [(k.strip().lower(), v.strip()) for k, _, v in pairs]


def routine_header(el: Element) -> str:
    """The ROUTINE line a ``<Routine>`` element stands for."""
    if el.get("header") is not None:
        return el.get("header", "")
    kind, mode = el.get("type", "MAC").upper(), el.get("languagemode", "0")
    attrs = ([] if kind == "MAC" else [f"Type={kind}"]) + (
        [] if mode == "0" else [f"LanguageMode={mode}"])
    return f"ROUTINE {el.get('name')}" + (f" [{','.join(attrs)}]" if attrs else "")


def web_element(doc: DocName, app: str, data: bytes, text: list[str] | None) -> Element:
    """``<CSP>`` (text as CDATA) or ``<CSPBase64>`` (exact bytes), named inside ``app``."""
    app = app.rstrip("/") + "/"
    attrs = {"name": doc.name[len(app):], "application": app, "default": "1"}
    if text is not None:
        el = Element("CSP", attrs)
        el.text = xmltext.lines_to_body(text)
        return el
    el = Element("CSPBase64", attrs)
    el.text = "\n" + "\n".join(textcodec.b64_chunks(data)) + "\n"
    return el


def other_element(doc: DocName, lines: list[str]) -> Element:
    """Extension: another document type as ``<Document name>`` with its text as CDATA."""
    el = Element("Document", {"name": doc.name})
    el.text = xmltext.lines_to_body(lines)
    return el


# -- element -> document ----------------------------------------------------------------------
def read_element(el: Element) -> Item:
    """The document an export element holds; raises ``XmlInputError`` when it is unusable."""
    try:
        return _READERS[el.tag](el)
    except InvalidName as exc:
        raise XmlInputError(f"<{el.tag}> names an invalid document: {exc.message}") from None
    except RecursionError:
        raise XmlInputError(f"<{el.tag}> is nested too deeply") from None


def _read_class(el: Element) -> Item:
    name = _required(el, "name")
    return Item(parse_name(name + ".cls").name, classtext.to_lines(el))


def _read_routine(el: Element) -> Item:
    name, kind = _required(el, "name"), (el.get("type") or "MAC").lower()
    doc = parse_name(f"{name}.{kind}")
    return Item(doc.name, [routine_header(el), *xmltext.body_to_lines(el.text)])


def _read_csp(el: Element) -> Item:
    doc = parse_name(_web_name(el))
    if el.tag == "CSP":
        return Item(doc.name, xmltext.body_to_lines(el.text))
    try:
        data = base64.b64decode("".join((el.text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise XmlInputError(f"<CSPBase64 name='{doc.name}'> is not valid base64: {exc}") from None
    return Item(doc.name, data=data)


def _web_name(el: Element) -> str:
    name = _required(el, "name")
    app = el.get("application") or ""
    return name if not app or name.startswith("/") else app.rstrip("/") + "/" + name


def _read_other(el: Element) -> Item:
    return Item(parse_name(_required(el, "name")).name, xmltext.body_to_lines(el.text))


def _required(el: Element, attr: str) -> str:
    value = el.get(attr)
    if not value:
        raise XmlInputError(f"<{el.tag}> element without a '{attr}' attribute")
    return value


_READERS = {"Class": _read_class, "Routine": _read_routine, "CSP": _read_csp,
            "CSPBase64": _read_csp, "Document": _read_other}
