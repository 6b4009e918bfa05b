"""/story follow, unfollow, following and mute; a channel follow joins a public channel or asks for an invite;
a user whose DMs were found closed is told once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.ids import qualify
from tests.slack.conftest import ADMIN, GENERAL, NEWS, READER, SECRET, Bot


# closed_dms.user_id is an INTEGER PRIMARY KEY until h-ids's migration makes ids text: a qualified Slack user
# cannot be marked closed before then. Strict, so these fail loudly (XPASS) once it lands: drop the mark then.
# (Both pass with `user_id TEXT PRIMARY KEY` in 002_digests_outbox.sql.)
async def test_a_dm_follow_is_listed_muted_and_stopped(bot: Bot) -> None:
    followed = await bot.run("/story", "follow zuckerberg")
    assert "You now follow *Zuckerberg Visits South Korea" in followed.text and followed.messages[0].ephemeral
    again = await bot.run("/story", "follow zuckerberg dm")
    assert "Already following." in again.text
    following = await bot.run("/story", "following")
    assert "by DM" in following.text and following.messages[0].ephemeral
    muted = await bot.run("/story", "mute zuckerberg 2")
    assert "Muted *Zuckerberg" in muted.text
    assert "muted until" in (await bot.run("/story", "following")).text
    assert "Mute for 1 to 168 hours." in (await bot.run("/story", "mute zuckerberg 500")).text
    stopped = await bot.run("/story", "unfollow zuckerberg")
    assert "Stopped following" in stopped.text
    assert "You follow nothing yet" in (await bot.run("/story", "following")).text
    assert "You do not follow" in (await bot.run("/story", "unfollow zuckerberg")).text


async def test_a_channel_follow_here_in_a_channel_the_bot_is_in(bot: Bot) -> None:
    result = await bot.run("/story", "follow zuckerberg here", channel=NEWS)
    assert "This channel now follows" in result.text
    assert bot.slack.calls_to("conversations.join") == []
    assert "Stopped following" in (await bot.run("/story", "unfollow zuckerberg here", channel=NEWS)).text


async def test_a_followed_channel_and_a_digest_channel_read_as_channels_not_discord_markup(bot: Bot) -> None:
    await bot.run("/story", "follow zuckerberg here", channel=NEWS)
    await bot.run("/digest", f"setup <#{GENERAL}|general> 07:30 UTC", user=ADMIN)
    following, show = (await bot.run("/story", "following")).text, (await bot.run("/digest", "show")).text
    # Slack's own channel links (shown as the channel's name), never Discord's markup, escaped or not
    assert f"in <#{NEWS}>" in following and f"<#{GENERAL}>" in show
    assert "&lt;#" not in following + show


async def test_a_channel_follow_joins_a_public_channel_first(bot: Bot) -> None:
    result = await bot.run("/story", "follow zuckerberg here", user=READER, channel=GENERAL)
    assert "This channel now follows" in result.text
    assert [call.args["channel"] for call in bot.slack.calls_to("conversations.join")] == [GENERAL]
    assert "U0BRIEFBOT" in bot.slack.world.channels[GENERAL].members


async def test_a_channel_follow_in_a_private_channel_without_the_bot_asks_for_an_invite(bot: Bot) -> None:
    result = await bot.run("/story", "follow zuckerberg here", user=ADMIN, channel=SECRET)
    assert "Invite @briefbot to that channel first" in result.text and "Nothing was saved" in result.text
    assert bot.slack.calls_to("conversations.join") == []
    assert "This channel does not follow" in (await bot.run("/story", "unfollow zuckerberg here", channel=SECRET)).text


async def test_closed_dms_are_told_once_at_the_next_command(bot: Bot) -> None:
    await bot.services.dms.mark_closed(qualify("slack", READER), datetime.now(UTC))
    first = await bot.run("/story", "following", replies=2)
    notices = [m for m in first.messages if "I couldn't DM you" in m.all_text]
    assert len(notices) == 1 and notices[0].ephemeral
    second = await bot.run("/story", "following")  # the notice goes before the answer: none came
    assert [m for m in second.messages if "I couldn't DM you" in m.all_text] == []


async def test_closed_dms_are_told_with_a_usage_error_too(bot: Bot) -> None:
    await bot.services.dms.mark_closed(qualify("slack", READER), datetime.now(UTC))
    result = await bot.run("/story", "mute zuckerberg", replies=2)
    assert sorted(m.source for m in result.messages) == ["ack", "response_url"]
    assert "I couldn't DM you" in result.text

