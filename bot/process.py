"""`briefbot run` and `briefbot sync` with platforms configured: one database, one runtime, every platform's client
at once. SIGTERM or SIGINT stops them all, then the runtime, then closes the database once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

from bot.fetch import Fetcher
from bot.importer import import_seed_folder
from bot.intake import intake_pool
from bot.platforms import PlatformClient
from bot.runtime import Runtime, Wakeups, build_services
from bot.settings import Settings
from storage.database import Database
from storage.stories import StoryRepository

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

Work = Callable[[Sequence[PlatformClient], Runtime], Awaitable[str]]


class StopOnSignal:
    """SIGTERM or SIGINT cancels the task that starts or runs the process: at any stage, a clean stop, not an error."""

    def __init__(self, connected: Callable[[], bool]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.connected = connected
        self.received: str | None = None
        self.before_connecting = True
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        if self.received is not None:
            return  # already stopping: let the shutdown finish
        self.received = signal.Signals(signum).name
        self.before_connecting = not self.connected()
        log.info("received %s; shutting down", self.received)
        self.task.cancel()

    def outcome(self) -> str:
        self.task.uncancel()
        return "stopped before connecting" if self.before_connecting else "stopped"

    def remove(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)


async def run_platforms(settings: Settings, clients: Sequence[PlatformClient]) -> str:
    """Serves every client until a signal. One that fails (or ends) stops the others; its error is raised."""
    return await _until_stopped(settings, clients, _serve_all)


async def sync_platforms(settings: Settings, clients: Sequence[PlatformClient]) -> str:
    """Pushes each platform's command list; returns what was done, one line per platform that has one."""
    return await _until_stopped(settings, clients, _sync_all)


async def _until_stopped(settings: Settings, clients: Sequence[PlatformClient], work: Work) -> str:
    stop = StopOnSignal(lambda: any(client.connected for client in clients))
    try:
        async with (
            Database.open(settings.database_path) as db,
            intake_pool() as pool,
            Fetcher.open(settings.fetch_allow_hosts) as fetcher,
        ):
            await import_seed_folder(settings.seeds_dir, StoryRepository(db), settings.default_timezone, pool=pool)
            wakeups = Wakeups()
            services = build_services(db, settings, wakeups, fetcher, intake_pool=pool)
            async with Runtime(services, wakeups) as runtime:
                result = await work(clients, runtime)
    except asyncio.CancelledError:
        if stop.received is None:
            raise
        outcome = stop.outcome()
        log.info("briefbot %s; database closed", outcome)
        return outcome
    finally:
        stop.remove()
    log.info("briefbot stopped; database closed")
    return result


async def _serve_all(clients: Sequence[PlatformClient], runtime: Runtime) -> str:
    """Each client in its own task: a slow or failing platform never holds up another one's start."""
    tasks = [asyncio.create_task(client.serve(runtime), name=f"{client.platform} client") for client in clients]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:  # a signal (this task cancelled) or one client ended: stop the others and wait for them
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    errors = {task: error for task in tasks if not task.cancelled() and (error := task.exception()) is not None}
    for task, error in errors.items():
        if task not in done:
            log.error("%s failed while stopping", task.get_name(), exc_info=error)
    for task in done:
        if task in errors:
            raise errors[task]
    ended = ", ".join(sorted(task.get_name() for task in done))
    log.warning("%s ended; stopping", ended)
    return "stopped"


async def _sync_all(clients: Sequence[PlatformClient], runtime: Runtime) -> str:
    return "\n".join([await client.sync_commands(runtime) for client in clients])
