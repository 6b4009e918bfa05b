from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.schedule_clock import (
    DAILY,
    WEEKDAYS,
    WEEKENDS,
    Days,
    Schedule,
    ScheduleError,
    Slot,
    all_timezones,
    format_next_run,
    parse_days,
    parse_schedule,
    parse_time_of_day,
    parse_timezone,
    search_timezones,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def wall(moment: datetime, zone: ZoneInfo) -> tuple[date, time]:
    local = moment.astimezone(zone)
    return local.date(), local.time()


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        (" 07:30 ", time(7, 30)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("12:05", time(12, 5)),
    ],
)
def test_parse_time_of_day_accepts(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("25:00", '"25:00"'),
        ("24:00", '"24:00"'),
        ("7:60", '"7:60"'),
        ("0730", '"0730"'),
        ("7pm", '"7pm"'),
        ("7:3", '"7:3"'),
        ("07:30:00", '"07:30:00"'),
        ("-1:30", '"-1:30"'),
        ("seven", '"seven"'),
        ("٠٧:٣٠", '"٠٧:٣٠"'),  # non-ASCII digits
    ],
)
def test_parse_time_of_day_rejects_and_names_the_value(text: str, named: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_time_of_day(text)
    message = str(caught.value)
    assert named in message
    assert "HH:MM" in message


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_time_of_day_rejects_empty(text: str) -> None:
    with pytest.raises(ScheduleError, match="Please give a time of day; use HH:MM"):
        parse_time_of_day(text)


@pytest.mark.parametrize(("text", "suggestion"), [("7pm", "19:00"), ("7:30 am", "07:30"), ("12am", "00:00")])
def test_parse_time_of_day_suggests_24_hour_form_for_am_pm(text: str, suggestion: str) -> None:
    with pytest.raises(ScheduleError, match=f"like {suggestion}"):
        parse_time_of_day(text)


def test_long_bad_input_is_shortened_in_the_message() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_time_of_day("9" * 500)
    assert len(str(caught.value)) < 120
    assert "…" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("  AMERICA/NEW_YORK ", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("utc", "UTC"),
        ("Australia/Lord_Howe", "Australia/Lord_Howe"),
    ],
)
def test_parse_timezone_accepts(text: str, key: str) -> None:
    zone = parse_timezone(text)
    assert isinstance(zone, ZoneInfo)
    assert zone.key == key


