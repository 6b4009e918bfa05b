"""Migration 008: a store written when every id was a Discord integer keeps every row, qualified."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot import payloads
from bot.intake import link_origin
from storage.database import Database, _migrations, _statements
from storage.migrations import STEPS

GUILD = 81384788765712384
CHANNEL = 81384788765712385
USER = 80351110224678912
ROLE = 41771983423143936
MESSAGE = 1101010101010101010
THREAD = 1202020202020202020
STAMP = "2026-11-01T09:00:00.000000Z"
LINK = "https://news.example/a?b=1"
UPLOAD_HASH = "0123456789abcdef"


async def _database_at(path: Path, version: int) -> None:
    """The real migration files up to `version`, applied as storage.database applies them."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        for number, _name, sql in _migrations()[:version]:
            await conn.execute("BEGIN")
            for statement in _statements(sql):
                await conn.execute(statement)
            if number in STEPS:
                await STEPS[number](conn)
            await conn.execute(f"PRAGMA user_version = {number:d}")
            await conn.execute("COMMIT")


def _seed_discord_rows(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA foreign_keys = ON")
        for story_id, guild in ((1, GUILD), (2, None)):
            raw.execute(
                "INSERT INTO stories (id, slug, guild_id, title, summary, published_at, created_at, updated_at, "
                "last_development_at, author) VALUES (?, ?, ?, ?, 's', ?, ?, ?, ?, 'A. Writer')",
                (story_id, f"story-{story_id}", guild, f"Story {story_id}", STAMP, STAMP, STAMP, STAMP),
            )
        raw.execute("INSERT INTO sections VALUES (1, 0, 'What happened', 'facts', '[]', '[]')")
        raw.execute("INSERT INTO key_points VALUES (1, 0, 'Who', 'Someone')")
        raw.execute(
            "INSERT INTO developments (id, story_id, headline, body, published_at, created_at, content_hash) "
            "VALUES (7, 1, 'h', 'b', ?, ?, 'hash')",
            (STAMP, STAMP),
        )
        raw.execute("INSERT INTO sources VALUES ('file:a.txt', 'hash', 1, NULL, ?)", (STAMP,))
        raw.execute("INSERT INTO sources VALUES (?, 'h2', 1, NULL, ?)", (f"server:{GUILD}:url:{LINK}", STAMP))
        raw.execute("INSERT INTO sources VALUES (?, 'h3', 2, NULL, ?)", (f"url:{LINK}", STAMP))
        # An upload's origin was "discord:<server>:<hash>": the qualified server's, as StoryAdminService writes it now.
        raw.execute("INSERT INTO sources VALUES (?, 'h4', 1, NULL, ?)", (f"discord:{GUILD}:{UPLOAD_HASH}", STAMP))
        raw.execute(
            "INSERT INTO digest_schedules (id, audience_kind, audience_id, scope_guild_id, channel_id, time_of_day, "
            "timezone, days, created_at, updated_at) VALUES (1, 'guild', ?, ?, ?, '08:00', 'UTC', 'mon', ?, ?)",
            (GUILD, GUILD, CHANNEL, STAMP, STAMP),
        )
        raw.execute(
            "INSERT INTO digest_schedules (id, audience_kind, audience_id, scope_guild_id, channel_id, time_of_day, "
            "timezone, days, created_at, updated_at) VALUES (2, 'user', ?, NULL, NULL, '08:00', 'UTC', 'mon', ?, ?)",
            (USER, STAMP, STAMP),
        )
        raw.execute("INSERT INTO digest_slots VALUES (1, '2026-11-02', 'sent', '', ?, ?)", (STAMP, STAMP))
        for row_id, kind, target, status, message in (
            (1, "channel", CHANNEL, "sent", MESSAGE),
            (2, "user", USER, "pending", None),
            (3, "channel", CHANNEL, "pending", None),
        ):
            payload = json.dumps({"content": "", "cards": [], "ping_role_id": ROLE}) if row_id == 3 else "{}"
            raw.execute(
                "INSERT INTO outbox (id, dedupe_key, nonce, kind, ref, target_kind, target_id, payload_json, status, "
                "next_attempt_at, created_at, message_id) VALUES (?, ?, 'n', 'digest', 'schedule:1', ?, ?, ?, ?, "
                "?, ?, ?)",
                (row_id, f"key-{row_id}", kind, target, payload, status, STAMP, STAMP, message),
            )
        raw.execute("INSERT INTO dm_channels VALUES (?, ?)", (USER, CHANNEL + 1))
        raw.execute("INSERT INTO closed_dms VALUES (?, ?, 1)", (USER + 1, STAMP))
        raw.execute(
            "INSERT INTO follows (id, story_id, follower_kind, follower_id, guild_id, ping_role_id, created_at) "
            "VALUES (1, 1, 'channel', ?, ?, ?, ?)",
            (CHANNEL, GUILD, ROLE, STAMP),
        )
        raw.execute(
            "INSERT INTO follows (id, story_id, follower_kind, follower_id, guild_id, ping_role_id, created_at) "
            "VALUES (2, 2, 'user', ?, NULL, NULL, ?)",
            (USER, STAMP),
        )
        raw.execute("INSERT INTO story_alerts VALUES (1, 7, ?)", (STAMP,))
        raw.execute("INSERT INTO held_alerts VALUES (2, 7)")
        raw.execute("INSERT INTO story_threads VALUES (?, 1, ?, ?)", (CHANNEL, MESSAGE, THREAD))
        for feed_id, guild, channel, url in (
            (1, GUILD, CHANNEL, "https://example.org/a.xml"),
            (2, None, None, "https://example.org/a.xml"),
        ):
            raw.execute(
                "INSERT INTO feeds (id, url, guild_id, channel_id, story_id, every_minutes, title, created_at) "
                "VALUES (?, ?, ?, ?, 1, 30, 't', ?)",
                (feed_id, url, guild, channel, STAMP),
            )
        raw.execute(
            "INSERT INTO feed_items (id, feed_id, item_key, title, first_seen_at, outcome, story_id) "
            "VALUES (1, 1, 'k', 't', ?, 'new', 1)",
            (STAMP,),
        )
        raw.execute("INSERT INTO development_reports VALUES (7, 'Outlet', NULL, ?)", (STAMP,))
        raw.execute("INSERT INTO bot_state VALUES ('command_tree', 'abc')")


def _all(raw: sqlite3.Connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in raw.execute(sql).fetchall()]


@pytest.fixture
async def migrated(tmp_path: Path) -> Path:
    path = tmp_path / "old.sqlite3"
    await _database_at(path, 7)
    _seed_discord_rows(path)
    async with Database.open(path) as db:
        assert await db.schema_version() == 8
    return path


async def test_every_discord_id_is_qualified_and_every_row_kept(migrated: Path) -> None:
    g, c, u, r = (f"discord:{n}" for n in (GUILD, CHANNEL, USER, ROLE))
    with sqlite3.connect(migrated) as raw:
        assert _all(raw, "SELECT id, slug, scope_id, author FROM stories ORDER BY id") == [
            (1, "story-1", g, "A. Writer"),
            (2, "story-2", None, "A. Writer"),
        ]
        assert _all(
            raw, "SELECT audience_kind, audience_id, scope_id, channel_id FROM digest_schedules ORDER BY id"
        ) == [
            ("guild", g, g, c),
            ("user", u, None, None),
        ]
        assert _all(raw, "SELECT id, platform, target_kind, target_id, status, message_id FROM outbox ORDER BY id") == [
            (1, "discord", "channel", c, "sent", str(MESSAGE)),
            (2, "discord", "user", u, "pending", None),
            (3, "discord", "channel", c, "pending", None),
        ]
        # A queued alert's role ping is qualified like the follow's, and reads back as the worker reads it.
        [(payload,)] = _all(raw, "SELECT payload_json FROM outbox WHERE id = 3")
        assert payloads.load(payload).ping_role_id == r
        # A link a server added finds its story again: its origin names the qualified server.
        assert _all(raw, "SELECT origin, story_id FROM sources ORDER BY origin") == sorted(
            [("file:a.txt", 1), (link_origin(LINK, g), 1), (link_origin(LINK, None), 2), (f"{g}:{UPLOAD_HASH}", 1)]
        )
        assert _all(raw, "SELECT user_id, channel_id FROM dm_channels") == [(u, f"discord:{CHANNEL + 1}")]
        assert _all(raw, "SELECT user_id, notified FROM closed_dms") == [(f"discord:{USER + 1}", 1)]
        assert _all(raw, "SELECT id, follower_id, scope_id, ping_role_id FROM follows ORDER BY id") == [
            (1, c, g, r),
            (2, u, None, None),
        ]
        assert _all(raw, "SELECT channel_id, story_id, card_message_id, thread_id FROM story_threads") == [
            (c, 1, str(MESSAGE), str(THREAD)),
        ]
        assert _all(raw, "SELECT id, scope_id, channel_id, story_id FROM feeds ORDER BY id") == [
            (1, g, c, 1),
            (2, None, None, 1),
        ]
        # The rows around them are untouched, their references included.
        assert _all(raw, "SELECT COUNT(*) FROM sections") == [(1,)]
        assert _all(raw, "SELECT COUNT(*) FROM key_points") == [(1,)]
        assert _all(raw, "SELECT id, story_id FROM developments") == [(7, 1)]
        assert _all(raw, "SELECT schedule_id, status FROM digest_slots") == [(1, "sent")]
        assert _all(raw, "SELECT story_id, alerted_through_id FROM story_alerts") == [(1, 7)]
        assert _all(raw, "SELECT follow_id, development_id FROM held_alerts") == [(2, 7)]
        assert _all(raw, "SELECT feed_id, story_id FROM feed_items") == [(1, 1)]
        assert _all(raw, "SELECT development_id FROM development_reports") == [(7,)]
        assert _all(raw, "SELECT value FROM bot_state") == [("abc",)]
        assert _all(raw, "PRAGMA foreign_key_check") == []
        # Every id column now holds text, so a Slack `ts` ("1712345678.000100") is never read back as a number.
        for table, column in (
            ("stories", "scope_id"),
            ("outbox", "target_id"),
            ("outbox", "message_id"),
            ("story_threads", "thread_id"),
            ("follows", "ping_role_id"),
            ("feeds", "channel_id"),
        ):
            declared = {row[1]: row[2] for row in raw.execute(f"PRAGMA table_info({table})")}
            assert declared[column] == "TEXT", (table, column)


async def test_the_references_still_cascade_after_the_rebuild(migrated: Path) -> None:
    async with Database.open(migrated) as db:
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM stories WHERE id = 1")
    with sqlite3.connect(migrated) as raw:
        for table in ("sections", "key_points", "developments", "follows", "story_threads", "story_alerts"):
            assert _all(raw, f"SELECT COUNT(*) FROM {table} WHERE story_id = 1") == [(0,)], table
        assert _all(raw, "SELECT COUNT(*) FROM feeds") == [(0,)]
        assert _all(raw, "SELECT COUNT(*) FROM feed_items") == [(0,)]
        assert _all(raw, "SELECT COUNT(*) FROM held_alerts") == [(0,)]  # its development went with story 1
        assert _all(raw, "PRAGMA foreign_key_check") == []


async def test_the_indexes_and_unique_constraints_exist(migrated: Path) -> None:
    with sqlite3.connect(migrated) as raw:
        indexes = {row[0]: row[1] for row in raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")}
        for name in (
            "stories_by_scope_and_activity",
            "stories_by_activity",
            "stories_by_activity_scope",
            "stories_by_url",
            "stories_by_title",
            "digest_schedules_due",
            "outbox_due",
            "outbox_by_ref",
            "follows_by_follower",
            "feeds_by_scope_url",
            "feeds_by_scope",
            "feeds_due",
        ):
            assert name in indexes, name
        assert "platform" in indexes["outbox_due"]
        assert "COALESCE(scope_id, '')" in indexes["feeds_by_scope_url"]
        plan = " ".join(
            str(row[3])
            for row in raw.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM outbox WHERE status = 'pending' AND platform = 'slack' "
                "AND next_attempt_at <= ? ORDER BY id",
                (STAMP,),
            )
        )
        assert "outbox_due" in plan
        # The unique constraints hold on the rebuilt tables.
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO feeds (url, scope_id, every_minutes, title, created_at) VALUES (?, NULL, 30, 't', ?)",
                ("https://example.org/a.xml", STAMP),
            )
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO follows (story_id, follower_kind, follower_id, created_at) VALUES (1, 'channel', ?, ?)",
                (f"discord:{CHANNEL}", STAMP),
            )
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO digest_schedules (audience_kind, audience_id, time_of_day, timezone, days, created_at, "
                "updated_at) VALUES ('user', ?, '08:00', 'UTC', 'mon', ?, ?)",
                (f"discord:{USER}", STAMP, STAMP),
            )
        # The same url in a Slack workspace is another feed, and `slack:` digits are not Discord's.
        raw.execute(
            "INSERT INTO feeds (url, scope_id, every_minutes, title, created_at) VALUES (?, ?, 30, 't', ?)",
            ("https://example.org/a.xml", f"slack:{GUILD}", STAMP),
        )


async def test_a_migration_that_breaks_a_reference_is_rolled_back(tmp_path: Path) -> None:
    from storage.database import DatabaseError

    path = tmp_path / "broken.sqlite3"
    await _database_at(path, 7)
    with sqlite3.connect(path) as raw:  # foreign keys off: a dangling follow, as an old bug could have left
        raw.execute(
            "INSERT INTO follows (story_id, follower_kind, follower_id, created_at) VALUES (99, 'user', 1, ?)", (STAMP,)
        )
    with pytest.raises(DatabaseError, match="008_platform_ids.sql leaves 1 rows with a broken reference"):
        async with Database.open(path):
            pass
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 7
        assert _all(raw, "SELECT follower_id FROM follows") == [(1,)]
