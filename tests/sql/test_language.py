"""IRIS SQL language features the VS Code extension's statements use (issue 16): DISTINCT BY,
class queries whose arguments come from columns of earlier tables (lateral joins, a Filter
built from a column), %PATTERN, ``[`` and ``]``, STRING(), the LIST aggregate, $LISTTOSTRING,
$LISTGET, %SQLUPPER / %EXACT (with and without parentheses), omitted arguments, and Show
Plan (``%SYSTEM.QUERY_PLAN``).

The statements are built from the extension's sources (facts, not code):
``utils/FileProviderUtil.ts`` (project folder listings), ``explorer/nodes.ts`` (project
tree), ``utils/documentPicker.ts`` (package expansion with %PATTERN),
``providers/ObjectScriptCompletionItemProvider.ts`` (``STRING('%', ...)``),
``utils/classDefinition.ts`` (``LIST(IncludeCode)``), ``commands/showPlanPanel.ts``
(``$LISTTOSTRING(Importall)``, ``SELECT %SYSTEM.QUERY_PLAN(?,,,,,?) XML``).
"""

from __future__ import annotations

import dataclasses
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from atelier_api.sql import patterns as sql_patterns
from compiler_stub.runtime import patterns as runtime_patterns
from compiler_stub.runtime.errors import ObjectScriptError

from .conftest import Client

CREATE = "INSERT INTO %Studio.Project (Name,Description,LastModified) VALUES (?,?,NOW())"
ADD = "INSERT INTO %Studio.ProjectItem (Project,Name,Type) VALUES (?,?,?)"
PROJECT_ITEMS = [("Pkg", "PKG"), ("R.mac", "MAC"), ("Tests.T", "CLS"), ("csp/user", "DIR"),
                 ("Other.Thing.mac", "MAC"), ("Gone.mac", "MAC")]


def _project(api: Client, items: list[tuple[str, str]] = PROJECT_ITEMS) -> None:
    api.rows(CREATE, ["Proj", ""])
    for name, kind in items:
        api.rows(ADD, ["Proj", name, kind])


def _code(env: dict[str, Any]) -> int:
    return int(env["status"]["errors"][0]["params"][0])


