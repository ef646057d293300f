"""The address policy of every call the app makes, and the one way to make such a call.

Connectors choose the URLs the app calls (a notification endpoint, a hook): without a policy
one could make the app call the services of its own network. So a URL is refused

- by its text, when saved and again before each call: anything but plain http(s), a user
  name or password, a backslash, spaces, control or non-ASCII characters, an IPv6 zone, an
  IPv4 address in any form but four decimal numbers, or a URL that urllib3 (which connects)
  and `urlsplit` (which the app reads) take apart differently;
- by its addresses, when the call connects: the host is resolved once, every address it
  resolves to must be public (`connectors.egress_addresses`: not loopback, private, link-local,
  unique-local, site-local, multicast, reserved, unspecified, shared, documentation, Teredo,
  IPv4-compatible, nor a NAT64, 6to4 or IPv4-mapped address embedding such an IPv4 address),
  and the socket is opened to the address checked — never to a second answer of the DNS, which
  could differ.
  TLS still verifies the certificate of the host name, and the Host header names it.

No redirect is followed, no proxy or `.netrc` of the environment is used, and an answer's
body is read only up to a bound. `OUTBOUND_ALLOW_PRIVATE_URLS` lifts the address rules (not
the text ones) for operators whose connectors live on their own network.

`post` is the only function of the app that reaches the network over HTTP: a test checks that
no other module imports an HTTP client.
"""

import ipaddress
import logging
import os
import re
import socket
from dataclasses import dataclass
from enum import StrEnum
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import parse_url
from urllib3.util.connection import allowed_gai_family
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from kit.errors import DomainError

from .egress_addresses import address_problem

logger = logging.getLogger(__name__)

SCHEMES = ("http", "https")
# Of an answer, only the status matters: a body longer than this is not read (nor kept alive).
MAX_ANSWER_BYTES = 64 * 1024

IPV4_LITERAL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


def private_urls_allowed() -> bool:
    return settings.OUTBOUND_ALLOW_PRIVATE_URLS


# ---------------------------------------------------------------------------------------------
# Connections


class AddressRefused(NewConnectionError):
    """The host resolved to an address the policy refuses: no connection was opened."""


class _NotPublic(Exception):
    """Raised by `_checked_addresses`: which address the policy refuses, and why (for the log)."""


def _checked_addresses(host: str, port: int) -> list[tuple[socket.AddressFamily, tuple]]:
    """Resolve `host` once; return every (family, socket address) when all of them may be called.

    Raise `socket.gaierror` when it does not resolve, `_NotPublic` naming the first refused
    address otherwise.
    """
    found = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    addresses = [(family, sockaddr) for family, _, _, _, sockaddr in found]
    if not private_urls_allowed():
        for family, sockaddr in addresses:
            address = ipaddress.ip_address(sockaddr[0])
            if family == socket.AF_INET6 and sockaddr[3] and not address.scope_id:
                address = ipaddress.IPv6Address(f"{address}%{sockaddr[3]}")
            problem = address_problem(address)
            if problem:
                raise _NotPublic(f"{host} resolves to {address}, {problem}")
    return addresses


