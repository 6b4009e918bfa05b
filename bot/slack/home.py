"""The App Home tab: what one user follows, their /brief, the workspace's digest, and the commands.

Published with `views.publish` whenever the user opens the tab (`app_home_opened` with `tab: home`). Every part
is a core service's reply rendered by `bot.slack.render` exactly as a command's answer is, so story titles are
escaped and never ping. A Home view holds at most 100 blocks: each part has its own budget, and a part cut short
ends with the command that shows all of it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import markup
from bot.cards import Reply
from bot.errors import UserError
from bot.limits import truncate
from bot.runtime import Services
from bot.slack.calls import Invocation
from bot.slack.commands import COMMANDS
from bot.slack.failures import api_error
from bot.slack.limits import MAX_HEADER_TEXT
from bot.slack.mrkdwn import plain_text
from bot.slack.render import render_reply
from bot.slack.replies import ADMINS_NOTE, NAMING_NOTE, help_lines
from storage.digests import AudienceKind

__all__ = ["MAX_HOME_BLOCKS", "HomeTab", "register"]

log = logging.getLogger(__name__)

Block = dict[str, Any]
MAX_HOME_BLOCKS = 100  # Block Kit's limit for a Home view (a message's is 50)
HOME_TAB = "home"  # app_home_opened also fires for the Messages tab, which needs nothing
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(command.spec.path[0] for command in COMMANDS))


@dataclass(frozen=True, slots=True)
class Part:
    """One heading of the Home tab: its reply, how many blocks it may take, and what shows it whole."""

    title: str
    reply: Reply
    budget: int
    more: str


# Budgets: each part's own blocks, its "More:" line included; with the view's header and each part's header and
# divider that is at most 1 + 4 * 2 + 40 + 12 + 12 + 16 = 89 blocks, under MAX_HOME_BLOCKS whatever the replies hold.
FOLLOWING_BUDGET = 40
BRIEF_BUDGET = 12
DIGEST_BUDGET = 12
COMMANDS_BUDGET = 16


async def _answer(call: Awaitable[Reply]) -> Reply:
    """A core reply, or its UserError as text ("No digest is set up yet."): the Home tab shows either."""
    try:
        return await call
    except UserError as exc:
        return Reply(text=exc.markup)


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(plain_text(text), MAX_HEADER_TEXT)}}


def _part_blocks(part: Part) -> list[Block]:
    blocks = [block for message in render_reply(part.reply) for block in message["blocks"]]
    if len(blocks) > part.budget:
        blocks = blocks[: part.budget - 1]
        while blocks and blocks[-1]["type"] == "divider":
            blocks.pop()
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"More: `{part.more}`"}]})
    return [_header(part.title), *blocks]


def home_blocks(parts: list[Part]) -> list[Block]:
    """The view's blocks: a title, then each part under its header, parts divided; at most MAX_HOME_BLOCKS."""
    blocks: list[Block] = [_header("briefbot")]
    for part in parts:
        if len(blocks) > 1:
            blocks.append({"type": "divider"})
        blocks.extend(_part_blocks(part))
    if len(blocks) > MAX_HOME_BLOCKS:  # the budgets rule this out; never publish a view Slack would refuse
        raise ValueError(f"a Home view of {len(blocks)} blocks (limit {MAX_HOME_BLOCKS})")
    return blocks


class HomeTab:
    """Builds and publishes one user's Home view from the core services."""

    def __init__(self, services: Services, client: AsyncWebClient) -> None:
        self.services = services
        self.client = client

    async def parts(self, team_id: str, user_id: str) -> list[Part]:
        who = Invocation(team_id=team_id, user_id=user_id, channel_id="", request_id="")  # for its qualified ids
        scope, user = who.scope, who.user
        digests = self.services.digest_service
        lines = [line for group in GROUPS for line in help_lines(group)]
        commands = Reply(text=markup.join("\n", [*lines, NAMING_NOTE, ADMINS_NOTE]))
        return [
            Part("Stories you follow", await _answer(self.services.follow_service.following(user, scope)),
                 FOLLOWING_BUDGET, "/story following"),
            Part("Your /brief", await _answer(digests.show(AudienceKind.USER, user)), BRIEF_BUDGET, "/brief show"),
            Part("This workspace's digest", await _answer(digests.show(AudienceKind.GUILD, scope)), DIGEST_BUDGET,
                 "/digest show"),
            Part("Commands", commands, COMMANDS_BUDGET, "/story help"),
        ]

    async def view(self, team_id: str, user_id: str) -> dict[str, Any]:
        return {"type": "home", "blocks": home_blocks(await self.parts(team_id, user_id))}

    async def publish(self, team_id: str, user_id: str) -> None:
        """Publishes the user's Home view; a failure is logged (the tab keeps its last view) and not raised."""
        try:
            await self.client.views_publish(user_id=user_id, view=await self.view(team_id, user_id))
        except SlackApiError as exc:
            log.warning("views.publish for %s failed: %s", user_id, api_error(exc) or exc.response.status_code)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("views.publish for %s failed: %s", user_id, type(exc).__name__)


def register(app: AsyncApp, services: Services) -> None:
    """Publishes a user's Home view each time they open the app's Home tab."""
    home = HomeTab(services, app.client)

    async def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") != HOME_TAB:
            return
        team_id = str(body.get("team_id") or event.get("view", {}).get("team_id") or "")
        await home.publish(team_id, str(event["user"]))

    app.event("app_home_opened")(on_home_opened)
