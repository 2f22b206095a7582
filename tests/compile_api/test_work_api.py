"""POST/GET/DELETE /work with the Flask test client: 202 + bare Location, Retry-After while
running, only new console lines per poll, the final result, 404 once drained, cancellation,
time limit, shutdown and bad input."""

from __future__ import annotations

import re
import time

from atelier_api.work.queue import WorkQueue
from compiler_stub import StubCompiler

from .conftest import DEADLINE, Client, Faulty, Gate, Space, body_lines, envelope, summary


def _queue(api: Client, documents: object, **extra: object) -> str:
    resp = api.queue({"request": "compile", "documents": documents, **extra})
    assert resp.status_code == 202, resp.data
    location = resp.headers["Location"]
    assert re.fullmatch(r"\d+", location), location
    assert envelope(resp) == {"status": {"errors": [], "summary": ""}, "console": [],
                              "result": {"content": {}}}
    return location


def test_queue_poll_until_final_then_404(api: Client, space: Space) -> None:
    job = _queue(api, ["Pkg.Person.cls", "R.mac"], source=True, flags="cuk")
    running, final = api.until_done(job)
    for env in running:
        assert env["result"] == {} and env["status"]["errors"] == []
    env = envelope(final)
    console = [line for e in running for line in e["console"]] + env["console"]
    assert body_lines(console) == ["Compiling class Pkg.Person", "Compiling table Pkg.Person",
                                   "Compiling routine Pkg.Person.1",
                                   "Compiling routine : R.mac"]
    [doc] = env["result"]["content"]
    assert doc["name"] == "Pkg.Person.cls" and doc["flags"] == 1
    assert doc["content"][0] == "Storage Default"
    assert "Storage Default" in space.read("Pkg/Person.cls")
    gone = api.poll(job)
    assert gone.status_code == 404 and "already collected" in summary(gone)
    assert api.cancel(job).status_code == 404


def test_each_poll_returns_only_new_lines(space: Space, stub: StubCompiler) -> None:
    gate = Gate(stub, holds=2)
    api = space.app(gate)
    job = _queue(api, ["R.mac"])
    gate.wait_reached()
    first = api.poll(job)
    assert first.headers["Retry-After"] == "1" and envelope(first)["console"] == ["held 1"]
    again = api.poll(job)
    assert again.status_code == 200 and "Retry-After" in again.headers
    assert envelope(again)["console"] == []
    gate.release()
    gate.wait_reached()
    assert envelope(api.poll(job))["console"] == ["held 2"]
    gate.release()
    running, final = api.until_done(job)
    rest = [line for e in running for line in e["console"]] + envelope(final)["console"]
    assert "held 1" not in rest and "held 2" not in rest
    assert body_lines(rest) == ["Compiling routine : R.mac"]


def test_source_false_leaves_the_storage_lines_out(api: Client) -> None:
    job = _queue(api, ["Pkg.Person.cls"], source=False)
    [doc] = envelope(api.until_done(job)[1])["result"]["content"]
    assert doc["name"] == "Pkg.Person.cls" and doc["content"] == [] and doc["flags"] == 0


def test_failed_compile_final_poll_has_errors_and_a_200(api: Client, space: Space) -> None:
    space.write("Bad.mac", "ROUTINE Bad\nBad ;\n write $$$NOPE\n quit\n")
    job = _queue(api, ["Bad.mac", "Pkg.*.cls"])
    final = api.until_done(job)[1]
    assert final.status_code == 200
    env = envelope(final)
    assert env["status"]["errors"][0]["code"] == 5475
    assert env["status"]["summary"].startswith("ERROR #5475: Error compiling routine: Bad.")
    assert isinstance(env["result"]["content"], list)


