"""Discovery of compiler adapters through the ``atelier_api.compilers`` entry point group."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint, entry_points

from atelier_api.adapters.contract import ENTRY_POINT_GROUP, Adapter, ContractError, check_adapter

log = logging.getLogger(__name__)


class AdapterLoadError(RuntimeError):
    """The selected adapter is missing or broken; the message lists what is available."""


def available() -> dict[str, EntryPoint]:
    """Every adapter entry point installed, by name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_adapter(name: str) -> Adapter:
    """Load, instantiate and validate the adapter registered under ``name``."""
    found = available()
    names = ", ".join(sorted(found)) or "none"
    if name not in found:
        raise AdapterLoadError(
            f"compiler adapter {name!r} is not installed (group {ENTRY_POINT_GROUP}); "
            f"available: {names}")
    try:
        factory = found[name].load()
        return check_adapter(factory())
    except ContractError as exc:
        raise AdapterLoadError(f"compiler adapter {name!r} is broken: {exc}; available: "
                               f"{names}") from exc
    except Exception as exc:  # any import or construction failure stops start-up clearly
        raise AdapterLoadError(f"compiler adapter {name!r} failed to load: "
                               f"{type(exc).__name__}: {exc}; available: {names}") from exc
