"""WSGI entry point for an external server: ``gunicorn -k gthread atelier_api.wsgi:app``."""

from __future__ import annotations

from . import create_app

app = create_app()
