"""The file watcher: changes made on disk by other programs reach ts, listings and derived data."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from atelier_api.app import create_app
from atelier_api.sandbox.watcher import Watcher

from .conftest import CLASS_A1, CLASS_A2, CLASS_B, Origin, basic, ns_config, settings_with, write

BURST = 2000


@dataclass
class Seen:
    """What the store's listeners were told, batch by batch."""

    batches: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, paths: list[str]) -> None:
        with self.lock:
            self.batches.append(list(paths))

    def paths(self) -> set[str]:
        with self.lock:
            return {p for batch in self.batches for p in batch}


@dataclass
class Watched:
    """An app on a folder workspace, its watcher and what the listener saw."""

    app: Flask
    root: Path
    watcher: Watcher
    seen: Seen

    def get(self, path: str):  # type: ignore[no-untyped-def]
        return self.app.test_client().get(path, headers=basic())

    def ts(self, name: str) -> str:
        resp = self.get(f"/api/atelier/v1/USER/doc/{name}")
        assert resp.status_code == 200, resp.data
        return str(resp.get_json()["result"]["ts"])

    def names(self) -> set[str]:
        resp = self.get("/api/atelier/v1/USER/docnames/CLS")
        return {d["name"] for d in resp.get_json()["result"]["content"]}


def _watch(app: Flask, debounce: float = 0.15) -> Watched:
    svc = app.extensions["atelier"]
    seen = Seen()
    svc.stores["USER"].listeners.append(seen)
    watcher = Watcher(svc.stores, debounce=debounce)
    watcher.start()
    return Watched(app, Path(svc.stores["USER"].root), watcher, seen)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    ws_dir = tmp_path / "ws"
    write(ws_dir, "Pkg/A.cls", CLASS_A1)
    app = create_app(settings_with(tmp_path / "state", ns_config(root=str(ws_dir))))
    w = _watch(app, debounce=0.3)
    yield w
    w.watcher.stop()
    app.extensions["atelier"].close()


def _wait_seen(w: Watched, paths: set[str], what: str) -> None:
    from .conftest import wait_for

    wait_for(lambda: paths <= w.seen.paths(), 30, what)


def test_a_burst_of_2000_files_is_coalesced(watched: Watched) -> None:
    expected = set()
    for i in range(BURST):
        rel = f"Gen/C{i:04d}.cls"
        write(watched.root, rel, f"Class Gen.C{i:04d}\n{{\n}}\n")
        expected.add(rel)
    _wait_seen(watched, expected, "the watcher to take in the burst")
    assert len(watched.seen.batches) < BURST / 10  # bursts are taken in as a few batches
    names = watched.names()
    assert {f"Gen.C{i:04d}.cls" for i in range(BURST)} <= names


def test_an_external_edit_gets_a_larger_ts(watched: Watched) -> None:
    before = watched.ts("Pkg.A.cls")
    write(watched.root, "Pkg/A.cls", CLASS_A2)
    _wait_seen(watched, {"Pkg/A.cls"}, "the edit")
    assert watched.app.extensions["atelier"].stores["USER"].generation >= 1
    after = watched.ts("Pkg.A.cls")
    assert after > before


def test_the_servers_own_writes_are_not_echoed(watched: Watched) -> None:
    client = watched.app.test_client()
    resp = client.put("/api/atelier/v1/USER/doc/Pkg.Own.cls", headers=basic(),
                      json={"enc": False, "content": ["Class Pkg.Own", "{", "}"]})
    assert resp.status_code == 201, resp.data
    ts = watched.ts("Pkg.A.cls")
    resp = client.put("/api/atelier/v1/USER/doc/Pkg.A.cls", headers={**basic(),
                      "If-None-Match": ts}, json={"enc": False, "content": CLASS_A2.split("\n")})
    assert resp.status_code == 200, resp.data
    assert client.delete("/api/atelier/v1/USER/doc/Pkg.Own.cls", headers=basic()).status_code \
        == 200
    # a later external change: once it is seen, every earlier event was handled too
    write(watched.root, "Pkg/Sentinel.cls", "Class Pkg.Sentinel\n{\n}\n")
    _wait_seen(watched, {"Pkg/Sentinel.cls"}, "the sentinel")
    assert watched.seen.paths() == {"Pkg/Sentinel.cls"}


def test_temp_files_and_other_files_are_ignored(watched: Watched) -> None:
    write(watched.root, ".~atelier-x.tmp", "half written")
    write(watched.root, ".git/config", "[core]\n")
    write(watched.root, "notes.txt", "not a document\n")
    write(watched.root, "Pkg/Sentinel.cls", "Class Pkg.Sentinel\n{\n}\n")
    _wait_seen(watched, {"Pkg/Sentinel.cls"}, "the sentinel")
    assert watched.seen.paths() == {"Pkg/Sentinel.cls"}


