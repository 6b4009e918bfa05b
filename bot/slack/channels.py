"""Before saving something that posts in a channel (a digest, a channel follow): make sure the bot can post there.

Slack only lets a member post. A public channel the bot is not in is joined (`conversations.join`); a private
one cannot be joined by the bot, and `conversations.info` does not even see it until someone invites the bot,
so the answer is "invite @briefbot to #name first" and nothing is saved.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserError
from bot.slack.failures import api_error

__all__ = ["ensure_can_post"]

log = logging.getLogger(__name__)

BOT_NAME = "@briefbot"
_NOT_VISIBLE = frozenset({"channel_not_found", "method_not_supported_for_channel_type", "not_in_channel"})


def _invite(name: str) -> UserError:
    return UserError(
        f"Invite {BOT_NAME} to {name} first (type `/invite {BOT_NAME}` there), then run the command again. "
        "Nothing was saved."
    )


async def ensure_can_post(client: AsyncWebClient, channel_id: str, name: str | None = None) -> None:
    """Joins `channel_id` if it is public and the bot is not in it; UserError (nothing saved) if it cannot post."""
    shown = f"#{name}" if name else "that channel"
    try:
        channel = (await client.conversations_info(channel=channel_id))["channel"]
    except SlackApiError as exc:
        if api_error(exc) in _NOT_VISIBLE:
            raise _invite(shown) from None
        raise
    shown = f"#{channel['name']}" if channel.get("name") else shown
    if channel.get("is_im") or channel.get("is_mpim"):
        raise UserError("Pick a channel: direct messages cannot take a digest or a channel follow.")
    if channel.get("is_archived"):
        raise UserError(f"{shown} is archived, so nothing can be posted there. Pick another channel.")
    if channel.get("is_member"):
        return
    if channel.get("is_private"):
        raise _invite(shown)
    try:
        await client.conversations_join(channel=channel_id)
    except SlackApiError as exc:
        if api_error(exc) in _NOT_VISIBLE:
            raise _invite(shown) from None
        raise
    log.info("joined Slack channel %s to post there", channel_id)
