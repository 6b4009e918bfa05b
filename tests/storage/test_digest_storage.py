"""Tests for storage.digests: schedules and the slots they processed, recorded atomically with the outbox."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from storage.database import Database
from storage.digests import AudienceKind, DigestRepository, ProcessedSlot, SlotRecord, SlotStatus
from storage.outbox import OutboxRepository, OutgoingMessage

NOW = datetime(2024, 3, 4, 6, 0, tzinfo=UTC)
FIRE = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)
NEXT = datetime(2024, 3, 5, 7, 0, tzinfo=UTC)
GUILD_A = "discord:111111111111111111"
CHANNEL_A = "discord:555555555555555555"


@pytest.fixture
def repo(db: Database) -> DigestRepository:
    return DigestRepository(db)


async def _save(repo: DigestRepository, **changes: object):
    values: dict[str, object] = {
        "audience_kind": "guild",
        "audience_id": GUILD_A,
        "scope_id": GUILD_A,
        "channel_id": CHANNEL_A,
        "time_of_day": "07:00",
        "timezone": "UTC",
        "days": "mon,tue,wed,thu,fri,sat,sun",
        "next_fire_at": FIRE,
        "next_slot_date": date(2024, 3, 4),
        "now": NOW,
    }
    values.update(changes)
    return await repo.save(**values)  # type: ignore[arg-type]


def _message(key: str, target_kind: str = "channel") -> OutgoingMessage:
    return OutgoingMessage(key, "digest", target_kind, CHANNEL_A, '{"content":"hi","cards":[]}', "schedule:1")


def _slot(schedule_id: int, **changes: object) -> ProcessedSlot:
    values: dict[str, object] = {
        "schedule_id": schedule_id,
        "slot_date": date(2024, 3, 4),
        "fire_at": FIRE,
        "status": SlotStatus.SENT,
        "detail": "",
        "messages": (),
        "next_fire_at": NEXT,
        "next_slot_date": date(2024, 3, 5),
        "digest_at": FIRE,
    }
    values.update(changes)
    return ProcessedSlot(**values)  # type: ignore[arg-type]


def _processed(schedule_id: int, *messages: OutgoingMessage, status: SlotStatus = SlotStatus.SENT) -> ProcessedSlot:
    return _slot(schedule_id, status=status, messages=tuple(messages))


async def _outbox_keys(db: Database) -> list[str]:
    async with db.reader.execute("SELECT dedupe_key FROM outbox ORDER BY id") as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def test_save_creates_then_changes_one_schedule_per_audience(repo: DigestRepository) -> None:
    created = await _save(repo)
    assert created.enabled
    assert created.ref == f"schedule:{created.id}"
    assert (created.next_fire_at, created.next_slot_date) == (FIRE, date(2024, 3, 4))

    changed = await _save(repo, time_of_day="18:30", timezone="Europe/Paris", next_fire_at=NEXT)
    assert changed.id == created.id
    assert (changed.time_of_day, changed.timezone, changed.next_fire_at) == ("18:30", "Europe/Paris", NEXT)
    assert await repo.get("guild", GUILD_A) == changed
    assert await repo.get_by_id(created.id) == changed
    assert await repo.get("user", GUILD_A) is None


async def test_due_lists_enabled_schedules_whose_slot_has_come(repo: DigestRepository) -> None:
    schedule = await _save(repo)
    assert await repo.due(FIRE - timedelta(seconds=1)) == []
    assert [s.id for s in await repo.due(FIRE)] == [schedule.id]
    assert await repo.overdue(FIRE) == 1
    assert await repo.overdue(FIRE - timedelta(minutes=1)) == 0

    assert await repo.disable("guild", GUILD_A, NOW)
    assert not await repo.disable("guild", GUILD_A, NOW)
    off = await repo.get("guild", GUILD_A)
    assert off is not None and not off.enabled and off.next_fire_at is None
    assert await repo.due(FIRE + timedelta(days=30)) == []


async def test_record_enqueues_the_slots_messages_once(db: Database, repo: DigestRepository) -> None:
    schedule = await _save(repo)
    item = _processed(schedule.id, _message("digest:1:2024-03-04:0"), _message("digest:1:2024-03-04:1"))

    assert await repo.record([item], FIRE) == [True]
    assert await repo.record([item], FIRE) == [False]

    assert await _outbox_keys(db) == ["digest:1:2024-03-04:0", "digest:1:2024-03-04:1"]
    after = await repo.get_by_id(schedule.id)
    assert after is not None
    assert (after.next_fire_at, after.next_slot_date, after.last_digest_at) == (NEXT, date(2024, 3, 5), FIRE)
    [slot] = await repo.recent_slots(schedule.id)
    assert (slot.slot_date, slot.status, slot.fire_at, slot.processed_at) == (date(2024, 3, 4), "sent", FIRE, FIRE)


async def test_a_second_record_of_a_slot_does_not_move_the_since_point(repo: DigestRepository) -> None:
    schedule = await _save(repo)
    await repo.record([_processed(schedule.id)], FIRE)
    late = _slot(schedule.id, digest_at=FIRE + timedelta(hours=1))
    assert await repo.record([late], FIRE + timedelta(hours=1)) == [False]
    after = await repo.get_by_id(schedule.id)
    assert after is not None and after.last_digest_at == FIRE


async def test_a_failed_insert_records_neither_slot_nor_messages(db: Database, repo: DigestRepository) -> None:
    schedule = await _save(repo)
    bad = _processed(schedule.id, _message("digest:1:2024-03-04:0"), _message("digest:1:2024-03-04:1", "webhook"))

    with pytest.raises(sqlite3.IntegrityError):
        await repo.record([bad], FIRE)

    assert await _outbox_keys(db) == []
    assert await repo.recent_slots(schedule.id) == []
    unchanged = await repo.get_by_id(schedule.id)
    assert unchanged is not None and unchanged.next_fire_at == FIRE and unchanged.last_digest_at is None


async def test_record_does_not_revive_a_schedule_turned_off_meanwhile(repo: DigestRepository) -> None:
    schedule = await _save(repo)
    await repo.disable("guild", GUILD_A, NOW)
    await repo.record([_processed(schedule.id)], FIRE)
    after = await repo.get_by_id(schedule.id)
    assert after is not None and not after.enabled and after.next_fire_at is None


async def test_a_skipped_slot_is_recorded_without_messages(db: Database, repo: DigestRepository) -> None:
    schedule = await _save(repo)
    skipped = _slot(schedule.id, status=SlotStatus.SKIPPED, detail="offline", digest_at=None)
    assert await repo.record([skipped], FIRE + timedelta(hours=3)) == [True]
    assert await _outbox_keys(db) == []
    [slot] = await repo.recent_slots(schedule.id)
    assert (slot.status, slot.detail) == ("skipped", "offline")
    after = await repo.get_by_id(schedule.id)
    assert after is not None and after.last_digest_at is None and after.next_fire_at == NEXT


async def test_recent_slots_are_newest_first_and_limited(repo: DigestRepository) -> None:
    schedule = await _save(repo)
    for day in range(4, 9):
        slot_date = date(2024, 3, day)
        fire = datetime(2024, 3, day, 7, tzinfo=UTC)
        await repo.record(
            [
                _slot(
                    schedule.id,
                    slot_date=slot_date,
                    fire_at=fire,
                    status=SlotStatus.EMPTY,
                    next_fire_at=fire + timedelta(days=1),
                    next_slot_date=None,
                    digest_at=fire,
                )
            ],
            fire,
        )
    assert [s.slot_date.day for s in await repo.recent_slots(schedule.id)] == [8, 7, 6]
    assert len(await repo.recent_slots(schedule.id, limit=10)) == 5


async def test_record_manual_enqueues_and_moves_since(db: Database, repo: DigestRepository) -> None:
    schedule = await _save(repo)
    moment = NOW + timedelta(minutes=5)
    await repo.record_manual(schedule.id, [_message("digest-now:1:a:0")], moment, moment)
    await repo.record_manual(schedule.id, [_message("digest-now:1:a:0")], moment, moment)
    assert await _outbox_keys(db) == ["digest-now:1:a:0"]
    after = await repo.get_by_id(schedule.id)
    assert after is not None
    assert after.last_digest_at == moment
    assert after.next_fire_at == FIRE
    assert await repo.recent_slots(schedule.id) == []


async def test_a_change_keeps_last_digest_at(repo: DigestRepository) -> None:
    schedule = await _save(repo)
    await repo.record([_processed(schedule.id)], FIRE)
    changed = await _save(repo, time_of_day="09:00", next_fire_at=NEXT + timedelta(hours=2))
    assert changed.last_digest_at == FIRE


async def test_outbox_rows_of_a_slot_carry_the_nonce_and_due_time(db: Database, repo: DigestRepository) -> None:
    schedule = await _save(repo)
    await repo.record([_processed(schedule.id, _message("digest:1:2024-03-04:0"))], FIRE)
    [item] = await OutboxRepository(db).due(FIRE)
    assert item.status == "pending"
    assert item.next_attempt_at == FIRE
    assert len(item.nonce) <= 25


def test_slots_and_schedules_are_built_with_keywords_only() -> None:
    # Nine positional values in a row were easy to misorder (two dates, three datetimes): names are required.
    with pytest.raises(TypeError):
        ProcessedSlot(1, date(2024, 3, 4), FIRE, SlotStatus.SENT, "", (), NEXT, date(2024, 3, 5), FIRE)  # type: ignore[misc]
    with pytest.raises(TypeError):
        SlotRecord(date(2024, 3, 4), SlotStatus.SENT, "", FIRE, FIRE)  # type: ignore[misc]
    assert _slot(1).status is SlotStatus.SENT


async def test_kinds_read_back_as_enums(repo: DigestRepository) -> None:
    schedule = await _save(repo)
    assert schedule.audience_kind is AudienceKind.GUILD
    await repo.record([_processed(schedule.id)], FIRE)
    [slot] = await repo.recent_slots(schedule.id)
    assert slot.status is SlotStatus.SENT
