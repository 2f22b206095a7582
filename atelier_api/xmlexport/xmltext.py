"""Writing and safely reading the XML text of an export (CDATA bodies, hostile-input guard)."""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET  # noqa: N817 - building only; parsing goes through defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from atelier_api.errors import BadRequest

Element = ET.Element
#: Characters XML 1.0 cannot carry at all (even escaped): C0 controls but tab/LF/CR, surrogates.
ILLEGAL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Element tags whose text is written as CDATA (code and other verbatim bodies).
CDATA_TAGS = frozenset({"Implementation", "Data", "SqlQuery", "Code", "UDL", "Routine", "CSP",
                        "Document"})


class XmlInputError(BadRequest):
    """XML input that is malformed or hostile (DTD, entity declarations, external entities)."""


class HostileXml(XmlInputError):
    """XML input with a DTD or entity declarations (billion laughs, XXE): always refused."""


class Unexportable(BadRequest):
    """A document whose text XML cannot carry (control characters XML 1.0 forbids)."""


def check_xml_safe(name: str, text: str) -> None:
    """Raise ``Unexportable`` when XML 1.0 cannot carry the text."""
    bad = ILLEGAL_CHARS.search(text)
    if bad:
        raise Unexportable(f"Document '{name}' cannot be exported as XML: it holds the "
                           f"character U+{ord(bad.group()):04X}, which XML 1.0 cannot carry")


#: The encodings the XML parser (expat) reads itself, by the names it knows them by (compared
#: case-insensitively). It asks Python's codecs for any other name the declaration gives.
PARSER_ENCODINGS = frozenset({"utf-8", "utf-16", "utf-16be", "utf-16le", "iso-8859-1",
                              "us-ascii"})
#: The first bytes of a document in UTF-16 (byte-order mark, or "<" as a UTF-16 unit)
UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
UTF8_BOM = codecs.BOM_UTF8


class UnreadableEncoding(XmlInputError):
    """An XML declaration naming an encoding the XML parser cannot read correctly."""


def _single_byte_ascii(name: str) -> bool:
    """True when ``name`` is a text encoding of one character per byte whose first 128
    bytes are ASCII: the only kind the XML parser can read through Python's codecs (it maps
    each byte to one character and reads the markup as ASCII)."""
    try:
        b"<".decode(name, "replace")  # LookupError: unknown, or a codec not for text
        decoder = codecs.getincrementaldecoder(name)("replace")
        for byte in range(256):
            char = decoder.decode(bytes((byte,)), False)
            if not isinstance(char, str) or len(char) != 1 or (byte < 128 and
                                                                ord(char) != byte):
                return False  # a multi-byte, shifting or escaping codec, or not ASCII
    except (LookupError, UnicodeError, ValueError, TypeError):
        return False
    return True


def check_declared_encoding(name: str | None, start: bytes = b"") -> None:
    """Raise ``UnreadableEncoding`` unless the XML parser reads the encoding the declaration
    of a document starting with ``start`` names correctly: one it knows itself (it checks the
    bytes agree), or a single-byte ASCII-compatible one in a document that is not UTF-16.
    After a UTF-8 byte-order mark only UTF-8 may be declared (expat would switch to the
    declared encoding and misread the text)."""
    utf16 = start.startswith(UTF16_STARTS)
    shown = (name or "")[:60].encode("unicode_escape").decode("ascii")
    if name is not None and start.startswith(UTF8_BOM) and name.lower() != "utf-8":
        raise UnreadableEncoding(f"XML input starts with a UTF-8 byte-order mark but declares "
                                 f"the encoding '{shown}'; declare UTF-8")
    if name is None or name.lower() in PARSER_ENCODINGS:
        return
    if not utf16 and _single_byte_ascii(name):
        return
    try:
        codecs.lookup(name)
    except LookupError:
        raise UnreadableEncoding(f"XML input declares the unknown encoding '{shown}'; send "
                                 "UTF-8 (or UTF-16)") from None
    if utf16:
        raise UnreadableEncoding(f"XML input is UTF-16 but declares the encoding '{shown}'; "
                                 "declare UTF-16, or send UTF-8")
    raise UnreadableEncoding(
        f"XML input declares the encoding '{shown}', which the XML parser cannot read: it "
        "reads UTF-8, UTF-16, ISO-8859-1 and US-ASCII, and other encodings only when they "
        "are single-byte and ASCII-compatible (such as windows-1252); send UTF-8")


