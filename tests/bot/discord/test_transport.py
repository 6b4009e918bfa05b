"""Tests for bot.discord.transport: how Discord's answers become temporary or permanent failures.

A real discord.py client talks to the loopback stub (HTTP only: sending needs no gateway session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import discord
import pytest

from bot import payloads
from bot.delivery import TemporaryFailure
from bot.discord.ids import qualified
from bot.discord.transport import DiscordTransport
from bot.limits import MessagePart
from storage.database import Database
from storage.direct_messages import DirectMessageRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxItem, OutboxRepository, OutgoingMessage
from tests.stub.discord_stub import DiscordStub, text_channel

NOW = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)
GUILD = 710000000000000001
CHANNEL = 710000000000000011


@pytest.fixture
async def stub() -> AsyncIterator[DiscordStub]:
    async with DiscordStub() as s:
        s.add_guild(GUILD, name="Newsroom", channels=[text_channel(CHANNEL, "news")])
        yield s


async def _client(stub: DiscordStub, **options: float) -> discord.Client:
    client = discord.Client(intents=discord.Intents.none(), **options)
    await client.login(stub.token)
    return client


async def _queued(db: Database, key: str) -> OutboxItem:
    outbox = OutboxRepository(db)
    target = qualified(CHANNEL)
    await outbox.enqueue([OutgoingMessage(key, "digest", "channel", target, payloads.dump(MessagePart(key)))], NOW)
    [item] = await outbox.due(NOW)
    return item


async def _deliver(client: discord.Client, db: Database, item: OutboxItem) -> str | None:
    transport = DiscordTransport(client, DirectMessageRepository(db), FollowRepository(db))
    return await transport.deliver(item, payloads.load(item.payload_json))


async def test_a_429_that_outlasts_discord_py_carries_its_retry_after(
    stub: DiscordStub, endpoints: None, db: Database
) -> None:
    # discord.py sleeps through a 429 and tries again, five times; then it gives up with the last answer.
    stub.rate_limit_some_posts(ratio=1.0, retry_after=0.01, limit=5, seed=1)
    client = await _client(stub)
    try:
        item = await _queued(db, "a:0")
        with pytest.raises(TemporaryFailure) as caught:
            await _deliver(client, db, item)
        assert caught.value.reason == "Discord error 429"
        assert caught.value.retry_after == 1.0  # the stub's Retry-After header, whole seconds like Discord's
        assert stub.injected_429s == 5
        assert await _deliver(client, db, item) is not None  # the rate limit is over: it goes out
    finally:
        await client.close()


async def test_a_rate_limit_longer_than_the_client_waits_carries_its_retry_after(
    stub: DiscordStub, endpoints: None, db: Database
) -> None:
    # With max_ratelimit_timeout, discord.py raises RateLimited at once instead of sleeping 45 s.
    stub.rate_limit_some_posts(ratio=1.0, retry_after=45.0, limit=1, seed=1)
    client = await _client(stub, max_ratelimit_timeout=30.0)
    try:
        with pytest.raises(TemporaryFailure) as caught:
            await _deliver(client, db, await _queued(db, "a:0"))
        assert caught.value.retry_after == 45.0
        assert "45" in caught.value.reason
    finally:
        await client.close()


async def test_a_server_error_without_retry_after_leaves_the_wait_to_the_backoff(
    stub: DiscordStub, endpoints: None, db: Database
) -> None:
    stub.fail_message_posts(ratio=1.0, status=503, limit=1, seed=1)  # discord.py does not retry a 503
    client = await _client(stub)
    try:
        with pytest.raises(TemporaryFailure) as caught:
            await _deliver(client, db, await _queued(db, "a:0"))
        assert (caught.value.reason, caught.value.retry_after) == ("Discord error 503", None)
    finally:
        await client.close()
