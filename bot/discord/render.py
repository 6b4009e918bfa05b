"""Reply -> Discord messages. Every message passes Discord's limits and mentions nobody unless asked.

Cards hold neutral markup; Discord is sent its Markdown (`bot.markdown`): plain text escaped, links as
`[label](<url>)` for http(s) only, role pings as `<@&id>` (sent with mentions allowed only where a follow asked
for its ping). The parts were split by `bot.limits`, which measures that same Markdown.
"""

from __future__ import annotations

import discord

from bot.cards import Card, Reply
from bot.limits import MessagePart, check_message, paginate
from bot.markdown import to_markdown
from bot.markup import Content

# How an admin-only command is named in a Discord reply.
ADMIN_REQUIREMENT = "Manage Server"


def to_embed(card: Card) -> discord.Embed:
    embed = discord.Embed(
        title=to_markdown(card.title) or None,
        description=to_markdown(card.description) or None,
        url=card.url or None,
        timestamp=card.timestamp,
        colour=discord.Colour.blurple(),
    )
    for field in card.fields:
        embed.add_field(name=to_markdown(field.name), value=to_markdown(field.value), inline=field.inline)
    if card.footer:
        embed.set_footer(text=card.footer)  # footers show no Markdown, so they are sent as they are
    return embed


def message_parts(reply: Reply) -> list[MessagePart]:
    parts = paginate(reply)
    for part in parts:
        check_message(part)
    return parts


def part_kwargs(part: MessagePart) -> dict[str, object]:
    return {
        "content": to_markdown(part.content) or None,
        "embeds": [to_embed(card) for card in part.cards],
        "allowed_mentions": discord.AllowedMentions.none(),
    }


async def send_reply(interaction: discord.Interaction, reply: Reply, *, ephemeral: bool | None = None) -> None:
    """Answers the interaction (or follows up if already answered), one message per part."""
    hidden = reply.ephemeral if ephemeral is None else ephemeral
    for part in message_parts(reply):
        kwargs = part_kwargs(part)
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=hidden, **kwargs)  # type: ignore[arg-type]
        else:
            await interaction.response.send_message(ephemeral=hidden, **kwargs)  # type: ignore[arg-type]


async def send_error(interaction: discord.Interaction, message: Content) -> None:
    await send_reply(interaction, Reply(text=message, ephemeral=True))
