"""The worker's side of a session: one ``Process`` with its globals, its routine loader
(routines come from the server, asked for through the pipe), the namespace switch and the
other namespaces' globals extended references reach."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from compiler_stub.runtime.codecache import CodeCache, source_id
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import Process

#: what a class model depends on: the class reader's code
READER_ID = source_id("compiler_stub.reading")


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

    def seed(self, name: str, text: str | None, version: str) -> None:
        """A document the server sent ahead (a unit-test run's classes): as if asked."""
        self._take(name, text, version)

    def _fetch(self, name: str) -> tuple[Any, str]:
        if name in self.checked and name in self.known:
            return self.known[name]
        _, _, text, version = self.pipe.ask(("need", f"{name}.{self.ext}"), "doc")
        return self._take(name, text, version)

    def _take(self, name: str, text: str | None, version: str) -> tuple[Any, str]:
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


def server_classes(pipe: Any, cache: CodeCache | None = None) -> ServerDocuments:
    """Class texts by class name (``Pkg.Cls`` -> ``Pkg.Cls.cls``) as ``ClassModel``s (read
    through ``cache``, which keeps them across sessions, when given)."""
    if cache is None:
        return ServerDocuments(pipe, "cls", read_class_text)
    return ServerDocuments(pipe, "cls", lambda text: cache.remember(
        READER_ID, text, read_class_text))


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
        # translations and class models kept across sessions, next to the namespaces' data
        # folders (<state>/derived/<NS>/data: the cache is <state>/derived/translations.sqlite)
        derived = os.path.dirname(os.path.dirname(os.path.abspath(data_dir)))
        self.code_cache = CodeCache(os.path.join(derived, "translations.sqlite"))
        self.routines = server_routines(pipe)
        self.classes = server_classes(pipe, self.code_cache)
        self.globals = self._open_globals(data_dir)
        #: other namespaces' globals, opened for extended references (``^|"NS"|G``)
        self.others: dict[str, GlobalStore] = {}
        self.process = Process(namespace, self.globals, self.routines, pipe,
                               switch_namespace=self._switch, load_class=self.classes,
                               open_namespace=self._other, code_cache=self.code_cache)
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
        name, data_dir = found
        self.globals.flush()
        self.globals.close()
        opened = self.others.pop(str(name).upper(), None)   # already open for ^|"NS"|G
        self.globals = opened if opened is not None else self._open_globals(data_dir)
        self.routines.forget()
        self.classes.forget()
        return self.globals

    def _other(self, namespace: str) -> GlobalStore | None:
        """Another namespace's globals for an extended reference, without switching: the
        server says where they live (``("where", ns)``, answered like ``switch``); None
        when the namespace does not exist."""
        ns = namespace.upper()
        store = self.others.get(ns)
        if store is None:
            _, _, found = self.pipe.ask(("where", namespace), "ns")
            if found is None:
                return None
            _, data_dir = found
            store = self.others[ns] = self._open_globals(data_dir)
        return store

    def _flush(self) -> None:
        self.globals.flush()
        for store in self.others.values():
            store.flush()

    def execute(self, line: str) -> None:
        """One terminal line; the globals it set are written when it ends."""
        self.routines.new_line()
        self.classes.new_line()
        try:
            self.process.execute(line)
        finally:
            self._flush()

    def call(self, entry: str, args: list[str]) -> str | None:
        """One entry point; its value as a string (None: no value)."""
        from compiler_stub.runtime import values

        self.routines.new_line()
        self.classes.new_line()
        try:
            value = self.process.call(entry, args)
        finally:
            self._flush()
        return None if value is None else values.to_str(value)

    def run_tests(self, tests: list[tuple[str, list[str], str]], console: bool,
                  test_seconds: float, documents: Sequence[tuple[str, str | None, str]] = ()
                  ) -> None:
        """Unit tests (``unittests.run_tests``): console lines as output, the result rows
        sent along with it (``Pipe.result``); ``documents`` the test classes' texts and
        routines, (name, text, version), sent ahead of the run."""
        from compiler_stub.runtime.unittests import run_tests

        self.routines.new_line()
        self.classes.new_line()
        for name, text, version in documents:
            stem, _, ext = name.rpartition(".")
            kind = self.classes if ext == "cls" else self.routines if ext == "int" else None
            if kind is not None:
                kind.seed(stem, text, version)
        try:
            run_tests(self.process, tests, console=self.pipe.line, result=self.pipe.result,
                      show=console, test_seconds=test_seconds)
        finally:
            self._flush()

    def close(self) -> None:
        """Write what is pending and close the globals."""
        self._flush()
        self.globals.close()
        for store in self.others.values():
            store.close()
        self.others.clear()
        self.code_cache.close()
