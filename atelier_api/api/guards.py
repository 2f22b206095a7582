"""Browser-facing guards of every request: the ``Host`` allow-list (DNS rebinding), refusal of
cross-site and form posts (CSRF), and the security headers of every response, with a
Content-Security-Policy for the docs page that admits exactly its own inline code."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from atelier_api.errors import AtelierError, BadRequest, UnsupportedMediaType

#: Methods that change state; a browser sends them cross-site only as a form post or a
#: "simple" fetch, which these guards refuse.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The body types the protocol uses: JSON everywhere, XML text for ``cvt/xml/doc``.
#: None of them is a type an HTML form or a no-CORS fetch can send.
BODY_TYPES = frozenset({"application/json", "application/xml", "text/xml"})
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
#: JSON and files: nothing may run, load or frame them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: HTML files of the Swagger UI bundle served as they are: their own origin only, no inline code.
FILE_PAGE_CSP = ("default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                 "form-action 'self'; frame-ancestors 'none'; object-src 'none'")
_PORT = re.compile(r"[0-9]{0,5}")


class CrossSiteRefused(AtelierError):
    """A state-changing request sent by a page of another origin (403)."""

    http_status = 403


@dataclass(frozen=True)
class HostPolicy:
    """Which ``Host`` header values are answered.

    IP literals always are: a page can only reach the server under an IP address if that is
    its own origin, so rebinding needs a *name*. Names: ``localhost`` and ``*.localhost``
    (resolved to loopback by the browsers themselves), the configured listen host when it is
    a name, and the configured extra names (``.example.com`` covering its subdomains).
    """

    listen_name: str
    extra: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    any_name: bool = False

    @classmethod
    def from_settings(cls, host: str, allowed: list[str]) -> HostPolicy:
        """The policy of a listen address and the ``allowed_hosts`` entries."""
        listen = "" if _is_ip(host.strip("[]")) else host.lower().rstrip(".")
        extra = frozenset(n for n in allowed if not n.startswith(".") and n != "*")
        suffixes = tuple(n for n in allowed if n.startswith("."))
        return cls(listen, extra, suffixes, "*" in allowed)

    def allows(self, header: str | None) -> bool:
        """True when a request with this Host header may be answered."""
        if header is None:
            return True  # HTTP/1.0 without Host: no browser sends that
        host = host_of(header)
        if host is None:
            return False
        if _is_ip(host) or self.any_name or host == self.listen_name:
            return True
        return self.listed(host) or host == "localhost" or host.endswith(".localhost")

    def listed(self, host: str) -> bool:
        """True when ``host`` is a name of ``allowed_hosts`` (or under one of its domains)."""
        return host in self.extra or any(host == s[1:] or host.endswith(s)
                                         for s in self.suffixes)


def host_of(header: str) -> str | None:
    """The host part of a Host header (or an Origin's netloc), lower-cased, without port,
    brackets or trailing dot; None when it is malformed."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1:]
        if end < 0 or (rest and not (rest[0] == ":" and _PORT.fullmatch(rest[1:]))):
            return None
        return value[1:end]
    name, sep, port = value.rpartition(":")
    if sep:
        if not _PORT.fullmatch(port):
            return None
        value = name
    if value.endswith("."):
        value = value[:-1]
    return value if value and re.fullmatch(r"[a-z0-9_.-]+", value) else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def check_host(policy: HostPolicy, header: str | None) -> None:
    """400 unless the Host header names this server (DNS-rebinding protection)."""
    if not policy.allows(header):
        raise BadRequest(f"Host '{str(header)[:200]}' is not served here: add its name to "
                         "allowed_hosts (ATELIER_ALLOWED_HOSTS) if clients reach the server "
                         "by it")


def check_same_origin(policy: HostPolicy, headers: Any, host_header: str | None,
                      scheme: str = "http") -> None:
    """403 when the browser says the request comes from another site or origin.

    Non-browser clients (the IDE, curl) send neither ``Origin`` nor ``Sec-Fetch-Site``.
    """
    site = headers.get("Sec-Fetch-Site")
    if site is not None and site.strip().lower() not in ("same-origin", "none"):
        raise CrossSiteRefused(f"Cross-site request refused (Sec-Fetch-Site: {site})")
    origin = headers.get("Origin")
    if origin is not None and not _origin_is_ours(policy, origin, host_header, scheme):
        raise CrossSiteRefused(f"Cross-origin request refused (Origin: {origin})")


def _origin_is_ours(policy: HostPolicy, origin: str, host_header: str | None,
                    scheme: str) -> bool:
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (sandboxed frames, file: pages) and anything odd
    default = 80 if parts.scheme == "http" else 443
    netloc = parts.hostname.rstrip(".") + ("" if port in (None, default) else f":{port}")
    same_scheme = parts.scheme == scheme
    if same_scheme and host_header is not None and _same_netloc(netloc, host_header, default):
        return True
    return policy.listed(parts.hostname.rstrip("."))  # behind a proxy that rewrites Host


def _same_netloc(netloc: str, host_header: str, default_port: int) -> bool:
    header = host_header.strip().lower()
    if header.endswith(f":{default_port}"):
        header = header[: -len(f":{default_port}")]
    return netloc.lower() == header.rstrip(".")


def check_body_type(mimetype: str) -> None:
    """415 for a state-changing request whose body type is not one the protocol uses."""
    if mimetype and mimetype not in BODY_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type '{mimetype}' is not accepted on {request.method}: send "
            "application/json (application/xml for cvt/xml/doc)")


class _InlineCode(HTMLParser):
    """Collects the text of inline ``<script>`` and ``<style>`` elements of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style" or (tag == "script" and not any(k == "src" for k, _ in attrs)):
            self._open, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            (self.scripts if tag == "script" else self.styles).append("".join(self._text))
            self._open = None


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def page_csp(html: str) -> str:
    """The CSP of an HTML page of ours: its assets from this origin, its own inline code by
    hash (no 'unsafe-inline', no 'unsafe-eval'), data: images (Swagger UI's icons), requests
    to this origin only."""
    found = _InlineCode()
    found.feed(html)
    found.close()
    scripts = " ".join(["'self'", *sorted({_sha256(s) for s in found.scripts})])
    styles = " ".join(["'self'", *sorted({_sha256(s) for s in found.styles})])
    return (f"default-src 'none'; script-src {scripts}; style-src {styles}; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")


def add_security_headers(resp: Response) -> Response:
    """The security headers, and a CSP that fits the response (a page or data)."""
    for name, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(name, value)
    resp.headers["Content-Security-Policy"] = _csp(resp)
    return resp


def _csp(resp: Response) -> str:
    if resp.mimetype != "text/html":
        return API_CSP
    if resp.direct_passthrough or resp.is_streamed:  # a bundled file: no inline code runs
        return FILE_PAGE_CSP
    return page_csp(resp.get_data(as_text=True))


def register(app: Flask, host: str, allowed_hosts: list[str]) -> None:
    """Install the guards: they run before authentication, on every path."""
    policy = HostPolicy.from_settings(host, allowed_hosts)

    @app.before_request
    def browser_guards() -> None:
        host_header = request.environ.get("HTTP_HOST")
        check_host(policy, host_header)
        if request.method in UNSAFE_METHODS and request.url_rule is not None:
            check_same_origin(policy, request.headers, host_header, request.scheme)
            check_body_type(request.mimetype)

    app.after_request(add_security_headers)
