"""Helpers shared by the suites: the default credentials and Basic auth (every suite), and
the Atelier envelope of a Flask test client's response checked for its shape (the in-process
suites). Importable from every suite because the root ``tests/conftest.py`` makes pytest put
this folder on ``sys.path``."""

from __future__ import annotations

import base64
import json
from typing import Any

from werkzeug.test import TestResponse

USER, PASSWORD = "_SYSTEM", "SYS"


def basic(user: str = USER, password: str = PASSWORD) -> str:
    """An Authorization header value for Basic auth (the default user by default)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def envelope(resp: TestResponse) -> Any:
    """The JSON envelope of a response, checked for its shape."""
    assert resp.mimetype == "application/json", resp.data[:200]
    env = json.loads(resp.data)
    assert set(env) == {"status", "console", "result"}
    assert isinstance(env["status"]["errors"], list)
    assert isinstance(env["status"]["summary"], str)
    assert isinstance(env["console"], list)
    return env


def summary(resp: TestResponse) -> str:
    """The summary of an error envelope (never empty)."""
    env = envelope(resp)
    assert env["status"]["errors"] and env["status"]["summary"], env
    return str(env["status"]["summary"])
