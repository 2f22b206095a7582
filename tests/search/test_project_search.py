"""A ``/work`` search in a project folder (``isfs://…?project=P``, issue 16): the body names
the project and no documents; the server searches the project's documents (its class,
routine and web file items, the classes of its packages, the files of its web folders) and
nothing else, whatever ``documents``, ``system`` or ``generated`` say."""

from __future__ import annotations

from typing import Any

from .conftest import Client, envelope
from .test_search_work import body


def _sql(api: Client, statement: str, params: list[Any]) -> None:
    resp = api.call("POST", api.url("action/query"),
                    json={"query": statement, "parameters": params})
    assert resp.status_code == 200 and envelope(resp)["status"]["summary"] == "", resp.data


def _project(api: Client, name: str, items: list[tuple[str, str]]) -> None:
    _sql(api, "INSERT INTO %Studio.Project (Name,Description,LastModified) "
              "VALUES (?,?,NOW())", [name, ""])
    for item, kind in items:
        _sql(api, "INSERT INTO %Studio.ProjectItem (Project,Name,Type) VALUES (?,?,?)",
             [name, item, kind])


def _found(api: Client, **fields: Any) -> dict[str, int]:
    resp = api.queue(body(**fields))
    assert resp.status_code == 202, resp.data
    running, final = api.until_done(resp.headers["Location"])
    items = [i for env in running for i in env["result"]] + final["result"]
    return {i["doc"]: len(i["matches"]) for i in items}


def test_a_project_search_covers_exactly_the_projects_documents(api: Client) -> None:
    _project(api, "Mail", [("Pkg", "PKG"), ("Mail.mac", "MAC"), ("csp/user", "DIR")])
    found = _found(api, project="Mail", documents="*", system=True)
    everywhere = _found(api, documents="*.cls,*.mac,*.inc,/csp/user/*")
    # every document of the project that mentions "email" (Pkg.Base has no "email")
    assert set(found) == {"Pkg.Person.cls", "Mail.mac", "/csp/user/app.js",
                          "/csp/user/page.csp"}
    assert set(found) <= set(everywhere)
    assert "Other.Thing.cls" in everywhere and "Other.Thing.cls" not in found
    assert "Macros.inc" not in found


def test_single_items_and_an_empty_project(api: Client) -> None:
    _project(api, "One", [("Other.Thing", "CLS")])
    assert set(_found(api, project="One")) == {"Other.Thing.cls"}
    _project(api, "Empty", [])
    assert _found(api, project="Empty") == {}
    assert _found(api, project="NoSuchProject") == {}


def test_a_project_that_is_not_a_name_is_a_clear_error(api: Client) -> None:
    resp = api.queue(body(project=["x"]))
    assert resp.status_code == 400
    assert "'project'" in envelope(resp)["status"]["summary"]