def test_folder_removed_and_moved_in(watched: Watched, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "Lib/X.cls", "Class Lib.X\n{\n}\n")
    write(outside, "Lib/Y.cls", "Class Lib.Y\n{\n}\n")
    shutil.move(str(outside / "Lib"), str(watched.root / "Lib"))
    _wait_seen(watched, {"Lib/X.cls", "Lib/Y.cls"}, "a moved-in folder")
    assert {"Lib.X.cls", "Lib.Y.cls"} <= watched.names()
    shutil.move(str(watched.root / "Lib"), str(outside / "Gone"))
    store = watched.app.extensions["atelier"].stores["USER"]
    from .conftest import wait_for

    wait_for(lambda: not store.index.live_paths("Lib/"), 30, "the moved-out folder")
    assert not {"Lib.X.cls", "Lib.Y.cls"} & watched.names()


def test_git_checkout_of_another_branch(origin: Origin, tmp_path: Path) -> None:
    settings = settings_with(tmp_path / "state", ns_config(source="git", url=origin.url,
                                                           ref="main"))
    app = create_app(settings)
    w = _watch(app)
    try:
        git = pytest.importorskip("git")
        assert w.names() == {"Pkg.A.cls", "Pkg.B.cls"}  # indexed, as the warm-up does
        with git.Repo(w.root) as repo:
            repo.git.checkout("-b", "feat", "origin/feature")  # B goes, F comes, A changes
        _wait_seen(w, {"Pkg/A.cls", "Pkg/B.cls", "Pkg/F.cls"}, "the checkout")
        assert w.names() == {"Pkg.A.cls", "Pkg.F.cls"}
        resp = w.get("/operator/changes/USER").get_json()["result"]
        assert (resp["added"], resp["modified"], resp["deleted"]) == (
            ["Pkg.F.cls"], ["Pkg.A.cls"], ["Pkg.B.cls"])
    finally:
        w.watcher.stop()
        app.extensions["atelier"].close()


def test_without_the_watcher_the_next_request_sees_the_change(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    write(ws_dir, "Pkg/A.cls", CLASS_A1)
    app = create_app(settings_with(tmp_path / "state", ns_config(root=str(ws_dir)),
                                   watch=False))
    try:
        client = app.test_client()

        def get(name: str):  # type: ignore[no-untyped-def]
            return client.get(f"/api/atelier/v1/USER/doc/{name}", headers=basic()).get_json()

        before = get("Pkg.A.cls")["result"]["ts"]
        write(ws_dir, "Pkg/A.cls", CLASS_A2)
        write(ws_dir, "Pkg/B.cls", CLASS_B)
        doc = get("Pkg.A.cls")["result"]
        assert doc["ts"] > before and "Property Two As %String;" in doc["content"]
        listing = client.get("/api/atelier/v1/USER/docnames/CLS", headers=basic()).get_json()
        assert {d["name"] for d in listing["result"]["content"]} == {"Pkg.A.cls", "Pkg.B.cls"}
    finally:
        app.extensions["atelier"].close()


def test_stop_takes_in_the_last_changes(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    write(ws_dir, "Pkg/A.cls", CLASS_A1)
    app = create_app(settings_with(tmp_path / "state", ns_config(root=str(ws_dir))))
    w = _watch(app, debounce=5.0)  # a long quiet time: only stop() can take the change in
    try:
        write(ws_dir, "Pkg/A.cls", CLASS_A2)
        store = app.extensions["atelier"].stores["USER"]
        from .conftest import wait_for

        wait_for(lambda: not w.watcher._pending.empty(), 30, "the event to arrive")
        w.watcher.stop()
        assert w.seen.paths() == {"Pkg/A.cls"} and store.generation == 1
    finally:
        app.extensions["atelier"].close()


def test_a_header_changed_by_another_program_renames_the_document(watched: Watched) -> None:
    assert "Pkg.A.cls" in watched.names()
    write(watched.root, "Pkg/A.cls", "Class Other.Name\n{\n}\n")
    _wait_seen(watched, {"Pkg/A.cls"}, "the header change")
    names = watched.names()
    assert "Other.Name.cls" in names and "Pkg.A.cls" not in names
    resp = watched.get("/api/atelier/v1/USER/doc/Other.Name.cls")
    assert resp.status_code == 200
    assert resp.get_json()["result"]["content"][0] == "Class Other.Name"
