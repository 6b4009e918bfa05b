"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read with `json`.

fastfeedparser reads JSON Feed too, but it trusts every item to be well typed: one item whose `authors` is a list
of strings, or an item that is not an object, fails the whole feed. Here a malformed item is skipped and the
rest are kept, like a broken XML feed's readable items.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from bot.feeds.model import FeedError, FeedErrorReason, FeedFormat, FeedItem, ParsedFeed
from bot.feeds.text import plain_text, safe_link

log = logging.getLogger(__name__)


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") or "json" in (content_type or "").lower()


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [item.get("author")]  # 1.0
    for author in authors:
        if isinstance(author, dict) and _string(author.get("name")):
            return plain_text(author["name"], 200)
    return None


def parse_json_feed(
    body: bytes,
    url: str,
    make_item: Callable[..., FeedItem | None],
    max_items: int,
) -> ParsedFeed:
    """`make_item` is the XML path's item builder, so both formats clean text, links and dates the same way."""
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise FeedError(FeedErrorReason.NOT_A_FEED, f"That is not a feed: the JSON does not parse ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError(FeedErrorReason.NOT_A_FEED, "That JSON is not a JSON Feed: it has no list of items.")
    feed_title = plain_text(data.get("title"), 300)
    items: list[FeedItem] = []
    for raw in data["items"][:max_items]:
        if not isinstance(raw, dict):
            log.debug("JSON Feed %s: skipped an item that is not an object", url)
            continue
        summary = _string(raw.get("summary")) or _string(raw.get("content_html")) or _string(raw.get("content_text"))
        item = make_item(
            guid=raw.get("id"),
            link=_string(raw.get("url")) or _string(raw.get("external_url")),
            title=raw.get("title"),
            summary=summary,
            published=_string(raw.get("date_published")) or _string(raw.get("date_modified")),
            author=_author(raw),
            outlet=feed_title or None,
        )
        if item is not None:
            items.append(item)
    return ParsedFeed(
        url=url,
        format=FeedFormat.JSON,
        title=feed_title,
        link=safe_link(data.get("home_page_url"), url),
        items=tuple(items),
    )
