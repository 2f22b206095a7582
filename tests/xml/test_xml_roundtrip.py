"""XML export -> load gives back identical documents (domain level, no HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from xml_samples import CANONICAL, EMPTY, IRREGULAR

from atelier_api.documents import textcodec
from atelier_api.documents.names import parse_name
from atelier_api.xmlexport import export, xmltext
from atelier_api.xmlexport.document import Item

DEMO = Path(__file__).resolve().parents[2] / "atelier_api" / "demo" / "USER"


def _round_trip(name: str, data: bytes, app: str | None = None) -> tuple[Item, xmltext.Element]:
    doc = parse_name(name)
    el = export.element_for(doc, data, app)
    lines = export.export_lines([el], "zv")
    parsed = export.parse_export("\n".join(lines))
    assert [i.name for i in parsed.items] == [doc.name] and parsed.skipped == []
    return parsed.items[0], el


def _demo_docs() -> list[tuple[str, bytes]]:
    out = []
    for path in sorted(DEMO.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(DEMO).as_posix()
        if rel.startswith("csp/"):
            name = "/" + rel
        elif rel.endswith(".cls"):
            name = rel.replace("/", ".")
        else:
            name = rel
        out.append((name, path.read_bytes()))
    return out


@pytest.mark.parametrize(("name", "data"), _demo_docs(), ids=lambda v: str(v)[:30])
def test_demo_documents_round_trip(name: str, data: bytes) -> None:
    item, el = _round_trip(name, data, "/csp/user")
    if item.data is not None:
        assert item.data == data
    else:
        assert item.lines == textcodec.decode(data)[0]
    if name.endswith(".cls"):
        assert el.find("UDL") is None, "demo classes use the structured form"


def test_demo_classes_are_structured_xml() -> None:
    data = (DEMO / "Demo" / "Person.cls").read_bytes()
    text = "\n".join(export.export_lines(
        [export.element_for(parse_name("Demo.Person.cls"), data, None)], "zv"))
    for piece in ['<Class name="Demo.Person">', "<Super>%Persistent</Super>",
                  "<IncludeCode>DemoMacros</IncludeCode>", '<Property name="Name">',
                  '<Parameter name="MAXLEN" value="100"/>', "<Required>1</Required>",
                  "<FormalSpec>asOf:%Date={+$HOROLOG}</FormalSpec>",
                  "<ReturnType>%Integer</ReturnType>", "<ClassMethod>1</ClassMethod>",
                  "<Implementation><![CDATA[", '<Index name="NameIdx">']:
        assert piece in text, piece


@pytest.mark.parametrize("text", [CANONICAL, EMPTY], ids=["canonical", "empty"])
def test_varied_canonical_classes_are_structured_and_exact(text: str) -> None:
    name = "Pkg.Full.cls" if "Pkg.Full" in text else "Pkg.Empty.cls"
    item, el = _round_trip(name, text.encode())
    assert el.find("UDL") is None
    assert item.lines == text.split("\n")


def test_canonical_members_map_to_elements() -> None:
    el = export.element_for(parse_name("Pkg.Full.cls"), CANONICAL.encode(), None)
    tags = [c.tag for c in el]
    for tag in ("Import", "IncludeCode", "IncludeGenerator", "Description", "Super",
                "Parameter", "Property", "Index", "ForeignKey", "Projection", "Method",
                "Query", "Trigger", "XData", "Storage"):
        assert tag in tags, tag
    run = el.find("Method[@name='Run']")
    assert run is not None
    assert run.findtext("FormalSpec") == "&a:%String,*b:%Integer=2,c:%List={$lb(1,2)},args..."
    assert el.find("Storage/DataLocation").text == "^Pkg.FullD"  # type: ignore[union-attr]
    assert el.find("Property[@name='Items']/Cardinality").text == "children"  # type: ignore


@pytest.mark.parametrize("label", sorted(IRREGULAR))
def test_irregular_classes_fall_back_to_verbatim_udl(label: str) -> None:
    text = IRREGULAR[label]
    item, el = _round_trip("Pkg.X.cls", text.encode())
    assert el.find("UDL") is not None, "not exactly mappable: the verbatim form"
    assert item.lines == text.split("\n")


@pytest.mark.parametrize("text", [
    "ROUTINE R\nR ;\n quit\n", "ROUTINE R [Type=INT]\n quit", "ROUTINE Inc [Type=INC]\n",
    "ROUTINE R [ Type = MAC ]\n w \"]]>\"\n", "ROUTINE R\n",
    "ROUTINE R [Type=MAC,LanguageMode=6]\n"])
def test_routines_round_trip(text: str) -> None:
    kind = "int" if "INT" in text else "inc" if "INC" in text else "mac"
    base = "Inc" if kind == "inc" else "R"
    item, el = _round_trip(f"{base}.{kind}", text.encode())
    assert el.tag == "Routine" and el.get("type") == kind.upper()
    assert item.lines == text.split("\n")


def test_routine_without_header_text_still_round_trips() -> None:
    item, el = _round_trip("R.mac", b"not a header\n quit\n")
    assert el.get("header") == "not a header"
    assert item.lines == ["not a header", " quit", ""]


def test_web_files_text_and_binary() -> None:
    text = b"<html>\n<![CDATA[ x ]]>\n</html>\n"
    item, el = _round_trip("/csp/user/a.html", text, "/csp/user")
    assert el.tag == "CSP" and el.get("name") == "a.html" and el.get("application") == "/csp/user/"
    assert item.lines == text.decode().split("\n")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 200
    item, el = _round_trip("/csp/user/img/logo.png", png, "/csp/user")
    assert el.tag == "CSPBase64" and el.get("name") == "img/logo.png"
    assert item.data == png


def test_other_documents_round_trip() -> None:
    item, el = _round_trip("T.lut", b'<?xml version="1.0"?>\n<lookupTable/>\n')
    assert el.tag == "Document" and item.lines == ['<?xml version="1.0"?>', "<lookupTable/>", ""]


def test_text_xml_cannot_carry_is_refused() -> None:
    with pytest.raises(xmltext.Unexportable, match="U\\+0001"):
        export.element_for(parse_name("R.mac"), b"ROUTINE R\n w $c(1)\x01\n", None)


def test_iris_style_bodies_are_read() -> None:
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Export generator="IRIS" version="26">\n'
           '<Class name="A.B"><Super>%RegisteredObject</Super><TimeChanged>1</TimeChanged>'
           '<Method name="M"><ClassMethod>1</ClassMethod><FormalSpec>x:%String</FormalSpec>'
           '<ReturnType>%String</ReturnType><Implementation><![CDATA[\n\tquit x\n]]>'
           '</Implementation></Method></Class>\n'
           '<Routine name="R" type="MAC" languagemode="0"><![CDATA[\nR ;\n quit\n]]></Routine>'
           '<Project name="P"/></Export>')
    parsed = export.parse_export(xml)
    cls, rtn = parsed.items
    assert cls.lines == ["Class A.B Extends %RegisteredObject", "{", "",
                         "ClassMethod M(x As %String) As %String", "{", "\tquit x", "}", "",
                         "}", ""]
    assert rtn.lines == ["ROUTINE R", "R ;", " quit"]
    assert parsed.skipped == ["Project"]


def test_deeply_nested_storage_is_verbatim_on_export_and_refused_on_import() -> None:
    deep = "<a>" * 5000 + "</a>" * 5000
    text = "Class A.B\n{\n\nStorage Default\n{\n" + deep + "\n}\n\n}\n"
    item, el = _round_trip("A.B.cls", text.encode())
    assert el.find("UDL") is not None and item.lines == text.split("\n")
    xml = f'<Export><Class name="A.B"><Storage name="Default">{deep}</Storage></Class></Export>'
    with pytest.raises(xmltext.XmlInputError, match="nested too deeply"):
        export.parse_export(xml)
