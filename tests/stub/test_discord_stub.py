"""Self-tests of the loopback Discord stub, driven by a real, unmodified discord.py client."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from bot.discord.endpoints import apply_endpoint_overrides, reset_endpoint_overrides
from tests.stub.discord_stub import DiscordStub, InteractionResult, Perm, overwrite, text_channel

GUILD = 700000000000000001
GENERAL = 700000000000000011
READONLY = 700000000000000012
NOTHREADS = 700000000000000013
HIDDEN = 700000000000000014
MOD_ROLE = 700000000000000021
READER = 700000000000000031
MODERATOR = 700000000000000032


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
async def stub() -> AsyncIterator[DiscordStub]:
    async with DiscordStub() as s:
        s.add_guild(
            GUILD,
            name="Newsroom",
            channels=[
                text_channel(GENERAL, "general"),
                text_channel(
                    READONLY, "announcements", overwrites=[overwrite(GUILD, deny=Perm.SEND_MESSAGES)]
                ),
                text_channel(NOTHREADS, "no-threads"),
                text_channel(HIDDEN, "staff", overwrites=[overwrite(GUILD, deny=Perm.VIEW_CHANNEL)]),
            ],
            roles=[{"id": MOD_ROLE, "name": "mods", "permissions": Perm.MANAGE_GUILD | Perm.MANAGE_MESSAGES}],
            members=[READER, {"id": MODERATOR, "roles": [MOD_ROLE], "username": "mod"}],
        )
        # a member overwrite on the bot itself, set after add_guild
        s.set_bot_overwrite(NOTHREADS, deny=Perm.CREATE_PUBLIC_THREADS)
        yield s


class Seen:
    """What the bot saw on its side of each interaction."""

    def __init__(self) -> None:
        self.interactions: list[discord.Interaction] = []
        self.errors: list[BaseException] = []


def build_bot(seen: Seen) -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!unused ",
        intents=discord.Intents.default(),
        guild_ready_timeout=0.05,
        help_command=None,
    )

    story = app_commands.Group(name="story", description="Tracked stories")

    @story.command(name="keypoints", description="Key points of a story")
    @app_commands.describe(story="Story slug")
    async def keypoints(interaction: discord.Interaction, story: str) -> None:
        seen.interactions.append(interaction)
        await interaction.response.send_message(
            f"Key points for {story} <@{READER}>", allowed_mentions=discord.AllowedMentions.none()
        )

    @keypoints.autocomplete("story")
    async def story_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        seen.interactions.append(interaction)
        return [
            app_commands.Choice(name=s.title(), value=s)
            for s in ("zuck", "zurich", "apple")
            if s.startswith(current)
        ]

    @story.command(name="slow", description="Deferred answer")
    async def slow(interaction: discord.Interaction) -> None:
        seen.interactions.append(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done", ephemeral=True)
        await interaction.followup.send("second")

    @app_commands.command(name="ping", description="Ephemeral pong")
    async def ping(interaction: discord.Interaction) -> None:
        seen.interactions.append(interaction)
        await interaction.response.send_message("pong", ephemeral=True)

    @app_commands.command(name="upload", description="Read an attachment")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        seen.interactions.append(interaction)
        data = await file.read()
        echo = discord.File(io.BytesIO(data[::-1]), filename="reversed.txt")
        await interaction.response.send_message(f"{file.filename}:{file.size}:{data.decode()}", file=echo)

    @app_commands.command(name="draft", description="Reply, then edit the original")
    async def draft(interaction: discord.Interaction) -> None:
        seen.interactions.append(interaction)
        await interaction.response.send_message("draft")
        await interaction.edit_original_response(content="final")
        original = await interaction.original_response()
        await interaction.followup.send(f"original is {original.content}")

    @app_commands.command(name="purge", description="Mods only")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    async def purge(interaction: discord.Interaction) -> None:
        seen.interactions.append(interaction)
        await interaction.response.send_message("purged")

    async def on_tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        seen.errors.append(error)

    async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
        seen.errors.append(sys.exc_info()[1] or RuntimeError(event))

    bot.tree.on_error = on_tree_error  # type: ignore[method-assign]
    bot.on_error = on_error  # type: ignore[method-assign]
    bot.tree.add_command(story)
    bot.tree.add_command(ping)
    bot.tree.add_command(upload)
    bot.tree.add_command(purge)
    bot.tree.add_command(draft)

    @bot.tree.command(name="local", description="Guild-only command", guild=discord.Object(GUILD))
    async def local(interaction: discord.Interaction) -> None:
        seen.interactions.append(interaction)
        await interaction.response.send_message(f"local in {interaction.guild.name}")  # type: ignore[union-attr]

    return bot


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
async def bot(stub: DiscordStub, endpoints: None, seen: Seen) -> AsyncIterator[commands.Bot]:
    client = build_bot(seen)
    runner = asyncio.create_task(client.start(stub.token))
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({runner, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if runner in done:
            runner.result()  # re-raise the client's error
        raise AssertionError("discord.py client never became ready against the stub")
    try:
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(runner, 5)
    # anything that blew up inside discord.py's handlers (e.g. a malformed stub payload) fails the test
    assert seen.errors == []


@pytest.fixture
async def synced(bot: commands.Bot, stub: DiscordStub) -> commands.Bot:
    await bot.tree.sync()
    await bot.tree.sync(guild=discord.Object(GUILD))
    return bot


def assert_clean(stub: DiscordStub) -> None:
    assert stub.unknown_routes == []
    assert stub.internal_errors == []
    assert all(r.auth in ("ok", "n/a") for r in stub.requests), [
        r for r in stub.requests if r.auth not in ("ok", "n/a")
    ]


def posts_to(stub: DiscordStub, channel_id: int) -> list[int]:
    return [
        r.status
        for r in stub.requests_to("POST", "/channels/{channel_id}/messages")
        if r.params["channel_id"] == str(channel_id)
    ]


# ---------------------------------------------------------------------------- bot/discord/endpoints.py


def test_endpoint_overrides_patch_and_reset() -> None:
    original_base = discord.http.Route.BASE
    original_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert original_base == "https://discord.com/api/v10"
    try:
        apply_endpoint_overrides(None, None)
        assert discord.http.Route.BASE == original_base
        assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == original_gateway

        apply_endpoint_overrides("http://127.0.0.1:9/api", "ws://127.0.0.1:9/gw?x=1")
        assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
        assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
        assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:9/gw")

        apply_endpoint_overrides("http://h:1/api/v10/", None)
        assert discord.http.Route.BASE == "http://h:1/api/v10"
        assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:9/gw")

        with pytest.raises(ValueError):
            apply_endpoint_overrides("ftp://nope", None)
        with pytest.raises(ValueError):
            apply_endpoint_overrides(None, "http://not-a-websocket/")
    finally:
        reset_endpoint_overrides()
    assert discord.http.Route.BASE == original_base
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == original_gateway


# ---------------------------------------------------------------------------- gateway


async def test_ready_guild_create_and_permissions(stub: DiscordStub, bot: commands.Bot) -> None:
    guild = bot.get_guild(GUILD)
    assert guild is not None and guild.name == "Newsroom"
    assert {c.name for c in guild.text_channels} == {"general", "announcements", "no-threads", "staff"}
    me = guild.me
    assert (
        me is not None
        and me.id == stub.bot_user_id
        and bot.user is not None
        and bot.user.id == stub.bot_user_id
    )

    general = guild.get_channel(GENERAL)
    readonly = guild.get_channel(READONLY)
    nothreads = guild.get_channel(NOTHREADS)
    hidden = guild.get_channel(HIDDEN)
    assert isinstance(general, discord.TextChannel)
    assert general.permissions_for(me).send_messages and general.permissions_for(me).create_public_threads
    assert readonly is not None and not readonly.permissions_for(me).send_messages
    assert readonly.permissions_for(me).read_messages
    assert nothreads is not None and nothreads.permissions_for(me).send_messages
    assert not nothreads.permissions_for(me).create_public_threads
    assert hidden is not None and not hidden.permissions_for(me).read_messages
    # the stub's own view agrees with discord.py's
    for channel_id in (GENERAL, READONLY, NOTHREADS, HIDDEN):
        channel = guild.get_channel(channel_id)
        assert channel is not None
        ours = stub.guilds[GUILD].permissions_in(stub.bot_user_id, stub.channel(channel_id))
        assert ours == channel.permissions_for(me).value, channel.name

    identify = await stub.wait_for_identify()
    assert identify["intents"] == discord.Intents.default().value
    assert identify["token"] == "<redacted>"
    assert stub.privileged_intents_requested == 0
    conn = stub.gateway_connections[0]
    assert conn.path == "/gateway"
    assert (
        conn.query["encoding"] == "json"
        and conn.query["v"] == "10"
        and conn.query["compress"] == "zlib-stream"
    )
    await stub.wait_for(lambda: stub.heartbeats >= 1, 5, what="first heartbeat")
    assert [d.event for d in stub.dispatched[:2]] == ["READY", "GUILD_CREATE"]
    assert stub.requests_to("GET", "/users/@me")[0].auth == "ok"
    assert_clean(stub)


async def test_guild_added_after_connect_is_dispatched(stub: DiscordStub, bot: commands.Bot) -> None:
    joined: asyncio.Future[discord.Guild] = asyncio.get_running_loop().create_future()

    async def on_guild_join(guild: discord.Guild) -> None:
        if not joined.done():
            joined.set_result(guild)

    bot.add_listener(on_guild_join)
    stub.add_guild(GUILD + 1, name="Second", channels=[text_channel(GENERAL + 100, "news")])
    guild = await asyncio.wait_for(joined, 5)
    assert guild.id == GUILD + 1 and guild.get_channel(GENERAL + 100) is not None
    assert guild.me is not None
    assert_clean(stub)


async def test_resume_after_disconnect(stub: DiscordStub, synced: commands.Bot) -> None:
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    synced.add_listener(on_resumed)
    session_id = stub.gateway.sessions and next(iter(stub.gateway.sessions))
    assert await stub.disconnect_gateway() == 1
    await stub.wait_for_resume(timeout=5)
    await asyncio.wait_for(resumed.wait(), 5)
    assert len(stub.identify_payloads) == 1
    assert stub.resume_payloads[0]["session_id"] == session_id
    assert stub.gateway_connections[-1].path == "/gateway-resume"  # READY's resume_gateway_url was used
    # the resumed session still receives interactions
    result = await stub.invoke_slash("ping", channel_id=GENERAL, user_id=READER)
    assert result.content == "pong"

    # a non-resumable drop: RESUME gets INVALID_SESSION and the client identifies again.
    # discord.py's default before_identify_hook sleeps 5 s before every non-initial IDENTIFY.
    async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    synced.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
    await stub.disconnect_gateway(resumable=False)
    await stub.wait_for(lambda: len(stub.identify_payloads) == 2, 5, what="re-IDENTIFY")
    assert stub.gateway.invalid_sessions_sent == 1
    await stub.wait_for_ready(timeout=5)
    result = await stub.invoke_slash("ping", channel_id=GENERAL, user_id=READER)
    assert result.content == "pong"
    assert_clean(stub)


# ---------------------------------------------------------------------------- commands and interactions


async def test_command_sync_is_stored(stub: DiscordStub, bot: commands.Bot) -> None:
    global_cmds = await bot.tree.sync()
    guild_cmds = await bot.tree.sync(guild=discord.Object(GUILD))
    assert await stub.wait_for_command_sync(scope=None) == stub.commands[None]
    assert {c["name"] for c in stub.commands[None]} == {"story", "ping", "upload", "purge", "draft"}
    assert [c["name"] for c in stub.commands[GUILD]] == ["local"]
    assert stub.command_syncs == {None: 1, GUILD: 1}
    assert {c.id for c in global_cmds} == {int(c["id"]) for c in stub.commands[None]}
    assert guild_cmds[0].guild_id == GUILD
    story = next(c for c in stub.commands[None] if c["name"] == "story")
    assert [o["name"] for o in story["options"]] == ["keypoints", "slow"]
    # re-syncing keeps ids stable, like Discord
    again = await bot.tree.sync()
    assert {c.id for c in again} == {c.id for c in global_cmds}
    assert stub.command_syncs[None] == 2
    assert_clean(stub)


async def test_slash_command_reply(stub: DiscordStub, synced: commands.Bot, seen: Seen) -> None:
    result = await stub.invoke_slash(
        "story", subcommand="keypoints", options={"story": "zuck"}, channel_id=GENERAL, user_id=READER
    )
    assert isinstance(result, InteractionResult)
    assert result.callback_type == 4
    assert result.content == f"Key points for zuck <@{READER}>"
    assert not result.ephemeral
    assert result.allowed_mentions == {"parse": []}
    assert result.message is not None and result.message.mentions == []  # nobody actually pinged
    story_id = next(c["id"] for c in stub.commands[None] if c["name"] == "story")
    assert result.payload["data"]["id"] == story_id
    assert result.payload["data"]["options"] == [
        {"name": "keypoints", "type": 1, "options": [{"name": "story", "type": 3, "value": "zuck"}]}
    ]
    # the (non-ephemeral) response is a message in the channel
    assert [m.content for m in stub.messages_in(GENERAL)] == [result.content]

    interaction = seen.interactions[-1]
    assert interaction.guild_id == GUILD and interaction.user.id == READER
    assert isinstance(interaction.user, discord.Member)
    assert isinstance(interaction.channel, discord.TextChannel) and interaction.channel.id == GENERAL
    assert interaction.app_permissions.send_messages
    assert interaction.permissions.send_messages and not interaction.permissions.manage_guild
    assert interaction.locale is discord.Locale.american_english

    ping = await stub.invoke_slash("ping", channel_id=GENERAL, user_id=READER)
    assert ping.content == "pong" and ping.ephemeral
    assert ping.message not in stub.messages_in(GENERAL)

    local = await stub.invoke_slash("local", channel_id=GENERAL)
    assert local.content == "local in Newsroom"
    assert local.payload["data"]["guild_id"] == str(GUILD)
    assert_clean(stub)


async def test_deferred_reply_and_followups(stub: DiscordStub, synced: commands.Bot) -> None:
    result = await stub.invoke_slash("story", subcommand="slow", channel_id=GENERAL)
    await result.wait_for_followups(1, timeout=5)
    assert result.deferred and result.callback_type == 5
    assert result.ephemeral  # the defer's flag wins for the first follow-up
    assert result.content == "done"
    assert result.original is not None and not result.original.loading and not result.original.edited
    assert [m.content for m in result.followups] == ["second"]
    assert not result.followups[0].ephemeral
    assert [m.content for m in result.all_messages] == ["done", "second"]
    assert_clean(stub)


async def test_edit_original_and_fetch_it(stub: DiscordStub, synced: commands.Bot) -> None:
    result = await stub.invoke_slash("draft", channel_id=GENERAL)
    await result.wait_for_followups(1, timeout=5)
    assert result.content == "final"
    assert result.original is not None and result.original.edited
    assert [e.get("content") for e in result.original.edits] == ["final"]
    assert [m.content for m in result.followups] == ["original is final"]
    routes = [r.route for r in stub.requests if r.route and "/webhooks/" in r.route]
    assert routes == [
        "PATCH /webhooks/{app_id}/{token}/messages/{message_id}",
        "GET /webhooks/{app_id}/{token}/messages/{message_id}",
        "POST /webhooks/{app_id}/{token}",
    ]
    assert_clean(stub)


async def test_autocomplete(stub: DiscordStub, synced: commands.Bot, seen: Seen) -> None:
    choices = await stub.autocomplete(
        "story", subcommand="keypoints", focused="story", options={"story": "zu"}, channel_id=GENERAL
    )
    assert choices == [{"name": "Zuck", "value": "zuck"}, {"name": "Zurich", "value": "zurich"}]
    assert seen.interactions[-1].type is discord.InteractionType.autocomplete
    none = await stub.autocomplete(
        "story", subcommand="keypoints", focused="story", options={"story": "q"}, channel_id=GENERAL
    )
    assert none == []
    assert_clean(stub)


async def test_command_visibility_rules(stub: DiscordStub, synced: commands.Bot) -> None:
    from tests.stub.discord_stub import CommandNotAvailable

    with pytest.raises(CommandNotAvailable):
        await stub.invoke_slash("purge", channel_id=GENERAL, user_id=READER)  # lacks manage_messages
    result = await stub.invoke_slash("purge", channel_id=GENERAL, user_id=MODERATOR)
    assert result.content == "purged"
    with pytest.raises(CommandNotAvailable):
        await stub.invoke_slash("purge", user_id=READER)  # guild_only -> not offered in DMs
    with pytest.raises(CommandNotAvailable):
        await stub.invoke_slash("nope", channel_id=GENERAL)
    with pytest.raises(ValueError):
        await stub.invoke_slash("story", subcommand="keypoints", options={}, channel_id=GENERAL)
    assert_clean(stub)


async def test_dm_interaction(stub: DiscordStub, synced: commands.Bot, seen: Seen) -> None:
    result = await stub.invoke_slash("ping", user_id=READER)
    assert result.content == "pong"
    assert "member" not in result.payload and result.payload["user"]["id"] == str(READER)
    assert result.payload["context"] == 1 and "guild_id" not in result.payload
    interaction = seen.interactions[-1]
    assert interaction.guild is None and interaction.guild_id is None
    assert isinstance(interaction.user, discord.User) and not isinstance(interaction.user, discord.Member)
    assert isinstance(interaction.channel, discord.DMChannel)
    assert [m.content for m in stub.dm_messages_to(READER)] == ["pong"]
    assert_clean(stub)


async def test_attachment_option(stub: DiscordStub, synced: commands.Bot) -> None:
    attachment = stub.add_attachment("notes.txt", b"hello world")
    result = await stub.invoke_slash("upload", options={"file": attachment}, channel_id=GENERAL)
    assert result.content == "notes.txt:11:hello world"
    resolved = result.payload["data"]["resolved"]["attachments"]
    assert list(resolved) == [attachment["id"]]
    assert [r.status for r in stub.requests_to("GET", "/attachments/{attachment_id}/{filename}")] == [200]
    # the callback came as multipart (payload_json + files[0]) and the file is stored and served
    callback = stub.requests_to("POST", "/interactions/{interaction_id}/{token}/callback")[-1]
    octet = "application/octet-stream"
    assert callback.files == [
        {"field": "files[0]", "filename": "reversed.txt", "size": 11, "content_type": octet}
    ]
    assert callback.json["type"] == 4
    assert callback.json["data"]["attachments"][0]["filename"] == "reversed.txt"
    assert result.message is not None
    [echo] = result.message.attachments
    assert echo.filename == "reversed.txt" and echo.data == b"dlrow olleh"
    async with aiohttp.ClientSession() as session, session.get(echo.url) as resp:
        assert await resp.read() == b"dlrow olleh"
    assert_clean(stub)


async def test_late_callback_is_unknown_interaction(stub: DiscordStub, synced: commands.Bot) -> None:
    stub.ack_deadline = 0.0  # every callback is "too late"
    errors: list[Exception] = []

    async def on_error(interaction: discord.Interaction, error: Exception) -> None:
        errors.append(error)

    synced.tree.on_error = on_error  # type: ignore[method-assign]
    result = await stub.invoke_slash("ping", channel_id=GENERAL, wait="none")
    await stub.wait_for_request("POST", "/interactions/{interaction_id}/{token}/callback", timeout=5)
    await stub.wait_for(lambda: errors, 5, what="the bot's error handler")
    assert result.callback_type is None
    original = getattr(errors[0], "original", errors[0])
    assert isinstance(original, discord.NotFound) and original.code == 10062
    assert_clean(stub)


# ---------------------------------------------------------------------------- channel messages


async def test_enforce_nonce_deduplicates(stub: DiscordStub, bot: commands.Bot) -> None:
    channel = bot.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("digest", nonce=424242)
    second = await channel.send("digest", nonce=424242)
    assert first.id == second.id
    assert [m.content for m in stub.messages_in(GENERAL)] == ["digest"]
    assert stub.nonce_dedup_hits == 1
    posted = stub.requests_to("POST", "/channels/{channel_id}/messages")
    assert posted[0].json["nonce"] == "424242" and posted[0].json["enforce_nonce"] is True
    assert posted[1].note == "nonce-dedup"
    third = await channel.send("digest", nonce=434343)
    assert third.id != first.id and len(stub.messages_in(GENERAL)) == 2
    assert_clean(stub)


async def test_retries_after_500_and_429(stub: DiscordStub, bot: commands.Bot) -> None:
    channel = bot.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)

    stub.fail_message_posts(ratio=1.0, limit=1, seed=1)
    started = time.monotonic()
    await channel.send("survives a 500")
    assert time.monotonic() - started >= 0.9  # discord.py sleeps 1 s before retrying a 5xx
    assert posts_to(stub, GENERAL) == [500, 200]
    assert [m.content for m in stub.messages_in(GENERAL)] == ["survives a 500"]

    stub.clear_faults()
    stub.rate_limit_some_posts(ratio=1.0, limit=2, retry_after=0.05, seed=2)
    await channel.send("survives two 429s")
    assert posts_to(stub, GENERAL) == [500, 200, 429, 429, 200]
    assert [m.content for m in stub.messages_in(GENERAL)] == ["survives a 500", "survives two 429s"]
    assert stub.injected_429s == 2 and stub.provoked_429s == 0 and stub.total_429s == 2

    # a 500 *after* the message was stored: the retry carries the same nonce and is deduplicated
    stub.clear_faults()
    stub.fail_message_posts(ratio=1.0, limit=1, after_commit=True)
    await channel.send("stored once", nonce=777)
    assert [m.content for m in stub.messages_in(GENERAL)][-1:] == ["stored once"]
    assert len(stub.messages_in(GENERAL)) == 3
    assert posts_to(stub, GENERAL)[-2:] == [500, 200]
    assert_clean(stub)


async def test_rate_limit_mode(stub: DiscordStub, bot: commands.Bot) -> None:
    stub.enable_rate_limits(global_per_second=1000, per_channel=2, per_channel_window=0.4)
    channel = bot.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    await asyncio.gather(*(channel.send(f"burst {i}") for i in range(5)))
    assert sorted(m.content for m in stub.messages_in(GENERAL)) == [f"burst {i}" for i in range(5)]
    assert stub.provoked_429s == 0  # discord.py obeyed the X-RateLimit-* headers
    last = stub.requests_to("POST", "/channels/{channel_id}/messages")[-1]
    assert last.status == 200

    # a client that ignores the headers gets real 429s
    headers = {"Authorization": f"Bot {stub.token}", "Content-Type": "application/json"}
    url = f"{stub.api_base}/channels/{NOTHREADS}/messages"
    async with aiohttp.ClientSession() as session:
        statuses = []
        for i in range(3):
            async with session.post(url, json={"content": f"raw {i}"}, headers=headers) as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    body = await resp.json(content_type=None)
                    assert resp.headers["Content-Type"] == "application/json"
                    assert resp.headers["Via"] and int(resp.headers["Retry-After"]) >= 1
                    assert 0 < body["retry_after"] <= 0.4 and body["global"] is False
                    assert resp.headers["X-RateLimit-Remaining"] == "0"
                else:
                    assert resp.headers["X-RateLimit-Limit"] == "2"
        assert statuses == [200, 200, 429]
        assert stub.provoked_429s == 1

        stub.enable_rate_limits(global_per_second=3, per_channel=100)
        statuses = []
        for _ in range(4):
            async with session.get(f"{stub.api_base}/users/@me", headers=headers) as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    assert resp.headers["X-RateLimit-Global"] == "true"
                    assert (await resp.json(content_type=None))["global"] is True
        assert statuses == [200, 200, 200, 429]
    assert stub.provoked_429s == 2 and stub.total_429s == 2
    assert_clean(stub)


async def test_closed_dms_raise_forbidden(stub: DiscordStub, bot: commands.Bot) -> None:
    user = await bot.fetch_user(READER)
    stub.close_dms(READER)
    with pytest.raises(discord.Forbidden) as excinfo:
        await user.send("your digest")
    assert excinfo.value.code == 50007
    assert stub.dm_messages_to(READER) == []
    stub.open_dms(READER)
    await user.send("your digest")
    assert [m.content for m in stub.dm_messages_to(READER)] == ["your digest"]
    assert stub.requests_to("POST", "/users/@me/channels")[0].json == {"recipient_id": READER}
    assert_clean(stub)


async def test_permission_and_validation_errors(stub: DiscordStub, bot: commands.Bot) -> None:
    readonly = bot.get_channel(READONLY)
    hidden = bot.get_channel(HIDDEN)
    assert isinstance(readonly, discord.TextChannel) and isinstance(hidden, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as excinfo:
        await readonly.send("nope")
    assert excinfo.value.code == 50013
    with pytest.raises(discord.Forbidden) as excinfo:
        await hidden.send("nope")
    assert excinfo.value.code == 50001
    with pytest.raises(discord.NotFound) as not_found:
        await bot.get_partial_messageable(123456789).send("nowhere")
    assert not_found.value.code == 10003
    general = bot.get_channel(GENERAL)
    assert isinstance(general, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await general.send("x" * 2001)
    assert too_long.value.code == 50035
    with pytest.raises(discord.HTTPException) as too_big:
        await general.send(embed=discord.Embed(title="t", description="d" * 4097))
    assert too_big.value.code == 50035
    assert stub.messages_in(GENERAL) == [] and stub.messages_in(READONLY) == []
    # bot-side permission changes show up through CHANNEL_UPDATE
    stub.set_bot_overwrite(READONLY, allow=Perm.SEND_MESSAGES)
    guild = bot.get_guild(GUILD)
    assert guild is not None and guild.me is not None
    await stub.wait_for(lambda: readonly.permissions_for(guild.me).send_messages, 5, what="CHANNEL_UPDATE")
    await readonly.send("now allowed")
    assert [m.content for m in stub.messages_in(READONLY)] == ["now allowed"]
    assert_clean(stub)


async def test_files_and_fetch_routes(stub: DiscordStub, bot: commands.Bot) -> None:
    general = bot.get_channel(GENERAL)
    assert isinstance(general, discord.TextChannel)
    sent = await general.send("report", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="report.csv"))
    assert sent.attachments[0].filename == "report.csv" and sent.attachments[0].size == 8
    assert await sent.attachments[0].read() == b"a,b\n1,2\n"
    stored = stub.messages_in(GENERAL)[0]
    assert stored.content == "report" and stored.attachments[0].data == b"a,b\n1,2\n"

    fetched = await bot.fetch_channel(GENERAL)
    assert isinstance(fetched, discord.TextChannel) and fetched.name == "general"
    guild = await bot.fetch_guild(GUILD)
    assert guild.name == "Newsroom" and guild.owner_id == stub.owner_user_id
    channels = await guild.fetch_channels()
    assert {c.id for c in channels} == {GENERAL, READONLY, NOTHREADS, HIDDEN}
    member = await guild.fetch_member(MODERATOR)
    assert member.name == "mod" and [r.id for r in member.roles if not r.is_default()] == [MOD_ROLE]
    again = await general.fetch_message(sent.id)
    assert again.content == "report"
    with pytest.raises(discord.NotFound) as unknown:
        await general.fetch_message(1)
    assert unknown.value.code == 10008
    assert_clean(stub)


async def test_thread_from_message(stub: DiscordStub, bot: commands.Bot) -> None:
    general = bot.get_channel(GENERAL)
    nothreads = bot.get_channel(NOTHREADS)
    assert isinstance(general, discord.TextChannel) and isinstance(nothreads, discord.TextChannel)
    root = await general.send("Story: zuck")
    thread = await root.create_thread(name="zuck discussion")
    assert thread.id == root.id and thread.parent_id == GENERAL and thread.name == "zuck discussion"
    await thread.send("first update")
    assert [m.content for m in stub.messages_in(thread.id)] == ["first update"]
    stored_thread = stub.thread_for(root.id)
    assert stored_thread is not None and stored_thread.message_count == 1
    assert stub.threads_of(GENERAL) == [stored_thread]
    assert stub.messages_in(GENERAL)[0].thread_id == thread.id
    await stub.wait_for(
        lambda: general.guild.get_thread(thread.id), 5, what="THREAD_CREATE in the client cache"
    )

    with pytest.raises(discord.HTTPException) as again:
        await root.create_thread(name="twice")
    assert again.value.code == 160004
    other = await nothreads.send("no threads here")
    with pytest.raises(discord.Forbidden) as forbidden:
        await other.create_thread(name="denied")
    assert forbidden.value.code == 50013
    assert_clean(stub)


async def test_edit_and_reply_are_recorded(stub: DiscordStub, bot: commands.Bot) -> None:
    general = bot.get_channel(GENERAL)
    assert isinstance(general, discord.TextChannel)
    message = await general.send(f"hi <@{READER}>")
    stored = stub.messages_in(GENERAL)[0]
    assert stored.mentions == [READER] and not stored.edited
    await message.edit(content="hi everyone", embed=discord.Embed(title="Digest", description="3 stories"))
    assert stored.edited and stored.content == "hi everyone" and stored.edits[0]["content"] == "hi everyone"
    assert stored.mentions == [] and "Digest" in stored.text and "3 stories" in stored.text
    reply = await message.reply("follow-up", mention_author=False)
    stored_reply = stub.get_message(GENERAL, reply.id)
    assert stored_reply is not None and stored_reply.message_reference is not None
    assert stored_reply.message_reference["message_id"] == message.id
    assert (
        stored_reply.allowed_mentions is not None and stored_reply.allowed_mentions["replied_user"] is False
    )
    history = [m.content async for m in general.history(limit=10)]
    assert history == ["follow-up", "hi everyone"]
    assert_clean(stub)


# ---------------------------------------------------------------------------- raw protocol checks


async def test_unknown_routes_and_bad_auth_are_recorded(stub: DiscordStub) -> None:
    async with aiohttp.ClientSession() as session:
        good = {"Authorization": f"Bot {stub.token}"}
        async with session.get(f"{stub.api_base}/users/@me", headers=good) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"  # exactly, no charset
            assert (await resp.json())["id"] == str(stub.bot_user_id)
        async with session.get(f"{stub.api_base}/users/@me", headers={"Authorization": "Bot wrong"}) as resp:
            assert resp.status == 401
        async with session.get(f"{stub.api_base}/no/such/route", headers=good) as resp:
            assert resp.status == 404
            assert (await resp.json()) == {"message": "404: Not Found", "code": 0}
        async with session.get(f"{stub.api_base}/gateway") as resp:
            assert (await resp.json())["url"] == stub.gateway_url
    assert stub.unknown_routes == ["GET /no/such/route"]
    assert [r.auth for r in stub.requests_to("GET", "/users/@me")] == ["ok", "invalid"]
    assert all("Bot" not in str(r.headers) for r in stub.requests)  # the token never lands in the log
    assert stub.internal_errors == []


async def test_identify_with_privileged_intents_can_be_refused(stub: DiscordStub) -> None:
    stub.enabled_privileged_intents = 0
    async with aiohttp.ClientSession() as session, session.ws_connect(stub.gateway_url) as ws:
        hello: dict[str, Any] = await ws.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == stub.heartbeat_interval_ms
        await ws.send_json({"op": 2, "d": {"token": stub.token, "intents": 1 << 15, "properties": {}}})
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4014
    assert stub.privileged_intents_requested == 1 << 15


# ---------------------------------------------------------------------------- the bot as a subprocess

SUBPROCESS_BOT = """
import os
import discord
from discord import app_commands
from bot.discord.endpoints import apply_endpoint_overrides

