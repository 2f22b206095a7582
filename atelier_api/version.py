"""This server's identity: the package version and the version strings clients read."""

__version__ = "0.1.0"
#: the Atelier API version the server advertises (``api`` in ``GET /api/atelier/``)
API_VERSION = 8
#: the IRIS product version the server presents itself as
PRODUCT_VERSION = "2026.1"


def version_string() -> str:
    """The ``$ZVERSION``-style string the VS Code extension parses (``") 2026.1 (Build"``)."""
    return (f"IRIS for UNIX (atelier-api {__version__} reference server, Python) "
            f"{PRODUCT_VERSION} (Build 100U) Wed Nov 25 2026 00:00:00 UTC")
