"""Scheduled digests over a loopback Discord: on time, exactly once, through restarts, kills and faults."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.discord.ids import qualified
from storage.database import Database
from storage.digests import DigestRepository
from tests.e2e.conftest import StartBot
from tests.e2e.harness import CHANNEL_ID, GUILD_ID, MEMBER_ID, BotProcess, BotWorkspace
from tests.stub.discord_stub import DiscordStub, text_channel

MANAGE_GUILD = 1 << 5
FAN_OUT = 200
FAN_GUILD_BASE = 310000000000000000
FAN_CHANNEL_BASE = 320000000000000000


def digest_posts(stub: DiscordStub, channel_id: int) -> list[str]:
    return [m.content or "" for m in stub.messages_in(channel_id) if "briefing" in (m.content or "")]


async def test_digest_set_for_next_minute_posts_once_and_not_again_after_restart(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    bot = await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    now = datetime.now(UTC)
    fire = (now + timedelta(minutes=2 if now.second > 55 else 1)).replace(second=0, microsecond=0)
    setup = await stub.invoke_slash(
        "digest", subcommand="setup",
        options={"channel": CHANNEL_ID, "time": fire.strftime("%H:%M"), "timezone": "UTC", "days": "daily"},
        channel_id=CHANNEL_ID, user_id=MEMBER_ID, member_permissions=MANAGE_GUILD,
    )
    assert setup.ephemeral and "Next digest" in setup.text and "UTC" in setup.text, setup.text
    await stub.wait_for(lambda: digest_posts(stub, CHANNEL_ID), timeout=150, what="the digest")
    await bot.wait_for_log("digest tick: 1 slots processed")
    await bot.wait_for_log("outbox: 1 sent (digest)")
    await workspace.wait_for_outbox()
    assert len(digest_posts(stub, CHANNEL_ID)) == 1
    assert await bot.stop() == 0

    again = await start_bot()
    await again.wait_for_log("caught up at start")  # the digest tick at start has run
    await workspace.wait_for_outbox()
    assert len(digest_posts(stub, CHANNEL_ID)) == 1
    shown = await stub.invoke_slash("digest", subcommand="show", channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert "Delivered" in shown.text, shown.text


async def test_bad_digest_settings_get_clear_ephemeral_errors(stub: DiscordStub, start_bot: StartBot) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    stub.add_channel(GUILD_ID, text_channel(CHANNEL_ID + 5, "locked"))
    stub.set_bot_overwrite(CHANNEL_ID + 5, deny=1 << 11)  # SEND_MESSAGES
    cases = [
        ({"channel": CHANNEL_ID, "time": "25:00", "timezone": "UTC"}, "25:00"),
        ({"channel": CHANNEL_ID, "time": "07:30", "timezone": "Mars/Base"}, "Mars/Base"),
        ({"channel": CHANNEL_ID, "time": "07:30", "timezone": "UTC", "days": ","}, "day"),
        ({"channel": CHANNEL_ID + 5, "time": "07:30", "timezone": "UTC"}, "Send Messages"),
    ]
    for options, expected in cases:
        result = await stub.invoke_slash("digest", subcommand="setup", options=options, channel_id=CHANNEL_ID,
                                         user_id=MEMBER_ID, member_permissions=MANAGE_GUILD)
        assert result.ephemeral and expected in result.text, (options, result.text)
    refused = await stub.invoke_slash("digest", subcommand="setup",
                                      options={"channel": CHANNEL_ID, "time": "07:30", "timezone": "UTC"},
                                      channel_id=CHANNEL_ID, user_id=MEMBER_ID, member_permissions=0)
    assert refused.ephemeral and "Manage Guild" in refused.text


def add_fan_out_world(stub: DiscordStub) -> list[int]:
    channels = []
    for index in range(FAN_OUT):
        channel_id = FAN_CHANNEL_BASE + index
        stub.add_guild(FAN_GUILD_BASE + index, channels=[text_channel(channel_id, "news")])
        channels.append(channel_id)
    return channels


async def schedule_due_digests(workspace: BotWorkspace, channels: list[int]) -> None:
    """Stored schedules whose slot fell due a minute ago, as if the bot had been down briefly."""
    now = datetime.now(UTC)
    due = now - timedelta(minutes=1)
    async with Database.open(workspace.database) as db:
        repo = DigestRepository(db)
        for index, channel_id in enumerate(channels):
            await repo.save(
                audience_kind="guild", audience_id=qualified(FAN_GUILD_BASE + index),
                scope_id=qualified(FAN_GUILD_BASE + index), channel_id=qualified(channel_id),
                time_of_day=due.strftime("%H:%M"), timezone="UTC", days="mon,tue,wed,thu,fri,sat,sun",
                next_fire_at=due, next_slot_date=due.date(), now=now,
            )


def assert_exactly_one_digest_each(stub: DiscordStub, channels: list[int]) -> None:
    counts = Counter(len(digest_posts(stub, channel)) for channel in channels)
    assert counts == Counter({1: len(channels)}), counts
    for channel in channels:
        nonces = [m.nonce for m in stub.messages_in(channel)]
        assert len(nonces) == len(set(nonces))


async def test_sigkill_mid_fan_out_then_restart_gives_every_channel_exactly_one_digest(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    channels = add_fan_out_world(stub)
    await schedule_due_digests(workspace, channels)
    stub.fail_message_posts(0.1, status=500, after_commit=True, seed=7)  # stored, then "failed": resent by nonce
    bot = BotProcess(workspace, stub, {"OUTBOX_RATE": "25"})
    await bot.start()
    await stub.wait_for(lambda: sum(len(stub.messages_in(c)) for c in channels) >= FAN_OUT // 3, timeout=60,
                        what="a third of the fan-out")
    await bot.kill()
    delivered_before = sum(len(digest_posts(stub, c)) for c in channels)
    assert delivered_before < FAN_OUT, "the kill came too late to test anything"
    stub.clear_faults()
    await start_bot()
    await stub.wait_for(lambda: all(digest_posts(stub, c) for c in channels), timeout=120, what="every digest")
    await workspace.wait_for_outbox()
    assert_exactly_one_digest_each(stub, channels)


async def test_500s_and_429s_still_give_every_channel_exactly_one_digest(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    channels = add_fan_out_world(stub)
    await schedule_due_digests(workspace, channels)
    stub.fail_message_posts(0.2, status=500, seed=11)
    stub.rate_limit_some_posts(0.05, retry_after=0.2, seed=12)
    await start_bot()
    await stub.wait_for(lambda: all(digest_posts(stub, c) for c in channels), timeout=180, what="every digest")
    await workspace.wait_for_outbox()
    assert_exactly_one_digest_each(stub, channels)
    assert stub.injected_429s > 0


async def test_digest_show_reports_a_permanent_delivery_failure(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    await start_bot()
    await stub.wait_for_command_sync(timeout=20)
    setup = await stub.invoke_slash(
        "digest", subcommand="setup", options={"channel": CHANNEL_ID, "time": "07:30", "timezone": "Europe/Paris"},
        channel_id=CHANNEL_ID, user_id=MEMBER_ID, member_permissions=MANAGE_GUILD,
    )
    assert "07:30 Europe/Paris" in setup.text and "UTC" in setup.text
    stub.set_bot_overwrite(CHANNEL_ID, deny=1 << 11)  # SEND_MESSAGES revoked after setup
    now = await stub.invoke_slash("digest", subcommand="now", channel_id=CHANNEL_ID, user_id=MEMBER_ID,
                                  member_permissions=MANAGE_GUILD)
    assert now.ephemeral and "Sending" in now.text
    await workspace.wait_for_outbox(lambda counts: counts.get("failed") and not counts.get("pending"))
    shown = await stub.invoke_slash("digest", subcommand="show", channel_id=CHANNEL_ID, user_id=MEMBER_ID)
    assert "failed: missing Send Messages in #news" in shown.text, shown.text
    assert digest_posts(stub, CHANNEL_ID) == []
