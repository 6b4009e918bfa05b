"""Runtime permission checks: server owners can override default_permissions, so cogs check again."""

from __future__ import annotations

import discord

from bot.discord.ids import qualified
from bot.errors import MissingPermission, UserError


def guild_only(interaction: discord.Interaction) -> str:
    """The server's id as the store keeps it ("discord:…"); a UserError in a DM."""
    if interaction.guild_id is None:
        raise UserError("This command only works in a server.")
    return qualified(interaction.guild_id)


def require_permission(interaction: discord.Interaction, permission: str) -> str:
    """Raises MissingPermission unless the member has `permission` in this channel; returns the server's id."""
    scope_id = guild_only(interaction)
    if not getattr(interaction.permissions, permission, False):
        raise MissingPermission(permission.replace("_", " ").title())
    return scope_id
