"""Fixtures of the documentation, OpenAPI and packaging tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from atelier_api.app import create_app
from atelier_api.config import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo() -> Path:
    """The repository root (where README.md and pyproject.toml are)."""
    return REPO


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app on the embedded defaults (demo workspace) with a throw-away state folder."""
    application = create_app(Settings(state_dir=str(tmp_path / "state")))
    yield application
    application.extensions["atelier"].close()
