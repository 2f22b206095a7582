"""StudioOpenDialog as the VS Code extension calls it: browse, Quick Open, folder delete and
compile lists, export lists, the Filter argument and the other arguments."""

from __future__ import annotations

from .conftest import DIALOG, Client, dialog_params, names

ROUTINES = "*.cls,*.inc,*.mac,*.int"


def test_browse_root_one_level(ro: Client) -> None:
    rows = ro.rows(DIALOG, dialog_params(ROUTINES))
    assert names(rows) == [("Inc.inc", 2), ("Other", 9), ("Pkg", 9), ("R.mac", 0),
                           ("Tests", 9)]
    assert list(rows[0]) == ["Name", "Type"]


def test_browse_package_folder_one_level_relative_names(ro: Client) -> None:
    rows = ro.rows(DIALOG, dialog_params("Pkg/" + ROUTINES))
    assert names(rows) == [("A.cls", 4), ("Sub", 9)]
    assert names(ro.rows(DIALOG, dialog_params("Pkg.Sub/" + ROUTINES))) == [("B.cls", 4)]
    assert names(ro.rows(DIALOG, dialog_params("Other/" + ROUTINES))) == [("Thing.mac", 0)]


def test_browse_package_folder_flat_full_names_recursively(ro: Client) -> None:
    rows = ro.rows(DIALOG, dialog_params("Pkg/" + ROUTINES, flat="1"))
    assert names(rows) == [("Pkg.A.cls", 4), ("Pkg.Sub.B.cls", 4)]


def test_browse_root_flat_is_every_document(ro: Client) -> None:
    rows = ro.rows(DIALOG, dialog_params(ROUTINES, flat="1"))
    assert [r["Name"] for r in rows] == ["Inc.inc", "Other.Thing.mac", "Pkg.A.cls",
                                         "Pkg.Sub.B.cls", "R.mac", "Tests.T.cls"]


def test_system_files_only_when_asked(ro: Client) -> None:
    assert ("%ZR.mac", 0) not in names(ro.rows(DIALOG, dialog_params(ROUTINES)))
    assert ("%ZR.mac", 0) in names(ro.rows(DIALOG, dialog_params(ROUTINES, system="1")))


def test_web_root_and_folders(ro: Client) -> None:
    assert names(ro.rows(DIALOG, dialog_params("*.cspall"))) == [("csp", 10)]
    assert names(ro.rows(DIALOG, dialog_params("/csp/*"))) == [("user", 10)]
    rows = ro.rows(DIALOG, dialog_params("/csp/user/*"))
    assert names(rows) == [("menu.csp", 5), ("sub", 10), ("x.js", 5)]
    flat = ro.rows(DIALOG, dialog_params("/csp/user/*", flat="1"))
    assert names(flat) == [("/csp/user/menu.csp", 5), ("/csp/user/sub/y.csp", 5),
                           ("/csp/user/x.js", 5)]
    assert names(ro.rows(DIALOG, dialog_params("/csp/user/*.js"))) == [("x.js", 5)]


def test_everything_and_exclusions(ro: Client) -> None:
    every = [r["Name"] for r in ro.rows(DIALOG, dialog_params("*", flat="1"))]
    assert "/csp/user/x.js" in every and "Pkg.A.cls" in every and "R.mac" in every
    kept = [r["Name"] for r in ro.rows(DIALOG, dialog_params("*,'*.mac,'*.cspall", flat="1"))]
    assert kept == ["Inc.inc", "Pkg.A.cls", "Pkg.Sub.B.cls", "Tests.T.cls"]


def test_quick_open_filter(ro: Client) -> None:
    params = dialog_params("*", flat="1", filter="Name LIKE '%sub%b%' ESCAPE '\\'")
    assert [r["Name"] for r in ro.rows(DIALOG, params)] == ["Pkg.Sub.B.cls"]
    escaped = dialog_params("*", flat="1", filter="Name LIKE '%\\_%' ESCAPE '\\'")
    assert ro.rows(DIALOG, escaped) == []


