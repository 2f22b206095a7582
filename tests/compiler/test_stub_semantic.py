"""Semantic checks: names, duplicates, missing classes (#5373), Final, cycles, includes, macros."""

from __future__ import annotations

import pytest
from stub_helpers import body, cls, doc

from atelier_api.adapters.contract import MappingWorkspace, Outcome
from compiler_stub.library.bundle import load_library
from compiler_stub.resolution.world import ClassWorld, full_name

WRAP = "  > ERROR #5030: An error occurred while compiling class '{}'"


def _class_errors(result) -> list[str]:  # type: ignore[no-untyped-def]
    """The ERROR lines of a compile console."""
    return [x for x in body(result.console) if x.startswith("ERROR")]


@pytest.mark.parametrize(("members", "extends", "message"), [
    ("", "T.Gone", "Class 'T.Gone', used by 'T.M:super', does not exist"),
    ("Property P As T.Nope;", "%RegisteredObject",
     "Class 'T.Nope', used by 'T.M:property:P', does not exist"),
    ("Property L As list Of %Nope;", "%RegisteredObject",
     "Class '%Library.Nope', used by 'T.M:property:L', does not exist"),
    ("Method X(a As Missing) {\n}", "%RegisteredObject",
     "Class 'T.Missing', used by 'T.M:X:FormalSpec', does not exist"),
    ("ClassMethod X() As T.Nope {\n}", "%RegisteredObject",
     "Class 'T.Nope', used by 'T.M:X:ReturnType', does not exist"),
])
def test_missing_classes_5373(compile_docs, members: str, extends: str, message: str) -> None:
    result = compile_docs([cls("T.M", members, extends=extends)])
    assert body(result.console) == ["Compiling class T.M", f"ERROR #5373: {message}",
                                    WRAP.format("T.M")]
    assert result.errors[0].code == "5373"
    assert result.outcomes[0].status == f"ERROR #5373: {message}\n{WRAP.format('T.M')}"


def test_system_and_workspace_types_resolve(compile_docs) -> None:
    members = ("Property A As %String(MAXLEN = 5);\n\nProperty B As %Library.Integer;\n\n"
               "Property C As list Of %Date;\n\nProperty D As Other;\n\n"
               "Property E As %DynamicObject;\n\nProperty F As %Stream.GlobalCharacter;\n\n"
               "Method X(a As %Status, ByRef b As %UnitTest.TestCase) As %CSP.REST\n{\n}")
    result = compile_docs([cls("T.R", members)], extra=(cls("T.Other"),))
    assert result.errors == ()


def test_import_packages_resolve(compile_docs) -> None:
    result = compile_docs([cls("T.I", "Property P As Thing;", head="Import Lib\n\n")],
                          extra=(cls("Lib.Thing"),))
    assert result.errors == ()


def test_class_name_must_match_document(compile_docs) -> None:
    wrong = doc("T.Name.cls", "Class T.Other Extends %RegisteredObject\n{\n}")
    assert _class_errors(compile_docs([wrong])) == [
        "ERROR #5001: Class name 'T.Other' does not match document name 'T.Name.cls'"]


def test_duplicate_members(compile_docs) -> None:
    members = ("Property P As %String;\n\nProperty P As %Integer;\n\n"
               "Method M()\n{\n}\n\nClassMethod M()\n{\n}\n\nParameter X;\n\nParameter X;")
    assert _class_errors(compile_docs([cls("T.D", members)])) == [
        "ERROR #5001: Property name conflict: P", "ERROR #5001: Method name conflict: M",
        "ERROR #5001: Duplicated name: X"]


def test_final_class_and_final_members(compile_docs) -> None:
    base = cls("T.Base", "Method F() [ Final ]\n{\n}\n\nParameter P [ Final ] = 1;",
               keywords="Final")
    sub = cls("T.Sub", "Method F()\n{\n}", extends="T.Base")
    over = cls("T.Over", "Method %ClassName(full As %Boolean) As %String\n{\n}")
    dyn = cls("T.Dyn", extends="%DynamicObject")
    result = compile_docs([base, sub, over, dyn])
    assert _class_errors(result) == [
        "ERROR #5001: Cannot inherit from final class 'T.Base'",
        "ERROR #5001: Cannot override final method '%ClassName'",
        "ERROR #5001: Cannot inherit from final class '%Library.DynamicObject'"]
    assert result.outcomes[0].state is Outcome.COMPILED


def test_circular_inheritance(compile_docs) -> None:
    result = compile_docs([cls("T.A", extends="T.B"), cls("T.B", extends="T.A")])
    assert "ERROR #5001: Circular inheritance detected: T.B, T.A" in _class_errors(result)
    assert {o.state for o in result.outcomes} == {Outcome.FAILED}


def test_missing_include_mpp5635(compile_docs) -> None:
    result = compile_docs([cls("T.Inc", "Method X()\n{\n\tquit\n}", head="Include T.None\n\n")])
    assert _class_errors(result) == ["ERROR: T.Inc.cls(1) : MPP5635 : No include file 'T.None'"]
    assert result.errors[0].line == 1


def test_undefined_macro_mpp5610(compile_docs) -> None:
    text = "Method X()\n{\n\tset x = \"$$$InString\"\n\tquit $$$Nope // $$$InComment\n}"
    result = compile_docs([cls("T.Mac", text)])
    assert _class_errors(result) == [
        "ERROR: T.Mac.cls(X+2) : MPP5610 : Referenced macro not defined: 'Nope'"]


def test_macros_from_includes_inherited_and_system(compile_docs) -> None:
    inc = doc("T.Inc.inc", "ROUTINE T.Inc [Type=INC]\n#include T.Deep\n#define Mine 1")
    deep = doc("T.Deep.inc", "ROUTINE T.Deep [Type=INC]\n#define Deeper(%a) (%a+1)")
    base = cls("T.Base", head="Include T.Inc\n\n")
    test = cls("T.Test", "Method TestX()\n{\n\t#define Local 3\n\t$$$AssertEquals($$$Mine,"
                         "$$$Deeper(0),\"d\")\n\tquit $$$OK+$$$Local\n}",
               extends="(%UnitTest.TestCase, T.Base)")
    result = compile_docs([test], extra=(inc, deep, base))
    assert result.errors == ()


def test_library_is_self_consistent() -> None:
    lib = load_library()
    world = ClassWorld(lib, MappingWorkspace(), {})
    assert len(lib.classes) > 100
    for name, model in lib.classes.items():
        assert model.name == name, (name, model.name)  # the file is named by its class
        for ref in [*world.supers(name), *(world.resolve(m.type, model) for m in model.members
                                          if m.type and m.kind != "parameter")]:
            assert world.exists(ref), (name, ref)


def test_short_names() -> None:
    assert full_name("%String") == "%Library.String"
    assert full_name("%Stream.Object") == "%Stream.Object"
    assert full_name("Person") == "User.Person"
