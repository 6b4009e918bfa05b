"""Polling: the feeds tick claims the due feeds and polls each one, at most `concurrency` at once and `per_host`
per host.

A feed is a due row (`next_check_at`), like a digest slot; no scheduler job per feed. Claiming moves the row
`LEASE` ahead in the same transaction, so a poll that never finishes (a crash) is retried after the lease.

One poll: a conditional GET (ETag, Last-Modified); a 304 costs one row update and no parse. Otherwise the body is
parsed, the items not seen before (by `item_key`, per feed, for ever) are sorted oldest first and each gets an
outcome: older than the feed, filtered, or decided by the matcher (see `bot.feeds.matching`). Items are stored
before the new validators, so a crash in between fetches them again instead of losing them.

Failures back off (see `bot.feeds.schedule`). After `max_failures` in a row, or at once on 410 Gone, the feed is
disabled and the channel where it was added is told once, through the outbox. A permanent redirect (301/308 from
the first hop) moves the feed to its new URL.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot import markup, payloads
from bot.cards import Card
from bot.feeds import schedule
from bot.feeds.filters import WordFilter
from bot.feeds.identity import item_key
from bot.feeds.match import FeedItemText
from bot.feeds.matching import FeedMatching, NewFeedItem, item_row
from bot.feeds.model import FeedError, FeedErrorReason, FeedItem, ParsedFeed
from bot.feeds.outcomes import ItemOutcome
from bot.feeds.parse import parse_feed
from bot.fetch import Fetcher, FetchError, FetchResult
from bot.intake import HTML_TYPES
from bot.limits import MessagePart, truncate
from bot.urls import host_key
from storage.feeds import FeedRecord, FeedRepository, NewItem, Report
from storage.outbox import OutgoingMessage, TargetKind

if TYPE_CHECKING:
    from bot.feeds.service import FeedSettings

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/feed+json,application/xml;q=0.9,text/xml;q=0.9,"
    "application/json;q=0.8,*/*;q=0.5"
)
ARTICLE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
CLAIM_BATCH = 200
LEASE = timedelta(minutes=10)
MAX_ARTICLES_PER_POLL = 10  # the rest of a burst of new items is decided on its title and summary
ARTICLE_CHARS = 20_000


# What polls did, by PollReport's field names (the service turns it into one).
Tally = Counter[str]


class Slots:
    """At most `overall` fetches at once, and `per_host` to any one host."""

    def __init__(self, overall: int, per_host: int) -> None:
        self._overall = asyncio.Semaphore(overall)
        self._per_host = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def take(self, url: str) -> AsyncIterator[None]:
        host = _host(url)
        semaphore = self._hosts.setdefault(host, asyncio.Semaphore(self._per_host))
        self._users[host] = self._users.get(host, 0) + 1
        try:
            async with semaphore, self._overall:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:  # nobody waits on it: forget the host, or the map grows with every site
                del self._users[host], self._hosts[host]


def _host(url: str) -> str:
    try:
        return host_key(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def disabled_notice(feed: FeedRecord, reason: str, now: datetime) -> list[OutgoingMessage]:
    """One message in the channel where the feed was added; none for a global feed (no channel)."""
    if feed.channel_id is None:
        return []
    card = Card(
        title=truncate(f"Feed disabled: {feed.title}", 256),
        description=markup.text(
            f"I stopped checking {feed.url} because {reason}.\n",
            markup.code("/feed list"),
            " shows it; ",
            markup.code("/feed remove"),
            " removes it, and ",
            markup.code("/feed add"),
            " adds it again once it works.",
        ),
    )
    key = f"feed-disabled:{feed.id}:{now:%Y%m%dT%H%M%S%f}"
    return [
        OutgoingMessage(
            dedupe_key=key,
            kind="feed",
            target_kind=TargetKind.CHANNEL,
            target_id=feed.channel_id,
            payload_json=payloads.dump(MessagePart("", (card,))),
            ref=f"feed:{feed.id}",
        )
    ]


def ordered_items(parsed: ParsedFeed) -> list[tuple[str, FeedItem]]:
    """The feed's items with their keys, once per key, oldest first (feeds list the newest first)."""
    seen: set[str] = set()
    keyed: list[tuple[str, FeedItem]] = []
    for item in reversed(parsed.items):
        key = item_key(item)
        if key not in seen:
            seen.add(key)
            keyed.append((key, item))
    return sorted(keyed, key=lambda pair: (pair[1].published is None, pair[1].published or 0))  # type: ignore[operator]


