"""The launcher's heart: one sandbox per user, under the operator's rules.

A user's sandbox goes ``starting`` → ``ready`` → ``stopping`` → ``gone``, or ends
``crashed`` (it exited with an error, was killed for memory, or never became ready). Every
transition is written to the store, so a restarted launcher carries on: it adopts the
sandboxes the backend still runs and that its records know, removes those it does not know
(orphans), and marks ``gone`` the records whose sandbox disappeared.

Rules enforced here: one sandbox per user (a second launch returns the first), a cap on
sandboxes existing at once (``LaunchRefused`` 503 with ``Retry-After``), relaunch count and
cool-down, maximum lifetime and idle timeout (the reaper), the start timeout.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from atelier_api.launcher.backend import (
    LABEL_MANAGED,
    LABEL_RULES,
    LABEL_SANDBOX,
    LABEL_START,
    LABEL_USER,
    Backend,
    BackendError,
    BackendUnavailable,
    ImageMissing,
    Mount,
    Observed,
    SandboxSpec,
)
from atelier_api.launcher.process import EPHEMERAL_ROOT
from atelier_api.launcher.settings import LauncherConfigError, LauncherSettings

log = logging.getLogger(__name__)

ACTIVE = ("starting", "ready", "stopping")
#: inside the sandbox: where a git workspace's ``mount`` appears
SOURCE_MOUNT = "/mnt/source"
#: how often a starting sandbox's /readyz is asked
READY_POLL = 0.05


class LaunchRefused(Exception):
    """A request the rules or the engine refuse: HTTP status, message, optional
    ``Retry-After`` seconds."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass
class Record:
    """One sandbox of one user, as the launcher knows it (persisted)."""

    sandbox_id: str
    user: str
    workspace: str
    start_state: str
    created: float
    expires: float  # 0: no lifetime limit
    username: str
    password: str
    state: str = "starting"
    reason: str = ""
    endpoint: tuple[str, int] | None = None
    ready_at: float = 0.0
    ended_at: float = 0.0
    last_activity: float = 0.0

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


@dataclass
class UserState:
    """What the launcher remembers of a user across sandboxes (persisted)."""

    launches: int = 0
    last_launch: float = 0.0
    record: Record | None = None


class Store:
    """The launcher's records in one JSON file (mode 0600, in a 0700 folder), rewritten
    atomically on every change."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        self.path = self.folder / "launcher.json"
        self.lock = threading.RLock()
        data: dict[str, Any] = {}
        if self.path.exists():
            data = json.loads(self.path.read_text(encoding="utf-8"))
        self.instance: str = data.get("instance") or "l" + secrets.token_hex(4)
        self.secret: str = data.get("secret") or secrets.token_hex(32)
        self.users: dict[str, UserState] = {}
        for name, raw in data.get("users", {}).items():
            record = raw.get("record")
            if record is not None:
                endpoint = record.get("endpoint")
                record = Record(**{**record, "endpoint": tuple(endpoint) if endpoint else None})
            self.users[name] = UserState(raw.get("launches", 0), raw.get("last_launch", 0.0),
                                         record)
        self.save()

    def user(self, name: str) -> UserState:
        with self.lock:
            return self.users.setdefault(name, UserState())

    def save(self) -> None:
        with self.lock:
            data = {"instance": self.instance, "secret": self.secret,
                    "users": {n: {"launches": u.launches, "last_launch": u.last_launch,
                                  "record": asdict(u.record) if u.record else None}
                              for n, u in self.users.items()}}
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
            os.replace(tmp, self.path)


def volume_name(instance: str, user: str) -> str:
    """The user's preserved-state volume (engine volume, PVC, or folder)."""
    return f"atelier-{instance}-state-{user}"


@dataclass
class _Waiter:
    event: threading.Event = field(default_factory=threading.Event)


