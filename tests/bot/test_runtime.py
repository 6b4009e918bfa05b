"""Tests for bot.runtime: services wired through their constructors, the scheduler started once, one outbox worker
per registered transport. A real SQLite file; every periodic job and the workers' poll are set to an hour, so only a
wake-up can make something happen within a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot import delivery, jobs, payloads
from bot.delivery import Transport
from bot.fetch import Fetcher
from bot.follow_service import FollowTarget
from bot.limits import MessagePart
from bot.platforms import Platform
from bot.runtime import Runtime, Signal, Wakeups, build_services
from bot.settings import Settings
from bot.story_admin import OPERATOR
from bot.story_model import Story
from storage.database import Database
from storage.digests import AudienceKind
from storage.feeds import FeedRepository, NewFeed
from storage.outbox import OutboxItem, OutboxStatus, OutgoingMessage, TargetKind
from storage.stories import ImportItem

HOUR = 3600.0
USER = "discord:777777777777777777"
CHANNEL = "discord:555555555555555555"
WAIT = 10.0  # far under the hour a worker or a job would otherwise take


@dataclass
class RecordingTransport(Transport):
    delivered: list[OutboxItem] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver(self, item: OutboxItem, message: payloads.StoredMessage) -> str | None:
        self.delivered.append(item)
        self.arrived.set()
        return str(len(self.delivered))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_path=tmp_path / "briefbot.db",
        seeds_dir=tmp_path / "seeds",
        digest_tick_seconds=HOUR,
        alert_poll_seconds=HOUR,
        seeds_check_seconds=HOUR,
        mutes_check_seconds=HOUR,
        feed_tick_seconds=HOUR,
    )


@pytest.fixture
async def runtime(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Runtime]:
    monkeypatch.setattr(delivery, "POLL_SECONDS", HOUR)
    async with Database.open(settings.database_path) as db:
        wakeups = Wakeups()
        async with Runtime(build_services(db, settings, wakeups), wakeups) as running:
            yield running


def caught_up(runtime: Runtime) -> asyncio.Event:
    """Set once the catch-up at start has run (and scheduled the periodic jobs)."""
    done = asyncio.Event()

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id == "catch-up":
            done.set()

    runtime.scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return done


def _message(key: str) -> OutgoingMessage:
    return OutgoingMessage(key, "digest", TargetKind.CHANNEL, CHANNEL, payloads.dump(MessagePart(key)))


async def test_the_services_get_their_hooks_through_their_constructors(db: Database, settings: Settings) -> None:
    wakeups = Wakeups()
    services = build_services(db, settings, wakeups)
    assert services.follow_service.wake_delivery is wakeups.delivery
    assert services.follow_service.wake_alerts is wakeups.alerts
    assert services.digest_service.wake_delivery is wakeups.delivery
    assert services.digest_service.outbox is services.outbox


async def test_a_dm_follow_or_a_personal_digest_tries_closed_dms_again(
    db: Database, settings: Settings, seed_story: Story
) -> None:
    """The closed-DM notice tells the user to allow DMs and follow or set up /brief again: on every platform."""
    services = build_services(db, settings, Wakeups())
    await services.story_service.stories.import_stories([ImportItem("file:seed", seed_story)])
    now = datetime.now(UTC)
    await services.dms.mark_closed(USER, now)
    await services.follow_service.follow(seed_story.slug, None, USER, FollowTarget.DM, None)
    assert not await services.dms.is_closed(USER)
    await services.dms.mark_closed(USER, now)
    await services.digest_service.set_up(
        AudienceKind.USER, USER, scope_id=None, channel_id=None, time_text="07:30", timezone_text="UTC", days_text=""
    )
    assert not await services.dms.is_closed(USER)


def test_a_signal_calls_every_listener_and_nothing_without_one() -> None:
    calls: list[str] = []
    signal = Signal()
    signal()  # a one-shot CLI command's services: nobody listens
    signal.connect(lambda: calls.append("a"))
    signal.connect(lambda: calls.append("b"))
    signal()
    assert calls == ["a", "b"]


async def test_a_development_reaches_a_follower_through_the_wakeups_alone(
    runtime: Runtime, seed_story: Story
) -> None:
    services = runtime.services
    stories = services.story_service.stories
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=datetime.now(UTC) - timedelta(days=1))
    await services.follow_service.follow(seed_story.slug, None, USER, FollowTarget.DM, None)
    transport = RecordingTransport()
    runtime.add_transport(Platform.DISCORD, transport, rate_per_second=1000)
    started = caught_up(runtime)
    runtime.start()
    await asyncio.wait_for(started.wait(), WAIT)
    assert transport.delivered == []

    await services.story_admin.update(seed_story.slug, "The talks ended with a deal.", None, scope_id=OPERATOR)
    # The alert poll and the worker are an hour away: the alerts wake-up ran the poll, whose delivery wake-up
    # woke the worker.
    await asyncio.wait_for(transport.arrived.wait(), WAIT)
    [item] = transport.delivered
    assert (item.kind, item.target_kind, item.target_id) == ("alert", TargetKind.USER, USER)


async def test_starting_twice_starts_the_scheduler_once(runtime: Runtime) -> None:
    started = caught_up(runtime)
    runtime.start()
    runtime.start()  # a second platform's client: APScheduler would raise if started again
    await asyncio.wait_for(started.wait(), WAIT)
    assert runtime.scheduler.running
    assert {job.id for job in runtime.scheduler.get_jobs()} == {job.name for job in runtime.periodic_jobs()}
    assert runtime.scheduler.get_job(jobs.ALERT_POLL) is not None


async def test_a_transport_added_after_the_start_gets_a_running_worker(runtime: Runtime) -> None:
    runtime.start()
    await runtime.services.outbox.enqueue([_message("late:0")])
    transport = RecordingTransport()
    runtime.add_transport(Platform.DISCORD, transport, rate_per_second=1000)
    await asyncio.wait_for(transport.arrived.wait(), WAIT)
    assert [item.dedupe_key for item in transport.delivered] == ["late:0"]


async def test_a_platform_has_one_transport_at_a_time(runtime: Runtime) -> None:
    runtime.add_transport(Platform.DISCORD, RecordingTransport(), rate_per_second=1000)
    with pytest.raises(ValueError, match="discord already has a transport"):
        runtime.add_transport(Platform.DISCORD, RecordingTransport(), rate_per_second=1000)
    await runtime.remove_transport(Platform.DISCORD)
    await runtime.remove_transport(Platform.DISCORD)  # a client closing twice
    runtime.add_transport(Platform.DISCORD, RecordingTransport(), rate_per_second=1000)


async def test_a_removed_transport_leaves_its_messages_pending(runtime: Runtime) -> None:
    transport = RecordingTransport()
    runtime.add_transport(Platform.DISCORD, transport, rate_per_second=1000)
    runtime.start()
    await runtime.remove_transport(Platform.DISCORD)
    await runtime.services.outbox.enqueue([_message("after:0")])
    runtime.services.digest_service.wake_delivery()
    assert Platform.DISCORD not in runtime.workers
    assert await runtime.services.outbox.counts() == {OutboxStatus.PENDING: 1}
    assert transport.delivered == []


async def test_leaving_the_runtime_stops_the_scheduler_and_the_workers(settings: Settings) -> None:
    async with Database.open(settings.database_path) as db:
        wakeups = Wakeups()
        async with Runtime(build_services(db, settings, wakeups), wakeups) as runtime:
            worker = runtime.add_transport(Platform.DISCORD, RecordingTransport(), rate_per_second=1000)
            runtime.start()
            assert runtime.scheduler.running
        assert not runtime.scheduler.running
        assert runtime.workers == {}
        assert not worker.running


async def test_feeds_are_polled_by_one_tick_job_and_only_with_a_fetcher(db: Database, settings: Settings) -> None:
    wakeups = Wakeups()
    runtime = Runtime(build_services(db, settings, wakeups), wakeups)
    [tick] = [job for job in runtime.periodic_jobs() if job.name == jobs.FEEDS_TICK]
    assert tick.seconds == settings.feed_tick_seconds and tick.at_start
    assert tick.run == runtime.feeds_tick
    assert runtime.services.feed_service.poller is None  # no fetcher: nothing is fetched
    assert (await runtime.services.feed_service.poll_due()).feeds == 0
    async with Fetcher.open(settings.fetch_allow_hosts) as fetcher:
        assert build_services(db, settings, Wakeups(), fetcher).feed_service.poller is not None


async def test_the_feeds_tick_runs_early_when_a_feed_is_due_before_it(db: Database, settings: Settings) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=20)
    feed = NewFeed(
        url="http://127.0.0.1:9/feed",
        scope_id=None,
        channel_id=None,
        story_id=None,
        every_minutes=5,
        include=(),
        exclude=(),
        title="Feed",
        etag=None,
        last_modified=None,
        last_status=200,
        next_check_at=soon,
        created_at=soon - timedelta(minutes=5),
    )
    await FeedRepository(db).add(feed, [])
    wakeups = Wakeups()
    async with Fetcher.open() as fetcher, Runtime(build_services(db, settings, wakeups, fetcher), wakeups) as runtime:
        started = caught_up(runtime)
        runtime.start()
        await asyncio.wait_for(started.wait(), WAIT)
        job = runtime.scheduler.get_job(jobs.FEEDS_TICK)
        assert job is not None and job.next_run_time > soon + timedelta(minutes=30)  # an hour's tick
        await runtime.feeds_tick()
        assert job.next_run_time == soon


async def test_a_wake_during_a_run_makes_it_go_round_once_more() -> None:
    runs: list[int] = []
    inside = asyncio.Event()
    release = asyncio.Event()

    async def poll() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            inside.set()
            await release.wait()

    job = jobs.Rerunnable(poll)
    assert job.wake_during_run() is False  # idle: the caller starts a run itself
    task = asyncio.create_task(job.run())
    await asyncio.wait_for(inside.wait(), WAIT)
    assert job.wake_during_run() is True
    assert job.wake_during_run() is True  # two wakes during one run: one more round, not two
    release.set()
    await asyncio.wait_for(task, WAIT)
    assert runs == [0, 1]
    assert job.running is False


async def test_the_runtime_keeps_an_alerts_wakeup_that_arrives_while_the_poll_runs(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """APScheduler drops a run asked for while one runs (`max_instances=1`): the poll goes round again instead."""
    monkeypatch.setattr(delivery, "POLL_SECONDS", HOUR)
    async with Database.open(settings.database_path) as db:
        wakeups = Wakeups()
        services = build_services(db, settings, wakeups)
        follows = services.follow_service
        real_poll = follows.process_alerts
        polls: list[int] = []
        inside = asyncio.Event()
        release = asyncio.Event()
        second = asyncio.Event()

        async def slow_first_poll(now=None) -> int:  # noqa: ANN001 - the signature of process_alerts
            polls.append(len(polls))
            if len(polls) == 1:
                inside.set()
                await release.wait()
            else:
                second.set()
            return await real_poll(now)

        monkeypatch.setattr(follows, "process_alerts", slow_first_poll)
        async with Runtime(services, wakeups) as runtime:
            runtime.start()  # the catch-up runs the first poll, which waits inside
            await asyncio.wait_for(inside.wait(), WAIT)
            wakeups.alerts()  # a development was added meanwhile
            release.set()
            await asyncio.wait_for(second.wait(), WAIT)  # not an hour later
            assert polls == [0, 1]
