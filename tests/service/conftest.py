"""Fixtures of the service tests: a DocumentStore on a temporary workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from atelier_api.documents.layout import Layout, WebApp, default_webapps
from atelier_api.documents.store import DocumentStore
from atelier_api.documents.tsindex import TsIndex

MakeStore = Callable[..., DocumentStore]

CLASS_LINES = ["/// A class.", "Class Pkg.A Extends %Persistent", "{", "",
               "Property Name As %String;", "", "}", ""]
ROUTINE_LINES = ["ROUTINE R", "R ;", ' w "hi"', " quit", ""]


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[MakeStore]:
    """Build stores on ``tmp_path/root`` (state in ``tmp_path/state``), closed at teardown."""
    made: list[DocumentStore] = []

    def build(kind: str = "default", *, webapps: tuple[WebApp, ...] | None = None,
              eol: str = "\n", persist: bool = True, root: Path | None = None) -> DocumentStore:
        folder = root or tmp_path / "root"
        folder.mkdir(parents=True, exist_ok=True)
        index = TsIndex(str(tmp_path / "state" / "ts.sqlite") if persist else None)
        apps = default_webapps("USER") if webapps is None else webapps
        store = DocumentStore("USER", str(folder), Layout(kind, apps), "USER", index, eol)
        made.append(store)
        return store

    yield build
    for store in made:
        store.index.close()


@pytest.fixture
def store(make_store: MakeStore) -> DocumentStore:
    """A default-layout store with /csp/user as its web application."""
    return make_store()