def _pairs(rows: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return sorted((r["Name"], r["Type"]) for r in rows)


# --- DISTINCT BY and lateral class queries ------------------------------------------------------

ROOT_NAME = ("CASE WHEN Type = 'CSP' OR Type = 'DIR' THEN $PIECE(Name,'/') "
             "WHEN (Type != 'CSP' AND Type != 'DIR' AND $LENGTH(Name,'.') > 2 AND "
             "UPPER($PIECE(Name,'.',$LENGTH(Name,'.'))) != 'DFI') "
             "OR Type = 'CLS' OR Type = 'PKG' THEN $PIECE(Name,'.') ELSE Name END")
#: FileProviderUtil.projectContentsFromUri at the project's root
PROJECT_ROOT = (
    f"SELECT DISTINCT BY ({ROOT_NAME}) {ROOT_NAME} Name, Type "
    "FROM %Studio.Project_ProjectItemsList(?,1) AS pil WHERE "
    "(Type NOT IN ('CLS','PKG','DIR','GBL') AND EXISTS (SELECT Size FROM "
    "%Library.RoutineMgr_StudioOpenDialog(pil.Name,1,1,1,1,0,1))) OR "
    "(Type = 'CLS' AND EXISTS (SELECT dcd.ID FROM %Dictionary.ClassDefinition AS dcd "
    "WHERE dcd.ID = pil.Name)) OR "
    "(Type = 'PKG' AND EXISTS (SELECT TOP 1 dcd.ID FROM %Dictionary.ClassDefinition AS dcd "
    "WHERE dcd.ID %STARTSWITH pil.Name||'.')) OR "
    "(Type = 'DIR' AND EXISTS (SELECT TOP 1 Size FROM "
    "%Library.RoutineMgr_StudioOpenDialog('*.cspall',1,1,1,1,0,1,"
    "'Name %STARTSWITH ''/'||pil.Name||'/''')))")


def test_project_root_distinct_by_with_lateral_class_queries(api: Client) -> None:
    _project(api)
    rows = api.rows(PROJECT_ROOT, ["Proj"])
    # one row per top-level name; Gone.mac (no such routine) is left out by the lateral
    # StudioOpenDialog(pil.Name, ...) call, csp/user is kept by the Filter built from its name
    assert sorted(r["Name"] for r in rows) == ["Other", "Pkg", "R.mac", "Tests", "csp"]
    assert all(list(r) == ["Name", "Type"] for r in rows)
    assert dict(_pairs(rows))["R.mac"] == "MAC"


def test_distinct_by_keeps_one_row_per_value(ro: Client) -> None:
    rows = ro.rows("SELECT DISTINCT BY ($PIECE(Name,'.')) $PIECE(Name,'.') AS Top, Name "
                   "FROM %Dictionary.ClassDefinition WHERE Name %STARTSWITH 'Pkg.' OR "
                   "Name %STARTSWITH 'Tests.' ORDER BY Top")
    assert [r["Top"] for r in rows] == ["Pkg", "Tests"]
    assert rows[0]["Name"] in ("Pkg.A", "Pkg.Sub.B") and rows[1]["Name"] == "Tests.T"
    # BY names the table's column, not the output column of the same name
    same = ro.rows("SELECT DISTINCT BY (Name) $PIECE(Name,'.') Name "
                   "FROM %Dictionary.ClassDefinition WHERE Name %STARTSWITH 'Pkg.'")
    assert same == [{"Name": "Pkg"}, {"Name": "Pkg"}]


def test_distinct_by_with_group_by_is_refused(ro: Client) -> None:
    env = ro.sql_error("SELECT DISTINCT BY (Name) Name FROM %Dictionary.ClassDefinition "
                       "GROUP BY Name")
    assert _code(env) == -1 and "DISTINCT BY" in env["status"]["summary"]


def test_lateral_join_in_the_from_list(api: Client) -> None:
    _project(api)
    rows = api.rows("SELECT pil.Name AS Item, sod.Name, sod.Type FROM "
                    "%Studio.Project_ProjectItemsList(?) AS pil, "
                    "%Library.RoutineMgr_StudioOpenDialog(pil.Name,1,1,1,1,0,1) AS sod "
                    "ORDER BY pil.Name", ["Proj"])
    assert [(r["Item"], r["Name"], r["Type"]) for r in rows] == [
        ("Other.Thing.mac", "Other.Thing.mac", 0), ("R.mac", "R.mac", 0)]


def test_lateral_left_join_gives_null_for_absent_rows(api: Client) -> None:
    _project(api)
    rows = api.rows("SELECT pil.Name AS Item, sod.* FROM %Studio.Project_ProjectItemsList(?) "
                    "AS pil LEFT JOIN %Library.RoutineMgr_StudioOpenDialog(pil.Name,1,1,1,1,0,1)"
                    " AS sod ON 1 = 1 WHERE pil.Type = 'MAC' ORDER BY pil.Name", ["Proj"])
    assert [r["Item"] for r in rows] == ["Gone.mac", "Other.Thing.mac", "R.mac"]
    assert list(rows[0]) == ["Item", "Name", "IsDirectory", "Type", "Size", "Date",
                             "Description", "IconType"]
    assert rows[0]["Name"] is None and rows[0]["Size"] is None
    assert rows[1]["Name"] == "Other.Thing.mac" and rows[1]["Size"] > 0


def test_lateral_call_with_a_filter_built_from_a_column(api: Client) -> None:
    _project(api)
    rows = api.rows("SELECT pil.Name, (SELECT COUNT(*) FROM "
                    "%Library.RoutineMgr_StudioOpenDialog('*.cspall',1,1,1,1,0,1,"
                    "'Name %STARTSWITH ''/'||pil.Name||'/''')) AS Files "
                    "FROM %Studio.Project_ProjectItemsList(?) AS pil WHERE pil.Type = 'DIR'",
                    ["Proj"])
    assert rows == [{"Name": "csp/user", "Files": 3}]
    env = api.sql_error("SELECT pil.Name FROM %Studio.Project_ProjectItemsList(?) AS pil "
                        "WHERE EXISTS (SELECT 1 FROM %Library.RoutineMgr_StudioOpenDialog("
                        "'*',1,1,1,1,0,1,'Bogus = '''||pil.Name||''''))", ["Proj"])
    assert _code(env) == -29 and "Bogus" in env["status"]["summary"]


def test_lateral_name_resolution_errors(api: Client) -> None:
    _project(api)
    ambiguous = api.sql_error("SELECT Name FROM %Studio.Project_ProjectItemsList(?) AS pil, "
                              "%Library.RoutineMgr_StudioOpenDialog(pil.Name) AS sod", ["Proj"])
    assert _code(ambiguous) == -27
    for column in ("sod.value", "value"):
        env = api.sql_error(f"SELECT {column} FROM %Studio.Project_ProjectItemsList(?) AS pil,"
                            " %Library.RoutineMgr_StudioOpenDialog(pil.Name) AS sod", ["Proj"])
        assert _code(env) == -29
    env = api.sql_error("SELECT * FROM %Studio.Project_ProjectItemsList(?) AS pil, "
                        "%Library.No_Such(pil.Name) AS x", ["Proj"])
    assert _code(env) == -428


# --- %PATTERN ------------------------------------------------------------------------------------

def test_project_folder_union_with_pattern(api: Client) -> None:
    """FileProviderUtil.projectContentsFromUri for a folder of the project (five UNIONed
    SELECTs, %PATTERN in a CASE)."""
    assert api.put_doc("Pkg.Rt.mac", "ROUTINE Pkg.Rt\n quit").status_code in (200, 201)
    _project(api, [("Pkg.Sub", "PKG"), ("Pkg.A", "CLS"), ("Pkg.Rt.mac", "MAC")])
    folder, dots = "Pkg/", "Pkg."
    n = str(len(folder) + 1)
    query = (
        "SELECT sod.Name, pil.Type FROM %Library.RoutineMgr_StudioOpenDialog(?,1,1,1,0,0,1) AS "
        "sod JOIN %Studio.Project_ProjectItemsList(?) AS pil ON "
        "(pil.Type = 'CLS' AND ?||sod.Name = pil.Name||'.cls') OR "
        "(pil.Type = 'PKG' AND ?||sod.Name = pil.Name) OR "
        "((pil.Type = 'CLS' OR pil.Type = 'PKG') AND pil.Name %STARTSWITH ?||sod.Name||'.') "
        "WHERE pil.Type = 'CLS' OR pil.Type = 'PKG' "
        "UNION SELECT CASE WHEN ($LENGTH(SUBSTR(sod.Name,?),'.') > 2 AND NOT "
        "(SUBSTR(sod.Name,?) %PATTERN '.E1\".\"0.1\"G\"1N1\".int\"')) "
        "THEN $PIECE(SUBSTR(sod.Name,?),'.') ELSE SUBSTR(sod.Name,?) END Name, pil.Type FROM "
        "%Library.RoutineMgr_StudioOpenDialog(?,1,1,1,1,0,1) AS sod JOIN "
        "%Studio.Project_ProjectItemsList(?) AS pil ON pil.Type = 'MAC' AND sod.Name = pil.Name "
        "UNION SELECT sod.Name, pil.Type FROM "
        "%Library.RoutineMgr_StudioOpenDialog(?,1,1,1,0,0,1) AS sod JOIN "
        "%Studio.Project_ProjectItemsList(?,1) AS pil ON "
        "(pil.Type = 'DIR' AND ?||sod.Name %STARTSWITH pil.Name||'/') OR "
        "(pil.Type = 'CSP' AND ?||sod.Name = pil.Name) "
        "UNION SELECT $PIECE(SUBSTR(Name,?),'/') AS Name, Type FROM "
        "%Studio.Project_ProjectItemsList(?,1) WHERE (Type = 'DIR' AND "
        "$LENGTH($PIECE(SUBSTR(Name,?),'/')) > 0 AND Name %STARTSWITH ? AND EXISTS "
        "(SELECT sod.Size FROM %Library.RoutineMgr_StudioOpenDialog('*.cspall',1,1,1,0,0,1) AS "
        "sod WHERE Name %STARTSWITH sod.Name||'/' OR Name = sod.Name)) OR (Type = 'CSP' AND "
        "Name %STARTSWITH ? AND EXISTS (SELECT sod.Size FROM "
        "%Library.RoutineMgr_StudioOpenDialog('*.cspall',1,1,1,1,0,1) AS sod WHERE "
        "Name = sod.Name)) "
        "UNION SELECT CASE WHEN $LENGTH(SUBSTR(sod.Name,?),'.') > 2 THEN "
        "$PIECE(SUBSTR(sod.Name,?),'.') ELSE SUBSTR(sod.Name,?) END Name, pil.Type FROM "
        "%Library.RoutineMgr_StudioOpenDialog(?,1,1,1,1,0,1) AS sod JOIN "
        "%Studio.Project_ProjectItemsList(?,1) AS pil ON "
        "$PIECE(sod.Name,'.',1,$LENGTH(sod.Name,'.')-1) = "
        "$PIECE(pil.Name,'.',1,$LENGTH(pil.Name,'.')-1) AND "
        "UPPER($PIECE(sod.Name,'.',$LENGTH(sod.Name,'.'))) = "
        "$PIECE(pil.Name,'.',$LENGTH(pil.Name,'.'))")
    routines = ",".join(f"{dots}*.{e}" for e in ["mac", "int", "inc", "bas", "mvi"])
    params = [dots[:-1] + "/*", "Proj", dots, dots, dots, n, n, n, n, routines, "Proj",
              folder + "*", "Proj", folder, folder, n, "Proj", n, folder, folder, n, n, n,
              dots + "*.other", "Proj"]
    found = _pairs(api.rows(query, params))
    assert {name for name, _type in found} == {"A.cls", "Rt.mac", "Sub"}
    assert {("A.cls", "CLS"), ("Rt.mac", "MAC"), ("Sub", "PKG")} <= set(found)


def test_project_tree_routine_names_with_pattern(api: Client) -> None:
    """explorer/nodes.ts: generated INT names stay whole, other dotted names are folders."""
    _project(api, [("Rt.A.B.mac", "MAC"), ("Rt.Gen.1.int", "MAC"), ("Rt.Gen.G2.int", "MAC"),
                   ("Rt.Z.mac", "MAC"), ("Rt.Zi.inc", "MAC")])
    pattern = '.E1"."0.1"G"1N1".int"'
    query = ("SELECT DISTINCT CASE WHEN $LENGTH(SUBSTR(Name,?),'.') > 2 AND NOT "
             f"(SUBSTR(Name,?) %PATTERN '{pattern}') THEN $PIECE(SUBSTR(Name,?),'.') "
             "ELSE SUBSTR(Name,?) END Name FROM %Studio.Project_ProjectItemsList(?,1) "
             "WHERE Name %STARTSWITH ? AND Type = 'MAC' AND "
             "$PIECE(Name,'.',$LENGTH(Name,'.')) != 'inc'")
    rows = api.rows(query, ["4", "4", "4", "4", "Proj", "Rt."])
    assert sorted(r["Name"] for r in rows) == ["A", "Gen.1.int", "Gen.G2.int", "Z.mac"]


def test_pattern_parameter_and_omitted_argument(ro: Client) -> None:
    """documentPicker.ts: StudioOpenDialog(?,1,1,?,1,0,?,,0,?) WHERE Name %PATTERN ?"""
    query = ("SELECT Name FROM %Library.RoutineMgr_StudioOpenDialog(?,1,1,?,1,0,?,,0,?) "
             "WHERE Name %PATTERN ?")
    rows = ro.rows(query, ["*", "0", "0", "1", '1(1"Pkg.",1"Tests.").E'])
    assert [r["Name"] for r in rows] == ["Pkg.A.cls", "Pkg.Sub.B.cls", "Tests.T.cls"]
    # the omitted Filter is NULL in its place: the arguments after it keep their places
    assert ro.rows("SELECT Name FROM %Library.RoutineMgr_StudioOpenDialog("
                   "'*.mac',1,1,0,1,0,0,,0,1)") == ro.rows(
        "SELECT Name FROM %Library.RoutineMgr_StudioOpenDialog('*.mac',1,1,0,1,0,0,'',0,1)")


def test_pattern_in_every_position(ro: Client) -> None:
    rows = ro.rows("SELECT Name, Name %PATTERN '1U.L1\".\"1U' AS Short, "
                   "CASE WHEN NOT (Name %PATTERN '.E1\"Sub\".E') THEN 1 ELSE 0 END AS NoSub "
                   "FROM %Dictionary.ClassDefinition WHERE Name NOT %PATTERN '1\"%\".E' "
                   "AND Name %PATTERN ? ORDER BY Name", ['1(1"Pkg",1"Tests")1".".E'])
    assert rows == [{"Name": "Pkg.A", "Short": 1, "NoSub": 1},
                    {"Name": "Pkg.Sub.B", "Short": 0, "NoSub": 0},
                    {"Name": "Tests.T", "Short": 1, "NoSub": 1}]
    assert ro.rows("SELECT NULL %PATTERN '.E' AS P") == [{"P": None}]


def test_bad_and_hostile_patterns(ro: Client) -> None:
    bad = ro.sql_error("SELECT Name FROM %Dictionary.ClassDefinition WHERE Name %PATTERN ?",
                       ["1(("])
    assert _code(bad) == -400 and "<SYNTAX>" in bad["status"]["summary"]
    big = ro.sql_error("SELECT Name FROM %Dictionary.ClassDefinition WHERE Name %PATTERN ?",
                       ["100000N"])
    assert _code(big) == -400 and "too complex" in big["status"]["summary"]
    start = time.monotonic()
    rows = ro.rows("SELECT ? %PATTERN ? AS M", ["a" * 3000 + "!", '.(.E,.E,.A).(.E,.A)1"x"'])
    assert rows == [{"M": 0}] and time.monotonic() - start < 5


def _time_limit(api: Client, seconds: float) -> None:
    service = api.app.extensions["atelier"].sql["USER"]
    service.limits = dataclasses.replace(service.limits, time_limit=seconds)


def test_lateral_calls_and_patterns_stop_at_the_time_limit(api: Client) -> None:
    _time_limit(api, 1.0)
    many = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000)"
            " SELECT COUNT(*) AS n FROM c, "
            "%Library.RoutineMgr_StudioOpenDialog('R'||x||'.mac',1,1,1,1,0,1) AS s")
    start = time.monotonic()
    env = api.sql_error(many)
    assert _code(env) == -450 and time.monotonic() - start < 8
    # one %PATTERN match of a long value against a large automaton: billions of steps
    start = time.monotonic()
    env = api.sql_error("SELECT ? %PATTERN ? AS M", ["a" * 1_000_000, '.E1.9000E1"b"'])
    assert _code(env) == -450 and time.monotonic() - start < 8


