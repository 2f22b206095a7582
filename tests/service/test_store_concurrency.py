"""DocumentStore under concurrent saves: independent documents, and compare-and-swap on one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from atelier_api.documents.store import DocumentStore
from atelier_api.documents.tsindex import parse_ts
from atelier_api.errors import Conflict

from .conftest import ROUTINE_LINES


def _run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; results or errors."""
    barrier = threading.Barrier(count, timeout=30)

    def call(number: int) -> Any:
        barrier.wait()
        try:
            return work(number)
        except Exception as exc:  # collected and asserted on by the caller
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))


def test_fifty_threads_fifty_documents(store: DocumentStore) -> None:
    """Saves of different documents never block or fail each other."""
    results = _run_together(50, lambda n: store.put(f"Pkg.C{n}.cls", [f"Class Pkg.C{n}", "{",
                                                                       "}"]))
    assert all(not isinstance(r, Exception) and r.created for r in results), results
    listed = {d.name: d.ts for d in store.list()}
    assert set(listed) == {f"Pkg.C{n}.cls" for n in range(50)}
    for n in range(50):
        assert store.get(f"Pkg.C{n}.cls").content == [f"Class Pkg.C{n}", "{", "}"]


def test_compare_and_swap_has_one_winner(store: DocumentStore) -> None:
    """20 saves from the same ts: exactly one wins, the others conflict, the winner's text stays."""
    start = store.put("R.mac", ROUTINE_LINES).doc.ts

    def save(n: int) -> Any:
        return store.put("R.mac", ["ROUTINE R", f" quit {n}", ""], if_match=start)

    results = _run_together(20, save)
    winners = [n for n, r in enumerate(results) if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict) for n, r in enumerate(results) if n != winners[0])
    final = store.get("R.mac")
    assert final.content == ["ROUTINE R", f" quit {winners[0]}", ""]
    assert final.ts == results[winners[0]].doc.ts
    assert parse_ts(final.ts) > parse_ts(start)  # type: ignore[operator]


def test_readers_during_writes_see_whole_versions(store: DocumentStore) -> None:
    """A reader racing writers sees one complete version, never a mix or a missing file."""
    versions = [["ROUTINE R", f" quit {n}", "x" * (n * 50), ""] for n in range(30)]
    store.put("R.mac", versions[0])

    def work(n: int) -> Any:
        if n % 2:
            return store.put("R.mac", versions[n], ignore_conflict=True)
        return store.get("R.mac").content

    results = _run_together(30, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r in versions for r in results if isinstance(r, list))


def test_readers_never_make_a_fresh_ts_stale(store: DocumentStore) -> None:
    """A saver reusing the ts each save returned never conflicts, however busy the readers."""
    ts = store.put("R.mac", ROUTINE_LINES).doc.ts
    done = threading.Event()

    def read(_: int) -> None:
        while not done.is_set():
            store.get("R.mac")
            store.ts_of("R.mac")
            store.list()

    with ThreadPoolExecutor(max_workers=4) as pool:
        readers = [pool.submit(read, n) for n in range(4)]
        try:
            for n in range(100):
                ts = store.put("R.mac", ["ROUTINE R", f" quit {n}"], if_match=ts).doc.ts
        finally:
            done.set()
        for reader in readers:
            reader.result()
    assert store.get("R.mac").content == ["ROUTINE R", " quit 99"]
