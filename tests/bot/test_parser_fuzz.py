"""Fuzzing bot.parser: whatever the input, parse_article returns a Story or raises ParseError, nothing else."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.parser import ParseError, parse_article
from bot.story_model import Story
from bot.summarizer import SUMMARY_MAX_CHARS
from tests.conftest import SEED_PATH

ORIGIN = "fuzz/article.txt"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEED_LINES = SEED_PATH.read_text(encoding="utf-8").splitlines()

# Pieces that reach the parser's interesting branches: front matter, dates with zones, headings, bullets.
FRAGMENTS = [
    "---",
    "...",
    "title: Fuzzed",
    "date: 2024-02-28 07:12",
    "date: February 28, 2024 07:12 America/Argentina",
    "follows: some-story",
    "tags: [a, b]",
    "slug: ",
    "author: nobody",
    "# Heading",
    "## Why It Matters",
    "Key Points:",
    "Why South Korea?",
    "Looking Ahead:",
    "It signifies a commitment to:",
    "- Label: text",
    "- plain bullet",
    "* Starred: bullet.",
    "1. Numbered",
    "6 min read",
    "February 28, 2024 07:12",
    "February 28, 2024 07:12 UTC",
    "February 28, 2024 07:12 +25:00",
    "February 28, 2024 07:12 Asia/Seoul",
    "February 28, 2024 07:12 America/Argentina",
    "Feb 31, 2024",
    "Febtember 40, 2024 07:12",
    "28 February 10000",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2024-02-28",
    "A sentence. Another one! A third?",
    # issue 9: YAML, bylines, datelines, zones, other languages, headings as people write them, HTML
    "tags:",
    "  - technology",
    "  nested: {a: [1, 2]}",
    "title: 'Quoted: title'",
    "By JANE DOE",
    "Updated 9:17 PM EST, January 6, 2024",
    "Published Sept. 28, 2023 5:03 a.m. ET | Updated Sept. 28, 2023 9:40 a.m. ET",
    "SEOUL, Feb 28 (Reuters) - Chips.",
    "(Reporting by Min-ji Park; Editing by Laura Evans)",
    "2024년 2월 28일 07:12 KST",
    "28. Februar 2024, 07:12 Uhr",
    "Feb 30",
    "What the plan does:",
    "Que réclament les agriculteurs ?",
    "ポイント：",
    "・暴風：猛烈な風",
    "<p>A paragraph</p>",
    "<!DOCTYPE html><html><body><article><h1>T</h1><p>Body text here.</p></article></body></html>",
    "",
    "\ufeff",
    "\r",
]


def _check(data: bytes | str) -> None:
    try:
        story = parse_article(data, ORIGIN)
    except ParseError as exc:
        assert exc.origin == ORIGIN
        assert str(exc).startswith(ORIGIN)
        assert exc.line is None or exc.line >= 1
        return
    assert isinstance(story, Story)
    assert story.title
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", story.slug)
    assert len(story.summary) <= SUMMARY_MAX_CHARS
    assert story.published_at.utcoffset() == timedelta(0)
    assert len(story.content_hash) == 64


@FUZZ
@given(st.text(max_size=2000))
@example("\x00")
@example("---")
@example("---\n---\n")
def test_any_text(text: str) -> None:
    _check(text)


@FUZZ
@given(st.binary(max_size=2000))
@example(b"\xff\xfe")
@example(b"\xef\xbb\xbf")
def test_any_bytes(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=80)), max_size=30))
def test_article_shaped_lines(lines: list[str]) -> None:
    _check("\n".join(lines))


@FUZZ
@given(
    st.integers(min_value=0, max_value=len(SEED_LINES) - 1),
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=120)),
)
def test_seed_with_one_line_replaced(index: int, replacement: str) -> None:
    lines = list(SEED_LINES)
    lines[index] = replacement
    _check("\n".join(lines).encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    "date_line",
    [
        "February 28, 2024 07:12 America/Argentina",  # a folder of zones, not a zone
        "February 28, 2024 07:12 +99:99",
        "28 February 10000",
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_odd_dates_are_parse_errors(date_line: str) -> None:
    lines = list(SEED_LINES)
    lines[3] = date_line
    with pytest.raises(ParseError) as caught:
        parse_article("\n".join(lines), ORIGIN, default_tz=ZoneInfo("Asia/Seoul"))
    assert caught.value.line == 4
