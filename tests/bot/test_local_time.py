"""Tests for bot.local_time: dates in the audience's zone, naming it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import local_time

EVENING = datetime(2024, 1, 7, 2, 17, tzinfo=UTC)  # 6 Jan 21:17 in New York


def test_a_moment_is_shown_in_the_zone_with_its_abbreviation() -> None:
    assert local_time.moment(EVENING, ZoneInfo("America/New_York")) == "6 Jan 2024, 21:17 EST"
    assert local_time.moment(EVENING, UTC) == "7 Jan 2024, 02:17 UTC"
    assert local_time.short_moment(EVENING, ZoneInfo("Asia/Seoul")) == "07 Jan 11:17 KST"


def test_a_zone_whose_abbreviation_is_an_offset_is_named_in_full() -> None:
    assert local_time.moment(EVENING, ZoneInfo("America/Sao_Paulo")) == "6 Jan 2024, 23:17 (America/Sao_Paulo)"


def test_dates_are_local_and_the_zone_is_named_beside_them() -> None:
    zone = ZoneInfo("America/New_York")
    assert (local_time.day(EVENING, zone), local_time.short_day(EVENING, zone)) == ("6 Jan 2024", "06 Jan")
    assert local_time.dates_in(zone) == "dates in America/New_York"
    assert local_time.dates_in(UTC) == "dates in UTC"
