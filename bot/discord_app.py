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
from bot.discord_bot import BriefBot, Services, SyncMode
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

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopOnSignal:
    """SIGTERM or SIGINT cancels the task that starts or runs the bot: at any stage, a clean stop, not an error."""

    def __init__(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.bot: BriefBot | None = None
        self.received: str | None = None
        self.before_connecting = True
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        if self.received is not None:
            return  # already stopping: let the shutdown finish
        self.received = signal.Signals(signum).name
        self.before_connecting = self.bot is None or not self.bot.is_ready()
        log.info("received %s; shutting down", self.received)
        self.task.cancel()

    def outcome(self) -> str:
        self.task.uncancel()
        return "stopped before connecting" if self.before_connecting else "stopped"

    def remove(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)


async def run_discord(settings: Settings, *, sync_only: bool = False) -> str:
    """Runs until stopped. With sync_only, logs in, forces a command sync and returns its result.

    A rejected token, an unreachable or failing Discord is a UserError with a clear message, not a traceback."""
    stop = StopOnSignal()
    try:
        return await _run(settings, stop, sync_only=sync_only)
    except asyncio.CancelledError:
        if stop.received is None:
            raise
        outcome = stop.outcome()
        log.info("briefbot %s; database closed", outcome)
        return outcome
    except discord.LoginFailure:
        raise UserError("Discord rejected DISCORD_TOKEN. Copy the bot token again into .env.") from None
    except discord.PrivilegedIntentsRequired:
        raise UserError("Discord refused the bot's intents; check the bot in the developer portal.") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise UserError(f"Cannot reach Discord ({type(exc).__name__}: {exc}). Check the network, then retry.") from None
    finally:
        stop.remove()


async def _run(settings: Settings, stop: StopOnSignal, *, sync_only: bool) -> str:
    assert settings.discord_token
    apply_endpoint_overrides(settings.discord_api_base, settings.discord_gateway_url)
    async with Database.open(settings.database_path) as db:
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
            state=StateRepository(db),
            dms=DirectMessageRepository(db),
            story_service=story_service,
            digest_service=digests,
            follow_service=follows,
            story_admin=StoryAdminService(stories, story_service, follows),
            seed_watcher=SeedWatcher(settings.seeds_dir, stories, settings.default_timezone),
        )
        async with BriefBot(services, sync_mode=SyncMode.ONLY if sync_only else SyncMode.AUTO) as bot:
            stop.bot = bot
            await _login(bot, settings.discord_token, settings.discord_login_timeout)
            if sync_only:
                return bot.sync_result
            await bot.connect()
    log.info("briefbot stopped; database closed")
    return "stopped"


async def _login(bot: BriefBot, token: str, seconds: float) -> None:
    """Discord must answer the login within `seconds`; the bot's setup after that answer has no deadline."""
    deadline = bot.login_deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            await bot.login(token)
    except TimeoutError:
        if not deadline.expired():
            raise
        raise UserError(
            f"Discord did not answer the login within {seconds:g} s (DISCORD_LOGIN_TIMEOUT). "
            "Check DISCORD_API_BASE and the network, then retry."
        ) from None
    except discord.HTTPException as exc:
        if bot.user is not None:
            raise  # Discord did answer the login: what failed is the bot's own setup after it
        raise _login_refused(exc) from None


def _login_refused(exc: discord.HTTPException) -> UserError:
    answer = f"Discord answered {exc.status} {exc.response.reason or ''}".rstrip() + " at login"
    if exc.status == 404:
        return UserError(f"{answer}: is DISCORD_API_BASE wrong?")
    if exc.status >= 500:
        return UserError(f"{answer}; try again later.")
    return UserError(f"{answer}: {exc.text or 'no details'}")
