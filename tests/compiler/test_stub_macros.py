"""Macro definition, location and list over #define, include files and system macros."""

from __future__ import annotations

from stub_helpers import cls, doc

from atelier_api.adapters.contract import (
    Capability,
    MacroLocation,
    MacroRequest,
    MappingWorkspace,
    call,
)

OUTER = doc("App.Outer.inc", "ROUTINE App.Outer [Type=INC]\n#include App.Inner\n"
                             "#define Greeting \"hi\"")
INNER = doc("App.Inner.inc", "ROUTINE App.Inner [Type=INC]\n#define Twice(%x) ##continue\n"
                             "  ((%x)*2)")


def _ask(adapter, docname, macro="", document=None, includes=()):  # type: ignore[no-untyped-def]
    ws = MappingWorkspace.of([OUTER, INNER] + ([document] if document else []))
    req = MacroRequest(docname, macro, tuple(includes), document, ws)
    return call(adapter, Capability.MACROS, req)


def test_routine_macros_recursive_includes(adapter) -> None:
    mac = doc("App.R.mac", "ROUTINE App.R\n#include App.Outer\n#define Local 1\n\tquit")
    result = _ask(adapter, "App.R.mac", "Twice", mac)
    assert result.definition == ("#define Twice(%x) ##continue", "  ((%x)*2)")
    assert result.location == MacroLocation("App.Inner.inc", 2)
    assert set(result.macros) == {"Twice", "Greeting", "Local"}


def test_local_definition_location(adapter) -> None:
    mac = doc("App.R.mac", "ROUTINE App.R\n#define Local 1\n\tquit")
    result = _ask(adapter, "App.R.mac", "$$$Local", mac)
    assert (result.definition, result.location) == (("#define Local 1",),
                                                    MacroLocation("App.R.mac", 2))


def test_class_sees_system_and_inherited_macros(adapter) -> None:
    test = cls("App.T", "Method TestA()\n{\n\tquit\n}", extends="%UnitTest.TestCase",
               head="Include App.Outer\n\n")
    result = _ask(adapter, "App.T.cls", "OK", test)
    assert result.definition == ("#define OK 1",)
    assert result.location == MacroLocation("%occStatus.inc", 3)
    for name in ("ISERR", "ISOK", "ThrowOnError", "NULLOREF", "ERROR", "AssertEquals",
                 "AssertStatusOK", "LogMessage", "Greeting", "Twice"):
        assert name in result.macros


def test_client_includes_and_unknown_macro(adapter) -> None:
    result = _ask(adapter, "Other.mac", "Nope", includes=["App.Outer"])
    assert (result.definition, result.location) == ((), None)
    assert "Greeting" in result.macros
    assert "OK" not in _ask(adapter, "Other.mac").macros
