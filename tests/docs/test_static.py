"""Static checks as part of the suite: ruff over the whole repository and mypy (strict, see
pyproject.toml) over the two packages, so CI fails on a lint or type regression."""

from __future__ import annotations

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
