"""`briefbot run` with a token: build the resources once, run the bot, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import aiohttp
import discord

from bot.audience import AudienceZones
from bot.digest_service import DigestService
from bot.discord_bot import BriefBot, Services
from bot.discord_endpoints import apply_endpoint_overrides
from bot.errors import UserError
from bot.follow_service import FollowService
from bot.importer import SeedWatcher, import_seed_folder
from bot.settings import Settings
from bot.story_admin import StoryAdminService
from bot.story_service import StoryService
from storage.database import Database
from storage.digests import DigestRepository
from storage.direct_messages import DirectMessageRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxRepository
from storage.state import StateRepository
from storage.stories import StoryRepository

log = logging.getLogger(__name__)

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)


async def run_discord(settings: Settings, *, sync_only: bool = False) -> str:
    """Runs until stopped. With sync_only, logs in, forces a command sync and returns its result.

    A rejected token or an unreachable Discord is a UserError with a clear message, not a traceback."""
    try:
        return await _run(settings, sync_only=sync_only)
    except discord.LoginFailure:
        raise UserError("Discord rejected DISCORD_TOKEN. Copy the bot token again into .env.") from None
    except discord.PrivilegedIntentsRequired:
        raise UserError("Discord refused the bot's intents; check the bot in the developer portal.") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise UserError(f"Cannot reach Discord ({type(exc).__name__}: {exc}). Check the network, then retry.") from None


async def _run(settings: Settings, *, sync_only: bool) -> str:
    assert settings.discord_token
    apply_endpoint_overrides(settings.discord_api_base, settings.discord_gateway_url)
    async with Database.open(settings.database_path) as db, aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as http:
        stories = StoryRepository(db)
        await import_seed_folder(settings.seeds_dir, stories, settings.default_timezone)
        schedules = DigestRepository(db)
        zones = AudienceZones(schedules, settings.default_timezone)  # dates shown in each audience's zone
        story_service = StoryService(stories, zones)
        follows = FollowService(
            FollowRepository(db), stories, story_service, burst_window=settings.alert_burst_window, zones=zones
        )
        digests = DigestService(
            schedules, stories, OutboxRepository(db), settings.digest_grace, held_for_user=follows.held_cards
        )
        services = Services(
            settings=settings,
            db=db,
            http=http,
            stories=stories,
            state=StateRepository(db),
            dms=DirectMessageRepository(db),
            story_service=story_service,
            digest_service=digests,
            follow_service=follows,
            story_admin=StoryAdminService(stories, story_service, follows),
            seed_watcher=SeedWatcher(settings.seeds_dir, stories, settings.default_timezone),
        )
        async with BriefBot(services, sync_mode="only" if sync_only else "auto") as bot:
            if sync_only:
                await bot.login(settings.discord_token)
                return bot.sync_result
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, lambda s=signum: _stop(bot, s))
            await bot.start(settings.discord_token)
    log.info("briefbot stopped; database closed")
    return "stopped"


def _stop(bot: BriefBot, signum: int) -> None:
    log.info("received %s; shutting down", signal.Signals(signum).name)
    asyncio.get_running_loop().create_task(bot.close())
