"""Digest schedules and the slots they processed. A slot is recorded with its outbox rows, atomically."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import aiosqlite

from storage.database import Database
from storage.outbox import OutgoingMessage, insert_messages
from storage.records import from_db_time, to_db_time

_SLOT_CHUNK = 500  # slots per multi-row INSERT (6 parameters each)
_LOOKUP_CHUNK = 500


class AudienceKind(StrEnum):
    """Who a digest is for: a server (posted in its channel) or one user (by DM)."""

    GUILD = "guild"
    USER = "user"


class SlotStatus(StrEnum):
    SENT = "sent"
    EMPTY = "empty"  # composed, with nothing new to say
    SKIPPED = "skipped"  # missed while the bot was offline, past the grace period


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestSchedule:
    id: int
    audience_kind: AudienceKind
    audience_id: str
    scope_id: str | None
    channel_id: str | None
    time_of_day: str
    timezone: str
    days: str
    enabled: bool
    next_fire_at: datetime | None
    next_slot_date: date | None
    last_digest_at: datetime | None

    @property
    def ref(self) -> str:
        return f"schedule:{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotRecord:
    slot_date: date
    status: SlotStatus
    detail: str
    fire_at: datetime
    processed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessedSlot:
    """What one tick decided for one schedule: record this slot, enqueue these messages, move on."""

    schedule_id: int
    slot_date: date
    fire_at: datetime
    status: SlotStatus
    detail: str
    messages: tuple[OutgoingMessage, ...]
    next_fire_at: datetime | None
    next_slot_date: date | None
    digest_at: datetime | None  # new "since" point when a digest was composed
    released_holds: tuple[tuple[int, int], ...] = ()  # (follow_id, development_id) shown in this digest


@dataclass(frozen=True, slots=True)
class NewSchedule:
    """A schedule to add in bulk (`DigestRepository.add_schedules`): what `save` is given, as one record."""

    audience_kind: str  # "guild" | "user"
    audience_id: str
    scope_id: str | None
    channel_id: str | None
    time_of_day: str
    timezone: str
    days: str
    next_fire_at: datetime
    next_slot_date: date


@dataclass(frozen=True, slots=True)
class DigestTotals:
    schedules: int  # enabled or not
    slots: dict[str, int]  # processed slots per status


def _schedule(row: aiosqlite.Row) -> DigestSchedule:
    return DigestSchedule(
        id=row["id"],
        audience_kind=AudienceKind(row["audience_kind"]),
        audience_id=row["audience_id"],
        scope_id=row["scope_id"],
        channel_id=row["channel_id"],
        time_of_day=row["time_of_day"],
        timezone=row["timezone"],
        days=row["days"],
        enabled=bool(row["enabled"]),
        next_fire_at=from_db_time(row["next_fire_at"]) if row["next_fire_at"] else None,
        next_slot_date=date.fromisoformat(row["next_slot_date"]) if row["next_slot_date"] else None,
        last_digest_at=from_db_time(row["last_digest_at"]) if row["last_digest_at"] else None,
    )


class DigestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self,
        *,
        audience_kind: AudienceKind,
        audience_id: str,
        scope_id: str | None,
        channel_id: str | None,
        time_of_day: str,
        timezone: str,
        days: str,
        next_fire_at: datetime,
        next_slot_date: date,
        now: datetime,
    ) -> DigestSchedule:
        """Creates or changes an audience's schedule; `last_digest_at` survives a change."""
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO digest_schedules (audience_kind, audience_id, scope_id, channel_id, time_of_day, "
                "timezone, days, enabled, next_fire_at, next_slot_date, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) "
                "ON CONFLICT (audience_kind, audience_id) DO UPDATE SET scope_id = excluded.scope_id, "
                "channel_id = excluded.channel_id, time_of_day = excluded.time_of_day, timezone = excluded.timezone, "
                "days = excluded.days, enabled = 1, next_fire_at = excluded.next_fire_at, "
                "next_slot_date = excluded.next_slot_date, updated_at = excluded.updated_at RETURNING *",
                (
                    audience_kind,
                    audience_id,
                    scope_id,
                    channel_id,
                    time_of_day,
                    timezone,
                    days,
                    to_db_time(next_fire_at),
                    next_slot_date.isoformat(),
                    stamp,
                    stamp,
                ),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return _schedule(row)

    async def get(self, audience_kind: AudienceKind, audience_id: str) -> DigestSchedule | None:
        async with self.db.reader.execute(
            "SELECT * FROM digest_schedules WHERE audience_kind = ? AND audience_id = ?", (audience_kind, audience_id)
        ) as cursor:
            row = await cursor.fetchone()
        return _schedule(row) if row else None

    async def timezones(self, audience_kind: AudienceKind, audience_ids: Collection[str]) -> dict[str, str]:
        """The time zone each of these audiences chose for its digest (on or off), by audience id."""
        found: dict[str, str] = {}
        unique = sorted(set(audience_ids))
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self.db.reader.execute(
                "SELECT audience_id, timezone FROM digest_schedules "
                f"WHERE audience_kind = ? AND audience_id IN ({marks})",
                [audience_kind, *chunk],
            ) as cursor:
                found.update((row[0], row[1]) for row in await cursor.fetchall())
        return found

    async def get_by_id(self, schedule_id: int) -> DigestSchedule | None:
        async with self.db.reader.execute("SELECT * FROM digest_schedules WHERE id = ?", (schedule_id,)) as cursor:
            row = await cursor.fetchone()
        return _schedule(row) if row else None

    async def disable(self, audience_kind: AudienceKind, audience_id: str, now: datetime) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE digest_schedules SET enabled = 0, next_fire_at = NULL, next_slot_date = NULL, updated_at = ? "
                "WHERE audience_kind = ? AND audience_id = ? AND enabled = 1",
                (to_db_time(now), audience_kind, audience_id),
            )
            return cursor.rowcount > 0

    async def due(self, now: datetime, limit: int = 1000) -> list[DigestSchedule]:
        async with self.db.reader.execute(
            "SELECT * FROM digest_schedules WHERE enabled = 1 AND next_fire_at <= ? ORDER BY next_fire_at, id LIMIT ?",
            (to_db_time(now), limit),
        ) as cursor:
            return [_schedule(r) for r in await cursor.fetchall()]

    async def overdue(self, before: datetime) -> int:
        async with self.db.reader.execute(
            "SELECT COUNT(*) FROM digest_schedules WHERE enabled = 1 AND next_fire_at <= ?", (to_db_time(before),)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def record(self, processed: Sequence[ProcessedSlot], now: datetime) -> list[bool]:
        """One transaction for the batch. A slot already recorded is not enqueued again (returns False).

        A handful of statements per batch, not three per slot: the slots go in with multi-row INSERTs whose
        RETURNING names the fresh ones, then the fresh slots' messages, released holds and every schedule's
        next slot are written with one executemany each, in the batch's order."""
        stamp = to_db_time(now)
        slots = [
            (item.schedule_id, item.slot_date.isoformat(), item.status, item.detail, to_db_time(item.fire_at), stamp)
            for item in processed
        ]
        async with self.db.transaction() as conn:
            inserted: set[tuple[int, str]] = set()
            for start in range(0, len(slots), _SLOT_CHUNK):
                chunk = slots[start : start + _SLOT_CHUNK]
                async with conn.execute(
                    "INSERT INTO digest_slots (schedule_id, slot_date, status, detail, fire_at, processed_at) VALUES "
                    + ",".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk))
                    + " ON CONFLICT DO NOTHING RETURNING schedule_id, slot_date",
                    [value for slot in chunk for value in slot],
                ) as cursor:
                    inserted.update((row[0], row[1]) for row in await cursor.fetchall())
            results: list[bool] = []
            for slot in slots:
                key = (slot[0], slot[1])
                results.append(key in inserted)
                inserted.discard(key)  # the same slot again later in the batch was not inserted by itself
            fresh = [item for item, is_fresh in zip(processed, results, strict=True) if is_fresh]
            messages = [message for item in fresh for message in item.messages]
            if messages:
                await insert_messages(conn, messages, now)
            holds = [hold for item in fresh for hold in item.released_holds]
            if holds:
                await conn.executemany("DELETE FROM held_alerts WHERE follow_id = ? AND development_id = ?", holds)
            await conn.executemany(
                "UPDATE digest_schedules SET next_fire_at = ?, next_slot_date = ?, "
                "last_digest_at = COALESCE(?, last_digest_at) WHERE id = ? AND enabled = 1",
                [
                    (
                        to_db_time(item.next_fire_at) if item.next_fire_at else None,
                        item.next_slot_date.isoformat() if item.next_slot_date else None,
                        to_db_time(item.digest_at) if is_fresh and item.digest_at else None,
                        item.schedule_id,
                    )
                    for item, is_fresh in zip(processed, results, strict=True)
                ],
            )
        return results

    async def record_manual(
        self, schedule_id: int, messages: Sequence[OutgoingMessage], digest_at: datetime, now: datetime
    ) -> None:
        """`/digest now`: enqueue and move the "since" point, outside the slot calendar."""
        async with self.db.transaction() as conn:
            await insert_messages(conn, messages, now)
            await conn.execute(
                "UPDATE digest_schedules SET last_digest_at = ? WHERE id = ?", (to_db_time(digest_at), schedule_id)
            )

    async def recent_slots(self, schedule_id: int, limit: int = 3) -> list[SlotRecord]:
        async with self.db.reader.execute(
            "SELECT slot_date, status, detail, fire_at, processed_at FROM digest_slots WHERE schedule_id = ? "
            "ORDER BY slot_date DESC LIMIT ?",
            (schedule_id, limit),
        ) as cursor:
            return [
                SlotRecord(
                    slot_date=date.fromisoformat(r[0]),
                    status=SlotStatus(r[1]),
                    detail=r[2],
                    fire_at=from_db_time(r[3]),
                    processed_at=from_db_time(r[4]),
                )
                for r in await cursor.fetchall()
            ]

    # --- bulk and totals (benchmarks, tools) ---------------------------------------------------------

    async def add_schedules(self, schedules: Sequence[NewSchedule], now: datetime) -> int:
        """Many audiences' first schedules in one transaction; an audience that has one keeps it.
        Returns the schedules added."""
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO digest_schedules (audience_kind, audience_id, scope_id, channel_id, time_of_day, "
                "timezone, days, enabled, next_fire_at, next_slot_date, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (audience_kind, audience_id) DO NOTHING",
                [
                    (
                        n.audience_kind,
                        n.audience_id,
                        n.scope_id,
                        n.channel_id,
                        n.time_of_day,
                        n.timezone,
                        n.days,
                        to_db_time(n.next_fire_at),
                        n.next_slot_date.isoformat(),
                        stamp,
                        stamp,
                    )
                    for n in schedules
                ],
            )
            return conn.total_changes - before

    async def totals(self) -> DigestTotals:
        async with self.db.reader.execute("SELECT COUNT(*) FROM digest_schedules") as cursor:
            row = await cursor.fetchone()
        async with self.db.reader.execute("SELECT status, COUNT(*) FROM digest_slots GROUP BY status") as cursor:
            slots = {r[0]: r[1] for r in await cursor.fetchall()}
        return DigestTotals(int(row[0]) if row else 0, slots)