@pytest.mark.parametrize(
    "text",
    ["Mars/Base", "../../etc/passwd", "/etc/localtime", "Europe/../Europe/Paris", "localtime", "Factory", "EST+5"],
)
def test_parse_timezone_rejects_and_names_the_value(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_timezone(text)
    message = str(caught.value)
    assert f'"{text}"' in message
    assert "Europe/Paris" in message  # says what is accepted


def test_parse_timezone_rejects_empty() -> None:
    with pytest.raises(ScheduleError, match="Please give a timezone"):
        parse_timezone("  ")


def test_parse_timezone_suggests_close_names() -> None:
    with pytest.raises(ScheduleError, match="Did you mean America/New_York"):
        parse_timezone("new york")


@pytest.mark.parametrize(("text", "word"), [("UTC fooday", "fooday"), ("Europe/Paris weekly", "weekly")])
def test_a_zone_followed_by_a_word_that_is_no_day_list_names_the_days(text: str, word: str) -> None:
    """Typed commands (Slack, the console) put the days after the zone: a bad day is named as a day, not a zone."""
    with pytest.raises(ScheduleError) as caught:
        parse_timezone(text)
    assert str(caught.value).startswith(f'"{word}" is not a day list; use daily, weekdays')


def test_all_timezones_is_sorted_and_loadable_subset() -> None:
    names = all_timezones()
    assert list(names) == sorted(names)
    assert "Europe/Paris" in names
    assert "localtime" not in names
    assert len(names) > 300
    assert all(parse_timezone(name.lower()).key == name for name in names)


def test_search_timezones_substring_finds_city() -> None:
    assert "America/New_York" in search_timezones("york")
    assert search_timezones("new york") == ["America/New_York"]


def test_search_timezones_prefix_before_substring() -> None:
    results = search_timezones("us", limit=25)
    prefixed = [name for name in results if name.lower().startswith("us")]
    assert prefixed, results
    assert results[: len(prefixed)] == prefixed  # all prefix matches come first
    rest = results[len(prefixed) :]
    assert rest, results  # e.g. Australia/...
    assert all("us" in name.lower() and not name.lower().startswith("us") for name in rest)


def test_search_timezones_orders_prefix_then_part_start_then_substring() -> None:
    def tier(name: str) -> int:
        lowered = name.lower()
        if lowered.startswith("an"):
            return 0  # Antarctica/...
        parts = lowered.replace("/", " ").replace("_", " ").replace("-", " ").split()
        return 1 if any(part.startswith("an") for part in parts) else 2  # America/Anchorage, Africa/Bangui

    results = search_timezones("an", limit=100)
    tiers = [tier(name) for name in results]
    assert tiers == sorted(tiers)
    assert set(tiers) == {0, 1, 2}
    assert all("an" in name.lower() for name in results)
    assert search_timezones("par") == ["America/Paramaribo", "Europe/Paris"]


def test_search_timezones_is_case_insensitive_and_prefix_exact() -> None:
    assert search_timezones("EUROPE/PAR")[0] == "Europe/Paris"
    assert search_timezones("europe/pa") == ["Europe/Paris"]


@pytest.mark.parametrize("limit", [0, 1, 5, 25])
def test_search_timezones_respects_limit(limit: int) -> None:
    assert len(search_timezones("a", limit=limit)) == limit
    assert len(search_timezones("", limit=limit)) == limit


def test_search_timezones_no_match() -> None:
    assert search_timezones("zzzz-nowhere") == []


@pytest.mark.parametrize(
    ("text", "names", "described"),
    [
        ("daily", ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "daily"),
        ("every day", ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "daily"),
        ("weekdays", ("mon", "tue", "wed", "thu", "fri"), "weekdays"),
        ("Weekends", ("sat", "sun"), "weekends"),
        ("mon,wed,fri", ("mon", "wed", "fri"), "Mon, Wed, Fri"),
        ("Mon, Wed", ("mon", "wed"), "Mon, Wed"),
        ("monday,friday", ("mon", "fri"), "Mon, Fri"),
        ("fri mon fri", ("mon", "fri"), "Mon, Fri"),
        ("sun,sat", ("sat", "sun"), "weekends"),
        ("mon-fri", ("mon", "tue", "wed", "thu", "fri"), "weekdays"),
        ("fri-mon", ("mon", "fri", "sat", "sun"), "Mon, Fri, Sat, Sun"),
        ("weekends, wed", ("wed", "sat", "sun"), "Wed, Sat, Sun"),
        ("THURS,tues", ("tue", "thu"), "Tue, Thu"),
    ],
)
def test_parse_days_accepts(text: str, names: tuple[str, ...], described: str) -> None:
    days = parse_days(text)
    assert days.names == names
    assert days.describe() == described


@pytest.mark.parametrize(("text", "named"), [("funday", '"funday"'), ("mon,xyz", '"xyz"'), ("mon-fun", '"mon-fun"')])
def test_parse_days_rejects_unknown_and_names_the_value(text: str, named: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_days(text)
    assert named in str(caught.value)
    assert "weekdays" in str(caught.value)


@pytest.mark.parametrize("text", ["", "  ", ",", " , ,"])
def test_parse_days_rejects_empty(text: str) -> None:
    with pytest.raises(ScheduleError, match="at least one day"):
        parse_days(text)


def test_days_is_a_hashable_value() -> None:
    assert parse_days("mon,wed") == parse_days("Wed, Monday")
    assert hash(parse_days("mon,wed")) == hash(parse_days("wed,mon"))
    assert len({DAILY, parse_days("daily"), WEEKDAYS, parse_days("mon-fri")}) == 2
    with pytest.raises(AttributeError):
        DAILY.weekdays = frozenset({0})  # type: ignore[misc]


def test_days_rejects_empty_and_out_of_range() -> None:
    with pytest.raises(ScheduleError):
        Days(frozenset())
    with pytest.raises(ValueError, match="0..6"):
        Days(frozenset({7}))


@pytest.mark.parametrize(("days", "stored"), [(DAILY, "mon,tue,wed,thu,fri,sat,sun"), (WEEKENDS, "sat,sun")])
def test_days_storage_form(days: Days, stored: str) -> None:
    assert days.storage == stored


@given(st.frozensets(st.integers(0, 6), min_size=1))
def test_days_storage_round_trip(numbers: frozenset[int]) -> None:
    days = Days(numbers)
    assert Days.from_storage(days.storage) == days
    assert parse_days(days.describe()) == days


def test_days_of_and_includes() -> None:
    days = Days.of(["mon", "fri"])
    assert days.includes(date(2024, 3, 4))  # Monday
    assert not days.includes(date(2024, 3, 5))  # Tuesday
    assert days.includes(date(2024, 3, 8))  # Friday


# --------------------------------------------------------------------------- DST


@pytest.mark.parametrize(
    ("zone", "hhmm", "day", "expected_utc"),
    [
        # America/New_York spring forward 2024-03-10: 02:00 EST -> 03:00 EDT
        ("America/New_York", "02:30", date(2024, 3, 10), utc(2024, 3, 10, 7, 0)),  # gap -> 03:00 EDT
        ("America/New_York", "01:30", date(2024, 3, 10), utc(2024, 3, 10, 6, 30)),  # EST, normal
        ("America/New_York", "03:30", date(2024, 3, 10), utc(2024, 3, 10, 7, 30)),  # EDT, normal
        ("America/New_York", "07:30", date(2024, 3, 10), utc(2024, 3, 10, 11, 30)),
        # America/New_York fall back 2024-11-03: 02:00 EDT -> 01:00 EST
        ("America/New_York", "01:30", date(2024, 11, 3), utc(2024, 11, 3, 5, 30)),  # first (EDT) only
        ("America/New_York", "02:30", date(2024, 11, 3), utc(2024, 11, 3, 7, 30)),  # EST, normal
        ("America/New_York", "00:30", date(2024, 11, 3), utc(2024, 11, 3, 4, 30)),  # EDT, normal
        # Europe/London spring forward 2024-03-31: 01:00 GMT -> 02:00 BST
        ("Europe/London", "01:30", date(2024, 3, 31), utc(2024, 3, 31, 1, 0)),  # gap -> 02:00 BST
        ("Europe/London", "02:30", date(2024, 3, 31), utc(2024, 3, 31, 1, 30)),  # BST, normal
        ("Europe/London", "00:30", date(2024, 3, 31), utc(2024, 3, 31, 0, 30)),  # GMT, normal
        # Europe/London fall back 2024-10-27: 02:00 BST -> 01:00 GMT
        ("Europe/London", "01:30", date(2024, 10, 27), utc(2024, 10, 27, 0, 30)),  # first (BST) only
        ("Europe/London", "02:30", date(2024, 10, 27), utc(2024, 10, 27, 2, 30)),  # GMT, normal
        # Australia/Lord_Howe: 30-minute shifts. 2024-10-06 02:00 +10:30 -> 02:30 +11
        ("Australia/Lord_Howe", "02:15", date(2024, 10, 6), utc(2024, 10, 5, 15, 30)),  # gap -> 02:30
        ("Australia/Lord_Howe", "02:45", date(2024, 10, 6), utc(2024, 10, 5, 15, 45)),
        # ... and 2024-04-07 02:00 +11 -> 01:30 +10:30
        ("Australia/Lord_Howe", "01:45", date(2024, 4, 7), utc(2024, 4, 6, 14, 45)),  # first (+11) only
        # America/Santiago springs forward at midnight: 2024-09-08 00:00 -04 -> 01:00 -03
        ("America/Santiago", "00:30", date(2024, 9, 8), utc(2024, 9, 8, 4, 0)),  # gap -> 01:00
        ("America/Santiago", "07:30", date(2024, 9, 8), utc(2024, 9, 8, 10, 30)),
    ],
)
def test_slot_on_dst_days(zone: str, hhmm: str, day: date, expected_utc: datetime) -> None:
    schedule = parse_schedule(hhmm, zone, "daily")
    slot = schedule.slot_on(day)
    assert slot == Slot(local_date=day, fire_at=expected_utc)
    assert slot.fire_at.utcoffset() == timedelta(0)
    # next_slot from the day before finds the same slot
    assert schedule.next_slot(expected_utc - timedelta(hours=20)) == slot


def test_gap_fires_at_first_valid_local_instant() -> None:
    schedule = parse_schedule("02:30", "America/New_York")
    slot = schedule.next_slot(utc(2024, 3, 10, 0, 0))
    local = slot.fire_at.astimezone(NEW_YORK)
    assert (local.date(), local.hour, local.minute, local.tzname()) == (date(2024, 3, 10), 3, 0, "EDT")
    assert (slot.fire_at - timedelta(seconds=1)).astimezone(NEW_YORK).time() == time(1, 59, 59)


def test_ambiguous_time_fires_once_even_when_asked_during_the_repeat() -> None:
    schedule = parse_schedule("01:30", "America/New_York")
    first = schedule.next_slot(utc(2024, 11, 3, 0, 0))
    assert first == Slot(date(2024, 11, 3), utc(2024, 11, 3, 5, 30))
    # strictly after the first occurrence, and during/after the repeated hour: next day, not 06:30 UTC
    for moment in (first.fire_at, utc(2024, 11, 3, 6, 0), utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 6, 45)):
        again = schedule.next_slot(moment)
        assert again == Slot(date(2024, 11, 4), utc(2024, 11, 4, 6, 30))


def test_minute_ticker_fires_each_local_day_once_across_fall_back() -> None:
    """Simulates the scheduler: a job every minute, persisting the next slot after each fire."""
    for zone, hhmm in (("America/New_York", "01:30"), ("Europe/London", "01:30"), ("America/New_York", "02:30")):
        schedule = parse_schedule(hhmm, zone)
        tick = utc(2024, 11, 2, 0, 0) if zone.startswith("America") else utc(2024, 10, 26, 0, 0)
        pending = schedule.next_slot(tick)
        fired: list[date] = []
        for _ in range(3 * 24 * 60):
            tick += timedelta(minutes=1)
            if pending.fire_at <= tick:
                fired.append(pending.local_date)
                pending = schedule.next_slot(pending.fire_at)
        assert len(fired) == 3
        assert len(set(fired)) == 3
        assert fired == sorted(fired)


def test_apia_skipped_day_has_no_slot() -> None:
    # Samoa moved across the date line: 2011-12-29 23:59:59 -10 was followed by 2011-12-31 00:00 +14.
    schedule = parse_schedule("07:30", "Pacific/Apia")
    assert schedule.slot_on(date(2011, 12, 30)) is None
    before = schedule.slot_on(date(2011, 12, 29))
    assert before == Slot(date(2011, 12, 29), utc(2011, 12, 29, 17, 30))
    after = schedule.next_slot(before.fire_at)
    assert after == Slot(date(2011, 12, 31), utc(2011, 12, 30, 17, 30))
    dates = [slot.local_date for slot in schedule.slots_between(utc(2011, 12, 27), utc(2012, 1, 2))]
    assert dates == [date(2011, 12, d) for d in (27, 28, 29, 31)] + [date(2012, 1, 1), date(2012, 1, 2)]


def test_apia_midnight_schedule_on_skipped_day() -> None:
    schedule = parse_schedule("00:00", "Pacific/Apia")
    slots = schedule.slots_between(utc(2011, 12, 29), utc(2011, 12, 31))
    assert [(s.local_date, s.fire_at) for s in slots] == [
        (date(2011, 12, 29), utc(2011, 12, 29, 10, 0)),
        (date(2011, 12, 31), utc(2011, 12, 30, 10, 0)),
    ]


@pytest.mark.parametrize(
    ("hhmm", "zone", "start", "end", "expected"),
    [
        (
            "02:30",
            "America/New_York",
            utc(2024, 3, 8, 12),
            utc(2024, 3, 12, 12),
            [
                (date(2024, 3, 9), utc(2024, 3, 9, 7, 30)),
                (date(2024, 3, 10), utc(2024, 3, 10, 7, 0)),
                (date(2024, 3, 11), utc(2024, 3, 11, 6, 30)),
                (date(2024, 3, 12), utc(2024, 3, 12, 6, 30)),
            ],
        ),
        (
            "01:30",
            "America/New_York",
            utc(2024, 11, 1, 12),
            utc(2024, 11, 5, 12),
            [
                (date(2024, 11, 2), utc(2024, 11, 2, 5, 30)),
                (date(2024, 11, 3), utc(2024, 11, 3, 5, 30)),
                (date(2024, 11, 4), utc(2024, 11, 4, 6, 30)),
                (date(2024, 11, 5), utc(2024, 11, 5, 6, 30)),
            ],
        ),
        (
            "01:30",
            "Europe/London",
            utc(2024, 10, 26),
            utc(2024, 10, 28, 1, 30),  # end is inclusive
            [
                (date(2024, 10, 26), utc(2024, 10, 26, 0, 30)),
                (date(2024, 10, 27), utc(2024, 10, 27, 0, 30)),
                (date(2024, 10, 28), utc(2024, 10, 28, 1, 30)),
            ],
        ),
    ],
)
def test_slots_between_across_dst(
    hhmm: str, zone: str, start: datetime, end: datetime, expected: list[tuple[date, datetime]]
) -> None:
    slots = parse_schedule(hhmm, zone).slots_between(start, end)
    assert [(s.local_date, s.fire_at) for s in slots] == expected


def test_slots_between_start_is_exclusive_end_inclusive() -> None:
    schedule = parse_schedule("07:30", "Europe/Paris")
    fire = utc(2024, 3, 4, 6, 30)
    assert [s.fire_at for s in schedule.slots_between(fire, fire + timedelta(hours=1))] == []
    assert [s.fire_at for s in schedule.slots_between(fire - timedelta(seconds=1), fire)] == [fire]
    assert schedule.slots_between(fire, fire - timedelta(days=3)) == []


def test_next_slot_is_strictly_after() -> None:
    schedule = parse_schedule("07:30", "Europe/Paris")
    fire = utc(2024, 3, 4, 6, 30)
    assert schedule.next_slot(fire - timedelta(microseconds=1)).fire_at == fire
    assert schedule.next_slot(fire).fire_at == utc(2024, 3, 5, 6, 30)


def test_next_slot_accepts_any_aware_zone() -> None:
    schedule = parse_schedule("07:30", "Europe/Paris")
    tokyo_noon = datetime(2024, 3, 4, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 03:00 UTC, 04:00 Paris
    assert schedule.next_slot(tokyo_noon) == Slot(date(2024, 3, 4), utc(2024, 3, 4, 6, 30))


def test_naive_datetimes_are_rejected() -> None:
    schedule = parse_schedule("07:30", "Europe/Paris")
    naive = utc(2024, 3, 4).replace(tzinfo=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.next_slot(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.slots_between(naive, utc(2024, 3, 5))
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.slots_between(utc(2024, 3, 5), naive)


@pytest.mark.parametrize(
    ("days", "after", "expected_dates"),
    [
        # 2024-03-08 is a Friday; the Friday slot (06:30 UTC) has already fired at 12:00 UTC.
        ("weekdays", utc(2024, 3, 8, 12), [date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13)]),
        ("weekends", utc(2024, 3, 8, 12), [date(2024, 3, 9), date(2024, 3, 10), date(2024, 3, 16)]),
        ("mon,wed,fri", utc(2024, 3, 4, 6, 30), [date(2024, 3, 6), date(2024, 3, 8), date(2024, 3, 11)]),
        ("sun", utc(2024, 3, 4), [date(2024, 3, 10), date(2024, 3, 17), date(2024, 3, 24)]),
    ],
)
def test_weekday_filtering(days: str, after: datetime, expected_dates: list[date]) -> None:
    schedule = parse_schedule("07:30", "Europe/Paris", days)
    found: list[date] = []
    cursor = after
    for _ in expected_dates:
        slot = schedule.next_slot(cursor)
        found.append(slot.local_date)
        cursor = slot.fire_at
    assert found == expected_dates


def test_weekday_is_the_local_weekday_not_utc() -> None:
    # 07:30 Tuesday in Tokyo is 22:30 Monday UTC: a Tuesday-only schedule fires on Monday UTC.
    schedule = parse_schedule("07:30", "Asia/Tokyo", "tue")
    slot = schedule.next_slot(utc(2024, 3, 4))
    assert slot == Slot(date(2024, 3, 5), utc(2024, 3, 4, 22, 30))


def test_schedule_describe_and_validation() -> None:
    assert parse_schedule("7:30", "europe/paris", "mon-fri").describe() == "07:30 Europe/Paris, weekdays"
    assert parse_schedule("18:05", "UTC", "Mon, Wed").describe() == "18:05 UTC, Mon, Wed"
    with pytest.raises(ValueError, match="whole minutes"):
        Schedule(time(7, 30, 15), PARIS, DAILY)
    with pytest.raises(ValueError, match="naive"):
        Schedule(time(7, 30, tzinfo=UTC), PARIS, DAILY)
    with pytest.raises(TypeError, match="ZoneInfo"):
        Schedule(time(7, 30), UTC, DAILY)  # type: ignore[arg-type]
    assert Schedule(time(7, 30, fold=1), PARIS, DAILY).time_of_day.fold == 0


def test_parse_schedule_reports_first_bad_field() -> None:
    with pytest.raises(ScheduleError, match='"Mars/Base"'):
        parse_schedule("07:30", "Mars/Base", "daily")
    with pytest.raises(ScheduleError, match='"funday"'):
        parse_schedule("07:30", "UTC", "funday")


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("slot", "zone", "expected"),
    [
        (Slot(date(2024, 3, 4), utc(2024, 3, 4, 6, 30)), "Europe/Paris", "Mon 4 Mar 07:30 CET (06:30 UTC)"),
        (Slot(date(2024, 7, 1), utc(2024, 7, 1, 5, 30)), "Europe/Paris", "Mon 1 Jul 07:30 CEST (05:30 UTC)"),
        (
            Slot(date(2024, 3, 5), utc(2024, 3, 4, 22, 30)),
            "Asia/Tokyo",
            "Tue 5 Mar 07:30 JST (Mon 4 Mar 22:30 UTC)",
        ),
        (Slot(date(2024, 3, 10), utc(2024, 3, 10, 7, 0)), "America/New_York", "Sun 10 Mar 03:00 EDT (07:00 UTC)"),
        (Slot(date(2024, 12, 25), utc(2024, 12, 25, 7, 30)), "UTC", "Wed 25 Dec 07:30 UTC"),
        (Slot(date(2024, 12, 25), utc(2024, 12, 25, 7, 30)), "Europe/London", "Wed 25 Dec 07:30 GMT (07:30 UTC)"),
    ],
)
def test_format_next_run(slot: Slot, zone: str, expected: str) -> None:
    assert format_next_run(slot, ZoneInfo(zone)) == expected


# --------------------------------------------------------------------------- properties

ZONES = st.sampled_from(all_timezones())
TIMES = st.builds(time, st.integers(0, 23), st.integers(0, 59))
DAY_SETS = st.frozensets(st.integers(0, 6), min_size=1).map(Days)
# 1970 .. 2100, whole seconds plus sometimes microseconds, expressed in a random zone.
INSTANTS = st.builds(
    lambda seconds, micros, zone: (datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=micros)).astimezone(
        ZoneInfo(zone)
    ),
    st.integers(0, 4_102_444_800),
    st.sampled_from([0, 0, 1, 999_999]),
    ZONES,
)


def _wall_time_exists(day: date, tod: time, zone: ZoneInfo) -> bool:
    for fold in (0, 1):
        candidate = datetime.combine(day, tod.replace(fold=fold), tzinfo=zone)
        if wall(candidate.astimezone(UTC), zone) == (day, tod):
            return True
    return False


def _date_exists(day: date, zone: ZoneInfo) -> bool:
    """Some instant has this local date (checked by brute force at 15-minute steps)."""
    probe = datetime.combine(day, time(0, 0), tzinfo=UTC) - timedelta(hours=27)
    return any((probe + timedelta(minutes=15 * k)).astimezone(zone).date() == day for k in range(4 * 54))


def _assert_slot_is_first_reading(schedule: Schedule, slot: Slot) -> None:
    """fire_at is the first instant whose local wall time reads the schedule time or later."""
    zone = schedule.timezone
    wanted = (slot.local_date, schedule.time_of_day)
    assert schedule.days.includes(slot.local_date)
    assert slot.fire_at.tzinfo is UTC
    if _wall_time_exists(slot.local_date, schedule.time_of_day, zone):
        assert wall(slot.fire_at, zone) == wanted
    else:  # gap day: the first valid instant after the gap
        assert wall(slot.fire_at, zone) > wanted
    assert wall(slot.fire_at - timedelta(seconds=1), zone) < wanted
    # and never a later repeat of that wall time (fall-back): nothing in the previous 26 h read it
    for minutes in range(10, 26 * 60, 10):
        assert wall(slot.fire_at - timedelta(minutes=minutes), zone) < wanted


@settings(max_examples=300, deadline=None)
@given(zone=ZONES, tod=TIMES, days=DAY_SETS, instant=INSTANTS)
def test_next_slot_properties(zone: str, tod: time, days: Days, instant: datetime) -> None:
    schedule = Schedule(tod, ZoneInfo(zone), days)
    first = schedule.next_slot(instant)
    assert first.fire_at > instant
    _assert_slot_is_first_reading(schedule, first)

    second = schedule.next_slot(first.fire_at)
    assert second.fire_at > first.fire_at
    assert second.local_date > first.local_date
    _assert_slot_is_first_reading(schedule, second)

    # No selected, existing day was skipped between the two slots ...
    day = first.local_date + timedelta(days=1)
    while day < second.local_date:
        assert not (days.includes(day) and _date_exists(day, schedule.timezone)), day
        day += timedelta(days=1)
    # ... nor between the instant and the first slot (from two days on, clear of any fall-back).
    day = instant.astimezone(schedule.timezone).date() + timedelta(days=2)
    while day < first.local_date:
        assert not (days.includes(day) and _date_exists(day, schedule.timezone)), day
        day += timedelta(days=1)


@settings(max_examples=100, deadline=None)
@given(zone=ZONES, tod=TIMES, days=DAY_SETS, start=INSTANTS, span_hours=st.integers(0, 24 * 21))
def test_slots_between_matches_chained_next_slot(
    zone: str, tod: time, days: Days, start: datetime, span_hours: int
) -> None:
    schedule = Schedule(tod, ZoneInfo(zone), days)
    end = start + timedelta(hours=span_hours)
    slots = schedule.slots_between(start, end)
    assert all(start < slot.fire_at <= end for slot in slots)
    assert [s.fire_at for s in slots] == sorted({s.fire_at for s in slots})  # strictly increasing
    assert [s.local_date for s in slots] == sorted({s.local_date for s in slots})
    following = schedule.next_slot(slots[-1].fire_at if slots else start)
    assert following.fire_at > end
    if slots:
        assert slots[0] == schedule.next_slot(start)


@pytest.mark.parametrize(
    ("zone", "days", "first", "stop"),
    [
        ("Europe/Paris", "daily", date(2024, 3, 4), date(2025, 3, 4)),  # a year, through both DST changes
        ("America/New_York", "weekdays", date(2024, 3, 1), date(2024, 11, 20)),
        ("UTC", "mon,thu", date(2024, 1, 3), date(2024, 1, 4)),
        ("UTC", "mon", date(2024, 1, 2), date(2024, 1, 8)),  # no Monday in range
        ("Pacific/Apia", "daily", date(2011, 12, 1), date(2012, 2, 1)),  # 2011-12-30 never happened there
    ],
)
def test_count_slots_matches_listing_every_slot(zone: str, days: str, first: date, stop: date) -> None:
    schedule = parse_schedule("07:30", zone, days)
    listed = [d for d in (first + timedelta(days=n) for n in range((stop - first).days)) if schedule.slot_on(d)]
    assert schedule.count_slots(first, stop) == len(listed)
    assert schedule.count_slots(stop, first) == 0
