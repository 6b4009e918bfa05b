"""Every command is acked before any slow work; the admin check asks Slack again after a minute."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.users import TTL, SlackUsers
from tests.slack.conftest import ACK_LIMIT, ADMIN, LISTED, NEWS, READER, Bot
from tests.slackstub.server import SlackStub


async def test_an_admin_command_is_acked_while_slack_has_not_answered_users_info(bot: Bot) -> None:
    bot.slack.fail_next("users.info", "hang")
    result = await bot.slack.command("/story", "remove zuckerberg", user=ADMIN, channel=NEWS)
    assert result.ack_seconds is not None and result.ack_seconds < ACK_LIMIT
    assert result.ack_payload is None or not result.ack_payload.get("text")  # an empty ack: the answer comes later
    await bot.slack.wait_until(lambda: len(bot.slack.calls_to("users.info")) == 1, what="the users.info call")
    assert result.messages == []
    assert "Zuckerberg" in (await bot.run("/story", "show zuckerberg", user=READER)).text  # nothing removed


async def test_users_info_errors_are_a_private_try_again(bot: Bot) -> None:
    bot.slack.fail_next("users.info", "error", error="ratelimited")
    result = await bot.run("/digest", "off", user=ADMIN)
    assert "I could not ask Slack who you are just now" in result.text and result.messages[0].ephemeral


async def test_the_role_is_cached_for_at_most_a_minute(slack: SlackStub) -> None:
    now = [1000.0]
    users = SlackUsers(
        AsyncWebClient(token=slack.bot_token, base_url=slack.api_base), frozenset({LISTED}), clock=lambda: now[0]
    )
    slack.add_user(ADMIN, is_admin=True, tz="Europe/Paris")
    slack.add_user(LISTED)
    assert await users.is_admin(ADMIN)
    slack.world.users[ADMIN].is_admin = False  # demoted in Slack
    now[0] += TTL - 1
    assert await users.is_admin(ADMIN)
    now[0] += 2
    assert not await users.is_admin(ADMIN)
    assert len(slack.calls_to("users.info")) == 2
    assert await users.is_admin(LISTED) and len(slack.calls_to("users.info")) == 2  # listed: no call
    assert (await users.info(ADMIN)).tz == "Europe/Paris"
