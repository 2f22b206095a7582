"""Basic auth and session cookies: lenient cookie parsing, clean expiry, sessions capped per
user (least recently used first out), and failed logins throttled per client address."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import math
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from atelier_api.errors import AtelierError, Unauthorized

COOKIE_PREFIX = "CSPSESSIONID"
COOKIE_PATH = "/api/atelier/"
#: Memory bound over all users: the least recently used session is forgotten first.
MAX_SESSIONS = 100_000
#: Defaults of the settings ``max_sessions_per_user``, ``login_max_failures`` and
#: ``login_window_seconds`` (atelier_api.config declares them for users).
DEFAULT_SESSIONS_PER_USER = 100
DEFAULT_MAX_FAILURES = 10
DEFAULT_WINDOW_SECONDS = 60
#: Client addresses whose failures are remembered at once (least recently failed out first).
MAX_TRACKED_CLIENTS = 10_000
_COOKIE_TOKEN = re.compile(r"(?:^|[;,\s])(CSPSESSIONID[^=;,\s]*)=([^;,\s]+)")


class TooManyLogins(AtelierError):
    """Too many failed logins from one client address: 429 with ``Retry-After``."""

    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins from this address; try again in "
                         f"{retry_after} s", headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


def client_key(address: str) -> str:
    """The throttling key of a client address: IPv6 by its /64 (one host's usual share),
    an IPv4-mapped IPv6 address as IPv4, anything unparsable as itself."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginThrottle:
    """Failed logins per client address in a sliding window.

    An address with ``max_failures`` failures within the last ``window`` seconds is refused
    (any Basic attempt, the right password included, so guessing learns nothing) until the
    oldest of them leaves the window. ``max_failures`` 0 turns throttling off.
    """

    def __init__(self, max_failures: int = DEFAULT_MAX_FAILURES,
                 window: float = DEFAULT_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int:
        """Seconds until this address may try again; 0 when it may now."""
        if self.max_failures <= 0:
            return 0
        now = self._clock()
        with self._lock:
            times = self._recent(client_key(address), now)
            if times is None or len(times) < self.max_failures:
                return 0
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, address: str) -> None:
        """Count one failed login of this address."""
        if self.max_failures <= 0:
            return
        key = client_key(address)
        now = self._clock()
        with self._lock:
            times = self._recent(key, now)
            if times is None:
                times = self._failures[key] = deque(maxlen=self.max_failures)
            times.append(now)
            self._failures.move_to_end(key)
            while len(self._failures) > MAX_TRACKED_CLIENTS:
                self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        """A successful login clears the address's failures."""
        with self._lock:
            self._failures.pop(client_key(address), None)

    def tracked(self) -> int:
        """Number of addresses with failures remembered."""
        with self._lock:
            return len(self._failures)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times


@dataclass
class Session:
    """A logged-in client."""

    token: str
    user: str
    created: float
    last_used: float
    debug_id: int


class Sessions:
    """In-memory session table keyed by cookie value."""

    def __init__(self, username: str, password: str, port: int, idle_seconds: int,
                 auth_required: bool = True, clock: Callable[[], float] = time.monotonic,
                 *, max_per_user: int = DEFAULT_SESSIONS_PER_USER,
                 throttle: LoginThrottle | None = None) -> None:
        self._clock = clock  # injectable so expiry is testable without waiting
        self._user = username
        self._password = password
        self.cookie_name = f"{COOKIE_PREFIX}-SP-{port}-UP-api-atelier-"
        self._idle = idle_seconds
        self.auth_required = auth_required
        self.max_per_user = max_per_user
        self.throttle = throttle if throttle is not None else LoginThrottle(clock=clock)
        self._table: OrderedDict[str, Session] = OrderedDict()  # least recently used first
        self._by_user: dict[str, OrderedDict[str, None]] = {}  # the same order, per user
        self._lock = threading.Lock()
        self._next_debug_id = 1

    def check_basic(self, header: str | None) -> str | None:
        """The user name when the Authorization header holds valid Basic credentials."""
        if header is None or not _is_basic(header):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode(
                "utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        ok_user = hmac.compare_digest(user.upper().encode(), self._user.upper().encode())
        ok_pass = hmac.compare_digest(password.encode(), self._password.encode())
        return self._user if ok_user and ok_pass else None

    def login(self, header: str | None, client: str) -> str:
        """Check Basic credentials under the throttle of the client address.

        Raises ``TooManyLogins`` (429) while the address is throttled and it tries Basic
        credentials, ``Unauthorized`` (401) when they are missing or wrong; every wrong
        Basic attempt counts against the address.
        """
        if _is_basic(header):
            wait = self.throttle.retry_after(client)
            if wait:
                raise TooManyLogins(wait)
        user = self.check_basic(header)
        if user is None:
            if _is_basic(header):
                self.throttle.failed(client)
            raise Unauthorized()
        self.throttle.succeeded(client)
        return user

    def from_cookie(self, header: str | None) -> Session | None:
        """The live session named by any ``CSPSESSIONID*`` token in a (lenient) Cookie header."""
        if not header:
            return None
        now = self._clock()
        for _name, raw in _COOKIE_TOKEN.findall(header):
            token = raw.strip('"')  # RFC 6265 allows a quoted value
            with self._lock:
                session = self._table.get(token)
                if session is None:
                    continue
                if now - session.last_used > self._idle:
                    self._drop(token)
                    continue
                session.last_used = now
                self._table.move_to_end(token)
                self._by_user[session.user].move_to_end(token)
                return session
        return None

    def open(self, user: str) -> Session:
        """Start a session and return it (its token goes into the Set-Cookie header).

        Over ``max_per_user`` sessions of that user, its least recently used one ends.
        """
        now = self._clock()
        with self._lock:
            session = Session(secrets.token_urlsafe(24), user, now, now, self._next_debug_id)
            self._next_debug_id += 1
            self._table[session.token] = session
            mine = self._by_user.setdefault(user, OrderedDict())
            mine[session.token] = None
            while len(mine) > max(1, self.max_per_user):
                self._drop(next(iter(mine)))
            self._evict(now)
        return session

    def _evict(self, now: float) -> None:
        while self._table:
            token, oldest = next(iter(self._table.items()))
            if len(self._table) <= MAX_SESSIONS and now - oldest.last_used <= self._idle:
                break
            self._drop(token)

    def _drop(self, token: str) -> None:
        """Forget a session (the lock is held)."""
        session = self._table.pop(token, None)
        if session is None:
            return
        mine = self._by_user.get(session.user)
        if mine is not None:
            mine.pop(token, None)
            if not mine:
                del self._by_user[session.user]

    def close(self, session: Session) -> None:
        """End a session (logout)."""
        with self._lock:
            self._drop(session.token)

    def count(self, user: str | None = None) -> int:
        """Number of live sessions (of one user, when given)."""
        with self._lock:
            if user is None:
                return len(self._table)
            return len(self._by_user.get(user, ()))

    def authenticate(self, cookie: str | None, authorization: str | None,
                     client: str = "") -> tuple[Session, bool]:
        """(session, is_new): a valid cookie wins; else Basic credentials open a session.

        ``client`` is the client's address, for the login throttle.
        """
        session = self.from_cookie(cookie)
        if session is not None:
            return session, False
        if self.auth_required:
            user = self.login(authorization, client)
        else:
            user = self.check_basic(authorization) or self._user
        return self.open(user), True

    def set_cookie_value(self, session: Session) -> str:
        """The Set-Cookie header for a new session: one cookie, scoped to the API path."""
        return f"{self.cookie_name}={session.token}; path={COOKIE_PATH}; HttpOnly; SameSite=Lax"

    def expire_cookie_value(self) -> str:
        """A Set-Cookie header that removes the session cookie."""
        return (f"{self.cookie_name}=; path={COOKIE_PATH}; HttpOnly; SameSite=Lax; "
                "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")


def _is_basic(header: str | None) -> bool:
    """True for an Authorization header of the Basic scheme (well-formed or not)."""
    return header is not None and header[:6].lower() == "basic "
