"""Checks for URLs that users give and for the addresses they resolve to: public http(s) only."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import quote, urlsplit

from bot.errors import UserError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 500
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
# Hosts browsers read as IPv4 in short, decimal, hex or octal form: 127.1, 2130706433, 0x7f000001, 0177.0.0.1.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")


# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits; a NAT64 gateway would reach it.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def parse_address(host: str) -> IPAddress | None:
    """The address a URL host names literally, in any spelling a resolver accepts; None for a name."""
    return _address(host.strip("[]").lower().rstrip("."))


def host_key(host: str) -> str:
    """One spelling per host, to compare a URL's host with an allow list: `[0::1]` and `::1` are the same."""
    host = host.strip().strip("[]").lower().rstrip(".")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def show_address(address: IPAddress) -> str:
    """`::ffff:127.0.0.1` rather than Python 3.11's `::ffff:7f00:1`."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return address.compressed


def address_refusal(address: IPAddress) -> str | None:
    """Why an address must not be fetched ("a private address"), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:  # IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 inside
            return address_refusal(embedded)
    # Most specific first: 127.0.0.1 is also "private" to Python, but "loopback" says more.
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "a non-public address"),  # e.g. 100.64.0.0/10, shared by carrier-grade NAT
    )
    return next((reason for refused, reason in checks if refused), None)


def public_http_url(url: str) -> str:
    """Returns the URL if it is a public http(s) address; raises UserError explaining why not."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UserError(f"That URL is longer than {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError("Give a full http:// or https:// link.")
    host = parts.hostname.lower().rstrip(".")  # "localhost." is localhost
    if not host:
        raise UserError("Give a full http:// or https:// link.")
    if host in _LOCAL_NAMES or host.endswith((".local", ".internal", ".localhost")):
        raise UserError("That link points at a private address; give a public one.")
    address = _address(host)
    if address is None:
        return url
    if address_refusal(address) is not None:
        raise UserError("That link points at a private address; give a public one.")
    return url


def link_target(url: str, safe: str) -> str | None:
    """`url` percent-encoded but for the characters in `safe`, if it is an http(s) address with a host, else None.

    A renderer passes the characters its link syntax can hold, so a target can never end a link early."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a malformed port or IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return quote(url, safe=safe)
