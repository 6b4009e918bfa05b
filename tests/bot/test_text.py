"""Tests for bot.text's plural(), and the replies that count things with it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.follow_service import FollowService, FollowTarget
from bot.markup import plain
from bot.settings import load_settings
from bot.story_model import Story
from bot.story_service import StoryService
from bot.text import plural
from storage.database import Database
from storage.follows import FollowRepository
from storage.stories import ImportItem, StoryRepository


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "story", "1 story"),
        (0, "story", "0 stories"),
        (2, "story", "2 stories"),
        (1, "global story", "1 global story"),
        (3, "global story", "3 global stories"),
        (1, "page", "1 page"),
        (8, "page", "8 pages"),
        (2, "day", "2 days"),
        (1, "minute", "1 minute"),
    ],
)
def test_plural(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


def test_settings_describe_one_minute_and_one_second() -> None:
    rows = dict(load_settings({"DIGEST_GRACE": "1", "ALERT_BURST_WINDOW": "1s"}, env_file=None).describe())
    assert rows["DIGEST_GRACE"] == "1 minute"
    assert rows["ALERT_BURST_WINDOW"] == "1 second"


async def test_follow_reply_says_one_minute(db: Database, stories: StoryRepository, seed_story: Story) -> None:
    await stories.import_stories([ImportItem("file:seed", seed_story)])
    follows = FollowService(FollowRepository(db), stories, StoryService(stories), burst_window=timedelta(minutes=1))
    reply = await follows.follow(seed_story.slug, None, 42, FollowTarget.DM, None)
    assert "Updates within 1 minute are merged" in plain(reply.text)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("**bold** _it_ ~~gone~~ `code` ||spoiler||", r"\*\*bold\*\* \_it\_ \~\~gone\~\~ \`code\` \|\|spoiler\|\|"),
        ("[click](https://evil.example)", r"\[click\](https://evil.example)"),
        ("<@123> <@&456> <#789>", r"\<@123\> \<@&456\> \<#789\>"),
        ("# Heading", r"\# Heading"),
        ("> quote", r"\> quote"),
        ("- item\n1. first", "\\- item\n1\\. first"),
        ("12.5 million (est.) - a C:\\path", "12.5 million (est.) - a C:\\\\path"),
        ("Plain title, nothing to do", "Plain title, nothing to do"),
    ],
)
def test_escape_markdown_leaves_no_markup(text: str, escaped: str) -> None:
    from bot.markup import from_markdown
    from bot.text import escape_markdown

    assert escape_markdown(text) == escaped
    assert from_markdown(escape_markdown(text)).plain == text  # and reads back as the text itself
