"""The bundled system include files: the macros real ObjectScript takes from them compile,
%occInclude makes the class-wide ones visible to every class, routines see only what they
#include, and a macro no file defines is still reported."""

from __future__ import annotations

import re

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


# The system macros real classes take from system include files, each in the shape of its
# real use (argument count; assigned, compared, set, NEWed, killed, walked with $Order,
# called as a command) and reached the way IRIS reaches it: the class's own Include, an
# Include on a system superclass, or %occInclude. One class per route.
REACH = {
    # Include Ensemble: the production's runtime state, the synchronous-call queue
    "ensemble": cls("App.Dispatch", """
Method Send(pTarget As %String, pRequest As %Persistent, Output pQueue As %String) As %Status
{
\tset config = $get($$$DispatchNameToConfigName(pTarget))
\tif config = "" { quit $$$ERROR($$$GeneralError,"no target") }
\tset class = $$$ConfigClassName(config)
\tset header = ##class(Ens.MessageHeader).%New()
\tset header.TargetBusinessType = $$$ConfigBusinessType($$$DispatchNameToConfigName(config))
\tset header.TargetQueueName = $$$getConfigQueueName(config,..%SessionId)
\tset header.ReturnQueueName = $$$queueSyncCallQueueName
\tset sc = ##class(Ens.Queue).Create($$$queueSyncCallQueueName) quit:$$$ISERR(sc) sc
\tif pQueue '= $$$queueSyncCallQueueName { set pQueue = class }
\tkill $$$EnsActiveMessage($$$SystemName_":"_$job)
\tquit $$$OK
}
""", head="Include Ensemble\n\n"),
    # Ens.BusinessDuplex, through Ens.Host's Include Ensemble: private sessions, traces
    "duplex": cls("App.Duplex", """
Method Register(pSessionId As %String) As %Status
{
\tif $$$ConfigSessionQueueName(..%ConfigName,pSessionId) '= ..QueueName() {
\t\tkill $$$ConfigSessionQueueName(..%ConfigName,pSessionId)
\t}
\tset $$$ConfigSessionQueueName(..%ConfigName,pSessionId) = ..QueueName()
\t$$$sysTRACE("registered session '"_pSessionId_"'")
\t$$$TRACE("user trace")
\tkill $$$JobSessionId
\tquit $$$OK
}
""", extends="Ens.BusinessDuplex"),
    # %Persistent's Include %occExtent: extent metadata, in a generator and at run time
    "extent": cls("App.Settings", """
Method %OnOpen() As %Status [ CodeMode = objectgenerator, Private ]
{
\tset class = %compiledclass.Name
\tset data = $get($$$EXTdefaultdata($$$pEXT,class))
\tif data = "" { do %code.WriteLine(" quit $$$OK") quit $$$OK }
\tset ref = $$$EXTPROPondisk($$$pEXT,class,data)
\tset slot = ""
\tfor {
\t\tset slot = $order($$$EXTPROPSLOT($$$pEXT,class,data,slot),1,property)
\t\tquit:slot=""
\t\tset slots(property) = slot
\t}
\tdo %code.WriteLine(" set d = "_ref)
\tquit $$$OK
}

ClassMethod LockedBy(pId As %String) As %String
{
\tset global = $extract($$$EXTADDRglobal($$$pMAP,$classname(),"IDKEY"),2,*)
\tquit $get(^$LOCK("^"_global_"("_pId_")","OWNER"))
}
""", extends="%Persistent"),
    # Zen components, through %ZEN.Component.object's Include %ZEN.Utils
    "zen link": cls("App.Link", """
Property runId As %ZEN.Datatype.string;

Method %DrawHTML()
{
\tset id = $$$ZENVAL(..runId)
\t&html<<a href="run?id=#(id)#">#(id)#</a>>
}
""", extends="%ZEN.Component.link"),
    "zen provider": cls("App.Provider", """
Method %OnGetParameters(ByRef pParms) As %Status
{
\tset ..maxRows = $$$MaxCacheInt
\tset key = $order(..parameters(""),1,value)
\twhile key '= "" {
\t\tset pParms(key) = $$$ZENVAL(value)
\t\tset key = $order(..parameters(key),1,value)
\t}
\tquit $$$OK
}
""", extends="%ZEN.Auxiliary.altJSONSQLProvider"),
    # A REST broker that includes %ZEN.Utils itself; the ISCLOG macro of %CSP.REST users
    "rest": cls("App.Broker", """
ClassMethod Field(pName As %String, pValue As %String) As %Status
{
\t$$$SysLog(2,"App","[App.Broker]","field "_pName)
\twrite "{\"\"\" _ pName _ \"\"\":" _ $$$ZENJSUSTR(pValue) _ "}"
\tif $$$GetSecurityApplicationsDispatchClass(%request.AppData) = "" { quit ..Http403() }
\tquit $$$OK
}
""", head="Include (%occErrors, %ZEN.Utils)\n\n", extends="%CSP.REST"),
    # CSP pages: WebSocket read statuses and line ends, a stream server's line end
    "websocket": cls("App.Socket", """
Method Next(pTimeout As %Integer = 10) As %String
{
\tset data = ..Read(, .st, pTimeout)
\treturn:((st = $$$CSPWebSocketTimeout) || (st = $$$CSPWebSocketClosed)) ""
\tdo ..Write(data_$$$EOL)
\tquit data
}
""", extends="%CSP.WebSocket"),
    "stream server": cls("App.Stream", """
ClassMethod OnPage() As %Status
{
\twrite "<script>"_$$$NL_"</script>"
\tquit $$$OK
}
""", extends="%CSP.StreamServer"),
    # Source control and Studio documents (%occInclude): files, build flag, error counting
    "source control": cls("App.SourceControl", """
Method InSourceControl(pFile As %String) As %Boolean
{
\tset found = (pFile '= "") && ($$$FileExists(pFile))
\tif '$$$FileExists(pFile) { quit 0 }
\tquit found
}
""", extends="%Studio.SourceControl.Base"),
    "build flag": cls("App.Build", """
ClassMethod Build() As %Status
{
\tnew $$$BuildFlag
\tset $$$BuildFlag = 1
\tdo ..Steps()
\tkill $$$BuildFlag
\tquit $$$OK
}

ClassMethod Steps() [ Private ]
{
}
""", extends=""),
    "studio document": cls("App.Document", """
Method CompileDocument(ByRef qstruct As %String) As %Status
{
\t$$$SuspendErrorCount
\tquit $$$OK
}
""", extends="%Studio.AbstractDocument"),
    # A unit test that includes %sySecurity: a web application's stored record
    "security": cls("App.Test", """
Method TestApplication()
{
\tdo $$$AssertTrue($$$SecurityApplicationsExists("/csp/app",record))
\tdo $$$AssertEquals($$$GetSecurityApplicationsGroupById(record),"%Group")
}
""", head="Include %sySecurity\n\n", extends="%UnitTest.TestCase"),
    # %JSON.Generator's property-map macros, in a generator helper of a subclass
    "json generator": cls("App.JSONGenerator", """
ClassMethod GenImport(class As %String, propertyMap As %List, indent As %String) [ Internal ]
{
\tset property = $$$jsonproperty(propertyMap)
\t$$$GENERATE(indent_" set stream = .."_$$$jsonpropertyQN(propertyMap))
\t$$$GENERATE(indent_" set text = %JSONObject."_$$$QN($$$jsonfieldname(propertyMap)))
}
""", extends="%JSON.Generator"),
}


