"""Hostile parameters and Filter arguments: bound, never spliced; never a 500, never a write."""

from __future__ import annotations

import pytest

from .conftest import DIALOG, Client, dialog_params, envelope

INJECTIONS = [
    "x' OR '1'='1",
    "'; DROP TABLE %Studio.Project; --",
    "Pkg.A' UNION SELECT name FROM sqlite_master --",
    "\x00",
    "%",
    "a" * 5000,
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_in_parameters_is_just_a_value(api: Client, value: str) -> None:
    classes = api.rows("SELECT COUNT(*) AS n FROM %Dictionary.ClassDefinition")  # system ones too
    assert api.rows("SELECT Deployed FROM %Dictionary.ClassDefinition WHERE Name = ?",
                    [value]) == []
    assert api.rows("SELECT Name FROM %Studio.Project WHERE Name = ?", [value]) == []
    api.rows("INSERT INTO %Studio.Project (Name, Description) VALUES (?, ?)", [value, value])
    rows = api.rows("SELECT Name, Description FROM %Studio.Project")
    assert rows == [{"Name": value, "Description": value}]
    assert api.rows("SELECT COUNT(*) AS n FROM %Dictionary.ClassDefinition") == classes
    assert api.rows("SELECT COUNT(*) AS n FROM %Dictionary.ClassDefinition WHERE Name %INLIST "
                    "$LISTFROMSTRING(?)", ["Pkg.A,Pkg.Sub.B,Tests.T"]) == [{"n": 3}]


@pytest.mark.parametrize("spec", ["../../etc/*", "/../../*", "'", ",,,", "*" * 300,
                                  "Pkg/../*", "/csp/user/../../*"])
def test_hostile_specs_list_nothing_outside(ro: Client, spec: str) -> None:
    resp = ro.query_raw(DIALOG, dialog_params(spec, flat="1"))
    assert resp.status_code == 200
    env = envelope(resp)
    for row in env["result"].get("content", []):
        assert ".." not in row["Name"]


@pytest.mark.parametrize("condition", [
    "1=1) OR (1=1",
    "Type = 4; DELETE FROM %Studio.Project",
    "Type = 4 UNION SELECT name, 1 FROM sqlite_master",
    "Name IN (SELECT Name FROM %Dictionary.ClassDefinition)",
    "EXISTS (SELECT 1 FROM sqlite_master)",
    "Name = ?",
    "load_extension('x') = 1",
    "NoSuchColumn = 1",
    "x.Name = 'a'",
    "Name LIKE 'a' ESCAPE",
])
def test_hostile_filter_argument_is_an_sql_error_not_a_500(ro: Client, condition: str) -> None:
    ro.sql_error(DIALOG, dialog_params("*", flat="1", filter=condition))


def test_filter_that_is_always_true_only_filters(ro: Client) -> None:
    every = ro.rows(DIALOG, dialog_params("*", flat="1"))
    assert ro.rows(DIALOG, dialog_params("*", flat="1", filter="1=1 OR Name = 'x'")) == every
    assert ro.rows(DIALOG, dialog_params("*", flat="1", filter="Name = 'x'' OR ''1''=''1'")) == []


def test_deeply_nested_statement(ro: Client) -> None:
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    resp = ro.query_raw(deep)
    assert resp.status_code in (200, 400)
    assert envelope(resp)["status"]["summary"]


def test_writes_cannot_reach_the_dictionary_or_other_files(api: Client) -> None:
    api.sql_error("UPDATE %Dictionary.ClassDefinition SET Deployed = 1")
    api.sql_error("INSERT INTO %Studio.Project (Name) SELECT Name FROM sqlite_master")
    assert api.rows("SELECT Deployed FROM %Dictionary.ClassDefinition WHERE Name = ?",
                    ["Pkg.A"]) == [{"Deployed": 0}]
