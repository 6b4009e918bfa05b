"""Discord's side of `briefbot run` and `briefbot sync`: log in, serve on top of the shared runtime, and turn
Discord's refusals into clear errors."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from bot.discord.client import BriefBot, SyncMode
from bot.discord.endpoints import apply_endpoint_overrides
from bot.errors import UserError
from bot.platforms import Platform
from bot.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)


class DiscordClient:
    """A PlatformClient: one BriefBot per run, built on the runtime it is given."""

    platform = Platform.DISCORD

    def __init__(self, settings: Settings) -> None:
        assert settings.discord_token
        self.settings = settings
        self.token = settings.discord_token
        self.bot: BriefBot | None = None

    @property
    def connected(self) -> bool:
        return self.bot is not None and self.bot.is_ready()

    async def serve(self, runtime: Runtime) -> None:
        """Runs until cancelled. A rejected token, an unreachable or failing Discord is a UserError."""
        await self._run(runtime, SyncMode.AUTO)

    async def sync_commands(self, runtime: Runtime) -> str:
        """Logs in, forces a command sync and returns its result."""
        return await self._run(runtime, SyncMode.ONLY)

    async def _run(self, runtime: Runtime, mode: SyncMode) -> str:
        try:
            apply_endpoint_overrides(self.settings.discord_api_base, self.settings.discord_gateway_url)
            async with BriefBot(runtime, sync_mode=mode) as bot:
                self.bot = bot
                await _login(bot, self.token, self.settings.discord_login_timeout)
                if mode is SyncMode.AUTO:
                    await bot.connect()  # until cancelled, or until the client is closed
                return bot.sync_result
        except discord.LoginFailure:
            raise UserError("Discord rejected DISCORD_TOKEN. Copy the bot token again into .env.") from None
        except discord.PrivilegedIntentsRequired:
            raise UserError("Discord refused the bot's intents; check the bot in the developer portal.") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise UserError(
                f"Cannot reach Discord ({type(exc).__name__}: {exc}). Check the network, then retry."
            ) from None


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
