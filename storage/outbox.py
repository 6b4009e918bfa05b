"""The outbox: every message the bot posts on its own, until it is delivered or permanently fails."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import aiosqlite

from bot.ids import platform_of
from bot.platforms import Platform
from storage.database import Database
from storage.records import from_db_time, to_db_time

NONCE_LENGTH = 25  # Discord's limit for a string nonce


class TargetKind(StrEnum):
    """Who a message goes to (the table's CHECK constraint allows exactly these)."""

    CHANNEL = "channel"
    USER = "user"


class OutboxStatus(StrEnum):
    """A row is pending until it is sent or permanently failed; a retry stays pending with a later time."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def nonce_for(dedupe_key: str) -> str:
    """Deterministic, so a resend after a crash carries the same nonce and Discord drops the repeat."""
    return hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:NONCE_LENGTH]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    dedupe_key: str
    kind: str  # "digest", "alert", ...: an open set, each feature names its own
    target_kind: TargetKind
    target_id: str  # qualified ("discord:…", "slack:…"): its platform's worker delivers the message
    payload_json: str
    ref: str | None = None

    @property
    def platform(self) -> str:
        return platform_of(self.target_id)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    dedupe_key: str
    nonce: str
    kind: str
    ref: str | None
    platform: str  # the target's platform, whose worker delivers it
    target_kind: TargetKind
    target_id: str
    payload_json: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    message_id: str | None  # the platform's own id for the message (a Slack `ts`), as text


@dataclass(frozen=True, slots=True)
class OutboxTally:
    """One kind of message to one kind of target: how many rows, to how many targets, for how many refs."""

    messages: int
    targets: int
    refs: int


def _item(row: aiosqlite.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        dedupe_key=row["dedupe_key"],
        nonce=row["nonce"],
        kind=row["kind"],
        ref=row["ref"],
        platform=row["platform"],
        target_kind=TargetKind(row["target_kind"]),
        target_id=row["target_id"],
        payload_json=row["payload_json"],
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=from_db_time(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=from_db_time(row["created_at"]),
        finished_at=from_db_time(row["finished_at"]) if row["finished_at"] else None,
        message_id=row["message_id"],
    )


async def fail_pending_for_refs(conn: aiosqlite.Connection, refs: Sequence[str], error: str, now: datetime) -> int:
    """Inside the caller's transaction: ends every message still queued for these refs (their subject is gone)."""
    stamp = to_db_time(now)
    before = conn.total_changes
    await conn.executemany(
        "UPDATE outbox SET status = ?, finished_at = ?, last_error = ? WHERE ref = ? AND status = 'pending'",
        [(OutboxStatus.FAILED, stamp, error, ref) for ref in refs],
    )
    return conn.total_changes - before


async def insert_messages(conn: aiosqlite.Connection, messages: Sequence[OutgoingMessage], now: datetime) -> int:
    """Inside the caller's transaction; a dedupe_key already present is ignored. Returns rows added."""
    stamp = to_db_time(now)
    before = conn.total_changes
    await conn.executemany(
        "INSERT INTO outbox (dedupe_key, nonce, kind, ref, platform, target_kind, target_id, payload_json, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
        [
            (
                m.dedupe_key,
                nonce_for(m.dedupe_key),
                m.kind,
                m.ref,
                m.platform,
                m.target_kind,
                m.target_id,
                m.payload_json,
                stamp,
                stamp,
            )
            for m in messages
        ],
    )
    return conn.total_changes - before


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(self, messages: Sequence[OutgoingMessage], now: datetime | None = None) -> int:
        async with self.db.transaction() as conn:
            return await insert_messages(conn, messages, now or datetime.now(UTC))

    async def due(
        self, now: datetime, limit: int = 200, *, platform: Platform | str | None = None
    ) -> list[OutboxItem]:
        """Pending rows due by `now`, oldest first; with `platform`, only that platform's (each platform's worker
        drains its own rows, so one platform's backlog never holds the other's up)."""
        # 'pending' is written out, not bound: only a literal lets SQLite use the partial index outbox_due.
        if platform is None:
            sql = "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?"
            params: tuple[object, ...] = (to_db_time(now), limit)
        else:
            sql = (
                "SELECT * FROM outbox WHERE status = 'pending' AND platform = ? AND next_attempt_at <= ? "
                "ORDER BY id LIMIT ?"
            )
            params = (str(platform), to_db_time(now), limit)
        async with self.db.reader.execute(sql, params) as cursor:
            return [_item(r) for r in await cursor.fetchall()]

    async def blocked_targets(
        self, targets: Sequence[tuple[TargetKind, str]], before_id: int
    ) -> set[tuple[TargetKind, str]]:
        """Targets that still have an earlier pending message, which must go first."""
        blocked: set[tuple[TargetKind, str]] = set()
        for kind, target in set(targets):
            async with self.db.reader.execute(
                "SELECT 1 FROM outbox WHERE status = 'pending' AND target_kind = ? AND target_id = ? AND id < ? "
                "LIMIT 1",
                (kind, target, before_id),
            ) as cursor:
                if await cursor.fetchone():
                    blocked.add((kind, target))
        return blocked

    async def mark_sent(self, item_id: int, message_id: str | None, now: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, finished_at = ?, message_id = ?, "
                "last_error = NULL WHERE id = ?",
                (OutboxStatus.SENT, to_db_time(now), message_id, item_id),
            )

    async def mark_failed(self, item_id: int, error: str, now: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, finished_at = ?, last_error = ? WHERE id = ?",
                (OutboxStatus.FAILED, to_db_time(now), error[:500], item_id),
            )

    async def mark_retry(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                (to_db_time(next_attempt_at), error[:500], item_id),
            )

    async def fail_pending_for_target(self, target_kind: TargetKind, target_id: str, error: str, now: datetime) -> int:
        """A permanent failure (closed DMs, deleted channel) ends every message still queued for that target."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET status = ?, finished_at = ?, last_error = ? "
                "WHERE status = 'pending' AND target_kind = ? AND target_id = ?",
                (OutboxStatus.FAILED, to_db_time(now), error[:500], target_kind, target_id),
            )
            return cursor.rowcount

    async def latest_for_ref(self, ref: str, limit: int = 5) -> list[OutboxItem]:
        async with self.db.reader.execute(
            "SELECT * FROM outbox WHERE ref = ? ORDER BY id DESC LIMIT ?", (ref, limit)
        ) as cursor:
            return [_item(r) for r in await cursor.fetchall()]

    async def counts(self) -> dict[OutboxStatus, int]:
        async with self.db.reader.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status") as cursor:
            return {OutboxStatus(row[0]): row[1] for row in await cursor.fetchall()}

    async def tally(self, kind: str) -> dict[TargetKind, OutboxTally]:
        """Rows of one kind ("digest", "alert", ...) in any status, per kind of target."""
        async with self.db.reader.execute(
            "SELECT target_kind, COUNT(*), COUNT(DISTINCT target_id), COUNT(DISTINCT ref) FROM outbox "
            "WHERE kind = ? GROUP BY target_kind",
            (kind,),
        ) as cursor:
            return {TargetKind(r[0]): OutboxTally(r[1], r[2], r[3]) for r in await cursor.fetchall()}
