"""The catalog columns the VS Code extension reads: each test sends a statement as the
extension sends it (src/commands/showAllClassMembers.ts, showPlanPanel.ts,
utils/classDefinition.ts, utils/FileProviderUtil.ts, explorer/nodes.ts,
commands/serverActions.ts, providers/ObjectScriptCompletionItemProvider.ts), with the
parameters it passes, and checks that the rows carry every column the caller reads, with
IRIS's values: NULL where a class leaves a keyword out, the compile's resolved values in the
Compiled* tables, "other" documents as Type 100, and Package on project items."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from atelier_api.sandbox.workspaces import derived_dir

from .conftest import Client


def _one_line(text: str) -> str:
    """A statement written here over several lines, on one line as the extension sends it."""
    return " ".join(text.split())


SHOW_ALL_MEMBERS = _one_line("""
SELECT Name, Origin, MemberType, Info FROM (
SELECT Name, Origin, 'f' AS MemberType, Parent, Internal, NotInheritable,
 '('||REPLACE(Properties,',',', ')||') References '||ReferencedClass||(CASE WHEN ReferencedKey
 IS NOT NULL THEN '('||ReferencedKey||')' ELSE '' END) AS Info
 FROM %Dictionary.CompiledForeignKey UNION
SELECT Name, Origin, 'i' AS MemberType, Parent, Internal, NotInheritable,
 (CASE WHEN Properties LIKE '%,%' THEN 'On ('||REPLACE(Properties,',',', ')||') '
 WHEN Properties IS NOT NULL THEN 'On '||Properties||' ' ELSE '' END)||(CASE WHEN Type IS NOT
 NULL THEN '[ Type = '||Type||' ]' ELSE '' END) AS Info
 FROM %Dictionary.CompiledIndex WHERE NOT (Name %STARTSWITH '$') UNION
SELECT Name, Origin, 'm' AS MemberType, Parent, Internal, NotInheritable,
 '('||(CASE WHEN FormalSpec IS NULL THEN '' ELSE REPLACE(REPLACE(FormalSpec,',',', '),'=',' = ')
 END)||')'||(CASE WHEN ReturnType IS NOT NULL THEN ' As '||ReturnType||(CASE WHEN
 ReturnTypeParams IS NOT NULL THEN '('||REPLACE(ReturnTypeParams,'=',' = ')||')' ELSE '' END)
 ELSE '' END) AS Info FROM %Dictionary.CompiledMethod WHERE Stub IS NULL UNION
SELECT Name, Origin, 'p' AS MemberType, Parent, Internal, NotInheritable,
 CASE WHEN Expression IS NOT NULL THEN Expression WHEN _Default IS NOT NULL THEN _Default
 ELSE Type END AS Info FROM %Dictionary.CompiledParameter UNION
SELECT Name, Origin, 'j' AS MemberType, Parent, Internal, NotInheritable, Type AS Info
 FROM %Dictionary.CompiledProjection UNION
SELECT Name, Origin, 'a' AS MemberType, Parent, Internal, NotInheritable,
 CASE WHEN Collection IS NOT NULL THEN Collection||' Of '||Type ELSE Type END AS Info
 FROM %Dictionary.CompiledProperty UNION
SELECT Name, Origin, 'q' AS MemberType, Parent, Internal, NotInheritable,
 '('||(CASE WHEN FormalSpec IS NULL THEN '' ELSE REPLACE(REPLACE(FormalSpec,',',', '),'=',' = ')
 END)||') As '||Type AS Info FROM %Dictionary.CompiledQuery UNION
SELECT Name, Origin, 's' AS MemberType, Parent, Internal, NotInheritable, Type AS Info
 FROM %Dictionary.CompiledStorage UNION
SELECT Name, Origin, 't' AS MemberType, Parent, Internal, NotInheritable,
 Event||' '||_Time||' '||Foreach AS Info FROM %Dictionary.CompiledTrigger UNION
SELECT Name, Origin, 'x' AS MemberType, Parent, Internal, 0 AS NotInheritable,
 MimeType||(CASE WHEN SUBSTR(MimeType,-4) = '/xml' AND XMLNamespace IS NOT NULL THEN
 ' ('||XMLNamespace||')' ELSE '' END) AS Info FROM %Dictionary.CompiledXData
) WHERE Parent = ? AND ((NotInheritable = 0 AND Internal = 0) OR (Origin = Parent))
ORDER BY Name""")
MEMBER_KEYS = ["Name", "Origin", "MemberType", "Info"]
SHOW_PLAN_CONTEXT = ("SELECT $LISTTOSTRING(Importall) AS Imports, $LISTTOSTRING(IncludeCodeall) "
                     "AS Includes FROM %Dictionary.CompiledClass WHERE Name = ?")
SUPERS = ("SELECT PrimarySuper FROM %Dictionary.CompiledClass WHERE Name %inlist (SELECT "
          "$LISTFROMSTRING(Super, ',') FROM %Dictionary.CompiledClass WHERE Name = ?)")

BASE = '''\
Import Other.Pkg
Include (IncA, IncB)

Class Cat.Base
{

Parameter PLAIN As STRING;

Parameter SUM = {1+2};

Parameter QUOTED = "a ""b""";

