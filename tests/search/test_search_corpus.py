"""The in-memory search corpus: same answers as reading every file, and never stale.

Every corpus answer is compared with the file-by-file scan (``_search_files``, which reads and
tests each line alone): line-crossing regex matches, case folding over the lower-cased copy,
long lines, non-ASCII text. Freshness: saves, deletes and changes on disk (with and without
the workspace watcher) show in the next search.
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import threading
import time
from typing import Any

import pytest

from atelier_api.documents.store import DocumentStore
from atelier_api.errors import Envelope
from atelier_api.sandbox.watcher import Watcher
from atelier_api.search import service as search_mod
from atelier_api.search.corpus import CHUNK_DOCS
from atelier_api.search.engine import Regex, build
from atelier_api.search.query import MAX_LINE, FileHits, SearchQuery
from atelier_api.search.service import search_all

from .conftest import Client, Space, envelope

TRICKY = {
    # a line-crossing match of x[^y]*z would swallow the second line's own match
    "Cross.mac": "ROUTINE Cross\nx\nxz\n set sc\n= 1\n set   SC = 2\nfoo\n",
    "Pkg/Tricky.cls": (
        "/// SearchTarget in a description\nClass Pkg.Tricky Extends %RegisteredObject\n{\n\n"
        "/// Doc of Run\nMethod Run() As %Status\n{\n    set sc = 1\n    set SC=2 // SEARCHtarget\n"
        "    quit sc\n}\n\nXData Blob\n{\n<a>searchtarget</a>\n}\n\n}\n"),
    "Uni.mac": "ROUTINE Uni\n write \"ÄBC straße\"\n write \"äbc STRASSE\"\n set \u212aelvin = 1\n",
    "Long.mac": "ROUTINE Long\n set x = \"" + "a" * (MAX_LINE + 50) + "needle\"\n needle\n",
}
QUERIES: list[dict[str, Any]] = [
    {"text": "email"}, {"text": "Email", "case": True}, {"text": "email", "word": True},
    {"text": "e*l", "wild": True}, {"text": "SearchTarget"}, {"text": "searchtarget"},
    {"text": "set sc"}, {"text": "needle"}, {"text": "äbc"}, {"text": "STRASSE", "case": True},
    {"text": "$$$OK"},
    {"text": ".*Email.*", "regex": True}, {"text": "(?i).*email.*", "regex": True},
    {"text": ".*x[^y]*z.*", "regex": True}, {"text": r"(?i).*set\s+sc\s*=.*", "regex": True},
    {"text": r".*set\s+sc.*", "regex": True}, {"text": r"(?s).*x.z.*", "regex": True},
    {"text": r"x[^q]*", "regex": True}, {"text": r"\s*quit.*", "regex": True},
    {"text": r"(?i)\s*(set|quit)\b.*", "regex": True}, {"text": r".*(a)\1.*", "regex": True},
    {"text": r"(?i).*[A-Z]arget.*", "regex": True}, {"text": "persistent"},
    {"text": "Class Pkg"}, {"text": r"(?i).*pkg\.(person|tricky|base).*", "regex": True},
    {"text": r".*needle.*", "regex": True}, {"text": r"(?i).*ÄBC.*", "regex": True},
    {"text": r"(?i).*[^a-z ]sc.*", "regex": True}, {"text": r"(?i)^\s+SET.*$", "regex": True},
    {"text": r".*\Bsc\b.*", "regex": True}, {"text": r"(?i).*\bSC\b.*", "regex": True},
]


def _query(spec: dict[str, Any], **extra: Any) -> SearchQuery:
    options = {"max_hits": 1000, **{k: v for k, v in spec.items() if k != "text"}, **extra}
    return SearchQuery(spec["text"], "*.cls,*.mac,*.inc,/csp/user/*", system=True, **options)


def _files_way(store: DocumentStore, query: SearchQuery) -> tuple[list[Any], list[str]]:
    items: list[dict[str, Any]] = []
    lines = [f"Searching for '{query.text}' in '{query.files}'"]

    def on_file(found: FileHits) -> None:
        items.append(found.to_dict())
    search_mod._search_files(store, query, on_file, lines.append, lambda: "")  # noqa: SLF001
    return items, lines


def _store(client: Client) -> DocumentStore:
    store = client.app.extensions["atelier"].store("USER")
    assert store is not None
    return store  # type: ignore[no-any-return]


@pytest.mark.parametrize("unicode", [False, True], ids=["ascii", "unicode"])
@pytest.mark.parametrize("spec", QUERIES, ids=lambda spec: str(spec))
def test_corpus_answers_like_the_file_scan(space: Space, spec: dict[str, Any],
                                           unicode: bool) -> None:
    """ASCII chunks run case-insensitive patterns over the lower-cased copy; a chunk with
    non-ASCII text runs the pattern itself."""
    for rel, text in TRICKY.items():
        if unicode or text.isascii():
            space.write(rel, text)
    store = _store(space.app())
    query = _query(spec)
    expected_items, expected_console = _files_way(store, query)
    items, console, errors = search_all(store, query, 30.0)
    assert errors == []
    assert items == expected_items
    assert console == expected_console
    body = search_mod.search_envelope(store, query, 30.0)
    assert body == Envelope(items, console, [], "").dumps()


def test_many_chunks_and_max(space: Space) -> None:
    for i in range(CHUNK_DOCS * 2 + 7):
        space.write(f"Gen.R{i:04d}.mac", f"ROUTINE Gen.R{i:04d}\n set sc = {i}\n quit sc\n")
    store = _store(space.app())
    for spec in ({"text": "set sc"}, {"text": r".*quit\s+sc.*", "regex": True}):
        for limit in (1, 5, CHUNK_DOCS + 3, 5000):
            query = _query(spec, max_hits=limit)
            items, console, _errors = search_all(store, query, 30.0)
            assert (items, console) == _files_way(store, query)
            assert sum(len(i["matches"]) for i in items) == min(limit, CHUNK_DOCS * 2 + 8)


def test_line_crossing_regex_never_hides_a_line(api: Client, space: Space) -> None:
    space.write("Cross.mac", TRICKY["Cross.mac"])
    found = api.found(".*x[^y]*z.*", "Cross.mac", regex=True)
    assert found == {"Cross.mac": [{"text": "xz", "line": 2}]}
    assert api.found(r".*set\s+sc\s*=.*", "Cross.mac", regex=True) == {}  # '=' is a line down
    assert api.found(r"(?i).*set\s+sc\s*=.*", "Cross.mac", regex=True) == {
        "Cross.mac": [{"text": "set   SC = 2", "line": 5}]}


def _spans(rx: Regex, text: str) -> list[tuple[int, int]]:
    """Successive matches as ``finditer`` walks them (after an empty match, one further)."""
    out, pos = [], 0
    while pos <= len(text):
        found = rx.search(text, pos)
        if found is None:
            break
        out.append(found)
        pos = found[1] if found[1] > found[0] else found[0] + 1
    return out


def test_re2_version_matches_like_python() -> None:
    """The RE2 version of a pattern matches where Python's does, ASCII text or not, with
    Python's own case-insensitivity, classes and anchors; what RE2 lacks runs on Python."""
    rng = random.Random(7)
    alphabet = "aAbBkKsSzZ_09 \t\n-=[]^\\`{}|~.\"'"
    texts = ["".join(rng.choice(alphabet) for _ in range(400)) for _ in range(20)]
    texts += [t.replace("k", "\u212a").replace("s", "\u017f").replace("z", "ä") for t in texts]
    patterns = [r"ab", r"[A-Z]+", r"[Z-a]", r"[^a]b", r"\w\W", r"k", "\u212a", "\u017f",
                r"[^\s]{2,3}?s", r"\bz\B", r"a.b", r"(?s)a.b", r"[\d_]+|[^\w]k", r"^\w",
                r"\w$", r"[\^\\\]]", r"(?i)a(?-i:b)", r"(?a)\w\b", r"\Bk*"]
    for source in patterns:
        rx = build(source, re.IGNORECASE | re.MULTILINE, single_line=False)
        python = re.compile(source, re.IGNORECASE | re.MULTILINE)
        for text in texts:
            want = [m.span() for m in python.finditer(text)]
            if text.isascii() or rx.other.linear is not None:
                assert _spans(rx, text) == want, (source, text)
    for source, lacks in ((r"(a|b)\1", "back-reference"), (r"(?<!a)b(?=s)", "look-around"),
                          (r"(?>a+)b", "atomic group"), (r"a*+b", "possessive repeat"),
                          (r"a{1001}", "repeat count above 1000")):
        rx = build(source, re.MULTILINE, single_line=False)
        assert not rx.linear and lacks in rx.lacks, source
        assert _spans(rx, texts[0]) == [m.span() for m in re.finditer(source, texts[0],
                                                                         re.MULTILINE)]
    unicode_word = build(r"\bk\b", 0, single_line=True)
    assert unicode_word.ascii.linear is not None and unicode_word.other.linear is None


