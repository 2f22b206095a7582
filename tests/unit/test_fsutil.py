"""The path gate's resolver: the kernel's answer agrees with ``os.path.realpath`` everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from atelier_api.documents import fsutil
from atelier_api.documents.fsutil import is_inside, resolved, resolved_or_missing

CASES = ["Pkg/A.cls", "Evil/S.mac", "s.mac", "alias.cls", "loop1", "loop2/x.cls", "fifo.mac",
         "dangling.mac", "Missing/X.cls", "Missing/Deeper/X.cls", "Pkg/A.cls/x", "Evil/new.cls",
         "Evil/Sub/new.cls", "Pkg", "", "DanglingDir/X.cls", "Pkg/New.cls", "Up/Pkg/A.cls"]


def _portable(root_real: str, path: str) -> bool:
    """The gate as ``realpath`` alone decides it (the reference)."""
    try:
        real = os.path.realpath(path, strict=True)
    except (FileNotFoundError, NotADirectoryError):
        real = os.path.realpath(path)
    except OSError:
        return False
    return real == root_real or real.startswith(root_real + os.sep)


@pytest.fixture
def tree(tmp_path: Path) -> str:
    """A root with files, links inside and out, a loop, a FIFO and dangling links."""
    base = tmp_path.resolve()
    root, out = base / "root", base / "out"
    (root / "Pkg").mkdir(parents=True)
    out.mkdir()
    (root / "Pkg" / "A.cls").write_text("Class Pkg.A\n")
    (out / "S.mac").write_text("ROUTINE S\n")
    (root / "Evil").symlink_to(out, target_is_directory=True)
    (root / "s.mac").symlink_to(out / "S.mac")
    (root / "alias.cls").symlink_to(root / "Pkg" / "A.cls")
    (root / "Up").symlink_to(root, target_is_directory=True)
    (root / "loop2").symlink_to("loop1")
    (root / "loop1").symlink_to("loop2")
    (root / "dangling.mac").symlink_to(base / "nowhere")
    (root / "DanglingDir").symlink_to(base / "nowhere", target_is_directory=True)
    os.mkfifo(root / "fifo.mac")
    return str(root)


@pytest.mark.parametrize("rel", CASES)
def test_gate_agrees_with_realpath(tree: str, rel: str) -> None:
    """Inside or not: the same verdict as the portable gate, for every kind of path."""
    path = os.path.join(tree, *rel.split("/")) if rel else tree
    assert is_inside(tree, path) == _portable(tree, path)
    real = resolved_or_missing(path)
    if real is not None:
        assert real == os.path.realpath(path)


def test_links_out_of_the_root_are_outside(tree: str) -> None:
    """A link to a file or a folder outside the root is outside, existing or not below it."""
    for rel in ("s.mac", "Evil/S.mac", "Evil/new.cls", "dangling.mac", "DanglingDir/X.cls",
                "loop1"):
        assert not is_inside(tree, os.path.join(tree, *rel.split("/")))


def test_fifo_is_resolved_without_opening_it(tree: str) -> None:
    """A FIFO is resolved by name: nothing blocks waiting for a writer."""
    assert resolved(os.path.join(tree, "fifo.mac")) == os.path.join(tree, "fifo.mac")


def test_without_path_handles_the_portable_way_decides(
        tree: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On systems without O_PATH the gate is the realpath walk, with the same verdicts."""
    monkeypatch.setattr(fsutil, "_O_PATH", 0)
    for rel in CASES:
        path = os.path.join(tree, *rel.split("/")) if rel else tree
        assert resolved(path) is None
        assert is_inside(tree, path) == _portable(tree, path)
