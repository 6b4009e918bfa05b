"""How a Slack handler answers: a `Reply` through `response_url`, a group's help, and story-candidate buttons.

Every message comes from `bot.slack.render.render_reply`; the only blocks added here are the row of buttons under
"more than one story fits", and `/story list`'s page buttons. A story button carries the whole command it finishes
(group, subcommand, options with the picked story) as compact JSON in its value, a page button the page it opens,
so a click works after a restart and needs no server state.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import markup
from bot.cards import Reply
from bot.command_line import ParsedCommand
from bot.limits import truncate
from bot.slack.commands import COMMANDS, HELP, specs_for
from bot.slack.limits import MAX_BLOCKS
from bot.slack.mrkdwn import plain_text
from bot.slack.render import render_reply

__all__ = [
    "MAX_RESPONSES",
    "PAGE_ACTION",
    "PICK_ACTION",
    "PagedReply",
    "candidate_message",
    "decode_page",
    "decode_pick",
    "help_lines",
    "help_reply",
    "post",
    "send_reply",
]

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]

MAX_RESPONSES = 5  # Slack takes at most 5 messages per response_url
PICK_ACTION = "briefbot_story_pick"  # action ids are PICK_ACTION:<n>: one message's action ids must differ
MAX_BUTTONS = 5  # an actions block holds up to 25; resolve suggests 3
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
_PICK_VERSION = 1
PAGE_ACTION = "briefbot_story_page"  # /story list's ‹ Previous and Next › buttons: PAGE_ACTION:prev|next


@dataclass(frozen=True, slots=True)
class PagedReply(Reply):
    """A reply that is one page of several (`/story list`): it is posted with buttons to the pages around it."""

    page: int = 1
    pages: int = 1


def _page_buttons(reply: PagedReply) -> dict[str, Any] | None:
    """The row of page buttons, or None for a single page. A button's value is just the page it opens."""
    buttons = [
        {"type": "button", "action_id": f"{PAGE_ACTION}:{name}", "value": json.dumps({"v": 1, "p": page}),
         "text": {"type": "plain_text", "text": label, "emoji": False}}
        for name, label, page in (("prev", "‹ Previous", reply.page - 1), ("next", "Next ›", reply.page + 1))
        if 1 <= page <= reply.pages
    ]
    return {"type": "actions", "elements": buttons} if buttons else None


def decode_page(value: str) -> int | None:
    """The page a page button opens, or None for a value this app did not make."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    page = data.get("p") if isinstance(data, dict) and data.get("v") == 1 else None
    return page if isinstance(page, int) and not isinstance(page, bool) and page >= 1 else None
_KNOWN_OPTIONS = {c.spec.path: c.spec.param_names | {"channel_name"} for c in COMMANDS}


async def send_reply(respond: Respond, reply: Reply, *, replace_original: bool = False) -> None:
    """The reply as Block Kit messages: ephemeral when the reply is, else in the channel (as Discord shows it).

    `replace_original`: the reply takes the place of the message whose button was clicked (a page turned)."""
    messages = render_reply(reply)
    if len(messages) > MAX_RESPONSES:  # render splits at 50 blocks; no reply today comes near 250
        log.warning("a reply of %d messages was cut to %d (response_url's limit)", len(messages), MAX_RESPONSES)
        messages = messages[:MAX_RESPONSES]
    buttons = _page_buttons(reply) if isinstance(reply, PagedReply) else None
    if buttons is not None and len(messages[-1]["blocks"]) < MAX_BLOCKS:
        messages[-1] = {**messages[-1], "blocks": [*messages[-1]["blocks"], buttons]}
    for message in messages:
        await post(respond, message, ephemeral=reply.ephemeral, replace_original=replace_original)


async def post(
    respond: Respond, message: Mapping[str, Any], *, ephemeral: bool, replace_original: bool = False
) -> None:
    extra = {"replace_original": True} if replace_original else {}
    answer = await respond(
        text=message["text"],
        blocks=message["blocks"],
        response_type="ephemeral" if ephemeral else "in_channel",
        unfurl_links=False,
        unfurl_media=False,
        **extra,
    )
    status = getattr(answer, "status_code", 200)
    if status != 200:
        log.warning("Slack refused a response_url message: HTTP %s %s", status, getattr(answer, "body", ""))


NAMING_NOTE = markup.text('Name a story by its slug or a word of its title; "double quotes" group words.')
ADMINS_NOTE = markup.text("(admins): a workspace admin or owner, or a user listed in SLACK_ADMIN_USERS.")


def help_lines(group: str) -> list[markup.Markup]:
    """One line per command of the group, in the table's order: its usage and what it does."""
    return [markup.text(markup.code(c.usage), f": {c.summary}", " (admins)" if c.admin else "")
            for c in specs_for(group)]


def help_reply(group: str, unknown: str | None = None) -> Reply:
    """The group's commands, in the table's order; `unknown`: the word that was not one of them."""
    lines = [*help_lines(group), NAMING_NOTE]
    if any(c.admin for c in specs_for(group)):
        lines.append(ADMINS_NOTE)
    lead = markup.text(markup.code(unknown), f" is not a /{group} command. ") if unknown else ""
    heading = markup.text(lead, markup.bold(f"/{group}"), " commands:\n")
    return Reply(text=markup.text(heading, markup.join("\n", lines)), ephemeral=True)


def _pick_value(parsed: ParsedCommand, slug: str) -> str:
    options = {**parsed.options, "story": slug}
    return json.dumps({"v": _PICK_VERSION, "g": parsed.group, "s": parsed.sub, "o": options}, separators=(",", ":"))


def candidate_message(parsed: ParsedCommand, typed: str, slugs: Sequence[str]) -> dict[str, Any] | None:
    """An ephemeral message asking which story was meant, one button per slug; None when a button's value would
    pass Slack's 2,000 characters (a long `/story update`): the caller then shows the plain "did you mean"."""
    slugs = list(dict.fromkeys(slugs))[:MAX_BUTTONS]
    values = [_pick_value(parsed, slug) for slug in slugs]
    if not slugs or any(len(value) > MAX_BUTTON_VALUE for value in values):
        return None
    reply = Reply(
        text=f"More than one story fits `{truncate(typed, 80)}`. Pick one to finish `/{parsed.group} {parsed.sub}`:",
        ephemeral=True,
    )
    [message] = render_reply(reply)
    buttons = [
        {
            "type": "button",
            "action_id": f"{PICK_ACTION}:{index}",
            "text": {"type": "plain_text", "text": truncate(plain_text(slug), MAX_BUTTON_TEXT), "emoji": False},
            "value": value,
        }
        for index, (slug, value) in enumerate(zip(slugs, values, strict=True))
    ]
    return {**message, "blocks": [*message["blocks"], {"type": "actions", "elements": buttons}]}


def decode_pick(value: str) -> ParsedCommand | None:
    """The command a candidate button finishes, or None for a value this app did not make."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != _PICK_VERSION:
        return None
    group, sub, options = data.get("g"), data.get("s"), data.get("o")
    known = _KNOWN_OPTIONS.get((group, sub)) if isinstance(group, str) and isinstance(sub, str) else None
    if known is None or sub == HELP or not isinstance(options, dict) or "story" not in options:
        return None
    if not all(isinstance(k, str) and k in known and isinstance(v, str) for k, v in options.items()):
        return None
    return ParsedCommand(group, sub, dict(options))
