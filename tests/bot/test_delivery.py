"""Tests for bot.delivery: the outbox worker against a small in-test transport, on a real SQLite file."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import payloads
from bot.cards import Card
from bot.delivery import (
    MAX_ATTEMPTS,
    OutboxWorker,
    Pace,
    PermanentFailure,
    RateLimiter,
    TemporaryFailure,
    Transport,
    backoff,
    backoff_ceiling,
)
from bot.ids import external
from bot.limits import MessagePart
from bot.platforms import Platform
from storage.database import Database
from storage.direct_messages import DirectMessageRepository
from storage.outbox import OutboxItem, OutboxRepository, OutboxStatus, OutgoingMessage, nonce_for

NOW = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)
CHANNEL_A = "discord:555555555555555555"
CHANNEL_B = "discord:565656565656565656"
USER = "discord:777777777777777777"
OTHER_USER = "discord:787878787878787878"
JITTER_SEED = 8  # the worker fixture's backoff jitter; a test replays it with random.Random(JITTER_SEED)


@dataclass(frozen=True, slots=True)
class Delivery:
    dedupe_key: str
    nonce: str
    target: tuple[str, int]
    content: str


@dataclass
class RecordingTransport(Transport):
    """A Transport (paced by the worker): records each delivery; can fail chosen keys on chosen attempts."""

    deliveries: list[Delivery] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    # dedupe_key -> one exception factory per attempt (None: that attempt succeeds)
    script: dict[str, list[Callable[[], BaseException] | None]] = field(default_factory=dict)
    crash_after_delivering: set[str] = field(default_factory=set)
    next_message_id: int = 1000

    async def deliver(self, item: OutboxItem, message: payloads.StoredMessage) -> str | None:
        attempt = self.calls.count(item.dedupe_key)
        self.calls.append(item.dedupe_key)
        plan = self.script.get(item.dedupe_key, [])
        failure = plan[attempt] if attempt < len(plan) else None
        if failure is not None:
            raise failure()
        self.deliveries.append(
            Delivery(item.dedupe_key, item.nonce, (item.target_kind, item.target_id), message.part.content)
        )
        if item.dedupe_key in self.crash_after_delivering:
            self.crash_after_delivering.discard(item.dedupe_key)
            raise asyncio.CancelledError  # the process dies after Discord accepted the message
        self.next_message_id += 1
        return f"1712345678.{self.next_message_id:06d}"  # a Slack `ts`: a platform's message id is text

    def delivered_keys(self) -> list[str]:
        return [d.dedupe_key for d in self.deliveries]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def _temporary() -> BaseException:
    return TemporaryFailure("503 Service Unavailable")


def _message(key: str, target_kind: str = "channel", target_id: str = CHANNEL_A) -> OutgoingMessage:
    return OutgoingMessage(key, "digest", target_kind, target_id, payloads.dump(MessagePart(key)), "schedule:1")


@pytest.fixture
def outbox(db: Database) -> OutboxRepository:
    return OutboxRepository(db)


@pytest.fixture
def dms(db: Database) -> DirectMessageRepository:
    return DirectMessageRepository(db)


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def worker(
    outbox: OutboxRepository, dms: DirectMessageRepository, transport: RecordingTransport, clock: Clock
) -> OutboxWorker:
    return OutboxWorker(
        outbox, dms, transport, platform=Platform.DISCORD, rate_per_second=10_000, clock=clock,
        rng=random.Random(JITTER_SEED),
    )


async def _row(outbox: OutboxRepository, key: str) -> OutboxItem:
    [item] = [i for i in await outbox.latest_for_ref("schedule:1", limit=1000) if i.dedupe_key == key]
    return item


async def test_a_platforms_worker_delivers_only_its_own_platforms_rows(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    # The same digits on Slack are another channel and another user, delivered by Slack's own worker.
    slack_channel, slack_user = f"slack:{external(CHANNEL_A)}", f"slack:{external(USER)}"
    await outbox.enqueue(
        [_message("s:0", "channel", slack_channel), _message("a:0"), _message("s:1", "user", slack_user)], NOW
    )
    assert await worker.drain_once() == 1
    assert [(d.dedupe_key, d.target) for d in transport.deliveries] == [("a:0", ("channel", CHANNEL_A))]
    assert [(i.dedupe_key, i.platform) for i in await outbox.due(NOW)] == [("s:0", "slack"), ("s:1", "slack")]


async def test_sends_in_id_order_per_target_and_marks_sent(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    await outbox.enqueue([_message("a:0"), _message("b:0", target_id=CHANNEL_B), _message("a:1"), _message("a:2")], NOW)

    assert await worker.drain_once() == 4

    to_a = [d.dedupe_key for d in transport.deliveries if d.target == ("channel", CHANNEL_A)]
    assert to_a == ["a:0", "a:1", "a:2"]
    assert sorted(transport.delivered_keys()) == ["a:0", "a:1", "a:2", "b:0"]
    assert [d.content for d in transport.deliveries if d.dedupe_key == "a:1"] == ["a:1"]
    for key in ("a:0", "a:1", "a:2", "b:0"):
        row = await _row(outbox, key)
        assert (row.status, row.attempts, row.finished_at) == ("sent", 1, NOW)
        assert row.message_id is not None
    assert worker.stats.sent == 4
    assert await worker.drain_once() == 0
    assert len(transport.deliveries) == 4


async def test_a_temporary_failure_retries_with_backoff_and_later_parts_wait(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport, clock: Clock
) -> None:
    transport.script["a:0"] = [_temporary, _temporary]
    await outbox.enqueue([_message("a:0"), _message("a:1"), _message("b:0", target_id=CHANNEL_B)], NOW)
    jitter = random.Random(JITTER_SEED)  # replays the worker's draws
    first_delay, second_delay = backoff(0, jitter), backoff(1, jitter)

    await worker.drain_once()
    first_retry = await _row(outbox, "a:0")
    assert first_retry.status == "pending"
    assert first_retry.attempts == 1
    assert first_retry.last_error == "503 Service Unavailable"
    assert first_retry.next_attempt_at == NOW + first_delay
    assert transport.delivered_keys() == ["b:0"]  # a:1 waits behind a:0; other targets carry on
    assert (await _row(outbox, "a:1")).status == "pending"

    await worker.drain_once()  # nothing is due yet: a:0 waits, so a:1 must too
    assert transport.calls.count("a:1") == 0

    clock.advance(first_delay)
    await worker.drain_once()
    second_retry = await _row(outbox, "a:0")
    assert second_retry.attempts == 2
    assert second_retry.next_attempt_at - clock.now == second_delay
    assert second_delay > first_delay
    assert transport.calls.count("a:1") == 0

    clock.advance(second_delay)
    await worker.drain_once()
    assert [k for k in transport.delivered_keys() if k.startswith("a:")] == ["a:0", "a:1"]
    assert (await _row(outbox, "a:0")).status == "sent"
    assert (await _row(outbox, "a:0")).attempts == 3


async def test_ordering_holds_when_the_batch_starts_with_another_target(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport, clock: Clock
) -> None:
    # b:0 (lowest id) is due; a:0 is waiting for a retry; a:1 is due. a:1 must not overtake a:0.
    await outbox.enqueue([_message("b:0", target_id=CHANNEL_B), _message("a:0"), _message("a:1")], NOW)
    a0 = await _row(outbox, "a:0")
    await outbox.mark_retry(a0.id, "503", NOW + timedelta(minutes=5))

    await worker.drain_once()

    assert "b:0" in transport.delivered_keys()
    assert "a:1" not in transport.calls
    assert (await _row(outbox, "a:1")).status == "pending"

    clock.advance(timedelta(minutes=5))
    await worker.drain_once()
    assert [k for k in transport.delivered_keys() if k.startswith("a:")] == ["a:0", "a:1"]


async def test_after_max_attempts_the_message_is_failed(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport, clock: Clock
) -> None:
    transport.script["a:0"] = [_temporary] * (MAX_ATTEMPTS + 5)
    await outbox.enqueue([_message("a:0")], NOW)

    for _ in range(MAX_ATTEMPTS + 3):
        await worker.drain_once()
        clock.advance(timedelta(hours=1))

    row = await _row(outbox, "a:0")
    assert row.status == "failed"
    assert row.attempts == MAX_ATTEMPTS
    assert transport.calls.count("a:0") == MAX_ATTEMPTS
    assert row.last_error is not None and f"gave up after {MAX_ATTEMPTS} attempts" in row.last_error
    assert "503" in row.last_error


async def test_an_unexpected_error_is_retried_not_lost(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    transport.script["a:0"] = [lambda: RuntimeError("boom")]
    await outbox.enqueue([_message("a:0")], NOW)
    await worker.drain_once()
    row = await _row(outbox, "a:0")
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "unexpected error: RuntimeError")


async def test_a_permanent_failure_is_recorded_with_its_reason(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    transport.script["a:0"] = [lambda: PermanentFailure("missing Send Messages in #news")]
    await outbox.enqueue([_message("a:0")], NOW)

    await worker.drain_once()
    await worker.drain_once()

    row = await _row(outbox, "a:0")
    assert (row.status, row.last_error, row.finished_at) == ("failed", "missing Send Messages in #news", NOW)
    assert transport.calls == ["a:0"]
    assert worker.stats.failed == 1


async def test_a_gone_target_fails_its_other_pending_messages(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    transport.script["a:0"] = [lambda: PermanentFailure("Unknown Channel", target_gone=True)]
    await outbox.enqueue([_message("a:0"), _message("a:1"), _message("b:0", target_id=CHANNEL_B)], NOW)
    await worker.drain_once()
    assert (await _row(outbox, "a:1")).status == "failed"
    assert (await _row(outbox, "a:1")).last_error == "Unknown Channel"
    assert transport.calls.count("a:1") == 0
    assert (await _row(outbox, "b:0")).status == "sent"


async def test_closed_dms_mark_the_user_and_fail_their_other_messages(
    outbox: OutboxRepository, dms: DirectMessageRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    transport.script["u:0"] = [lambda: PermanentFailure("Cannot send messages to this user", dms_closed=True)]
    await outbox.enqueue(
        [_message("u:0", "user", USER), _message("u:1", "user", USER), _message("o:0", "user", OTHER_USER)], NOW
    )

    await worker.drain_once()

    assert await dms.is_closed(USER)
    assert not await dms.is_closed(OTHER_USER)
    assert (await _row(outbox, "u:0")).status == "failed"
    u1 = await _row(outbox, "u:1")
    assert (u1.status, u1.last_error) == ("failed", "Cannot send messages to this user")
    assert transport.calls.count("u:1") == 0
    assert (await _row(outbox, "o:0")).status == "sent"

    # A later message to that user fails without calling the transport.
    await outbox.enqueue([_message("u:2", "user", USER)], NOW)
    await worker.drain_once()
    u2 = await _row(outbox, "u:2")
    assert u2.status == "failed"
    assert "closed" in (u2.last_error or "")
    assert transport.calls.count("u:2") == 0

    assert await dms.take_closed_notice(USER) is True
    assert await dms.take_closed_notice(USER) is False
    assert await dms.take_closed_notice(OTHER_USER) is False

    await dms.reopen(USER)
    await outbox.enqueue([_message("u:3", "user", USER)], NOW)
    await worker.drain_once()
    assert (await _row(outbox, "u:3")).status == "sent"


async def test_channel_messages_are_not_blocked_by_a_closed_dm_with_the_same_number(
    outbox: OutboxRepository, dms: DirectMessageRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    await dms.mark_closed(USER, NOW)
    await outbox.enqueue([_message("c:0", "channel", USER)], NOW)
    await worker.drain_once()
    assert transport.delivered_keys() == ["c:0"]


@pytest.mark.parametrize("payload", ["{not json", "[]", '{"cards": [1]}'])
async def test_an_unreadable_payload_fails_without_calling_the_transport(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport, payload: str
) -> None:
    await outbox.enqueue(
        [
            OutgoingMessage("bad:0", "digest", "channel", CHANNEL_A, payload, "schedule:1"),
            _message("b:0", target_id=CHANNEL_B),
        ],
        NOW,
    )
    await worker.drain_once()
    row = await _row(outbox, "bad:0")
    assert row.status == "failed"
    assert (row.last_error or "").startswith("unreadable payload")
    assert transport.calls == ["b:0"]
    assert await worker.drain_once() == 0


async def test_a_crash_after_delivery_resends_with_the_same_nonce(db_path: Path) -> None:
    transport = RecordingTransport(crash_after_delivering={"a:0"})
    async with Database.open(db_path) as db:
        outbox = OutboxRepository(db)
        await outbox.enqueue([_message("a:0")], NOW)
        worker = OutboxWorker(
            outbox, DirectMessageRepository(db), transport, platform=Platform.DISCORD, rate_per_second=10_000,
            clock=lambda: NOW,
        )
        with pytest.raises(asyncio.CancelledError):
            await worker.drain_once()  # killed between Discord's reply and mark_sent
        assert (await _row(outbox, "a:0")).status == "pending"

    async with Database.open(db_path) as db:  # restart: new connections and a new worker
        outbox = OutboxRepository(db)
        worker = OutboxWorker(
            outbox, DirectMessageRepository(db), transport, platform=Platform.DISCORD, rate_per_second=10_000,
            clock=lambda: NOW,
        )
        assert await worker.drain_once() == 1
        assert (await _row(outbox, "a:0")).status == "sent"

    first, second = transport.deliveries
    assert first.dedupe_key == second.dedupe_key == "a:0"
    assert first.nonce == second.nonce == nonce_for("a:0")  # Discord drops the repeat


async def test_thread_and_ping_reach_the_transport(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    seen: list[payloads.StoredMessage] = []
    original = transport.deliver

    class Capturing(Transport):
        async def deliver(self, item: OutboxItem, message: payloads.StoredMessage) -> str | None:
            seen.append(message)
            return await original(item, message)

    worker.transport = Capturing()
    spec = payloads.ThreadSpec(7, "Chip story", Card(title="Following: Chip story"))
    payload = payloads.dump(MessagePart("update", (Card(title="Update"),)), "discord:42", spec)
    await outbox.enqueue([OutgoingMessage("t:0", "alert", "channel", CHANNEL_A, payload, "follow:1")], NOW)
    await worker.drain_once()
    [message] = seen
    assert message.ping_role_id == "discord:42"
    assert message.thread == spec


class GatedOutbox(OutboxRepository):
    """The real repository; its first `due` read parks until released, to wake the worker mid-drain."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.first_read_done = asyncio.Event()
        self.release = asyncio.Event()
        self.reads = 0

    async def due(self, now: datetime, limit: int = 200, *, platform: Platform | None = None) -> list[OutboxItem]:
        items = await super().due(now, limit, platform=platform)
        self.reads += 1
        if self.reads == 1:
            self.first_read_done.set()
            await self.release.wait()
        return items


