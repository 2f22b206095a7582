"""Writing and safely reading the XML text of an export (CDATA bodies, hostile-input guard)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: N817 - building only; parsing goes through defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _safe_fromstring

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


def parse(data: bytes | str) -> ET.Element:
    """Parse XML text with entity expansion, DTDs and external entities refused."""
    try:
        root: ET.Element = _safe_fromstring(data, forbid_dtd=True, forbid_entities=True,
                                            forbid_external=True)
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
