"""Coverage of the bundled system library, part A (%Library, %Dictionary, %Studio, %Stream,
%SQL, %Regex, %UnitTest, %Installer, ...): classes shaped like real open-source code compile
against it without #5373, and key signatures are present and well formed."""

from __future__ import annotations

from pathlib import Path

import pytest
from stub_helpers import cls, member_of, missing_classes

from atelier_api.adapters.contract import MappingWorkspace, Outcome
from compiler_stub.library.bundle import CLASS_DIR, Library, load_library
from compiler_stub.reading.outline import read_class
from compiler_stub.resolution.world import ClassWorld

SCOPE = ("%Library.", "%Dictionary.", "%Studio.", "%Stream.", "%SQL.", "%Compiler.", "%Regex.",
         "%Exception.", "%UnitTest.", "%Iterator.", "%JSON.", "%Collection.", "%Projection.",
         "%ExtentMgr.", "%Monitor.System.", "%Text.", "%Installer.", "%Atelier.",
         "%DeepSee.UserLibrary.", "%xsd.")

# A server-side source control hook, the way git-source-control style projects write one.
HOOK = cls("Demo.SC.Hook", """
Property Settings As %DynamicObject;

Property LastProject As %Studio.Project;

Method OnAfterSave(InternalName As %String, Object As %RegisteredObject = "") As %Status
{
\tquit $$$OK
}

Method UserAction(Type As %Integer, Name As %String, InternalName As %String,
    SelectedText As %String, ByRef Action As %String, ByRef Target As %String,
    ByRef Msg As %String, ByRef Reload As %Boolean) As %Status
{
\tset Action = 0
\tquit $$$OK
}

ClassMethod Items(pItemSet As %Studio.SourceControl.ItemSet, pItem As %Studio.ProjectItem)
{
\tquit
}
""", extends="%Studio.SourceControl.Base")

# A user-defined document type with its projection, as package managers define them.
DOCTYPE = cls("Demo.Doc.Thing", """
Projection RegisterExtension As %Projection.StudioDocument(DocumentExtension = "THG");

Method Load() As %Status
{
\tquit $$$OK
}

ClassMethod Register(pStream As %Stream.MethodGenerator, pTs As %Studio.TimeStamp) As %Status
{
\tquit $$$OK
}
""", extends="%Studio.AbstractDocument")

# Code that walks and changes class definitions (generators, code tidiers, test coverage).
DICT = cls("Demo.Dict.Walker", """
Property Target As %Dictionary.Classname;

Property Member As %Dictionary.CacheIdentifier;

Property Seen As list Of %Dictionary.CacheClassname;

Property Names As array Of %Dictionary.Identifier;

Property Source As %VarString;

Property Owner As %Library.Username;

ClassMethod Copy(pFrom As %Dictionary.ClassDefinition, pTo As %Dictionary.CompiledClass,
    pProp As %Dictionary.PropertyDefinition, pMethod As %Dictionary.MethodDefinition,
    pParam As %Dictionary.ParameterDefinition, pXData As %Dictionary.XDataDefinition,
    pQuery As %Dictionary.QueryDefinition, pIndex As %Dictionary.IndexDefinition) As %Status
{
\tquit $$$OK
}

ClassMethod Compiled(pProp As %Dictionary.CompiledProperty, pMeth As %Dictionary.CompiledMethod,
    pParam As %Dictionary.CompiledParameter, pXData As %Dictionary.CompiledXData,
    pQuery As %Dictionary.CompiledQuery, pStorage As %Dictionary.CompiledStorage,
    pPM As %Dictionary.CompiledPropertyMethod) As %Dictionary.StorageDefinition
{
\tquit ""
}

ClassMethod Text(pName As %String, pMatcher As %Regex.Matcher,
    pReader As %Library.SyntaxColorReader) As %Compiler.UDL.TextServices
{
\tquit ""
}
""", keywords="DependsOn = %Dictionary.ClassDefinitionQuery, CompileAfter = %Library.RoutineMgr")

# A unit test and a line-by-line monitor, as test coverage tools write them.
TESTS = cls("Demo.Test.Case", """
Property Run As %UnitTest.Result.TestInstance;

Method TestSomething()
{
\tdo $$$AssertEquals(1, 1, "one is one")
}

ClassMethod Results(pSuite As %UnitTest.Result.TestSuite, pCase As %UnitTest.Result.TestCase,
    pMethod As %UnitTest.Result.TestMethod, pAssert As %UnitTest.Result.TestAssert)
{
\tquit
}
""", extends="%UnitTest.TestCase")
MONITOR = cls("Demo.Test.Monitor", extends="%Monitor.System.LineByLine")