class Sandboxes:
    """Launch, observe, relaunch and discard users' sandboxes."""

    def __init__(self, settings: LauncherSettings, backend: Backend, store: Store, *,
                 clock: Callable[[], float] = time.time,
                 ready_probe: Callable[[tuple[str, int], float], bool] | None = None
                 ) -> None:
        self.settings = settings
        self.backend = backend
        self.store = store
        self.clock = clock
        self.probe = ready_probe or _probe_readyz
        self.instance = settings.instance or store.instance
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._cap = threading.Lock()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        #: called with each record that ended (gone or crashed): the proxy forgets its
        #: kept connections to that sandbox
        self.on_end: list[Callable[[Record], None]] = []
        #: sandboxes being removed on a thread of their own -> drop the state too
        #: removals asked for and not done yet: whether each drops the user's state
        self._removing: dict[str, bool] = {}
        #: removals running now on a thread of their own (the reaper leaves them alone)
        self._in_flight: set[str] = set()

    # -- life of the launcher ---------------------------------------------------------------
    def start(self) -> None:
        """Recover what an earlier launcher left, then run the reaper."""
        self.recover()
        thread = threading.Thread(target=self._reap_loop, name="launcher-reaper", daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        self.store.save()

    def recover(self) -> None:
        """Adopt the sandboxes the backend runs for this instance, remove the unknown."""
        try:
            owned = {o.sandbox_id: o for o in self.backend.list_owned()}
        except BackendUnavailable as exc:
            log.warning("recovery postponed: %s", exc)
            return
        known: set[str] = set()
        for name, user in list(self.store.users.items()):
            record = user.record
            if record is None or not record.active:
                continue
            seen = owned.get(record.sandbox_id)
            known.add(record.sandbox_id)
            if seen is None:
                self._end(record, "gone", "not found when the launcher started")
            elif seen.status == "exited":
                self._exited(record, seen)
            else:
                log.info("adopting sandbox %s of %s", record.sandbox_id, name)
                record.endpoint = seen.endpoint or record.endpoint
                if record.state == "stopping":
                    self._remove_later(record, "gone", record.reason or "discarded")
                else:
                    record.state = "starting"
                    self._watch_ready(record)
        for sandbox_id, seen in owned.items():
            if sandbox_id not in known:
                log.warning("removing orphan sandbox %s (user %s)", sandbox_id, seen.user)
                with contextlib.suppress(BackendError):
                    self.backend.remove(sandbox_id)
        self.store.save()

    # -- what users ask -----------------------------------------------------------------------
    def get(self, user: str) -> Record | None:
        with self.store.lock:
            state = self.store.users.get(user)
            return replace(state.record) if state and state.record else None

    def all(self) -> list[Record]:
        with self.store.lock:
            return [replace(u.record) for u in self.store.users.values() if u.record]

    def user_state(self, user: str) -> UserState:
        with self.store.lock:
            state = self.store.users.get(user) or UserState()
            return UserState(state.launches, state.last_launch, None)

    def launch(self, user: str, workspace: str | None = None) -> tuple[Record, bool]:
        """The user's sandbox: the existing one (False), or a new one (True)."""
        with self._user_lock(user):
            current = self._current(user)
            if current is not None and current.state in ("starting", "ready"):
                return replace(current), False
            return replace(self._launch(user, workspace, current)), True

    def relaunch(self, user: str, workspace: str | None = None) -> Record:
        """Replace the user's sandbox by a new one (rules checked before anything stops)."""
        with self._user_lock(user):
            current = self._current(user)
            self._check_relaunch(user)
            if current is not None and current.active:
                self._end(current, "stopping", "relaunched")
                self._remove(current, "gone", "relaunched")
            return replace(self._launch(user, workspace, self._current(user)))

    def discard(self, user: str, *, drop_state: bool = False) -> Record | None:
        """Stop and remove the user's sandbox (in the background); ``drop_state`` also
        removes the preserved state (once the sandbox is gone)."""
        with self._user_lock(user):
            current = self._current(user)
            if current is not None and current.active and current.state != "stopping":
                self._end(current, "stopping", "discarded")
                self._remove_later(current, "gone", "discarded", drop_state=drop_state)
            elif drop_state:
                self._drop_state(user)
            return replace(current) if current else None

    def touch(self, user: str) -> None:
        """A request went through the proxy: the sandbox is not idle."""
        record = self._current(user)
        if record is not None:
            record.last_activity = self.clock()

    def wait_ready(self, user: str, timeout: float) -> Record:
        """The user's ready sandbox, waiting up to ``timeout`` while it starts."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                record = self._current(user)
                if record is None or record.state in ("gone", "crashed"):
                    raise LaunchRefused(404, self._gone_message(user, record))
                if record.state == "ready" and record.endpoint:
                    return replace(record)
                if record.state == "stopping":
                    raise LaunchRefused(404, f"The sandbox of {user} is stopping "
                                        f"({record.reason}).")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LaunchRefused(503, f"The sandbox of {user} is still starting.",
                                        retry_after=2)
                self._changed.wait(min(left, 0.5))

    # -- rules --------------------------------------------------------------------------------
    def _check_relaunch(self, user: str) -> None:
        state = self.store.user(user)
        if state.launches == 0:
            return
        s = self.settings
        if s.relaunch_max >= 0 and state.launches - 1 >= s.relaunch_max:
            raise LaunchRefused(403, f"No relaunches left: the limit is {s.relaunch_max} "
                                f"and {user} has used them all.")
        wait = state.last_launch + s.relaunch_cooldown_seconds - self.clock()
        if wait > 0:
            raise LaunchRefused(429, f"Relaunching is possible again in {int(wait) + 1} s "
                                f"(cool-down {s.relaunch_cooldown_seconds} s).",
                                retry_after=int(wait) + 1)

    def _launch(self, user: str, workspace: str | None, previous: Record | None) -> Record:
        """Create a sandbox (the user's lock is held)."""
        s = self.settings
        if user not in s.users and s.users:
            raise LaunchRefused(404, f"Unknown user {user!r}.")
        self._check_relaunch(user)
        try:
            source = s.workspace(workspace)
        except LauncherConfigError as exc:
            raise LaunchRefused(400, str(exc)) from None
        if previous is not None and previous.state == "stopping":
            raise LaunchRefused(409, "Your sandbox is still stopping; launch again in a "
                                "moment.", retry_after=2)
        now = self.clock()
        record = Record(sandbox_id=secrets.token_hex(6), user=user, workspace=source.name,
                        start_state=s.start_state, created=now,
                        expires=now + s.max_lifetime_seconds if s.max_lifetime_seconds else 0,
                        username=user, password=secrets.token_urlsafe(18), last_activity=now)
        with self._cap:
            active = [r for r in self.all() if r.active and r.user != user]
            if len(active) >= s.max_running:
                raise LaunchRefused(503, f"All {s.max_running} sandboxes are in use; try "
                                    "again later.", retry_after=self._retry_after(active))
            if previous is not None:  # a crashed one is kept for inspection until now
                with contextlib.suppress(BackendError):
                    self.backend.remove(previous.sandbox_id)
            state = self.store.user(user)
            state.record = record
            try:
                seen = self.backend.create(self._spec(record, source))
            except BackendError as exc:
                state.record = previous
                self.store.save()
                status = 503 if isinstance(exc, BackendUnavailable | ImageMissing) else 502
                raise LaunchRefused(status, str(exc), retry_after=30 if status == 503
                                    else None) from None
            record.endpoint = seen.endpoint
            state.launches += 1
            state.last_launch = now
            self.store.save()
        log.info("launched sandbox %s for %s (%s, %s)", record.sandbox_id, user,
                 record.workspace, record.start_state)
        self._watch_ready(record)
        return record

    def _spec(self, record: Record, source: Any) -> SandboxSpec:
        s = self.settings
        preserved = s.start_state == "preserved"
        root = "/var/lib/atelier" if preserved else EPHEMERAL_ROOT
        env = {
            "ATELIER_USERNAME": record.username, "ATELIER_PASSWORD": record.password,
            "ATELIER_STATE_DIR": f"{root}/state",
            "ATELIER_START_MODE": "keep" if preserved else "original",
            "ATELIER_ALLOWED_HOSTS": ".svc,.svc.cluster.local",
            "ATELIER_LOG_LEVEL": "warning",
        }
        # the sandbox also enforces the lifetime itself (a backstop should the launcher be
        # down): a minute later than the launcher would
        if s.max_lifetime_seconds:
            env["ATELIER_MAX_LIFETIME_SECONDS"] = str(s.max_lifetime_seconds + 60)
        mounts: tuple[Mount, ...] = ()
        if source.source == "git":
            url = source.url
            if source.mount:
                mounts = (Mount(source.mount, SOURCE_MOUNT),)
                url = url or SOURCE_MOUNT
            env["ATELIER_NAMESPACES"] = ""
            env["ATELIER_GIT_URL"] = url
            env["ATELIER_GIT_REF"] = source.ref
            env["ATELIER_GIT_NAMESPACE"] = s.namespace
        else:
            env["ATELIER_NAMESPACES"] = f"{s.namespace}=empty:{root}/workspace"
        labels = {LABEL_MANAGED: self.instance, LABEL_USER: record.user,
                  LABEL_SANDBOX: record.sandbox_id, LABEL_RULES: "default",
                  LABEL_START: s.start_state}
        return SandboxSpec(record.sandbox_id, record.user, s.image, env, labels, s.cpus,
                           s.memory_bytes,
                           volume_name(self.instance, record.user) if preserved else None,
                           mounts=mounts)

    def _retry_after(self, active: list[Record]) -> int:
        now = self.clock()
        s = self.settings
        ends = [r.expires - now for r in active if r.expires]
        if s.idle_timeout_seconds:
            ends += [r.last_activity + s.idle_timeout_seconds - now for r in active]
        return max(1, int(min(ends)) + 1) if ends else 60

    # -- state changes ------------------------------------------------------------------------
    def _current(self, user: str) -> Record | None:
        with self.store.lock:
            state = self.store.users.get(user)
            return state.record if state else None

    def _end(self, record: Record, state: str, reason: str) -> None:
        with self._changed:
            record.state = state
            record.reason = reason
            if state in ("gone", "crashed"):
                record.ended_at = self.clock()
            self._changed.notify_all()
        self.store.save()
        if state in ("gone", "crashed"):
            for listener in self.on_end:
                listener(record)
        log.info("sandbox %s of %s: %s (%s)", record.sandbox_id, record.user, state, reason)

    def _remove(self, record: Record, final: str, reason: str, *,
                drop_state: bool = False) -> None:
        try:
            self.backend.remove(record.sandbox_id)
        except BackendError as exc:
            log.warning("could not remove sandbox %s: %s (the reaper retries)",
                        record.sandbox_id, exc)
            return
        if drop_state:
            self._drop_state(record.user)
        self._end(record, final, reason)

    def _remove_later(self, record: Record, final: str, reason: str, *,
                      drop_state: bool = False) -> None:
        """Remove on a thread of its own; the reaper leaves it alone meanwhile (and retries
        it, state drop included, should it fail)."""
        with self._cap:
            self._removing[record.sandbox_id] = drop_state
            self._in_flight.add(record.sandbox_id)

        def work() -> None:
            try:
                self._remove(record, final, reason, drop_state=drop_state)
            finally:
                with self._cap:
                    self._in_flight.discard(record.sandbox_id)
                    if record.state != "stopping":  # done; else the reaper retries
                        self._removing.pop(record.sandbox_id, None)

        threading.Thread(target=work, name=f"remove-{record.sandbox_id}", daemon=True).start()

    def _drop_state(self, user: str) -> None:
        try:
            self.backend.drop_state(user)
        except BackendError as exc:
            log.warning("could not drop the state of %s: %s", user, exc)

    def _exited(self, record: Record, seen: Observed) -> None:
        """The sandbox exited by itself: its own lifetime or idle rule (0), or a crash."""
        if seen.oom_killed:
            self._end(record, "crashed", "killed: out of memory (memory_bytes = "
                      f"{self.settings.memory_bytes})")
        elif seen.exit_code in (0, None) and record.state == "ready":
            with contextlib.suppress(BackendError):
                self.backend.remove(record.sandbox_id)
            self._end(record, "gone", "the sandbox stopped itself")
        else:
            self._end(record, "crashed", f"the sandbox exited with status {seen.exit_code}")

    def _watch_ready(self, record: Record) -> None:
        thread = threading.Thread(target=self._ready_loop, args=(record,),
                                  name=f"ready-{record.sandbox_id}", daemon=True)
        thread.start()

    def _ready_loop(self, record: Record) -> None:
        deadline = record.created + self.settings.start_timeout_seconds
        last_look = 0.0
        while not self._stop.is_set() and record.state == "starting":
            left = deadline - self.clock()
            if left <= 0:
                with contextlib.suppress(BackendError):  # removed before it is reported
                    self.backend.remove(record.sandbox_id)
                self._end(record, "crashed", "not ready within start_timeout_seconds = "
                          f"{self.settings.start_timeout_seconds}")
                return
            if record.endpoint and self.probe(record.endpoint, min(2.0, left)):
                with self._changed:
                    if record.state == "starting":
                        record.state = "ready"
                        record.ready_at = self.clock()
                        self._changed.notify_all()
                self.store.save()
                log.info("sandbox %s of %s ready in %.2f s", record.sandbox_id, record.user,
                         record.ready_at - record.created)
                return
            if time.monotonic() - last_look > 0.5 or not record.endpoint:
                last_look = time.monotonic()
                try:
                    seen = self.backend.observe(record.sandbox_id)
                except BackendError:
                    seen = None
                if seen is None:
                    self._end(record, "crashed", "the sandbox disappeared while starting")
                    return
                if seen.status == "exited":
                    self._exited(record, seen)
                    return
                record.endpoint = seen.endpoint or record.endpoint
            time.sleep(READY_POLL)

    # -- the reaper ---------------------------------------------------------------------------
    def _reap_loop(self) -> None:
        while not self._stop.wait(self.settings.reap_interval_seconds):
            try:
                self.reap()
            except Exception:  # noqa: BLE001 - the reaper must outlive one bad round
                log.exception("reaper round failed")

    def reap(self) -> None:
        """One round: expiry, idleness, crashes, and removals that failed before."""
        now = self.clock()
        s = self.settings
        for record in self.all():
            live = self._current(record.user)
            if live is None or live.sandbox_id != record.sandbox_id:
                continue
            record = live
            if record.state == "stopping":
                with self._cap:
                    running = record.sandbox_id in self._in_flight
                    drop = self._removing.get(record.sandbox_id, False)
                if not running:  # a removal that failed (or a launcher restarted meanwhile)
                    self._remove(record, "gone", record.reason, drop_state=drop)
                    if record.state != "stopping":
                        with self._cap:
                            self._removing.pop(record.sandbox_id, None)
            elif record.state in ("starting", "ready"):
                if record.expires and now >= record.expires:
                    with self._user_lock(record.user):
                        self._end(record, "stopping", "lifetime ended "
                                  f"(max_lifetime_seconds = {s.max_lifetime_seconds})")
                        self._remove(record, "gone", record.reason)
                elif (record.state == "ready" and s.idle_timeout_seconds
                      and now - record.last_activity >= s.idle_timeout_seconds):
                    with self._user_lock(record.user):
                        self._end(record, "stopping", "idle for idle_timeout_seconds = "
                                  f"{s.idle_timeout_seconds}")
                        self._remove(record, "gone", record.reason)
                elif record.state == "ready":
                    try:
                        seen = self.backend.observe(record.sandbox_id)
                    except BackendError:
                        continue
                    if seen is None:
                        self._end(record, "gone", "removed outside the launcher")
                    elif seen.status == "exited":
                        self._exited(record, seen)

    # -- helpers ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _user_lock(self, user: str) -> Iterator[None]:
        with self._locks_lock:
            lock = self._locks.setdefault(user, threading.Lock())
        with lock:
            yield

    def _gone_message(self, user: str, record: Record | None) -> str:
        if record is None:
            return f"{user} has no sandbox: launch one first."
        return f"The sandbox of {user} is {record.state} ({record.reason}): launch it again."


def _probe_readyz(endpoint: tuple[str, int], timeout: float) -> bool:
    """GET /readyz answers 200 within ``timeout`` seconds."""
    conn = http.client.HTTPConnection(endpoint[0], endpoint[1], timeout=timeout)
    try:
        conn.request("GET", "/readyz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
