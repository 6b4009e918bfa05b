"""A development added while the alert poll runs is fanned out by that poll going round again, not an hour later:
APScheduler drops a run asked for while one runs (`max_instances=1`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot import delivery, jobs
from bot.runtime import Runtime, Wakeups, build_services
from bot.settings import Settings
from storage.database import Database

HOUR = 3600.0
WAIT = 10.0


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
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(delivery, "POLL_SECONDS", HOUR)
    settings = Settings(
        database_path=tmp_path / "briefbot.db",
        seeds_dir=tmp_path / "seeds",
        digest_tick_seconds=HOUR,
        alert_poll_seconds=HOUR,
        seeds_check_seconds=HOUR,
        mutes_check_seconds=HOUR,
        feed_tick_seconds=HOUR,
    )
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
