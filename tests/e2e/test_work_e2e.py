"""/work end to end on a real ``python -m atelier_api serve --port 0`` process: queue (202 +
bare Location), poll until no Retry-After (only new console lines each time), the final
result, 404 once drained, and cancelling a large compile half-way."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import Client, Server, envelope, ns_path

DEADLINE = 60.0
HEADER_RE = re.compile(
    r"^Compilation started on \d\d/\d\d/\d{4} \d\d:\d\d:\d\d with qualifiers '(.*)'$")
BROKEN = """\
Class Shop.Order Extends %Persistent
{

Property Total As %Numeric;

ClassMethod Discount(total As %Numeric) As %Numeric
{
    quit, total * 0.9
}

}
"""
FIXED = BROKEN.replace("quit, total", "quit total")


def _big_class(i: int, methods: int, keywords: str = "") -> str:
    body = "\n\n".join(
        f"ClassMethod M{j}(a As %String, b As %Integer = {j}) As %String\n{{\n"
        f"    set x = a_b\n    if x'=\"\" {{ set x = x_\"-{j}\" }}\n    quit x\n}}"
        for j in range(methods))
    kw = f" [ {keywords} ]" if keywords else ""
    return (f"Class Big.C{i:03d} Extends %Persistent{kw}\n{{\n\nProperty P As %String;\n\n"
            f"Property Q As %Integer;\n\n{body}\n\n}}\n")


@pytest.fixture
def serve(tmp_path: Path, start: Callable[..., Server]) -> Callable[[dict[str, str]], Client]:
    """Start a server on a workspace holding ``files``; return a logged-in client."""
    clients: list[Client] = []

    def run(files: dict[str, str]) -> Client:
        ws = tmp_path / "ws"
        for rel, text in files.items():
            path = ws / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                        "--namespace", f"USER={ws}"])
        client = Client(server.base)
        client.login()
        clients.append(client)
        return client

    yield run  # type: ignore[misc]
    for client in clients:
        client.close()


def _queue(client: Client, body: dict[str, Any]) -> str:
    resp = client.call("POST", ns_path("USER", "work"), json_body=body)
    assert resp.status_code == 202, resp.text
    location = resp.headers["Location"]
    assert re.fullmatch(r"\d+", location), location  # a bare id, never a URL
    assert envelope(resp)["result"] == {"content": {}}
    return location


def _poll_to_end(client: Client, job: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Poll like the extension until no Retry-After; returns the running polls and the last."""
    deadline = time.monotonic() + DEADLINE
    running = []
    while time.monotonic() < deadline:
        resp = client.call("GET", ns_path("USER", f"work/{job}"))
        assert resp.status_code == 200, resp.text
        env = envelope(resp)
        if "Retry-After" not in resp.headers:
            return running, env
        assert env["result"] == {} and env["status"]["errors"] == []
        running.append(env)
    raise AssertionError(f"job {job} never finished")


def _put(client: Client, name: str, text: str) -> requests.Response:
    return client.call("PUT", ns_path("USER", f"doc/{name}"), params={"ignoreConflict": "1"},
                       json_body={"enc": False, "content": text.split("\n")})


def test_save_compile_read_errors_fix_compile_again(serve: Callable[..., Client]) -> None:
    client = serve({"R.mac": "ROUTINE R\nR ;\n quit\n"})
    assert _put(client, "Shop.Order.cls", BROKEN).status_code == 201
    job = _queue(client, {"request": "compile", "documents": ["Shop.Order.cls"],
                          "source": False, "flags": "cuk"})
    running, final = _poll_to_end(client, job)
    console = [line for env in running for line in env["console"]] + final["console"]
    assert HEADER_RE.match(console[1]) and console[0] == ""
    assert console[2:] == [
        "Compiling class Shop.Order", "Compiling table Shop.Order",
        "Compiling routine Shop.Order.1",
        "ERROR: Shop.Order.cls(Discount+1) #1003: Expected space : ',' : Offset:9 "
        "[zDiscount+1^Shop.Order.1]",
        " TEXT:     quit, total * 0.9",
        console[-1]]
    assert console[-1].startswith("Detected 1 errors during compilation in ")
    assert final["status"]["summary"].startswith(
        "ERROR #5475: Error compiling routine: Shop.Order.1. Errors: ERROR: "
        "Shop.Order.cls(Discount+1) #1003")
    assert final["result"] == {"content": []}
    gone = client.call("GET", ns_path("USER", f"work/{job}"))
    assert gone.status_code == 404 and envelope(gone)["status"]["errors"]

    assert _put(client, "Shop.Order.cls", FIXED).status_code == 200
    job = _queue(client, {"request": "compile", "documents": ["Shop.Order.cls"],
                          "source": True, "flags": "cuk"})
    running, final = _poll_to_end(client, job)
    console = [line for env in running for line in env["console"]] + final["console"]
    assert console[-1].startswith("Compilation finished successfully in ")
    assert final["status"] == {"errors": [], "summary": ""}
    [doc] = final["result"]["content"]
    assert doc["name"] == "Shop.Order.cls" and doc["flags"] == 1
    assert doc["content"][0] == "Storage Default" and doc["content"][-1] == "}"
    saved = envelope(client.call("GET", ns_path("USER", "doc/Shop.Order.cls")))["result"]
    assert saved["ts"] == doc["ts"] and saved["upd"] is True
    assert "<DataLocation>^Shop.OrderD</DataLocation>" in saved["content"]