async def test_a_wake_during_an_empty_drain_is_not_lost(
    db: Database, dms: DirectMessageRepository, transport: RecordingTransport
) -> None:
    gated = GatedOutbox(db)
    worker = OutboxWorker(gated, dms, transport, platform=Platform.DISCORD, rate_per_second=10_000, clock=lambda: NOW)
    worker.start()
    try:
        await asyncio.wait_for(gated.first_read_done.wait(), timeout=1)  # drain #1 saw an empty queue
        await gated.enqueue([_message("a:0")], NOW)
        worker.wake()  # arrives while drain #1 is still running
        gated.release.set()
        for _ in range(50):  # well under the worker's 2 s poll: the wake must be honoured at once
            if transport.deliveries:
                break
            await asyncio.sleep(0.01)
    finally:
        await worker.stop()
    assert transport.delivered_keys() == ["a:0"]


async def test_the_running_worker_stops_cleanly_and_keeps_pending_rows(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    worker.start()
    await asyncio.sleep(0.01)
    await worker.stop()
    await outbox.enqueue([_message("a:0")], NOW)
    assert transport.calls == []
    assert (await _row(outbox, "a:0")).status == "pending"


async def test_the_rate_limiter_spaces_out_sends_after_the_burst() -> None:
    limiter = RateLimiter(per_second=50, burst=2)
    started = time.monotonic()
    for _ in range(5):
        await limiter.acquire()
    elapsed = time.monotonic() - started
    assert elapsed >= 3 / 50 * 0.8  # two free tokens, then one every 20 ms
    assert elapsed < 1.0


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff_ceiling(n) for n in range(20)]
    assert delays[0] > timedelta(0)
    assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))
    assert delays[1] > delays[0]
    assert max(delays) == timedelta(seconds=600)


