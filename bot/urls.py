"""Checks for URLs that users give: public http(s) only."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from bot.errors import UserError

MAX_URL_LENGTH = 500
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def public_http_url(url: str) -> str:
    """Returns the URL if it is a public http(s) address; raises UserError explaining why not."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UserError(f"That URL is longer than {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError("Give a full http:// or https:// link.")
    host = parts.hostname.lower()
    if host in _LOCAL_NAMES or host.endswith((".local", ".internal", ".localhost")):
        raise UserError("That link points at a private address; give a public one.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    if not address.is_global:
        raise UserError("That link points at a private address; give a public one.")
    return url
