"""Discord: its client (a commands.Bot on the shared runtime), its outbox transport, rendering, the command tree and
its checks, and the command sync. cogs/ hold its commands.

Inside this package `import discord` is the discord.py library: the package itself is only ever `bot.discord`.
This module stays light, so `briefbot` without DISCORD_TOKEN never imports discord.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if __name__ == "discord":
    # bot/ itself is on sys.path (a file in bot/ run as a script), so this package hides discord.py.
    raise ImportError(
        "bot/discord was imported as the discord.py library because bot/ is on sys.path; "
        "run `briefbot ...` or `python -m bot.cli ...` instead of a file in bot/"
    )

if TYPE_CHECKING:
    from bot.platforms import PlatformClient
    from bot.settings import Settings


def client_for(settings: Settings) -> PlatformClient | None:
    """The Discord client when DISCORD_TOKEN is set (see bot.platforms)."""
    if not settings.discord_token:
        return None
    from bot.discord.app import DiscordClient  # discord.py is imported only when Discord is configured

    return DiscordClient(settings)