def test_backoff_jitter_differs_by_seed_and_stays_within_bounds() -> None:
    for attempts in range(12):
        ceiling = backoff_ceiling(attempts)
        delays = {backoff(attempts, random.Random(seed)) for seed in range(20)}
        assert len(delays) > 1, f"attempt {attempts}: every seed gave the same delay"
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (attempts, sorted(delays))
    assert backoff(3, random.Random(1)) == backoff(3, random.Random(1))  # a seeded worker is reproducible


async def test_a_retry_after_is_waited_out_before_the_next_attempt(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport, clock: Clock
) -> None:
    transport.script["a:0"] = [lambda: TemporaryFailure("Discord error 429", retry_after=7)]
    await outbox.enqueue([_message("a:0"), _message("a:1")], NOW)

    await worker.drain_once()
    row = await _row(outbox, "a:0")
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 1, "Discord error 429")
    assert row.next_attempt_at == NOW + timedelta(seconds=7)  # longer than backoff(0)'s 2 s at most

    clock.advance(timedelta(seconds=6.999))
    await worker.drain_once()
    assert transport.calls == ["a:0"]  # not yet, and a:1 still waits behind it

    clock.advance(timedelta(milliseconds=1))
    await worker.drain_once()
    assert transport.delivered_keys() == ["a:0", "a:1"]


