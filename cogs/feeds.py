"""/feed: news feeds that develop this server's stories by themselves. A thin adapter over bot.feeds.service.

Every command is scoped to the server it runs in (the service never shows one server's feeds to another), so the
group is server-only, and each handler takes the server's id from `guild_only`/`require_permission`: a DM could
otherwise reach the operator's global feeds (guild id None)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.checks import guild_only, require_permission
from bot.discord.ids import channel_of, scope_of, user_of
from bot.discord.render import send_reply
from bot.feeds.replies import added_reply, list_reply, removed_reply, why_reply
from bot.feeds.service import DEFAULT_EVERY, MAX_EVERY, MIN_EVERY, split_words
from bot.limits import truncate

if TYPE_CHECKING:
    from datetime import tzinfo

    from bot.discord.client import BriefBot

CHOICE_NAME_LIMIT = 100
WORDS_HELP = "Comma-separated words or phrases (plain words, never patterns)"


@app_commands.guild_only()
class FeedCog(commands.GroupCog, group_name="feed", group_description="News feeds that develop this server's stories"):
    def __init__(self, bot: BriefBot) -> None:
        self.feeds = bot.services.feed_service
        self.stories = bot.services.story_service
        super().__init__()

    async def _zone(self, interaction: discord.Interaction) -> tzinfo:
        """Dates in the server's digest zone (else DEFAULT_TIMEZONE), as the other commands show them."""
        return await self.stories.zones.zone_for(scope_of(interaction), user_of(interaction))

    async def story_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        scope_id = scope_of(interaction)
        if scope_id is None:
            return []
        # A server's feed develops only the server's own stories (bot.feeds.service), so only those are offered.
        choices = await self.stories.choices(current, scope_id, own_only=True)
        return [app_commands.Choice(name=truncate(c.title, CHOICE_NAME_LIMIT), value=c.slug) for c in choices[:25]]

    async def feed_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        scope_id = scope_of(interaction)
        if scope_id is None:
            return []
        choices = await self.feeds.choices(current, scope_id)
        return [app_commands.Choice(name=truncate(c.name, CHOICE_NAME_LIMIT), value=c.value) for c in choices[:25]]

    @app_commands.command(name="add", description="Watch a news feed for this server's stories (Manage Server)")
    @app_commands.describe(
        url="The feed's address: RSS, Atom or JSON Feed",
        story="Only for this story (one this server added); without it, every story this server added",
        every=f"Minutes between checks, {MIN_EVERY} to {MAX_EVERY} (default {DEFAULT_EVERY})",
        include=f"Only items with one of these. {WORDS_HELP}",
        exclude=f"Never items with one of these. {WORDS_HELP}",
    )
    @app_commands.autocomplete(story=story_autocomplete)
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2048],
        story: str | None = None,
        every: app_commands.Range[int, MIN_EVERY, MAX_EVERY] = DEFAULT_EVERY,
        include: app_commands.Range[str, 1, 1000] | None = None,
        exclude: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        words_in, words_out = split_words(include), split_words(exclude)  # a bad list is refused before the fetch
        # The fetch can take seconds, past Discord's 3 s to answer. Ephemeral, so an error stays private too (a
        # deferred answer keeps the defer's visibility).
        await interaction.response.defer(ephemeral=True, thinking=True)
        added = await self.feeds.add(url, scope_id, channel_of(interaction), story, every, words_in, words_out)
        await send_reply(interaction, added_reply(added, await self._zone(interaction)))

    @app_commands.command(name="list", description="This server's feeds: story, interval, last fetch and status")
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        feeds = await self.feeds.list(guild_only(interaction))
        await send_reply(interaction, list_reply(feeds, await self._zone(interaction)))

    @app_commands.command(name="remove", description="Stop watching a feed (Manage Server)")
    @app_commands.describe(feed="Start typing the feed's title or address")
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def remove(self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 2048]) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        await send_reply(interaction, removed_reply(await self.feeds.remove(feed, scope_id)))

    @app_commands.command(name="why", description="What happened to a feed item, and why")
    @app_commands.describe(item="The item's link, or some words of its title")
    async def why(self, interaction: discord.Interaction, item: app_commands.Range[str, 1, 500]) -> None:
        result = await self.feeds.why(item, guild_only(interaction))
        await send_reply(interaction, why_reply(result, await self._zone(interaction)))


async def setup(bot: BriefBot) -> None:
    """Adds the /feed commands."""
    await bot.add_cog(FeedCog(bot))
