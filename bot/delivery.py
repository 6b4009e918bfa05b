"""The outbox worker: drains pending messages in order per target, retries with backoff, never doubles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot import payloads
from bot.platforms import Platform
from storage.direct_messages import DirectMessageRepository
from storage.outbox import OutboxItem, OutboxRepository, TargetKind

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 600.0
POLL_SECONDS = 2.0
WINDOW_MARGIN_SECONDS = 0.03  # RateLimiter: slack for the time a request takes to reach Discord
RETRY_AFTER_MAX_SECONDS = 86_400.0  # a longer Retry-After is a bad header, not a plan
STARTUP_REQUESTS = 5  # room kept in the worker's first window for the bot's own start-up requests


Pace = Callable[[], Awaitable[None]]  # the rate limiter's `acquire`: await it right before a request


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # for good: later parts for the target wait no more (or were failed with it)
    RETRY = "retry"  # pending again, due later; later parts for the target wait behind it


class TemporaryFailure(Exception):
    """Worth retrying later: 5xx, network errors, rate limits that outlasted the client's own waiting.

    `retry_after`: the seconds the platform asked us to wait (a 429's Retry-After), if it said; the retry
    is then due no earlier than that, even when the backoff would be shorter."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = None if retry_after is None else min(max(0.0, retry_after), RETRY_AFTER_MAX_SECONDS)


class PermanentFailure(Exception):
    """Retrying cannot help: missing channel or permission, closed DMs."""

    def __init__(self, reason: str, *, dms_closed: bool = False, target_gone: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.dms_closed = dms_closed
        self.target_gone = target_gone


class Transport(Protocol):
    """One platform's way to post an outbox message. Subclass it to inherit `pace_with`'s default."""

    async def deliver(self, item: OutboxItem, message: payloads.StoredMessage) -> str | None:
        """Posts one message; returns the platform's message id as text (a Slack `ts`). Raises
        Temporary/PermanentFailure."""
        ...

    def pace_with(self, acquire: Pace) -> bool:
        """The worker offers its rate limiter once, when it is built.

        A transport that makes several requests per delivery (a DM channel, a thread and its card, then the
        message) keeps `acquire`, awaits it right before each request, and returns True. The default returns
        False: the worker then takes one turn per delivery itself."""
        return False


class RateLimiter:
    """Keeps the bot's requests under a per-second cap, counted the way Discord counts its global limit.

    Two rules: at most `burst` (default: the rate, rounded down) requests start in any sliding window of
    burst/rate seconds, widened by `margin` so that a request that reaches Discord a little later than it
    started here still counts in the window it was meant for; and starts follow an even 1/rate grid (at
    most two back to back), so a window's worth of requests never arrives as one burst, whose tail would
    reach Discord late and spill into the next window. (A token bucket that starts full lets its whole
    capacity through on top of the steady rate: up to twice the cap within one second, each excess a 429.)
    """

    def __init__(self, per_second: float, burst: int | None = None, margin: float | None = None) -> None:
        self.per_second = per_second
        self.capacity = max(1, burst if burst is not None else int(per_second))
        self.margin = WINDOW_MARGIN_SECONDS if margin is None else margin
        self.window = self.capacity / per_second + self.margin
        self.spacing = 1 / per_second
        self._starts: deque[float] = deque()  # actual start times within the last window
        self._next = 0.0  # when the next start is due on an even 1/rate grid (a late wake-up is made up)
        self._lock = asyncio.Lock()

    def reserve(self, count: int) -> None:
        """Counts `count` requests made now by someone else (they share the cap) in the current window."""
        now = time.monotonic()
        self._starts.extend([now] * min(count, self.capacity))
        while len(self._starts) > self.capacity:
            self._starts.popleft()
        self._next = max(self._next, now + self.spacing)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and self._starts[0] <= now - self.window:
                    self._starts.popleft()
                ready = self._starts[0] + self.window if len(self._starts) >= self.capacity else now
                # One spacing of tolerance: a start that woke up late does not push the whole grid back.
                ready = max(ready, self._next - self.spacing)
                if ready <= now:
                    self._starts.append(now)
                    self._next = max(self._next, now) + self.spacing
                    return
                await asyncio.sleep(ready - now)


def backoff_ceiling(attempts: int) -> timedelta:
    """The longest wait after `attempts` earlier failed tries: 2 s, 4 s, 8 s ... capped at 10 minutes."""
    return timedelta(seconds=min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts)))


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Equal jitter: half the ceiling plus a random part of the other half, so the messages that failed
    together (an outage, a burst of 429s) do not all come back in the same second. Between ceiling/2 and
    the ceiling, so it still grows with each attempt."""
    ceiling = backoff_ceiling(attempts).total_seconds()
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


@dataclass(slots=True)
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0


class OutboxWorker:
    """Delivers one platform's outbox rows through that platform's transport."""

    def __init__(
        self,
        outbox: OutboxRepository,
        dms: DirectMessageRepository,
        transport: Transport,
        *,
        platform: Platform,
        rate_per_second: float = 40.0,
        concurrency: int = 16,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.dms = dms
        self.transport = transport
        self.platform = platform
        self.limiter = RateLimiter(rate_per_second)
        self._paced_by_transport = transport.pace_with(self.limiter.acquire)
        self.concurrency = concurrency
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()  # the backoff's jitter; tests pass a seeded one
        self.stats = DeliveryStats()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            # The requests the bot made just before (login, command sync) count against the same cap.
            self.limiter.reserve(STARTUP_REQUESTS)
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"outbox-worker {self.platform}")

    async def stop(self) -> None:
        """Lets the sends in flight finish, then stops. Pending rows stay for the next start."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before draining, so a wake() that arrives while a drain runs is not lost.
            self._wake.clear()
            try:
                handled = await self.drain_once()
            except Exception:
                log.exception("outbox worker: drain failed; retrying shortly")
                handled = 0
            if handled:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)

    async def drain_once(self, limit: int = 500) -> int:
        """Sends what is due now; returns how many messages were handled."""
        items = await self.outbox.due(self.clock(), limit=limit, platform=self.platform)
        if not items:
            return 0
        groups: dict[tuple[TargetKind, str], list[OutboxItem]] = {}
        for item in items:
            groups.setdefault((item.target_kind, item.target_id), []).append(item)
        # A target with an earlier pending row (waiting for a retry) must wait for it: check each target
        # against its own first due row, not the batch's, or its later parts could overtake.
        blocked: set[tuple[TargetKind, str]] = set()
        for key, group in groups.items():
            blocked |= await self.outbox.blocked_targets([key], before_id=group[0].id)
        semaphore = asyncio.Semaphore(self.concurrency)

        async def run_group(group: list[OutboxItem]) -> int:
            async with semaphore:
                return await self._deliver_in_order(group)

        sent_before = self.stats.sent
        results = await asyncio.gather(*(run_group(g) for key, g in groups.items() if key not in blocked))
        if self.stats.sent > sent_before:
            log.info("outbox: %d sent (%s)", self.stats.sent - sent_before, ", ".join(sorted({i.kind for i in items})))
        return sum(results)

    async def _deliver_in_order(self, group: list[OutboxItem]) -> int:
        handled = 0
        for item in group:
            if self._stopping:
                break
            outcome = await self._deliver(item)
            handled += 1
            if outcome is not DeliveryOutcome.SENT:
                break  # later parts wait for this one (retry) or were failed with it (permanent)
        return handled

    async def _deliver(self, item: OutboxItem) -> DeliveryOutcome:
        try:
            message = payloads.load(item.payload_json)
        except (ValueError, KeyError, TypeError) as exc:
            await self.outbox.mark_failed(item.id, f"unreadable payload: {exc}", self.clock())
            self.stats.failed += 1
            return DeliveryOutcome.FAILED
        if item.target_kind is TargetKind.USER and await self.dms.is_closed(item.target_id):
            await self._permanent(item, PermanentFailure("this user's DMs are closed to the bot", dms_closed=True))
            return DeliveryOutcome.FAILED
        if not self._paced_by_transport:
            await self.limiter.acquire()
        try:
            message_id = await self.transport.deliver(item, message)
        except PermanentFailure as exc:
            await self._permanent(item, exc)
            return DeliveryOutcome.FAILED
        except TemporaryFailure as exc:
            await self._retry(item, exc.reason, exc.retry_after)
            return DeliveryOutcome.RETRY
        except Exception as exc:  # an unknown failure: keep the message, log loudly, retry later
            log.exception("outbox: unexpected error delivering %s", item.dedupe_key)
            await self._retry(item, f"unexpected error: {type(exc).__name__}")
            return DeliveryOutcome.RETRY
        await self.outbox.mark_sent(item.id, message_id, self.clock())
        self.stats.sent += 1
        return DeliveryOutcome.SENT

    async def _permanent(self, item: OutboxItem, failure: PermanentFailure) -> None:
        now = self.clock()
        await self.outbox.mark_failed(item.id, failure.reason, now)
        self.stats.failed += 1
        log.warning("outbox: %s to %s %s failed: %s", item.kind, item.target_kind, item.target_id, failure.reason)
        if failure.dms_closed:
            await self.dms.mark_closed(item.target_id, now)
        if failure.dms_closed or failure.target_gone:
            await self.outbox.fail_pending_for_target(item.target_kind, item.target_id, failure.reason, now)

    async def _retry(self, item: OutboxItem, reason: str, retry_after: float | None = None) -> None:
        now = self.clock()
        if item.attempts + 1 >= MAX_ATTEMPTS:
            await self.outbox.mark_failed(item.id, f"gave up after {MAX_ATTEMPTS} attempts: {reason}", now)
            self.stats.failed += 1
            return
        delay = backoff(item.attempts, self.rng)
        if retry_after is not None:  # the platform's word wins when it asks for longer
            delay = max(delay, timedelta(seconds=retry_after))
        await self.outbox.mark_retry(item.id, reason, now + delay)
        self.stats.retried += 1
        log.info("outbox: %s will be retried in %.1f s (%s)", item.dedupe_key, delay.total_seconds(), reason)
