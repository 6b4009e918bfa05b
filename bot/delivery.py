"""The outbox worker: drains pending messages in order per target, retries with backoff, never doubles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot import payloads
from storage.direct_messages import DirectMessageRepository
from storage.outbox import OutboxItem, OutboxRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 600.0
POLL_SECONDS = 2.0


class TemporaryFailure(Exception):
    """Worth retrying later: 5xx, network errors, rate limits that outlasted the client's own waiting."""


class PermanentFailure(Exception):
    """Retrying cannot help: missing channel or permission, closed DMs."""

    def __init__(self, reason: str, *, dms_closed: bool = False, target_gone: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.dms_closed = dms_closed
        self.target_gone = target_gone


class Transport(Protocol):
    async def deliver(self, item: OutboxItem, message: payloads.StoredMessage) -> int | None:
        """Posts one message; returns the platform's message id. Raises Temporary/PermanentFailure."""
        ...


class RateLimiter:
    """A token bucket shared by every send: keeps the bot under a global requests-per-second cap."""

    def __init__(self, per_second: float, burst: int | None = None) -> None:
        self.per_second = per_second
        self.capacity = float(burst if burst is not None else max(1, int(per_second)))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.per_second)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts)))


@dataclass(slots=True)
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0


class OutboxWorker:
    def __init__(
        self,
        outbox: OutboxRepository,
        dms: DirectMessageRepository,
        transport: Transport,
        *,
        rate_per_second: float = 40.0,
        concurrency: int = 16,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.outbox = outbox
        self.dms = dms
        self.transport = transport
        self.limiter = RateLimiter(rate_per_second)
        self.concurrency = concurrency
        self.clock = clock
        self.stats = DeliveryStats()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-worker")

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
        items = await self.outbox.due(self.clock(), limit=limit)
        if not items:
            return 0
        groups: dict[tuple[str, int], list[OutboxItem]] = {}
        for item in items:
            groups.setdefault((item.target_kind, item.target_id), []).append(item)
        # A target with an earlier pending row (waiting for a retry) must wait for it: check each target
        # against its own first due row, not the batch's, or its later parts could overtake.
        blocked: set[tuple[str, int]] = set()
        for key, group in groups.items():
            blocked |= await self.outbox.blocked_targets([key], before_id=group[0].id)
        semaphore = asyncio.Semaphore(self.concurrency)

        async def run_group(group: list[OutboxItem]) -> int:
            async with semaphore:
                return await self._deliver_in_order(group)

        results = await asyncio.gather(*(run_group(g) for key, g in groups.items() if key not in blocked))
        return sum(results)

    async def _deliver_in_order(self, group: list[OutboxItem]) -> int:
        handled = 0
        for item in group:
            if self._stopping:
                break
            outcome = await self._deliver(item)
            handled += 1
            if outcome != "sent":
                break  # later parts wait for this one (retry) or were failed with it (permanent)
        return handled

    async def _deliver(self, item: OutboxItem) -> str:
        try:
            message = payloads.load(item.payload_json)
        except (ValueError, KeyError, TypeError) as exc:
            await self.outbox.mark_failed(item.id, f"unreadable payload: {exc}", self.clock())
            self.stats.failed += 1
            return "failed"
        if item.target_kind == "user" and await self.dms.is_closed(item.target_id):
            await self._permanent(item, PermanentFailure("this user's DMs are closed to the bot", dms_closed=True))
            return "failed"
        await self.limiter.acquire()
        try:
            message_id = await self.transport.deliver(item, message)
        except PermanentFailure as exc:
            await self._permanent(item, exc)
            return "failed"
        except TemporaryFailure as exc:
            await self._retry(item, str(exc))
            return "retry"
        except Exception as exc:  # an unknown failure: keep the message, log loudly, retry later
            log.exception("outbox: unexpected error delivering %s", item.dedupe_key)
            await self._retry(item, f"unexpected error: {type(exc).__name__}")
            return "retry"
        await self.outbox.mark_sent(item.id, message_id, self.clock())
        self.stats.sent += 1
        return "sent"

    async def _permanent(self, item: OutboxItem, failure: PermanentFailure) -> None:
        now = self.clock()
        await self.outbox.mark_failed(item.id, failure.reason, now)
        self.stats.failed += 1
        log.warning("outbox: %s to %s %s failed: %s", item.kind, item.target_kind, item.target_id, failure.reason)
        if failure.dms_closed:
            await self.dms.mark_closed(item.target_id, now)
        if failure.dms_closed or failure.target_gone:
            await self.outbox.fail_pending_for_target(item.target_kind, item.target_id, failure.reason, now)

    async def _retry(self, item: OutboxItem, reason: str) -> None:
        now = self.clock()
        if item.attempts + 1 >= MAX_ATTEMPTS:
            await self.outbox.mark_failed(item.id, f"gave up after {MAX_ATTEMPTS} attempts: {reason}", now)
            self.stats.failed += 1
            return
        await self.outbox.mark_retry(item.id, reason, now + backoff(item.attempts))
        self.stats.retried += 1
        log.info("outbox: %s will be retried (%s)", item.dedupe_key, reason)