@pytest.mark.parametrize("route", list(REACH))
def test_system_macros_of_real_code_compile(compile_docs, route: str) -> None:
    result = compile_docs([REACH[route]])
    assert result.errors == (), result.console


@pytest.mark.parametrize("route", list(REACH))
def test_an_unknown_macro_beside_them_is_still_reported(compile_docs, route: str) -> None:
    base = REACH[route]
    lines = list(base.lines)
    row = next(i for i, line in enumerate(lines) if line.startswith("{")) + 1
    while not lines[row].startswith("\t"):
        row += 1
    lines.insert(row, "\tset x = $$$NoSuchSystemMacro")
    result = compile_docs([doc(base.name, "\n".join(lines))])
    assert _macro_errors(result) == [("MPP5610", "NoSuchSystemMacro")], result.console


@pytest.mark.parametrize(("macro", "body"), [
    ("EXTdefaultdata", "\tset d = $get($$$EXTdefaultdata($$$pEXT,\"App.X\"))"),
    ("ZENVAL", "\tset v = $$$ZENVAL(\"x\")"),
    ("sysTRACE", "\t$$$sysTRACE(\"x\")"),
    ("ConfigSessionQueueName", "\tkill $$$ConfigSessionQueueName(\"a\",\"b\")")])
def test_superclass_macros_stay_out_of_other_classes(compile_docs, macro: str,
                                                      body: str) -> None:
    # only the subclasses of %Persistent, the Zen components and the Ens hosts see these
    test = cls("App.Other", f"ClassMethod M()\n{{\n{body}\n}}")
    found = _macro_errors(compile_docs([test]))
    assert found[0] == ("MPP5610", macro)  # every undefined one of the line (pEXT too)
    assert all(code == "MPP5610" for code, _name in found)


