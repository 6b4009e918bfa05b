"""Discord's thin client: a commands.Bot on top of the runtime. It builds its tree, loads cogs/, syncs commands,
and registers its transport with the runtime."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import pkgutil
from enum import StrEnum

import discord
from discord.ext import commands

from bot.discord.command_sync import sync_commands
from bot.discord.ids import qualified
from bot.discord.transport import DiscordTransport
from bot.discord.tree import BriefTree
from bot.platforms import Platform
from bot.runtime import Runtime

log = logging.getLogger(__name__)

COGS_PACKAGE = "cogs"

BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    read_message_history=True,
)


class SyncMode(StrEnum):
    AUTO = "auto"  # `briefbot run`: sync when the command tree changed (or to DEV_GUILD_ID), then run
    ONLY = "only"  # `briefbot sync`: force a sync, then stop


def bot_intents() -> discord.Intents:
    """Only GUILDS: enough for channels, threads and permissions. No privileged intents."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


def extension_names() -> list[str]:
    """The modules of the cogs/ package, found on disk (the core never imports cogs itself), `_private` skipped."""
    spec = importlib.util.find_spec(COGS_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    return [f"{COGS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(folders) if not m.name.startswith("_")]


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=BOT_PERMISSIONS, scopes=("bot", "applications.commands"))


def without_voice() -> None:
    """The bot uses no voice: discord.py's "PyNaCl/davey is not installed" warnings at every start are noise."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class BriefBot(commands.Bot):
    def __init__(self, runtime: Runtime, *, sync_mode: SyncMode = SyncMode.AUTO) -> None:
        without_voice()  # before Client.__init__, which warns
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            tree_cls=BriefTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.runtime = runtime
        self.services = runtime.services  # what the cogs call
        self.sync_mode = sync_mode
        self.sync_result = ""
        # Set by the runner while logging in; lifted once Discord has answered (loading cogs and syncing are not timed).
        self.login_deadline: asyncio.Timeout | None = None

    async def setup_hook(self) -> None:
        """Once per process, after the login (never in on_ready, which fires again after every reconnect)."""
        if self.login_deadline is not None:
            self.login_deadline.reschedule(None)
        for name in extension_names():
            await self.load_extension(name)
        log.info("loaded extensions: %s", ", ".join(extension_names()))
        if self.application_id:
            log.info("invite briefbot with: %s", invite_url(self.application_id))
        self.sync_result = await sync_commands(
            self.tree,
            self.services.state,
            self.services.settings.dev_guild_id,
            force=self.sync_mode is SyncMode.ONLY,
        )
        log.info("%s", self.sync_result)
        if self.sync_mode is SyncMode.ONLY:
            return
        transport = DiscordTransport(self, self.services.dms, self.services.follow_service.follows)
        self.runtime.add_transport(Platform.DISCORD, transport, rate_per_second=self.services.settings.outbox_rate)
        self.runtime.start()

    async def on_app_command_completion(self, interaction: discord.Interaction, command: object) -> None:
        """Tell a user once, after their next command, that their DMs were found closed."""
        if await self.services.dms.take_closed_notice(qualified(interaction.user.id)):
            await interaction.followup.send(
                "I couldn't DM you, so your DM alerts and digests are paused. Allow DMs from this server's members, "
                "then run `/brief me` or `/story follow` again.",
                ephemeral=True,
            )

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))

    async def close(self) -> None:
        await self.runtime.remove_transport(Platform.DISCORD)  # its sends in flight finish while the client is up
        await super().close()
