"""A compile of classes whose committed Storage is already complete writes nothing: the file
keeps its bytes (and its mtime: it is not even rewritten with the same text) and the document
keeps its ``ts``, through the synchronous endpoint and the /work queue alike. The classes use
the shapes real repositories commit: an IdKey property, a parent relationship, arrays in
subnodes, a data node named before a class rename, a subclass sharing its superclass's extent,
a serial class, CRLF line endings."""

from __future__ import annotations

import os

import pytest
from spaces import SpaceSpec

from .conftest import FILES as BASE_FILES
from .conftest import Client, Space, envelope

STORE = """\
Class Shop.Store Extends %Persistent
{

Index CodeKey On Code [ IdKey, PrimaryKey, Unique ];

Property Code As %String;

Property City As %String;

Property Hours As array Of %String;

Relationship Aisles As Shop.Aisle [ Cardinality = children, Inverse = Store ];

Storage Default
{
<Data name="Hours">
<Attribute>Hours</Attribute>
<Structure>subnode</Structure>
<Subscript>"Hours"</Subscript>
</Data>
<Data name="StoreDefaultData">
<Value name="1">
<Value>%%CLASSNAME</Value>
</Value>
<Value name="2">
<Value>City</Value>
</Value>
</Data>
<DataLocation>^Shop.StoreD</DataLocation>
<DefaultData>StoreDefaultData</DefaultData>
<IdLocation>^Shop.StoreD</IdLocation>
<IndexLocation>^Shop.StoreI</IndexLocation>
<StreamLocation>^Shop.StoreS</StreamLocation>
<Type>%Storage.Persistent</Type>
}

}
"""
AISLE = """\
Class Shop.Aisle Extends %Persistent
{

Relationship Store As Shop.Store [ Cardinality = parent, Inverse = Aisles ];

Property Label As %String;

Storage Default
{
<Data name="AisleDefaultData">
<Value name="1">
<Value>%%CLASSNAME</Value>
</Value>
<Value name="2">
<Value>Label</Value>
</Value>
</Data>
<DataLocation>{%%PARENT}("Aisles")</DataLocation>
<DefaultData>AisleDefaultData</DefaultData>
<IdLocation>^Shop.StoreC("Aisles")</IdLocation>
<IndexLocation>^Shop.AisleI</IndexLocation>
<StreamLocation>^Shop.AisleS</StreamLocation>
<Type>%Storage.Persistent</Type>
}

}
"""
KIOSK = """\
Class Shop.kiosk Extends Shop.Store
{

Property Size As %Integer;

Storage Default
{
<Data name="KioskDefaultData">
<Subscript>"Kiosk"</Subscript>
<Value name="1">
<Value>Size</Value>
</Value>
</Data>
<DefaultData>KioskDefaultData</DefaultData>
<Type>%Storage.Persistent</Type>
}

}
"""
SPOT = """\
Class Shop.Spot Extends %SerialObject
{

Property X As %Integer;

Property Y As %Integer;

Storage Default
{
<Data name="SpotState">
<Value name="1">
<Value>X</Value>
</Value>
<Value name="2">
<Value>Y</Value>
</Value>
</Data>
<State>SpotState</State>
<StreamLocation>^Shop.SpotS</StreamLocation>
<Type>%Storage.Serial</Type>
}

}
"""
FILES = {"Shop/Store.cls": STORE.encode(), "Shop/Aisle.cls": AISLE.replace("\n", "\r\n").encode(),
         "Shop/kiosk.cls": KIOSK.encode(), "Shop/Spot.cls": SPOT.encode()}
NAMES = ["Shop.Store.cls", "Shop.Aisle.cls", "Shop.kiosk.cls", "Shop.Spot.cls"]


def _snapshot(api: Client, space: Space) -> dict[str, tuple[bytes, int, str]]:
    """Bytes, mtime (ns) and document ts of every class of this test."""
    out = {}
    for rel, name in zip(FILES, NAMES, strict=True):
        path = space.ws / rel
        ts = envelope(api.get_doc(name))["result"]["ts"]
        out[name] = (path.read_bytes(), os.stat(path).st_mtime_ns, ts)
    return out


@pytest.fixture
def space_spec() -> SpaceSpec:
    """The suite's workspace plus the classes of these tests, as committed."""
    return SpaceSpec({**BASE_FILES, **FILES}, Client)


def test_a_compile_of_complete_storage_rewrites_nothing(api: Client, space: Space) -> None:
    before = _snapshot(api, space)
    assert {name: data for name, (data, _, _) in before.items()} == dict(
        zip(NAMES, FILES.values(), strict=True))
    for flags in ("ck", "cuk"):
        env = envelope(api.compile(NAMES, flags))
        assert env["status"]["errors"] == [] and env["result"]["content"] == []
        assert _snapshot(api, space) == before
    for name in NAMES:  # one by one, too
        env = envelope(api.compile([name], "ck"))
        assert env["status"]["errors"] == [] and env["result"]["content"] == []
    assert _snapshot(api, space) == before


def test_a_queued_compile_of_complete_storage_rewrites_nothing(api: Client,
                                                                space: Space) -> None:
    before = _snapshot(api, space)
    resp = api.queue({"request": "compile", "documents": NAMES, "flags": "ck"})
    assert resp.status_code == 202
    _, final = api.until_done(resp.headers["Location"])
    env = envelope(final)
    assert env["status"]["errors"] == [] and env["result"]["content"] == []
    assert _snapshot(api, space) == before


def test_a_new_property_is_the_only_change_and_crlf_stays(api: Client, space: Space) -> None:
    path = space.ws / "Shop/Aisle.cls"
    grown = AISLE.replace("Property Label As %String;\n",
                          "Property Label As %String;\n\nProperty Width As %Integer;\n")
    path.write_bytes(grown.replace("\n", "\r\n").encode())
    before = _snapshot(api, space)
    env = envelope(api.compile(NAMES, "ck"))
    [doc] = env["result"]["content"]
    assert doc["name"] == "Shop.Aisle.cls" and doc["flags"] == 1
    want = grown.replace("<Value>Label</Value>\n</Value>\n",
                         "<Value>Label</Value>\n</Value>\n<Value name=\"3\">\n"
                         "<Value>Width</Value>\n</Value>\n")
    assert path.read_bytes() == want.replace("\n", "\r\n").encode()
    after = _snapshot(api, space)
    assert after["Shop.Aisle.cls"][2] == doc["ts"] != before["Shop.Aisle.cls"][2]
    del after["Shop.Aisle.cls"], before["Shop.Aisle.cls"]
    assert after == before
