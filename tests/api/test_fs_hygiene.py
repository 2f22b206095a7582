"""File-system hygiene: special files are never opened, every file has one name, names hide
no invisible characters, and a crash's temp files do not outlive the next start."""

from __future__ import annotations

import os
import secrets
import threading
from typing import Any

import pytest
from envelopes import envelope
from spaces import Space, SpaceSpec

FILES: dict[str, str | bytes] = {
    "R.mac": "ROUTINE R\n quit\n",
    "Pkg/A.cls": "Class Pkg.A\n{\n}\n",
    "csp/user/real/x.js": "// x\n",
}


@pytest.fixture
def space_spec() -> SpaceSpec:
    return SpaceSpec(FILES)


def _in_thread(call: Any) -> Any:
    """Run ``call`` in a thread; fail (instead of hanging the suite) if it never returns."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(call()), daemon=True)
    worker.start()
    worker.join(60)
    assert out, "the request never returned: the server blocked on a special file"
    return out[0]


@pytest.mark.parametrize("name", ["Pipe.mac", "/csp/user/pipe.js"])
def test_a_fifo_is_never_opened(space: Space, name: str) -> None:
    rel = name.lstrip("/") if name.startswith("/") else name
    os.mkfifo(space.ws / rel)
    api = space.app()
    url = api.url(f"doc/{name}")
    for method in ("GET", "HEAD", "DELETE"):
        resp = _in_thread(lambda m=method: api.call(m, url))
        assert 400 <= resp.status_code < 500, (method, resp.status_code)
    resp = _in_thread(lambda: api.call("PUT", url, query_string={"ignoreConflict": "1"},
                                       json={"enc": False, "content": ["ROUTINE Pipe"]}))
    assert 400 <= resp.status_code < 500
    assert (space.ws / rel).is_fifo()  # never replaced
    # the document lock it shares with others is free: other documents answer
    assert api.call("GET", api.url("doc/R.mac")).status_code == 200
    names = {d["name"] for d in envelope(api.call("GET", api.url("docnames")))["result"]["content"]}
    assert name not in names and "R.mac" in names


def test_a_link_back_into_the_workspace_gives_no_second_name(space: Space) -> None:
    (space.ws / "csp/user/link").symlink_to(space.ws / "csp/user/real")
    api = space.app()
    for method in ("GET", "DELETE"):
        resp = api.call(method, api.url("doc/csp/user/link/x.js"))
        assert resp.status_code == 400, (method, resp.status_code)
    resp = api.call("PUT", api.url("doc/csp/user/link/y.js"), query_string={"ignoreConflict": "1"},
                    json={"enc": False, "content": ["// y"]})
    assert resp.status_code == 400
    assert (space.ws / "csp/user/real/x.js").read_text() == "// x\n"
    assert not (space.ws / "csp/user/real/y.js").exists()
    assert api.call("GET", api.url("doc/csp/user/real/x.js")).status_code == 200


@pytest.mark.parametrize("name", [
    "/csp/user/a\u202eb.js",  # right-to-left override
    "/csp/user/a\u2066b.js",  # left-to-right isolate
    "/csp/user/a\u200bb.js",  # zero-width space
    "/csp/user/a\u200db.js",  # zero-width joiner
    "/csp/user/a\u2060b.js",  # word joiner
    "/csp/user/a\ufeffb.js",  # byte-order mark
    "/csp/user/a\u00a0b.js",  # no-break space
    "Pkg.In\u200bvisible.cls",
])
def test_invisible_characters_in_names_are_refused(space: Space, name: str) -> None:
    api = space.app()
    resp = api.call("PUT", api.url("doc/" + name), query_string={"ignoreConflict": "1"},
                    json={"enc": False, "content": ["x"]})
    assert resp.status_code == 400
    assert "#16006" in resp.get_data(as_text=True)
    assert sorted(p.name for p in space.ws.rglob("*b.js")) == []


def test_a_crashs_temp_files_are_removed_at_start(space: Space,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    ours = []
    for i in range(22):  # 22 leftovers after 10 crashes, in the folders writes use
        folder = ["", "Pkg", "csp/user/real"][i % 3]
        rel = f"{folder}/.~atelier-{secrets.token_hex(6)}.tmp".lstrip("/")
        (space.ws / rel).write_bytes(b"half a write")
        ours.append(rel)
    (space.ws / ".~atelier-notours.txt").write_text("a user's file")
    (space.ws / "Pkg/.~atelier-0123456789ab.tmp.keep").write_text("not the pattern")
    api = space.app()
    assert not [rel for rel in ours if (space.ws / rel).exists()]
    assert (space.ws / ".~atelier-notours.txt").exists()
    assert (space.ws / "Pkg/.~atelier-0123456789ab.tmp.keep").exists()
    names = {d["name"] for d in envelope(api.call("GET", api.url("docnames")))["result"]["content"]}
    assert not [n for n in names if "atelier-" in n]


def test_leftovers_are_never_listed(space: Space) -> None:
    api = space.app()
    (space.ws / "csp/user/real/.~atelier-abcdefabcdef.tmp").write_text("x")  # after start
    names = {d["name"] for d in envelope(api.call("GET", api.url("docnames")))["result"]["content"]}
    assert not [n for n in names if "atelier-" in n]


