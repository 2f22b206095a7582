"""The worker processes that read the classes of large compiles (compiler_stub.reading.pool).

A pooled read must give exactly what an in-process read gives, stop when asked, fall back to
in-process reading when the pool fails, and leave no worker processes behind when idle.
"""

from __future__ import annotations

import logging
import re
import time

import pytest
from stub_helpers import CancelAfter, cls, doc

from atelier_api.adapters.contract import (
    Capability,
    CompileRequest,
    CompileResult,
    MappingWorkspace,
    Outcome,
    SourceDoc,
    call,
)
from compiler_stub import StubCompiler
from compiler_stub.reading import pool
from compiler_stub.reading.outline import read_class

INCLUDE = doc("PoolMacros.inc", "ROUTINE PoolMacros [Type=INC]\n#define Twice(%x) ((%x)*2)\n")


def _namespace(n: int) -> list[SourceDoc]:
    """n classes in chains of three, persistent and registered, with macros, generators, one
    syntax error and one undefined macro: every path a read and a compile can take."""
    docs = []
    for i in range(n):
        sup = f"P.C{i - 1}" if i % 3 else ("%Persistent" if i % 2 else "%RegisteredObject")
        body = (f"/// Property {i}.\nProperty Name{i} As %String(MAXLEN = {i + 10});\n\n"
                f"Property Tags{i} As list Of %String;\n\n"
                f"Parameter LIMIT{i} As %Integer = {i};\n\n"
                f"ClassMethod Double{i}(x As %Integer = 1, ByRef y, Output z) As %Integer\n"
                "{\n    set z = $$$Twice(x)\n    quit z\n}\n")
        if i % 7 == 3:
            body += "\nClassMethod Gen() [ CodeMode = objectgenerator ]\n{\n    quit $$$OK\n}\n"
        if i == 5:
            body += "\nMethod Broken()\n{\n    set x = (1\n}\n"
        if i == 8:
            body += "\nMethod NoMacro()\n{\n    quit $$$NotDefinedAnywhere\n}\n"
        docs.append(cls(f"P.C{i}", body, head="Include PoolMacros\n\n", extends=sup))
    return docs


_CLOCK = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d(?:AM|PM)?|\d+\.\d{3}s")


