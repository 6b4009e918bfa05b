"""Follows, the alert cursor per story, held alerts and per-channel story threads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from storage.database import Database
from storage.outbox import OutgoingMessage, fail_pending_for_refs, insert_messages
from storage.records import from_db_time, to_db_time
from storage.story_import import delete_story


def follow_ref(follow_id: int) -> str:
    """The outbox ref of every message sent for one follow (its alerts, its removal notice)."""
    return f"follow:{follow_id}"

class FollowerKind(StrEnum):
    """Who follows: a user (alerted by DM) or a channel (alerted in the story's thread there)."""

    USER = "user"
    CHANNEL = "channel"


class Removal(StrEnum):
    """What `remove_story` did."""

    REMOVED = "removed"
    REFUSED = "refused"  # not this server's story, or already gone
    FOLLOWERS_CHANGED = "followers changed"  # someone followed or unfollowed meanwhile: build the notices again


@dataclass(frozen=True, slots=True, kw_only=True)
class Follow:
    id: int
    story_id: int
    follower_kind: FollowerKind
    follower_id: str
    scope_id: str | None
    ping_role_id: str | None
    since_development_id: int
    muted_until: datetime | None

    def muted(self, now: datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowedStory:
    follow: Follow
    slug: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingAlert:
    story_id: int
    alerted_through_id: int
    newest_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryThread:
    channel_id: str
    story_id: int
    card_message_id: str | None
    thread_id: str | None


@dataclass(frozen=True, slots=True)
class NewFollow:
    """A follow to add in bulk (`FollowRepository.add_follows`)."""

    story_id: int
    follower_kind: str  # "user" | "channel"
    follower_id: str
    scope_id: str | None = None
    ping_role_id: str | None = None
    muted_until: datetime | None = None


class _AlreadyReleased(Exception):
    """Another release (a digest) took some of these holds first."""


def _follow(row: aiosqlite.Row) -> Follow:
    return Follow(
        id=row["id"],
        story_id=row["story_id"],
        follower_kind=FollowerKind(row["follower_kind"]),
        follower_id=row["follower_id"],
        scope_id=row["scope_id"],
        ping_role_id=row["ping_role_id"],
        since_development_id=row["since_development_id"],
        muted_until=from_db_time(row["muted_until"]) if row["muted_until"] else None,
    )


class FollowRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(
        self,
        story_id: int,
        follower_kind: FollowerKind,
        follower_id: str,
        *,
        scope_id: str | None,
        ping_role_id: str | None,
        now: datetime,
    ) -> tuple[Follow, bool]:
        """Returns the follow and whether it is new. Developments before now are not alerted."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT id FROM follows WHERE story_id = ? AND follower_kind = ? AND follower_id = ?",
                (story_id, follower_kind, follower_id),
            ) as cursor:
                existing = await cursor.fetchone()
            if existing:
                await conn.execute("UPDATE follows SET ping_role_id = ? WHERE id = ?", (ping_role_id, existing[0]))
            else:
                await conn.execute(
                    "INSERT INTO follows (story_id, follower_kind, follower_id, scope_id, ping_role_id, "
                    "since_development_id, created_at) VALUES (?, ?, ?, ?, ?, "
                    "(SELECT COALESCE(MAX(id), 0) FROM developments WHERE story_id = ?), ?)",
                    (story_id, follower_kind, follower_id, scope_id, ping_role_id, story_id, to_db_time(now)),
                )
            async with conn.execute(
                "SELECT * FROM follows WHERE story_id = ? AND follower_kind = ? AND follower_id = ?",
                (story_id, follower_kind, follower_id),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return _follow(row), existing is None

    async def unfollow(self, story_id: int, follower_kind: FollowerKind, follower_id: str) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM follows WHERE story_id = ? AND follower_kind = ? AND follower_id = ?",
                (story_id, follower_kind, follower_id),
            )
            return cursor.rowcount > 0

    async def following(self, user_id: str, scope_id: str | None) -> list[FollowedStory]:
        """The user's own follows, plus the channel follows of this server."""
        async with self.db.reader.execute(
            "SELECT f.*, s.slug, s.title FROM follows f JOIN stories s ON s.id = f.story_id "
            "WHERE (f.follower_kind = 'user' AND f.follower_id = ?) "
            "OR (f.follower_kind = 'channel' AND f.scope_id = ?) ORDER BY s.title",
            (user_id, scope_id),
        ) as cursor:
            return [FollowedStory(follow=_follow(r), slug=r["slug"], title=r["title"]) for r in await cursor.fetchall()]

    async def mute(self, story_id: int, user_id: str, until: datetime) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE follows SET muted_until = ? WHERE story_id = ? AND follower_kind = 'user' AND follower_id = ?",
                (to_db_time(until), story_id, user_id),
            )
            return cursor.rowcount > 0

    async def followers(self, story_id: int) -> list[Follow]:
        async with self.db.reader.execute("SELECT * FROM follows WHERE story_id = ? ORDER BY id", (story_id,)) as cur:
            return [_follow(r) for r in await cur.fetchall()]

    async def pending_alerts(self, now: datetime, quiet_since: datetime) -> list[PendingAlert]:
        """Stories with developments not yet fanned out whose last alert is older than `quiet_since`."""
        async with self.db.reader.execute(
            "SELECT d.story_id, COALESCE(a.alerted_through_id, 0), MAX(d.id) FROM developments d "
            "LEFT JOIN story_alerts a ON a.story_id = d.story_id "
            "WHERE d.id > COALESCE(a.alerted_through_id, 0) "
            "AND (a.last_alert_at IS NULL OR a.last_alert_at <= ?) GROUP BY d.story_id",
            (to_db_time(quiet_since),),
        ) as cursor:
            return [
                PendingAlert(story_id=r[0], alerted_through_id=r[1], newest_id=r[2]) for r in await cursor.fetchall()
            ]

    async def fan_out(
        self,
        story_id: int,
        through_id: int,
        messages: Sequence[OutgoingMessage],
        holds: Sequence[tuple[int, int]],
        now: datetime,
        *,
        expected_from: int,
    ) -> bool:
        """Enqueues a story's alerts and advances its cursor atomically. False if another run got there first."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT COALESCE((SELECT alerted_through_id FROM story_alerts WHERE story_id = ?), 0)", (story_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or row[0] != expected_from:
                return False
            await insert_messages(conn, messages, now)
            await conn.executemany("INSERT OR IGNORE INTO held_alerts (follow_id, development_id) VALUES (?, ?)", holds)
            await conn.execute(
                "INSERT INTO story_alerts (story_id, alerted_through_id, last_alert_at) VALUES (?, ?, ?) "
                "ON CONFLICT (story_id) DO UPDATE SET alerted_through_id = excluded.alerted_through_id, "
                "last_alert_at = COALESCE(excluded.last_alert_at, story_alerts.last_alert_at)",
                (story_id, through_id, to_db_time(now) if messages or holds else None),
            )
        return True

    async def held_for(self, follower_kind: FollowerKind, follower_id: str) -> list[tuple[int, int]]:
        """(follow_id, development_id) held for a follower."""
        async with self.db.reader.execute(
            "SELECT h.follow_id, h.development_id FROM held_alerts h JOIN follows f ON f.id = h.follow_id "
            "WHERE f.follower_kind = ? AND f.follower_id = ? ORDER BY h.development_id",
            (follower_kind, follower_id),
        ) as cursor:
            return [(r[0], r[1]) for r in await cursor.fetchall()]

    async def unmuted_with_holds(self, now: datetime) -> list[Follow]:
        async with self.db.reader.execute(
            "SELECT DISTINCT f.* FROM follows f JOIN held_alerts h ON h.follow_id = f.id "
            "WHERE f.muted_until IS NULL OR f.muted_until <= ?",
            (to_db_time(now),),
        ) as cursor:
            return [_follow(r) for r in await cursor.fetchall()]

    async def release(
        self, holds: Sequence[tuple[int, int]], messages: Sequence[OutgoingMessage], now: datetime
    ) -> bool:
        """Removes held alerts and enqueues what replaces them (a catch-up message), atomically.

        False, and nothing enqueued, when a digest released any of these holds first."""
        try:
            async with self.db.transaction() as conn:
                before = conn.total_changes
                await conn.executemany("DELETE FROM held_alerts WHERE follow_id = ? AND development_id = ?", holds)
                if conn.total_changes - before != len(holds):
                    raise _AlreadyReleased  # rolls the deletes back too
                await insert_messages(conn, messages, now)
        except _AlreadyReleased:
            return False
        return True

    async def remove_story(
        self,
        story_id: int,
        scope_id: str,
        notices: Sequence[OutgoingMessage],
        *,
        follow_ids: Collection[int],
        now: datetime,
    ) -> Removal:
        """Tells the followers and removes a server's own story (its follows go with it), in one transaction.

        `notices` were built for the follows `follow_ids`; if those changed meanwhile, nothing is done, so nobody
        is told twice or left out."""
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT id FROM follows WHERE story_id = ?", (story_id,)) as cursor:
                current = {row[0] for row in await cursor.fetchall()}
            if current != set(follow_ids):
                return Removal.FOLLOWERS_CHANGED
            if not await delete_story(conn, story_id, scope_id):
                return Removal.REFUSED
            # Alerts still queued for these follows would post about a story that is gone (and open its thread
            # again): the removal notice is the last word.
            await fail_pending_for_refs(conn, [follow_ref(i) for i in current], "the story was removed", now)
            await insert_messages(conn, notices, now)
        return Removal.REMOVED

    # --- threads -------------------------------------------------------------------------------

    async def thread(self, channel_id: str, story_id: int) -> StoryThread | None:
        async with self.db.reader.execute(
            "SELECT card_message_id, thread_id FROM story_threads WHERE channel_id = ? AND story_id = ?",
            (channel_id, story_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return StoryThread(channel_id=channel_id, story_id=story_id, card_message_id=row[0], thread_id=row[1])

    async def save_thread(
        self, channel_id: str, story_id: int, *, card_message_id: str | None, thread_id: str | None
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO story_threads (channel_id, story_id, card_message_id, thread_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (channel_id, story_id) DO UPDATE SET "
                "card_message_id = COALESCE(excluded.card_message_id, story_threads.card_message_id), "
                "thread_id = COALESCE(excluded.thread_id, story_threads.thread_id)",
                (channel_id, story_id, card_message_id, thread_id),
            )

    async def forget_thread(self, channel_id: str, story_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM story_threads WHERE channel_id = ? AND story_id = ?", (channel_id, story_id)
            )

    # --- bulk and totals (benchmarks, tools) ---------------------------------------------------------

    async def add_follows(self, follows: Sequence[NewFollow], now: datetime) -> int:
        """Many new follows in one transaction, each from its story's newest development on, as `follow`
        starts them. A follower that already follows the story is left as it is. Returns the follows added."""
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO follows (story_id, follower_kind, follower_id, scope_id, ping_role_id, "
                "since_development_id, muted_until, created_at) VALUES (?, ?, ?, ?, ?, "
                "(SELECT COALESCE(MAX(id), 0) FROM developments WHERE story_id = ?), ?, ?) ON CONFLICT DO NOTHING",
                [
                    (
                        f.story_id,
                        f.follower_kind,
                        f.follower_id,
                        f.scope_id,
                        f.ping_role_id,
                        f.story_id,
                        to_db_time(f.muted_until) if f.muted_until else None,
                        to_db_time(now),
                    )
                    for f in follows
                ],
            )
            return conn.total_changes - before

    async def held_count(self) -> int:
        """Alerts held for muted followers, all followers together."""
        async with self.db.reader.execute("SELECT COUNT(*) FROM held_alerts") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
