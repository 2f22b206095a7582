"""Double-quoted names are names (IRIS delimited identifiers): one that is no column fails with
SQLCODE -29 as on IRIS, never SQLite's fallback of reading it as a string literal."""

from __future__ import annotations

from typing import Any

from .conftest import Client

FIELD_NOT_FOUND = "not found in the applicable tables"


def _error(env: dict[str, Any]) -> tuple[int, str]:
    params = env["status"]["errors"][0]["params"]
    return int(params[0]), params[1]


def test_a_quoted_name_that_is_no_column_is_sqlcode_29(ro: Client) -> None:
    code, message = _error(ro.sql_error('SELECT "Nope" FROM %Studio.Project'))
    assert code == -29 and message == f"Field 'NOPE' {FIELD_NOT_FOUND}"
    # in a condition too, where the fallback would have compared the text 'Nope'
    code, message = _error(ro.sql_error(
        "SELECT Name FROM %Dictionary.ClassDefinition WHERE \"Nope\" = 'Nope'"))
    assert code == -29 and message == f"Field 'NOPE' {FIELD_NOT_FOUND}"
    code, _message = _error(ro.sql_error(
        'SELECT c.Name FROM %Dictionary.ClassDefinition c ORDER BY c."Nope"'))
    assert code == -29


def test_an_unquoted_unknown_column_has_the_same_error(ro: Client) -> None:
    code, message = _error(ro.sql_error("SELECT Nope FROM %Studio.Project"))
    assert code == -29 and message == f"Field 'NOPE' {FIELD_NOT_FOUND}"


def test_quoted_names_of_columns_and_aliases_still_work(ro: Client) -> None:
    rows = ro.rows('SELECT "Name", c."Super" AS "The Super", Name AS "a`b" FROM '
                   "%Dictionary.ClassDefinition c WHERE \"Name\" = 'Pkg.A'")
    assert rows == [{"Name": "Pkg.A", "The Super": "%Persistent", "a`b": "Pkg.A"}]


def test_a_double_quote_inside_a_string_literal_is_text(ro: Client) -> None:
    rows = ro.rows("SELECT 'say \"hi\"' AS Said, Name FROM %Dictionary.ClassDefinition "
                   "WHERE Name = ?", ["Pkg.A"])
    assert rows == [{"Said": 'say "hi"', "Name": "Pkg.A"}]