def _timeless(result: CompileResult) -> str:
    """Outcomes and console with the clock masked (dates in headers, elapsed times)."""
    return _CLOCK.sub("<t>", repr((result.outcomes, result.console, result.stopped)))


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Pools from 10 documents on, in chunks of 4, so that tests stay small; stopped after."""
    monkeypatch.setattr(pool, "POOL_FROM", 10)
    monkeypatch.setattr(pool, "CHUNK", 4)
    made: list[pool.ReadPool] = []

    def make(**kw: object) -> pool.ReadPool:
        p = pool.ReadPool(**kw)  # type: ignore[arg-type]
        made.append(p)
        return p
    yield make
    for p in made:
        p.shutdown()


def test_pooled_read_equals_in_process_read(small_pool) -> None:
    docs = [d.lines for d in _namespace(30)]
    p = small_pool(workers=2)
    pooled = p.read_all(docs)
    assert p.running  # the workers really did the reading
    assert repr(pooled) == repr([read_class(list(lines), whole=True) for lines in docs])
    # the models hold the caller's lines again (the workers do not send them back)
    assert all(src.model is not None and src.model.lines == lines
               for src, lines in zip(pooled, docs, strict=True))


def test_small_sets_and_no_workers_read_in_process(small_pool) -> None:
    docs = [d.lines for d in _namespace(12)]
    few = small_pool(workers=2)
    few.read_all(docs[:9])
    assert not few.running
    off = small_pool(workers=0)
    assert off.workers == 0
    assert repr(off.read_all(docs)) == repr([read_class(list(x), whole=True) for x in docs])
    assert not off.running


def test_stop_returns_the_prefix_read_so_far(small_pool) -> None:
    docs = [d.lines for d in _namespace(20)]
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # two chunks, then stop
    got = small_pool(workers=2).read_all(docs, stop)
    assert len(got) == 8
    assert repr(got) == repr([read_class(list(x), whole=True) for x in docs[:8]])
    in_process = pool.read_in_process(docs, lambda: True, every=5)
    assert len(in_process) == 5


def test_a_failing_pool_reads_in_process(small_pool, monkeypatch, caplog) -> None:
    docs = [d.lines for d in _namespace(12)]
    p = small_pool(workers=2)

    def broken() -> None:
        raise OSError("no processes here")
    monkeypatch.setattr(p, "_acquire", broken)
    with caplog.at_level(logging.WARNING, logger="compiler_stub.reading.pool"):
        got = p.read_all(docs)
    assert repr(got) == repr([read_class(list(x), whole=True) for x in docs])
    assert "compile worker pool failed (OSError: no processes here)" in caplog.text
    assert p.workers == 0  # not tried again


def test_idle_pool_stops_its_workers(small_pool) -> None:
    p = small_pool(workers=2, idle_seconds=0.2)
    p.read_all([d.lines for d in _namespace(10)])
    assert p.running
    deadline = time.monotonic() + 10
    while p.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not p.running
    p.read_all([d.lines for d in _namespace(10)])  # starts again on the next large read
    assert p.running


@pytest.mark.parametrize(("value", "expected"), [
    ("0", 0), ("1", 0), ("2", 2), ("3", 3), ("64", pool.MAX_WORKERS), ("many", 0), (" 2 ", 2)])
def test_configured_workers(monkeypatch, value: str, expected: int) -> None:
    monkeypatch.setenv(pool.ENV_WORKERS, value)
    assert pool.configured_workers() == expected


def test_default_workers_follow_the_usable_cpus(monkeypatch) -> None:
    monkeypatch.delenv(pool.ENV_WORKERS, raising=False)
    monkeypatch.setattr(pool.os, "sched_getaffinity", lambda _pid: {0, 1, 2})
    assert pool.configured_workers() == 3
    monkeypatch.setattr(pool.os, "sched_getaffinity", lambda _pid: {0})
    assert pool.configured_workers() == 0


def _compile(adapter: StubCompiler, docs: list[SourceDoc], **kw: object) -> CompileResult:
    ws = MappingWorkspace.of([*docs, INCLUDE])
    request = CompileRequest(tuple(docs), "cuk", ws, **kw)  # type: ignore[arg-type]
    return call(adapter, Capability.COMPILE, request)  # type: ignore[no-any-return]


def test_pooled_compile_equals_one_process_compile(small_pool) -> None:
    docs = _namespace(30)
    pooled, single = StubCompiler(processes=2), StubCompiler(processes=0)
    try:
        a, b = _compile(pooled, docs), _compile(single, docs)
        assert pooled.read_workers == 2 and single.read_workers == 0
        assert pooled._pool.running  # noqa: SLF001 - the pool was used
        assert _timeless(a) == _timeless(b)
        states = [o.state for o in a.outcomes]
        assert states.count(Outcome.FAILED) == 2  # the syntax error and the undefined macro
        assert states.count(Outcome.COMPILED) == 28
        assert any(g.name == "P.C3.G1.int" for o in a.outcomes for g in o.generated)
    finally:
        pooled._pool.shutdown()  # noqa: SLF001


@pytest.mark.parametrize("processes", [2, 0])
def test_cancel_early_in_a_large_compile(small_pool, processes: int) -> None:
    docs = _namespace(60)
    adapter = StubCompiler(processes=processes)
    try:
        result = _compile(adapter, docs, cancel=CancelAfter(2))
    finally:
        adapter._pool.shutdown()  # noqa: SLF001
    assert result.stopped == "cancelled"
    states = [o.state for o in result.outcomes]
    assert len(states) == 60 and states[-1] == Outcome.CANCELLED
    assert Outcome.COMPILED not in states  # stopped before any class phase ran
    assert result.outcomes[-1].status == "Compilation cancelled"
