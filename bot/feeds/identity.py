"""Which items are the same item: the dedupe key of a feed item.

`item_key(item)` is, in order of preference:

1. `id:<guid>`, when the item has a guid. A guid that is an http(s) URL is normalised like a link, because
   feeds that use permalinks as guids add tracking parameters that change between polls.
2. `link:<normalised link>`, when it has a link:
   - scheme and host in lower case, default ports and a trailing dot on the host dropped;
   - http and https read as one (sites move to https and feeds follow);
   - no fragment, and no tracking parameters (`utm_*`, `fbclid`, `gclid` and a few others);
   - the query sorted;
   - no trailing slash on the path.
3. `hash:<sha256 of title and date>` otherwise.

Each key is prefixed with its kind, so a guid that happens to equal another item's link never collides with it.
A feed that reorders items, re-dates one or edits a title keeps its key under 1 and 2. Under 3, the title and
date are all there is. Keys are scoped to one feed by the caller, since guids are only unique within a feed.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.feeds.model import FeedItem

# Parameters that only say where a click came from.
_TRACKING = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_link(url: str) -> str | None:
    """The link in its comparable form, or None if it is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = host if port in (None, *_DEFAULT_PORTS.values()) else f"{host}:{port}"
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in _TRACKING
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def item_key(item: FeedItem) -> str:
    if item.guid:
        guid = item.guid.strip()
        as_link = normalise_link(guid) if guid.lower().startswith(("http://", "https://")) else None
        return f"id:{as_link or guid}"
    if item.link and (link := normalise_link(item.link)):
        return f"link:{link}"
    title = " ".join(item.title.casefold().split())
    basis = f"{title}\n{item.published.isoformat() if item.published else ''}"
    if not title and item.published is None:
        basis = " ".join(item.summary.casefold().split())  # all that is left to tell items apart
    return "hash:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()