# -- freshness --------------------------------------------------------------------------------

def _lines(api: Client, text: str) -> set[tuple[str, str]]:
    found = api.found(text, "*.cls,*.mac")
    return {(doc, m["text"]) for doc, matches in found.items() for m in matches}


def _put(api: Client, name: str, lines: list[str]) -> None:
    ts = envelope(api.call("GET", api.url(f"doc/{name}")))["result"].get("ts", "")
    resp = api.call("PUT", api.url(f"doc/{name}"), json={"enc": False, "content": lines},
                    headers={"If-None-Match": ts} if ts else {})
    assert resp.status_code in (200, 201), resp.data


def test_saves_and_deletes_show_in_the_next_search(api: Client) -> None:
    assert _lines(api, "zebra") == set()
    _put(api, "Mail.mac", ["ROUTINE Mail", "Mail ;", " write \"zebra\"", " quit"])
    assert _lines(api, "zebra") == {("Mail.mac", "write \"zebra\"")}
    assert not any(doc == "Mail.mac" for doc, _ in _lines(api, "email"))  # the old text
    _put(api, "New.Thing.cls", ["Class New.Thing", "{", "// zebra crossing", "}"])
    assert _lines(api, "zebra") == {("Mail.mac", "write \"zebra\""),
                                    ("New.Thing.cls", "// zebra crossing")}
    assert api.call("DELETE", api.url("doc/Mail.mac")).status_code == 200
    assert _lines(api, "zebra") == {("New.Thing.cls", "// zebra crossing")}


