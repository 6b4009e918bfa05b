"""Tests for bot.parser: the seed's plain-text form, Markdown with front matter, and bad input."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parser import MAX_ARTICLE_BYTES, ParseError, parse_article, parse_datetime
from bot.story_model import Bullet, SectionKind, Story, slugify
from bot.summarizer import SUMMARY_MAX_CHARS, ExtractiveSummarizer, SummaryInput
from tests.conftest import SEED_HEADINGS, SEED_KEY_POINT_LABELS, markdown_article

SEED_DATE_LINE = "February 28, 2024 07:12"
SEED_DATE_LINE_NUMBER = 4


def _error(data: bytes | str, origin: str = "articles/bad.txt") -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_article(data, origin)
    return caught.value


def _assert_names(error: ParseError, origin: str, line: int) -> None:
    assert error.origin == origin
    assert error.line == line
    assert str(error).startswith(f"{origin}:{line}: "), str(error)
    assert error.message and error.message in str(error)


def _sentences(text: str) -> list[str]:
    """An independent sentence count: a '.', '!' or '?' followed by a space or the end."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


# --- the seed --------------------------------------------------------------------------------------


def test_seed_title_reading_time_and_dek(seed_story: Story, seed_text: str) -> None:
    lines = seed_text.splitlines()
    assert seed_story.title == lines[0]
    assert seed_story.reading_minutes == 6
    assert seed_story.dek == lines[2]
    assert SEED_DATE_LINE not in seed_story.dek
    # The dek is not repeated as the first body paragraph; the real first paragraph is the lead.
    assert seed_story.lead == (lines[4],)


def test_seed_date_without_zone_is_read_in_the_default_zone(seed_bytes: bytes) -> None:
    in_utc = parse_article(seed_bytes, "seed.txt")
    assert in_utc.published_at == datetime(2024, 2, 28, 7, 12, tzinfo=UTC)
    assert in_utc.timezone_assumed is True

    in_seoul = parse_article(seed_bytes, "seed.txt", default_tz=ZoneInfo("Asia/Seoul"))
    assert in_seoul.timezone_assumed is True
    # 07:12 in Seoul (UTC+9) is 22:12 UTC the day before.
    assert in_seoul.published_at == datetime(2024, 2, 27, 22, 12, tzinfo=UTC)
    assert in_seoul.published_at.utcoffset().total_seconds() == 0


def test_an_explicit_zone_is_not_assumed(seed_text: str) -> None:
    text = seed_text.replace(SEED_DATE_LINE, SEED_DATE_LINE + " UTC")
    story = parse_article(text, "seed.txt", default_tz=ZoneInfo("Asia/Seoul"))
    assert story.published_at == datetime(2024, 2, 28, 7, 12, tzinfo=UTC)
    assert story.timezone_assumed is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("February 28, 2024 07:12 +09:00", datetime(2024, 2, 27, 22, 12, tzinfo=UTC)),
        ("2024-02-28T07:12:00+09:00", datetime(2024, 2, 27, 22, 12, tzinfo=UTC)),
        ("February 28, 2024 07:12 Asia/Seoul", datetime(2024, 2, 27, 22, 12, tzinfo=UTC)),
        ("Feb. 28th, 2024 7:12 AM GMT", datetime(2024, 2, 28, 7, 12, tzinfo=UTC)),
    ],
)
def test_parse_datetime_with_zones(text: str, expected: datetime) -> None:
    assert parse_datetime(text, ZoneInfo("America/New_York")) == (expected, False)


@pytest.mark.parametrize("zone", ["America/Argentina", "Asia/Nowhere"])
def test_an_unusable_zone_name_is_a_value_error(zone: str) -> None:
    # 'America/Argentina' is a folder of zones, not a zone.
    with pytest.raises(ValueError, match="time zone"):
        parse_datetime(f"February 28, 2024 07:12 {zone}", UTC)


