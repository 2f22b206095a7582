"""%Dictionary tables derived from the workspace's classes: definitions, Compiled* with
inherited members, SubclassOf, kept current on save, delete and external change."""

from __future__ import annotations

import os
import shutil

from atelier_api.sandbox.workspaces import derived_dir

from .conftest import Client


def test_class_definition_columns(ro: Client) -> None:
    rows = ro.rows("SELECT Name, Super, Final, Abstract, Deployed, Description, ProcedureBlock "
                   "FROM %Dictionary.ClassDefinition WHERE Name %STARTSWITH ? ORDER BY Name",
                   ["Pkg."])
    assert rows == [
        {"Name": "Pkg.A", "Super": "%Persistent", "Final": 1, "Abstract": 0, "Deployed": 0,
         "Description": "Class A.\nSecond line.", "ProcedureBlock": 1},
        {"Name": "Pkg.Sub.B", "Super": "Pkg.A", "Final": 0, "Abstract": 1, "Deployed": 1,
         "Description": None, "ProcedureBlock": 1}]


def test_member_tables(ro: Client) -> None:
    methods = ro.rows("SELECT Name, ClassMethod, FormalSpec, ReturnType, Description FROM "
                      "%Dictionary.MethodDefinition WHERE parent = ? ORDER BY Name", ["Pkg.A"])
    assert methods == [
        {"Name": "Hello", "ClassMethod": 0, "FormalSpec": "a:%String,b:%Integer=1",
         "ReturnType": "%String", "Description": "Say hello."},
        {"Name": "Make", "ClassMethod": 1, "FormalSpec": None, "ReturnType": "Pkg.A",
         "Description": None}]
    props = ro.rows("SELECT Name, Type, Required, Parameters FROM "
                    "%Dictionary.PropertyDefinition WHERE parent = ?", ["Pkg.A"])
    assert props == [{"Name": "Name", "Type": "%String", "Required": 1,
                      "Parameters": "MAXLEN = 50"}]
    assert ro.rows("SELECT Name, _Default FROM %Dictionary.ParameterDefinition "
                   "WHERE parent = ?", ["Pkg.A"]) == [{"Name": "VERSION", "_Default": "3"}]
    assert ro.rows("SELECT Name, Properties, _Unique FROM %Dictionary.IndexDefinition") == [
        {"Name": "NameIdx", "Properties": "Name", "_Unique": 1}]
    assert ro.rows("SELECT Name, DataLocation, Type FROM %Dictionary.StorageDefinition") == [
        {"Name": "Default", "DataLocation": "^Pkg.AD", "Type": "%Storage.Persistent"}]


def test_other_member_kinds(ro: Client) -> None:
    b = ["Pkg.Sub.B"]
    assert ro.rows("SELECT Name, MimeType FROM %Dictionary.XDataDefinition WHERE parent = ?",
                   b) == [{"Name": "Config", "MimeType": "application/json"}]
    query = ro.rows("SELECT Name, Type, SqlProc, FormalSpec FROM %Dictionary.QueryDefinition "
                    "WHERE parent = ?", b)
    assert query == [{"Name": "ByName", "Type": "%SQLQuery", "SqlProc": 1,
                      "FormalSpec": "name:%String"}]
    assert ro.rows("SELECT Name, Event, _Time FROM %Dictionary.TriggerDefinition") == [
        {"Name": "Log", "Event": "INSERT", "_Time": "AFTER"}]
    assert ro.rows("SELECT Name, Properties, ReferencedClass, ReferencedKey FROM "
                   "%Dictionary.ForeignKeyDefinition") == [
        {"Name": "FK", "Properties": "Name", "ReferencedClass": "Pkg.A",
         "ReferencedKey": "NameIdx"}]
    assert ro.rows("SELECT Name, Type FROM %Dictionary.ProjectionDefinition") == [
        {"Name": "P", "Type": "%Projection.Java"}]


def test_compiled_members_include_inherited(ro: Client) -> None:
    # (members inherited from system classes: tests/api/test_system_library.py)
    rows = ro.rows("SELECT Name, Origin, FormalSpec FROM %Dictionary.CompiledMethod "
                   "WHERE parent = ? AND Origin %STARTSWITH 'Pkg.' ORDER BY Name", ["Pkg.Sub.B"])
    assert rows == [
        {"Name": "Hello", "Origin": "Pkg.Sub.B", "FormalSpec": "a:%String,b:%Integer=2"},
        {"Name": "Make", "Origin": "Pkg.A", "FormalSpec": None}]
    props = ro.rows("SELECT p.Name, p.Origin FROM %Dictionary.CompiledProperty p "
                    "JOIN %Dictionary.CompiledClass c ON c.Name = p.parent "
                    "WHERE c.Abstract = 1 AND c.Name %STARTSWITH 'Pkg.'")
    assert props == [{"Name": "Name", "Origin": "Pkg.A"}]


def test_subclass_of_and_unit_test_discovery(ro: Client) -> None:
    assert ro.rows("SELECT Name FROM %Dictionary.ClassDefinition_SubclassOf(?, ?)",
                   ["Pkg.A", ""]) == [{"Name": "Pkg.Sub.B"}]
    tests = ro.rows("SELECT Name FROM %Dictionary.ClassDefinition_SubclassOf("
                    "'%UnitTest.TestCase','@')")
    assert tests == [{"Name": "Tests.T"}]
    methods = ro.rows("SELECT parent, Name FROM %Dictionary.CompiledMethod WHERE parent %INLIST "
                      "$LISTFROMSTRING(?) AND Name %STARTSWITH 'Test'", ["Tests.T,Pkg.A"])
    assert methods == [{"parent": "Tests.T", "Name": "TestOne"}]