Parameter HIDDEN [ Internal ] = 1;

Property Tags As list Of %String(MAXLEN = 5);

Property Secret As %String [ Internal ];

Index Pair On (Tags, Secret) [ Type = bitmap ];

Method Len(ByRef a As %String, Output b, c As %Integer = 4) As %String(MAXLEN = 10)
{
    quit ""
}

Method Mine() [ NotInheritable ]
{
}

Method Hidden() [ Internal ]
{
}

Trigger Audit [ Event = INSERT, Foreach = row/object ]
{
}

XData Schema [ XMLNamespace = "http://example.com/s" ]
{
<s/>
}

}
'''
CHILD = """\
Include IncC

Class Cat.Child Extends Cat.Base
{

}
"""
PLAIN = "Class Cat.Plain\n{\n\n}\n"


def _classes(api: Client) -> None:
    for name, text in (("Cat.Base.cls", BASE), ("Cat.Child.cls", CHILD),
                       ("Cat.Plain.cls", PLAIN)):
        assert api.put_doc(name, text).status_code in (200, 201)


def _by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["Name"]: r for r in rows}


def test_show_all_class_members(ro: Client) -> None:
    rows = ro.rows(SHOW_ALL_MEMBERS, ["Pkg.Sub.B"])
    assert all(list(r) == MEMBER_KEYS for r in rows)
    own = {r["Name"]: (r["Origin"], r["MemberType"], r["Info"]) for r in rows
           if r["Origin"].startswith("Pkg.")}
    assert own == {
        "ByName": ("Pkg.Sub.B", "q", "(name:%String) As %SQLQuery"),
        "Config": ("Pkg.Sub.B", "x", "application/json"),
        "Default": ("Pkg.A", "s", "%Storage.Persistent"),
        "FK": ("Pkg.Sub.B", "f", "(Name) References Pkg.A(NameIdx)"),
        "Hello": ("Pkg.Sub.B", "m", "(a:%String, b:%Integer = 2) As %String"),
        "Log": ("Pkg.Sub.B", "t", "INSERT AFTER row"),
        "Make": ("Pkg.A", "m", "() As Pkg.A"),
        "Name": ("Pkg.A", "a", "%String"),
        "NameIdx": ("Pkg.A", "i", "On Name "),
        "P": ("Pkg.Sub.B", "j", "%Projection.Java"),
        "VERSION": ("Pkg.A", "p", "3"),
    }
    inherited = _by_name(rows)
    assert inherited["%Save"]["Origin"] == "%Library.Persistent"
    assert inherited["%Save"]["Info"].startswith("(")
    assert inherited["%Save"]["Info"].endswith(" As %Status")
    assert [r["Name"] for r in rows] == sorted(r["Name"] for r in rows)
    # IRIS's CompiledXData has no NotInheritable (the statement selects 0 AS NotInheritable)
    env = ro.sql_error("SELECT NotInheritable FROM %Dictionary.CompiledXData")
    assert env["status"]["errors"][0]["params"][0] == "-29"


def test_show_all_members_keywords_and_visibility(api: Client) -> None:
    _classes(api)
    base = _by_name(api.rows(SHOW_ALL_MEMBERS, ["Cat.Base"]))
    assert {n: (r["MemberType"], r["Info"]) for n, r in base.items()} == {
        "PLAIN": ("p", "STRING"),
        "SUM": ("p", "1+2"),
        "QUOTED": ("p", 'a "b"'),
        "HIDDEN": ("p", "1"),
        "Tags": ("a", "list Of %String"),
        "Secret": ("a", "%String"),
        "Pair": ("i", "On (Tags, Secret) [ Type = bitmap ]"),
        "Len": ("m", "(&a:%String, *b, c:%Integer = 4) As %String(MAXLEN = 10)"),
        "Mine": ("m", "()"),
        "Hidden": ("m", "()"),
        "Audit": ("t", "INSERT BEFORE row/object"),
        "Schema": ("x", "text/xml (http://example.com/s)"),
    }
    # a subclass does not list what its super keeps to itself (Internal, NotInheritable)
    child = _by_name(api.rows(SHOW_ALL_MEMBERS, ["Cat.Child"]))
    assert set(base) - set(child) == {"HIDDEN", "Secret", "Mine", "Hidden"}
    assert {r["Origin"] for r in child.values()} == {"Cat.Base"}


def test_left_out_keywords_are_null(ro: Client) -> None:
    assert ro.rows("SELECT Description, FormalSpec, ReturnType, ReturnTypeParams, Stub, "
                   "NotInheritable, CodeMode FROM %Dictionary.CompiledMethod "
                   "WHERE parent = ? AND Name = ?", ["Pkg.Sub.B", "Make"]) == [
        {"Description": None, "FormalSpec": None, "ReturnType": "Pkg.A",
         "ReturnTypeParams": None, "Stub": None, "NotInheritable": 0, "CodeMode": "code"}]
    assert ro.rows("SELECT Description FROM %Dictionary.ClassDefinition WHERE Name = ?",
                   ["Pkg.Sub.B"]) == [{"Description": None}]
    assert ro.rows("SELECT Type, Expression, _Default, _Constraint FROM "
                   "%Dictionary.ParameterDefinition WHERE parent = ?", ["Pkg.A"]) == [
        {"Type": None, "Expression": None, "_Default": "3", "_Constraint": None}]
    assert ro.rows("SELECT Type, Data, _Unique FROM %Dictionary.CompiledIndex WHERE "
                   "parent = ?", ["Pkg.Sub.B"]) == [{"Type": None, "Data": None, "_Unique": 1}]
    assert ro.rows("SELECT Collection, InitialExpression, Parameters FROM "
                   "%Dictionary.PropertyDefinition WHERE parent = ?", ["Pkg.A"]) == [
        {"Collection": None, "InitialExpression": '""', "Parameters": "MAXLEN = 50"}]
    assert ro.rows("SELECT XMLNamespace, SchemaSpec FROM %Dictionary.XDataDefinition") == [
        {"XMLNamespace": None, "SchemaSpec": None}]
    assert ro.rows("SELECT Event, _Time, Foreach FROM %Dictionary.TriggerDefinition") == [
        {"Event": "INSERT", "_Time": "AFTER", "Foreach": None}]
    assert ro.rows("SELECT OnDelete, OnUpdate, SqlName FROM "
                   "%Dictionary.ForeignKeyDefinition") == [
        {"OnDelete": "noaction", "OnUpdate": "noaction", "SqlName": None}]


@pytest.mark.parametrize("table", [
    "CompiledForeignKey", "CompiledIndex", "CompiledParameter", "CompiledProjection",
    "CompiledProperty", "CompiledQuery", "CompiledStorage", "CompiledTrigger"])
def test_member_visibility_columns(ro: Client, table: str) -> None:
    rows = ro.rows(f"SELECT Name, Origin, Parent, Internal, NotInheritable FROM "
                   f"%Dictionary.{table} WHERE Parent = ?", ["Pkg.Sub.B"])
    assert rows and all(r["Internal"] in (0, 1) and r["NotInheritable"] in (0, 1)
                        for r in rows)


def test_keyword_columns_named_like_iris(ro: Client) -> None:
    # reserved words get a leading _ as their SQL field names
    assert ro.rows("SELECT p._Default, t._Time FROM %Dictionary.CompiledParameter p, "
                   "%Dictionary.CompiledTrigger t WHERE p.parent = ? AND p.Name = ? AND "
                   "t.parent = p.parent", ["Pkg.Sub.B", "VERSION"]) == [
        {"_Default": "3", "_Time": "AFTER"}]
    assert ro.rows("SELECT _Language FROM %Dictionary.ClassDefinition WHERE Name = ?",
                   ["Pkg.A"]) == [{"_Language": "objectscript"}]


def test_show_plan_imports_and_includes(api: Client) -> None:
    _classes(api)
    assert api.rows(SHOW_PLAN_CONTEXT, ["Cat.Child"]) == [
        {"Imports": "Other.Pkg", "Includes": "IncA,IncB,IncC"}]
    assert api.rows(SHOW_PLAN_CONTEXT, ["Cat.Plain"]) == [{"Imports": None, "Includes": None}]
    counts = api.rows("SELECT $LISTLENGTH(Importall) AS i, $LISTLENGTH(IncludeCodeAll) AS n, "
                      "$LISTGET(IncludeCodeAll, 3) AS third FROM %Dictionary.CompiledClass "
                      "WHERE Name = ?", ["Cat.Child"])
    assert counts == [{"i": 1, "n": 3, "third": "IncC"}]


def test_super_chain(ro: Client) -> None:
    (row,) = ro.rows(SUPERS, ["Pkg.Sub.B"])
    chain = row["PrimarySuper"].split("~")
    assert chain[0] == chain[-1] == ""
    assert chain[1:4] == ["Pkg.A", "%Library.Persistent", "%Library.SwizzleObject"]
    known = ro.rows("SELECT Name, Super FROM %Dictionary.CompiledClass WHERE Name %INLIST "
                    "$LISTFROMSTRING(?, '~')", [row["PrimarySuper"]])
    assert {r["Name"] for r in known} == set(chain[1:-1])
    assert _by_name(known)[chain[-2]]["Super"] is None  # the chain ends at the root
    # PrimarySuper and ClassType are what the compile resolves, not definition columns
    ro.sql_error("SELECT PrimarySuper FROM %Dictionary.ClassDefinition")
    assert ro.rows("SELECT c.ClassType AS compiled, d.ClassType AS written FROM "
                   "%Dictionary.CompiledClass c JOIN %Dictionary.ClassDefinition d "
                   "ON d.Name = c.Name WHERE c.Name = ?", ["Pkg.Sub.B"]) == [
        {"compiled": "persistent", "written": None}]


def test_class_without_supers(api: Client) -> None:
    _classes(api)
    assert api.rows("SELECT Super, PrimarySuper, Importall, ClassType FROM "
                    "%Dictionary.CompiledClass WHERE Name = ?", ["Cat.Plain"]) == [
        {"Super": None, "PrimarySuper": "~Cat.Plain~", "Importall": None, "ClassType": None}]
    assert api.rows(SUPERS, ["Cat.Plain"]) == []


OTHER_LIST = "SELECT Name, Type FROM %Library.RoutineMgr_StudioOpenDialog(?,?,?,?,?,?,?)"


def _other_documents(api: Client) -> None:
    files = {"Data/Codes.lut": "<lookupTable/>\n", "Flow.bpl": "<process/>\n",
             "Rules/Main.dtl": "<transform/>\n"}
    for rel, text in files.items():
        path = api.ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    api.app.extensions["atelier"].stores["USER"].on_external_change(list(files))


def test_explorer_other_node(api: Client) -> None:
    _other_documents(api)
    # nodes.ts getList("", "OTH"): the node keeps the rows whose Type is "100"
    rows = api.rows(OTHER_LIST, ["*.other,'*.bpl,'*.dtl", "1", "1", "0", "0", "0", "0"])
    assert [(r["Name"], str(r["Type"])) for r in rows] == [("Data.Codes.lut", "100")]
    every = api.rows(OTHER_LIST, ["*.other", "1", "1", "0", "0", "0", "0"])
    assert {(r["Name"], r["Type"]) for r in every} == {
        ("Data.Codes.lut", 100), ("Flow.bpl", 100), ("Rules.Main.dtl", 100)}
    # a package folder lists no "other" document (they have no package folders)
    assert api.rows(OTHER_LIST, ["Data/*.other", "1", "1", "0", "0", "0", "0"]) == []


def test_other_documents_below_a_project_folder(api: Client) -> None:
    _other_documents(api)
    # FileProviderUtil: folderDots + "*.other", flat
    rows = api.rows("SELECT Name, Type FROM %Library.RoutineMgr_StudioOpenDialog(?,1,1,1,1,0,1)",
                    ["Data.*.other"])
    assert rows == [{"Name": "Data.Codes.lut", "Type": 100}]


CREATE = "INSERT INTO %Studio.Project (Name,Description,LastModified) VALUES (?,?,NOW())"
ADD = "INSERT INTO %Studio.ProjectItem (Project,Name,Type) VALUES (?,?,?)"
# FileProviderUtil.projectContentsFromUri(uri, flat = true): Quick Open, folder delete and
# folder compile of a project folder
PROJECT_FLAT = _one_line("""
SELECT CASE WHEN Type = 'CLS' THEN Name||'.cls' ELSE Name END Name, Type
FROM %Studio.Project_ProjectItemsList(?) WHERE (Name %STARTSWITH ? OR Name %STARTSWITH ?) AND ((
(Type = 'MAC' AND EXISTS (SELECT sod.Size FROM
 %Library.RoutineMgr_StudioOpenDialog('*.mac,*.int,*.inc,*.bas,*.mvi',1,1,1,1,0,1) AS sod
 WHERE Name = sod.Name)) OR
(Type = 'CSP' AND EXISTS (SELECT sod.Size FROM
 %Library.RoutineMgr_StudioOpenDialog('*.cspall',1,1,1,1,0,1) AS sod WHERE '/'||Name = sod.Name))
 OR (Type NOT IN ('CLS','PKG','MAC','CSP','DIR','GBL') AND EXISTS (SELECT sod.Size FROM
 %Library.RoutineMgr_StudioOpenDialog('*.other',1,1,1,1,0,1) AS sod WHERE Name = sod.Name))) OR
(Type = 'CLS' AND (Package IS NOT NULL OR (Package IS NULL AND EXISTS (SELECT dcd.ID FROM
 %Dictionary.ClassDefinition AS dcd WHERE dcd.ID = Name)))))
UNION SELECT SUBSTR(sod.Name,2) AS Name, pil.Type FROM
 %Library.RoutineMgr_StudioOpenDialog('*.cspall',1,1,1,1,0,1,?) AS sod
JOIN %Studio.Project_ProjectItemsList(?,1) AS pil ON pil.Type = 'DIR' AND SUBSTR(sod.Name,2)
 %STARTSWITH ? AND SUBSTR(sod.Name,2) %STARTSWITH pil.Name||'/'""")


def _project(api: Client) -> None:
    api.rows(CREATE, ["Proj", ""])
    for name, kind in [("Pkg", "PKG"), ("Gone.Cls", "CLS"), ("Tests.T", "CLS"),
                       ("R.mac", "MAC"), ("csp/user/sub", "DIR")]:
        api.rows(ADD, ["Proj", name, kind])


def _flat(folder: str) -> list[str]:
    dots = folder.replace("/", ".")
    return ["Proj", dots, folder, f"Name %STARTSWITH '/{folder}'", "Proj", folder]


def test_project_items_list_columns(api: Client) -> None:
    _project(api)
    rows = api.rows("SELECT ID, Name, Type, Package FROM %Studio.Project_ProjectItemsList(?,1) "
                    "WHERE Type = 'CLS' ORDER BY Name", ["Proj"])
    assert [(r["Name"], r["Package"]) for r in rows] == [
        ("Gone.Cls", None), ("Pkg.A", "Pkg"), ("Pkg.Sub.B", "Pkg"), ("Tests.T", None)]
    assert rows[1]["ID"] == "Proj||Pkg.A||CLS"


def test_project_folder_flat_listing(api: Client) -> None:
    _project(api)
    # Quick Open of the whole project: the classes of the package item are there (the
    # statement's EXISTS compares the sub-query's own Name, so a gone class item stays)
    everything = api.rows(PROJECT_FLAT, _flat(""))
    assert all(list(r) == ["Name", "Type"] for r in everything)
    assert sorted((r["Name"], r["Type"]) for r in everything) == [
        ("Gone.Cls.cls", "CLS"), ("Pkg.A.cls", "CLS"), ("Pkg.Sub.B.cls", "CLS"),
        ("R.mac", "MAC"), ("Tests.T.cls", "CLS"), ("csp/user/sub/y.csp", "DIR")]
    # deleting or compiling the folder Pkg/Sub of the project
    assert api.rows(PROJECT_FLAT, _flat("Pkg/Sub/")) == [{"Name": "Pkg.Sub.B.cls",
                                                          "Type": "CLS"}]
    assert api.rows(PROJECT_FLAT, _flat("csp/user/")) == [{"Name": "csp/user/sub/y.csp",
                                                           "Type": "DIR"}]


def test_old_dictionary_file_is_rebuilt(api: Client) -> None:
    assert api.rows(SHOW_ALL_MEMBERS, ["Pkg.A"])
    services = api.app.extensions["atelier"]
    path = Path(derived_dir(services.settings.state_dir, "USER")) / "dictionary.sqlite"
    services.close()
    conn = sqlite3.connect(path)  # a file an older server wrote: an older schema
    conn.execute("UPDATE _meta SET v = '3'")
    conn.execute("DROP TABLE CompiledMethod")
    conn.execute('CREATE TABLE CompiledMethod ("ID" TEXT, "parent" TEXT, "Name" TEXT)')
    conn.commit()
    conn.close()
    from atelier_api.app import create_app

    again = create_app(services.settings).extensions["atelier"]
    try:
        answer = again.sql["USER"].query(SHOW_ALL_MEMBERS, ["Pkg.A"])
        assert {r["Name"] for r in answer.content} >= {"Hello", "Make", "%Save"}
    finally:
        again.close()


# Columns of class queries and expression types another module answers (see the notes).
def test_studio_add_ins(ro: Client) -> None:
    """Studio Add-ins (serverActions.ts): Name, Description and Url; this server has none."""
    rows = ro.rows("SELECT Name AS label, Description AS detail, Url AS id FROM "
                   "%CSP.StudioTemplateMgr_Templates('ADDIN')")
    assert rows == []


COMPLETION = _one_line("""
SELECT DISTINCT $Piece(Name, '.', 1) PartName, CASE WHEN GREATEST($Length(Name,'.'),1) > 1
THEN 1 ELSE 0 END AsPackage, 2 Priority FROM %Dictionary.ClassDefinition
WHERE Hidden=0 AND LOWER(Name) %STARTSWITH ? ORDER BY PartName,AsPackage DESC""")


def test_class_name_completion_marks_packages(ro: Client) -> None:
    """The completion query runs (``$Piece``, ``GREATEST``, ``%STARTSWITH``, a CASE). IRIS's
    CASE reference says results that are all numbers give a number, and action/query
    answers numbers as numbers, so ``AsPackage`` is 1, not the string "1" the extension
    compares with (ObjectScriptCompletionItemProvider.ts): the extension's comparison, not
    the answer, is what differs."""
    rows = ro.rows(COMPLETION, ["p"])
    assert [(r["PartName"], r["AsPackage"]) for r in rows] == [("Pkg", 1)]
