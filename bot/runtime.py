"""The neutral runtime of `briefbot run`: the services, the scheduler and its jobs, one outbox worker per platform.

It is no platform's client. It is built once from the database (see bot.process), and each platform's client
registers its transport here and starts it; every platform shares the same services, jobs and outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType

from bot import jobs
from bot.audience import AudienceZones
from bot.delivery import OutboxWorker, Transport
from bot.digest_service import DigestService
from bot.feeds.service import FeedService
from bot.feeds.settings import FeedSettings
from bot.fetch import Fetcher
from bot.follow_service import FollowService
from bot.importer import SeedWatcher
from bot.intake import ArticleParser
from bot.platforms import Platform
from bot.settings import Settings
from bot.story_admin import StoryAdminService
from bot.story_service import StoryService
from storage.database import Database
from storage.digests import DigestRepository
from storage.direct_messages import DirectMessageRepository
from storage.feeds import FeedRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxRepository
from storage.state import StateRepository
from storage.stories import StoryRepository

log = logging.getLogger(__name__)


class Signal:
    """A call that fans out: a service fires it, the runtime's loops listen. With no listener it does nothing
    (the CLI's one-shot commands build services without a runtime)."""

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def __call__(self) -> None:
        for listener in self._listeners:
            listener()

    def connect(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)


@dataclass(frozen=True, slots=True)
class Wakeups:
    """Made before the services and given to their constructors: how a service says "there is work now" to the
    runtime's loops, which would otherwise find it at their next poll. A service never knows who listens."""

    delivery: Signal = field(default_factory=Signal)  # messages were enqueued: every outbox worker looks now
    alerts: Signal = field(default_factory=Signal)  # a development was added in this process: fan it out now


@dataclass(frozen=True, slots=True)
class Services:
    """The core that adapters (cogs, handlers, the console) call; built once and injected."""

    settings: Settings
    state: StateRepository
    dms: DirectMessageRepository
    outbox: OutboxRepository
    story_service: StoryService
    digest_service: DigestService
    follow_service: FollowService
    story_admin: StoryAdminService
    seed_watcher: SeedWatcher
    feed_service: FeedService


def build_services(
    db: Database,
    settings: Settings,
    wakeups: Wakeups,
    fetcher: Fetcher | None = None,
    *,
    intake_pool: Executor | None = None,
) -> Services:
    """`fetcher`: the one HTTP client (see bot.process); without it feeds can be listed and explained, not fetched,
    and links not added. `intake_pool` parses articles off the event loop (see bot.intake)."""
    stories = StoryRepository(db)
    parser = ArticleParser(settings.default_timezone, intake_pool)
    outbox = OutboxRepository(db)
    schedules = DigestRepository(db)
    zones = AudienceZones(schedules, settings.default_timezone)  # dates shown in each audience's zone
    story_service = StoryService(stories, zones)
    dms = DirectMessageRepository(db)
    follows = FollowService(
        FollowRepository(db),
        stories,
        story_service,
        burst_window=settings.alert_burst_window,
        zones=zones,
        wake_delivery=wakeups.delivery,
        wake_alerts=wakeups.alerts,
        reopen_dms=dms.reopen,
    )
    digests = DigestService(
        schedules,
        stories,
        outbox,
        settings.digest_grace,
        wake_delivery=wakeups.delivery,
        held_for_user=follows.held_cards,
        reopen_dms=dms.reopen,
    )
    return Services(
        settings=settings,
        state=StateRepository(db),
        dms=dms,
        outbox=outbox,
        story_service=story_service,
        digest_service=digests,
        follow_service=follows,
        story_admin=StoryAdminService(stories, story_service, follows, parser=parser, fetcher=fetcher),
        seed_watcher=SeedWatcher(settings.seeds_dir, stories, settings.default_timezone, pool=intake_pool),
        feed_service=FeedService(
            FeedRepository(db),
            stories,
            story_service,
            fetcher,
            settings=FeedSettings.from_settings(settings),
            wake_alerts=wakeups.alerts,
            wake_delivery=wakeups.delivery,
        ),
    )


class Runtime:
    """Owns the scheduler and the outbox workers; `async with` stops them (the database is the caller's).

    Platforms never wait on each other: each registered transport gets its own worker, rate limiter and backoff,
    draining only its platform's rows."""

    def __init__(self, services: Services, wakeups: Wakeups) -> None:
        self.services = services
        self.scheduler = jobs.build_scheduler()
        self.workers: dict[Platform, OutboxWorker] = {}
        self._started = False
        self._alert_poll = jobs.Rerunnable(services.follow_service.process_alerts)
        wakeups.delivery.connect(self._wake_workers)
        wakeups.alerts.connect(self._wake_alerts)

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def add_transport(
        self, platform: Platform, transport: Transport, *, rate_per_second: float, concurrency: int | None = None
    ) -> OutboxWorker:
        """A platform's way to post. Its worker starts with the runtime, or at once when the runtime runs already
        (a platform that connects after another one). `concurrency`: targets delivered to at once (a platform
        that paces each channel on its own needs one per channel it should keep busy)."""
        if platform in self.workers:
            raise ValueError(f"{platform} already has a transport")
        extra = {} if concurrency is None else {"concurrency": concurrency}
        worker = OutboxWorker(
            self.services.outbox,
            self.services.dms,
            transport,
            platform=platform,
            rate_per_second=rate_per_second,
            **extra,
        )
        self.workers[platform] = worker
        if self._started:
            worker.start()
        return worker

    async def remove_transport(self, platform: Platform) -> None:
        """Before a client closes: its sends in flight finish, its pending rows wait for the next start."""
        worker = self.workers.pop(platform, None)
        if worker is not None:
            await worker.stop()

    def start(self) -> None:
        """Starts the registered workers, and the scheduler once: the catch-up first, then the periodic jobs.

        Each platform's client calls it once it is set up; only the first call starts the scheduler."""
        for worker in self.workers.values():
            worker.start()
        if self._started:
            return
        self._started = True
        self.scheduler.add_job(self.catch_up, id="catch-up", name="catch-up at start")  # no trigger: once, now
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        workers, self.workers = list(self.workers.values()), {}
        await asyncio.gather(*(worker.stop() for worker in workers))

    def periodic_jobs(self) -> tuple[jobs.PeriodicJob, ...]:
        """In catch-up order: files dropped while the bot was down, ended mutes, pending alerts, due digests, due
        feeds (last: a first poll after a long stop can take a while)."""
        services, settings = self.services, self.services.settings
        return (
            jobs.PeriodicJob("seeds check", services.seed_watcher.check, settings.seeds_check_seconds),
            jobs.PeriodicJob("mutes release", services.follow_service.release_mutes, settings.mutes_check_seconds),
            jobs.PeriodicJob(jobs.ALERT_POLL, self._alert_poll.run, settings.alert_poll_seconds),
            jobs.PeriodicJob("digest tick", services.digest_service.process_due, settings.digest_tick_seconds),
            jobs.PeriodicJob(
                "digest liveness", services.digest_service.check_liveness, settings.digest_tick_seconds, at_start=False
            ),
            jobs.PeriodicJob(jobs.FEEDS_TICK, self.feeds_tick, settings.feed_tick_seconds),
        )

    async def catch_up(self) -> None:
        """Runs each job once at start, then schedules them all: no periodic run overlaps the catch-up."""
        periodic = self.periodic_jobs()
        await jobs.catch_up(periodic)
        for job in periodic:
            jobs.schedule(self.scheduler, job)
        log.info("caught up at start; then %s", ", ".join(f"{job.name} every {job.seconds:g}s" for job in periodic))

    async def feeds_tick(self) -> None:
        """Polls the due feeds; when the next one is due before the next tick, the tick runs early for it, so a
        feed is checked on time rather than up to FEED_TICK_SECONDS late."""
        report = await self.services.feed_service.poll_due()
        job = self.scheduler.get_job(jobs.FEEDS_TICK)
        if report.next_due is None or job is None or job.next_run_time is None:
            return
        due = max(report.next_due, datetime.now(UTC) + timedelta(seconds=1))
        if due < job.next_run_time:
            job.modify(next_run_time=due)

    def _wake_workers(self) -> None:
        for worker in self.workers.values():
            worker.wake()

    def _wake_alerts(self) -> None:
        if self._alert_poll.wake_during_run():
            return
        job = self.scheduler.get_job(jobs.ALERT_POLL)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))
