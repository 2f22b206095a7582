"""Large compiles run with the cyclic garbage collector paused, and always leave it as found:
enabled after a compile (also one that raises), disabled if the caller had disabled it, and
held until the last of several overlapping large compiles ends."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from atelier_api.adapters.contract import SourceDoc
from compiler_stub import compile as stub_compile


def _classes(count: int) -> list[SourceDoc]:
    return [SourceDoc(f"G.C{i}.cls", (f"Class G.C{i}", "{", "", "}", ""))
            for i in range(count)]


@pytest.fixture(autouse=True)
def _gc_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_a_large_compile_pauses_the_collector_and_enables_it_again(compile_docs) -> None:
    seen: list[bool] = []
    real = stub_compile._compile_classes

    def spy(run, jobs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(run, jobs)

    gc.enable()
    stub_compile._compile_classes = spy  # type: ignore[assignment]
    try:
        result = compile_docs(_classes(stub_compile.GC_PAUSE_FROM))
        small = compile_docs(_classes(2))
    finally:
        stub_compile._compile_classes = real  # type: ignore[assignment]
    assert not result.errors and not small.errors
    assert seen == [False, True]  # paused for the large one only
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(compile_docs) -> None:
    gc.disable()
    compile_docs(_classes(stub_compile.GC_PAUSE_FROM))
    assert not gc.isenabled()


def test_overlapping_holders_release_at_the_last_one() -> None:
    gc.enable()
    pause = stub_compile._GcPause()
    first_in, second_done = threading.Event(), threading.Event()
    states: list[bool] = []

    def first() -> None:
        with pause.held(True):
            first_in.set()
            second_done.wait(10)
            states.append(gc.isenabled())  # still paused: the second one left, not this one
    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with pause.held(True):
        states.append(gc.isenabled())
    second_done.set()
    thread.join(10)
    assert states == [False, False]
    assert gc.isenabled()


def test_an_exception_inside_still_restores_the_collector() -> None:
    gc.enable()
    pause = stub_compile._GcPause()
    with pytest.raises(RuntimeError), pause.held(True):
        raise RuntimeError("boom")
    assert gc.isenabled()
