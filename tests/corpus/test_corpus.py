"""The real-code corpus, served as it is: ObjectScript that compiles on IRIS and that nobody
here wrote (``repos.toml``). For each corpus:

(a) every file is listed under the name its header declares (and nothing else is listed);
(b) every document round-trips: GET, then PUT of the same content, leaves the file
    byte-identical;
(c) compiling every document (``/work``, flags ``cuk``, as VS Code does) reports exactly the
    errors ``expectations.toml`` lists, each a real missing third-party dependency;
(d) the compile changes no file of the checkout.
"""

from __future__ import annotations

from .conftest import ENTRIES, Compiled, Corpus
from .harness import (
    Served,
    check_names,
    error_units,
    judge,
    load_expectations,
    round_trip,
    shown,
    tree_changes,
)

EXPECTATIONS = load_expectations()


def test_every_file_is_listed_under_its_declared_name(corpus: Corpus, served: Served) -> None:
    problems = check_names(served)
    assert not problems, (f"{corpus.name}: {len(problems)} of {len(served.declared)} files not "
                          f"listed under their declared name:\n{shown(problems)}")


def test_every_document_round_trips_byte_identical(corpus: Corpus, served: Served) -> None:
    problems = round_trip(served)
    assert not problems, (f"{corpus.name}: {len(problems)} round-trip problems over "
                          f"{len(served.declared)} documents:\n{shown(problems)}")


def test_compile_reports_only_the_expected_errors(corpus: Corpus, compiled: Compiled) -> None:
    run = compiled.run
    assert not run.failure, f"{corpus.name}: the compile did not run: {run.failure}"
    verdict = judge(error_units(run), EXPECTATIONS.get(corpus.name, []))
    assert not verdict.unexpected, (
        f"{corpus.name}: {len(verdict.unexpected)} unexpected compile errors over "
        f"{len(compiled.served.declared)} documents (not in expectations.toml):\n"
        f"{shown(verdict.unexpected)}")
    assert not verdict.unmet, (
        f"{corpus.name}: expectations.toml lists errors the compile did not report:\n"
        f"{shown([f'{e.doc}: {list(e.match)}' for e in verdict.unmet])}")


def test_compile_changes_no_file(corpus: Corpus, compiled: Compiled) -> None:
    assert not compiled.run.failure, f"{corpus.name}: the compile did not run"
    changes = tree_changes(compiled.served.original, compiled.served.ws)
    assert not changes, (f"{corpus.name}: the compile changed {len(changes)} files of the "
                         f"checkout:\n{shown(changes)}")


def test_expectations_name_corpora_of_repos_toml() -> None:
    unknown = sorted(set(EXPECTATIONS) - set(ENTRIES))
    assert not unknown, f"expectations.toml names corpora repos.toml does not: {unknown}"
