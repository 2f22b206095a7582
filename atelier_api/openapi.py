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
        _merge(spec, launcher_spec(state))
    return spec


#: where the launcher's operations are served (a separate service, not the sandbox's port)
LAUNCHER_SERVER = {"url": "http://127.0.0.1:8080",
                   "description": "the launcher (`atelier-api launcher`), not a sandbox"}


def launcher_spec(state: str) -> dict[str, Any]:
    """The launcher's own OpenAPI document (its app over a throw-away state folder)."""
    from atelier_api.launcher.serve import build
    from atelier_api.launcher.settings import load_launcher_settings

    settings = load_launcher_settings(env={}, cli={"backend": "process",
                                                   "state_dir": os.path.join(state, "l")})
    app, _ = build(settings)
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()  # type: ignore[no-any-return]


def _merge(spec: dict[str, Any], launcher: dict[str, Any]) -> None:
    """Add the launcher's paths (each with the launcher as its server), tag and schemas to
    the server's document: one document, the launcher under its own tag."""
    for path, item in launcher.get("paths", {}).items():
        spec["paths"][path] = {**item, "servers": [LAUNCHER_SERVER]}
    names = {t["name"] for t in spec.get("tags", [])}
    spec.setdefault("tags", []).extend(t for t in launcher.get("tags", [])
                                       if t["name"] not in names)
    components = spec.setdefault("components", {})
    for kind, entries in launcher.get("components", {}).items():
        target = components.setdefault(kind, {})
        for name, value in entries.items():
            if name in target and target[name] != value:
                raise ValueError(f"the launcher's {kind} {name!r} clashes with the server's")
            target[name] = value