async def test_a_short_retry_after_does_not_cut_the_backoff(
    outbox: OutboxRepository, worker: OutboxWorker, transport: RecordingTransport
) -> None:
    transport.script["a:0"] = [lambda: TemporaryFailure("Discord error 429", retry_after=0.01)]
    await outbox.enqueue([_message("a:0")], NOW)
    await worker.drain_once()
    assert (await _row(outbox, "a:0")).next_attempt_at == NOW + backoff(0, random.Random(JITTER_SEED))


def test_a_temporary_failure_keeps_a_sane_retry_after() -> None:
    assert TemporaryFailure("503").retry_after is None
    assert TemporaryFailure("429", retry_after=-3).retry_after == 0.0
    assert TemporaryFailure("429", retry_after=10**12).retry_after == 86_400.0  # a day at most


@dataclass
class SelfPacedTransport(RecordingTransport):
    """Like Discord's transport: takes a limiter turn before each of its two requests per delivery."""

    pace: Pace | None = None
    paces_itself: bool = True
    turns: int = 0

    def pace_with(self, acquire: Pace) -> bool:
        self.pace = acquire
        return self.paces_itself

    async def deliver(self, item: OutboxItem, message: payloads.StoredMessage) -> str | None:
        if self.paces_itself:
            assert self.pace is not None
            for _ in range(2):  # e.g. open the DM channel, then post
                await self.pace()
                self.turns += 1
        return await super().deliver(item, message)


