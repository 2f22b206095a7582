"""The bundled system include files: the macros real ObjectScript takes from them compile,
%occInclude makes the class-wide ones visible to every class, routines see only what they
#include, and a macro no file defines is still reported."""

from __future__ import annotations

import pytest
from stub_helpers import cls, doc

from atelier_api.adapters.contract import Capability, MacroRequest, MappingWorkspace, call
from compiler_stub.library.bundle import load_library
from compiler_stub.macros.preprocessor import USE_RE, MacroTable, expand, include

LIBRARY = load_library()


def _lookup(name: str) -> tuple[str, tuple[str, ...]] | None:
    lines = LIBRARY.include(name)
    return None if lines is None else (f"{name}.inc", lines)


def _table(*names: str) -> MacroTable:
    table = MacroTable()
    for name in names:
        include(table, name, 0, _lookup)
    assert table.missing == []
    return table


def _macro_errors(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(e.code, e.params[0]) for e in result.errors if e.code.startswith("MPP")]


# A class in the shape of real tooling code: explicit includes, status errors, the class
# dictionary, prompts, platform tests.
TOOL = """
ClassMethod Check(pClass As %String) As %Status
{
\tset sc = $$$OK
\ttry {
\t\tif '$$$comClassDefined(pClass) {
\t\t\tquit $$$ERROR($$$ClassDoesNotExist,pClass)
\t\t}
\t\tset super = $$$comClassKeyGet(pClass,$$$cCLASSsuper)
\t\tset type = $$$comMemberKeyGet(pClass,$$$cCLASSproperty,"Name",$$$cPROPtype)
\t\tset name = $$$lcase($$$NormalizeClassname(type))_$$$ucase(super)
\t\tif $$$isWINDOWS || $$$isUNIX { set dir = $$$FileTempDir }
\t\tset flags = $$$DisableBackupCharMask + $$$TrapCtrlCMask + $$$EnableQuitCharMask
\t\tset auth = $$$AutheCache + $$$AutheUnauthenticated
\t\t&sql(SELECT 1 INTO :x)
\t\tif SQLCODE < 0 { set sc = $$$ERROR($$$SQLCode,SQLCODE,$get(%msg)) }
\t\t$$$ThrowOnError($$$ERROR($$$GeneralError,"x: "_$$$QUOTE(name)))
\t} catch ex {
\t\tset sc = ex.AsStatus()
\t}
\tquit sc
}
"""


def test_a_class_with_system_includes_compiles(compile_docs) -> None:
    result = compile_docs([cls("App.Tool", TOOL, head="Include (%occErrors, %syPrompt)\n\n")])
    assert result.errors == (), result.console


# Macros real classes use with no Include at all: %occInclude must make them visible.
PLAIN = """
ClassMethod Run(pClass As %String, pId As %String) As %Status
{
\t$$$AddAllRoleTemporary
\tset oid = $$$oidCompose(pId,pClass)
\tif $$$oidClassName(oid) '= pClass { quit $$$ERROR($$$GeneralError,"bad oid") }
\tif $$$classIsDataType(pClass) { quit $$$ERROR($$$NotImplemented) }
\tset param = $$$comMemberKeyGet(pClass,$$$cCLASSparameter,"P",$$$cPARAMdefault)
\tset text = $$$FormatText("%1 %2",param,$$$LOWER(pClass))
\tquit $$$OK
}
"""


def test_class_wide_macros_need_no_include(compile_docs) -> None:
    result = compile_docs([cls("App.Plain", PLAIN)])
    assert result.errors == (), result.console


def test_an_undefined_macro_is_still_reported(compile_docs) -> None:
    body = "ClassMethod M() As %Status\n{\n\tquit $$$ERROR($$$NoSuchErrorCode,\"x\")\n}"
    result = compile_docs([cls("App.Bad", body, head="Include (%occErrors, %syPrompt)\n\n")])
    assert _macro_errors(result) == [("MPP5610", "NoSuchErrorCode")]


def test_an_unbundled_system_include_is_still_reported(compile_docs) -> None:
    result = compile_docs([cls("App.Gone", head="Include %occNoSuchFile\n\n")])
    assert _macro_errors(result) == [("MPP5635", "%occNoSuchFile")]


SAX_ROUTINE = """
ROUTINE App.Import
#include %occStatus
#include %occSAX
Import(file) public {
\tset handler = ##class(%XML.ImportHandler).%New("CacheTemp",$$$IntHandler)
\tquit $$$OK
}
"""


def test_a_routine_including_system_files_compiles(compile_docs) -> None:
    result = compile_docs([doc("App.Import.mac", SAX_ROUTINE)])
    assert result.errors == (), result.console


def test_a_routine_sees_only_what_it_includes(compile_docs) -> None:
    mac = doc("App.Err.mac", "ROUTINE App.Err\n#include %occStatus\n"
                             "Err() public {\n\tquit $$$ERROR($$$GeneralError,\"x\")\n}")
    assert _macro_errors(compile_docs([mac])) == [("MPP5610", "GeneralError")]


@pytest.mark.parametrize(("macro", "document"), [
    ("GeneralError", "%occErrors.inc"), ("cCLASSsuper", "%occKeyword.inc"),
    ("comClassDefined", "%occReference.inc"), ("isWINDOWS", "%occOptions.inc"),
    ("FormatText", "%occMessages.inc"), ("lcase", "%occUtility.inc"),
    ("AutheCache", "%sySecurity.inc")])
def test_class_macros_come_from_their_system_file(adapter, macro: str, document: str) -> None:
    test = cls("App.Loc", "")
    ws = MappingWorkspace.of([test])
    result = call(adapter, Capability.MACROS, MacroRequest("App.Loc.cls", macro, (), test, ws))
    assert result.location is not None and result.location.document == document


def test_every_bundled_include_loads_with_its_nested_includes() -> None:
    for name in LIBRARY.includes:
        table = _table("%occInclude", name)
        undefined = {(m.name, used) for m in table.defs.values()
                     for used in USE_RE.findall(m.body) if used not in table.defs}
        assert undefined == set(), name


def test_occinclude_nests_the_core_files() -> None:
    loaded = _table("%occInclude").loaded
    assert {"%occStatus", "%occErrors", "%occKeyword", "%occReference", "%occUtility",
            "%occMessages", "%occOptions"} <= loaded
    assert "%syPrompt" not in loaded  # prompts need their own Include, as in IRIS


def test_expansions_use_iris_routines_and_dictionary_globals() -> None:
    table = _table("%occInclude")
    assert expand('quit $$$ERROR($$$GeneralError,"x")', table) == \
        'quit $$Error^%apiOBJ(5001,"x")'
    assert "^oddCOM(cls,60)" in expand("set s = $$$comClassKeyGet(cls,$$$cCLASSsuper)", table)
    assert "$zversion(1)=2" in expand("if $$$isWINDOWS {}", table)
    assert "$$$" not in expand("set t = $$$comMemberKeyGet(c,$$$cCLASSmethod,m,"
                               "$$$cMETHimplementation)", table)
