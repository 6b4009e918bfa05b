"""Tests for bot.jobs: named jobs, their triggers, and the catch-up at start."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import jobs

NOW = datetime(2026, 3, 1, 7, 29, 41, 500000, tzinfo=UTC)


def test_once_a_minute_runs_on_the_minute() -> None:
    trigger = jobs.trigger_every(60)
    assert isinstance(trigger, CronTrigger)
    first = trigger.get_next_fire_time(None, NOW)
    assert first == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert trigger.get_next_fire_time(first, first) == datetime(2026, 3, 1, 7, 31, tzinfo=UTC)


@pytest.mark.parametrize("seconds", [0.5, 1, 15, 300])
def test_other_periods_are_plain_intervals(seconds: float) -> None:
    trigger = jobs.trigger_every(seconds)
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval.total_seconds() == seconds


async def test_a_job_is_scheduled_under_its_own_name() -> None:
    async def process_due() -> None:
        pass

    scheduler = jobs.build_scheduler()
    scheduler.start(paused=True)
    try:
        jobs.schedule(scheduler, jobs.PeriodicJob("digest tick", process_due, 60))
        jobs.schedule(scheduler, jobs.PeriodicJob("digest tick", process_due, 1))  # replaced, not doubled
        [job] = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    assert (job.id, job.name, job.func) == ("digest tick", "digest tick", process_due)
    assert isinstance(job.trigger, IntervalTrigger)


async def test_catch_up_runs_each_start_job_once_in_order_past_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def job(name: str, fails: bool = False) -> jobs.PeriodicJob:
        async def run() -> None:
            ran.append(name)
            if fails:
                raise RuntimeError("disk full")

        return jobs.PeriodicJob(name, run, 60, at_start=name != "liveness")

    with caplog.at_level(logging.ERROR, logger="bot.jobs"):
        await jobs.catch_up([job("seeds"), job("alerts", fails=True), job("liveness"), job("digests")])
    assert ran == ["seeds", "alerts", "digests"]
    [record] = caplog.records
    assert "alerts failed at start" in record.getMessage() and record.exc_info is not None