def test_changes_on_disk_without_a_watcher(api: Client, space: Space) -> None:
    assert _lines(api, "zebra") == set()
    path = space.ws / "Mail.mac"
    old = path.read_text()
    for word in ("zebra", "okapi", "zebra"):  # same size, same instant: content decides
        path.write_text(old.replace("email", word[:5]))
        assert {doc for doc, _ in _lines(api, word[:5])} == {"Mail.mac"}
    space.write("Other/Fresh.cls", "Class Other.Fresh\n{\n// zebra\n}\n")
    assert {doc for doc, _ in _lines(api, "zebra")} == {"Mail.mac", "Other.Fresh.cls"}
    path.unlink()
    (space.ws / "Other" / "Fresh.cls").unlink()
    assert _lines(api, "zebra") == set()


def _until(check: Any, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {seconds}s: {what}")
        time.sleep(0.05)


def test_changes_on_disk_with_the_watcher(space: Space) -> None:
    api = space.app()
    store = _store(api)
    watcher = Watcher({"USER": store}, debounce=0.05)
    watcher.start()
    try:
        assert store.watched is watcher
        assert _lines(api, "zebra") == set()  # the corpus is built, trusting the watcher
        path = space.ws / "Mail.mac"
        path.write_text(path.read_text().replace("email", "zebra"))
        _until(lambda: {d for d, _ in _lines(api, "zebra")} == {"Mail.mac"}, "the change")
        # the index may learn a change before the watcher's batch (a GET stats the file):
        # the search must still see it
        path.write_text(path.read_text().replace("zebra", "okapi"))
        api.call("GET", api.url("doc/Mail.mac"))
        _until(lambda: {d for d, _ in _lines(api, "okapi")} == {"Mail.mac"}, "the 2nd change")
        assert _lines(api, "zebra") == set()
        space.write("Other/Fresh.cls", "Class Other.Fresh\n{\n// zebra\n}\n")
        _until(lambda: {d for d, _ in _lines(api, "zebra")} == {"Other.Fresh.cls"}, "a new file")
        _put(api, "Other.Fresh.cls", ["Class Other.Fresh", "{", "// gnu", "}"])
        assert _lines(api, "zebra") == set()  # own saves: at once, no watcher delay
        path.unlink()
        _until(lambda: _lines(api, "okapi") == set(), "the deletion")
    finally:
        watcher.stop()
    assert store.watched is None


def test_search_envelope_bytes_match_the_generic_envelope(api: Client) -> None:
    resp = api.search("email", max=3)
    env = envelope(resp)
    store = _store(api)
    items, console, errors = search_all(store, SearchQuery("email", "*.cls,*.mac,*.inc",
                                                           max_hits=3), 30.0)
    assert env["result"] == items and env["console"] == console and errors == []
    assert json.loads(resp.data) == json.loads(Envelope(items, console, [], "").dumps())


def test_kelvin_sign_follows_the_line_test(api: Client, space: Space) -> None:
    """Non-ASCII text is matched by the pattern itself: re.IGNORECASE's own folding."""
    space.write("Uni.mac", TRICKY["Uni.mac"])
    assert api.found("kelvin", "Uni.mac") == {"Uni.mac": [{"text": "set \u212aelvin = 1",
                                                            "line": 3}]}
    assert api.found("STRASSE", "Uni.mac") == {"Uni.mac": [{"text": "write \"äbc STRASSE\"",
                                                             "line": 2}]}


def test_look_ahead_sees_only_its_line(api: Client, space: Space) -> None:
    """A look-around is searched line by line: at the end of a line nothing follows (the
    file-wide prefilter of old saw the next line and lost this hit)."""
    space.write("Cross.mac", TRICKY["Cross.mac"])
    assert api.found(".*foo(?![^a]).*", "Cross.mac", regex=True) == {
        "Cross.mac": [{"text": "foo", "line": 6}]}


def test_regex_worker_follows_saves(api: Client) -> None:
    """The regex worker process keeps the chunks it was forked with: a save must reach the
    next regex search all the same (a new worker)."""
    def regex_docs(pattern: str) -> set[str]:
        return set(api.found(pattern, "*.mac", regex=True))

    assert regex_docs(".*zebra.*") == set()
    assert regex_docs(r"(?i).*WRITE\s+.EMAIL.*") == {"Mail.mac"}
    _put(api, "Mail.mac", ["ROUTINE Mail", "Mail ;", " write \"zebra\"", " quit"])
    assert regex_docs(".*zebra.*") == {"Mail.mac"}
    assert regex_docs(r"(?i).*WRITE\s+.EMAIL.*") == set()  # Mail.mac's old line is gone
    assert api.call("DELETE", api.url("doc/Mail.mac")).status_code == 200
    assert regex_docs(".*zebra.*") == set()


def test_concurrent_regex_searches(api: Client) -> None:
    """While one search has the worker, another one gets a child of its own."""
    results: list[dict[str, Any]] = []

    def run() -> None:
        results.append(api.found(r"(?i).*email.*", "*.cls,*.mac", regex=True))
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4 and all(r == results[0] for r in results) and results[0]


def test_regex_search_without_a_process_to_fork(api: Client, monkeypatch, caplog) -> None:
    """When no process can be forked (memory, process limits), a regex search runs in the
    server process and answers the same, with a warning in the log; never a 500."""
    expected = api.found(r"(?i).*email.*", "*.cls,*.mac", regex=True)
    wild = api.found("e*l", "*.cls,*.mac", wild=True)
    assert expected and wild
    corpus = search_mod.corpus_of(_store(api), MAX_LINE)
    with corpus.worker_lock:  # drop the kept worker, so that the next search must fork
        worker, corpus.worker = corpus.worker, None
    if worker is not None:
        worker.kill()

    def no_fork() -> int:
        raise OSError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(search_mod.os, "fork", no_fork)
    with caplog.at_level("WARNING", logger="atelier_api.search.workers"):
        assert api.found(r"(?i).*email.*", "*.cls,*.mac", regex=True) == expected
        assert api.found("e*l", "*.cls,*.mac", wild=True) == wild
    assert "could not fork a search process" in caplog.text


def _alive(pid: int) -> bool:
    """True while ``pid`` is a process of ours that has not ended (zombies are reaped here)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


def test_the_regex_worker_ends_with_the_server(space: Space) -> None:
    """The corpus lives on its store: closing the services ends its worker process."""
    api = space.app()
    assert api.found(r"(?i).*email.*", "*.cls,*.mac", regex=True)
    store = _store(api)
    corpus = store.search_corpus
    assert corpus is not None and corpus.worker is not None  # type: ignore[attr-defined]
    pid = corpus.worker.pid  # type: ignore[attr-defined]
    assert _alive(pid)
    api.app.extensions["atelier"].close()
    assert store.search_corpus is None
    assert not _alive(pid)


def test_a_dropped_app_leaves_no_worker(space: Space) -> None:
    """An app nobody closes (a test, an embedding program) takes its corpus and worker process
    along when it is collected: nothing module-wide keeps them."""
    api = space.app()
    assert api.found(r"(?i).*email.*", "*.cls,*.mac", regex=True)
    pid = _store(api).search_corpus.worker.pid  # type: ignore[union-attr]
    space.apps.remove(api)
    del api
    gc.collect()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