def test_filter_forms(ro: Client) -> None:
    only_classes = ro.rows(DIALOG, dialog_params("*", flat="1", filter="Type = 4"))
    assert {r["Type"] for r in only_classes} == {4} and len(only_classes) == 3
    web = ro.rows(DIALOG, dialog_params("*", flat="1",
                                        filter="Type %INLIST $LISTFROMSTRING('5,6')"))
    assert [r["Name"] for r in web] == ["/csp/user/menu.csp", "/csp/user/sub/y.csp",
                                        "/csp/user/x.js"]
    starts = ro.rows(DIALOG, dialog_params("*", flat="1", filter="Name %STARTSWITH '/csp/user/s'"))
    assert [r["Name"] for r in starts] == ["/csp/user/sub/y.csp"]


def test_export_list_with_type_filter(ro: Client) -> None:
    query = "SELECT Name FROM %Library.RoutineMgr_StudioOpenDialog('*',1,1,?,1,0,?,?,0,?)"
    rows = ro.rows(query, ["0", "0", "Type = 4", "1"])
    assert rows == [{"Name": "Pkg.A.cls"}, {"Name": "Pkg.Sub.B.cls"}, {"Name": "Tests.T.cls"}]
    code = ro.rows(query, ["1", "0", "Type %INLIST $LISTFROMSTRING('0,1,2,3')", "0"])
    assert [r["Name"] for r in code] == ["%ZR.mac", "Inc.inc", "Other.Thing.mac", "R.mac"]
    # (mapped 1 adds the system include files: tests/api/test_system_library.py)
    where = ro.rows(query + " WHERE Type <> 5 AND Name %STARTSWITH ?", ["0", "0", "", "1", "Pkg."])
    assert [r["Name"] for r in where] == ["Pkg.A.cls", "Pkg.Sub.B.cls"]


def test_folder_delete_and_compile_lists(ro: Client) -> None:
    rows = ro.rows(DIALOG, dialog_params("Pkg.Sub/" + ROUTINES, flat="1"))
    assert [r["Name"] for r in rows] == ["Pkg.Sub.B.cls"]
    web = ro.rows(DIALOG, dialog_params("/csp/user/sub/*", flat="1"))
    assert [r["Name"] for r in web] == ["/csp/user/sub/y.csp"]


def test_order_descending_and_columns(ro: Client) -> None:
    query = ("SELECT Name, Type, Size, IsDirectory FROM "
             "%Library.RoutineMgr_StudioOpenDialog(?,0,1,0,0,0,0)")
    rows = ro.rows(query, ["Pkg/*.cls"])
    assert [r["Name"] for r in rows] == ["Sub", "A.cls"]
    assert rows[1]["Size"] > 0 and rows[0]["IsDirectory"] == "."
    assert rows[1]["Size"] == (ro.ws / "Pkg" / "A.cls").stat().st_size  # bytes on disk
    assert rows[0]["Size"] == 0  # a package row has no size


def test_generated_documents_only_when_asked(api: Client) -> None:
    resp = api.post("/api/atelier/v8/USER/action/compile", json=["Pkg.A.cls"])
    assert resp.status_code == 200
    plain = [r["Name"] for r in api.rows(DIALOG, dialog_params("*.int", flat="1"))]
    with_gen = [r["Name"] for r in api.rows(DIALOG, dialog_params("*.int", flat="1",
                                                                  generated="1"))]
    assert plain == []
    assert all(n.endswith(".int") for n in with_gen)


def test_fewer_arguments_take_defaults(ro: Client) -> None:
    rows = ro.rows("SELECT sod.Name FROM %Library.RoutineMgr_StudioOpenDialog('*.mac',1,1,1,1,0,1) "
                   "AS sod WHERE sod.Name = ?", ["R.mac"])
    assert rows == [{"Name": "R.mac"}]
