"""Tests for bot.console: slash-command lines typed locally, answered from a real SQLite store."""

from __future__ import annotations

import io
import re

import pytest

from bot.console import PROMPT, Console, split_words
from bot.errors import UserError
from bot.markup import plain
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
    ("line", "words"),
    [
        ("/story ask spacex what's next", ["/story", "ask", "spacex", "what's", "next"]),
        ("/story search Meta's", ["/story", "search", "Meta's"]),
        ("/story show 'night ferry'", ["/story", "show", "'night", "ferry'"]),
        ('/story show "night ferry" now', ["/story", "show", "night ferry", "now"]),
        ('/story show story:"night ferry"', ["/story", "show", "story:night ferry"]),
        ("/story show \u201cnight ferry\u201d", ["/story", "show", "night ferry"]),
        ('/story search "night ferry', ["/story", "search", '"night', "ferry"]),
        ('/story search 12" vinyl', ["/story", "search", '12"', "vinyl"]),
        ("/story search c# and c++", ["/story", "search", "c#", "and", "c++"]),
        ("/story search back\\slash", ["/story", "search", "back\\slash"]),
    ],
)
def test_split_words_keeps_apostrophes_and_lone_quotes_as_letters(line: str, words: list[str]) -> None:
    assert split_words(line) == words


def test_parse_apostrophes_and_unbalanced_quotes(console: Console) -> None:
    _, asked = console.parse("/story ask spacex what's next")
    assert asked == {"story": "spacex", "question": "what's next"}
    _, searched = console.parse("/story search Meta's")
    assert searched == {"query": "Meta's"}
    _, unbalanced = console.parse('/story search "night ferry')
    assert unbalanced == {"query": '"night ferry'}


async def test_apostrophe_lines_are_answered(console: Console) -> None:
    found = render_reply(await console.answer("/story search Meta's"))
    assert "Zuckerberg Visits South Korea" in found
    asked = await console.answer("/story ask zuck what's next")
    assert not asked.ephemeral, asked.text
    assert "Cannot read" not in render_reply(asked)


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


SAMPLE_VALUES = {"story": "zuck", "question": "why south korea", "query": "korea", "page": "1"}


async def test_every_command_in_the_help_runs_in_the_console(console: Console) -> None:
    """The help lists only what the console runs: each usage, with sample values, is answered, none unknown."""
    help_text = render_reply(await console.answer("/help"))
    usages = re.findall(r"^(/[a-z][^:]*): ", help_text, flags=re.MULTILINE)
    assert "/story keypoints <story>" in usages and "/digest preview" in usages
    for usage in usages:
        line = re.sub(r"[<\[](\w+)[>\]]", lambda m: SAMPLE_VALUES[m.group(1)], usage)
        reply = await console.answer(line)
        assert "Unknown command" not in plain(reply.text), (line, reply.text)
        assert not reply.ephemeral, (line, reply.text)
    assert "/story follow" not in usages and "/digest setup <channel> <time> <timezone> [days]" not in usages
    assert "In chat only (see the README): " in help_text
    for chat_command in ("/story follow", "/digest setup", "/brief me", "/story add", "/story update"):
        assert chat_command in help_text


async def test_errors_become_ephemeral_replies(console: Console) -> None:
    unknown = await console.answer("/story show bananas")
    assert unknown.ephemeral
    assert "No story matches" in plain(unknown.text)
    bad_page = await console.answer("/story list page:two")
    assert bad_page.ephemeral and "page must be a number" in plain(bad_page.text)
    no_page = await console.answer("/story list 2")
    assert no_page.ephemeral and "There is only 1 page" in no_page.text


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
    assert "**" not in out and "\x1b" not in out  # not a terminal: plain text, no Markdown markers


async def test_loop_ends_at_eof(console: Console) -> None:
    stdout = io.StringIO()
    await console.loop(io.StringIO("/story list"), stdout)
    assert "Tracked stories" in stdout.getvalue()


async def test_digest_preview_line_shows_the_digest_a_server_would_get(console: Console) -> None:
    text = render_reply(await console.answer("/digest preview"))
    assert "Your briefing for" in text
    assert "Zuckerberg Visits South Korea" in text and "Meetings with Key Players" in text
