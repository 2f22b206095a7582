"""The fixed statements the extension sends on connect, open and close, and the SQL error
envelope for everything this server does not answer."""

from __future__ import annotations

import pytest

from .conftest import Client, envelope

USER_ACTION = "select * from %Atelier_v1_Utils.Extension_UserAction(?, ?, ?, ?)"
AFTER_ACTION = "select * from %Atelier_v1_Utils.Extension_AfterUserAction(?, ?, ?, ?, ?)"
DEPLOYED = "SELECT Deployed FROM %Dictionary.ClassDefinition WHERE Name = ?"


def test_connect_statements(ro: Client) -> None:
    types = ro.rows("SELECT Extention FROM %Library.RoutineMgr_DocumentTypes()")
    assert {"Extention": "DTL"} in types and all(list(r) == ["Extention"] for r in types)
    mode = ro.rows("SELECT UPPER(Value) AS SystemMode FROM "
                   "%Library.Global_Get(?,'^%SYS(\"SystemMode\")')", ["USER"])
    assert mode == []


def test_open_class_deployed_check(ro: Client) -> None:
    assert ro.rows(DEPLOYED, ["Pkg.A"]) == [{"Deployed": 0}]
    assert ro.rows(DEPLOYED, ["Pkg.Sub.B"]) == [{"Deployed": 1}]
    assert ro.rows(DEPLOYED, ["No.Such"]) == []


def test_source_control_on_open_and_close(ro: Client) -> None:
    assert ro.rows(USER_ACTION, ["1", "%SourceMenu,Opened", "Pkg.A.cls", ""]) == []
    assert ro.rows(USER_ACTION, ["1", "%SourceMenu,Closed", "Pkg.A.cls", ""]) == []
    assert ro.rows(AFTER_ACTION, ["1", "0", "Pkg.A.cls", "0", ""]) == []
    assert ro.rows("SELECT %Atelier_v1_Utils.Extension_ExtensionEnabled() AS Enabled") == [
        {"Enabled": 0}]
    status = ro.rows("select * from %Atelier_v1_Utils.Extension_GetStatus(?)", ["Pkg.A.cls"])
    assert status[-1]["editable"] == 1
    # an import of several documents asks with a comma list: one row per document
    several = ro.rows("select * from %Atelier_v1_Utils.Extension_GetStatus(?)",
                      ["Pkg.A.cls,R.mac"])
    assert [(r["name"], r["editable"]) for r in several] == [("Pkg.A.cls", 1), ("R.mac", 1)]
    assert ro.rows("SELECT Name, 'm' AS Type FROM EnsPortal.Utils_EnumerateMessageClasses("
                   "'','messages')") == []
    assert ro.rows("select * from %Atelier_v1_Utils.Extension_GetMenus(?,?,?)",
                   ["", "0", ""]) == []
    assert ro.rows("select %Atelier_v1_Utils.General_GetCSPToken(?) token",
                   ["/csp/user/menu.csp"]) == [{"token": ""}]


@pytest.mark.parametrize("statement", [
    "SELECT * FROM Sample.Person",
    "SELECT * FROM %SYSTEM.QUERY_PLAN(?)",
    "CALL %SYSTEM.Util_Thing()",
    "DROP TABLE %Studio.Project",
    "CREATE TABLE x (a INT)",
    "SELECT no_such_function(1)",
    "SELECT Name FROM %Dictionary.ClassDefinition WHERE NoSuchColumn = 1",
    "SELEC Name FROM x",
    "SELECT 1; SELECT 2",
    "SELECT Name FROM %Dictionary.ClassDefinition WHERE Name = :name",
    "INSERT INTO %Dictionary.ClassDefinition (Name) VALUES ('X.Y')",
    "DELETE FROM %Dictionary.MethodDefinition",
    "PRAGMA table_info('x')",
    "ATTACH DATABASE '/tmp/x' AS y",
    "SELECT * FROM sqlite_master",
    "SELECT load_extension('x')",
    "SELECT $ZF(-1, 'rm -rf /')",
])
def test_unsupported_statements_answer_the_sql_error_envelope(ro: Client, statement: str) -> None:
    ro.sql_error(statement)


def test_missing_parameters_is_an_sql_error(ro: Client) -> None:
    ro.sql_error(DEPLOYED, [])


def test_error_envelope_shape(ro: Client) -> None:
    env = ro.sql_error("SELECT * FROM Sample.Person")
    err = env["status"]["errors"][0]
    assert err["domain"] == "%ObjectErrors" and err["params"][0] == "-30"
    assert "Sample.Person" in env["status"]["summary"]
    assert env["console"] == []


def test_max_limits_rows(ro: Client) -> None:
    query = "SELECT Name FROM %Library.RoutineMgr_StudioOpenDialog('*',1,1,1,1,0,0)"
    assert len(ro.rows(query, max="2")) == 2
    assert len(ro.rows(query, max="0")) > 2
    assert len(ro.rows("SELECT TOP 1 Name FROM %Dictionary.ClassDefinition")) == 1


@pytest.mark.parametrize("body,code", [
    ([], 400), ({"parameters": []}, 400), ({"query": 5}, 400),
    ({"query": "SELECT 1", "parameters": "x"}, 400)])
def test_bad_bodies(ro: Client, body: object, code: int) -> None:
    resp = ro.post("/api/atelier/v8/USER/action/query", json=body)
    assert resp.status_code == code
    assert envelope(resp)["status"]["summary"]


def test_bad_max_and_media_type(ro: Client) -> None:
    assert ro.query_raw("SELECT 1", max="abc").status_code == 400
    resp = ro.post("/api/atelier/v8/USER/action/query", data="{}",
                   headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert ro.query_raw("SELECT 1", ns="NOPE").status_code == 404


def test_parameters_must_be_scalars(ro: Client) -> None:
    ro.sql_error(DEPLOYED, [{"x": 1}])
    assert ro.rows(DEPLOYED, [None]) == []


def test_plain_expressions_are_named_like_iris(ro: Client) -> None:
    rows = ro.rows("SELECT COUNT(*), 1 + 1, Name FROM %Dictionary.ClassDefinition "
                   "WHERE Name = ? GROUP BY Name", ["Pkg.A"])
    assert rows == [{"Aggregate_1": 1, "Expression_1": 2, "Name": "Pkg.A"}]
    assert ro.rows("SELECT 10 % 3 AS m") == [{"m": 1}]
