"""Many requests in flight through the real server (the client's folder import: 50 at once)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from .conftest import CLIENT_HEADERS, Running, envelope, ns_path

IN_FLIGHT = 64


def _put(base: str, cookie: str, name: str, content: list[str], *,
         ts: str | None = None, barrier: threading.Barrier | None = None
         ) -> requests.Response:
    headers = {**CLIENT_HEADERS, "Cookie": cookie, "Content-Type": "application/json"}
    params = {"ignoreConflict": "1"}
    if ts is not None:
        headers["IF-NONE-MATCH"] = ts
        params = {"ignoreConflict": "0"}
    with requests.Session() as session:
        session.trust_env = False
        if barrier is not None:
            barrier.wait(timeout=60)
        return session.put(f"{base}{ns_path('USER', 'doc/' + name)}", params=params,
                           headers=headers, json={"enc": False, "content": content}, timeout=60)


def test_fifty_plus_concurrent_puts_of_different_documents(running: Running) -> None:
    base, cookie = running.server.base, running.client.cookie
    names = [f"Load.R{i}.mac" for i in range(IN_FLIGHT)]
    barrier = threading.Barrier(IN_FLIGHT)
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        futures = [pool.submit(_put, base, cookie, name,
                               [f"ROUTINE {name[:-4]}", f" quit {i}"], barrier=barrier)
                   for i, name in enumerate(names)]
        responses = [f.result() for f in futures]
    assert [r.status_code for r in responses] == [201] * IN_FLIGHT
    for i, (name, resp) in enumerate(zip(names, responses, strict=True)):
        result = envelope(resp)["result"]
        assert result["name"] == name and result["ts"]
        assert (running.ws / name).read_text() == f"ROUTINE {name[:-4]}\n quit {i}"
    listed = envelope(running.client.call("GET", ns_path("USER", "docnames/RTN/mac")))
    assert {d["name"] for d in listed["result"]["content"]} >= set(names)


def test_concurrent_saves_of_one_document_compare_and_swap(running: Running) -> None:
    base, cookie = running.server.base, running.client.cookie
    ts = envelope(running.client.call("GET", ns_path("USER", "doc/R.mac")))["result"]["ts"]
    writers = 20
    barrier = threading.Barrier(writers)
    with ThreadPoolExecutor(max_workers=writers) as pool:
        futures = [pool.submit(_put, base, cookie, "R.mac", ["ROUTINE R", f" quit {i}"],
                               ts=ts, barrier=barrier) for i in range(writers)]
        responses = [f.result() for f in futures]
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (writers - 1)
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    assert (running.ws / "R.mac").read_text() == f"ROUTINE R\n quit {winner}"
    for resp in responses:
        if resp.status_code == 409:
            assert envelope(resp)["result"]["content"] in (
                ["ROUTINE R", "R ;", " quit", ""], ["ROUTINE R", f" quit {winner}"])
