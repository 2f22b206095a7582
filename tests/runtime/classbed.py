"""Class texts run end to end in process: UDL read with ``compiler_stub.reading``, INT code
generated with ``compiler_stub.generation.intcode.class_routine`` (the macros of
``%occInclude`` expanded), run by a ``Process`` whose ``load_class`` gives the class models
(the tests of classes, multidimensional properties and persistence share it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from compiler_stub.generation.intcode import class_routine
from compiler_stub.library.bundle import load_library
from compiler_stub.macros.preprocessor import MacroTable, include
from compiler_stub.reading.outline import read_class
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process

_LIB = load_library()


def macros() -> MacroTable:
    table = MacroTable()

    def lookup(name: str) -> tuple[str, tuple[str, ...]] | None:
        lines = _LIB.include(name)
        return None if lines is None else (f"{name}.inc", lines)
    include(table, "%occInclude", 0, lookup)
    return table


class Workspace:
    """Class texts, their models and their generated ``.1`` routines."""

    def __init__(self, *udls: str) -> None:
        self.models: dict[str, Any] = {}
        self.routines: dict[str, list[str]] = {}
        table = macros()
        for udl in udls:
            model = read_class(udl.strip("\n").split("\n")).model
            assert model is not None
            self.models[model.name] = model
            out = class_routine(model, table, False, datetime(2024, 1, 1))
            if out is not None:
                self.routines[model.name + ".1"] = out

    def process(self, folder: Path) -> Process:
        store = GlobalStore(str(folder / "globals.sqlite"))
        return Process("USER", store, self.routines.get, BufferDevice(),
                       load_class=self.models.get)

    def run(self, folder: Path, lines: list[str] | str) -> str:
        p = self.process(folder)
        dev = p.device
        for line in [lines] if isinstance(lines, str) else lines:
            try:
                p.execute(line)
            except ObjectScriptError as e:
                dev.write(f"[{e}]")
        return dev.out.replace("\r\n", "\n")  # type: ignore[attr-defined]
