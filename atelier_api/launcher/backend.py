"""The one small interface every container backend implements (podman/Docker, Kubernetes,
local processes), and the values that cross it.

A backend knows nothing of users' rules: it creates what a ``SandboxSpec`` describes, reports
what it sees (``Observed``), finds what it owns by its labels after a restart, and removes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

#: label keys every backend puts on everything it creates (containers, pods, volumes, ...)
LABEL_MANAGED = "atelier-api.launcher"        # the launcher instance's id
LABEL_USER = "atelier-api.user"               # the owner (a launcher user name)
LABEL_SANDBOX = "atelier-api.sandbox"         # the sandbox id (unique per launch)
LABEL_RULES = "atelier-api.rules"             # the rule set's name
LABEL_START = "atelier-api.start-state"       # original | preserved

#: the port the image serves on inside the container
SANDBOX_PORT = 52773

Status = Literal["starting", "running", "exited", "missing"]


class BackendError(RuntimeError):
    """The engine refused or failed: the message is for the user (no secrets in it)."""


class BackendUnavailable(BackendError):
    """The engine cannot be reached at all (socket missing, API down)."""


class ImageMissing(BackendError):
    """The configured image does not exist in the engine."""


@dataclass(frozen=True)
class Mount:
    """A host folder (engine backends) mounted into the sandbox."""

    source: str
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class SandboxSpec:
    """Everything needed to create one sandbox.

    ``env`` is the sandbox's ``ATELIER_*`` configuration, secrets included (its password):
    a backend passes it to the container and never logs it. ``state_volume`` names the
    user's preserved-state volume (mounted at ``state_mount``), None for an ``original``
    start. ``cpus`` (fractional CPUs) and ``memory_bytes`` are hard limits, 0 for none.
    """

    sandbox_id: str
    user: str
    image: str
    env: dict[str, str]
    labels: dict[str, str]
    cpus: float = 0.0
    memory_bytes: int = 0
    state_volume: str | None = None
    state_mount: str = "/var/lib/atelier"
    mounts: tuple[Mount, ...] = ()


@dataclass(frozen=True)
class Observed:
    """What a backend sees of one sandbox it owns.

    ``endpoint`` is ``(host, port)`` where the launcher reaches the sandbox's HTTP port
    (a loopback published port, a Service name, ...), None until it has one. ``exit_code``
    and ``oom_killed`` are set once ``status`` is ``exited``.
    """

    sandbox_id: str
    user: str
    status: Status
    endpoint: tuple[str, int] | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    labels: dict[str, str] = field(default_factory=dict)


class Backend(Protocol):
    """A container engine seen through what the launcher needs of it."""

    #: short name for messages and the state endpoint (``podman``, ``docker``, ...)
    name: str

    def ping(self) -> None:
        """Raise ``BackendUnavailable`` when the engine cannot be reached."""

    def create(self, spec: SandboxSpec) -> Observed:
        """Create and start the sandbox. On any failure, remove everything this call made
        (a preserved-state volume that existed before stays) and raise ``BackendError``."""

    def observe(self, sandbox_id: str) -> Observed | None:
        """The sandbox as the engine sees it now, None when it no longer exists."""

    def list_owned(self) -> list[Observed]:
        """Every sandbox of this launcher instance (found by ``LABEL_MANAGED``)."""

    def remove(self, sandbox_id: str) -> None:
        """Stop (gracefully, SIGTERM, then kill after a bound) and remove the sandbox and
        everything created with it except the user's preserved-state volume. Idempotent."""

    def drop_state(self, user: str) -> None:
        """Remove the user's preserved-state volume, if any. Idempotent."""

    def close(self) -> None:
        """Release client connections."""