def test_workspace_symbols_union(ro: Client) -> None:
    rows = ro.rows(
        "SELECT mem.Name, mem.Parent, mem.Kind FROM ("
        "SELECT Name, Parent, 'Method' AS Kind FROM %Dictionary.MethodDefinition WHERE Name LIKE ? "
        "UNION ALL SELECT Name, Parent, 'Property' AS Kind FROM %Dictionary.PropertyDefinition "
        "WHERE Name LIKE ?) AS mem WHERE mem.Parent %STARTSWITH 'Pkg.' "
        "ORDER BY mem.Parent, mem.Name", ["%hell%", "%nam%"])
    assert rows == [{"Name": "Hello", "Parent": "Pkg.A", "Kind": "Method"},
                    {"Name": "Name", "Parent": "Pkg.A", "Kind": "Property"},
                    {"Name": "Hello", "Parent": "Pkg.Sub.B", "Kind": "Method"}]


DEPLOYED = "SELECT Deployed FROM %Dictionary.ClassDefinition WHERE Name = ?"
NEW = "Class Pkg.New Extends Pkg.A [ Deployed ]\n{\n\nMethod Extra()\n{\n}\n\n}\n"


def test_kept_current_on_save_and_delete(api: Client) -> None:
    assert api.rows(DEPLOYED, ["Pkg.New"]) == []
    assert api.put_doc("Pkg.New.cls", NEW).status_code in (200, 201)
    assert api.rows(DEPLOYED, ["Pkg.New"]) == [{"Deployed": 1}]
    methods = api.rows("SELECT Name FROM %Dictionary.CompiledMethod WHERE parent = ? "
                       "AND Origin %STARTSWITH 'Pkg.' ORDER BY Name", ["Pkg.New"])
    assert [m["Name"] for m in methods] == ["Extra", "Hello", "Make"]
    assert api.put_doc("Pkg.New.cls", NEW.replace(" [ Deployed ]", "")).status_code == 200
    assert api.rows(DEPLOYED, ["Pkg.New"]) == [{"Deployed": 0}]
    assert api.delete_doc("Pkg.New.cls").status_code == 200
    assert api.rows(DEPLOYED, ["Pkg.New"]) == []
    assert api.rows("SELECT Name FROM %Dictionary.CompiledMethod WHERE parent = ?",
                    ["Pkg.New"]) == []


def test_kept_current_on_external_change(api: Client) -> None:
    path = api.ws / "Pkg" / "Ext.cls"
    path.write_text("Class Pkg.Ext Extends Pkg.Sub.B\n{\n}\n")
    store = api.app.extensions["atelier"].stores["USER"]
    store.on_external_change(["Pkg/Ext.cls"])
    assert api.rows(DEPLOYED, ["Pkg.Ext"]) == [{"Deployed": 0}]
    assert api.rows("SELECT Name FROM %Dictionary.ClassDefinition_SubclassOf(?, '')",
                    ["Pkg.A"]) == [{"Name": "Pkg.Ext"}, {"Name": "Pkg.Sub.B"}]
    path.unlink()
    store.on_external_change(["Pkg/Ext.cls"])
    assert api.rows(DEPLOYED, ["Pkg.Ext"]) == []


def test_rebuilt_when_derived_state_is_deleted(api: Client) -> None:
    assert api.rows(DEPLOYED, ["Pkg.A"]) == [{"Deployed": 0}]
    state = api.app.extensions["atelier"].settings.state_dir
    folder = derived_dir(state, "USER")
    dictionary = os.path.join(folder, "dictionary.sqlite")
    assert os.path.exists(dictionary)
    shutil.rmtree(folder)
    assert api.rows(DEPLOYED, ["Pkg.A"]) == [{"Deployed": 0}]
    assert os.path.exists(dictionary)


def test_parent_arrow_implicit_join(ro: Client) -> None:
    rows = ro.rows("SELECT m.Name, m.parent->Super AS Sup FROM %Dictionary.CompiledMethod m "
                   "WHERE parent->ID = ? AND m.parent->Abstract = 1 AND m.Origin %STARTSWITH "
                   "'Pkg.' ORDER BY m.Name",
                   ["Pkg.Sub.B"])
    assert rows == [{"Name": "Hello", "Sup": "Pkg.A"}, {"Name": "Make", "Sup": "Pkg.A"}]
    ro.sql_error("SELECT Name FROM %Dictionary.MethodDefinition WHERE Origin->Name = 'x'")


SHAPES = """Class Pkg.Shapes Extends %RegisteredObject
{

/// Before the comment.
/* a block comment
   between members, with a { brace */
/// First.
Method One() As %String
{
    quit "one"
}

  /// Indented.
  Method Two() As %String
  {
    quit "two"
  }

XData Json [ MimeType = application/json ]
{
{
  "a": {
    "b": 1
}
}
}

/* one line */ Method Three()
{
}

}
"""


def test_valid_shapes_keep_every_member(api: Client) -> None:
    """Block comments, indented declarations and a ``}`` line in XData lose no member."""
    assert api.put_doc("Pkg.Shapes.cls", SHAPES).status_code in (200, 201)
    methods = api.rows("SELECT Name, Description FROM %Dictionary.MethodDefinition "
                       "WHERE parent = ? ORDER BY SequenceNumber", ["Pkg.Shapes"])
    assert methods == [{"Name": "One", "Description": "First."},
                       {"Name": "Two", "Description": "Indented."},
                       {"Name": "Three", "Description": None}]
    assert api.rows("SELECT Name FROM %Dictionary.XDataDefinition WHERE parent = ?",
                    ["Pkg.Shapes"]) == [{"Name": "Json"}]
