"""Slack's slash commands and buttons: the twins of the Discord cogs, over the same core services.

`register(app, services, settings)` adds /story, /digest, /brief, /feed and the story-candidate buttons to a
slack-bolt AsyncApp. Each command:

1. is acknowledged at once (Slack wants it within 3 s): with the answer itself when it needs no I/O (help, a
   usage error), else empty;
2. checks permissions: an admin command (`admin=True` in bot.slack.commands) needs a workspace admin or owner
   (`users.info`) or a user in SLACK_ADMIN_USERS, on every call;
3. calls one core function (bot.slack.calls) and answers through `response_url`, rendered by
   `bot.slack.render.render_reply`: ephemeral for errors and private answers, in the channel where Discord's
   reply is public.

A story name that fits several stories answers with a button per candidate; a click finishes the command. At
any command, a user whose DMs were found closed is told so, once. Opening the app's Home tab publishes that
user's Home view (bot.slack.home).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import markup
from bot.cards import Reply
from bot.command_line import ParsedCommand, UsageError
from bot.errors import UnknownStory, UserError
from bot.runtime import Services
from bot.settings import Settings
from bot.slack import home
from bot.slack.calls import Call, Invocation, SlackCalls
from bot.slack.commands import COMMANDS, HELP, SlackCommand, parse_command
from bot.slack.manifest import SLASH_COMMANDS
from bot.slack.render import render_reply
from bot.slack.replies import (
    PAGE_ACTION,
    PICK_ACTION,
    candidate_message,
    decode_page,
    decode_pick,
    help_reply,
    post,
    send_reply,
)
from bot.slack.users import ADMIN_RULE, SlackUsers

__all__ = ["CLOSED_DMS_NOTICE", "UNEXPECTED", "SlackCommands", "register"]

log = logging.getLogger(__name__)

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]

UNEXPECTED = "Something went wrong on our side; it has been logged. Please try again later."
CLOSED_DMS_NOTICE = (
    "I couldn't DM you, so your DM alerts and digests are paused. Allow messages from briefbot (its Messages tab "
    "in Slack), then run `/brief me` or `/story follow` again."
)
_PICK = re.compile(rf"^{PICK_ACTION}:\d+$")
_PAGE = re.compile(rf"^{PAGE_ACTION}:(?:prev|next)$")
_TABLE: dict[tuple[str, str], SlackCommand] = {(c.spec.path[0], c.spec.path[1]): c for c in COMMANDS}


class SlackCommands:
    """Dispatch, permission checks and answers for every command; usable without bolt (the bench calls it)."""

    def __init__(self, services: Services, settings: Settings, client: AsyncWebClient) -> None:
        self.services = services
        self.users = SlackUsers(client, settings.slack_admin_users)
        self.slack_calls = SlackCalls(services, client, self.users)
        self.calls: dict[tuple[str, str], Call] = self.slack_calls.table()

    async def on_command(self, ack: Ack, command: Mapping[str, Any], respond: Respond) -> None:
        """A slash command: ack within Slack's 3 s, then answer through respond."""
        who = Invocation(
            team_id=str(command["team_id"]),
            user_id=str(command["user_id"]),
            channel_id=str(command["channel_id"]),
            request_id=str(command.get("trigger_id") or ""),
        )
        try:
            parsed = parse_command(str(command["command"]), str(command.get("text") or ""))
        except UsageError as exc:  # nothing to look up: the answer is the ack
            await self._ack_with(ack, Reply(text=exc.markup, ephemeral=True))
            await self._closed_dms_notice(who, respond)
            return
        if parsed.sub == HELP:
            await self._ack_with(ack, help_reply(parsed.group, parsed.get("unknown")))
            await self._closed_dms_notice(who, respond)
            return
        await ack()
        await self._closed_dms_notice(who, respond)
        await self.run(who, parsed, respond)

    async def on_pick(self, ack: Ack, body: Mapping[str, Any], respond: Respond) -> None:
        """A story-candidate button: finish the command it carries, as the user who clicked."""
        await ack()
        action = (body.get("actions") or [{}])[0]
        who = _clicked_by(body)
        await self._closed_dms_notice(who, respond)
        parsed = decode_pick(str(action.get("value") or ""))
        if parsed is None:
            log.warning("a story button with a value this app did not make: %.100r", action.get("value"))
            await send_reply(respond, Reply(text="That button no longer works; run the command again.", ephemeral=True))
            return
        await self.run(who, parsed, respond)

    async def on_page(self, ack: Ack, body: Mapping[str, Any], respond: Respond) -> None:
        """`/story list`'s page buttons: the page replaces the message the button was under."""
        await ack()
        who = _clicked_by(body)
        page = decode_page(str(((body.get("actions") or [{}])[0]).get("value") or ""))
        if page is None:
            await send_reply(respond, Reply(text="That button no longer works; run the command again.", ephemeral=True))
            return
        try:
            reply: Reply = await self.slack_calls.story_page(who, page, clamp=True)
        except Exception:
            log.exception("unexpected error turning a /story list page")
            await send_reply(respond, Reply(text=UNEXPECTED, ephemeral=True))
            return
        await send_reply(respond, reply, replace_original=True)

    async def run(self, who: Invocation, parsed: ParsedCommand, respond: Respond) -> None:
        """Permission check, one core call, the answer; every error is an ephemeral reply."""
        try:
            reply = await self.answer(who, parsed)
        except UnknownStory as exc:
            message = candidate_message(parsed, exc.text, exc.suggestions) if "story" in parsed.options else None
            if message is None:
                await send_reply(respond, Reply(text=exc.markup, ephemeral=True))
            else:
                await post(respond, message, ephemeral=True)
            return
        except UserError as exc:
            reply = Reply(text=exc.markup, ephemeral=True)
        except Exception:
            log.exception("unexpected error in /%s %s", parsed.group, parsed.sub)
            reply = Reply(text=UNEXPECTED, ephemeral=True)
        await send_reply(respond, reply)

    async def answer(self, who: Invocation, parsed: ParsedCommand) -> Reply:
        command = _TABLE[(parsed.group, parsed.sub)]
        if command.admin and not await self.users.is_admin(who.user_id):
            command_name = markup.code(f"/{parsed.group} {parsed.sub}")
            raise UserError(markup.text(f"Only {ADMIN_RULE} may use ", command_name, "."))
        return await self.calls[(parsed.group, parsed.sub)](who, parsed.options)

    @staticmethod
    async def _ack_with(ack: Ack, reply: Reply) -> None:
        [message] = render_reply(reply)[:1]
        await ack(text=message["text"], blocks=message["blocks"], response_type="ephemeral")

    async def _closed_dms_notice(self, who: Invocation, respond: Respond) -> None:
        """Tell a user once, at their next command, that their DMs were found closed. Sent before the answer, so
        once the answer is there the notice is too (or never comes)."""
        try:
            if await self.services.dms.take_closed_notice(who.user):
                await send_reply(respond, Reply(text=CLOSED_DMS_NOTICE, ephemeral=True))
        except Exception:  # the command goes on; the note waits for the next one
            log.exception("could not tell %s that their DMs are closed", who.user)


def _clicked_by(body: Mapping[str, Any]) -> Invocation:
    """Who clicked a button, where: a block action's user, team and channel."""
    action = (body.get("actions") or [{}])[0]
    return Invocation(
        team_id=str((body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", "")),
        user_id=str(body["user"]["id"]),
        channel_id=str((body.get("channel") or {}).get("id", "")),
        request_id=str(body.get("trigger_id") or action.get("action_ts") or ""),
    )


def register(app: AsyncApp, services: Services, settings: Settings) -> None:
    """Adds /story, /digest, /brief, /feed, the story-candidate buttons and the App Home tab to `app`."""
    commands = SlackCommands(services, settings, app.client)

    async def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        await commands.on_command(ack, command, respond)

    async def on_pick(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        await commands.on_pick(ack, body, respond)

    async def on_page(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        await commands.on_page(ack, body, respond)

    for name in SLASH_COMMANDS:
        app.command(name)(on_command)
    app.action(_PICK)(on_pick)
    app.action(_PAGE)(on_page)
    home.register(app, services)
