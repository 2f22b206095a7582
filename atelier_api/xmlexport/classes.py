"""Class text (UDL) <-> the structured ``<Class>`` element of the XML export format.

``to_element`` maps a class written in the canonical UDL layout member by member; anything it
cannot carry exactly raises ``Unmappable`` and the caller falls back to the verbatim
``<UDL>`` form. ``classtext.to_lines`` rebuilds the text from either form.
"""

from __future__ import annotations

import re

from atelier_api.documents.udlscan import (
    Mode,
    Unmappable,
    closing,
    expect,
    parse_keywords,
    parse_name_list,
    split_keywords_tail,
    split_type,
    to_formal_spec,
)
from atelier_api.xmlexport import xmltext
from atelier_api.xmlexport.xmltext import Element, child

_PREAMBLE = {"Import": "Import", "Include": "IncludeCode", "IncludeGenerator": "IncludeGenerator"}
PREAMBLE_TAGS = {v: k for k, v in _PREAMBLE.items()}
_CLASS_LINE = re.compile(r"Class (\S+)(?: Extends (\([^)]*\)|\S+))?(.*)")
_MEMBER_LINE = re.compile(
    r"(Parameter|Property|Relationship|Method|ClassMethod|ClientMethod|Index|Query|XData"
    r"|Storage|Trigger|ForeignKey|Projection) ([^\s(;\[]+)(.*)")
#: XML tag of each UDL member kind
_TAGS = {"Relationship": "Property", "ClassMethod": "Method", "ClientMethod": "Method"}
#: child elements that are structure, not keywords, per XML tag
STRUCTURE = {
    "Class": {"Description", "Super", "TimeChanged", "TimeCreated", "Import", "IncludeCode",
              "IncludeGenerator", "Parameter", "Property", "Method", "Index", "Query", "XData",
              "Storage", "Trigger", "ForeignKey", "Projection", "UDL"},
    "Parameter": {"Description", "Type", "Default", "Expression"},
    "Property": {"Description", "Type", "Collection", "Parameter", "Relationship"},
    "Method": {"Description", "ClassMethod", "ClientMethod", "FormalSpec", "ReturnType",
               "Implementation"},
    "Index": {"Description", "Properties"},
    "Query": {"Description", "FormalSpec", "Type", "Parameter", "SqlQuery"},
    "XData": {"Description", "Data"},
    "Trigger": {"Description", "Code"},
    "ForeignKey": {"Description", "Properties", "ReferencedClass", "ReferencedKey"},
    "Projection": {"Description", "Type", "Parameter"},
    "Storage": set(),
}
BODY_TAG = {"Method": "Implementation", "Query": "SqlQuery", "XData": "Data", "Trigger": "Code"}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def verbatim_element(name: str, lines: list[str]) -> Element:
    """The documented fallback: ``<Class name=".."><UDL>text</UDL></Class>``."""
    el = Element("Class", {"name": name})
    child(el, "UDL", xmltext.lines_to_body(lines))
    return el


# -- UDL -> XML -------------------------------------------------------------------------------
def to_element(name: str, lines: list[str]) -> Element:
    """The structured ``<Class>`` element (``name`` without .cls) of a canonical class text."""
    expect(lines[-1:] == [""], "text does not end with a newline")
    el = Element("Class", {"name": name})
    index = 0
    while index < len(lines) and lines[index].split(" ", 1)[0] in _PREAMBLE:
        word, _, value = lines[index].partition(" ")
        child(el, _PREAMBLE[word], ",".join(parse_name_list(value)))
        index += 1
    if index:
        expect(lines[index] == "", "no blank line after Include/Import")
        index += 1
    index = _description(el, lines, index)
    index = _class_line(el, name, lines, index)
    expect(lines[index : index + 2] == ["{", ""], "class body does not open with '{' + blank")
    index += 2
    while lines[index] != "}":
        index = _member(el, lines, index)
        expect(lines[index] == "", "members are not separated by one blank line")
        index += 1
        expect(index < len(lines), "class body is not closed")
    expect(lines[index + 1 :] == [""], "text after the closing '}'")
    return el


def _description(el: Element, lines: list[str], index: int) -> int:
    desc = []
    while index < len(lines) and lines[index].startswith("///"):
        text = lines[index][3:]
        expect(text == "" or text.startswith(" "), "'///' not followed by a space")
        desc.append(text[1:])
        index += 1
    if desc:
        child(el, "Description", "\n".join(desc))
    return index


def _class_line(el: Element, name: str, lines: list[str], index: int) -> int:
    match = _CLASS_LINE.fullmatch(lines[index]) if index < len(lines) else None
    expect(match is not None and match.group(1) == name, "class header")
    assert match is not None
    if match.group(2):
        child(el, "Super", ",".join(parse_name_list(match.group(2))))
    rest, keywords = split_keywords_tail(match.group(3))
    expect(rest == "", f"class header {lines[index]!r}")
    _keywords(el, keywords)
    return index + 1


def _keywords(el: Element, text: str | None) -> None:
    if text is None:
        return
    structure = STRUCTURE[el.tag]
    for key, value in parse_keywords(text):
        expect(key not in structure and el.find(key) is None, f"keyword {key} collides")
        child(el, key, value)


