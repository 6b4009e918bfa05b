"""Feeds, their items and "also reported by": every feed SQL statement (see migration 006).

Every read a command makes is scoped by `scope_id` (None: the global feeds), compared with `IS` so that None
matches only the global ones. `/feed why` in a server may add the global feeds' items (`with_global`): they develop
the global stories every server sees, so they are public. The polling side (`claim_due`, `record_*`) works by
feed id across servers.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import aiosqlite

from storage.database import Database
from storage.outbox import OutgoingMessage, insert_messages
from storage.records import from_db_time, to_db_time
from storage.story_import import DevelopmentRow, insert_development

_FEED_COLUMNS = (
    "f.id, f.url, f.scope_id, f.channel_id, f.story_id, f.every_minutes, f.include_json, f.exclude_json, f.title, "
    "f.etag, f.last_modified, f.next_check_at, f.last_fetch_at, f.last_status, f.failure_count, f.last_error, "
    "f.disabled_at, f.disabled_reason, f.created_at, f.item_count, s.slug, s.title"
)
_FEED_FROM = "feeds f LEFT JOIN stories s ON s.id = f.story_id"
_ITEM_COLUMNS = (
    "i.id, i.feed_id, f.title, i.item_key, i.link, i.title, i.outlet, i.published_at, i.first_seen_at, i.outcome, "
    "i.story_id, st.slug, st.title, i.development_id, d.headline, i.score, i.best_story_id, bs.slug, bs.title, "
    "i.best_score, i.reason, i.filter_word, i.article_note, f.scope_id IS NULL"
)
_ITEM_FROM = (
    "feed_items i JOIN feeds f ON f.id = i.feed_id "
    "LEFT JOIN stories st ON st.id = i.story_id "
    "LEFT JOIN stories bs ON bs.id = i.best_story_id "
    "LEFT JOIN developments d ON d.id = i.development_id"
)
_CHUNK = 500  # bound parameters per statement


def _scope(with_global: bool) -> str:
    """The feeds of the scope bound as the statement's first parameter, and the global ones too if `with_global`."""
    return "(f.scope_id IS ? OR f.scope_id IS NULL)" if with_global else "f.scope_id IS ?"


def _time(value: str | None) -> datetime | None:
    return from_db_time(value) if value else None


def _stamp(value: datetime | None) -> str | None:
    return to_db_time(value) if value else None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedRecord:
    id: int
    url: str
    scope_id: str | None
    channel_id: str | None
    story_id: int | None
    story_slug: str | None
    story_title: str | None
    every_minutes: int
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    title: str
    etag: str | None
    last_modified: str | None
    next_check_at: datetime | None
    last_fetch_at: datetime | None
    last_status: int | None
    failure_count: int
    last_error: str | None
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    item_count: int