apply_endpoint_overrides(os.environ["DISCORD_API_BASE"], os.environ["DISCORD_GATEWAY_URL"])
client = discord.Client(intents=discord.Intents.default())
tree = app_commands.CommandTree(client)

@tree.command(name="hello", description="Say hello")
async def hello(interaction: discord.Interaction, name: str) -> None:
    await interaction.response.send_message(f"hello {name} from pid {os.getpid()}")

async def setup_hook() -> None:
    await tree.sync()

client.setup_hook = setup_hook
client.run(os.environ["DISCORD_TOKEN"], log_handler=None)
"""


async def test_subprocess_bot_via_env(stub: DiscordStub, tmp_path: Path) -> None:
    script = tmp_path / "mini_bot.py"
    script.write_text(SUBPROCESS_BOT)
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, **stub.env(), "PYTHONPATH": root}
    proc = await asyncio.create_subprocess_exec(sys.executable, str(script), env=env)
    try:
        identify = await stub.wait_for_identify(timeout=20)
        assert identify["intents"] == discord.Intents.default().value
        commands_ = await stub.wait_for_command_sync(timeout=20, scope=None)
        assert [c["name"] for c in commands_] == ["hello"]
        result = await stub.invoke_slash("hello", options={"name": "ada"}, channel_id=GENERAL)
        assert result.content == f"hello ada from pid {proc.pid}"
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
    assert_clean(stub)
