"""What a parsed feed is, and why a body is not one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.errors import UserError


class FeedFormat(StrEnum):
    RSS = "rss"  # RSS 0.9x and 2.0
    RDF = "rdf"  # RSS 1.0
    ATOM = "atom"
    JSON = "json"  # JSON Feed 1.0 / 1.1


class FeedErrorReason(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    HTML = "html"
    ENTITIES = "entities"
    NOT_A_FEED = "not_a_feed"


class FeedError(UserError):
    """The body is not a feed we read; the message says why, for `/feed add` and `/feed list`."""

    def __init__(self, reason: FeedErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry, as plain text. `link` is an absolute http(s) URL or None; `published` is aware UTC or None.

    `outlet` is who published it: the feed's own title (fastfeedparser does not read RSS's per-item `<source>`).
    """

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None
    author: str | None
    outlet: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed as read: `repaired` says the XML was not well-formed and was read leniently."""

    url: str
    format: FeedFormat
    title: str
    link: str | None
    items: tuple[FeedItem, ...]
    repaired: bool = False
