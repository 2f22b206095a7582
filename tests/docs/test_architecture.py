"""docs/architecture.md stays true to the code: every layer of the import contracts is in its
picture, every package says what it owns, and every path the map names exists."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGES = ("atelier_api", "compiler_stub")


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def _layer_names() -> set[str]:
    names: set[str] = set()
    for contract in _contracts():
        if contract["type"] == "layers":
            for layer in contract["layers"]:  # type: ignore[union-attr]
                names.update(part.strip() for part in str(layer).split("|"))
    return names


def test_every_layer_of_the_contracts_is_in_the_picture() -> None:
    picture = DOC.split("## The picture", 1)[1].split("## ", 1)[0]
    missing = sorted(name for name in _layer_names() if not re.search(
        rf"(?<![\w.]){re.escape(name)}(?![\w])", picture))
    assert not missing, f"layers missing from the picture in docs/architecture.md: {missing}"


def test_every_package_says_what_it_owns() -> None:
    silent = []
    for package in PACKAGES:
        for init in sorted((ROOT / package).rglob("__init__.py")):
            doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
            if not doc.strip():
                silent.append(str(init.relative_to(ROOT)))
    assert not silent, f"packages without a docstring: {silent}"


def test_every_subpackage_is_in_the_map() -> None:
    unnamed = [str(p.relative_to(ROOT)) for package in PACKAGES
               for p in sorted((ROOT / package).iterdir())
               if (p / "__init__.py").is_file() and f"`{p.name}/`" not in DOC]
    assert not unnamed, f"packages docs/architecture.md does not name: {unnamed}"


def test_every_path_the_map_names_exists() -> None:
    named = set(re.findall(r"`((?:atelier_api|compiler_stub)/[\w/]+(?:\.py)?)`", DOC))
    named |= {m for m in re.findall(r"`((?:atelier_api|compiler_stub)(?:\.\w+)+)`", DOC)}
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    named -= set(config["project"]["entry-points"])  # entry point groups are not modules
    missing = []
    for name in sorted(named):
        path = ROOT / name.replace(".", "/") if "/" not in name else ROOT / name
        candidates = [path, path.with_suffix(".py"), path.parent / (path.name + ".py")]
        if not any(c.exists() for c in candidates) and not _is_attribute(name):
            missing.append(name)
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def _is_attribute(dotted: str) -> bool:
    """``pkg.module.Name``: the module exists and defines Name."""
    module, _, attr = dotted.rpartition(".")
    path = ROOT / (module.replace(".", "/") + ".py")
    return path.is_file() and re.search(rf"^(class|def) {attr}\b", path.read_text(
        encoding="utf-8"), re.M) is not None