def _member(el: Element, lines: list[str], index: int) -> int:
    holder = Element("_")
    index = _description(holder, lines, index)
    match = _MEMBER_LINE.fullmatch(lines[index]) if index < len(lines) else None
    expect(match is not None, f"not a member line: {lines[index]!r}")
    assert match is not None
    kind, name, rest = match.groups()
    member = child(el, _TAGS.get(kind, kind), None, name=name)
    member.extend(list(holder))
    _HEADERS[member.tag](member, kind, rest)
    if member.tag not in BODY_TAG and member.tag != "Storage":
        return index + 1
    expect(lines[index + 1 : index + 2] == ["{"], f"member {name} body does not open with '{{'")
    end = lines.index("}", index + 2) if "}" in lines[index + 2 :] else -1
    expect(end > 0, f"member {name} body is not closed")
    body = lines[index + 2 : end]
    if member.tag == "Storage":
        _storage(member, body)
    else:
        child(member, BODY_TAG[member.tag], xmltext.lines_to_body(body))
    return end + 1


def _semicolon(rest: str) -> str:
    expect(rest.endswith(";"), "declaration does not end with ';'")
    return rest[:-1]


def _parameter(member: Element, _kind: str, rest: str) -> None:
    head, keywords = split_keywords_tail(_semicolon(rest))
    value_at = head.find(" = ")
    value = None if value_at < 0 else head[value_at + 3 :]
    head = head if value_at < 0 else head[:value_at]
    if head:
        expect(head.startswith(" As ") and " " not in head[4:], f"parameter type {head!r}")
        child(member, "Type", head[4:])
    if value is not None:
        if value.startswith("{") and value.endswith("}"):
            child(member, "Expression", value[1:-1])
        elif value.startswith('"') and value.endswith('"') and len(value) > 1:
            inner = value[1:-1]
            expect('"' not in inner.replace('""', ""), f"parameter value {value!r}")
            child(member, "Default", inner.replace('""', '"'))
        else:
            expect(NUMBER.fullmatch(value) is not None, f"parameter value {value!r}")
            child(member, "Default", value)
    _keywords(member, keywords)


def _property(member: Element, kind: str, rest: str) -> None:
    head, keywords = split_keywords_tail(_semicolon(rest))
    if kind == "Relationship":
        child(member, "Relationship", "1")
    if head:
        expect(head.startswith(" As "), f"property type {head!r}")
        type_text = head[4:]
        for collection in ("list", "array"):
            if type_text.startswith(collection + " Of "):
                child(member, "Collection", collection)
                type_text = type_text[len(collection) + 4 :]
        _typed(member, type_text)
    _keywords(member, keywords)


def _typed(member: Element, type_text: str) -> None:
    type_name, params = split_type(type_text)
    child(member, "Type", type_name)
    if params is None:
        return
    if not params:
        raise Unmappable("empty type parameter list")
    for key, value in params:
        child(member, "Parameter", None, name=key, value=value)


def _method(member: Element, kind: str, rest: str) -> None:
    if kind != "Method":
        child(member, kind, "1")
    expect(rest.startswith("("), "method without an argument list")
    end = closing(rest, 0, mode=Mode.CANONICAL)
    child(member, "FormalSpec", to_formal_spec(rest[1:end]))
    head, keywords = split_keywords_tail(rest[end + 1 :])
    if head:
        expect(head.startswith(" As "), f"return type {head!r}")
        child(member, "ReturnType", head[4:])
    _keywords(member, keywords)


def _query(member: Element, _kind: str, rest: str) -> None:
    expect(rest.startswith("("), "query without an argument list")
    end = closing(rest, 0, mode=Mode.CANONICAL)
    child(member, "FormalSpec", to_formal_spec(rest[1:end]))
    head, keywords = split_keywords_tail(rest[end + 1 :])
    expect(head.startswith(" As "), f"query type {head!r}")
    _typed(member, head[4:])
    _keywords(member, keywords)


def _index(member: Element, _kind: str, rest: str) -> None:
    head, keywords = split_keywords_tail(_semicolon(rest))
    expect(head.startswith(" On "), f"index without On: {head!r}")
    child(member, "Properties", ",".join(parse_name_list(head[4:])))
    _keywords(member, keywords)


def _foreign_key(member: Element, _kind: str, rest: str) -> None:
    head, keywords = split_keywords_tail(_semicolon(rest))
    match = re.fullmatch(r"\(([^()]*)\) References ([^\s()]+)\(([^()]*)\)", head)
    expect(match is not None, f"foreign key {head!r}")
    assert match is not None
    props = match.group(1).split(", ")
    expect(", ".join(props) == match.group(1) and all(props), "foreign key properties")
    child(member, "Properties", ",".join(props))
    child(member, "ReferencedClass", match.group(2))
    if match.group(3):
        child(member, "ReferencedKey", match.group(3))
    _keywords(member, keywords)


def _projection(member: Element, _kind: str, rest: str) -> None:
    head, keywords = split_keywords_tail(_semicolon(rest))
    expect(head.startswith(" As "), f"projection type {head!r}")
    _typed(member, head[4:])
    _keywords(member, keywords)


def _storage_header(_member: Element, _kind: str, rest: str) -> None:
    expect(rest == "", "storage header with keywords")


def _keywords_only(member: Element, _kind: str, rest: str) -> None:
    head, keywords = split_keywords_tail(rest)
    expect(head == "", f"unexpected text {head!r}")
    _keywords(member, keywords)


def _storage(member: Element, body: list[str]) -> None:
    expect(bool(body) and member.find("Description") is None, "empty or described storage")
    parsed = xmltext.parse("<Storage>" + "\n".join(body) + "</Storage>")
    member.text = parsed.text
    member.extend(list(parsed))


_HEADERS = {"Parameter": _parameter, "Property": _property, "Method": _method,
            "Query": _query, "Index": _index, "ForeignKey": _foreign_key,
            "Projection": _projection, "XData": _keywords_only, "Trigger": _keywords_only,
            "Storage": _storage_header}
