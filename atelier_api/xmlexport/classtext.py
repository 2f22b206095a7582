"""The class text (UDL) of a ``<Class>`` element of the XML export: structured or verbatim."""

from __future__ import annotations

from atelier_api.documents.udlscan import (
    from_formal_spec,
    render_keywords,
    render_name_list,
    render_type,
)
from atelier_api.xmlexport import xmltext
from atelier_api.xmlexport.classes import BODY_TAG, NUMBER, PREAMBLE_TAGS, STRUCTURE
from atelier_api.xmlexport.xmltext import Element


def to_lines(el: Element) -> list[str]:
    """The class text of a ``<Class>`` element (structured or verbatim form)."""
    udl = el.find("UDL")
    if udl is not None:
        return xmltext.body_to_lines(udl.text)
    name = el.get("name", "")
    out = [f"{PREAMBLE_TAGS[c.tag]} {render_name_list(_items(c.text))}"
           for c in el if c.tag in PREAMBLE_TAGS]
    if out:
        out.append("")
    out.extend(_desc_lines(el))
    header = f"Class {name}"
    sup = el.find("Super")
    if sup is not None and sup.text:
        header += " Extends " + render_name_list(_items(sup.text))
    out.append(header + _keyword_tail(el))
    out.extend(["{", ""])
    for member in el:
        if member.tag in _HEADER_LINES:
            out.extend(_desc_lines(member))
            out.extend(_member_lines(member))
            out.append("")
    out.extend(["}", ""])
    return out


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _desc_lines(el: Element) -> list[str]:
    desc = el.find("Description")
    if desc is None:
        return []
    return ["///" + (" " + line if line else "") for line in (desc.text or "").split("\n")]


def _keyword_tail(el: Element) -> str:
    structure = STRUCTURE.get(el.tag, set())
    pairs = [(c.tag, c.text or "") for c in el if c.tag not in structure]
    return f" [ {render_keywords(pairs)} ]" if pairs else ""


def _text(el: Element, tag: str) -> str | None:
    found = el.find(tag)
    return None if found is None else (found.text or "")


def _type_text(el: Element) -> str:
    params = [(p.get("name", ""), p.get("value", "")) for p in el.findall("Parameter")]
    return render_type(_text(el, "Type") or "", params or None)


def _member_lines(member: Element) -> list[str]:
    head = _HEADER_LINES[member.tag](member)
    if member.tag == "Storage":
        inner = (member.text or "") + "".join(xmltext.serialize(c, code=False) for c in member)
        return [head, "{", *inner.split("\n"), "}"]
    if member.tag in BODY_TAG:
        body = xmltext.body_to_lines(_text(member, BODY_TAG[member.tag]))
        return [head, "{", *body, "}"]
    return [head]


def _parameter_line(m: Element) -> str:
    line = f"Parameter {m.get('name')}"
    if _text(m, "Type"):
        line += f" As {_text(m, 'Type')}"
    expression, default = _text(m, "Expression"), _text(m, "Default")
    if expression is not None:
        line += " = {" + expression + "}"
    elif default is not None:
        line += " = " + (default if NUMBER.fullmatch(default)
                         else '"' + default.replace('"', '""') + '"')
    return line + _keyword_tail(m) + ";"


def _property_line(m: Element) -> str:
    kind = "Relationship" if _text(m, "Relationship") == "1" else "Property"
    line = f"{kind} {m.get('name')}"
    if _text(m, "Type"):
        collection = _text(m, "Collection")
        line += " As " + (f"{collection} Of " if collection else "") + _type_text(m)
    return line + _keyword_tail(m) + ";"


def _method_line(m: Element) -> str:
    kind = next((k for k in ("ClassMethod", "ClientMethod") if _text(m, k) == "1"), "Method")
    line = f"{kind} {m.get('name')}({from_formal_spec(_text(m, 'FormalSpec') or '')})"
    if _text(m, "ReturnType"):
        line += f" As {_text(m, 'ReturnType')}"
    return line + _keyword_tail(m)


def _query_line(m: Element) -> str:
    line = f"Query {m.get('name')}({from_formal_spec(_text(m, 'FormalSpec') or '')})"
    return line + f" As {_type_text(m)}" + _keyword_tail(m)


def _index_line(m: Element) -> str:
    props = render_name_list(_items(_text(m, "Properties")))
    return f"Index {m.get('name')} On {props}" + _keyword_tail(m) + ";"


def _foreign_key_line(m: Element) -> str:
    props = ", ".join(_items(_text(m, "Properties")))
    ref = f"{_text(m, 'ReferencedClass')}({_text(m, 'ReferencedKey') or ''})"
    return f"ForeignKey {m.get('name')}({props}) References {ref}" + _keyword_tail(m) + ";"


def _projection_line(m: Element) -> str:
    return f"Projection {m.get('name')} As {_type_text(m)}" + _keyword_tail(m) + ";"


def _xdata_line(m: Element) -> str:
    return f"XData {m.get('name')}" + _keyword_tail(m)


def _trigger_line(m: Element) -> str:
    return f"Trigger {m.get('name')}" + _keyword_tail(m)


def _storage_line(m: Element) -> str:
    return f"Storage {m.get('name')}"


_HEADER_LINES = {
    "Parameter": _parameter_line, "Property": _property_line, "Method": _method_line,
    "Query": _query_line, "Index": _index_line, "ForeignKey": _foreign_key_line,
    "Projection": _projection_line,
    "XData": _xdata_line, "Trigger": _trigger_line, "Storage": _storage_line,
}
