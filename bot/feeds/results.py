"""What the feed service answers: frozen results that `bot.feeds.replies` renders for every adapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.feeds.outcomes import FeedStatus, WhyKind
from bot.markup import Content


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
    story: StoryLabel | None  # the one story it is a source for; None: every story its scope owns
    every_minutes: int
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    newest: tuple[PreviewItem, ...]  # at most PREVIEW_ITEMS, newest first
    items_seen: int  # items recorded as seen now; they never alert
    next_check_at: datetime
    global_feed: bool = False  # the operator's: it develops the global stories
    owns_stories: bool = True  # False: a server's feed while the server has no story of its own to develop


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
    """What happened to one item, with the evidence.

    `text` is the explanation as card text (markup, or a str of plain text), without times: a renderer adds
    `seen_at` and `next_check_at` in the audience's zone. The other fields are plain text."""

    kind: WhyKind
    text: Content
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
    global_feed: bool = False  # an item of the operator's global feeds (shown read-only in a server)


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
    next_due: datetime | None = None  # when the next feed is due (the runtime ticks again then, if sooner)
