"""The worker's side of a session: one ``Process`` with its globals, its routine loader
(routines come from the server, asked for through the pipe) and the namespace switch."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import Process


class ServerDocuments:
    """Documents of one kind by name, as the server holds them, asked for through the pipe
    and read once per version: ``ext`` is the extension asked for, ``read(text)`` what is
    kept. Each version is asked for once per line, so a document compiled again between two
    lines is used in its new form, and uses within a line cost nothing."""

    def __init__(self, pipe: Any, ext: str, read: Callable[[str], Any]) -> None:
        self.pipe = pipe
        self.ext = ext
        self.read = read
        self.known: dict[str, tuple[Any, str]] = {}
        self.checked: set[str] = set()

    def new_line(self) -> None:
        """A new line starts: versions are asked for again."""
        self.checked.clear()

    def forget(self) -> None:
        """Another namespace: nothing known is valid."""
        self.known.clear()
        self.checked.clear()

    def _fetch(self, name: str) -> tuple[Any, str]:
        if name in self.checked and name in self.known:
            return self.known[name]
        _, _, text, version = self.pipe.ask(("need", f"{name}.{self.ext}"), "doc")
        old = self.known.get(name)
        if old is not None and old[1] == version and text is not None:
            value = old[0]
        else:
            value = self.read(text) if text is not None else None
        self.known[name] = (value, version)
        self.checked.add(name)
        return self.known[name]

    def __call__(self, name: str) -> Any:
        return self._fetch(name)[0]

    def version(self, name: str) -> str:
        """The version token (the Process's cache of translated routines uses it)."""
        return self._fetch(name)[1]


def server_routines(pipe: Any) -> ServerDocuments:
    """Routines by name (``Pkg.Cls.1``, ``rtn``): the compiled INT of ``<name>.int``."""
    return ServerDocuments(pipe, "int", lambda text: text.split("\n"))


def server_classes(pipe: Any) -> ServerDocuments:
    """Class texts by class name (``Pkg.Cls`` -> ``Pkg.Cls.cls``) as ``ClassModel``s."""
    return ServerDocuments(pipe, "cls", read_class_text)


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
        self.routines = server_routines(pipe)
        self.classes = server_classes(pipe)
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
