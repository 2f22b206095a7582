"""Root of the test suites and their shared fixtures. Its presence makes pytest put
``tests/`` on ``sys.path`` (this folder is not a package), so every suite can import the
shared ``envelopes``, ``samples`` and ``spaces`` modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spaces import Space, SpaceSpec, make_space


@pytest.fixture
def space(tmp_path: Path, space_spec: SpaceSpec) -> Iterator[Space]:
    """A workspace populated from the suite's ``space_spec`` and a state folder; every app
    built on it is closed at the end."""
    box = make_space(tmp_path, space_spec)
    yield box
    box.close()