def test_seed_headings_and_section_kinds(seed_story: Story) -> None:
    headings = [s.heading for s in seed_story.sections]
    assert [h.rstrip(":") for h in headings] == [h.rstrip(":") for h in SEED_HEADINGS]
    assert [s.kind for s in seed_story.sections] == [
        SectionKind.KEY_POINTS,
        SectionKind.WHY,
        SectionKind.OUTCOMES,
        SectionKind.OUTLOOK,
    ]


def test_seed_lead_in_sentence_is_a_paragraph_of_looking_ahead(seed_story: Story) -> None:
    lead_in = "Zuckerberg's visit to South Korea signifies Meta's commitment to:"
    assert all("signifies" not in s.heading for s in seed_story.sections)
    outlook = seed_story.section(SectionKind.OUTLOOK)
    assert outlook is not None
    assert outlook.paragraphs[0] == lead_in
    assert [b.label for b in outlook.bullets] == [
        "Playing a leading role in AI development",
        "Expanding its global reach",
    ]
    assert outlook.paragraphs[-1].startswith("The outcome of Zuckerberg's visit")


def test_seed_key_points_are_the_three_labelled_bullets(seed_story: Story) -> None:
    assert tuple(b.label for b in seed_story.key_points) == SEED_KEY_POINT_LABELS
    assert seed_story.key_points[0].text.startswith("Zuckerberg is expected to meet with South Korean President")
    assert seed_story.key_points[2].text.endswith("core products and hardware devices.")
    key_section = seed_story.section(SectionKind.KEY_POINTS)
    assert key_section is not None and key_section.bullets == seed_story.key_points


def test_seed_why_south_korea_has_three_bullets(seed_story: Story) -> None:
    why = seed_story.section(SectionKind.WHY)
    assert why is not None
    assert [b.label for b in why.bullets] == ["AI Powerhouse", "Expanding Ecosystem", "Chip Supply Chain"]
    assert why.paragraphs == ()
    outcomes = seed_story.section(SectionKind.OUTCOMES)
    assert outcomes is not None and len(outcomes.bullets) == 3


def test_seed_summary_is_short_and_extractive(seed_story: Story, seed_text: str) -> None:
    summary = seed_story.summary
    assert summary
    assert len(summary) <= SUMMARY_MAX_CHARS
    sentences = _sentences(summary)
    assert 1 <= len(sentences) <= 3
    flat = " ".join(seed_text.split())
    for sentence in sentences:
        assert sentence in flat, sentence


def test_seed_slug_is_stable_and_url_safe(seed_bytes: bytes, seed_text: str) -> None:
    first = parse_article(seed_bytes, "a.txt")
    again = parse_article(seed_bytes, "elsewhere/b.txt", default_tz=ZoneInfo("Asia/Seoul"))
    assert first.slug == again.slug == slugify(first.title)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", first.slug)
    assert first.slug.startswith("zuckerberg")
    assert parse_article(seed_text, "c.txt") == first


def test_seed_with_windows_line_endings_and_bom_parses_the_same(seed_story: Story, seed_text: str) -> None:
    windows = ("\ufeff" + seed_text.replace("\n", "\r\n")).encode("utf-8")
    story = parse_article(windows, "windows.txt")
    assert story == seed_story
    assert story.content_hash == seed_story.content_hash


def test_content_hash_changes_with_the_text(seed_story: Story, seed_text: str) -> None:
    edited = parse_article(seed_text.replace("6 min read", "7 min read"), "seed.txt")
    assert edited.reading_minutes == 7
    assert edited.content_hash != seed_story.content_hash
    assert edited.slug == seed_story.slug


def test_slugify() -> None:
    assert slugify("Zuckerberg's Visit: Part 1 of the Tour") == "zuckerbergs-visit-part-1"
    assert slugify("Café Crème in São Paulo") == "cafe-creme-in-sao-paulo"
    assert slugify("Talks Resume With the") == "talks-resume"
    assert slugify("!!!").startswith("story-") and slugify("!!!") == slugify("!!!")
    assert slugify("한국 뉴스") != slugify("日本のニュース")  # no Latin letters: distinct, stable fallbacks
    long_words = " ".join(["Pneumonoultramicroscopicsilicovolcanoconiosis"] * 6)
    assert len(slugify(long_words)) <= 60 and not slugify(long_words).endswith("-")


