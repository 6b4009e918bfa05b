"""Discord's ids as the store keeps them: qualified on the way in, snowflakes on the way out (bot/ids.py).

The cogs hand the core `scope_of(interaction)`, `user_of(interaction)` and so on, never a bare snowflake; the
transport and the channel and role lookups turn the store's text back into snowflakes with `snowflake`."""

from __future__ import annotations

import discord

from bot.ids import qualify, split
from bot.platforms import Platform


def qualified(snowflake_id: int) -> str:
    """A Discord server, channel, user or role id as the store keeps it: "discord:81384788765712384"."""
    return qualify(Platform.DISCORD, snowflake_id)


def qualified_or_none(snowflake_id: int | None) -> str | None:
    return None if snowflake_id is None else qualified(snowflake_id)


def snowflake(qualified_id: str) -> int:
    """The snowflake inside a Discord id of the store; ValueError for another platform's id."""
    platform, external_id = split(qualified_id)
    if platform != Platform.DISCORD:
        raise ValueError(f"not a Discord id: {qualified_id!r}")
    return int(external_id)


def scope_of(interaction: discord.Interaction) -> str | None:
    """The server the command runs in (None in a DM): whose stories, feeds and digest it sees."""
    return qualified_or_none(interaction.guild_id)


def user_of(interaction: discord.Interaction) -> str:
    return qualified(interaction.user.id)


def channel_of(interaction: discord.Interaction) -> str | None:
    return qualified_or_none(interaction.channel_id)