PATTERNS = ["1N", "3N", "1.3N", ".N", "1A", "1U.L", '.E1"."0.1"G"1N1".int"',
            '1(1"Pkg.",1"Tests.").E', '2N1"-"2N', '1""""', "1(1N,1A)1P", ".AN", "1an",
            "3.5E", ".3L", "0N", "1C", "1P", "1AN1P", '1(2N,1(1"a",1"b"))', "1E",
            '.(1"ab",1"a")1"b"', '2.(1"ab")', "1.U1.L", ".P.E", '0.1"x".E', "2.3(1N,1U)",
            "1ACELNPU", "1e", '.1"a"'][:]
VALUES = ["", "1", "12", "123", "1234", "a", "A", "Ab", "abc", "Pkg.A.cls", "Tests.T.cls",
          "R.mac", "X.1.int", "X.G1.int", "X.G12.int", "X.Gx.int", "12-34", '"', "é", "É",
          "ß", "\x01", " ", "!", "€", "١", "ab", "aab", "abab", "ǅ", "𝐀", "a b", "\t",
          "x", "xx", "1a!", "12ab", "\u00a0", "\ud7ff"]
BAD_PATTERNS = ["", "N", "1", "1Z", '1"abc', "1(1N", "3.2N", "1(,1N)", ")", "1N,", "1()",
                ".", "1N)"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_sql_pattern_match_agrees_with_the_runtime(pattern: str) -> None:
    for value in VALUES:
        expected = runtime_patterns.match(value, pattern)
        assert sql_patterns.match(value, pattern) is expected, (value, pattern)


@pytest.mark.parametrize("pattern", BAD_PATTERNS)
def test_sql_pattern_errors_agree_with_the_runtime(pattern: str) -> None:
    with pytest.raises(ObjectScriptError):
        runtime_patterns.match("x", pattern)
    with pytest.raises(sql_patterns.PatternError):
        sql_patterns.match("x", pattern)


def test_pattern_match_asks_the_budget() -> None:
    calls = []

    class Stop(Exception):
        pass

    def check() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise Stop

    with pytest.raises(Stop):
        sql_patterns.match("a" * 100_000, ".E1\"b\"", check)
    assert len(calls) == 4


# --- [ and ], STRING, LIST, $LIST functions, collations ------------------------------------------

def test_contains_and_follows(ro: Client) -> None:
    def names(where: str) -> list[str]:
        return [r["Name"] for r in ro.rows(
            "SELECT Name FROM %Dictionary.ClassDefinition WHERE Name %STARTSWITH 'Pkg.' "
            f"AND {where} ORDER BY Name")]

    assert names("Super [ 'Pkg'") == ["Pkg.Sub.B"]
    assert names("Super [ 'pkg'") == []  # the contains operator is case-sensitive
    assert names("NOT (Super [ 'Pkg')") == ["Pkg.A"]
    assert names("Name ] 'Pkg.A'") == ["Pkg.Sub.B"]
    assert names("Name ] 'Pkg'") == ["Pkg.A", "Pkg.Sub.B"]
    assert ro.rows("SELECT 10 ] 9 AS N, '10' ] '9' AS S, NULL [ 'a' AS U") == [
        {"N": 1, "S": 0, "U": None}]


def test_string_function(ro: Client) -> None:
    """ObjectScriptCompletionItemProvider: STRING('%', $PIECE(Name,'.',2)) for %Library."""
    rows = ro.rows("SELECT STRING('%', $PIECE(Name,'.',2)) PartName, 0 AsPackage, 1 Priority "
                   "FROM %Dictionary.ClassDefinition WHERE LOWER(Name) %STARTSWITH ?",
                   ["%library.persistent"])
    assert rows == [{"PartName": "%Persistent", "AsPackage": 0, "Priority": 1}]
    assert ro.rows("SELECT STRING('a', NULL, 1, 'b') AS S") == [{"S": "a1b"}]


def test_list_aggregate(ro: Client) -> None:
    rows = ro.rows("SELECT LIST(Name) AS Names, LIST(DISTINCT $PIECE(Name,'.')) AS Tops "
                   "FROM %Dictionary.ClassDefinition WHERE Name %STARTSWITH 'Pkg.'")
    assert sorted(rows[0]["Names"].split(",")) == ["Pkg.A", "Pkg.Sub.B"]
    assert rows[0]["Tops"] == "Pkg"
    assert list(ro.rows("SELECT LIST(Name) FROM %Dictionary.ClassDefinition WHERE "
                        "Name = 'Pkg.A'")[0]) == ["Aggregate_1"]
    # classDefinition.ts includeCode(): LIST over the primary superclasses
    found = ro.rows("SELECT LIST(IncludeCode) List FROM %Dictionary.CompiledClass WHERE Name "
                    "%INLIST (SELECT $LISTFROMSTRING(PrimarySuper, '~') FROM "
                    "%Dictionary.CompiledClass WHERE Name = ?)", ["Pkg.Sub.B"])
    assert len(found) == 1 and list(found[0]) == ["List"]


def test_list_functions(ro: Client) -> None:
    rows = ro.rows("SELECT $LISTTOSTRING($LISTBUILD('a',1,'c')) AS C, "
                   "$LISTTOSTRING($LISTBUILD('a','b'), ';') AS S, "
                   "$LISTGET($LISTBUILD('a','b'), 3) AS Absent, "
                   "$LISTGET($LISTBUILD('a','b'), -1) AS Last, "
                   "$LISTGET($LISTBUILD('a'), 2, 'd') AS Dflt, $LISTTOSTRING(NULL) AS N")
    assert rows == [{"C": "a,1,c", "S": "a;b", "Absent": None, "Last": "b", "Dflt": "d",
                     "N": None}]
    # showPlanPanel.ts: the imports and include files of the class
    shown = ro.rows("SELECT $LISTTOSTRING(Importall) AS Imports, $LISTTOSTRING(IncludeCodeall)"
                    " AS Includes FROM %Dictionary.CompiledClass WHERE Name = ?", ["Pkg.A"])
    assert len(shown) == 1 and list(shown[0]) == ["Imports", "Includes"]


def test_collation_functions(ro: Client) -> None:
    rows = ro.rows("SELECT %SQLUPPER(Name) AS U, %SQLUPPER Name AS V, %SQLUPPER('ab  ', 2) AS T,"
                   " %SQLSTRING('ab ') AS S, %EXACT Name AS E, %UPPER(Name) AS P "
                   "FROM %Dictionary.ClassDefinition WHERE %SQLUPPER Name = %SQLUPPER ?",
                   ["pkg.a"])
    assert rows == [{"U": " PKG.A", "V": " PKG.A", "T": " A", "S": " ab", "E": "Pkg.A",
                     "P": "PKG.A"}]
    # the idiom of IPM's resource queries: case-insensitive prefix through the collation
    rows = ro.rows("SELECT Name FROM %Dictionary.ClassDefinition WHERE %SQLUPPER(Name) "
                   "%STARTSWITH %SQLUPPER(?) ORDER BY Name", ["pkg."])
    assert [r["Name"] for r in rows] == ["Pkg.A", "Pkg.Sub.B"]


def test_unknown_operator_is_a_syntax_error(ro: Client) -> None:
    assert _code(ro.sql_error("SELECT 1 -|- 2")) == -1


# --- Show Plan ----------------------------------------------------------------------------------

SHOW_PLAN = "SELECT %SYSTEM.QUERY_PLAN(?,,,,,?) XML"
OPTIONS = '{"format":"LINEAR-XML","selectmode":"RUNTIME","packages":"$LFS(\\"Pkg\\")"}'


def _plan(ro: Client, statement: str) -> ET.Element:
    rows = ro.rows(SHOW_PLAN, [statement, OPTIONS])
    assert list(rows[0]) == ["XML"]
    return ET.fromstring(rows[0]["XML"])


def test_show_plan_document(ro: Client) -> None:
    statement = ("SELECT m.Name FROM %Dictionary.MethodDefinition m\n"
                 "WHERE m.parent = ? ORDER BY m.Name")
    plan = _plan(ro, statement)
    assert plan.tag == "plan"
    assert [c.tag for c in plan] == ["sql", "info", "cost"]
    assert (plan.find("sql").text or "").strip().splitlines()[0] == statement.splitlines()[0]
    cost = plan.find("cost")
    assert cost is not None and cost.get("value") == "0"
    steps = (cost.tail or "").strip().splitlines()
    assert steps and steps[0].lstrip().startswith(("SCAN m", "SEARCH m"))
    assert "%Dictionary.MethodDefinition" in steps[0]


def test_show_plan_of_lateral_and_embedded_sql(ro: Client) -> None:
    plan = _plan(ro, "SELECT pil.Name FROM %Studio.Project_ProjectItemsList('P') AS pil "
                     "WHERE EXISTS (SELECT 1 FROM "
                     "%Library.RoutineMgr_StudioOpenDialog(pil.Name) AS s)")
    text = plan.find("cost").tail or ""  # type: ignore[union-attr]
    assert "SUBQUERY" in text and "%Library.RoutineMgr_StudioOpenDialog()" in text
    embedded = _plan(ro, "SELECT Name INTO :name FROM %Dictionary.ClassDefinition "
                         "WHERE Name = :cls")
    assert "%Dictionary.ClassDefinition" in (embedded.find("cost").tail or "")  # type: ignore[union-attr]


def test_show_plan_prepares_without_running(api: Client) -> None:
    _project(api)
    _plan(api, "DELETE FROM %Studio.Project WHERE Name = 'Proj'")
    assert api.rows("SELECT Name FROM %Studio.Project") == [{"Name": "Proj"}]


@pytest.mark.parametrize("statement,code", [
    ("SELECT Name FROM Sample.Person", -30),
    ("SELEC Name FROM x", -1),
    ("SELECT hex(Name) FROM %Dictionary.ClassDefinition", -99),  # the authorizer applies
    ("SELECT * FROM %Library.No_Such(1)", -428),
    ("", -1),
])
def test_show_plan_of_what_the_server_cannot_run(ro: Client, statement: str, code: int
                                                 ) -> None:
    assert _code(ro.sql_error(SHOW_PLAN, [statement, "{}"])) == code


PERSON = """Class Shop.Order Extends %Persistent
{

Property Customer As %String;

Property Total As %Numeric;

Property Lines As array Of %String;

Property Temp As %String [ Transient ];

Index CustomerIdx On Customer;

Index TotalIdx On (Total, Customer) [ Unique ];

}
"""


def test_show_plan_over_a_persistent_class_uses_its_shape_and_indices(api: Client) -> None:
    assert api.put_doc("Shop.Order.cls", PERSON).status_code in (200, 201)
    by_customer = _plan(api, "SELECT Total INTO :t FROM Shop.Order WHERE Customer = :c")
    text = by_customer.find("cost").tail or ""  # type: ignore[union-attr]
    assert "SEARCH Order (Shop.Order) USING INDEX CustomerIdx (Customer=?)" in text, text
    assert "iris_plan" not in text
    whole = _plan(api, "SELECT o.ID FROM Shop.Order o ORDER BY o.Total")
    assert "(Shop.Order)" in (whole.find("cost").tail or "")  # type: ignore[union-attr]
    # only stored properties are columns: an array (a child table) and a transient are not
    assert _code(api.sql_error(SHOW_PLAN, ["SELECT Temp FROM Shop.Order", "{}"])) == -29
    assert _code(api.sql_error(SHOW_PLAN, ["SELECT Lines FROM Shop.Order", "{}"])) == -29
    # the plan leaves nothing behind, and running over class data says why it cannot
    error = api.sql_error("SELECT Total FROM Shop.Order")
    assert _code(error) == -30 and "does not run it over their data" in str(error)
    assert _code(api.sql_error(SHOW_PLAN, ["SELECT 1 FROM SQLUser.Order", "{}"])) == -30


#: the "other documents" part of the extension's project sub-folder listing
#: (FileProviderUtil.ts): a join on $PIECE expressions of both class queries' names
OTHER_DOCS = ("SELECT sod.Name, pil.Type FROM "
              "%Library.RoutineMgr_StudioOpenDialog('*.mac',1,1,1,1,0,1) AS sod "
              "JOIN %Studio.Project_ProjectItemsList('Proj',1) AS pil "
              "ON $PIECE(sod.Name,'.',1,$LENGTH(sod.Name,'.')-1) = "
              "$PIECE(pil.Name,'.',1,$LENGTH(pil.Name,'.')-1) "
              "AND UPPER($PIECE(sod.Name,'.',$LENGTH(sod.Name,'.'))) = "
              "$PIECE(pil.Name,'.',$LENGTH(pil.Name,'.'))")


def test_a_join_on_expressions_of_class_queries_looks_up_an_index(api: Client) -> None:
    """Each side of such a join is indexed for the statement, so a row of one class query
    finds its partners by a search, not by trying every row of the other (at 20,000
    documents and 500 items the listing took 10 s, then 0.9 s)."""
    _project(api, [("R.MAC", "OTH"), ("Pkg.A", "CLS"), ("Gone.MAC", "OTH")])
    assert _pairs(api.rows(OTHER_DOCS)) == [("R.mac", "OTH")]
    steps = (_plan(api, OTHER_DOCS).find("cost").tail or "")  # type: ignore[union-attr]
    assert "USING INDEX" in steps, steps
    # a key SQLite cannot index (not deterministic) leaves the join as it was
    unindexed = OTHER_DOCS.replace("$LENGTH(sod.Name,'.')-1",
                                   "$LENGTH(sod.Name,'.')-1+0*LENGTH(NOW())")
    assert _pairs(api.rows(unindexed)) == [("R.mac", "OTH")]
