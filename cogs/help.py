"""/help: every command in one short embed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import markup
from bot.cards import Card, Reply
from bot.discord.render import ADMIN_REQUIREMENT, send_reply
from bot.help_text import help_lines

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

HELP_FOOTER = "Stories come from the server's admins, the bot's operator and news feeds."


class HelpCog(commands.Cog):
    @app_commands.command(name="help", description="What briefbot can do, in one short list")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def help(self, interaction: discord.Interaction) -> None:
        lines = help_lines(admin=ADMIN_REQUIREMENT)
        card = Card(title="briefbot commands", description=markup.join("\n", lines), footer=HELP_FOOTER)
        await send_reply(interaction, Reply(cards=(card,), ephemeral=True))


async def setup(bot: BriefBot) -> None:
    """Adds /help."""
    await bot.add_cog(HelpCog())
