"""Feeds as a service: add, list, remove and explain a server's feeds, and poll the due ones.

Adapters (the Discord `/feed` cog, the CLI's `briefbot feed …`) check permissions, call one method and render the
result with `bot.feeds.replies`. `scope_id` is the server asking (None: the operator's global feeds, from the CLI);
every read and write is scoped by it, so one server never sees another's feeds, items or explanations. A server's
feeds develop only its own stories (see `bot.feeds.matching`), so one server never changes what another is told;
`why` in a server also explains the global feeds' items, which develop the stories every server sees.

The runtime's feeds tick calls `poll_due`; the polling itself lives in `bot.feeds.poller`, the matching state in
`bot.feeds.matching`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from bot import markup
from bot.errors import UserError
from bot.feeds import schedule
from bot.feeds.filters import clean_words, split_words
from bot.feeds.identity import item_key, normalise_link
from bot.feeds.match import Matcher
from bot.feeds.matching import SERVER_ONLY, FeedMatching, new_item
from bot.feeds.model import FeedError, FeedItem
from bot.feeds.outcomes import FeedStatus, ItemOutcome, WhyKind
from bot.feeds.poller import FEED_ACCEPT, FeedPoller, read_feed
from bot.feeds.results import (
    FeedAdded,
    FeedChoice,
    FeedRemoved,
    FeedSummary,
    PollReport,
    PreviewItem,
    StoryLabel,
    WhyAnswer,
    WhyResult,
)
from bot.feeds.settings import FeedSettings
from bot.fetch import Fetcher, FetchError
from bot.limits import truncate
from bot.story_service import StoryService
from bot.text import STOPWORDS, plural, words
from storage.feeds import FeedRecord, FeedRepository, NewFeed, NewItem, StoredItem
from storage.stories import StoryRepository

log = logging.getLogger(__name__)

MIN_EVERY = 5  # minutes
MAX_EVERY = 1440
DEFAULT_EVERY = 15
PREVIEW_ITEMS = 3
MAX_FEEDS = 100  # per server; the operator's global feeds (CLI) have no cap
WHY_LIMIT = 5
TITLE_CHARS = 200
CHOICE_CHARS = 100  # Discord's limit for a choice's name
OPERATOR = None  # `scope_id` of the operator's global feeds
NOT_OWNED = markup.text(
    "Feeds here can only develop the stories added here (with /story add). The bot's operator adds feeds "
    "for global stories with ",
    markup.code("briefbot feed add URL --story SLUG"),
    ".",
)

__all__ = [
    "FeedAdded",
    "FeedChoice",
    "FeedRemoved",
    "FeedService",
    "FeedSettings",
    "FeedStatus",
    "FeedSummary",
    "ItemOutcome",
    "PollReport",
    "PreviewItem",
    "StoryLabel",
    "WhyAnswer",
    "WhyKind",
    "WhyResult",
    "split_words",
]


class UnknownFeed(UserError):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(self.message())

    def message(self, list_command: str = "/feed list") -> markup.Markup:
        """The message, pointing at the way to list feeds where it is shown (a chat command by default)."""
        named = markup.code(self.text[:100])
        return markup.text("No feed here matches ", named, ". ", markup.code(list_command), " shows the feeds here.")


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
        self.feeds = feeds
        self.stories = stories
        self.story_service = story_service
        self.fetcher = fetcher
        self.settings = settings or FeedSettings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()  # jitter, not secrets
        self.matching = FeedMatching(feeds, stories, Matcher(self.settings.match), wake_alerts=wake_alerts)
        self.poller = (
            None
            if fetcher is None
            else FeedPoller(
                feeds,
                self.matching,
                fetcher,
                self.settings,
                wake_delivery=wake_delivery,
                clock=self.clock,
                rng=self.rng,
            )
        )

    def _fetcher(self) -> Fetcher:
        if self.fetcher is None:
            raise UserError("Feeds cannot be fetched from here.")
        return self.fetcher

    # --- commands ------------------------------------------------------------------------------

    async def add(
        self,
        url: str,
        scope_id: str | None,
        channel_id: str | None,
        story: str | None = None,
        every: int = DEFAULT_EVERY,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> FeedAdded:
        """Fetches and parses the feed now; records its items as seen (they never alert) and saves it.

        `story`: a slug or title of a story this scope owns (a server's own, the operator's global ones); the feed
        is then a source for that story only. Without it, the feed develops every story the scope owns. `every`: 5 to
        1440 minutes. `include`/`exclude`: plain words or phrases (see `split_words`). A feed that cannot be
        fetched or parsed raises UserError (a FetchError or FeedError with the reason) and nothing is saved."""
        if not MIN_EVERY <= every <= MAX_EVERY:
            raise UserError(f"Check a feed every {MIN_EVERY} to {MAX_EVERY} minutes, not {every}.")
        include, exclude = clean_words(include), clean_words(exclude)
        url = url.strip()
        if not url:
            raise UserError("Give the feed's address (an http:// or https:// link).")
        label = None
        if story is not None and story.strip():
            record = await self.story_service.resolve(story, scope_id)
            if record.scope_id != scope_id:
                raise UserError(NOT_OWNED)
            label = StoryLabel(record.id, record.slug, record.title)
        if scope_id is not None and await self.feeds.count(scope_id) >= MAX_FEEDS:
            raise UserError(f"There are {MAX_FEEDS} feeds here already, the most there can be. Remove one first.")
        if await self.feeds.by_url(url, scope_id) is not None:
            raise UserError(f"{url} is already a feed here.")
        try:
            result = await self._fetcher().fetch(url, accept=FEED_ACCEPT)
            parsed = read_feed(result)
        except (FetchError, FeedError) as exc:
            raise UserError(f"Nothing was saved: {exc}") from None
        final = result.permanent_url or url
        if final != url and await self.feeds.by_url(final, scope_id) is not None:
            raise UserError(f"{url} moved to {final}, which is already a feed here.")
        now = self.clock()
        every_delta = timedelta(minutes=every)
        next_at = schedule.jittered(
            now, schedule.after_fetch(every_delta, schedule.server_asks(result, now)), self.settings.jitter, self.rng
        )
        title = truncate(parsed.title, TITLE_CHARS) or (parsed.link or final)
        items = [_baseline(item) for item in parsed.items]
        feed_id = await self.feeds.add(
            NewFeed(
                url=final,
                scope_id=scope_id,
                channel_id=channel_id,
                story_id=label.id if label else None,
                every_minutes=every,
                include=include,
                exclude=exclude,
                title=title,
                etag=result.etag,
                last_modified=result.last_modified,
                last_status=result.status,
                next_check_at=next_at,
                created_at=now,
            ),
            items,
        )
        if feed_id is None:
            raise UserError(f"{final} is already a feed here.")
        log.info("feed %s added (%s, server %s): %d items seen", feed_id, final, scope_id, len(items))
        return FeedAdded(
            feed_id=feed_id,
            url=final,
            title=title,
            story=label,
            every_minutes=every,
            include=include,
            exclude=exclude,
            newest=tuple(_newest(parsed.items)),
            items_seen=len({row.item_key for row in items}),
            next_check_at=next_at,
            global_feed=scope_id is None,
            owns_stories=True if scope_id is None or label else await self._owns_stories(scope_id),
        )

    async def _owns_stories(self, scope_id: str) -> bool:
        """Whether the server has added a story of its own (the only ones its feeds may develop)."""
        return scope_id in await self.stories.scopes_owning_stories({scope_id})

    async def list(self, scope_id: str | None) -> list[FeedSummary]:
        """This server's feeds, oldest first."""
        return [_summary(feed) for feed in await self.feeds.in_scope(scope_id)]

    async def remove(self, feed: str, scope_id: str | None) -> FeedRemoved:
        """`feed`: an id (what `choices` returns, `#12` too) or the feed's URL. UserError if none of this server's."""
        record = await self._find(feed, scope_id)
        if not await self.feeds.remove(record.id, scope_id):
            raise UnknownFeed(feed)
        log.info("feed %s removed (%s, server %s)", record.id, record.url, scope_id)
        return FeedRemoved(record.id, record.url, record.title)

    async def _find(self, text: str, scope_id: str | None) -> FeedRecord:
        text = text.strip()
        number = text.removeprefix("#")
        record = None
        if number.isdigit():
            record = await self.feeds.get(int(number), scope_id)
        elif text:
            record = await self.feeds.by_url(text, scope_id)
        if record is None:
            raise UnknownFeed(text)
        return record

    async def choices(self, text: str, scope_id: str | None) -> list[FeedChoice]:
        """Autocomplete for `remove`: at most 25 of this server's feeds whose title or URL contains `text`."""
        feeds = await self.feeds.choices(text[:100].removeprefix("#"), scope_id)
        return [FeedChoice(str(f.id), truncate(f"#{f.id} {f.title} · {f.url}", CHOICE_CHARS)) for f in feeds]

    async def why(self, item_text: str, scope_id: str | None) -> WhyResult:
        """What happened to an item of this server's feeds, by its link or words of its title. In a server, the
        items of the operator's global feeds are explained too: they develop the stories every server sees, so
        they are public (read-only here; `list` and `remove` show only the server's own feeds)."""
        text = " ".join(item_text.split())
        if not text:
            raise UserError("Give the item's link, or some words of its title.")
        with_global = scope_id is not OPERATOR
        feeds = await self.feeds.count(scope_id) + (await self.feeds.count(OPERATOR) if with_global else 0)
        if not feeds:
            raise UserError("No feeds are followed here yet, so no item has been seen.")
        link = normalise_link(text) if text.lower().startswith(("http://", "https://")) else None
        if link is not None:
            rows = await self.feeds.items_by_link(link, scope_id, WHY_LIMIT, with_global=with_global)
        else:
            found = words(text[:300])
            wanted = [w for w in found if w not in STOPWORDS] or found
            rows = await self.feeds.items_by_words(wanted[:8], scope_id, WHY_LIMIT, with_global=with_global)
        if not rows:
            return WhyResult(text, (await self._not_seen(scope_id, with_global),))
        return WhyResult(text, tuple([await self._answer(row, marked=with_global) for row in rows]))

    async def _not_seen(self, scope_id: str | None, with_global: bool) -> WhyAnswer:
        soonest = await self.feeds.next_check(scope_id, with_global=with_global)
        if soonest is None:
            return WhyAnswer(
                WhyKind.NOT_SEEN, "Not seen yet, and no feed here is being checked: every one is disabled."
            )
        whose = "the feeds here or the global feeds" if with_global else "the global feeds"
        return WhyAnswer(
            WhyKind.NOT_SEEN,
            markup.text(
                f"Not seen yet: no item of {whose} has that link or title. The next check is of ",
                markup.bold(soonest.title),
                ".",
            ),
            feed_id=soonest.id,
            feed_title=soonest.title,
            next_check_at=soonest.next_check_at,
        )

    async def _answer(self, row: StoredItem, *, marked: bool) -> WhyAnswer:
        """`marked`: say when the item is a global feed's (to a server, where most are its own)."""
        common = {
            "item_title": row.title,
            "item_link": row.link,
            "feed_id": row.feed_id,
            "feed_title": row.feed_title,
            "seen_at": row.first_seen_at,
            "global_feed": marked and row.global_feed,
        }
        outcome = ItemOutcome(row.outcome)
        story = StoryLabel(row.story_id, row.story_slug, row.story_title) if row.story_id and row.story_slug else None
        named = f"“{story.title}”" if story and story.title else "a story since removed"
        if outcome is ItemOutcome.BASELINE:
            text = "It was in the feed when the feed was added, so it was recorded as seen and never alerted."
            return WhyAnswer(WhyKind.BASELINE, text, **common)
        if outcome is ItemOutcome.OLD:
            text = "It is older than the feed: dated before the feed was added, so it never alerts."
            return WhyAnswer(WhyKind.OLD, text, **common)
        if outcome is ItemOutcome.FILTERED:
            sentence = row.reason.removeprefix("filtered: ")
            return WhyAnswer(
                WhyKind.FILTERED, f"Filtered by a word: {sentence}.", filter_word=row.filter_word, **common
            )
        score = row.score or 0.0
        if outcome is ItemOutcome.DEVELOPMENT:
            text = f"Matched to story {named} with score {score:.2f}: it became a development, and followers were told."
            return WhyAnswer(WhyKind.DEVELOPMENT, text, story=story, score=score, **common)
        if outcome is ItemOutcome.NOTHING_NEW:
            text = (
                f"Matched to story {named} with score {score:.2f}, but it said nothing the story did not already "
                "say, so nobody was told."
            )
            return WhyAnswer(WhyKind.NOTHING_NEW, text, story=story, score=score, **common)
        if outcome is ItemOutcome.DUPLICATE:
            outlets = (
                tuple(r.outlet for r in await self.feeds.reports(row.development_id)) if row.development_id else ()
            )
            how = row.reason.partition(": ")[2] or "the same event"
            headline = row.development_headline or "since removed"
            text = f"A duplicate of development “{headline}” of {named}: {how}. There was no second alert."
            if outlets:
                text += f" Also reported by: {', '.join(outlets)}."
            return WhyAnswer(
                WhyKind.DUPLICATE,
                text,
                story=story,
                score=score,
                development_headline=row.development_headline,
                also_reported_by=outlets,
                **common,
            )
        best = (
            StoryLabel(row.best_story_id, row.best_story_slug, row.best_story_title or "")
            if row.best_story_id and row.best_story_slug
            else None
        )
        threshold = self.settings.match.development_score
        if best is None and not row.global_feed and row.reason.startswith(SERVER_ONLY):
            text = (
                "Below the threshold: no story added here shares its words (a development needs "
                f"{threshold:.2f}). Feeds here develop only the stories added here; the bot's operator's feeds "
                "develop the global ones."
            )
        elif best is None:
            text = f"Below the threshold: no story here shares its words (a development needs {threshold:.2f})."
        else:
            text = (
                f"Below the threshold: the best story was “{best.title}” with score "
                f"{row.best_score or 0.0:.2f}; a development needs {threshold:.2f}."
            )
            if "another event" in row.reason:
                conflict = row.reason.partition("; ")[2]
                text += f" {conflict[:1].upper()}{conflict[1:]}."
        return WhyAnswer(WhyKind.BELOW_THRESHOLD, text, story=best, score=row.best_score, **common)

    # --- polling -------------------------------------------------------------------------------

    async def poll_due(self, now: datetime | None = None) -> PollReport:
        """The feeds tick: claims the due feeds and polls them (bounded per host and overall). The report says when
        the next feed is due, so the runtime can tick then rather than up to a tick late."""
        if self.poller is None:
            return PollReport()
        tally = await self.poller.poll_due(now)
        return PollReport(**tally, next_due=await self.feeds.next_due())


