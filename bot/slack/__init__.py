"""Slack: its client (`client`: a bolt app over Socket Mode on the shared runtime), its outbox transport
(`transport`, over `poster` and `failures`), rendering replies as Block Kit (`render`, `mrkdwn`, `limits`), what
the app asks for (`manifest`), typed commands (`commands`) and Socket Mode that stays up (`socket`).

This module stays light, so `briefbot` without the Slack tokens never imports slack_bolt or slack_sdk; the
core never imports this package (see bot.platforms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import UserError

if TYPE_CHECKING:
    from bot.platforms import PlatformClient
    from bot.settings import Settings


def client_for(settings: Settings) -> PlatformClient | None:
    """The Slack client when both SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set (see bot.platforms)."""
    bot_token, app_token = settings.slack_bot_token, settings.slack_app_token
    if not bot_token and not app_token:
        return None
    if not bot_token or not app_token:
        have, missing = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN") if bot_token else ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN")
        raise UserError(f"{missing} is not set: Slack needs it as well as {have} (README: Connecting to Slack).")
    from bot.slack.client import SlackClient  # slack_bolt is imported only when Slack is configured

    return SlackClient(settings)
