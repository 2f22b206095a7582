"""Basic auth and session cookies: any number of sessions, lenient cookie parsing, clean expiry."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from atelier_api.errors import Unauthorized

COOKIE_PREFIX = "CSPSESSIONID"
COOKIE_PATH = "/api/atelier/"
#: Memory bound only, not a licence limit: the least recently used session is forgotten first.
MAX_SESSIONS = 100_000
_COOKIE_TOKEN = re.compile(r"(?:^|[;,\s])(CSPSESSIONID[^=;,\s]*)=([^;,\s]+)")


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
                 auth_required: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock  # injectable so expiry is testable without waiting
        self._user = username
        self._password = password
        self.cookie_name = f"{COOKIE_PREFIX}-SP-{port}-UP-api-atelier-"
        self._idle = idle_seconds
        self.auth_required = auth_required
        self._table: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self._next_debug_id = 1

    def check_basic(self, header: str | None) -> str | None:
        """The user name when the Authorization header holds valid Basic credentials."""
        if not header or header[:6].lower() != "basic ":
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode(
                "utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        ok_user = hmac.compare_digest(user.upper().encode(), self._user.upper().encode())
        ok_pass = hmac.compare_digest(password.encode(), self._password.encode())
        return self._user if ok_user and ok_pass else None

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
                    del self._table[token]
                    continue
                session.last_used = now
                self._table.move_to_end(token)
                return session
        return None

    def open(self, user: str) -> Session:
        """Start a session and return it (its token goes into the Set-Cookie header)."""
        now = self._clock()
        with self._lock:
            session = Session(secrets.token_urlsafe(24), user, now, now, self._next_debug_id)
            self._next_debug_id += 1
            self._table[session.token] = session
            self._evict(now)
        return session

    def _evict(self, now: float) -> None:
        while self._table:
            token, oldest = next(iter(self._table.items()))
            if len(self._table) <= MAX_SESSIONS and now - oldest.last_used <= self._idle:
                break
            del self._table[token]

    def close(self, session: Session) -> None:
        """End a session (logout)."""
        with self._lock:
            self._table.pop(session.token, None)

    def count(self) -> int:
        """Number of live sessions."""
        with self._lock:
            return len(self._table)

    def authenticate(self, cookie: str | None, authorization: str | None) -> tuple[Session, bool]:
        """(session, is_new): a valid cookie wins; else Basic credentials open a session."""
        session = self.from_cookie(cookie)
        if session is not None:
            return session, False
        user = self.check_basic(authorization)
        if user is None and not self.auth_required:
            user = self._user
        if user is None:
            raise Unauthorized()
        return self.open(user), True

    def set_cookie_value(self, session: Session) -> str:
        """The Set-Cookie header for a new session: one cookie, scoped to the API path."""
        return f"{self.cookie_name}={session.token}; path={COOKIE_PATH}; HttpOnly; SameSite=Lax"

    def expire_cookie_value(self) -> str:
        """A Set-Cookie header that removes the session cookie."""
        return (f"{self.cookie_name}=; path={COOKIE_PATH}; HttpOnly; SameSite=Lax; "
                "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