# --- Markdown with front matter --------------------------------------------------------------------


def test_markdown_front_matter_is_read() -> None:
    text = markdown_article(
        source="Example Wire",
        url="https://example.com/chips",
        tags="[chips, ai , memory]",
        follows="some-earlier-story",
    )
    story = parse_article(text, "chips.md", default_tz=ZoneInfo("Asia/Seoul"))
    assert story.title == "Chipmakers Race to Build AI Memory"
    assert story.published_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert story.timezone_assumed is False
    assert story.source == "Example Wire"
    assert story.url == "https://example.com/chips"
    assert story.tags == ("chips", "ai", "memory")
    assert story.follows == "some-earlier-story"
    assert [s.heading for s in story.sections] == ["Key Points"]
    assert [b.label for b in story.key_points] == ["Capacity", "Prices"]
    assert story.dek.startswith("Memory makers are expanding")


def test_markdown_date_without_zone_uses_the_default() -> None:
    story = parse_article(markdown_article(date="2024-03-01 09:30"), "chips.md", default_tz=ZoneInfo("Asia/Seoul"))
    assert story.timezone_assumed is True
    assert story.published_at == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)


def test_markdown_title_heading_is_not_repeated_as_a_section() -> None:
    body = "# Chipmakers Race to Build AI Memory\n\nFactories grow.\n\n## What's Next\n\nMore factories open.\n"
    story = parse_article(markdown_article(body=body), "chips.md")
    assert [(s.heading, s.kind) for s in story.sections] == [("What's Next", SectionKind.OUTLOOK)]


def test_markdown_without_front_matter_takes_the_title_from_the_heading() -> None:
    text = "# Rates Hold Steady\n\nMarch 5, 2024 10:00 UTC\n\nThe central bank kept rates unchanged on Tuesday.\n"
    story = parse_article(text, "rates.md")
    assert story.title == "Rates Hold Steady"
    assert story.published_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)


_NO_KEY_POINTS_BODY = (
    "Port workers began a strike on Monday over automation plans. "
    "The union says thousands of jobs are at risk. Shipping lines expect delays.\n\n"
    "## Background\n\n"
    "Automated cranes were installed at two terminals last year. "
    "The port authority says automation keeps the port competitive.\n\n"
    "## What Happens Next\n\n"
    "Talks resume on Thursday. Retailers warn of empty shelves if the strike lasts.\n"
)


def test_story_without_key_points_section_gets_top_sentences() -> None:
    story = parse_article(markdown_article(title="Port Strike Begins", body=_NO_KEY_POINTS_BODY), "strike.md")
    assert story.section(SectionKind.KEY_POINTS) is None
    assert 1 <= len(story.key_points) <= 3
    flat = " ".join(_NO_KEY_POINTS_BODY.split())
    for point in story.key_points:
        assert point.label == ""
        assert point.text in flat, point.text


class _FixedSummarizer:
    """A stand-in summarizer backend, to see what the parser takes from it."""

    def __init__(self) -> None:
        self.requests: list[tuple[SummaryInput, int]] = []

    def summarize(self, document: SummaryInput) -> str:
        return "Fixed summary."

    def top_sentences(self, document: SummaryInput, count: int) -> list[str]:
        self.requests.append((document, count))
        return ["First point.", "Second point."][:count]


def test_key_points_fallback_comes_from_the_summarizer() -> None:
    summarizer = _FixedSummarizer()
    story = parse_article(
        markdown_article(title="Port Strike Begins", body=_NO_KEY_POINTS_BODY), "strike.md", summarizer=summarizer
    )
    assert story.key_points == (Bullet("", "First point."), Bullet("", "Second point."))
    assert story.summary == "Fixed summary."
    assert len(summarizer.requests) == 1
    document, count = summarizer.requests[0]
    assert count == 3
    assert any("Automated cranes" in p for p in document.paragraphs)