def _baseline(item: FeedItem) -> NewItem:
    return new_item(item, item_key(item), ItemOutcome.BASELINE, item.outlet, reason="in the feed when it was added")


def _newest(items: Sequence[FeedItem]) -> list[PreviewItem]:
    """The newest PREVIEW_ITEMS: by date, undated ones in the feed's order after the dated ones."""
    dated = sorted((i for i in items if i.published), key=lambda i: i.published, reverse=True)  # type: ignore[arg-type, return-value]
    ordered = [*dated, *(i for i in items if not i.published)]
    return [
        PreviewItem(i.title or i.summary[:100] or "(untitled)", i.link, i.published) for i in ordered[:PREVIEW_ITEMS]
    ]


def _summary(feed: FeedRecord) -> FeedSummary:
    if feed.disabled_at is not None:
        status, reason = FeedStatus.DISABLED, feed.disabled_reason
    elif feed.failure_count:
        status, reason = FeedStatus.FAILING, f"{feed.last_error} ({plural(feed.failure_count, 'failure')} in a row)"
    else:
        status, reason = FeedStatus.OK, None
    story = StoryLabel(feed.story_id, feed.story_slug or "", feed.story_title or "") if feed.story_id else None
    return FeedSummary(
        feed_id=feed.id,
        url=feed.url,
        title=feed.title,
        story=story,
        every_minutes=feed.every_minutes,
        include=feed.include,
        exclude=feed.exclude,
        status=status,
        reason=reason,
        failure_count=feed.failure_count,
        last_fetch_at=feed.last_fetch_at,
        next_check_at=feed.next_check_at,
        item_count=feed.item_count,
        created_at=feed.created_at,
    )
