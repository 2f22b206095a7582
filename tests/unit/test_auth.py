"""Sessions: Basic credentials, lenient cookie parsing, idle expiry, logout, many sessions."""

from __future__ import annotations

import base64

import pytest

from atelier_api.auth import Sessions
from atelier_api.errors import Unauthorized

IDLE = 600


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sessions(clock: Clock | None = None, auth_required: bool = True) -> Sessions:
    return Sessions("_SYSTEM", "S3cret:pw", 52773, IDLE, auth_required, clock or Clock())


def _basic(user: str, password: str, scheme: str = "Basic") -> str:
    return f"{scheme} " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "header", [_basic("_SYSTEM", "S3cret:pw"), _basic("_system", "S3cret:pw"),
               _basic("_System", "S3cret:pw", "basic"), _basic("_SYSTEM", "S3cret:pw", "BASIC")],
)
def test_basic_accepts_any_user_case(header: str) -> None:
    """The user name is case-insensitive; the configured spelling is returned."""
    assert _sessions().check_basic(header) == "_SYSTEM"


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic", "Basic ", _basic("_SYSTEM", "s3cret:pw"), _basic("_SYSTEM", "S3cret"),
     _basic("_SYSTEM", "S3cret:pw "), _basic("other", "S3cret:pw"), _basic("", ""),
     "Bearer abc", "Basic !!!notbase64", "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
     "Basic " + base64.b64encode(b"_SYSTEM").decode(), "Digest " + _basic("_SYSTEM", "x")[6:]],
)
def test_basic_rejects(header: str | None) -> None:
    """Wrong password (case included), wrong user, garbage: no user."""
    assert _sessions().check_basic(header) is None


def _cookie_name(sessions: Sessions) -> str:
    return sessions.cookie_name


@pytest.mark.parametrize(
    "template",
    [
        "{name}={token}",
        "{name}={token}; path=/api/atelier/; httpOnly",
        "{set_cookie}",
        "other=1; {name}={token}; third=3",
        "CSPWSERVERID=abc; path=/; {set_cookie}",
        "CSPWSERVERID=abc; path=/ {set_cookie}",
        "{set_cookie} CSPWSERVERID=abc; path=/",
        "{name}=stale-token; path=/api/atelier/ {name}={token}; path=/api/atelier/",
        '{name}="{token}"',
        "{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; {name}={token}",
        "CSPSESSIONID-SP-443-UP-other-={token}",
    ],
)
def test_lenient_cookie_parsing(template: str) -> None:
    """Whole Set-Cookie strings, joined by '; ' or a space, among other cookies, all work."""
    sessions = _sessions()
    session = sessions.open("_SYSTEM")
    header = template.format(name=sessions.cookie_name, token=session.token,
                             set_cookie=sessions.set_cookie_value(session))
    assert sessions.from_cookie(header) is session


@pytest.mark.parametrize(
    "header", [None, "", "foo=bar", "CSPSESSIONID-SP-52773-UP-api-atelier-=unknown",
               "path=/api/atelier/; httpOnly", "xCSPSESSIONID-SP-1-=TOKEN"],
)
def test_cookie_without_a_live_session(header: str | None) -> None:
    """No CSPSESSIONID token of a live session: no session."""
    sessions = _sessions()
    token = sessions.open("_SYSTEM").token
    assert sessions.from_cookie((header or "").replace("TOKEN", token) or header) is None


def test_set_cookie_is_one_scoped_cookie() -> None:
    """One cookie, named like IRIS's, scoped to the API path, not readable by scripts."""
    sessions = _sessions()
    value = sessions.set_cookie_value(sessions.open("_SYSTEM"))
    assert value.startswith("CSPSESSIONID-SP-52773-UP-api-atelier-=")
    assert "path=/api/atelier/" in value and "HttpOnly" in value
    assert "Max-Age=0" in sessions.expire_cookie_value()


