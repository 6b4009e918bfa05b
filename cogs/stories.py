"""/story: read-only questions about tracked stories. A thin adapter over bot.story_service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import markup
from bot.cards import Reply
from bot.discord.checks import require_permission
from bot.discord.ids import channel_of, qualified, scope_of, user_of
from bot.discord.render import message_parts, part_kwargs, send_reply
from bot.discord.views import PageView
from bot.errors import UserError
from bot.fetch import MAX_URL_CHARS
from bot.follow_service import FollowTarget
from bot.importer import ARTICLE_SUFFIXES
from bot.limits import truncate
from bot.parser import MAX_ARTICLE_BYTES

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

CHOICE_NAME_LIMIT = 100
ATTACHMENT_TYPES = ", ".join(ARTICLE_SUFFIXES[:-1]) + f" or {ARTICLE_SUFFIXES[-1]}"
DM = FollowTarget.DM.value
WHERE_CHOICES = [
    app_commands.Choice(name="by DM", value=FollowTarget.DM.value),
    app_commands.Choice(name="in this channel", value=FollowTarget.HERE.value),
]


@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
class StoryCog(commands.GroupCog, group_name="story", group_description="Ask about the news stories tracked here"):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.service = bot.services.story_service
        self.follows = bot.services.follow_service
        self.admin = bot.services.story_admin
        super().__init__()

    async def story_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await self.service.choices(current, scope_of(interaction))
        return [app_commands.Choice(name=truncate(c.title, CHOICE_NAME_LIMIT), value=c.slug) for c in choices[:25]]

    @app_commands.command(name="list", description="Tracked stories here, newest development first")
    @app_commands.describe(page="Which page to show (8 stories a page)")
    async def list_stories(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 10000] = 1) -> None:
        viewer, user_id = scope_of(interaction), user_of(interaction)

        async def render(number: int) -> tuple[Reply, int]:
            return await self.service.list_page(viewer, number, user_id=user_id, clamp=True)  # a stale button

        reply, pages = await self.service.list_page(viewer, page, user_id=user_id)
        if pages <= 1:
            await send_reply(interaction, reply)
            return
        view = PageView(interaction.user.id, render, page, pages)
        await interaction.response.send_message(view=view, **part_kwargs(message_parts(reply)[0]))  # type: ignore[arg-type]

    @app_commands.command(name="show", description="A story's summary, key points, source and latest development")
    @app_commands.describe(story="Start typing a title or slug")
    @app_commands.autocomplete(story=story_autocomplete)
    async def show(self, interaction: discord.Interaction, story: str) -> None:
        reply = await self.service.show(story, scope_of(interaction), user_id=user_of(interaction))
        await send_reply(interaction, reply)

    @app_commands.command(name="keypoints", description="The story's labelled key points")
    @app_commands.describe(story="Start typing a title or slug")
    @app_commands.autocomplete(story=story_autocomplete)
    async def keypoints(self, interaction: discord.Interaction, story: str) -> None:
        await send_reply(interaction, await self.service.keypoints(story, scope_of(interaction)))

    @app_commands.command(name="ask", description="Ask a question; the answer quotes the story's own sections")
    @app_commands.describe(story="Start typing a title or slug", question="For example: why south korea?")
    @app_commands.autocomplete(story=story_autocomplete)
    async def ask(
        self, interaction: discord.Interaction, story: str, question: app_commands.Range[str, 1, 300]
    ) -> None:
        await send_reply(interaction, await self.service.ask(story, question, scope_of(interaction)))

    @app_commands.command(name="timeline", description="Every development of a story, oldest first")
    @app_commands.describe(story="Start typing a title or slug")
    @app_commands.autocomplete(story=story_autocomplete)
    async def timeline(self, interaction: discord.Interaction, story: str) -> None:
        reply = await self.service.timeline(story, scope_of(interaction), user_id=user_of(interaction))
        await send_reply(interaction, reply)

    @app_commands.command(name="search", description="Find tracked stories that mention something")
    @app_commands.describe(query="Words to look for")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]) -> None:
        await send_reply(interaction, await self.service.search(query, scope_of(interaction)))

    # --- following ---------------------------------------------------------------------------------

    @app_commands.command(name="follow", description="Be told, once, what changed each time a story develops")
    @app_commands.describe(
        story="Start typing a title or slug",
        where="By DM, or in this channel (Manage Channels)",
        ping="Channel follows only: a role to ping with each alert (Manage Roles)",
    )
    @app_commands.choices(where=WHERE_CHOICES)
    @app_commands.autocomplete(story=story_autocomplete)
    async def follow(
        self, interaction: discord.Interaction, story: str, where: str = DM, ping: discord.Role | None = None
    ) -> None:
        target = FollowTarget(where)
        if target is FollowTarget.HERE:
            require_permission(interaction, "manage_channels")
        if ping is not None:
            if target is not FollowTarget.HERE:
                option = markup.code("where: in this channel")
                raise UserError(markup.text("A role ping only applies to channel follows (", option, ")."))
            require_permission(interaction, "manage_roles")
        reply = await self.follows.follow(
            story,
            scope_of(interaction),
            user_of(interaction),
            target,
            channel_of(interaction),
            qualified(ping.id) if ping else None,
        )
        await send_reply(interaction, reply)

    @app_commands.command(name="unfollow", description="Stop following a story")
    @app_commands.describe(story="Start typing a title or slug", where="Your DM follow, or this channel's")
    @app_commands.choices(where=WHERE_CHOICES)
    @app_commands.autocomplete(story=story_autocomplete)
    async def unfollow(self, interaction: discord.Interaction, story: str, where: str = DM) -> None:
        target = FollowTarget(where)
        if target is FollowTarget.HERE:
            require_permission(interaction, "manage_channels")
        reply = await self.follows.unfollow(
            story, scope_of(interaction), user_of(interaction), target, channel_of(interaction)
        )
        await send_reply(interaction, reply)

    @app_commands.command(name="following", description="What you follow, and where")
    async def following(self, interaction: discord.Interaction) -> None:
        await send_reply(interaction, await self.follows.following(user_of(interaction), scope_of(interaction)))

    @app_commands.command(name="mute", description="Hold a story's alerts for a while; none are lost")
    @app_commands.describe(story="Start typing a title or slug", hours="How long, 1 to 168 hours")
    @app_commands.autocomplete(story=story_autocomplete)
    async def mute(self, interaction: discord.Interaction, story: str, hours: app_commands.Range[int, 1, 168]) -> None:
        reply = await self.follows.mute(story, scope_of(interaction), user_of(interaction), hours)
        await send_reply(interaction, reply)

    # --- the server's own stories (Manage Server) --------------------------------------------------

    @app_commands.command(name="add", description="Track a new story in this server from a file, text or a link")
    @app_commands.describe(
        file="An article file (.txt, .md or .html, up to 1 MiB)",
        text="Or paste the article text",
        link="Or a web page's address (http or https)",
    )
    @app_commands.guild_only()
    async def add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        text: str | None = None,
        link: app_commands.Range[str, 1, MAX_URL_CHARS] | None = None,
    ) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        if sum(given is not None and given != "" for given in (file, text, link)) != 1:
            raise UserError("Give one of a file, the text or a link.")
        if file is not None:
            if not file.filename.lower().endswith(ARTICLE_SUFFIXES):
                raise UserError(f"Attach an article file: {ATTACHMENT_TYPES}.")
            if file.size > MAX_ARTICLE_BYTES:
                raise UserError("That file is over 1 MiB; nothing was saved.")
        # Downloading, fetching and parsing may take a while: answer Discord first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if link:
            await send_reply(interaction, await self.admin.add_link(link, scope_id))
            return
        if file is not None:
            try:
                data, name = await file.read(), file.filename
            except discord.HTTPException:
                raise UserError("I could not download that file from Discord; nothing was saved. Try again.") from None
        else:
            data, name = (text or "").encode("utf-8"), "pasted text"
        await send_reply(interaction, await self.admin.add(data, name, scope_id))

    @app_commands.command(name="remove", description="Remove a story this server added")
    @app_commands.describe(story="Start typing a title or slug")
    @app_commands.autocomplete(story=story_autocomplete)
    @app_commands.guild_only()
    async def remove(self, interaction: discord.Interaction, story: str) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        await send_reply(interaction, await self.admin.remove(story, scope_id))

    @app_commands.command(name="update", description="Add a development to a story this server added")
    @app_commands.describe(story="Start typing a title or slug", text="What happened", url="A public link, optional")
    @app_commands.autocomplete(story=story_autocomplete)
    @app_commands.guild_only()
    async def update(
        self,
        interaction: discord.Interaction,
        story: str,
        text: app_commands.Range[str, 1, 4000],
        url: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        scope_id = require_permission(interaction, "manage_guild")
        await send_reply(interaction, await self.admin.update(story, text, url, scope_id=scope_id))


async def setup(bot: BriefBot) -> None:
    """Adds the /story commands."""
    await bot.add_cog(StoryCog(bot))
