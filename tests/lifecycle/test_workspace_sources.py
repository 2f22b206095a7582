"""Workspace sources: a git clone at a branch, a tag or a commit; a folder; an empty folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier_api.app import create_app
from atelier_api.config import load_settings, split_git_spec
from atelier_api.documents.namemap import name_at
from atelier_api.sandbox.changes import redact
from atelier_api.sandbox.workspaces import _manifest, prepare_workspaces

from .conftest import CLASS_A1, CLASS_A2, CLASS_F, Origin, basic, ns_config, settings_with, write


def _names(app) -> set[str]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    resp = client.get("/api/atelier/v1/USER/docnames/*/*", headers=basic())
    assert resp.status_code == 200, resp.data
    return {d["name"] for d in resp.get_json()["result"]["content"]}


def _clone(tmp_path: Path, url: str, ref: str = ""):  # type: ignore[no-untyped-def]
    settings = settings_with(tmp_path / "state", ns_config(source="git", url=url, ref=ref))
    return prepare_workspaces(settings)[1]["USER"]


def test_git_branch(origin: Origin, tmp_path: Path) -> None:
    ws = _clone(tmp_path, str(origin.path), "feature")
    root = Path(ws.ns.root)
    assert ws.record["commit"] == origin.feature and ws.record["branch"] == "feature"
    assert (root / "Pkg/F.cls").read_text() == CLASS_F
    assert (root / "Pkg/A.cls").read_text() == CLASS_A1
    assert root.is_relative_to(tmp_path / "state")  # no path given: cloned into the state dir


def test_git_tag(origin: Origin, tmp_path: Path) -> None:
    ws = _clone(tmp_path, origin.url, "v1")
    root = Path(ws.ns.root)
    assert ws.record["commit"] == origin.c1 and ws.record["branch"] == ""
    assert not (root / "Pkg/B.cls").exists()
    assert ws.changes().paths() == []


@pytest.mark.parametrize("length", [40, 10])
def test_git_commit(origin: Origin, tmp_path: Path, length: int) -> None:
    ws = _clone(tmp_path, origin.url, origin.c1[:length])
    assert ws.record["commit"] == origin.c1
    assert (Path(ws.ns.root) / "Pkg/A.cls").read_text() == CLASS_A1


def test_git_default_branch_from_the_environment(origin: Origin, tmp_path: Path) -> None:
    env = {"ATELIER_GIT_URL": origin.url, "ATELIER_STATE_DIR": str(tmp_path / "state")}
    settings = load_settings(env=env)
    assert [(n.name, n.source, n.url, n.ref) for n in settings.namespaces] == [
        ("USER", "git", origin.url, "")]
    app = create_app(settings)
    try:
        assert _names(app) == {"Pkg.A.cls", "Pkg.B.cls", "R.mac"}
        ws = app.extensions["atelier"].workspaces["USER"]
        assert ws.record["commit"] == origin.c2 and ws.record["branch"] == "main"
    finally:
        app.extensions["atelier"].close()


def test_git_into_a_given_path(origin: Origin, tmp_path: Path) -> None:
    target = tmp_path / "checkout"
    target.mkdir()  # an empty mount point is fine
    settings = settings_with(tmp_path / "state", ns_config(root=str(target), source="git",
                                                           url=origin.url, ref="main"))
    ws = prepare_workspaces(settings)[1]["USER"]
    assert ws.ns.root == str(target) and (target / "Pkg/B.cls").is_file()


def test_namespace_pair_and_toml_forms(origin: Origin, tmp_path: Path) -> None:
    toml = tmp_path / "atelier.toml"
    toml.write_text(f'[namespaces.LIB]\nsource = "git"\nurl = "{origin.url}"\nref = "v1"\n'
                    '[namespaces.SCRATCH]\nsource = "empty"\n')
    settings = load_settings(config_file=str(toml), env={}, cli_namespaces=[
        f"APP=git+{origin.path}@feature", "TMP=empty:", f"SRC={origin.path}"])
    got = {n.name: (n.source, n.url, n.ref, n.root) for n in settings.namespaces}
    assert got == {"LIB": ("git", origin.url, "v1", ""), "SCRATCH": ("empty", "", "", ""),
                   "APP": ("git", str(origin.path), "feature", ""),
                   "TMP": ("empty", "", "", ""), "SRC": ("folder", "", "", str(origin.path))}


@pytest.mark.parametrize(("spec", "url", "ref"), [
    ("/srv/repo", "/srv/repo", ""),
    ("/srv/repo@v1.2", "/srv/repo", "v1.2"),
    ("file:///srv/repo@feature/x", "file:///srv/repo", "feature/x"),
    ("https://user:tok@host.example/org/repo.git", "https://user:tok@host.example/org/repo.git",
     ""),
    ("https://user@host.example/org/repo.git@main", "https://user@host.example/org/repo.git",
     "main"),
    ("git@host.example:org/repo.git", "git@host.example:org/repo.git", ""),
    ("git@host.example:org/repo.git@0123abc", "git@host.example:org/repo.git", "0123abc"),
])
def test_split_git_spec(spec: str, url: str, ref: str) -> None:
    assert split_git_spec(spec) == (url, ref)


def test_redact_hides_credentials() -> None:
    assert redact("https://user:tok@host.example/r.git") == "https://***@host.example/r.git"
    assert redact("/srv/repo") == "/srv/repo"


def test_folder_snapshot_leaves_the_folder_alone(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    write(ws_dir, "Pkg/A.cls", CLASS_A1)
    write(ws_dir, "notes.txt", "not a document\n")
    before = {p: p.read_bytes() for p in ws_dir.rglob("*") if p.is_file()}
    settings = settings_with(tmp_path / "state", ns_config(root=str(ws_dir)))
    ws = prepare_workspaces(settings)[1]["USER"]
    assert {p: p.read_bytes() for p in ws_dir.rglob("*") if p.is_file()} == before
    assert sorted(_manifest(ws.home)) == ["Pkg/A.cls"]  # documents only
    write(ws_dir, "Pkg/A.cls", CLASS_A2)
    write(ws_dir, "Pkg/N.cls", CLASS_F)
    named = ws.changes().names(lambda rel: name_at(str(ws_dir), ws.layout, rel))
    # Pkg/N.cls declares Pkg.F: the name comes from the header
    assert named == {"added": ["Pkg.F.cls"], "modified": ["Pkg.A.cls"], "deleted": []}
    ws.restore()
    assert (ws_dir / "Pkg/A.cls").read_text() == CLASS_A1 and not (ws_dir / "Pkg/N.cls").exists()
    assert (ws_dir / "notes.txt").read_text() == "not a document\n"


def test_empty_source(tmp_path: Path) -> None:
    settings = settings_with(tmp_path / "state", ns_config(source="empty"))
    app = create_app(settings)
    try:
        assert _names(app) == set()
        client = app.test_client()
        resp = client.put("/api/atelier/v1/USER/doc/Pkg.A.cls", headers=basic(),
                          json={"enc": False, "content": CLASS_A1.split("\n")})
        assert resp.status_code == 201, resp.data
        assert _names(app) == {"Pkg.A.cls"}
        root = Path(app.extensions["atelier"].workspaces["USER"].ns.root)
        assert (root / "Pkg/A.cls").is_file() and root.is_relative_to(tmp_path / "state")
    finally:
        app.extensions["atelier"].close()


def test_a_second_build_reuses_the_clone(origin: Origin, tmp_path: Path) -> None:
    """The parent process prepares the workspace; the worker's create_app must not clone again."""
    first = _clone(tmp_path, origin.url, "main")
    marker = write(Path(first.ns.root), "Pkg/Api.cls", "Class Pkg.Api\n{\n}\n")
    second = _clone(tmp_path, origin.url, "main")
    assert second.record == first.record and marker.is_file()