def _open_socket(family, sockaddr, *, timeout, source_address, socket_options) -> socket.socket:
    """Connect a socket to one checked address, as urllib3's `create_connection` would."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        for option in socket_options or ():
            sock.setsockopt(*option)
        if timeout is not _DEFAULT_TIMEOUT:
            sock.settimeout(timeout)
        if source_address:
            sock.bind(source_address)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class _CheckedConnect:
    """urllib3's connection, but it connects to the addresses the policy checked, resolved once."""

    def _new_conn(self) -> socket.socket:
        host = self._dns_host.strip("[]")
        try:
            addresses = _checked_addresses(host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        except _NotPublic as refused:
            raise AddressRefused(self, str(refused)) from None
        error = None
        for family, sockaddr in addresses:
            try:
                return _open_socket(
                    family,
                    sockaddr,
                    timeout=self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as timeout:
                error = ConnectTimeoutError(self, f"Connection to {self.host} timed out: {timeout}")
            except OSError as failure:
                error = NewConnectionError(self, f"Failed to establish a new connection: {failure}")
        raise error or NewConnectionError(self, f"{self.host} resolves to no address")


class _HTTPConnection(_CheckedConnect, HTTPConnection):
    pass


class _HTTPSConnection(_CheckedConnect, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise requests.exceptions.InvalidProxyURL("Outbound calls go through no proxy.")


# ---------------------------------------------------------------------------------------------
# URLs


class UrlRefused(DomainError, ValueError):
    """A URL the policy refuses by its text; the message says why, to whoever gave it."""

    code = "invalid"
    status = 400


def url_problem(url) -> str | None:
    """Say why the policy refuses `url` by its text alone (no network), or return None.

    The address rules apply to a host written as an address (or `localhost`, or a name
    without a dot) unless `OUTBOUND_ALLOW_PRIVATE_URLS` is set; a name is checked when called.
    """
    if not isinstance(url, str) or not url:
        return gettext("Give an http:// or https:// URL.")
    if any(not "!" <= character <= "~" for character in url):
        return gettext(
            "A URL may not contain spaces, control characters or characters outside ASCII: "
            "write a host name in its xn-- form and percent-encode the rest."
        )
    if "\\" in url:
        return gettext("A URL may not contain a backslash.")
    try:
        parts = urlsplit(url)
        port = parts.port
        connected = parse_url(url)
    except (ValueError, LocationParseError):
        return gettext("This is not a valid URL.")
    if parts.scheme.lower() not in SCHEMES:
        return gettext("Give an http:// or https:// URL.")
    if "@" in parts.netloc:
        return gettext("A URL may not carry a user name or password: send credentials in a header.")
    host = parts.hostname or ""
    if not host or port == 0:
        return gettext("The URL has no host, or a port out of range.")
    if "%" in host:
        return gettext("A URL may not name an IPv6 zone (%).")
    if (connected.scheme, (connected.host or "").strip("[]").lower(), connected.port) != (
        parts.scheme.lower(),
        host,
        port,
    ):
        return gettext("Write the URL plainly: its host and port are read differently by different parsers.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
        if IPV4_LITERAL.match(host.rstrip(".").rsplit(".", 1)[-1]):
            return gettext("Write an IPv4 address as four decimal numbers, e.g. 203.0.113.7.")
    if private_urls_allowed():
        return None
    if address is not None:
        problem = address_problem(address)
        if problem:
            return gettext("%(host)s is %(problem)s; use a public address.") % {
                "host": host,
                "problem": problem,
            }
    elif host.rstrip(".") == "localhost" or host.rstrip(".").endswith(".localhost"):
        return gettext("%(host)s is this server itself; use a public address.") % {"host": host}
    elif "." not in host.rstrip("."):
        return gettext("%(host)s is a name on this server's own network; use a public host name.") % {
            "host": host
        }
    return None


def url_check(url) -> None:
    """Raise `UrlRefused` when the policy refuses the URL by its text (see `url_problem`)."""
    problem = url_problem(url)
    if problem:
        raise UrlRefused(problem)


def url_validate(url) -> None:
    """Validate a URL the app will call, when it is saved: its text, then the addresses its host
    resolves to now (a name that does not resolve is left to the call, which checks it again)."""
    problem = url_problem(url)
    if problem:
        raise ValidationError(problem, code="outbound_url")
    if private_urls_allowed():
        return
    parts = urlsplit(url)
    try:
        _checked_addresses(parts.hostname, parts.port or (443 if parts.scheme.lower() == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return
    except _NotPublic:
        raise ValidationError(
            gettext("%(host)s resolves to an address that is not public; use a public host name.")
            % {"host": parts.hostname},
            code="outbound_address",
        ) from None


# ---------------------------------------------------------------------------------------------
# Calls


class Failure(StrEnum):
    REFUSED = "refused"  # the policy refused the URL or its address: nothing was sent
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # no answer: the name did not resolve, the connection failed …


@dataclass(frozen=True)
class Reply:
    """What a call came to: the HTTP status of the answer, or why there was none; and the answer's
    `Retry-After`, when it asked the caller to come back later (429, 503)."""

    status: int | None
    failure: Failure | None = None
    retry_after: str = ""


_session: tuple[tuple, requests.Session] | None = None


def _http() -> requests.Session:
    """This process's HTTP session: connections are kept open between calls (a new TCP
    connection a notification was a large part of its cost). Made anew in a forked process
    and when the policy's setting changes; it keeps no cookies, so one call never carries what
    another was answered, and it ignores the environment's proxies and `.netrc`."""
    global _session
    key = (os.getpid(), private_urls_allowed())
    if _session is None or _session[0] != key:
        session = requests.Session()
        session.trust_env = False
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        adapter = _CheckedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _session = (key, session)
    return _session[1]


def _origin(url: str) -> str:
    """The URL without its path and query, which may carry a credential: for the log."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"
    except ValueError:
        return "an invalid URL"


def post(url: str, *, payload: bytes, headers: dict, timeout: float) -> Reply:
    """POST `payload` to `url` under the policy; no redirect is followed.

    Why a call failed is logged here, never returned in detail: what answered on an address,
    or that nothing did, is not for the one who chose the URL to learn.
    """
    problem = url_problem(url)
    if problem:
        logger.warning("Outbound call to %s refused: %s", _origin(url), problem)
        return Reply(status=None, failure=Failure.REFUSED)
    try:
        response = _http().post(
            url, data=payload, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        )
    except requests.ConnectionError as error:
        reason = getattr(error.args[0], "reason", None) if error.args else None
        if isinstance(reason, AddressRefused):
            logger.warning("Outbound call to %s refused: %s", _origin(url), reason)
            return Reply(status=None, failure=Failure.REFUSED)
        failure = Failure.TIMEOUT if isinstance(error, requests.Timeout) else Failure.UNREACHABLE
        logger.info("Outbound call to %s failed: %s", _origin(url), reason or type(error).__name__)
        return Reply(status=None, failure=failure)
    except requests.Timeout as error:
        logger.info("Outbound call to %s timed out: %s", _origin(url), type(error).__name__)
        return Reply(status=None, failure=Failure.TIMEOUT)
    except requests.RequestException as error:
        logger.info("Outbound call to %s failed: %s", _origin(url), type(error).__name__)
        return Reply(status=None, failure=Failure.UNREACHABLE)
    with response:
        try:
            read = 0
            for chunk in response.raw.stream(MAX_ANSWER_BYTES, decode_content=False):
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break  # left unread: closing drops the connection instead of keeping it
        except (requests.RequestException, Urllib3Error, OSError) as error:
            logger.info("Outbound call to %s: reading the answer failed: %r", _origin(url), error)
    asks_to_wait = response.status_code in (429, 503)
    return Reply(
        status=response.status_code,
        retry_after=response.headers.get("Retry-After", "")[:100] if asks_to_wait else "",
    )
