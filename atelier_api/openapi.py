"""The published OpenAPI document, generated from the app."""

from __future__ import annotations

import os
import tempfile
from typing import Any

OPENAPI_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "openapi", "openapi.json")


def generate() -> dict[str, Any]:
    """Build an app on a throw-away state folder and return its OpenAPI document."""
    from atelier_api.adapters.contract import Adapter, AdapterInfo
    from atelier_api.app import create_app
    from atelier_api.config import Settings

    class _NoCompiler(Adapter):
        info = AdapterInfo("none", "0")

    with tempfile.TemporaryDirectory() as state:
        app = create_app(Settings(state_dir=state), compiler=_NoCompiler())
        spec: dict[str, Any] = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
        app.extensions["atelier"].close()
    return spec
