"""The /feed group as Discord sees it: its commands, their options, and /help, on the real cogs and runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from unittest.mock import Mock

import discord
import pytest
from discord import app_commands

from bot.discord.client import BriefBot, extension_names
from bot.help_text import ALL_COMMANDS, FEED_COMMANDS
from bot.parser import parse_article
from bot.runtime import Runtime, Wakeups, build_services
from bot.settings import Settings
from storage.database import Database
from storage.stories import ImportItem
from tests.conftest import markdown_article


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BriefBot]:
    """Every cog loaded into the real client on a real runtime; it never logs in."""
    settings = Settings(database_path=tmp_path / "briefbot.db")
    async with Database.open(settings.database_path) as db:
        wakeups = Wakeups()
        async with Runtime(build_services(db, settings, wakeups), wakeups) as rt:
            client = BriefBot(rt)
            for name in extension_names():
                await client.load_extension(name)
            yield client
            await client.close()


def command_paths(
    commands: list[app_commands.Command | app_commands.Group], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    for command in commands:
        if isinstance(command, app_commands.Group):
            yield from command_paths(command.commands, (*prefix, command.name))
        else:
            yield (*prefix, command.name)


async def test_every_feed_command_is_in_help_and_every_help_line_is_a_command(bot: BriefBot) -> None:
    paths = set(command_paths(bot.tree.get_commands()))
    feed_paths = {path for path in paths if path[0] == "feed"}
    assert feed_paths == {("feed", "add"), ("feed", "list"), ("feed", "remove"), ("feed", "why")}
    assert {c.path for c in FEED_COMMANDS} == feed_paths
    assert {c.path for c in ALL_COMMANDS} <= paths  # /help names no command that does not exist
    assert {c.path for c in FEED_COMMANDS if c.admin} == {("feed", "add"), ("feed", "remove")}


async def test_feed_commands_are_server_only_with_the_issue_s_options(bot: BriefBot) -> None:
    group = bot.tree.get_command("feed")
    assert isinstance(group, app_commands.Group)
    assert group.guild_only  # a DM would otherwise reach the operator's global feeds
    add = group.get_command("add")
    assert isinstance(add, app_commands.Command)
    options = {p.name: p for p in add.parameters}
    assert list(options) == ["url", "story", "every", "include", "exclude"]
    assert options["url"].required and not any(options[n].required for n in ("story", "every", "include", "exclude"))
    assert (options["every"].min_value, options["every"].max_value, options["every"].default) == (5, 1440, 15)
    assert options["story"].autocomplete
    remove = group.get_command("remove")
    assert isinstance(remove, app_commands.Command) and remove.parameters[0].autocomplete


async def test_feed_add_offers_only_this_servers_own_stories(bot: BriefBot) -> None:
    """A server's feed develops only its own stories, so the story option does not offer the global ones."""
    stories = bot.services.story_service.stories
    items = [
        ImportItem("file:global", parse_article(markdown_article(title="Harbour Global Story"), "g.md")),
        ImportItem("file:own", parse_article(markdown_article(title="Harbour Own Story"), "o.md"), "discord:42"),
    ]
    await stories.import_stories(items)
    cog = bot.get_cog("FeedCog")  # loaded as an extension: its own module object, so no isinstance
    assert cog is not None and type(cog).__name__ == "FeedCog"
    here = Mock(spec_set=discord.Interaction, guild_id=42)
    choices = await cog.story_autocomplete(here, "harbour")
    assert [c.name for c in choices] == ["Harbour Own Story"]
    in_dm = Mock(spec_set=discord.Interaction, guild_id=None)
    assert await cog.story_autocomplete(in_dm, "harbour") == []
