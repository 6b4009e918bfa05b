"""The command tree: every slash-command error is turned into one short ephemeral reply here."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot import markup
from bot.discord.render import send_error
from bot.errors import UserError
from bot.markup import Content

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side; it has been logged. Please try again later."


def describe_error(error: app_commands.AppCommandError) -> Content | None:
    """The user-facing text for an expected error, or None when it is unexpected."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        return original.markup
    if isinstance(original, app_commands.MissingPermissions):
        names = ", ".join(p.replace("_", " ").title() for p in original.missing_permissions)
        return markup.text("You need the ", markup.bold(names), " permission to use this command.")
    if isinstance(original, app_commands.BotMissingPermissions):
        names = ", ".join(p.replace("_", " ").title() for p in original.missing_permissions)
        return markup.text("I need the ", markup.bold(names), " permission here to do that.")
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {original.retry_after:.0f} s."
    if isinstance(original, app_commands.TransformerError):
        return markup.text(markup.code(str(original.value)[:80]), " is not a valid value for this option.")
    if isinstance(original, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(original, app_commands.CommandNotFound):
        return "That command no longer exists; Discord may still be updating its command list."
    return None


class BriefTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        message = describe_error(error)
        if message is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("unexpected error in /%s", command, exc_info=error)
            message = UNEXPECTED
        try:
            await send_error(interaction, message)
        except discord.HTTPException:
            log.warning("could not deliver the error reply for interaction %s", interaction.id, exc_info=True)