# Installer pieces, legacy streams and other shapes package managers use.
MISC = cls("Demo.Misc.Bits", """
Property Enabled As %Installer.Boolean [ InitialExpression = 0 ];

Property Log As %Installer.AbstractLogger;

Property Text As %Stream.GlobalCharacterSearchable;

Property Chars As %CharacterStream;

Property File As %FileBinaryStream;

Property Resources As %Collection.AbstractListOfObj;

Method Items(pIt As %Iterator.Object, pArr As %Iterator.Array, pRS As %IResultSet,
    pCol As %SQL.StatementColumn, pFmt As %JSON.Formatter, pMap As %JSON.Mapping,
    pInst As %Installer.Installer, pFolder As %DeepSee.UserLibrary.FolderItem,
    pHex As %xsd.hexBinary, pGz As %Stream.FileBinaryGzip) As %Library.Device
{
\tquit ""
}
""")
CSPAPP = cls("Demo.Misc.WebApp", "Property DeepSeeEnabled As %Installer.Boolean;",
             extends="%Installer.CSPApplication")
FINDER = cls("Demo.Misc.Finder", extends="%SQL.AbstractFind")
INDEX = cls("Demo.Misc.Index", extends="%Library.FunctionalIndex")
SCHEMA = cls("Demo.Misc.Schema", extends="%Studio.SASchemaClass")
JSONGEN = cls("Demo.Misc.JsonGen", extends="%JSON.Generator")
EXTENSION = cls("Demo.Misc.Ext", "Property Other As %Studio.Extension.Base;",
                extends="%Studio.Extension.Base")

SHAPES = [HOOK, DOCTYPE, DICT, TESTS, MONITOR, MISC, CSPAPP, FINDER, INDEX, SCHEMA, JSONGEN,
          EXTENSION]



def _words(text: str) -> list[str]:
    return text.split()


# Classes the brief names (and the corpus uses) that must be bundled.
NAMED = _words("""
%Library.VarString %Library.RoutineMgr %Library.Prompt %Library.Device %Library.EnsembleMgr
%Library.SyntaxColor %Library.FileCharacterStream %Library.FileBinaryStream
%Library.CharacterStream %Library.Username %Library.FunctionalIndex %Library.IResultSet
%Library.ClassDefinition %Library.MessageDictionary %Library.PopulateUtils
%Dictionary.ClassDefinition %Dictionary.PropertyDefinition %Dictionary.MethodDefinition
%Dictionary.ParameterDefinition %Dictionary.XDataDefinition %Dictionary.IndexDefinition
%Dictionary.QueryDefinition %Dictionary.StorageDefinition %Dictionary.ForeignKeyDefinition
%Dictionary.ProjectionDefinition %Dictionary.TriggerDefinition %Dictionary.CompiledClass
%Dictionary.CompiledProperty %Dictionary.CompiledMethod %Dictionary.CompiledParameter
%Dictionary.CompiledXData %Dictionary.CompiledIndex %Dictionary.CompiledQuery
%Dictionary.CompiledStorage %Dictionary.CompiledForeignKey %Dictionary.CompiledProjection
%Dictionary.CompiledTrigger %Dictionary.CompiledPropertyMethod %Dictionary.Classname
%Dictionary.CacheClassname %Dictionary.Identifier %Dictionary.CacheIdentifier
%Dictionary.ClassDefinitionQuery %Studio.Extension.Base %Studio.SourceControl.Base
%Studio.SourceControl.Interface %Studio.SourceControl.ISC %Studio.SourceControl.ItemSet
%Studio.Project %Studio.ProjectItem %Studio.General %Studio.AbstractDocument %Studio.Debugger
%Studio.SASchemaClass %Studio.SASchemaUtil %Stream.MethodGenerator %Stream.FileBinaryGzip
%Stream.GlobalCharacterSearchable %Compiler.UDL.TextServices %Regex.Matcher
%UnitTest.Result.TestInstance %UnitTest.Result.TestSuite %UnitTest.Result.TestCase
%UnitTest.Result.TestMethod %UnitTest.Result.TestAssert %Iterator.Array %Iterator.Object
%JSON.Formatter %JSON.Mapping %JSON.Generator %Collection.AbstractListOfObj
%Projection.StudioDocument %ExtentMgr.Util %Monitor.System.LineByLine %Text.English
%Installer.AbstractLogger %Installer.CSPApplication %Installer.Installer %Installer.Manifest
%Installer.Boolean %Atelier.REST %Atelier.v1.Utils.General %DeepSee.UserLibrary.FolderItem
%DeepSee.UserLibrary.Utils %xsd.hexBinary %SQL.AbstractFind %SQL.StatementColumn
""")


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()






def test_real_code_shapes_compile_without_5373(compile_docs) -> None:
    result = compile_docs(SHAPES)
    assert missing_classes(result) == []
    assert result.errors == (), result.console
    assert {o.state for o in result.outcomes} == {Outcome.COMPILED}


