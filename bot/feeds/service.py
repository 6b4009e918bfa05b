"""Feeds as a service: add, list, remove and explain a server's feeds, and poll the due ones.

Adapters (the Discord `/feed` cog, the CLI's `briefbot feed …`) check permissions, call one method and render the
result with `bot.feeds.replies`. `guild_id` is the server asking (None: the operator's global feeds, from the CLI);
every read and write is scoped by it, so one server never sees another's feeds, items or explanations.

The runtime's feeds tick calls `poll_due`; the polling itself lives in `bot.feeds.poller`, the matching state in
`bot.feeds.matching`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.feeds.match import MatchSettings
from bot.fetch import Fetcher
from bot.story_service import StoryService
from storage.feeds import FeedRepository
from storage.stories import StoryRepository

MIN_EVERY = 5  # minutes
MAX_EVERY = 1440
DEFAULT_EVERY = 15
PREVIEW_ITEMS = 3


class FeedStatus(StrEnum):
    OK = "ok"
    FAILING = "failing"  # the last fetch failed; `reason` says why, and it is retried with backoff
    DISABLED = "disabled"  # no longer polled; `reason` says why


class ItemOutcome(StrEnum):
    """What happened to one feed item; stored with it, and what `/feed why` explains."""

    BASELINE = "baseline"  # in the feed when it was added: recorded as seen, never alerts
    OLD = "old"  # dated before the feed was added
    FILTERED = "filtered"  # an include word missing, or an exclude word present
    DEVELOPMENT = "development"  # became a development of a story: its followers are alerted
    NOTHING_NEW = "nothing_new"  # matched a story, but said nothing the story did not already say
    DUPLICATE = "duplicate"  # the same event as a known development: "also reported by"
    UNRELATED = "unrelated"  # below the threshold for every candidate story


class WhyKind(StrEnum):
    """The answer of `/feed why`: one per outcome, and one for an item not seen yet."""

    BASELINE = "baseline"
    OLD = "old"
    FILTERED = "filtered"
    DEVELOPMENT = "development"
    NOTHING_NEW = "nothing_new"
    DUPLICATE = "duplicate"
    BELOW_THRESHOLD = "below_threshold"
    NOT_SEEN = "not_seen"


@dataclass(frozen=True, slots=True)
class PreviewItem:
    """One of a feed's newest items, as plain text (titles are not escaped; `replies` escapes them)."""

    title: str
    link: str | None  # http(s) only
    published: datetime | None


@dataclass(frozen=True, slots=True)
class StoryLabel:
    id: int
    slug: str
    title: str


@dataclass(frozen=True, slots=True)
class FeedAdded:
    feed_id: int
    url: str  # where it is polled (after a permanent redirect, the new URL)
    title: str
    story: StoryLabel | None  # the one story it is a source for; None: every story the server sees
    every_minutes: int
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    newest: tuple[PreviewItem, ...]  # at most PREVIEW_ITEMS, newest first
    items_seen: int  # items recorded as seen now; they never alert
    next_check_at: datetime


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """One row of `/feed list`."""

    feed_id: int
    url: str
    title: str
    story: StoryLabel | None
    every_minutes: int
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    status: FeedStatus
    reason: str | None  # why failing or disabled
    failure_count: int
    last_fetch_at: datetime | None
    next_check_at: datetime | None  # None when disabled
    item_count: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FeedRemoved:
    feed_id: int
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class FeedChoice:
    """An autocomplete choice: `value` is what `remove` accepts (the feed's id), `name` what is shown."""

    value: str
    name: str


@dataclass(frozen=True, slots=True)
class WhyAnswer:
    """What happened to one item, with the evidence. `text` is one plain sentence (not escaped)."""

    kind: WhyKind
    text: str
    item_title: str | None = None
    item_link: str | None = None
    feed_id: int | None = None
    feed_title: str | None = None
    seen_at: datetime | None = None
    story: StoryLabel | None = None  # matched (development, nothing new, duplicate) or best (below threshold)
    score: float | None = None
    development_headline: str | None = None  # for a duplicate: the development it repeats
    also_reported_by: tuple[str, ...] = ()  # for a duplicate: the outlets recorded on that development
    filter_word: str | None = None
    next_check_at: datetime | None = None  # for an item not seen yet


@dataclass(frozen=True, slots=True)
class WhyResult:
    query: str
    answers: tuple[WhyAnswer, ...]  # one per matching item (at most WHY_LIMIT), or one NOT_SEEN answer


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one feeds tick did (for logs, tests and benchmarks)."""

    feeds: int = 0  # feeds fetched
    not_modified: int = 0
    failed: int = 0
    disabled: int = 0
    moved: int = 0
    new_items: int = 0
    developments: int = 0
    duplicates: int = 0


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


class FeedService:
    """Built once with the fetcher, repositories and wakeups; see the module docstring.

    `fetcher` None: a service that can list, remove and explain feeds but not add or poll them. `clock` and `rng`
    are for tests (an injected clock, no jitter surprises)."""

    def __init__(
        self,
        feeds: FeedRepository,
        stories: StoryRepository,
        story_service: StoryService,
        fetcher: Fetcher | None,
        *,
        settings: FeedSettings | None = None,
        wake_alerts: Callable[[], None] = lambda: None,
        wake_delivery: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        raise NotImplementedError

    async def add(
        self,
        url: str,
        guild_id: int | None,
        channel_id: int | None,
        story: str | None = None,
        every: int = DEFAULT_EVERY,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> FeedAdded:
        """Fetches and parses the feed now; records its items as seen (they never alert) and saves it.

        `story`: a slug or title the server can see; the feed is then a source for that story only. `every`: 5 to
        1440 minutes. `include`/`exclude`: plain words or phrases (see `split_words`). A feed that cannot be
        fetched or parsed raises UserError (a FetchError or FeedError with the reason) and nothing is saved."""
        raise NotImplementedError

    async def list(self, guild_id: int | None) -> list[FeedSummary]:
        """This server's feeds, oldest first."""
        raise NotImplementedError

    async def remove(self, feed: str, guild_id: int | None) -> FeedRemoved:
        """`feed`: an id (what `choices` returns, `#12` too) or the feed's URL. UserError if none of this server's."""
        raise NotImplementedError

    async def choices(self, text: str, guild_id: int | None) -> list[FeedChoice]:
        """Autocomplete for `remove`: at most 25 of this server's feeds whose title or URL contains `text`."""
        raise NotImplementedError

    async def why(self, item_text: str, guild_id: int | None) -> WhyResult:
        """What happened to an item of this server's feeds, by its link or words of its title."""
        raise NotImplementedError

    async def poll_due(self, now: datetime | None = None) -> PollReport:
        """The feeds tick: claims the due feeds and polls them (bounded per host and overall)."""
        raise NotImplementedError


def split_words(text: str | None) -> tuple[str, ...]:
    """`"strike, rail union"` -> ("strike", "rail union"): comma-separated plain words or phrases, never patterns."""
    raise NotImplementedError