def test_labelled_key_points_do_not_ask_the_summarizer(seed_bytes: bytes) -> None:
    summarizer = _FixedSummarizer()
    story = parse_article(seed_bytes, "seed.txt", summarizer=summarizer)
    assert tuple(b.label for b in story.key_points) == SEED_KEY_POINT_LABELS
    assert summarizer.requests == []


# --- the summarizer --------------------------------------------------------------------------------


def _summary_input(paragraphs: Sequence[str], dek: str = "") -> SummaryInput:
    return SummaryInput(title="Port Strike Begins", dek=dek, paragraphs=paragraphs)


def test_summarizer_is_deterministic(seed_story: Story) -> None:
    document = _summary_input([*seed_story.lead, *(p for s in seed_story.sections for p in s.paragraphs)])
    first = ExtractiveSummarizer().summarize(document)
    assert all(ExtractiveSummarizer().summarize(document) == first for _ in range(5))
    assert ExtractiveSummarizer().top_sentences(document, 3) == ExtractiveSummarizer().top_sentences(document, 3)


def test_summarizer_respects_its_limits() -> None:
    paragraphs = [
        " ".join(f"Sentence {i} about the port strike and automation number {j}." for j in range(8)) for i in range(6)
    ]
    summarizer = ExtractiveSummarizer(max_chars=120, max_sentences=2)
    summary = summarizer.summarize(_summary_input(paragraphs))
    assert 0 < len(summary) <= 120
    assert len(_sentences(summary)) <= 2


def test_summarizer_clips_a_single_overlong_sentence() -> None:
    long_sentence = "The strike " + "really " * 120 + "continues"
    summary = ExtractiveSummarizer().summarize(_summary_input([long_sentence]))
    assert len(summary) <= SUMMARY_MAX_CHARS
    assert summary.startswith("The strike really")


def test_top_sentences_keep_document_order_and_skip_lead_ins() -> None:
    paragraphs = ["Port workers strike. The union wants guarantees.", "Talks cover these points:", "Ships wait."]
    picked = ExtractiveSummarizer().top_sentences(_summary_input(paragraphs), 3)
    assert "Talks cover these points:" not in picked
    order = ["Port workers strike.", "The union wants guarantees.", "Ships wait."]
    assert picked == [s for s in order if s in picked]
    assert len(picked) == 3


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", "", b"\n\n   \n", "\ufeff\n"])
def test_empty_file(data: bytes | str) -> None:
    _assert_names(_error(data), "articles/bad.txt", 1)


def test_binary_data_names_the_line_of_the_nul_byte(seed_bytes: bytes) -> None:
    lines = seed_bytes.split(b"\n")
    lines[2] = b"\x89PNG\x00\x00" + lines[2]
    error = _error(b"\n".join(lines))
    _assert_names(error, "articles/bad.txt", 3)
    assert "binary" in error.message


def test_latin1_text_is_decoded_not_refused(seed_bytes: bytes) -> None:
    # Issue 9 picks decoding over refusing: a Latin-1 (Windows-1252) file reads as what it says.
    lines = seed_bytes.split(b"\n")
    lines[4] = lines[4] + b" caf\xe9 cr\xe8me \x80 5"
    story = parse_article(b"\n".join(lines), "latin1.txt")
    assert story.lead[0].endswith("café crème € 5")
    assert story.key_points == parse_article(seed_bytes, "seed.txt").key_points


def test_bytes_that_are_no_text_name_the_line(seed_bytes: bytes) -> None:
    lines = seed_bytes.split(b"\n")
    lines[5] = lines[5] + b" \x01\x02\xff\xfe"  # not UTF-8, and control characters in any encoding
    error = _error(b"\n".join(lines))
    _assert_names(error, "articles/bad.txt", 6)
    assert "binary data" in error.message