def test_cancel_while_running_then_done(space: Space, stub: StubCompiler) -> None:
    gate = Gate(stub, holds=1)
    api = space.app(gate)
    job = _queue(api, ["Pkg.Person.cls", "R.mac"])
    gate.wait_reached()
    first = api.cancel(job)
    assert first.status_code == 200 and first.headers["Retry-After"] == "1"
    assert envelope(first)["status"]["errors"] == []
    assert "Retry-After" in api.cancel(job).headers  # still stopping
    gate.release()
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        resp = api.cancel(job)
        assert resp.status_code == 200
        if "Retry-After" not in resp.headers:
            break
    else:
        raise AssertionError("cancellation never completed")
    env = envelope(resp)
    assert env["status"]["errors"] == [] and env["result"] == {"content": []}
    assert api.poll(job).status_code == 404 and api.cancel(job).status_code == 404
    assert "Storage Default" not in space.read("Pkg/Person.cls")


def test_polling_a_cancelled_job_reports_the_cancellation(space: Space,
                                                          stub: StubCompiler) -> None:
    gate = Gate(stub, holds=1, hold_on_cancel=False)
    api = space.app(gate)
    job = _queue(api, ["R.mac"])
    gate.wait_reached()
    api.cancel(job)
    env = envelope(api.until_done(job)[1])
    assert env["status"]["summary"] == ("ERROR #5002: Compilation cancelled: 1 of 1 documents "
                                        "were not compiled")
    assert env["result"] == {"content": []}


def test_a_queued_job_is_cancelled_at_once(space: Space, stub: StubCompiler) -> None:
    gate = Gate(stub, holds=1)
    api = space.app(gate)
    api.svc.work = WorkQueue(api.svc.jobs, workers=1)
    busy = _queue(api, ["R.mac"])
    gate.wait_reached()
    waiting = _queue(api, ["Pkg.Person.cls"])
    resp = api.cancel(waiting)
    assert resp.status_code == 200 and "Retry-After" not in resp.headers
    assert api.poll(waiting).status_code == 404
    gate.release()
    assert envelope(api.until_done(busy)[1])["status"]["errors"] == []


def test_jobs_are_listed_in_sys_jobs_while_they_run(space: Space, stub: StubCompiler) -> None:
    gate = Gate(stub, holds=1)
    api = space.app(gate)
    job = _queue(api, ["R.mac"])
    gate.wait_reached()
    rows = envelope(api.call("GET", "/api/atelier/v8/%25SYS/jobs"))["result"]["content"]
    assert {"namespace": "USER", "routine": f"work:compile:{job}"} in [
        {"namespace": r["namespace"], "routine": r["routine"]} for r in rows]
    gate.release()
    api.until_done(job)
    rows = envelope(api.call("GET", "/api/atelier/v8/%25SYS/jobs"))["result"]["content"]
    assert all(r["routine"] != f"work:compile:{job}" for r in rows)


def test_a_job_past_its_time_limit_stops_with_a_clear_status(space: Space,
                                                             stub: StubCompiler) -> None:
    gate = Gate(stub, holds=1, hold_on_cancel=False)
    api = space.app(gate)
    api.svc.compiling["USER"].time_limit = 0.2
    job = _queue(api, ["R.mac"])
    env = envelope(api.until_done(job)[1])
    assert env["status"]["summary"] == ("ERROR #5002: Compilation stopped at its time limit: "
                                        "1 of 1 documents were not compiled")


def test_shutdown_cancels_running_jobs(space: Space, stub: StubCompiler) -> None:
    gate = Gate(stub, holds=1, hold_on_cancel=False)
    api = space.app(gate)
    job = _queue(api, ["R.mac"])
    gate.wait_reached()
    api.svc.work.shutdown(cancel=True, timeout=DEADLINE)
    env = envelope(api.poll(job))
    assert env["status"]["summary"] == ("ERROR #5002: Compilation cancelled: the server is "
                                        "shutting down: 1 of 1 documents were not compiled")
    refused = api.queue({"request": "compile", "documents": ["R.mac"]})
    assert refused.status_code == 503 and "shutting down" in summary(refused)


def test_too_many_pending_jobs_is_a_503(space: Space, stub: StubCompiler) -> None:
    gate = Gate(stub, holds=1)
    api = space.app(gate)
    api.svc.work = WorkQueue(api.svc.jobs, workers=1, max_pending=1)
    job = _queue(api, ["R.mac"])
    resp = api.queue({"request": "compile", "documents": ["R.mac"]})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "Too many jobs" in summary(resp)
    gate.wait_reached()
    gate.release()
    api.until_done(job)


