"""Digest schedule arithmetic: parse what users type, and work out when a digest is due.

A schedule is a wall-clock time of day, an IANA timezone and a set of weekdays. Each selected
*local date* has exactly one slot; the slot's instant (``fire_at``, in UTC) is

    the first instant at which the local clock reads the schedule time or later.

That single rule settles the daylight-saving corner cases:

* normal days: the instant the clock shows the schedule time;
* spring-forward gap (02:30 in America/New_York on 2024-03-10 does not exist): the first valid
  instant after the gap, i.e. the transition itself (03:00 EDT = 07:00 UTC);
* fall-back overlap (01:30 in America/New_York on 2024-11-03 happens twice): the first
  occurrence only (fold=0, 01:30 EDT = 05:30 UTC); the repeat is never a second slot;
* a local date that never exists at all (Pacific/Apia skipped 2011-12-30) has no slot.

Pure functions and frozen values only: no I/O, no clock reads, stdlib ``zoneinfo`` only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "DAILY",
    "WEEKDAYS",
    "WEEKENDS",
    "Days",
    "Schedule",
    "ScheduleError",
    "Slot",
    "all_timezones",
    "format_next_run",
    "parse_days",
    "parse_schedule",
    "parse_time_of_day",
    "parse_timezone",
    "search_timezones",
]


class ScheduleError(ValueError):
    """Bad schedule input. ``str(error)`` is a complete sentence meant to be shown to the user."""


_ECHO_LIMIT = 40


def _quote(text: str) -> str:
    """Echo user input back inside quotes, shortened so a pasted novel doesn't flood the reply."""
    shown = " ".join(text.split())
    if len(shown) > _ECHO_LIMIT:
        shown = shown[: _ECHO_LIMIT - 1] + "…"
    return f'"{shown}"'


# --------------------------------------------------------------------------- time of day

_TIME_HINT = "use HH:MM in 24-hour time, like 07:30."
_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_AMPM_RE = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?\s*([ap])\.?m\.?", re.IGNORECASE)


def parse_time_of_day(text: str) -> time:
    """Parse ``H:MM`` / ``HH:MM`` (24-hour, surrounding spaces ignored) into a naive ``time``."""
    stripped = text.strip()
    if not stripped:
        raise ScheduleError(f"Please give a time of day; {_TIME_HINT}")
    match = _TIME_RE.fullmatch(stripped)
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if hour <= 23 and minute <= 59:
            return time(hour, minute)
        raise ScheduleError(f"{_quote(stripped)} is not a time of day; {_TIME_HINT}")
    ampm = _AMPM_RE.fullmatch(stripped)
    if ampm is not None:
        hour, minute = int(ampm[1]), int(ampm[2] or 0)
        if 1 <= hour <= 12 and minute <= 59:
            hour24 = hour % 12 + (12 if ampm[3].lower() == "p" else 0)
            raise ScheduleError(
                f"{_quote(stripped)} uses am/pm; use HH:MM in 24-hour time instead, like {hour24:02d}:{minute:02d}."
            )
    raise ScheduleError(f"{_quote(stripped)} is not a time of day; {_TIME_HINT}")


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


# --------------------------------------------------------------------------- timezones

# Present in some tz databases but not places anyone lives: never offer or accept them.
_NOT_REAL_ZONES = frozenset({"Factory", "localtime", "posixrules"})
_MAX_ZONE_NAME = 64


@functools.cache
def _zone_index() -> tuple[tuple[str, ...], dict[str, str]]:
    """Sorted canonical names and a lower-case → canonical map, built once per process."""
    names = tuple(
        sorted(
            name
            for name in available_timezones()
            if name not in _NOT_REAL_ZONES and not name.startswith(("posix/", "right/"))
        )
    )
    return names, {name.lower(): name for name in names}


