"""Dates as an audience reads them: in its own time zone, and naming that zone (stored times are UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def zone_name(zone: tzinfo) -> str:
    """The IANA name (`America/New_York`), or what the zone calls itself."""
    return getattr(zone, "key", None) or str(zone)


def _abbreviation(local: datetime) -> str:
    """`EST`, `CET`, `UTC`; a zone whose abbreviation is only an offset (`-03`) is named in full instead."""
    name = local.tzname() or ""
    return name if name.isalpha() else f"({zone_name(local.tzinfo)})" if local.tzinfo else name


def moment(when: datetime, zone: tzinfo) -> str:
    """`6 Jan 2024, 21:17 EST`."""
    local = when.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {_abbreviation(local)}"


def short_moment(when: datetime, zone: tzinfo) -> str:
    """`06 Jan 21:17 EST`, for recent events (no year)."""
    local = when.astimezone(zone)
    return f"{local:%d %b %H:%M} {_abbreviation(local)}"


def day(when: datetime, zone: tzinfo) -> str:
    """`6 Jan 2024`, the local date: name the zone nearby (see `dates_in`)."""
    local = when.astimezone(zone)
    return f"{local.day} {local:%b %Y}"


def day_in_year(when: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """`30 Nov` in the current year (in `zone`), `30 Nov 2023` in another."""
    local = when.astimezone(zone)
    this_year = (now or datetime.now(UTC)).astimezone(zone).year
    return f"{local.day} {local:%b}" if local.year == this_year else f"{local.day} {local:%b %Y}"


def short_day(when: datetime, zone: tzinfo) -> str:
    """`06 Jan`, the local date."""
    return f"{when.astimezone(zone):%d %b}"


def dates_in(zone: tzinfo) -> str:
    """`dates in America/New_York`: for a footer under local dates."""
    return f"dates in {zone_name(zone)}"
