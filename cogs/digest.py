"""/digest (a server's morning digest) and /brief (a personal one by DM). Thin over bot.digest_service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import markup
from bot.discord.checks import guild_only, require_permission
from bot.discord.ids import qualified, scope_of, user_of
from bot.discord.render import send_reply
from bot.errors import UserError
from bot.schedule_clock import search_timezones
from storage.digests import AudienceKind

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

NEEDED_IN_CHANNEL = ("view_channel", "send_messages", "embed_links")
TIME_HELP = "24-hour time, like 07:30"
DAYS_HELP = "daily, weekdays, weekends, or a list like mon,wed,fri"


async def timezone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=zone, value=zone) for zone in search_timezones(current or "Europe/", limit=25)]


def check_bot_can_post(interaction: discord.Interaction, channel_id: int) -> discord.abc.GuildChannel:
    guild = interaction.guild
    channel = guild.get_channel(channel_id) if guild else None
    if guild is None or channel is None or guild.me is None:
        raise UserError("I can't see that channel. Check that I am in this server and can view the channel.")
    permissions = channel.permissions_for(guild.me)
    missing = [name for name in NEEDED_IN_CHANNEL if not getattr(permissions, name)]
    if missing:
        names = ", ".join(n.replace("_", " ").title() for n in missing)
        where, what = markup.channel(channel.id, channel.name), markup.bold(names)
        raise UserError(markup.text("I can't post digests in ", where, ": I am missing ", what, " there."))
    return channel


class DigestCog(commands.GroupCog, group_name="digest", group_description="This server's morning digest"):
    def __init__(self, bot: BriefBot) -> None:
        self.digests = bot.services.digest_service
        super().__init__()

    @app_commands.command(name="setup", description="Create or change the server's digest (Manage Server)")
    @app_commands.describe(
        channel="Where to post", time=TIME_HELP, timezone="IANA time zone, like Europe/Paris", days=DAYS_HELP
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @app_commands.guild_only()
    async def setup_digest(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64],
        days: app_commands.Range[str, 1, 60] = "daily",
    ) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        check_bot_can_post(interaction, channel.id)
        reply = await self.digests.set_up(
            AudienceKind.GUILD,
            scope_id,
            scope_id=scope_id,
            channel_id=qualified(channel.id),
            time_text=time,
            timezone_text=timezone,
            days_text=days,
        )
        await send_reply(interaction, reply)

    @app_commands.command(name="show", description="The schedule, the next run and the last delivery")
    @app_commands.guild_only()
    async def show(self, interaction: discord.Interaction) -> None:
        await send_reply(interaction, await self.digests.show(AudienceKind.GUILD, guild_only(interaction)))

    @app_commands.command(name="preview", description="What the next digest would say (only you see it)")
    @app_commands.guild_only()
    async def preview(self, interaction: discord.Interaction) -> None:
        await send_reply(interaction, await self.digests.preview(AudienceKind.GUILD, guild_only(interaction)))

    @app_commands.command(name="now", description="Post the digest now (Manage Server)")
    @app_commands.guild_only()
    async def now(self, interaction: discord.Interaction) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        await send_reply(interaction, await self.digests.send_now(AudienceKind.GUILD, scope_id, str(interaction.id)))

    @app_commands.command(name="off", description="Stop the server's digest (Manage Server)")
    @app_commands.guild_only()
    async def off(self, interaction: discord.Interaction) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        await send_reply(interaction, await self.digests.turn_off(AudienceKind.GUILD, scope_id))


@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
class BriefCog(commands.GroupCog, group_name="brief", group_description="Your own morning digest, by DM"):
    def __init__(self, bot: BriefBot) -> None:
        self.digests = bot.services.digest_service
        super().__init__()

    @app_commands.command(name="me", description="Get a personal digest by DM at your own time")
    @app_commands.describe(time=TIME_HELP, timezone="IANA time zone, like America/New_York", days=DAYS_HELP)
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    async def me(
        self,
        interaction: discord.Interaction,
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64],
        days: app_commands.Range[str, 1, 60] = "daily",
    ) -> None:
        reply = await self.digests.set_up(
            AudienceKind.USER,
            user_of(interaction),
            scope_id=scope_of(interaction),
            channel_id=None,
            time_text=time,
            timezone_text=timezone,
            days_text=days,
        )
        await send_reply(interaction, reply)

    @app_commands.command(name="off", description="Stop your personal digest")
    async def off(self, interaction: discord.Interaction) -> None:
        await send_reply(interaction, await self.digests.turn_off(AudienceKind.USER, user_of(interaction)))

    @app_commands.command(name="show", description="Your personal digest's schedule and last delivery")
    async def show(self, interaction: discord.Interaction) -> None:
        await send_reply(interaction, await self.digests.show(AudienceKind.USER, user_of(interaction)))


async def setup(bot: BriefBot) -> None:
    """Adds /digest and /brief."""
    await bot.add_cog(DigestCog(bot))
    await bot.add_cog(BriefCog(bot))
