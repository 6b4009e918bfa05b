"""The APScheduler jobs that run inside the bot's loop. Schedules live in SQLite, never in APScheduler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 50
ALERT_POLL = "alert poll"
FEEDS_TICK = "feeds tick"


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A core coroutine run every `seconds`. Its name is its APScheduler id and what the log shows."""

    name: str
    run: Callable[[], Awaitable[object]]
    seconds: float
    at_start: bool = True  # also run once in the catch-up at start


class Rerunnable:
    """A job's coroutine that a wake-up can ask to run again while it runs.

    APScheduler runs one instance of a job at a time (`max_instances=1`) and drops a run asked for meanwhile, so
    a development added while the alert poll runs would wait for the next poll. `wake` during a run is kept
    instead: the run goes round once more when it ends."""

    def __init__(self, run: Callable[[], Awaitable[object]]) -> None:
        self._run = run
        self.running = False
        self._again = False

    async def run(self) -> None:  # a coroutine function, which APScheduler awaits (it would thread a callable)
        self.running = True
        try:
            while True:
                self._again = False
                await self._run()
                if not self._again:
                    return
        finally:
            self.running = False

    def wake_during_run(self) -> bool:
        """True when a run is under way and will go round again; False when the caller must start one."""
        if self.running:
            self._again = True
        return self.running


def build_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )


def trigger_every(seconds: float) -> BaseTrigger:
    """Once a minute runs on the minute, so a digest set for 07:30 goes at 07:30:00; other periods (tests use
    short ones) are plain intervals."""
    if seconds == 60:
        return CronTrigger(second=0, timezone=UTC)
    return IntervalTrigger(seconds=seconds, timezone=UTC)


def schedule(scheduler: AsyncIOScheduler, job: PeriodicJob) -> None:
    """A failing run is logged by APScheduler with its traceback; the job stays scheduled."""
    scheduler.add_job(job.run, trigger_every(job.seconds), id=job.name, name=job.name, replace_existing=True)


async def catch_up(jobs: Sequence[PeriodicJob]) -> None:
    """Runs each `at_start` job once, in order; one that fails is logged and the next still runs."""
    for job in jobs:
        if not job.at_start:
            continue
        try:
            await job.run()
        except Exception:
            log.exception("%s failed at start; it runs again on schedule", job.name)
