"""The objects a launcher is made of, built from its settings (``atelier_api.launcher_serve``
runs them under gunicorn)."""

from __future__ import annotations

from flask import Flask

from atelier_api.launcher.app import create_launcher_app, make_backend
from atelier_api.launcher.sandboxes import Sandboxes, Store
from atelier_api.launcher.settings import LauncherSettings, default_state_dir


def build(settings: LauncherSettings) -> tuple[Flask, Sandboxes]:
    """The app and its sandboxes over the configured backend (threads not started)."""
    state_dir = settings.state_dir or default_state_dir()
    if not settings.state_dir:
        from dataclasses import replace

        settings = replace(settings, state_dir=state_dir)
    store = Store(state_dir)
    instance = settings.instance or store.instance
    backend = make_backend(settings, instance)
    sandboxes = Sandboxes(settings, backend, store)
    return create_launcher_app(settings, sandboxes), sandboxes
