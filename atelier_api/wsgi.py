"""WSGI entry point for an external server: ``gunicorn -k gthread atelier_api.wsgi:app``.

This module is a process entry point, so it starts the readiness warm-up (``/readyz`` turns
200 once every namespace is indexed). The watcher and the lifecycle supervisor belong to
``atelier-api serve``; under an external server the next request still sees every change.
"""

from __future__ import annotations

from atelier_api.app import create_app
from atelier_api.serve import start_warm_up

app = create_app()
start_warm_up(app.extensions["atelier"])