#: deepest element nesting accepted (an export is a few levels deep; the limit keeps every
#: recursive walk of the tree far from Python's recursion limit, whatever it is set to)
MAX_DEPTH = 256


class _DepthLimited(ET.TreeBuilder):
    """A tree builder that refuses nesting deeper than ``MAX_DEPTH``."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise XmlInputError("XML input is not well-formed: nested too deeply "
                                f"(more than {MAX_DEPTH} levels)")
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def parse(data: bytes | str) -> ET.Element:
    """Parse XML text with entity expansion, DTDs and external entities refused.

    Bytes are decoded by the XML parser's own rules (byte-order mark, then the declaration's
    encoding); a declaration naming an encoding it cannot read is a 400 before it is used.
    Text (``str``) is already decoded, and its declaration's encoding is ignored.
    """
    parser = DefusedXMLParser(target=_DepthLimited(), forbid_dtd=True,
                              forbid_entities=True, forbid_external=True)
    if isinstance(data, bytes):
        start = data[:4]

        def declared(_version: str, encoding: str | None, _standalone: int) -> None:
            check_declared_encoding(encoding, start)

        # expat reports the declaration before it looks the encoding up
        parser.parser.XmlDeclHandler = declared
    try:
        parser.feed(data)
        root: ET.Element = parser.close()
        return root
    except DefusedXmlException as exc:
        raise HostileXml(
            "XML input rejected: document type declarations, entity declarations and "
            f"external entities are not accepted (entity-expansion/XXE protection): {exc}"
        ) from None
    except ET.ParseError as exc:
        raise XmlInputError(f"XML input is not well-formed: {exc}") from None
    except RecursionError:
        raise XmlInputError("XML input is not well-formed: nested too deeply") from None


def lines_to_body(lines: list[str]) -> str:
    """Body lines as CDATA text: a leading newline, then every line ended by a newline."""
    return "\n" + "".join(line + "\n" for line in lines)


def body_to_lines(text: str | None) -> list[str]:
    """Inverse of ``lines_to_body``; also reads IRIS bodies (leading newline optional)."""
    body = (text or "").removeprefix("\n")
    if not body:
        return []
    return body.removesuffix("\n").split("\n")


def escape_text(text: str) -> str:
    """Escape character data (``\\r`` kept as a reference so parsers do not fold it)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def escape_attr(text: str) -> str:
    """Escape an attribute value so it survives attribute-value normalisation."""
    return (escape_text(text).replace('"', "&quot;").replace("\n", "&#10;")
            .replace("\t", "&#9;"))


def cdata(text: str) -> str:
    """Text as CDATA section(s); ``]]>`` is split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def serialize(el: ET.Element, *, tail: bool = True, indent: str | None = None,
              code: bool = True) -> str:
    """Write an element: CDATA for code tags (not inside Storage, whose XML is kept as
    elements); ``indent`` pretty-prints structural levels."""
    attrs = "".join(f' {k}="{escape_attr(v)}"' for k, v in el.attrib.items())
    out = [f"<{el.tag}{attrs}"]
    children = list(el)
    if not children and el.text is None:
        out.append("/>")
    else:
        out.append(">")
        if el.text is not None:
            as_cdata = code and el.tag in CDATA_TAGS
            out.append(cdata(el.text) if as_cdata else escape_text(el.text))
        pretty = indent is not None and el.tag != "Storage" and el.text is None
        inner = None if indent is None else indent + " "
        for child in children:
            if pretty:
                out.append("\n" + (inner or ""))
            out.append(serialize(child, indent=inner if pretty else None,
                                 code=code and el.tag != "Storage"))
        if pretty and children:
            out.append("\n" + (indent or ""))
        out.append(f"</{el.tag}>")
    if tail and el.tail:
        out.append(escape_text(el.tail))
    return "".join(out)


def child(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    """Append a child element with optional text."""
    el = ET.SubElement(parent, tag, attrib)
    el.text = text
    return el