def _feed(row: aiosqlite.Row) -> FeedRecord:
    return FeedRecord(
        id=row[0],
        url=row[1],
        scope_id=row[2],
        channel_id=row[3],
        story_id=row[4],
        every_minutes=row[5],
        include=tuple(json.loads(row[6])),
        exclude=tuple(json.loads(row[7])),
        title=row[8],
        etag=row[9],
        last_modified=row[10],
        next_check_at=_time(row[11]),
        last_fetch_at=_time(row[12]),
        last_status=row[13],
        failure_count=row[14],
        last_error=row[15],
        disabled_at=_time(row[16]),
        disabled_reason=row[17],
        created_at=from_db_time(row[18]),
        item_count=row[19],
        story_slug=row[20],
        story_title=row[21],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class NewFeed:
    url: str
    scope_id: str | None
    channel_id: str | None
    story_id: int | None
    every_minutes: int
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    title: str
    etag: str | None
    last_modified: str | None
    last_status: int
    next_check_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewItem:
    """An item as recorded: what it was, and what became of it (`outcome`, one of ItemOutcome's values)."""

    item_key: str
    link: str | None
    link_key: str | None
    title: str
    summary: str
    outlet: str | None
    published_at: datetime | None
    outcome: str
    story_id: int | None = None
    development_id: int | None = None
    score: float | None = None
    best_story_id: int | None = None
    best_score: float | None = None
    reason: str = ""
    filter_word: str | None = None
    article_note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Another outlet's item that repeated a development."""

    development_id: int
    outlet: str
    link: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredItem:
    """An item with what it was matched to, for `/feed why`."""

    id: int
    feed_id: int
    feed_title: str
    item_key: str
    link: str | None
    title: str
    outlet: str | None
    published_at: datetime | None
    first_seen_at: datetime
    outcome: str
    story_id: int | None
    story_slug: str | None
    story_title: str | None
    development_id: int | None
    development_headline: str | None
    score: float | None
    best_story_id: int | None
    best_story_slug: str | None
    best_story_title: str | None
    best_score: float | None
    reason: str
    filter_word: str | None
    article_note: str | None
    global_feed: bool  # an item of the operator's global feeds


def _stored(row: aiosqlite.Row) -> StoredItem:
    return StoredItem(
        id=row[0],
        feed_id=row[1],
        feed_title=row[2],
        item_key=row[3],
        link=row[4],
        title=row[5],
        outlet=row[6],
        published_at=_time(row[7]),
        first_seen_at=from_db_time(row[8]),
        outcome=row[9],
        story_id=row[10],
        story_slug=row[11],
        story_title=row[12],
        development_id=row[13],
        development_headline=row[14],
        score=row[15],
        best_story_id=row[16],
        best_story_slug=row[17],
        best_story_title=row[18],
        best_score=row[19],
        reason=row[20],
        filter_word=row[21],
        article_note=row[22],
        global_feed=bool(row[23]),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DevelopmentText:
    id: int
    headline: str
    body: str
    published_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryText:
    """A story's words, for the matcher's profile of it."""

    id: int
    scope_id: str | None
    slug: str
    title: str
    updated_at: str  # as stored: compared with StoryMark.updated_at, never shown
    summary: str
    key_points: tuple[str, ...]
    section_text: str
    developments: tuple[DevelopmentText, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryMark:
    id: int
    scope_id: str | None
    updated_at: str  # as stored: compared, never shown


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedItem:
    """A decided item's text, to rebuild the matcher's statistics at start."""

    title: str
    summary: str
    published_at: datetime | None
    outcome: str


def _item_params(feed_id: int, item: NewItem, now: str) -> tuple[object, ...]:
    return (
        feed_id,
        item.item_key,
        item.link,
        item.link_key,
        item.title,
        item.summary,
        item.outlet,
        _stamp(item.published_at),
        now,
        item.outcome,
        item.story_id,
        item.development_id,
        item.score,
        item.best_story_id,
        item.best_score,
        item.reason,
        item.filter_word,
        item.article_note,
    )


_INSERT_ITEM = (
    "INSERT INTO feed_items (feed_id, item_key, link, link_key, title, summary, outlet, published_at, first_seen_at, "
    "outcome, story_id, development_id, score, best_story_id, best_score, reason, filter_word, article_note) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_id, item_key) DO NOTHING"
)


async def _insert_items(conn: aiosqlite.Connection, feed_id: int, items: Sequence[NewItem], now: datetime) -> int:
    stamp = to_db_time(now)
    before = conn.total_changes
    await conn.executemany(_INSERT_ITEM, [_item_params(feed_id, item, stamp) for item in items])
    added = conn.total_changes - before
    if added:
        await conn.execute("UPDATE feeds SET item_count = item_count + ? WHERE id = ?", (added, feed_id))
    return added


async def _insert_reports(conn: aiosqlite.Connection, reports: Sequence[Report], now: datetime) -> None:
    await conn.executemany(
        "INSERT INTO development_reports (development_id, outlet, link, reported_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (development_id, outlet) DO NOTHING",
        [(r.development_id, r.outlet, r.link, to_db_time(now)) for r in reports],
    )


class FeedRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- commands (scoped by scope_id) ---------------------------------------------------------

    async def add(self, feed: NewFeed, items: Sequence[NewItem]) -> int | None:
        """Saves a feed and its first items in one transaction; None if this scope already has that URL."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO feeds (url, scope_id, channel_id, story_id, every_minutes, include_json, exclude_json, "
                "title, etag, last_modified, next_check_at, last_fetch_at, last_status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (COALESCE(scope_id, ''), url) DO NOTHING RETURNING id",
                (
                    feed.url,
                    feed.scope_id,
                    feed.channel_id,
                    feed.story_id,
                    feed.every_minutes,
                    json.dumps(list(feed.include)),
                    json.dumps(list(feed.exclude)),
                    feed.title,
                    feed.etag,
                    feed.last_modified,
                    to_db_time(feed.next_check_at),
                    to_db_time(feed.created_at),
                    feed.last_status,
                    to_db_time(feed.created_at),
                ),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            feed_id = int(row[0])
            await _insert_items(conn, feed_id, items, feed.created_at)
        return feed_id

    async def count(self, scope_id: str | None) -> int:
        async with self.db.reader.execute("SELECT COUNT(*) FROM feeds WHERE scope_id IS ?", (scope_id,)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def in_scope(self, scope_id: str | None) -> list[FeedRecord]:
        sql = f"SELECT {_FEED_COLUMNS} FROM {_FEED_FROM} WHERE f.scope_id IS ? ORDER BY f.id"
        async with self.db.reader.execute(sql, (scope_id,)) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def get(self, feed_id: int, scope_id: str | None) -> FeedRecord | None:
        sql = f"SELECT {_FEED_COLUMNS} FROM {_FEED_FROM} WHERE f.id = ? AND f.scope_id IS ?"
        async with self.db.reader.execute(sql, (feed_id, scope_id)) as cursor:
            row = await cursor.fetchone()
        return _feed(row) if row else None

    async def by_url(self, url: str, scope_id: str | None) -> FeedRecord | None:
        sql = f"SELECT {_FEED_COLUMNS} FROM {_FEED_FROM} WHERE COALESCE(f.scope_id, '') = ? AND f.url = ?"
        async with self.db.reader.execute(sql, (scope_id or "", url)) as cursor:
            row = await cursor.fetchone()
        return _feed(row) if row else None

    async def by_id(self, feed_id: int) -> FeedRecord | None:
        """Any server's feed: for the poller, never for a command."""
        sql = f"SELECT {_FEED_COLUMNS} FROM {_FEED_FROM} WHERE f.id = ?"
        async with self.db.reader.execute(sql, (feed_id,)) as cursor:
            row = await cursor.fetchone()
        return _feed(row) if row else None

    async def remove(self, feed_id: int, scope_id: str | None) -> bool:
        """Removes the feed and its items (their explanations go with them)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM feeds WHERE id = ? AND scope_id IS ?", (feed_id, scope_id))
            return cursor.rowcount > 0

    async def choices(self, text: str, scope_id: str | None, limit: int = 25) -> list[FeedRecord]:
        """This scope's feeds whose title or URL contains `text` (case-insensitive), newest first."""
        needle = text.strip().lower()
        sql = (
            f"SELECT {_FEED_COLUMNS} FROM {_FEED_FROM} WHERE f.scope_id IS :scope "
            "AND (:needle = '' OR instr(lower(f.title), :needle) > 0 OR instr(lower(f.url), :needle) > 0 "
            "OR CAST(f.id AS TEXT) = :needle) ORDER BY f.id DESC LIMIT :limit"
        )
        async with self.db.reader.execute(sql, {"scope": scope_id, "needle": needle, "limit": limit}) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def items_by_link(
        self, link_key: str, scope_id: str | None, limit: int, *, with_global: bool = False
    ) -> list[StoredItem]:
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM {_ITEM_FROM} WHERE i.link_key = ? AND {_scope(with_global)} "
            "ORDER BY i.id DESC LIMIT ?"
        )
        async with self.db.reader.execute(sql, (link_key, scope_id, limit)) as cursor:
            return [_stored(row) for row in await cursor.fetchall()]

    async def items_by_words(
        self, words: Sequence[str], scope_id: str | None, limit: int, *, with_global: bool = False
    ) -> list[StoredItem]:
        """Items of this scope's feeds whose title contains every word (case-insensitive), newest first."""
        if not words:
            return []
        tests = " AND ".join("instr(lower(i.title), ?) > 0" for _ in words)
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM {_ITEM_FROM} WHERE {_scope(with_global)} AND {tests} "
            "ORDER BY i.id DESC LIMIT ?"
        )
        params = [scope_id, *(word.lower() for word in words), limit]
        async with self.db.reader.execute(sql, params) as cursor:
            return [_stored(row) for row in await cursor.fetchall()]

    async def reports(self, development_id: int) -> list[Report]:
        async with self.db.reader.execute(
            "SELECT development_id, outlet, link FROM development_reports WHERE development_id = ? "
            "ORDER BY reported_at, outlet",
            (development_id,),
        ) as cursor:
            return [Report(development_id=r[0], outlet=r[1], link=r[2]) for r in await cursor.fetchall()]

    async def next_check(self, scope_id: str | None, *, with_global: bool = False) -> FeedRecord | None:
        """The scope's feed checked soonest (enabled ones only)."""
        sql = (
            f"SELECT {_FEED_COLUMNS} FROM {_FEED_FROM} WHERE {_scope(with_global)} AND f.next_check_at IS NOT NULL "
            "ORDER BY f.next_check_at LIMIT 1"
        )
        async with self.db.reader.execute(sql, (scope_id,)) as cursor:
            row = await cursor.fetchone()
        return _feed(row) if row else None

    # --- polling -------------------------------------------------------------------------------

    async def next_due(self) -> datetime | None:
        """When the soonest enabled feed is due, any server's."""
        async with self.db.reader.execute(
            "SELECT MIN(next_check_at) FROM feeds WHERE next_check_at IS NOT NULL"
        ) as cursor:
            row = await cursor.fetchone()
        return _time(row[0]) if row else None

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[FeedRecord]:
        """The due feeds, oldest due first, each moved to `lease_until` in the same transaction: another tick
        does not take them, and a poll that never finishes (a crash) is retried after the lease."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                f"SELECT {_FEED_COLUMNS} FROM {_FEED_FROM} WHERE f.next_check_at IS NOT NULL "
                "AND f.next_check_at <= ? ORDER BY f.next_check_at LIMIT ?",
                (to_db_time(now), limit),
            ) as cursor:
                feeds = [_feed(row) for row in await cursor.fetchall()]
            await conn.executemany(
                "UPDATE feeds SET next_check_at = ? WHERE id = ?", [(to_db_time(lease_until), f.id) for f in feeds]
            )
        return feeds

    async def known_keys(self, feed_id: int, keys: Collection[str]) -> set[str]:
        found: set[str] = set()
        unique = list(set(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self.db.reader.execute(
                f"SELECT item_key FROM feed_items WHERE feed_id = ? AND item_key IN ({marks})", [feed_id, *chunk]
            ) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def record_fetch(
        self,
        feed_id: int,
        *,
        now: datetime,
        status: int,
        next_check_at: datetime,
        etag: str | None,
        last_modified: str | None,
        url: str | None = None,
        title: str | None = None,
    ) -> None:
        """A successful fetch (a 304 too): failures reset, validators kept; `url` moves the feed (301/308)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET last_fetch_at = ?, last_status = ?, next_check_at = ?, etag = ?, last_modified = ?, "
                "failure_count = 0, last_error = NULL, url = COALESCE(?, url), title = COALESCE(?, title) "
                "WHERE id = ?",
                (to_db_time(now), status, to_db_time(next_check_at), etag, last_modified, url, title, feed_id),
            )

    async def url_taken(self, url: str, scope_id: str | None, feed_id: int) -> bool:
        """Whether another feed of the same scope is already polled at `url` (a move there would collide)."""
        async with self.db.reader.execute(
            "SELECT 1 FROM feeds WHERE COALESCE(scope_id, '') = ? AND url = ? AND id <> ?",
            (scope_id or "", url, feed_id),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def record_failure(
        self,
        feed_id: int,
        *,
        now: datetime,
        status: int | None,
        error: str,
        failure_count: int,
        next_check_at: datetime | None,
        disabled_reason: str | None = None,
        notice: Sequence[OutgoingMessage] = (),
    ) -> bool:
        """A failed fetch. With `disabled_reason`, the feed stops being polled and `notice` is enqueued in the same
        transaction, once: returns False when it was disabled already (nothing enqueued)."""
        async with self.db.transaction() as conn:
            if disabled_reason is None:
                await conn.execute(
                    "UPDATE feeds SET last_fetch_at = ?, last_status = ?, last_error = ?, failure_count = ?, "
                    "next_check_at = ? WHERE id = ?",
                    (to_db_time(now), status, error[:500], failure_count, _stamp(next_check_at), feed_id),
                )
                return True
            cursor = await conn.execute(
                "UPDATE feeds SET last_fetch_at = ?, last_status = ?, last_error = ?, failure_count = ?, "
                "next_check_at = NULL, disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL",
                (to_db_time(now), status, error[:500], failure_count, to_db_time(now), disabled_reason[:500], feed_id),
            )
            if cursor.rowcount == 0:
                return False
            await insert_messages(conn, notice, now)
            return True

    async def record_items(
        self, feed_id: int, items: Sequence[NewItem], reports: Sequence[Report], now: datetime
    ) -> int:
        """Items that made no development, and duplicates' "also reported by", in one transaction."""
        async with self.db.transaction() as conn:
            added = await _insert_items(conn, feed_id, items, now)
            await _insert_reports(conn, reports, now)
        return added

    async def record_development(
        self, feed_id: int, item: NewItem, development: DevelopmentRow, now: datetime
    ) -> int | None:
        """Adds the development and records the item with it, in one transaction; the follow-up alert job finds
        the development like any other. None (and nothing recorded) when the item was recorded meanwhile, or the
        story already has that exact development."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT 1 FROM feed_items WHERE feed_id = ? AND item_key = ?", (feed_id, item.item_key)
            ) as cursor:
                if await cursor.fetchone() is not None:
                    return None
            development_id = await insert_development(conn, development)
            if development_id is None:
                return None
            await _insert_items(conn, feed_id, [replace(item, development_id=development_id)], now)
        return development_id

    # --- what the matcher knows ----------------------------------------------------------------

    async def story_marks(self) -> list[StoryMark]:
        async with self.db.reader.execute("SELECT id, scope_id, updated_at FROM stories") as cursor:
            return [StoryMark(id=r[0], scope_id=r[1], updated_at=r[2]) for r in await cursor.fetchall()]

    async def stories_fingerprint(self) -> tuple[int, str, int]:
        """Changes when a story is added, updated (a development too) or removed: (count, last update, last id)."""
        async with self.db.reader.execute(
            "SELECT COUNT(*), COALESCE(MAX(updated_at), ''), COALESCE(MAX(id), 0) FROM stories"
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0]), str(row[1]), int(row[2])

    async def story_texts(self, story_ids: Sequence[int] | None = None) -> list[StoryText]:
        """Stories' words for the matcher: all of them (None), or these."""
        if story_ids is not None and not story_ids:
            return []
        chunks: list[Sequence[int] | None] = (
            [None] if story_ids is None else [story_ids[i : i + _CHUNK] for i in range(0, len(story_ids), _CHUNK)]
        )
        texts: list[StoryText] = []
        for chunk in chunks:
            texts += await self._story_texts(chunk)
        return texts

    async def _story_texts(self, story_ids: Sequence[int] | None) -> list[StoryText]:
        where, params = "", list[int]()
        if story_ids is not None:
            where, params = f"WHERE {{c}} IN ({','.join('?' * len(story_ids))})", list(story_ids)
        reader = self.db.reader
        async with reader.execute(
            f"SELECT id, scope_id, slug, title, summary, updated_at FROM stories {where.format(c='id')} ORDER BY id",
            params,
        ) as cursor:
            stories = await cursor.fetchall()
        points: dict[int, list[str]] = {}
        async with reader.execute(
            f"SELECT story_id, label, text FROM key_points {where.format(c='story_id')} ORDER BY story_id, position",
            params,
        ) as cursor:
            for row in await cursor.fetchall():
                points.setdefault(row[0], []).append(f"{row[1]}: {row[2]}" if row[1] else row[2])
        sections: dict[int, list[str]] = {}
        async with reader.execute(
            f"SELECT story_id, heading, paragraphs_json FROM sections {where.format(c='story_id')} "
            "ORDER BY story_id, position",
            params,
        ) as cursor:
            for row in await cursor.fetchall():
                sections.setdefault(row[0], []).extend([row[1], *json.loads(row[2])])
        developments: dict[int, list[DevelopmentText]] = {}
        async with reader.execute(
            f"SELECT story_id, id, headline, body, published_at FROM developments {where.format(c='story_id')} "
            "ORDER BY story_id, published_at, id",
            params,
        ) as cursor:
            for row in await cursor.fetchall():
                developments.setdefault(row[0], []).append(
                    DevelopmentText(id=row[1], headline=row[2], body=row[3], published_at=from_db_time(row[4]))
                )
        return [
            StoryText(
                id=row[0],
                scope_id=row[1],
                slug=row[2],
                title=row[3],
                summary=row[4],
                updated_at=row[5],
                key_points=tuple(points.get(row[0], ())),
                section_text="\n".join(sections.get(row[0], ())),
                developments=tuple(developments.get(row[0], ())),
            )
            for row in stories
        ]

    async def learned_items(self, limit: int) -> list[LearnedItem]:
        """The newest `limit` decided items, oldest first, to replay into the matcher at start."""
        async with self.db.reader.execute(
            "SELECT title, summary, published_at, outcome FROM (SELECT id, title, summary, published_at, outcome "
            "FROM feed_items WHERE outcome IN ('development', 'nothing_new', 'duplicate', 'unrelated') "
            "ORDER BY id DESC LIMIT ?) ORDER BY id",
            (limit,),
        ) as cursor:
            return [
                LearnedItem(title=r[0], summary=r[1], published_at=_time(r[2]), outcome=r[3])
                for r in await cursor.fetchall()
            ]

    async def check_at(self, feed_ids: Sequence[int], when: datetime) -> int:
        """Moves the enabled feeds' next check to `when`; returns how many moved. A tool's "check now": the
        end-to-end tests and benchmarks use it rather than wait out an interval of at least 5 minutes."""
        async with self.db.transaction() as conn:
            cursor = await conn.executemany(
                "UPDATE feeds SET next_check_at = ? WHERE id = ? AND next_check_at IS NOT NULL",
                [(to_db_time(when), feed_id) for feed_id in feed_ids],
            )
            return cursor.rowcount