def test_each_poll_carries_only_new_lines(serve: Callable[..., Client]) -> None:
    client = serve({f"Big/C{i:03d}.cls": _big_class(i, 10) for i in range(300)})
    job = _queue(client, {"request": "compile", "documents": ["Big.*.cls"], "flags": "ck"})
    running, final = _poll_to_end(client, job)
    console = [line for env in running for line in env["console"]] + final["console"]
    names = [f"Big.C{i:03d}" for i in range(300)]
    expected = (["Compiling 300 classes"] + [f"Compiling class {n}" for n in names]
                + [f"Compiling table {n}" for n in names]
                + [f"Compiling routine {n}.1" for n in names])
    assert sorted(console[2:-1]) == sorted(expected)  # every line exactly once
    assert console[2] == "Compiling 300 classes"
    assert console[-1].startswith("Compilation finished successfully in ")
    assert any(env["console"] for env in running), "no line arrived before the end"
    assert len(final["result"]["content"]) == 300  # each class got its Storage
    assert client.call("GET", ns_path("USER", f"work/{job}")).status_code == 404


def test_cancel_a_large_compile_half_way(serve: Callable[..., Client], tmp_path: Path) -> None:
    """Big.C000 compiles first (the others depend on it); cancel while the other 299 compile.

    A running poll answers after up to POLL_WAIT_SECONDS (0.25 s), so the cancel reaches the
    server that long after the second batch began: the 299 classes are big enough (about
    1,500 lines each) that their compile takes many times longer than that."""
    files = {f"Big/C{i:03d}.cls": _big_class(i, 300 if i else 5, "DependsOn = Big.C000" if i
                                             else "") for i in range(300)}
    client = serve(files)
    job = _queue(client, {"request": "compile", "documents": ["Big.*.cls"], "flags": "ck"})
    seen: list[str] = []
    deadline = time.monotonic() + DEADLINE
    while "Compiling class Big.C001" not in seen:  # the first batch (Big.C000) is done
        assert time.monotonic() < deadline, "the compile never reached the second batch"
        resp = client.call("GET", ns_path("USER", f"work/{job}"))
        assert "Retry-After" in resp.headers, "finished before it could be cancelled"
        seen += envelope(resp)["console"]
    answers = []
    while True:
        assert time.monotonic() < deadline, "cancellation never completed"
        resp = client.call("DELETE", ns_path("USER", f"work/{job}"))
        assert resp.status_code == 200, resp.text
        env = envelope(resp)
        answers.append(resp)
        seen += env["console"]
        assert env["status"]["errors"] == []
        if "Retry-After" not in resp.headers:
            break
        assert env["result"] == {}
    assert "Retry-After" in answers[0].headers, "the first DELETE found the job already stopped"
    assert [d["name"] for d in env["result"]["content"]] == ["Big.C000.cls"]
    assert ("ERROR #5002: Compilation cancelled: 299 of 300 documents were not compiled"
            in seen)
    assert seen[-1].startswith("Detected 1 errors during compilation in ")
    assert client.call("GET", ns_path("USER", f"work/{job}")).status_code == 404
    assert client.call("DELETE", ns_path("USER", f"work/{job}")).status_code == 404
    for rel, text in files.items():  # whole texts only: Big.C000 with its Storage, others as-is
        now = (tmp_path / "ws" / rel).read_text(encoding="utf-8")
        if rel == "Big/C000.cls":
            assert now.startswith(text[:-3]) and now.endswith("}\n\n}\n")
            assert "<DataLocation>^Big.C000D</DataLocation>" in now
        else:
            assert now == text, rel
    job = _queue(client, {"request": "compile", "documents": ["Big.C001.cls"], "flags": "ck"})
    assert _poll_to_end(client, job)[1]["status"]["errors"] == []  # the queue still works


def test_unknown_and_foreign_ids_are_404(serve: Callable[..., Client]) -> None:
    client = serve({"R.mac": "ROUTINE R\nR ;\n quit\n"})
    for job in ("424242", "x1", "0"):
        for method in ("GET", "DELETE"):
            resp = client.call(method, ns_path("USER", f"work/{job}"))
            assert resp.status_code == 404 and envelope(resp)["status"]["summary"]
    job = _queue(client, {"request": "compile", "documents": ["R.mac"]})
    assert client.call("GET", ns_path("%SYS", f"work/{job}")).status_code == 404
    _poll_to_end(client, job)
    resp = client.call("POST", ns_path("USER", "work"), json_body={"request": "export"})
    assert resp.status_code == 400 and "supports 'compile'" in envelope(resp)["status"]["summary"]
