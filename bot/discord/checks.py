"""Runtime permission checks: server owners can override default_permissions, so cogs check again."""

from __future__ import annotations

import discord

from bot.errors import MissingPermission, UserError


def guild_only(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserError("This command only works in a server.")
    return interaction.guild_id


def require_permission(interaction: discord.Interaction, permission: str) -> int:
    """Raises MissingPermission unless the member has `permission` in this channel; returns the guild id."""
    guild_id = guild_only(interaction)
    if not getattr(interaction.permissions, permission, False):
        raise MissingPermission(permission.replace("_", " ").title())
    return guild_id
