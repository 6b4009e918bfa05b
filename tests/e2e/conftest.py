"""Fixtures for end-to-end tests: a loopback Discord with two servers, and the bot as a subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.e2e.harness import (
    CHANNEL_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    OTHER_GUILD_ID,
    BotProcess,
    BotRuns,
    BotWorkspace,
)
from tests.stub.discord_stub import DiscordStub, text_channel

StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def stub() -> AsyncIterator[DiscordStub]:
    async with DiscordStub() as server:
        server.add_guild(GUILD_ID, name="newsroom", channels=[text_channel(CHANNEL_ID, "news")])
        server.add_guild(OTHER_GUILD_ID, name="elsewhere", channels=[text_channel(OTHER_CHANNEL_ID, "general")])
        yield server
        assert server.unknown_routes == [], server.unknown_routes
        assert server.internal_errors == [], server.internal_errors


@pytest.fixture
def workspace(tmp_path: Path) -> BotWorkspace:
    return BotWorkspace.create(tmp_path)


@pytest.fixture
async def start_bot(stub: DiscordStub, workspace: BotWorkspace) -> AsyncIterator[StartBot]:
    """Starts the bot and waits until it has synced and is connected; stops every run at teardown."""
    runs = BotRuns(workspace, stub)

    async def start(env: dict[str, str] | None = None, *, sync_count: int | None = None) -> BotProcess:
        # READY and every GUILD_CREATE are sent: what a test sends next, on the same socket, arrives after them.
        # (discord.py's on_ready, "connected as", comes 2 s later: it waits for more servers that never come.)
        return await runs.start(env, lambda bot: stub.wait_for_ready(timeout=30))

    yield start
    await runs.kill_all()