def test_lone_surrogates_in_text_are_refused() -> None:
    error = _error("Title\nMarch 5, 2024\nbroken \udc80 text")
    _assert_names(error, "articles/bad.txt", 3)


def test_file_over_one_mebibyte(seed_bytes: bytes) -> None:
    data = seed_bytes + b"\n" + (b"x" * 99 + b"\n") * (MAX_ARTICLE_BYTES // 100 + 1)
    assert len(data) > MAX_ARTICLE_BYTES
    error = _error(data)
    limit_line = data.count(b"\n", 0, MAX_ARTICLE_BYTES) + 1
    _assert_names(error, "articles/bad.txt", limit_line)
    assert "1 MiB" in error.message


def test_a_file_of_exactly_one_mebibyte_is_accepted(seed_bytes: bytes) -> None:
    padding = MAX_ARTICLE_BYTES - len(seed_bytes) - 1
    data = seed_bytes + b"\n" + b"y" * padding
    assert len(data) == MAX_ARTICLE_BYTES
    assert parse_article(data, "big.txt").title == seed_bytes.decode().splitlines()[0]


def test_unparseable_date_names_its_line(seed_text: str) -> None:
    error = _error(seed_text.replace(SEED_DATE_LINE, "Febtember 40, 2024 07:12"))
    _assert_names(error, "articles/bad.txt", SEED_DATE_LINE_NUMBER)
    assert "date" in error.message


def test_impossible_calendar_date_names_its_line(seed_text: str) -> None:
    error = _error(seed_text.replace(SEED_DATE_LINE, "February 30, 2024 07:12"))
    _assert_names(error, "articles/bad.txt", SEED_DATE_LINE_NUMBER)


def test_missing_date_is_the_import_time_and_says_so(seed_text: str, seed_story: Story) -> None:
    # Issue 9: an article without a date is not rejected; it gets the import time, marked as assumed.
    imported = datetime(2024, 11, 30, 8, 15, 42, 123456, tzinfo=UTC)
    story = parse_article(seed_text.replace(SEED_DATE_LINE + "\n", ""), "undated.txt", now=imported)
    assert story.published_at == imported.replace(microsecond=0)
    assert story.date_assumed is True
    assert story.timezone_assumed is False
    assert seed_story.date_assumed is False
    assert story.key_points == seed_story.key_points
    assert [s.heading for s in story.sections] == [s.heading for s in seed_story.sections]


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: Open Ended\ndate: 2024-03-01\n",
        "---\ntitle: Open Ended\ndate: 2024-03-01\n\nBody text that never ends the front matter.\n",
        "---\ntitle: Open Ended\nNote: a body line that looks like a key.\n",
    ],
)
def test_front_matter_that_never_closes(text: str) -> None:
    error = _error(text)
    _assert_names(error, "articles/bad.txt", 1)
    assert "never closed" in error.message


def test_unknown_front_matter_keys_are_kept_not_refused() -> None:
    # Issue 9: keys briefbot does not use are kept (author has a field of its own), never an error.
    text = "---\ntitle: Chips\nauthor: Somebody\nimage: /chips.png\ndate: 2024-03-01\n---\n\nBody.\n"
    story = parse_article(text, "chips.md")
    assert story.author == "Somebody"
    assert story.extra == (("image", "/chips.png"),)
    assert story.published_at == datetime(2024, 3, 1, tzinfo=UTC)


def test_bad_front_matter_date_names_its_line() -> None:
    error = _error(markdown_article(date="Febtember 40, 2024 07:12"))
    _assert_names(error, "articles/bad.txt", 3)


def test_front_matter_without_body() -> None:
    error = _error("---\ntitle: Chips\ndate: 2024-03-01\n---\n\n")
    assert str(error).startswith("articles/bad.txt:")


def test_parse_error_without_a_line_names_the_file() -> None:
    assert str(ParseError("a.txt", None, "broken")) == "a.txt: broken"
    assert isinstance(ParseError("a.txt", 2, "broken"), ValueError)