@pytest.mark.parametrize(("extends", "head", "macro", "document"), [
    ("%Persistent", "", "EXTPROPSLOT", "%occExtent.inc"),
    ("Ens.BusinessDuplex", "", "sysTRACE", "Ensemble.inc"),
    ("%RegisteredObject", "Include Ensemble\n\n", "ConfigClassName", "Ensemble.inc"),
    ("%ZEN.Component.link", "", "ZENVAL", "%ZEN.Utils.inc"),
    ("%CSP.WebSocket", "", "CSPWebSocketTimeout", "%occErrors.inc"),
    ("%RegisteredObject", "", "SecurityApplicationsExists", "%sySecurity.inc"),
    ("%RegisteredObject", "", "SysLog", "%sySystem.inc"),
    ("%RegisteredObject", "", "BuildFlag", "%occOptions.inc"),
    ("%RegisteredObject", "", "SuspendErrorCount", "%occStatus.inc")])
def test_superclass_macros_come_from_their_system_file(adapter, extends: str, head: str,
                                                       macro: str, document: str) -> None:
    test = cls("App.Loc", "", head=head, extends=extends)
    ws = MappingWorkspace.of([test])
    result = call(adapter, Capability.MACROS, MacroRequest("App.Loc.cls", macro, (), test, ws))
    assert result.location is not None and result.location.document == document


def test_settable_macros_expand_to_variables_and_nodes() -> None:
    # set, NEW and KILL need a variable or a global node, $Order a node to walk
    table = _table("%occInclude", "%occExtent", "Ensemble")
    assert expand("new $$$BuildFlag", table) == "new %BuildFlag"
    assert expand("set $$$BuildFlag = 1", table) == "set %BuildFlag = 1"
    assert re.fullmatch(r"kill \^[\w.]+\(.*\)",
                        expand("kill $$$ConfigSessionQueueName(c,s)", table))
    assert re.fullmatch(r"kill %\w+(\(.*\))?", expand("kill $$$JobSessionId", table))
    walked = expand("set s = $order($$$EXTPROPSLOT($$$pEXT,c,d,s),1,p)", table)
    assert re.fullmatch(r"set s = \$order\(\^\w+\(c,.*,d,.*s\),1,p\)", walked), walked
    assert expand("$$$sysTRACE(\"x\")", table).startswith("Do ")
    assert expand("$$$SuspendErrorCount", table).startswith("New ")
    assert "$$$" not in expand("set q = $$$getConfigQueueName(c,s)", table)