@pytest.mark.parametrize("paces_itself", [True, False])
async def test_the_worker_takes_a_turn_per_delivery_unless_the_transport_paces_itself(
    outbox: OutboxRepository, dms: DirectMessageRepository, monkeypatch: pytest.MonkeyPatch, paces_itself: bool
) -> None:
    transport = SelfPacedTransport(paces_itself=paces_itself)
    worker = OutboxWorker(outbox, dms, transport, platform=Platform.DISCORD, rate_per_second=10_000, clock=lambda: NOW)
    assert transport.pace == worker.limiter.acquire  # offered once, at construction
    worker_turns = 0
    acquire = worker.limiter.acquire

    async def counted() -> None:  # counts the turns the worker itself takes (the transport holds `acquire`)
        nonlocal worker_turns
        worker_turns += 1
        await acquire()

    monkeypatch.setattr(worker.limiter, "acquire", counted)
    await outbox.enqueue([_message("a:0"), _message("b:0", target_id=CHANNEL_B)], NOW)
    await worker.drain_once()

    assert sorted(transport.delivered_keys()) == ["a:0", "b:0"]
    assert (worker_turns, transport.turns) == ((0, 4) if paces_itself else (2, 0))


def test_a_transport_that_declares_nothing_is_paced_by_the_worker() -> None:
    assert RecordingTransport().pace_with(RateLimiter(1).acquire) is False  # Transport's default