@pytest.mark.parametrize("text", [
    "Property P As %Dictionary.NoSuchDefinition;",
    "Method M(a As %Studio.NoSuchHook)\n{\n\tquit\n}",
])
def test_an_unknown_system_class_is_still_reported(compile_docs, text: str) -> None:
    # control: the shapes above pass because the classes exist, not because nothing is checked
    missing = missing_classes(compile_docs([cls("Demo.Bad.One", text)]))
    assert len(missing) == 1 and missing[0][0].startswith(("%Dictionary.", "%Studio."))


def test_named_classes_are_bundled(lib: Library) -> None:
    assert [n for n in NAMED if not lib.has_class(n)] == []


def test_class_definition_signature(lib: Library) -> None:
    cdef = lib.classes["%Dictionary.ClassDefinition"]
    assert cdef.supers == ("%Persistent", "%Dictionary.ClassDefinitionQuery")
    assert member_of(cdef, "Name", "property").type == "%Dictionary.Classname"
    assert member_of(cdef, "Super", "property").type == "%RawString"
    props = member_of(cdef, "Properties", "relationship")
    assert props.type == "%Dictionary.PropertyDefinition"
    assert (props.kw("Cardinality"), props.kw("Inverse")) == ("children", "parent")
    assert member_of(cdef, "AbstractIsDefined").kind == "method"
    assert member_of(lib.classes["%Dictionary.ClassDefinitionQuery"],
                   "SubclassOfExecute").args[1].name == "super"


def test_regex_matcher_signature(lib: Library) -> None:
    matcher = lib.classes["%Regex.Matcher"]
    assert matcher.flag("Final") and matcher.supers == ("%RegisteredObject", "%SYSTEM.Help")
    locate = member_of(matcher, "Locate", "method")
    assert (locate.type, [(a.name, a.type) for a in locate.args]) == (
        "%Boolean", [("position", "%Integer")])
    replace = member_of(matcher, "ReplaceAll", "method")
    assert (replace.type, replace.args[0].type) == ("%String", "%String")
    assert member_of(matcher, "Group", "property").flag("MultiDimensional")


def test_studio_extension_signature(lib: Library) -> None:
    base = lib.classes["%Studio.Extension.Base"]
    after = member_of(base, "OnAfterSave", "method")
    assert [(a.name, a.type, a.default) for a in after.args] == [
        ("InternalName", "%String", ""), ("Object", "%RegisteredObject", "{$$$NULLOREF}")]
    assert member_of(base, "%OnNew", "method").flag("Final")
    assert lib.classes["%Studio.SourceControl.Base"].supers == ("%Studio.Extension.Base",)


@pytest.mark.parametrize(("name", "maxlen"), [
    ("%Library.String", "50"), ("%Library.VarString", '""'), ("%Library.Username", "160")])
def test_string_datatypes_keep_maxlen(lib: Library, name: str, maxlen: str) -> None:
    assert member_of(lib.classes[name], "MAXLEN", "parameter").default == maxlen


@pytest.mark.parametrize("name", [
    "%Library.VarString", "%Library.Username", "%Library.Date", "%Library.Boolean",
    "%Library.PosixTime", "%Dictionary.Classname", "%Dictionary.CacheIdentifier",
    "%Installer.Boolean", "%xsd.hexBinary", "%Studio.TimeStamp"])
def test_datatypes_are_datatypes(lib: Library, name: str) -> None:
    world = ClassWorld(lib, MappingWorkspace(), {})
    assert world.class_type(name) == "datatype"


def _scope_files() -> list[Path]:
    return [p for p in sorted(CLASS_DIR.glob("*.cls")) if p.name.startswith(SCOPE)]


def test_scope_files_parse_cleanly() -> None:
    files = _scope_files()
    assert len(files) > 200
    for path in files:
        raw = path.read_bytes()
        assert b"\r" not in raw, path.name
        src = read_class(raw.decode("utf-8").split("\n"), whole=True)
        assert src.model is not None and src.model.name == path.name[:-4], path.name
        assert (src.problem, src.first_error) == (None, None), path.name


def test_scope_files_are_signatures_only(lib: Library) -> None:
    world = ClassWorld(lib, MappingWorkspace(), {})
    for path in _scope_files():
        model = lib.classes[path.name[:-4]]
        for m in model.members:
            if m.segment is not None and m.segment.open_at is not None:
                (orow, _), (crow, _) = m.segment.open_at, m.segment.close_at or (0, 0)
                assert all(not row.strip() for row in model.lines[orow + 1:crow]), (
                    model.name, m.name)
            refs = [m.type] if m.type and m.kind != "parameter" else []
            for ref in [*refs, *(a.type for a in m.args if a.type)]:
                assert world.exists(world.resolve(ref, model)), (model.name, m.name, ref)