@functools.cache
def _search_keys() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(canonical, lower-case, lower-case segments) for each zone, for autocomplete."""
    names, _ = _zone_index()
    return tuple(
        (name, name.lower(), tuple(part for part in re.split(r"[/_\-]", name.lower()) if part)) for name in names
    )


def all_timezones() -> tuple[str, ...]:
    """Every accepted timezone name, sorted."""
    return _zone_index()[0]


def _normalise_zone_query(text: str) -> str:
    return "_".join(text.strip().lower().split())


def parse_timezone(name: str) -> ZoneInfo:
    """Return the ``ZoneInfo`` for an IANA name, matched case-insensitively (``europe/paris`` works).

    Only names from the tz database listing are accepted, so path-like input never reaches the
    filesystem. Spaces may stand in for underscores (``America/New York``).
    """
    stripped = name.strip()
    if not stripped:
        raise ScheduleError("Please give a timezone, like Europe/Paris or America/New_York.")
    hint = "use an IANA timezone name like Europe/Paris or America/New_York."
    if len(stripped) > _MAX_ZONE_NAME:
        raise ScheduleError(f"{_quote(stripped)} is not a timezone I know; {hint}")
    canonical = _zone_index()[1].get(_normalise_zone_query(stripped))
    if canonical is not None:
        return ZoneInfo(canonical)
    zone, _, rest = stripped.rpartition(" ")
    if zone and _zone_index()[1].get(_normalise_zone_query(zone)) is not None:
        # Typed words ("UTC fooday"): a zone, then what was meant as the days but is not a day list.
        raise ScheduleError(f"{_quote(rest)} is not a day list; use daily, weekdays or days like mon,wed,fri.")
    suggestions = search_timezones(stripped, limit=3)
    did_you_mean = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise ScheduleError(f"{_quote(stripped)} is not a timezone I know; {hint}{did_you_mean}")


def search_timezones(text: str, limit: int = 25) -> list[str]:
    """Timezone names for autocomplete, case-insensitive, at most ``limit``.

    Order: names starting with the query (``europe/pa``), then names with a part starting with it
    (``york`` → America/New_York), then any other name containing it; alphabetical within each.
    An empty query lists names alphabetically.
    """
    if limit <= 0:
        return []
    query = _normalise_zone_query(text)
    if not query:
        return list(all_timezones()[:limit])
    prefix: list[str] = []
    part_prefix: list[str] = []
    substring: list[str] = []
    for name, lowered, parts in _search_keys():
        if lowered.startswith(query):
            prefix.append(name)
            if len(prefix) >= limit:
                break
        elif query in lowered:
            if any(part.startswith(query) for part in parts):
                part_prefix.append(name)
            else:
                substring.append(name)
    return (prefix + part_prefix + substring)[:limit]


# --------------------------------------------------------------------------- days

_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_TITLES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_TITLES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_DAY_ALIASES: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("mon", "monday"),
        ("tue", "tues", "tuesday"),
        ("wed", "weds", "wednesday"),
        ("thu", "thur", "thurs", "thursday"),
        ("fri", "friday"),
        ("sat", "saturday"),
        ("sun", "sunday"),
    )
):
    for _alias in _names:
        _DAY_ALIASES[_alias] = _number

_ALL_DAYS = frozenset(range(7))
_GROUPS: dict[str, frozenset[int]] = {
    "daily": _ALL_DAYS,
    "everyday": _ALL_DAYS,
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
}
_DAYS_HINT = "use daily, weekdays, weekends, or days like mon,wed,fri."


@dataclass(frozen=True, slots=True)
class Days:
    """A non-empty set of weekdays, as ``date.weekday()`` numbers (0 = Monday … 6 = Sunday)."""

    weekdays: frozenset[int]

    def __post_init__(self) -> None:
        numbers = frozenset(self.weekdays)
        if not numbers:
            raise ScheduleError(f"Please choose at least one day; {_DAYS_HINT}")
        if not numbers <= _ALL_DAYS:
            raise ValueError(f"weekday numbers must be 0..6, got {sorted(numbers)}")
        object.__setattr__(self, "weekdays", numbers)

    @classmethod
    def of(cls, names: Iterable[str]) -> Days:
        """Build from short names (``"mon"`` … ``"sun"``)."""
        return cls(frozenset(_DAY_KEYS.index(name) for name in names))

    @property
    def names(self) -> tuple[str, ...]:
        """Short lower-case names, Monday first: ``("mon", "wed", "fri")``."""
        return tuple(_DAY_KEYS[n] for n in sorted(self.weekdays))

    def includes(self, day: date) -> bool:
        return day.weekday() in self.weekdays

    def describe(self) -> str:
        """``"daily"``, ``"weekdays"``, ``"weekends"`` or e.g. ``"Mon, Wed, Fri"``."""
        if self.weekdays == _ALL_DAYS:
            return "daily"
        if self.weekdays == _GROUPS["weekdays"]:
            return "weekdays"
        if self.weekdays == _GROUPS["weekends"]:
            return "weekends"
        return ", ".join(_DAY_TITLES[n] for n in sorted(self.weekdays))

    @property
    def storage(self) -> str:
        """Stable text form, Monday first: ``"mon,wed,fri"`` (daily is all seven)."""
        return ",".join(self.names)

    @classmethod
    def from_storage(cls, text: str) -> Days:
        """Inverse of :attr:`storage`."""
        return parse_days(text)


DAILY = Days(_ALL_DAYS)
WEEKDAYS = Days(_GROUPS["weekdays"])
WEEKENDS = Days(_GROUPS["weekends"])


def _day_number(token: str, original: str) -> int:
    number = _DAY_ALIASES.get(token)
    if number is None:
        raise ScheduleError(f"{_quote(original)} is not a day; {_DAYS_HINT}")
    return number


def parse_days(text: str) -> Days:
    """Parse ``daily`` / ``weekdays`` / ``weekends`` or a list like ``mon,wed,fri``, ``Mon, Wed``,
    ``monday friday``; ranges like ``mon-fri`` (wrapping, so ``fri-mon`` is Fri, Sat, Sun, Mon)."""
    lowered = " ".join(text.lower().split())
    if lowered in ("every day", "all days"):
        return DAILY
    tokens = [token for token in re.split(r"[,;\s]+", lowered) if token]
    if not tokens:
        raise ScheduleError(f"Please choose at least one day; {_DAYS_HINT}")
    chosen: set[int] = set()
    for token in tokens:
        if token in _GROUPS:
            chosen |= _GROUPS[token]
        elif "-" in token:
            first, _, last = token.partition("-")
            start, stop = _day_number(first, token), _day_number(last, token)
            chosen.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
        else:
            chosen.add(_day_number(token, token))
    return Days(frozenset(chosen))


# --------------------------------------------------------------------------- slots


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """One digest occurrence. ``local_date`` is its identity (one digest per audience per local
    date); ``fire_at`` is when it is due, as an aware UTC datetime."""

    local_date: date
    fire_at: datetime


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {value.isoformat()}")


def _first_instant_at_or_after(local_date: date, wall: time, zone: tzinfo) -> datetime:
    """The first UTC instant at which the clock in ``zone`` reads ``local_date wall`` or later."""
    target = datetime.combine(local_date, wall)  # naive wall time, compared with naive wall times
    first = datetime.combine(local_date, wall, tzinfo=zone)  # fold=0: the earlier reading if repeated
    first_utc = first.astimezone(UTC)
    if first_utc.astimezone(zone).replace(tzinfo=None) == target:
        return first_utc
    # The wall time falls in a gap. fold=0 and fold=1 read it with the offsets either side of the
    # transition, so the transition lies between the two instants: find it by bisection. tzdata
    # transitions are on whole seconds, and a gap is at most a day, so ~17 steps.
    other_utc = first.replace(fold=1).astimezone(UTC)
    before, after = min(first_utc, other_utc), max(first_utc, other_utc)
    step = timedelta(seconds=1)
    while after - before > step:
        middle = before + (after - before) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= target:
            after = middle
        else:
            before = middle
    return after


@dataclass(frozen=True, slots=True)
class Schedule:
    """A digest schedule: ``time_of_day`` (naive, whole minutes) in ``timezone`` on ``days``."""

    time_of_day: time
    timezone: ZoneInfo
    days: Days

    def __post_init__(self) -> None:
        if self.time_of_day.tzinfo is not None:
            raise ValueError("time_of_day must be a naive wall-clock time; the zone goes in timezone")
        if self.time_of_day.second or self.time_of_day.microsecond:
            raise ValueError(f"time_of_day must be whole minutes, got {self.time_of_day.isoformat()}")
        if not isinstance(self.timezone, ZoneInfo):
            raise TypeError(f"timezone must be a ZoneInfo, got {type(self.timezone).__name__}")
        if self.time_of_day.fold:
            object.__setattr__(self, "time_of_day", self.time_of_day.replace(fold=0))

    @property
    def timezone_name(self) -> str:
        return self.timezone.key if self.timezone.key is not None else str(self.timezone)

    def slot_on(self, local_date: date) -> Slot | None:
        """The slot for ``local_date``, or None if that day isn't selected or never exists locally."""
        if not self.days.includes(local_date):
            return None
        day_start = _first_instant_at_or_after(local_date, time(0, 0), self.timezone)
        if day_start.astimezone(self.timezone).date() != local_date:
            return None  # the whole date was skipped, like Pacific/Apia on 2011-12-30
        fire_at = _first_instant_at_or_after(local_date, self.time_of_day, self.timezone)
        return Slot(local_date=local_date, fire_at=fire_at)

    def next_slot(self, after: datetime) -> Slot:
        """The first slot whose ``fire_at`` is strictly after the aware instant ``after``."""
        _require_aware(after, "after")
        # Slots of earlier local dates can't be due after ``after``: their wall time comes before
        # ``after``'s date, so the clock read it no later than it first read that date. And fire_at
        # never decreases as the date advances, so the first candidate past ``after`` is the earliest.
        day = after.astimezone(self.timezone).date()
        for _ in range(14):  # seven days, plus room for dates a zone skipped
            slot = self.slot_on(day)
            if slot is not None and slot.fire_at > after:
                return slot
            day += timedelta(days=1)
        raise AssertionError(f"no slot within two weeks of {after.isoformat()} for {self.describe()}")

    def slots_between(self, start: datetime, end: datetime) -> list[Slot]:
        """Slots with ``start < fire_at <= end``, oldest first (catch-up after downtime)."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        slots: list[Slot] = []
        cursor = start
        while True:
            slot = self.next_slot(cursor)
            if slot.fire_at > end:
                return slots
            slots.append(slot)
            cursor = slot.fire_at

    def count_slots(self, first: date, stop: date) -> int:
        """How many slots fall on the local dates ``first <= date < stop``, without listing them (a year-long
        outage costs the same as a day). Selected weekdays are counted by calendar arithmetic; a date a zone
        skipped entirely (Pacific/Apia, 2011-12-30) moves the UTC offset by about a day, and only then are the
        dates checked one by one."""
        days = (stop - first).days
        if days <= 0:
            return 0
        weeks, extra = divmod(days, 7)
        tail = first + timedelta(days=weeks * 7)
        count = weeks * len(self.days.weekdays) + sum(
            1 for step in range(extra) if self.days.includes(tail + timedelta(days=step))
        )

        def offset(day: date) -> timedelta:
            start = _first_instant_at_or_after(day, time(0, 0), self.timezone).astimezone(self.timezone)
            return start.utcoffset() or timedelta(0)

        if abs(offset(stop) - offset(first)) < timedelta(hours=12):
            return count
        return sum(1 for step in range(days) if self.slot_on(first + timedelta(days=step)) is not None)

    def describe(self) -> str:
        """E.g. ``"07:30 Europe/Paris, weekdays"``."""
        return f"{_hhmm(self.time_of_day)} {self.timezone_name}, {self.days.describe()}"


def parse_schedule(time_text: str, timezone_text: str, days_text: str = "daily") -> Schedule:
    """Parse the three user inputs at once; raises ``ScheduleError`` for the first bad one."""
    return Schedule(
        time_of_day=parse_time_of_day(time_text),
        timezone=parse_timezone(timezone_text),
        days=parse_days(days_text),
    )


def _day_month(moment: datetime) -> str:
    return f"{_DAY_TITLES[moment.weekday()]} {moment.day} {_MONTH_TITLES[moment.month - 1]}"


def format_next_run(slot: Slot, tz: tzinfo) -> str:
    """Local and UTC time of a slot: ``"Mon 4 Mar 07:30 CET (06:30 UTC)"``.

    The UTC part repeats the date when it differs: ``"Tue 5 Mar 07:30 JST (Mon 4 Mar 22:30 UTC)"``.
    English names regardless of locale.
    """
    local = slot.fire_at.astimezone(tz)
    utc = slot.fire_at.astimezone(UTC)
    text = f"{_day_month(local)} {local:%H:%M} {local.tzname()}"
    if local.tzname() == "UTC" and local.utcoffset() == timedelta(0):
        return text
    utc_day = "" if utc.date() == local.date() else f"{_day_month(utc)} "
    return f"{text} ({utc_day}{utc:%H:%M} UTC)"
