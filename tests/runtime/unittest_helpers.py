"""Compile test classes with the stand-in compiler and run them with the runtime's
``%UnitTest`` manager, in process: what the unit-test tests and the docs test share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from atelier_api.adapters.contract import CompileRequest, MappingWorkspace, Outcome, SourceDoc
from compiler_stub import StubCompiler
from compiler_stub.reading.outline import read_class
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process
from compiler_stub.runtime.unittests import run_tests


def class_name(text: str) -> str:
    for line in text.split("\n"):
        if line.startswith("Class "):
            return line.split()[1]
    raise ValueError("no Class line")


class TestBed:
    """Class texts compiled together; ``run`` runs test classes in a fresh process."""

    __test__ = False

    def __init__(self, folder: Path, *texts: str) -> None:
        docs = [SourceDoc(class_name(t) + ".cls", tuple(t.strip("\n").split("\n")), "")
                for t in texts]
        result = StubCompiler().compile(CompileRequest(tuple(docs), "cuk",
                                                       MappingWorkspace.of(docs)))
        self.failed = {o.name: o.status for o in result.outcomes
                       if o.state is Outcome.FAILED}
        self.routines: dict[str, list[str]] = {}
        for out in result.outcomes:
            for gen in out.generated:
                self.routines[gen.name[:-4]] = list(gen.lines)
        self.models = {d.name[:-4]: read_class(list(d.lines)).model for d in docs}
        self.folder = folder

    def process(self) -> Process:
        store = GlobalStore(str(self.folder / "globals.sqlite"))
        return Process("USER", store, self.routines.get, BufferDevice(),
                       load_class=self.models.get)

    def run(self, tests: Sequence[tuple[Any, ...]], *, show: bool = True,
            test_seconds: float = 0.0) -> tuple[list[str], list[dict[str, Any]], str]:
        """(console lines, result rows, what the tests wrote to the device)."""
        P = self.process()
        lines: list[str] = []
        rows: list[dict[str, Any]] = []
        try:
            run_tests(P, tests, console=lines.append, result=rows.append, show=show,
                      test_seconds=test_seconds)
        finally:
            P.gstore.close()
        return lines, rows, P.device.take()  # type: ignore[attr-defined]
