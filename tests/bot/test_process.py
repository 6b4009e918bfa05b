"""Tests for bot.process: every configured platform served at once under one runtime, and `briefbot sync`.

The platform clients here are small real PlatformClients; the signals are tested end to end (tests/e2e)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.platforms import Platform
from bot.process import run_platforms, sync_platforms
from bot.runtime import Runtime
from bot.settings import Settings

WAIT = 10.0


class Client:
    """Serves until cancelled, or ends or fails after `release` is set; records what happened to it."""

    platform = Platform.DISCORD

    def __init__(self, *, failure: BaseException | None = None, ends: bool = False, sync: str = "synced") -> None:
        self.failure = failure
        self.ends = ends
        self.sync = sync
        self.serving = asyncio.Event()
        self.release = asyncio.Event()
        self.runtime: Runtime | None = None
        self.cancelled = False

    @property
    def connected(self) -> bool:
        return self.serving.is_set()

    async def serve(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.serving.set()
        try:
            if self.failure is None and not self.ends:
                await asyncio.Event().wait()
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.failure is not None:
            raise self.failure

    async def sync_commands(self, runtime: Runtime) -> str:
        return self.sync


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_path=tmp_path / "briefbot.db", seeds_dir=tmp_path / "seeds")


async def _once_all_serve(clients: list[Client]) -> None:
    for client in clients:
        await asyncio.wait_for(client.serving.wait(), WAIT)


async def test_one_failing_platform_stops_the_others_and_its_error_is_raised(settings: Settings) -> None:
    steady, failing = Client(), Client(failure=UserError("Slack rejected SLACK_BOT_TOKEN."))
    serving = asyncio.create_task(run_platforms(settings, [steady, failing]))
    await _once_all_serve([steady, failing])
    assert steady.runtime is failing.runtime is not None  # one runtime for all
    failing.release.set()
    with pytest.raises(UserError, match="Slack rejected SLACK_BOT_TOKEN"):
        await asyncio.wait_for(serving, WAIT)
    assert steady.cancelled
    assert not steady.runtime.scheduler.running


async def test_a_platform_that_ends_stops_the_others(settings: Settings) -> None:
    steady, ending = Client(), Client(ends=True)
    serving = asyncio.create_task(run_platforms(settings, [steady, ending]))
    await _once_all_serve([steady, ending])
    ending.release.set()
    assert await asyncio.wait_for(serving, WAIT) == "stopped"
    assert steady.cancelled and not ending.cancelled


async def test_sync_says_what_each_platform_did(settings: Settings) -> None:
    clients = [Client(sync="synced 3 global commands"), Client(sync="commands are in the manifest")]
    assert await sync_platforms(settings, clients) == "synced 3 global commands\ncommands are in the manifest"
