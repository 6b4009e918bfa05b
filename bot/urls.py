"""Checks for URLs that users give: public http(s) only."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from bot.errors import UserError

MAX_URL_LENGTH = 500
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
# Hosts browsers read as IPv4 in short, decimal, hex or octal form: 127.1, 2130706433, 0x7f000001, 0177.0.0.1.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
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
    if not address.is_global:
        raise UserError("That link points at a private address; give a public one.")
    return url
