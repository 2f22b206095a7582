"""Studio projects through action/query: create, add and remove items, list, delete, and the
project folder queries (ProjectItemsList joined with StudioOpenDialog)."""

from __future__ import annotations

from .conftest import Client, build

CREATE = "INSERT INTO %Studio.Project (Name,Description,LastModified) VALUES (?,?,NOW())"
ADD = "INSERT INTO %Studio.ProjectItem (Project,Name,Type) VALUES (?,?,?)"
ITEMS = "SELECT Name, Type FROM %Studio.Project_ProjectItemsList(?)"
FLAT = (
    "SELECT CASE WHEN pil.Type = 'CLS' THEN pil.Name||'.cls' ELSE pil.Name END Name, "
    "pil.Type FROM %Studio.Project_ProjectItemsList(?,1) AS pil "
    "WHERE (pil.Name %STARTSWITH ? OR pil.Name %STARTSWITH ?) AND ("
    "(pil.Type = 'MAC' AND EXISTS (SELECT sod.Size FROM "
    "%Library.RoutineMgr_StudioOpenDialog('*.mac,*.int,*.inc,*.bas,*.mvi',1,1,1,1,0,1) AS sod "
    "WHERE pil.Name = sod.Name)) OR "
    "(pil.Type = 'CSP' AND EXISTS (SELECT sod.Size FROM "
    "%Library.RoutineMgr_StudioOpenDialog('*.cspall',1,1,1,1,0,1) AS sod "
    "WHERE '/'||pil.Name = sod.Name)) OR "
    "(pil.Type = 'CLS' AND EXISTS (SELECT dcd.ID FROM %Dictionary.ClassDefinition AS dcd "
    "WHERE dcd.ID = pil.Name)))")


def _project(api: Client) -> None:
    api.rows(CREATE, ["Proj", "My project"])
    for name, kind in [("Pkg", "PKG"), ("R.mac", "MAC"), ("Tests.T", "CLS"),
                       ("csp/user/x.js", "CSP"), ("Gone.mac", "MAC")]:
        api.rows(ADD, ["Proj", name, kind])


def test_create_list_and_items(api: Client) -> None:
    _project(api)
    projects = api.rows("SELECT Name, Description, LastModified FROM %Studio.Project")
    assert projects[0]["Name"] == "Proj" and projects[0]["Description"] == "My project"
    assert len(projects[0]["LastModified"]) >= 19
    # the items, then the classes of the package item (listed without showAll too)
    assert api.rows(ITEMS, ["proj"]) == [
        {"Name": "Gone.mac", "Type": "MAC"}, {"Name": "Pkg", "Type": "PKG"},
        {"Name": "R.mac", "Type": "MAC"}, {"Name": "Tests.T", "Type": "CLS"},
        {"Name": "csp/user/x.js", "Type": "CSP"}, {"Name": "Pkg.A", "Type": "CLS"},
        {"Name": "Pkg.Sub.B", "Type": "CLS"}]
    items = api.rows("SELECT Project, Name, Type FROM %Studio.ProjectItem WHERE Project = ? "
                     "AND Type = ? ORDER BY Name", ["Proj", "MAC"])
    assert [i["Name"] for i in items] == ["Gone.mac", "R.mac"]


def test_show_all_expands_packages(api: Client) -> None:
    _project(api)
    rows = api.rows("SELECT Name, Type FROM %Studio.Project_ProjectItemsList(?,1) "
                    "WHERE Type = 'CLS' ORDER BY Name", ["Proj"])
    assert rows == [{"Name": "Pkg.A", "Type": "CLS"}, {"Name": "Pkg.Sub.B", "Type": "CLS"},
                    {"Name": "Tests.T", "Type": "CLS"}]


def test_project_folder_flat_query(api: Client) -> None:
    _project(api)
    rows = api.rows(FLAT, ["Proj", "", ""])
    assert sorted((r["Name"], r["Type"]) for r in rows) == [
        ("Pkg.A.cls", "CLS"), ("Pkg.Sub.B.cls", "CLS"), ("R.mac", "MAC"),
        ("Tests.T.cls", "CLS"), ("csp/user/x.js", "CSP")]
    sub = api.rows(FLAT, ["Proj", "Pkg.", "Pkg."])
    assert sorted(r["Name"] for r in sub) == ["Pkg.A.cls", "Pkg.Sub.B.cls"]


def test_update_remove_and_delete(api: Client) -> None:
    _project(api)
    api.rows("UPDATE %Studio.Project SET Description = ?, LastModified = NOW() WHERE Name = ?",
             ["changed", "Proj"])
    assert api.rows("SELECT Description FROM %Studio.Project WHERE Name = ?", ["Proj"]) == [
        {"Description": "changed"}]
    api.rows("DELETE FROM %Studio.ProjectItem WHERE Project = ? AND "
             "Name %INLIST $LISTFROMSTRING(?) AND Type = ?", ["Proj", "Gone.mac,R.mac", "MAC"])
    assert [r["Name"] for r in api.rows(ITEMS, ["Proj"])] == ["Pkg", "Tests.T", "csp/user/x.js",
                                                               "Pkg.A", "Pkg.Sub.B"]
    api.rows("DELETE FROM %Studio.Project WHERE Name = ?", ["Proj"])
    assert api.rows("SELECT * FROM %Studio.Project") == []
    assert api.rows("SELECT * FROM %Studio.ProjectItem") == []


def test_duplicates_are_sql_errors(api: Client) -> None:
    api.rows(CREATE, ["Proj", ""])
    env = api.sql_error(CREATE, ["proj", ""])
    assert env["status"]["errors"][0]["params"][0] == "-119"
    api.rows(ADD, ["Proj", "R.mac", "MAC"])
    api.sql_error(ADD, ["Proj", "R.mac", "MAC"])


def test_projects_survive_a_restart(tmp_path: object) -> None:
    from pathlib import Path

    base = Path(str(tmp_path))
    first = build(base)
    first.rows(CREATE, ["Keep", "kept"])
    settings = first.app.extensions["atelier"].settings
    first.app.extensions["atelier"].close()
    from atelier_api.app import create_app

    again = create_app(settings)
    svc = again.extensions["atelier"]
    try:
        answer = svc.sql["USER"].query("SELECT Name FROM %Studio.Project", [])
        assert answer.content == [{"Name": "Keep"}]
    finally:
        svc.close()
