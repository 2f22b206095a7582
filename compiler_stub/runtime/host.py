"""The worker's side of a session: one ``Process`` with its globals, its routine loader
(routines come from the server, asked for through the pipe) and the namespace switch."""

from __future__ import annotations

import os
from typing import Any

from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import Process


class ServerRoutines:
    """Routines by name (``Pkg.Cls.1``, ``rtn``): the compiled INT the server holds for
    ``<name>.int``. Each routine's version is asked for once per line, so a routine compiled
    again between two lines runs in its new form, and calls within a line cost nothing."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe
        self.known: dict[str, tuple[list[str] | None, str]] = {}
        self.checked: set[str] = set()

    def new_line(self) -> None:
        """A new line starts: versions are asked for again."""
        self.checked.clear()

    def forget(self) -> None:
        """Another namespace: nothing known is valid."""
        self.known.clear()
        self.checked.clear()

    def _fetch(self, name: str) -> tuple[list[str] | None, str]:
        if name not in self.checked or name not in self.known:
            _, _, text, version = self.pipe.ask(("need", f"{name}.int"), "doc")
            lines = text.split("\n") if text is not None else None
            self.known[name] = (lines, version)
            self.checked.add(name)
        return self.known[name]

    def __call__(self, name: str) -> list[str] | None:
        return self._fetch(name)[0]

    def version(self, name: str) -> str:
        """The version token of the cache of translated routines."""
        return self._fetch(name)[1]


class ServerClasses:
    """Class texts by class name (``Pkg.Cls`` -> ``Pkg.Cls.cls``), read into a
    ``ClassModel`` once per version; versions are asked for again on each new line, like
    routines."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe
        self.known: dict[str, tuple[Any, str]] = {}
        self.checked: set[str] = set()

    def new_line(self) -> None:
        self.checked.clear()

    def forget(self) -> None:
        self.known.clear()
        self.checked.clear()

    def __call__(self, name: str) -> Any:
        if name in self.checked and name in self.known:
            return self.known[name][0]
        _, _, text, version = self.pipe.ask(("need", f"{name}.cls"), "doc")
        old = self.known.get(name)
        if old is not None and old[1] == version and text is not None:
            model = old[0]
        else:
            model = read_class_text(text) if text is not None else None
        self.known[name] = (model, version)
        self.checked.add(name)
        return model


def read_class_text(text: str) -> Any:
    """The ``ClassModel`` of a class text (None when it cannot be read)."""
    from compiler_stub.reading.outline import read_class  # noqa: PLC0415

    try:
        return read_class(text.split("\n")).model
    except Exception:  # noqa: BLE001 - an unreadable class is a missing one
        return None


class Host:
    """The session's ObjectScript process and what it needs from the worker."""

    def __init__(self, pipe: Any, namespace: str, data_dir: str, zversion: str = "") -> None:
        self.pipe = pipe
        self.routines = ServerRoutines(pipe)
        self.classes = ServerClasses(pipe)
        self.globals = self._open_globals(data_dir)
        self.process = Process(namespace, self.globals, self.routines, pipe,
                               switch_namespace=self._switch, load_class=self.classes)
        if zversion:  # $ZVERSION as the server reports it
            self.process.zversion = zversion

    @property
    def namespace(self) -> str:
        """The current namespace."""
        return self.process.namespace

    @staticmethod
    def _open_globals(data_dir: str) -> GlobalStore:
        os.makedirs(data_dir, exist_ok=True)
        return GlobalStore(os.path.join(data_dir, "globals.sqlite"))

    def _switch(self, namespace: str) -> GlobalStore | None:
        _, _, found = self.pipe.ask(("switch", namespace), "ns")
        if found is None:
            return None
        _, data_dir = found
        self.globals.flush()
        self.globals.close()
        self.globals = self._open_globals(data_dir)
        self.routines.forget()
        self.classes.forget()
        return self.globals

    def execute(self, line: str) -> None:
        """One terminal line; the globals it set are written when it ends."""
        self.routines.new_line()
        self.classes.new_line()
        try:
            self.process.execute(line)
        finally:
            self.globals.flush()

    def call(self, entry: str, args: list[str]) -> str | None:
        """One entry point; its value as a string (None: no value)."""
        from compiler_stub.runtime import values

        self.routines.new_line()
        self.classes.new_line()
        try:
            value = self.process.call(entry, args)
        finally:
            self.globals.flush()
        return None if value is None else values.to_str(value)

    def close(self) -> None:
        """Write what is pending and close the globals."""
        self.globals.flush()
        self.globals.close()
