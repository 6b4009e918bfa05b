"""The APScheduler jobs that run inside the bot's loop. Schedules live in SQLite, never in APScheduler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 50
ALERT_POLL_SECONDS = 15


def build_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )


def guarded(name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """A failing run is logged with its traceback; the job stays scheduled for the next run."""

    async def run() -> None:
        try:
            await job()
        except Exception:
            log.exception("job %s failed; it will run again on schedule", name)

    return run


def add_minutely(
    scheduler: AsyncIOScheduler, job_id: str, job: Callable[[], Awaitable[object]], *, run_now: bool = True
) -> None:
    """Every minute on the minute (a digest set for 07:30 goes at 07:30:00), and once at start."""
    scheduler.add_job(
        guarded(job_id, job),
        CronTrigger(second=0, timezone=UTC),
        id=job_id,
        replace_existing=True,
    )
    if run_now:
        scheduler.add_job(
            guarded(job_id, job), id=f"{job_id}:startup", replace_existing=True, next_run_time=datetime.now(UTC)
        )


def add_interval(
    scheduler: AsyncIOScheduler, job_id: str, job: Callable[[], Awaitable[object]], seconds: float
) -> None:
    scheduler.add_job(
        guarded(job_id, job), IntervalTrigger(seconds=seconds, timezone=UTC), id=job_id, replace_existing=True
    )
