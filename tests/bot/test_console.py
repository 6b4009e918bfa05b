"""Tests for bot.console: slash-command lines typed locally, answered from a real SQLite store."""

from __future__ import annotations

import io

import pytest

from bot.console import PROMPT, Console
from bot.errors import UserError
from bot.story_model import Story
from bot.story_service import StoryService
from bot.text_render import render_reply
from storage.stories import ImportItem, StoryRepository
from tests.conftest import SEED_KEY_POINT_LABELS


@pytest.fixture
async def console(stories: StoryRepository, seed_story: Story) -> Console:
    await stories.import_stories([ImportItem("file:seed", seed_story)])
    return Console(StoryService(stories))


async def test_keypoints_line(console: Console) -> None:
    text = render_reply(await console.answer("/story keypoints zuck"))
    for label in SEED_KEY_POINT_LABELS:
        assert label in text


def test_parse_positional_and_named_options(console: Console) -> None:
    command, options = console.parse("/story ask zuck why south korea")
    assert command.path == ("story", "ask")
    assert options == {"story": "zuck", "question": "why south korea"}
    _, named = console.parse("story ask question:why south korea story:zuck")
    assert named == {"story": "zuck", "question": "why south korea"}
    _, quoted = console.parse('/STORY Ask "zuckerberg visits" "why korea"')
    assert quoted == {"story": "zuckerberg visits", "question": "why korea"}
    _, listing = console.parse("/story list")
    assert listing == {}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/weather today", "Unknown command"),
        ("/story ask zuck", "Missing question"),
    ],
)
def test_parse_errors(console: Console, line: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        console.parse(line)


async def test_errors_become_ephemeral_replies(console: Console) -> None:
    unknown = await console.answer("/story show bananas")
    assert unknown.ephemeral
    assert "No story matches" in unknown.text
    bad_page = await console.answer("/story list page:two")
    assert bad_page.ephemeral and "page must be a number" in bad_page.text


async def test_ask_line(console: Console) -> None:
    text = render_reply(await console.answer("/story ask zuck why south korea"))
    assert "Why South Korea?" in text
    assert "AI Powerhouse" in text


async def test_loop_reads_until_eof_and_stops_at_quit(console: Console) -> None:
    stdin = io.StringIO("# a comment\n\n/story keypoints zuck\n/help\nquit\n/story list\n")
    stdout = io.StringIO()
    await console.loop(stdin, stdout)
    out = stdout.getvalue()
    assert f"{PROMPT}/story keypoints zuck" in out
    assert all(label in out for label in SEED_KEY_POINT_LABELS)
    assert "quit" in out  # the help text mentions how to leave
    assert "/story list" not in out.split("to leave the console")[-1]
    assert "# a comment" not in out


async def test_loop_ends_at_eof(console: Console) -> None:
    stdout = io.StringIO()
    await console.loop(io.StringIO("/story list"), stdout)
    assert "Tracked stories" in stdout.getvalue()


async def test_digest_preview_line_shows_the_digest_a_server_would_get(console: Console) -> None:
    text = render_reply(await console.answer("/digest preview"))
    assert "Your briefing for" in text
    assert "Zuckerberg Visits South Korea" in text and "Meetings with Key Players" in text