def read_feed(result: FetchResult) -> ParsedFeed:
    """The parsed feed; FeedError also for a broken feed that yields no item (a cut-off body, say)."""
    parsed = parse_feed(result.body, result.content_type, result.url)
    if parsed.repaired and not parsed.items:
        raise FeedError(FeedErrorReason.NOT_A_FEED, "That feed is cut off or broken: no item could be read.")
    return parsed


class FeedPoller:
    def __init__(
        self,
        feeds: FeedRepository,
        matching: FeedMatching,
        fetcher: Fetcher,
        settings: FeedSettings,
        *,
        wake_delivery: Callable[[], None],
        clock: Callable[[], datetime],
        rng: random.Random,
    ) -> None:
        self.feeds = feeds
        self.matching = matching
        self.fetcher = fetcher
        self.settings = settings
        self.wake_delivery = wake_delivery
        self.clock = clock
        self.rng = rng
        self.slots = Slots(settings.concurrency, settings.per_host)

    async def poll_due(self, now: datetime | None = None) -> Tally:
        """Polls every feed due by `now`, in batches, until none is left."""
        now = now or self.clock()
        tally: Tally = Counter()
        await self.matching.refresh()
        while True:
            claimed = await self.feeds.claim_due(now, now + LEASE, CLAIM_BATCH)
            if claimed:
                await asyncio.gather(*(self._poll_safely(feed, tally) for feed in claimed))
            if len(claimed) < CLAIM_BATCH:
                break
        if tally["feeds"]:
            log.info(
                "feeds tick: %d polled (%d unchanged, %d failed, %d disabled), %d new items, %d developments",
                *(tally[name] for name in ("feeds", "not_modified", "failed", "disabled", "new_items", "developments")),
            )
        return tally

    async def _poll_safely(self, feed: FeedRecord, tally: Tally) -> None:
        try:
            await self.poll(feed, tally)
        except sqlite3.IntegrityError:  # removed while it was polled: its rows went with it
            log.info("feed %s was removed while it was polled", feed.id)
        except Exception:
            log.exception("polling feed %s (%s) failed; it is retried after its lease", feed.id, feed.url)

    def _next(self, feed: FeedRecord, now: datetime, delay: timedelta) -> datetime:
        return schedule.jittered(now, delay, self.settings.jitter, self.rng)

    async def poll(self, feed: FeedRecord, tally: Tally) -> None:
        tally["feeds"] += 1
        try:
            async with self.slots.take(feed.url):
                result = await self.fetcher.fetch(
                    feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=FEED_ACCEPT
                )
        except FetchError as exc:
            await self._failed(feed, tally, str(exc), exc.status, exc.retry_after)
            return
        now = self.clock()
        every = timedelta(minutes=feed.every_minutes)
        next_at = self._next(feed, now, schedule.after_fetch(every, schedule.server_asks(result, now)))
        moved = await self._moved(feed, result)
        if moved is False:
            return
        if result.not_modified:
            tally["not_modified"] += 1
            await self.feeds.record_fetch(
                feed.id,
                now=now,
                status=result.status,
                next_check_at=next_at,
                etag=result.etag or feed.etag,
                last_modified=result.last_modified or feed.last_modified,
                url=moved,
            )
            return
        try:
            parsed = read_feed(result)
        except FeedError as exc:
            await self._failed(feed, tally, str(exc), result.status, None)
            return
        await self._items(feed, parsed, tally)
        await self.feeds.record_fetch(
            feed.id,
            now=self.clock(),
            status=result.status,
            next_check_at=next_at,
            etag=result.etag,
            last_modified=result.last_modified,
            url=moved,
            title=parsed.title or None,
        )
        if moved:
            tally["moved"] += 1

    async def _moved(self, feed: FeedRecord, result: FetchResult) -> str | None | bool:
        """The feed's new URL after a permanent redirect, None if it did not move; False when it moved onto a URL
        its server already follows (then it is disabled: the other feed carries on)."""
        moved = result.permanent_url
        if moved is None or moved == feed.url:
            return None
        if await self.feeds.url_taken(moved, feed.scope_id, feed.id):
            reason = f"it moved to {moved}, which is already a feed here"
            await self._disable(feed, reason, result.status, reason, feed.failure_count)
            return False
        log.info("feed %s moved permanently: %s -> %s", feed.id, feed.url, moved)
        return moved

    async def _failed(
        self, feed: FeedRecord, tally: Tally, error: str, status: int | None, retry_after: timedelta | None
    ) -> None:
        tally["failed"] += 1
        now = self.clock()
        failures = feed.failure_count + 1
        if status == 410:
            reason = "it answered 410 Gone: the feed was removed for good"
        elif failures >= self.settings.max_failures:
            reason = f"its last {failures} fetches failed (the last: {error.rstrip('.')})"
        else:
            every = timedelta(minutes=feed.every_minutes)
            delay = schedule.after_failure(every, failures, retry_after, self.settings.max_backoff)
            log.info("feed %s failed (%d in a row): %s", feed.id, failures, error)
            await self.feeds.record_failure(
                feed.id,
                now=now,
                status=status,
                error=error,
                failure_count=failures,
                next_check_at=self._next(feed, now, delay),
            )
            return
        if await self._disable(feed, reason, status, error, failures):
            tally["disabled"] += 1

    async def _disable(self, feed: FeedRecord, reason: str, status: int | None, error: str, failures: int) -> bool:
        now = self.clock()
        notice = disabled_notice(feed, reason, now)
        disabled = await self.feeds.record_failure(
            feed.id,
            now=now,
            status=status,
            error=error,
            failure_count=failures,
            next_check_at=None,
            disabled_reason=reason,
            notice=notice,
        )
        if disabled:
            log.warning("feed %s (%s) disabled: %s", feed.id, feed.url, reason)
            if notice:
                self.wake_delivery()
        return disabled

    async def _items(self, feed: FeedRecord, parsed: ParsedFeed, tally: Tally) -> None:
        keyed = ordered_items(parsed)
        known = await self.feeds.known_keys(feed.id, [key for key, _ in keyed])
        fresh = [(key, item) for key, item in keyed if key not in known]
        if not fresh:
            return
        tally["new_items"] += len(fresh)
        words = WordFilter(feed.include, feed.exclude)
        rows: list[NewItem] = []
        reports: list[Report] = []
        articles = 0
        for key, item in fresh:
            if item.published is not None and item.published < feed.created_at:
                rows.append(item_row(feed, NewFeedItem(item, key, FeedItemText(item.title)), ItemOutcome.OLD))
                continue
            filtered = words.check(f"{item.title}\n{item.summary}")
            if filtered is not None:
                row = item_row(feed, NewFeedItem(item, key, FeedItemText(item.title)), ItemOutcome.FILTERED)
                rows.append(_filtered(row, filtered.word, filtered.sentence()))
                continue
            article, note = "", None
            if self.settings.fetch_articles and item.link:
                if articles < MAX_ARTICLES_PER_POLL:
                    articles += 1
                    article, note = await self._article(item.link)
                else:
                    note = f"not read: more than {MAX_ARTICLES_PER_POLL} new items in one poll"
            text = FeedItemText(item.title, item.summary, article, item.published)
            recorded = await self.matching.decide(feed, NewFeedItem(item, key, text, note), self.clock())
            if recorded.row.outcome == ItemOutcome.DEVELOPMENT:
                tally["developments"] += 1
            elif recorded.row.outcome == ItemOutcome.DUPLICATE:
                tally["duplicates"] += 1
            if not recorded.stored:
                rows.append(recorded.row)
            if recorded.report is not None:
                reports.append(recorded.report)
        if rows or reports:
            await self.feeds.record_items(feed.id, rows, reports, self.clock())

    async def _article(self, link: str) -> tuple[str, str | None]:
        """The linked article's main text, or "" and why it was not read."""
        from bot.extract import extract_article  # imports trafilatura (a quarter second): only when needed

        try:
            async with self.slots.take(link):
                result = await self.fetcher.fetch(link, accept=ARTICLE_ACCEPT)
        except FetchError as exc:
            return "", f"not read: {exc}"
        if result.content_type not in HTML_TYPES:
            return "", f"not read: it is {result.content_type or 'of no stated type'}, not a web page"
        try:
            extracted = await asyncio.to_thread(extract_article, result.text(), result.url)
        except Exception:  # a page the extractor chokes on must not stop the feed: the item is decided without it
            log.exception("extracting the article at %s failed", result.url)
            return "", "not read: its text could not be extracted"
        if extracted is None:
            return "", "not read: no article text was found on the page"
        return extracted.text[:ARTICLE_CHARS], None


def _filtered(row: NewItem, word: str, sentence: str) -> NewItem:
    return replace(row, filter_word=word, reason=f"filtered: {sentence}")
