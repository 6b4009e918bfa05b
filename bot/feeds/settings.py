"""How feeds are polled, from the bot's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.feeds.match import MatchSettings
from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """How feeds are polled; `from_settings` reads them from the bot's settings."""

    concurrency: int = 8  # fetches at once, overall (FEED_CONCURRENCY)
    per_host: int = 2  # fetches at once to one host
    max_failures: int = 10  # failures in a row before a feed is disabled (FEED_MAX_FAILURES)
    fetch_articles: bool = True  # read each new item's linked article for matching (FEED_FETCH_ARTICLES)
    jitter: float = 0.1  # next checks are spread by up to this share of the interval (at most MAX_JITTER)
    max_backoff: timedelta = timedelta(hours=24)
    match: MatchSettings = field(default_factory=MatchSettings)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedSettings:
        return cls(
            concurrency=settings.feed_concurrency,
            max_failures=settings.feed_max_failures,
            fetch_articles=settings.feed_fetch_articles,
        )
