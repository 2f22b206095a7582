"""action/index summaries and 'others'."""

from __future__ import annotations

from stub_helpers import cls, doc

from atelier_api.adapters.contract import (
    ArgSummary,
    Capability,
    IndexRequest,
    MappingWorkspace,
    MethodSummary,
    ParameterSummary,
    PropertySummary,
    call,
)

SRC = cls("Demo.Idx", (
    "/// The version\nParameter VERSION As STRING [ Final ] = \"1.0\";\n\n"
    "/// A name\n/// on two lines\nProperty Name As %String(MAXLEN = 50) [ Private ];\n\n"
    "Relationship Items As Item [ Cardinality = many, Inverse = Owner ];\n\n"
    "/// Say hello\nClassMethod Hello(who As %String, ByRef n As %Integer = 1) As %Status "
    "[ Final, Internal ]\n{\n\tquit $$$OK\n}\n\n"
    "Method Old() [ Deprecated, Private ]\n{\n\tquit\n}"),
    head="/// Demo class\n/// for the index\n", extends="(%Persistent, Demo.Mixin)",
    keywords="Final")


def _index(adapter, docs, ws=(), positions=()):  # type: ignore[no-untyped-def]
    req = IndexRequest(tuple(docs), MappingWorkspace.of([*docs, *ws]), tuple(positions))
    return call(adapter, Capability.INDEX, req).entries


def test_class_summary(adapter) -> None:
    (entry,) = _index(adapter, [SRC], [cls("Demo.Item"), cls("Demo.Mixin")])
    c = entry.content
    assert (entry.name, entry.status, entry.gen, entry.others) == (
        "Demo.Idx.cls", "", False, ("Demo.Idx.1.int",))
    assert c.desc == ("Demo class", "for the index") and c.final and not c.depl
    assert c.super == ("%Library.Persistent", "Demo.Mixin")
    assert c.methods == (
        MethodSummary("Hello", ("Say hello",), False, True, True, False, "class",
                      "%Library.Status", (ArgSummary("who", "%Library.String"),
                                          ArgSummary("n", "%Library.Integer"))),
        MethodSummary("Old", (), True, False, False, True, "instance", "", ()))
    assert c.properties == (
        PropertySummary("Name", ("A name", "on two lines"), private=True, type="%Library.String"),
        PropertySummary("Items", type="Demo.Item"))
    assert c.parameters == (ParameterSummary("VERSION", ("The version",), final=True,
                                             type="STRING", default='"1.0"'),)


def test_others_and_positions(adapter) -> None:
    gen = doc("Demo.Idx.1.int", "ROUTINE Demo.Idx.1 [Type=INT,Generated]")
    mac = doc("r.mac", "ROUTINE r\n#define A 1\nStart\n\tquit")
    inc = doc("r.inc", "ROUTINE r [Type=INC]")
    entries = _index(adapter, [SRC, gen, mac, inc], positions=[("Demo.Idx.cls", "Hello+1"),
                                                                ("r.mac", "+3")])
    assert entries[0].others == ("Demo.Idx.1.int:+5",)
    assert (entries[1].gen, entries[1].others, entries[1].content) == (True, ("Demo.Idx.cls",),
                                                                       None)
    assert entries[2].others == ("r.int:+2",)
    assert entries[3].others == ()


def test_int_from_mac_is_generated(adapter) -> None:
    mac, int_ = doc("r.mac", "ROUTINE r"), doc("r.int", "ROUTINE r [Type=INT]")
    entry = _index(adapter, [int_], [mac])[0]
    assert (entry.gen, entry.others) == (True, ("r.mac",))


def test_unparsable_class_has_status(adapter) -> None:
    (entry,) = _index(adapter, [doc("Bad.X.cls", "nothing here")])
    assert entry.status.startswith("ERROR #5559") and entry.content is None