def test_an_adapter_that_raises_gives_a_final_error_not_a_crash(space: Space) -> None:
    api = space.app(Faulty("raise"))
    before = space.read("Pkg/Person.cls")
    job = _queue(api, ["Pkg.Person.cls"])
    final = api.until_done(job)[1]
    assert final.status_code == 200
    env = envelope(final)
    text = ("ERROR #5002: The compiler adapter 'faulty' failed: RuntimeError: boom inside the "
            "adapter")
    assert env["status"]["summary"] == text and text in env["console"]
    assert env["result"] == {"content": []}
    assert space.read("Pkg/Person.cls") == before


def test_sync_compile_with_a_raising_or_malformed_adapter(space: Space) -> None:
    for mode, text in (("raise", "failed: RuntimeError: boom inside the adapter"),
                       ("malformed", "returned a malformed result: compile result must be "
                                     "CompileResult, got str")):
        api = space.app(Faulty(mode))
        resp = api.compile(["Pkg.Person.cls"])
        assert resp.status_code == 200
        assert summary(resp) == f"ERROR #5002: The compiler adapter 'faulty' {text}"
        assert envelope(resp)["console"][-1].startswith("Detected 1 errors during compilation")


def test_unknown_ids_are_404(api: Client) -> None:
    for job in ("999999", "abc", "-1", "1" * 40):
        assert api.poll(job).status_code == 404, job
        assert api.cancel(job).status_code == 404, job
    job = _queue(api, ["R.mac"])
    other = api.call("GET", f"/api/atelier/v8/%25SYS/work/{job}")
    assert other.status_code == 404  # a job belongs to its namespace
    api.until_done(job)


def test_head_never_drains_a_job(api: Client) -> None:
    job = _queue(api, ["R.mac"])
    deadline = time.monotonic() + DEADLINE
    while "Retry-After" in api.call("HEAD", api.url(f"work/{job}")).headers:
        assert time.monotonic() < deadline
    assert api.call("HEAD", api.url(f"work/{job}")).status_code == 200
    final = api.poll(job)
    assert "Retry-After" not in final.headers and final.status_code == 200
    assert api.call("HEAD", api.url(f"work/{job}")).status_code == 404


def test_request_types_this_server_does_not_serve(api: Client) -> None:
    for kind in ("export", "debug"):
        resp = api.queue({"request": kind, "query": "x"})
        assert resp.status_code == 400
        assert summary(resp) == (f"ERROR #5001: Unsupported /work request '{kind}'; this "
                                 "server supports 'compile', 'search', 'unittest'")
    for body in ({"request": "bake"}, {"documents": ["R.mac"]}, {"request": 3}):
        resp = api.queue(body)
        assert resp.status_code == 400 and "'compile'" in summary(resp), body


def test_bad_work_bodies(api: Client) -> None:
    cases = [
        ([], "must be a JSON object"),
        ({"request": "compile"}, "'documents' must be an array"),
        ({"request": "compile", "documents": "R.mac"}, "'documents' must be an array"),
        ({"request": "compile", "documents": [3]}, "item 0 must be a document name"),
        ({"request": "compile", "documents": [{"nom": "R.mac"}]}, "item 0"),
        ({"request": "compile", "documents": ["R.mac"], "flags": 7}, "'flags' must be a string"),
        ({"request": "compile", "documents": ["R.mac"], "flags": "c;rm -rf"}, "Invalid compiler"),
        ({"request": "compile", "documents": ["R.mac"], "source": "no"}, "'source' must be"),
        ({"request": "compile", "documents": ["..%2f.cls"]}, "#16006"),
        ({"request": "compile", "documents": ["Pkg.Gone.cls"]}, "#16005"),
    ]
    for body, words in cases:
        resp = api.queue(body)
        assert resp.status_code in (400, 404), (body, resp.status_code)
        assert words in summary(resp), (body, summary(resp))
    assert api.call("POST", api.url("work"), data="{}",
                    content_type="text/plain").status_code == 415
    assert api.call("POST", api.url("work"), data="{",
                    content_type="application/json").status_code == 400
    assert api.svc.work.running() == []
