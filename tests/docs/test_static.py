"""Static checks as part of the suite: ruff over the whole repository, mypy (strict, see
pyproject.toml) over the two packages and the import contracts (import-linter, the layers of
docs/architecture.md), so CI fails on a lint or type regression or an import that breaks the
layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=110, check=False)


def test_ruff_is_clean() -> None:
    out = _run("ruff", "check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_is_clean() -> None:
    out = _run("mypy", "--cache-dir", "/dev/null", "atelier_api", "compiler_stub")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from importlinter.cli import lint_imports_command; " \
           "sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, timeout=110, check=False,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_import_contracts_are_kept() -> None:
    out = _lint_imports(ROOT)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_import_contracts_reject_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    """The contracts bite: the store importing the API layer (upward, and a circle) fails."""
    for folder in ("atelier_api", "compiler_stub"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "demo", "system_*"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    store = tmp_path / "atelier_api" / "documents" / "store.py"
    store.write_text(store.read_text(encoding="utf-8") + "\nfrom atelier_api.api import common\n",
                     encoding="utf-8")
    out = _lint_imports(tmp_path)
    assert out.returncode != 0
    assert "atelier_api.documents is not allowed to import atelier_api.api" in out.stdout
    assert "No cycles are allowed in atelier_api" in out.stdout