def test_idle_expiry_and_sliding_use() -> None:
    """A session used within the idle time lives on; one left idle longer is gone."""
    clock = Clock()
    sessions = _sessions(clock)
    session = sessions.open("_SYSTEM")
    cookie = sessions.set_cookie_value(session)
    clock.now += IDLE
    assert sessions.from_cookie(cookie) is session  # exactly the idle time: still alive
    clock.now += IDLE  # measured from the last use, not from creation
    assert sessions.from_cookie(cookie) is session
    clock.now += IDLE + 0.001
    assert sessions.from_cookie(cookie) is None
    assert sessions.count() == 0


def test_idle_sessions_are_pruned_when_others_open() -> None:
    """Expired sessions do not pile up: opening a new one forgets them."""
    clock = Clock()
    sessions = _sessions(clock)
    for _ in range(10):
        sessions.open("_SYSTEM")
    clock.now += IDLE + 1
    fresh = sessions.open("_SYSTEM")
    assert sessions.count() == 1
    assert sessions.from_cookie(sessions.set_cookie_value(fresh)) is fresh


def test_logout() -> None:
    """A closed session's cookie no longer authenticates; other sessions are untouched."""
    sessions = _sessions()
    one, two = sessions.open("_SYSTEM"), sessions.open("_SYSTEM")
    sessions.close(one)
    sessions.close(one)  # twice is harmless
    assert sessions.from_cookie(sessions.set_cookie_value(one)) is None
    assert sessions.from_cookie(sessions.set_cookie_value(two)) is two


def test_many_sessions_all_stay_valid_up_to_the_cap() -> None:
    """No licence-style refusal: up to max_per_user, 1000 sessions opened are 1000 valid."""
    sessions = Sessions("_SYSTEM", "S3cret:pw", 52773, IDLE, True, Clock(), max_per_user=1000)
    opened = [sessions.open("_SYSTEM") for _ in range(1000)]
    assert len({s.token for s in opened}) == 1000
    assert len({s.debug_id for s in opened}) == 1000
    assert all(sessions.from_cookie(f"{sessions.cookie_name}={s.token}") is s for s in opened)
    assert sessions.count() == 1000
    sessions.open("_SYSTEM")  # one more never fails: the least recently used one goes
    assert sessions.count() == 1000
    assert sessions.from_cookie(f"{sessions.cookie_name}={opened[0].token}") is None


def test_authenticate_cookie_wins() -> None:
    """A live cookie authenticates alone, without credentials, and opens nothing new."""
    sessions = _sessions()
    session = sessions.open("_SYSTEM")
    got, is_new = sessions.authenticate(sessions.set_cookie_value(session), None)
    assert got is session and not is_new and sessions.count() == 1


def test_authenticate_basic_opens_a_session() -> None:
    """Valid Basic credentials (and a stale cookie) open a new session."""
    sessions = _sessions()
    got, is_new = sessions.authenticate(f"{sessions.cookie_name}=gone",
                                        _basic("_system", "S3cret:pw"))
    assert is_new and got.user == "_SYSTEM"
    assert sessions.from_cookie(sessions.set_cookie_value(got)) is got


@pytest.mark.parametrize(
    ("cookie", "authorization"),
    [(None, None), ("CSPSESSIONID-SP-52773-UP-api-atelier-=gone", None),
     (None, _basic("_SYSTEM", "wrong"))],
)
def test_authenticate_refuses(cookie: str | None, authorization: str | None) -> None:
    """No live cookie and no valid credentials: Unauthorized, 401, with a Basic challenge."""
    sessions = _sessions()
    with pytest.raises(Unauthorized) as info:
        sessions.authenticate(cookie, authorization)
    assert info.value.http_status == 401
    assert info.value.headers["WWW-Authenticate"].startswith("Basic ")
    assert sessions.count() == 0


def test_authenticate_without_auth_required() -> None:
    """auth=none: every request is the configured user."""
    sessions = _sessions(auth_required=False)
    got, is_new = sessions.authenticate(None, None)
    assert is_new and got.user == "_SYSTEM"
