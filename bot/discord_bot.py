"""The Discord process: a commands.Bot built with its resources injected; cogs load from cogs/."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import discord
from discord.ext import commands

from bot import jobs
from bot.delivery import OutboxWorker
from bot.digest_service import DigestService
from bot.discord_command_sync import sync_commands
from bot.discord_transport import DiscordTransport
from bot.discord_tree import BriefTree
from bot.follow_service import FollowService
from bot.importer import SeedWatcher
from bot.settings import Settings
from bot.story_admin import StoryAdminService
from bot.story_service import StoryService
from storage.direct_messages import DirectMessageRepository
from storage.state import StateRepository

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


@dataclass(frozen=True, slots=True)
class Services:
    """The core the cogs call; built once in main() and injected."""

    settings: Settings
    state: StateRepository
    dms: DirectMessageRepository
    story_service: StoryService
    digest_service: DigestService
    follow_service: FollowService
    story_admin: StoryAdminService
    seed_watcher: SeedWatcher


def without_voice() -> None:
    """The bot uses no voice: discord.py's "PyNaCl/davey is not installed" warnings at every start are noise."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class BriefBot(commands.Bot):
    def __init__(self, services: Services, *, sync_mode: SyncMode = SyncMode.AUTO) -> None:
        without_voice()  # before Client.__init__, which warns
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            tree_cls=BriefTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.services = services
        self.sync_mode = sync_mode
        self.sync_result = ""
        # Set by the runner while logging in; lifted once Discord has answered (loading cogs and syncing are not timed).
        self.login_deadline: asyncio.Timeout | None = None
        self.scheduler = jobs.build_scheduler()
        self.delivery = OutboxWorker(
            services.digest_service.outbox,
            services.dms,
            DiscordTransport(self, services.dms, services.follow_service.follows),
            rate_per_second=services.settings.outbox_rate,
        )
        services.digest_service.wake_delivery = self.delivery.wake
        services.follow_service.wake_delivery = self.delivery.wake
        services.follow_service.wake_alerts = self.wake_alerts

    async def setup_hook(self) -> None:
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
        self.delivery.start()
        self.scheduler.add_job(self.catch_up, id="catch-up", name="catch-up at start")  # no trigger: once, now
        self.scheduler.start()

    def periodic_jobs(self) -> tuple[jobs.PeriodicJob, ...]:
        """In catch-up order: files dropped while the bot was down, ended mutes, pending alerts, due digests."""
        services, settings = self.services, self.services.settings
        return (
            jobs.PeriodicJob("seeds check", services.seed_watcher.check, settings.seeds_check_seconds),
            jobs.PeriodicJob("mutes release", services.follow_service.release_mutes, settings.mutes_check_seconds),
            jobs.PeriodicJob(jobs.ALERT_POLL, services.follow_service.process_alerts, settings.alert_poll_seconds),
            jobs.PeriodicJob("digest tick", services.digest_service.process_due, settings.digest_tick_seconds),
            jobs.PeriodicJob(
                "digest liveness", services.digest_service.check_liveness, settings.digest_tick_seconds, at_start=False
            ),
        )

    async def catch_up(self) -> None:
        """Runs each job once at start, then schedules them all: no periodic run overlaps the catch-up."""
        periodic = self.periodic_jobs()
        await jobs.catch_up(periodic)
        for job in periodic:
            jobs.schedule(self.scheduler, job)
        log.info("caught up at start; then %s", ", ".join(f"{job.name} every {job.seconds:g}s" for job in periodic))

    def wake_alerts(self) -> None:
        """A development was added in this process: fan it out now instead of at the next poll."""
        job = self.scheduler.get_job(jobs.ALERT_POLL)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    async def on_app_command_completion(self, interaction: discord.Interaction, command: object) -> None:
        """Tell a user once, after their next command, that their DMs were found closed."""
        if await self.services.dms.take_closed_notice(interaction.user.id):
            await interaction.followup.send(
                "I couldn't DM you, so your DM alerts and digests are paused. Allow DMs from this server's members, "
                "then run `/brief me` or `/story follow` again.",
                ephemeral=True,
            )

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.delivery.stop()
        await super().close()
