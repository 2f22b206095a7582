"""Cancellation half-way and the time limit: checked between documents."""

from __future__ import annotations

from stub_helpers import CancelAfter, cls

from atelier_api.adapters.contract import Outcome


def _classes(n: int) -> list:  # type: ignore[type-arg]
    return [cls(f"C.K{i}", "Method X()\n{\n\tquit\n}", keywords=f"System = {i + 1}")
            for i in range(n)]


def test_cancel_half_way(compile_docs) -> None:
    # each class (own System level = own batch) is checked 3 times: class, table, routine phase
    result = compile_docs(_classes(4), cancel=CancelAfter(6))
    assert result.stopped == "cancelled"
    assert [o.state for o in result.outcomes] == [Outcome.COMPILED, Outcome.COMPILED,
                                                  Outcome.CANCELLED, Outcome.CANCELLED]
    assert result.outcomes[2].status == "Compilation cancelled"
    assert "Compiling class C.K2" not in result.console
    assert result.console[-1].startswith("Compilation finished successfully in ")


def test_time_limit(compile_docs) -> None:
    result = compile_docs(_classes(2), time_limit=1e-9)
    assert result.stopped == "time limit"
    assert {o.state for o in result.outcomes} == {Outcome.CANCELLED}
    assert result.outcomes[0].status == "Compilation time limit reached"


def test_no_limit_runs_to_the_end(compile_docs) -> None:
    result = compile_docs(_classes(3), time_limit=60.0)
    assert result.stopped == "" and {o.state for o in result.outcomes} == {Outcome.COMPILED}
