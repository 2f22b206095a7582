"""atelier-api: an open, wire-compatible reference server for the Atelier source-code REST API.

The package root holds nothing but the version; the app factory is :func:`atelier_api.app.
create_app`. ``docs/architecture.md`` maps the packages and the rules of what may import what.
"""

from atelier_api.version import __version__

__all__ = ["__version__"]
