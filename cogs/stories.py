"""/story: read-only questions about tracked stories. A thin adapter over bot.story_service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cards import Reply
from bot.discord_render import message_parts, part_kwargs, send_reply
from bot.discord_views import PageView
from bot.limits import truncate

if TYPE_CHECKING:
    from bot.discord_bot import BriefBot

CHOICE_NAME_LIMIT = 100


@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
class StoryCog(commands.GroupCog, group_name="story", group_description="Ask about the news stories tracked here"):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.service = bot.services.story_service
        super().__init__()

    async def story_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await self.service.choices(current, interaction.guild_id)
        return [app_commands.Choice(name=truncate(c.title, CHOICE_NAME_LIMIT), value=c.slug) for c in choices[:25]]

    @app_commands.command(name="list", description="Tracked stories here, newest development first")
    @app_commands.describe(page="Which page to show (8 stories a page)")
    async def list_stories(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 10000] = 1) -> None:
        viewer = interaction.guild_id

        async def render(number: int) -> tuple[Reply, int]:
            return await self.service.list_page(viewer, number)

        reply, pages = await self.service.list_page(viewer, page)
        if pages <= 1:
            await send_reply(interaction, reply)
            return
        view = PageView(interaction.user.id, render, page, pages)
        await interaction.response.send_message(view=view, **part_kwargs(message_parts(reply)[0]))  # type: ignore[arg-type]

    @app_commands.command(name="show", description="A story's summary, key points, source and latest development")
    @app_commands.describe(story="Start typing a title or slug")
    @app_commands.autocomplete(story=story_autocomplete)
    async def show(self, interaction: discord.Interaction, story: str) -> None:
        await send_reply(interaction, await self.service.show(story, interaction.guild_id))

    @app_commands.command(name="keypoints", description="The story's labelled key points")
    @app_commands.describe(story="Start typing a title or slug")
    @app_commands.autocomplete(story=story_autocomplete)
    async def keypoints(self, interaction: discord.Interaction, story: str) -> None:
        await send_reply(interaction, await self.service.keypoints(story, interaction.guild_id))

    @app_commands.command(name="ask", description="Ask a question; the answer quotes the story's own sections")
    @app_commands.describe(story="Start typing a title or slug", question="For example: why south korea?")
    @app_commands.autocomplete(story=story_autocomplete)
    async def ask(
        self, interaction: discord.Interaction, story: str, question: app_commands.Range[str, 1, 300]
    ) -> None:
        await send_reply(interaction, await self.service.ask(story, question, interaction.guild_id))

    @app_commands.command(name="timeline", description="Every development of a story, oldest first")
    @app_commands.describe(story="Start typing a title or slug")
    @app_commands.autocomplete(story=story_autocomplete)
    async def timeline(self, interaction: discord.Interaction, story: str) -> None:
        await send_reply(interaction, await self.service.timeline(story, interaction.guild_id))

    @app_commands.command(name="search", description="Find tracked stories that mention something")
    @app_commands.describe(query="Words to look for")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]) -> None:
        await send_reply(interaction, await self.service.search(query, interaction.guild_id))


async def setup(bot: BriefBot) -> None:
    """Adds the /story commands."""
    await bot.add_cog(StoryCog(bot))
