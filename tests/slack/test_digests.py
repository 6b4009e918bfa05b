"""/digest (the workspace's digest in a channel) and /brief (a personal one by DM)."""

from __future__ import annotations

from tests.slack.conftest import ADMIN, GENERAL, NEWS, READER, SECRET, Bot


async def test_digest_setup_joins_a_public_channel_then_show_preview_now_off(bot: Bot) -> None:
    setup = await bot.run("/digest", f"setup <#{GENERAL}|general> 07:30 Europe/Paris weekdays", user=ADMIN)
    assert "Digest set: 07:30 Europe/Paris, weekdays" in setup.text and setup.messages[0].ephemeral
    assert [call.args["channel"] for call in bot.slack.calls_to("conversations.join")] == [GENERAL]
    assert "U0BRIEFBOT" in bot.slack.world.channels[GENERAL].members
    show = await bot.run("/digest", "show")
    assert "07:30 Europe/Paris, weekdays" in show.text and show.messages[0].ephemeral
    preview = await bot.run("/digest", "preview")
    assert "Zuckerberg" in preview.text and preview.messages[0].ephemeral
    now = await bot.run("/digest", "now", user=ADMIN)
    assert "Sending the digest to" in now.text
    assert "Queued since" in (await bot.run("/digest", "show")).text  # the outbox row the worker will post
    off = await bot.run("/digest", "off", user=ADMIN)
    assert "Digest turned off" in off.text
    assert "There is no digest running" in (await bot.run("/digest", "off", user=ADMIN)).text


async def test_digest_setup_in_a_channel_the_bot_is_in_does_not_join(bot: Bot) -> None:
    setup = await bot.run("/digest", f"setup <#{NEWS}|news> 18:00 America/New_York", user=ADMIN)
    assert "Digest set: 18:00 America/New_York, daily" in setup.text
    assert bot.slack.calls_to("conversations.join") == []


async def test_digest_setup_in_a_private_channel_without_the_bot_asks_for_an_invite_and_saves_nothing(
    bot: Bot,
) -> None:
    setup = await bot.run("/digest", f"setup <#{SECRET}|secret> 07:30 Europe/Paris", user=ADMIN)
    assert "Invite @briefbot to #secret first" in setup.text and setup.messages[0].ephemeral
    assert bot.slack.calls_to("conversations.join") == []
    assert "No digest is set up yet" in (await bot.run("/digest", "show")).text


async def test_digest_setup_needs_a_channel_picked_with_a_hash(bot: Bot) -> None:
    result = await bot.run("/digest", "setup news 07:30 Europe/Paris", user=ADMIN)
    assert result.messages[0].source == "ack" and "a channel picked with #" in result.text


async def test_brief_me_without_a_zone_uses_the_slack_profile_and_says_so(bot: Bot) -> None:
    result = await bot.run("/brief", "me 07:30", user=READER)
    assert "Time zone Asia/Seoul, from your Slack profile." in result.text
    assert "Digest set: 07:30 Asia/Seoul, daily, by DM" in result.text and result.messages[0].ephemeral
    assert [call.args["user"] for call in bot.slack.calls_to("users.info")] == [READER]
    shown = await bot.run("/brief", "show", user=READER)
    assert "07:30 Asia/Seoul, daily" in shown.text
    assert "No digest is set up yet" in (await bot.run("/brief", "show", user=ADMIN)).text  # each user their own


async def test_brief_me_with_a_zone_and_days_and_without_a_time(bot: Bot) -> None:
    given = await bot.run("/brief", "me 06:15 Europe/Berlin weekdays", user=READER)
    assert "Digest set: 06:15 Europe/Berlin, weekdays" in given.text and "Slack profile" not in given.text
    assert bot.slack.calls_to("users.info") == []
    bare = await bot.run("/brief", "me", user=ADMIN)
    assert "No time given, so 07:00." in bare.text and "Time zone Europe/Paris, from your Slack profile." in bare.text
    off = await bot.run("/brief", "off", user=READER)
    assert "Digest turned off" in off.text
