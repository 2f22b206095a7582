"""The /work search (v6+): 202 + bare id, every poll's result an array holding only the
documents found since the previous poll, console:false, cancel, and the 400s."""

from __future__ import annotations

import time
from typing import Any

import pytest

from atelier_api.search.query import SearchQuery
from atelier_api.search.service import search_job
from atelier_api.work.queue import JobContext, WorkJob

from .conftest import Client, Space, envelope


def body(**fields: Any) -> dict[str, Any]:
    """A search body as VS Code sends it."""
    return {"request": "search", "query": "email", "regex": False, "word": False,
            "case": False, "wild": False, "documents": "*.cls,*.mac,*.inc",
            "system": False, "generated": False, "mapped": True, "max": 100000,
            **fields}


def run(api: Client, **fields: Any) -> tuple[list[Any], Any]:
    resp = api.queue(body(**fields))
    assert resp.status_code == 202, resp.data
    assert resp.headers["Location"].isdigit()
    assert envelope(resp)["result"] == {"content": {}}
    return api.until_done(resp.headers["Location"])


def items_of(running: list[Any], final: Any) -> list[dict[str, Any]]:
    """Every result item of a job, over all its polls."""
    return [i for env in running for i in env["result"]] + final["result"]


def test_search_through_work_matches_the_sync_search(api: Client) -> None:
    running, final = run(api)
    items = [i for env in running for i in env["result"]] + final["result"]
    names = [i["doc"] for i in items]
    assert len(names) == len(set(names)), "each document is handed out once"
    assert {i["doc"]: i["matches"] for i in items} == api.found("email")
    console = [line for env in running for line in env["console"]] + final["console"]
    assert console[0] == "Searching for 'email' in '*.cls,*.mac,*.inc'"
    assert console[-1].startswith("Found ") and final["status"]["errors"] == []


def test_console_false_gives_no_console(api: Client) -> None:
    running, final = run(api, console=False)
    assert all(env["console"] == [] for env in running) and final["console"] == []
    assert final["result"] or any(env["result"] for env in running)


def test_final_result_is_an_array_even_without_hits(api: Client) -> None:
    running, final = run(api, query="no such text anywhere")
    assert final["result"] == [] and all(env["result"] == [] for env in running)


def test_drained_job_is_404(api: Client) -> None:
    resp = api.queue(body())
    job = resp.headers["Location"]
    api.until_done(job)
    assert api.poll(job).status_code == 404


def test_regex_word_masks_and_max_through_work(api: Client) -> None:
    done = run(api, query="(?i).*e?mail to.*", regex=True, documents="Pkg/*.cls")
    assert [i["doc"] for i in items_of(*done)] == ["Pkg.Person.cls"]
    items = items_of(*run(api, query="Email", max=2, documents="*.cls"))
    assert sum(len(i["matches"]) for i in items) == 2
    assert items_of(*run(api, query="sen", word=True)) == []


def test_include_and_exclude_path_regexes(api: Client) -> None:
    done = run(api, include=r"^/Pkg/.*\.cls$", documents="*.cls,*.mac")
    assert [i["doc"] for i in items_of(*done)] == ["Pkg.Person.cls"]
    done = run(api, exclude=r"^/Pkg/", documents="*.cls")
    assert [i["doc"] for i in items_of(*done)] == ["Other.Thing.cls"]


# What the extension's glob library (minimatch) writes for globs with ``**``: look-aheads, which
# the server's automaton runs (issue 16; the whole table: test_glob_filters.py).
GLOBS = {
    "**/*.cls": r"^(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.cls$",
    "**/Pkg/**": r"^(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?Pkg(?:\/|(?:(?!(?:\/|^)\.).)*?)?$",
    "**/{Base,Thing}*.cls": r"^(?:(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?Base[^/]*?\.cls|"
                            r"(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?Thing[^/]*?\.cls)$",
}


def test_glob_regexes_with_double_stars_are_accepted(api: Client) -> None:
    done = run(api, include=GLOBS["**/*.cls"], documents="*.cls,*.mac,*.inc")
    assert sorted(i["doc"] for i in items_of(*done)) == ["Other.Thing.cls", "Pkg.Person.cls"]
    done = run(api, exclude=GLOBS["**/Pkg/**"], documents="*.cls")
    assert [i["doc"] for i in items_of(*done)] == ["Other.Thing.cls"]
    done = run(api, query="Note", include=GLOBS["**/{Base,Thing}*.cls"], documents="*.cls")
    assert [i["doc"] for i in items_of(*done)] == ["Pkg.Base.cls"]


def test_emits_one_item_per_document_as_found(space: Space) -> None:
    """Incremental by construction: each document's hits are emitted on their own."""
    api = space.app()
    store = api.app.extensions["atelier"].store("USER")
    job = WorkJob(1, "USER", "search", 60.0)
    work = search_job(store, SearchQuery("email", "*.cls,*.mac,*.inc,/csp/user/*"))
    work(JobContext(job))
    assert [i["doc"] for i in job.items] == ["/csp/user/app.js", "/csp/user/page.csp",
                                            "Macros.inc", "Mail.mac", "Other.Thing.cls",
                                            "Pkg.Person.cls"]
    assert job.console[-1] == "Found 16 occurrence/s in 6 file/s."


def test_cancel_a_search(space: Space) -> None:
    space.write("Long.mac", "ROUTINE Long\n ; " + "a" * 50_000 + "\n")
    api = space.app()
    resp = api.queue(body(query=".*a.*a.*a.*b.*", regex=True, documents="*.mac"))
    job = resp.headers["Location"]
    path = api.url(f"work/{job}")
    deadline = time.monotonic() + 30  # the child process may still be starting
    while True:
        resp = api.call("DELETE", path)
        assert resp.status_code == 200
        assert isinstance(envelope(resp)["result"], (list, dict))
        if "Retry-After" not in resp.headers or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert "Retry-After" not in resp.headers
    assert api.poll(job).status_code == 404


@pytest.mark.parametrize("fields", [
    {"query": ""}, {"query": 5}, {"documents": 7}, {"max": "many"}, {"max": 0},
    {"regex": "yes"}, {"include": 3}, {"query": r"(a+)+\1", "regex": True},
    {"query": "(", "regex": True}, {"project": ["P1"]}, {"include": "("},
])
def test_bad_search_bodies_are_400(api: Client, fields: dict[str, Any]) -> None:
    resp = api.queue(body(**fields))
    assert resp.status_code == 400, resp.data
    assert envelope(resp)["status"]["summary"]


def test_a_unittest_body_is_checked_as_a_unittest(api: Client) -> None:
    resp = api.queue({"request": "unittest", "tests": []})
    assert resp.status_code == 400
    assert "needs 'tests': a non-empty array" in envelope(resp)["status"]["summary"]
