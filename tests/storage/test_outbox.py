"""Tests for storage.outbox: dedupe, deterministic nonces, due order and the row state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.database import Database
from storage.outbox import NONCE_LENGTH, OutboxRepository, OutboxStatus, OutgoingMessage, TargetKind, nonce_for

NOW = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)
CHANNEL = "discord:555555555555555555"
USER = "discord:777777777777777777"
OTHER_USER = "discord:777777777777777778"


@pytest.fixture
def outbox(db: Database) -> OutboxRepository:
    return OutboxRepository(db)


def _message(key: str, target_kind: str = "channel", target_id: str = CHANNEL, ref: str | None = "schedule:1"):
    return OutgoingMessage(key, "digest", target_kind, target_id, f'{{"content":"{key}","cards":[]}}', ref)


async def _count(db: Database) -> int:
    async with db.reader.execute("SELECT COUNT(*) FROM outbox") as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def test_the_same_dedupe_key_twice_is_one_row(db: Database, outbox: OutboxRepository) -> None:
    assert await outbox.enqueue([_message("k:0")], NOW) == 1
    assert await outbox.enqueue([_message("k:0")], NOW + timedelta(hours=1)) == 0
    assert await outbox.enqueue([_message("k:0"), _message("k:1")], NOW) == 1
    assert await _count(db) == 2
    [first, second] = await outbox.due(NOW + timedelta(hours=1))
    assert (first.dedupe_key, second.dedupe_key) == ("k:0", "k:1")
    assert first.created_at == NOW  # the repeat did not touch the stored row


def test_nonce_is_deterministic_and_fits_discord() -> None:
    assert nonce_for("digest:1:2024-03-04:0") == nonce_for("digest:1:2024-03-04:0")
    assert nonce_for("digest:1:2024-03-04:0") != nonce_for("digest:1:2024-03-04:1")
    assert len(nonce_for("x")) <= 25
    assert NONCE_LENGTH <= 25


@given(st.text(max_size=300))
def test_any_key_gives_a_short_stable_nonce(key: str) -> None:
    nonce = nonce_for(key)
    assert 0 < len(nonce) <= 25
    assert nonce == nonce_for(key)
    assert nonce.isascii()


async def test_stored_rows_carry_the_nonce_of_their_key(outbox: OutboxRepository) -> None:
    await outbox.enqueue([_message("alert:3:9:0", "user", USER, "follow:3")], NOW)
    [item] = await outbox.due(NOW)
    assert item.nonce == nonce_for("alert:3:9:0")
    assert (item.kind, item.target_kind, item.target_id, item.ref) == ("digest", "user", USER, "follow:3")
    assert (item.status, item.attempts, item.next_attempt_at, item.last_error) == ("pending", 0, NOW, None)


async def test_due_is_in_id_order_and_respects_next_attempt(outbox: OutboxRepository) -> None:
    await outbox.enqueue([_message(f"k:{i}") for i in range(5)], NOW)
    items = await outbox.due(NOW)
    assert [i.dedupe_key for i in items] == [f"k:{i}" for i in range(5)]
    assert [i.id for i in items] == sorted(i.id for i in items)
    assert await outbox.due(NOW - timedelta(seconds=1)) == []
    assert len(await outbox.due(NOW, limit=2)) == 2

    await outbox.mark_retry(items[1].id, "503", NOW + timedelta(seconds=30))
    assert [i.dedupe_key for i in await outbox.due(NOW)] == ["k:0", "k:2", "k:3", "k:4"]
    retried = [i for i in await outbox.due(NOW + timedelta(seconds=30)) if i.dedupe_key == "k:1"]
    assert retried[0].attempts == 1 and retried[0].last_error == "503"


async def test_blocked_targets_have_an_earlier_pending_row(outbox: OutboxRepository) -> None:
    await outbox.enqueue([_message("a:0"), _message("b:0", "user", USER), _message("a:1")], NOW)
    a0, b0, a1 = await outbox.due(NOW)
    assert await outbox.blocked_targets([("channel", CHANNEL)], before_id=a1.id) == {("channel", CHANNEL)}
    assert await outbox.blocked_targets([("channel", CHANNEL)], before_id=a0.id) == set()
    assert await outbox.blocked_targets([("user", USER)], before_id=a1.id) == {("user", USER)}
    await outbox.mark_sent(a0.id, "1", NOW)
    assert await outbox.blocked_targets([("channel", CHANNEL)], before_id=a1.id) == set()


async def test_sent_and_failed_rows_leave_the_queue(outbox: OutboxRepository) -> None:
    await outbox.enqueue([_message("k:0"), _message("k:1")], NOW)
    first, second = await outbox.due(NOW)
    await outbox.mark_sent(first.id, "1712345678.000100", NOW + timedelta(seconds=1))
    await outbox.mark_failed(second.id, "x" * 900, NOW + timedelta(seconds=2))
    assert await outbox.due(NOW + timedelta(days=1)) == []
    assert await outbox.counts() == {"sent": 1, "failed": 1}

    [failed, sent] = await outbox.latest_for_ref("schedule:1")
    assert (sent.status, sent.message_id, sent.attempts, sent.finished_at) == (
        "sent",
        "1712345678.000100",  # a Slack `ts` stays text, not a number
        1,
        NOW + timedelta(seconds=1),
    )
    assert failed.status == "failed"
    assert failed.last_error == "x" * 500  # stored reasons are capped
    assert failed.finished_at == NOW + timedelta(seconds=2)


async def test_fail_pending_for_target_ends_only_that_targets_pending_rows(outbox: OutboxRepository) -> None:
    await outbox.enqueue(
        [
            _message("u:0", "user", USER),
            _message("u:1", "user", USER),
            _message("c:0", "channel", USER),  # same number, other kind: untouched
            _message("o:0", "user", OTHER_USER),
        ],
        NOW,
    )
    u0 = (await outbox.due(NOW))[0]
    await outbox.mark_sent(u0.id, 1, NOW)
    assert await outbox.fail_pending_for_target("user", USER, "DMs closed", NOW) == 1
    assert sorted(i.dedupe_key for i in await outbox.due(NOW)) == ["c:0", "o:0"]
    [u1, sent] = [i for i in await outbox.latest_for_ref("schedule:1") if i.dedupe_key.startswith("u:")]
    assert (u1.status, u1.last_error) == ("failed", "DMs closed")
    assert sent.status == "sent"


async def test_latest_for_ref_is_newest_first(outbox: OutboxRepository) -> None:
    await outbox.enqueue([_message(f"k:{i}") for i in range(4)] + [_message("other", ref="schedule:2")], NOW)
    assert [i.dedupe_key for i in await outbox.latest_for_ref("schedule:1", limit=2)] == ["k:3", "k:2"]
    assert [i.dedupe_key for i in await outbox.latest_for_ref("schedule:2")] == ["other"]
    assert await outbox.latest_for_ref("schedule:9") == []


async def test_statuses_and_target_kinds_come_back_as_enums(outbox: OutboxRepository) -> None:
    await outbox.enqueue([_message("k:0"), _message("k:1", "user", USER)], NOW)
    first, second = await outbox.due(NOW)
    assert (first.status, first.target_kind, second.target_kind) == (
        OutboxStatus.PENDING,
        TargetKind.CHANNEL,
        TargetKind.USER,
    )
    assert first.status is OutboxStatus.PENDING and second.target_kind is TargetKind.USER
    await outbox.mark_sent(first.id, 1, NOW)
    await outbox.mark_failed(second.id, "gone", NOW)
    latest = {i.dedupe_key: i.status for i in await outbox.latest_for_ref("schedule:1")}
    assert latest["k:0"] is OutboxStatus.SENT and latest["k:1"] is OutboxStatus.FAILED
    assert all(type(status) is OutboxStatus for status in await outbox.counts())
