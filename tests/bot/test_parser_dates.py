"""Tests for bot.dates and the parser's header: dates in the forms articles write them, with their real zones."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import dates
from bot.dates import ReadDate, read_date
from bot.parser import ParseError, parse_article

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
SEOUL = ZoneInfo("Asia/Seoul")


def _read(text: str, default_tz=UTC) -> ReadDate:  # noqa: ANN001
    return read_date(text, default_tz, NOW)


@pytest.mark.parametrize(
    ("text", "utc", "zone"),
    [
        # AP and web bylines (the label is the parser's to strip)
        ("9:17 PM EST, January 6, 2024", datetime(2024, 1, 7, 2, 17, tzinfo=UTC), "America/New_York"),
        ("Sept. 28, 2023 5:03 a.m. ET", datetime(2023, 9, 28, 9, 3, tzinfo=UTC), "America/New_York"),
        ("January 13, 2024 9:40 PM CST", datetime(2024, 1, 14, 3, 40, tzinfo=UTC), "America/Chicago"),
        ("Aug. 17, 2023 6:45 AM PT", datetime(2023, 8, 17, 13, 45, tzinfo=UTC), "America/Los_Angeles"),
        # ISO 8601 and RFC 2822
        ("2024-02-28T07:12:00+09:00", datetime(2024, 2, 27, 22, 12, tzinfo=UTC), "+09:00"),
        ("2024-02-28T07:12:00Z", datetime(2024, 2, 28, 7, 12, tzinfo=UTC), "UTC"),
        ("2024-03-05T17:40:00-0500", datetime(2024, 3, 5, 22, 40, tzinfo=UTC), "-05:00"),
        ("Wed, 28 Feb 2024 07:12:00 +0900", datetime(2024, 2, 27, 22, 12, tzinfo=UTC), "+09:00"),
        ("2024-01-13 21:40:00 -06:00", datetime(2024, 1, 14, 3, 40, tzinfo=UTC), "-06:00"),
        # zone abbreviations of Asia and Europe
        ("2024년 2월 28일 07:12 KST", datetime(2024, 2, 27, 22, 12, tzinfo=UTC), "Asia/Seoul"),
        ("2024年2月28日 7時12分 JST", datetime(2024, 2, 27, 22, 12, tzinfo=UTC), "Asia/Tokyo"),
        ("2024年4月12日 10:30 北京时间", datetime(2024, 4, 12, 2, 30, tzinfo=UTC), "Asia/Shanghai"),
        ("28. Februar 2024, 07:12 Uhr MEZ", datetime(2024, 2, 28, 6, 12, tzinfo=UTC), "Europe/Berlin"),
        ("March 1, 2024 09:00 CET", datetime(2024, 3, 1, 8, 0, tzinfo=UTC), "Europe/Paris"),
        ("June 1, 2024 12:00 BST", datetime(2024, 6, 1, 11, 0, tzinfo=UTC), "Europe/London"),
        ("February 28, 2024 07:12 UTC+9", datetime(2024, 2, 27, 22, 12, tzinfo=UTC), "+09:00"),
        ("February 28, 2024 07:12 (GMT-03:30)", datetime(2024, 2, 28, 10, 42, tzinfo=UTC), "-03:30"),
    ],
)
def test_dates_with_a_zone(text: str, utc: datetime, zone: str) -> None:
    assert _read(text, SEOUL) == ReadDate(utc, zone, False)


def test_a_standard_time_abbreviation_keeps_its_offset_in_summer() -> None:
    # EST is UTC-5 whatever the season; ET follows New York's daylight saving time.
    assert _read("July 4, 2024 10:00 EST") == ReadDate(datetime(2024, 7, 4, 15, 0, tzinfo=UTC), "-05:00", False)
    summer_et = ReadDate(datetime(2024, 7, 4, 14, 0, tzinfo=UTC), "America/New_York", False)
    assert _read("July 4, 2024 10:00 ET") == summer_et
    assert _read("January 4, 2024 10:00 EDT").zone == "-04:00"


def test_the_repeated_autumn_hour_is_told_apart_by_its_abbreviation() -> None:
    # 1:30 a.m. happens twice in New York on 3 November 2024: first in EDT, then in EST.
    assert _read("Nov 3, 2024 1:30 AM EDT").instant == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert _read("Nov 3, 2024 1:30 AM EST").instant == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("February 28, 2024 07:12", (2024, 2, 28, 7, 12)),
        ("28. Februar 2024, 07:12 Uhr", (2024, 2, 28, 7, 12)),
        ("05.03.2024 14:30 Uhr", (2024, 3, 5, 14, 30)),  # day first, not 3 May
        ("26 janvier 2024 à 07h12", (2024, 1, 26, 7, 12)),
        ("le 28 février 2024 à 7 h 12", (2024, 2, 28, 7, 12)),
        ("28 de febrero de 2024, 13:05", (2024, 2, 28, 13, 5)),
        ("miércoles, 28 de febrero de 2024 07:12", (2024, 2, 28, 7, 12)),
        ("2024.03.04 09:30", (2024, 3, 4, 9, 30)),
        ("2024. 2. 28. 오후 3:05", (2024, 2, 28, 15, 5)),
        ("2024年2月28日(水) 7:12", (2024, 2, 28, 7, 12)),
        ("2024年2月28日 下午3:05", (2024, 2, 28, 15, 5)),
        ("Wed, 28 Feb 2024 07:12:00 -0000", (2024, 2, 28, 7, 12)),  # RFC 2822: zone unknown
    ],
)
def test_dates_without_a_zone_are_read_in_the_default_zone(text: str, local: tuple[int, ...]) -> None:
    read = _read(text, SEOUL)
    assert read.instant == datetime(*local, tzinfo=SEOUL).astimezone(UTC)
    assert (read.zone, read.zone_assumed) == ("Asia/Seoul", True)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Feb 28", datetime(2024, 2, 28, tzinfo=UTC)),  # earlier this year
        ("March 12", datetime(2024, 3, 12, tzinfo=UTC)),  # two days ahead of the import: a zone ahead of ours
        ("March 13", datetime(2023, 3, 13, tzinfo=UTC)),  # more than two days ahead: last year's
        ("Dec 31", datetime(2023, 12, 31, tzinfo=UTC)),
        ("4月21日", datetime(2023, 4, 21, tzinfo=UTC)),
    ],
)
def test_a_date_without_a_year_is_the_latest_such_day_by_the_import_time(text: str, day: datetime) -> None:
    assert _read(text).instant == day


@pytest.mark.parametrize(
    "text",
    ["Febtember 40, 2024", "February 30, 2024 07:12", "hello world", "", "1709104320", "13:00 PM, May 1, 2024"],
)
def test_what_is_not_a_date_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="date|hour|day|month"):
        _read(text)


def test_the_fast_paths_do_not_ask_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, reference: datetime) -> None:
        raise AssertionError(f"dateparser asked about {text!r}")

    monkeypatch.setattr(dates, "_with_dateparser", refuse)
    fast = ["February 28, 2024 07:12", "Feb. 28th, 2024, 7:12 a.m. ET", "2024-02-28T07:12:00+09:00"]
    fast += ["Wed, 28 Feb 2024 07:12:00 +0900", "9:17 PM EST, January 6, 2024", "05.03.2024 14:30 Uhr"]
    for text in fast:
        read_date(text, UTC, NOW)


# --- the header of an article ----------------------------------------------------------------------


def _header_story(*header: str, body: str = "The council met on Tuesday. It voted on the plan.") -> tuple:
    text = "\n".join(["Council Votes on the Plan", *header, body, "What happens next?", "A second vote in May."])
    story = parse_article(text, "article.txt", UTC, now=NOW)
    return story, story.published_at


def test_an_ap_byline_and_updated_line_give_the_author_and_the_date() -> None:
    story, published = _header_story("By JANE HOLLOWAY", "Updated 9:17 PM EST, January 6, 2024")
    assert published == datetime(2024, 1, 7, 2, 17, tzinfo=UTC)
    assert story.author == "JANE HOLLOWAY"
    assert story.published_zone == "America/New_York"
    assert story.dek == "The council met on Tuesday. It voted on the plan."


def test_a_published_and_updated_line_gives_the_published_date() -> None:
    story, published = _header_story("Published Sept. 28, 2023 5:03 a.m. ET | Updated Sept. 28, 2023 9:40 a.m. ET")
    assert published == datetime(2023, 9, 28, 9, 3, tzinfo=UTC)
    assert "Updated" not in story.search_sections_text()


@pytest.mark.parametrize(
    "line",
    [
        "Publié le 26 janvier 2024 à 07h12",
        "Mis à jour le 26 janvier 2024 à 07h12",
        "Veröffentlicht am 26.01.2024, 07:12 Uhr",
        "Stand: 26.01.2024 07:12 Uhr",
        "Actualizado: 26 de enero de 2024, 07:12",
        "입력 2024.01.26 07:12",
        "公開日：2024年1月26日 7:12",
        "发布时间：2024-01-26 07:12",
    ],
)
def test_labelled_date_lines_in_other_languages(line: str) -> None:
    _, published = _header_story(line)
    assert published == datetime(2024, 1, 26, 7, 12, tzinfo=UTC)


def test_a_wire_dateline_gives_the_date_and_the_source_and_leaves_the_text() -> None:
    text = "Chip Rules Tighten\nSEOUL, Feb 28 (Reuters) - South Korea will tighten checks.\nMore text follows here."
    story = parse_article(text, "wire.txt", UTC, now=NOW)
    assert story.published_at == datetime(2024, 2, 28, tzinfo=UTC)
    assert (story.source, story.date_assumed, story.timezone_assumed) == ("Reuters", False, True)
    assert story.dek == "South Korea will tighten checks."


def test_a_dateline_without_a_date_is_removed_and_a_date_line_still_counts() -> None:
    text = "Metro Opens\nMarch 5, 2024 14:20 GMT\nPARIS (AFP) - Trains began running on Tuesday.\nMore text."
    story = parse_article(text, "wire.txt", UTC, now=NOW)
    assert story.published_at == datetime(2024, 3, 5, 14, 20, tzinfo=UTC)
    assert story.source == "AFP" and story.dek == "Trains began running on Tuesday."


def test_a_reporting_credit_names_the_author_and_is_not_story_text() -> None:
    credit = "(Reporting by Min-ji Park; Editing by Laura Evans)"
    text = f"Chip Rules Tighten\nMarch 5, 2024\nSouth Korea will tighten checks.\n{credit}"
    story = parse_article(text, "wire.txt", UTC, now=NOW)
    assert story.author == "Min-ji Park"
    assert "Reporting" not in story.search_sections_text()


def test_a_labelled_date_that_cannot_be_read_names_its_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_article("Council Votes\nBy Jane Doe\nUpdated Febtember 40, 2024\nBody.", "bad.txt", UTC, now=NOW)
    assert caught.value.line == 3


def test_a_date_mentioned_in_a_sentence_is_not_the_date_line() -> None:
    text = "Council Votes\nThe vote on March 1, 2024 was close.\nBody text."
    story = parse_article(text, "a.txt", UTC, now=NOW)
    assert story.date_assumed is True
    assert story.published_at == NOW
    assert story.dek == "The vote on March 1, 2024 was close."


def test_a_labelled_line_that_is_no_date_is_body_text_not_an_error() -> None:
    story, _ = _header_story("Updated with new figures from the ministry on 5 March")
    assert story.date_assumed is True
    assert story.dek == "Updated with new figures from the ministry on 5 March"
