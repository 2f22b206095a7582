"""The compiler adapter contract (standard library only).

Adapters are found through the entry point group ``atelier_api.compilers`` and chosen by
configuration. An adapter declares what it can do; the core asks only for declared capabilities,
one frozen request object per call, and checks results at the boundary.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field

ENTRY_POINT_GROUP = "atelier_api.compilers"


class Capability(enum.Enum):
    """What an adapter can be asked to do."""

    COMPILE = "compile"
    INDEX = "index"
    MACROS = "macros"
    EXECUTE = "execute"
    UNITTEST = "unittest"


@dataclass(frozen=True)
class AdapterInfo:
    """An adapter's name, version and declared capabilities."""

    name: str
    version: str
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    description: str = ""


class CancelToken:
    """Cooperative cancellation shared between a job and the adapter working for it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancellation was asked for."""
        return self._event.is_set()


class ContractError(RuntimeError):
    """An adapter broke the contract (bad info, undeclared capability, malformed result)."""


class Adapter:
    """Base class for adapters: holds the info and answers capability questions."""

    info: AdapterInfo

    def supports(self, capability: Capability) -> bool:
        """True when the adapter declared this capability."""
        return capability in self.info.capabilities


def check_adapter(adapter: object) -> Adapter:
    """Validate an adapter object at the boundary; raise ``ContractError`` when it is unusable."""
    info = getattr(adapter, "info", None)
    if not isinstance(info, AdapterInfo):
        raise ContractError(f"{adapter!r} has no AdapterInfo 'info'")
    if not info.name or not isinstance(info.version, str):
        raise ContractError(f"adapter info {info!r} needs a name and a version")
    bad = [c for c in info.capabilities if not isinstance(c, Capability)]
    if bad:
        raise ContractError(f"adapter {info.name} declares unknown capabilities {bad!r}")
    if not isinstance(adapter, Adapter):
        raise ContractError(f"adapter {info.name} must derive from atelier_api.compiler.Adapter")
    return adapter
