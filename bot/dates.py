"""Publication dates as articles write them, read into an aware UTC instant and the zone they were written in.

Fast paths first, because most dates are in a few shapes and import must stay fast: ISO 8601
(`datetime.fromisoformat`), RFC 2822 (`email.utils`), and one compiled pattern for the seed's English shape
("February 28, 2024 07:12", "9:17 PM, January 6, 2024"). Anything else goes to `dateparser`, restricted to
the languages briefbot reads (about 1 ms a date instead of about 25 ms with every language).

Zones: an abbreviation is mapped to a real IANA zone. A daylight-neutral one (ET, PT, CET written as "ET")
follows that zone's DST; a standard or daylight one (EST, EDT, BST, …) keeps its own offset, so "EST" in July
is still UTC-5 (a fixed offset then, since New York is not at -5 in July). CST is US Central (not China), IST is
India. A date with no zone is read in the default zone, and the result says the zone was assumed.

A date without a year ("SEOUL, Feb 28 (Reuters)") is the most recent such day not more than two days after
the reference time (the import time): a wire story is read soon after it is filed, and two days allow for
zones ahead of the importer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANGUAGES = ("en", "de", "fr", "es", "ko", "ja", "zh")
MIN_YEAR, MAX_YEAR = 1900, 2200
YEARLESS_LEEWAY = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class ReadDate:
    """`instant` is aware UTC; `zone` is the IANA key, "UTC" or "+05:30" the wall time was read in."""

    instant: datetime
    zone: str
    zone_assumed: bool


# --- zones -----------------------------------------------------------------------------------------

# abbreviation -> (IANA zone, its fixed offset in hours; None for a name that follows the zone's DST)
ZONE_ABBREVIATIONS: dict[str, tuple[str, float | None]] = {
    "UTC": ("UTC", 0), "GMT": ("UTC", 0), "UT": ("UTC", 0), "Z": ("UTC", 0),
    "ET": ("America/New_York", None), "EST": ("America/New_York", -5), "EDT": ("America/New_York", -4),
    "CT": ("America/Chicago", None), "CST": ("America/Chicago", -6), "CDT": ("America/Chicago", -5),
    "MT": ("America/Denver", None), "MST": ("America/Denver", -7), "MDT": ("America/Denver", -6),
    "PT": ("America/Los_Angeles", None), "PST": ("America/Los_Angeles", -8), "PDT": ("America/Los_Angeles", -7),
    "AKST": ("America/Anchorage", -9), "AKDT": ("America/Anchorage", -8), "HST": ("Pacific/Honolulu", -10),
    "AST": ("America/Halifax", -4), "ADT": ("America/Halifax", -3),
    "NST": ("America/St_Johns", -3.5), "NDT": ("America/St_Johns", -2.5),
    "WET": ("Europe/Lisbon", 0), "WEST": ("Europe/Lisbon", 1), "BST": ("Europe/London", 1),
    "CET": ("Europe/Paris", 1), "CEST": ("Europe/Paris", 2), "MEZ": ("Europe/Berlin", 1), "MESZ": ("Europe/Berlin", 2),
    "EET": ("Europe/Athens", 2), "EEST": ("Europe/Athens", 3), "MSK": ("Europe/Moscow", 3),
    "IST": ("Asia/Kolkata", 5.5), "PKT": ("Asia/Karachi", 5), "ICT": ("Asia/Bangkok", 7), "WIB": ("Asia/Jakarta", 7),
    "HKT": ("Asia/Hong_Kong", 8), "SGT": ("Asia/Singapore", 8), "PHT": ("Asia/Manila", 8),
    "AWST": ("Australia/Perth", 8), "KST": ("Asia/Seoul", 9), "JST": ("Asia/Tokyo", 9),
    "ACST": ("Australia/Adelaide", 9.5), "ACDT": ("Australia/Adelaide", 10.5),
    "AET": ("Australia/Sydney", None), "AEST": ("Australia/Sydney", 10), "AEDT": ("Australia/Sydney", 11),
    "NZST": ("Pacific/Auckland", 12), "NZDT": ("Pacific/Auckland", 13),
}  # fmt: skip
# Zone words in the other scripts briefbot reads.
ZONE_WORDS: dict[str, tuple[str, float | None]] = {
    "北京时间": ("Asia/Shanghai", 8), "北京時間": ("Asia/Shanghai", 8), "日本時間": ("Asia/Tokyo", 9),
    "한국시간": ("Asia/Seoul", 9), "한국 시간": ("Asia/Seoul", 9),
}  # fmt: skip

# A run of capitals standing alone, perhaps in brackets: looked up in ZONE_ABBREVIATIONS.
_CAPITALS = re.compile(r"(?<![\w])\(?(?P<abbr>[A-Z]{1,5})\)?(?![\w])")
_ZONE_WORD = re.compile(r"\(?(?:" + "|".join(map(re.escape, ZONE_WORDS)) + r")\)?")
_NAMED_OFFSET = re.compile(r"\b(?:UTC|GMT)\s*(?P<sign>[+-−])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?(?!\d)")
_TRAILING_OFFSET = re.compile(r"\s*(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})$")
_TRAILING_IANA = re.compile(r"\s*\b(?P<iana>[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)$")


@dataclass(frozen=True, slots=True)
class _Zone:
    iana: str | None  # None for a bare offset
    offset: timedelta | None  # None: follow the IANA zone's DST

    def attach(self, naive: datetime) -> tuple[datetime, str]:
        if self.iana is None or self.iana == "UTC":
            offset = self.offset or timedelta(0)
            return naive.replace(tzinfo=timezone(offset)), format_offset(offset) if self.iana is None else "UTC"
        zone = ZoneInfo(self.iana)
        if self.offset is None:
            return naive.replace(tzinfo=zone), self.iana
        for fold in (0, 1):  # the repeated hour in autumn: EDT is the first, EST the second
            aware = naive.replace(tzinfo=zone, fold=fold)
            if aware.utcoffset() == self.offset:
                return aware, self.iana
        return naive.replace(tzinfo=timezone(self.offset)), format_offset(self.offset)


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset(sign: str, hours: str, minutes: str | None, written: str) -> timedelta:
    total = int(hours) * 60 + int(minutes or 0)
    if total > 18 * 60:
        raise ValueError(f"offset {written.strip()} is out of range")
    return timedelta(minutes=-total if sign in "-−" else total)


def _zone_spec(iana: str, hours: float | None) -> _Zone:
    return _Zone(iana, None if hours is None else timedelta(hours=hours))


def split_zone(text: str) -> tuple[str, _Zone | None]:
    """The text without its zone, and the zone (None when it names none). Raises ValueError for a bad zone."""
    if match := _NAMED_OFFSET.search(text):
        zone = _Zone(None, _offset(match["sign"], match["hours"], match["minutes"], match[0]))
        return _cut(text, match), zone
    if not text.isascii() and (match := _ZONE_WORD.search(text)):
        return _cut(text, match), _zone_spec(*ZONE_WORDS[match[0].strip("()")])
    for match in _CAPITALS.finditer(text):
        if match["abbr"] in ZONE_ABBREVIATIONS:
            return _cut(text, match), _zone_spec(*ZONE_ABBREVIATIONS[match["abbr"]])
    if ("+" in text or "-" in text) and (match := _TRAILING_OFFSET.search(text)):
        return _cut(text, match), _Zone(None, _offset(match["sign"], match["hours"], match["minutes"], match[0]))
    if "/" in text and (match := _TRAILING_IANA.search(text)):
        name = match["iana"]
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder such as America/Argentina
            raise ValueError(f"unknown time zone {name!r}") from exc
        return _cut(text, match), _Zone(name, None)
    return text, None


def _cut(text: str, match: re.Match[str]) -> str:
    rest = f"{text[: match.start()]} {text[match.end() :]}"
    return re.sub(r"\s+([,;])", r"\1", re.sub(r"\s+", " ", rest)).strip(" ,;")


def _default_zone_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)
    if key:
        return str(key)
    offset = zone.utcoffset(None)
    if offset is None or offset == timedelta(0):
        return "UTC"
    return format_offset(offset)


# --- fast paths ------------------------------------------------------------------------------------

_EN_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_TIME = r"(?P<{p}h>\d{{1,2}}):(?P<{p}m>\d{{2}})(?::(?P<{p}s>\d{{2}}))?(?:\s*(?P<{p}ampm>[AaPp])\.?\s*[Mm]\.?)?"
# "February 28, 2024 07:12", "Feb. 28th, 2024, 7:12 a.m.", "9:17 PM, January 6, 2024"
_ENGLISH = re.compile(
    r"^(?:" + _TIME.format(p="a") + r",?\s+)?"
    r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
    r"(?:,?\s+(?:at\s+)?" + _TIME.format(p="b") + r")?$"
)
_RFC_2822 = re.compile(r"^(?:[A-Z][a-z]{2},\s*)?\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\s+\d{1,2}:\d{2}")
_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")


# "28.02.2024 07:12": day first, as everywhere dots are used (dateparser reads it month first in English).
_DOTTED = re.compile(
    r"^(?P<day>\d{1,2})\.\s?(?P<month>\d{1,2})\.\s?(?P<year>\d{4}),?(?:\s+(?P<h>\d{1,2}):(?P<m>\d{2}))?"
)


def _dotted(text: str) -> datetime | None:
    match = _DOTTED.match(text)
    if not match or text[match.end() :].strip().lower() not in ("", "uhr", "h"):
        return None
    hour, minute = int(match["h"] or 0), int(match["m"] or 0)
    return datetime(int(match["year"]), int(match["month"]), int(match["day"]), hour, minute)  # noqa: DTZ001


def _english(text: str) -> datetime | None:
    """The seed's shape without dateparser. None when it is not this shape; ValueError when it is but is wrong."""
    match = _ENGLISH.match(text)
    if not match:
        return None
    month = _EN_MONTHS.get(match["month"].lower())
    if month is None:
        return None
    prefix = "a" if match["ah"] is not None else "b"
    hour = minute = second = 0
    if match[f"{prefix}h"] is not None:
        hour, minute = int(match[f"{prefix}h"]), int(match[f"{prefix}m"])
        second = int(match[f"{prefix}s"] or 0)
        if ampm := match[f"{prefix}ampm"]:
            if not 1 <= hour <= 12:
                raise ValueError(f"{hour} is not an hour on a 12-hour clock")
            hour = hour % 12 + (12 if ampm in "Pp" else 0)
    return datetime(int(match["year"]), month, int(match["day"]), hour, minute, second)  # noqa: DTZ001


# --- dateparser ------------------------------------------------------------------------------------

_FRENCH_HOURS = re.compile(r"(\d{1,2})\s*h\s*(\d{2})\b")


def _with_dateparser(text: str, reference: datetime) -> datetime | None:
    # Imported here: the fast paths cover most articles, and a worker process should not pay for it.
    import dateparser

    # The latest moment a year-less date may fall on; a whole day, so the settings repeat and stay cached.
    base = (reference.astimezone(UTC) + YEARLESS_LEEWAY).replace(hour=23, minute=59, second=59, microsecond=0)
    return dateparser.parse(
        _FRENCH_HOURS.sub(r"\1:\2", text),
        languages=list(LANGUAGES),
        settings={
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": base.replace(tzinfo=None),
            "REQUIRE_PARTS": ["day", "month"],
            # No relative ("2 hours ago"), timestamp or no-spaces parsers: a bare number is not a date here.
            "PARSERS": ["custom-formats", "absolute-time"],
        },
    )


# --- reading ---------------------------------------------------------------------------------------


def read_date(text: str, default_tz: tzinfo = UTC, now: datetime | None = None) -> ReadDate:
    """Reads one date. Raises ValueError, with a reason, when `text` is not a date briefbot can read."""
    raw = re.sub(r"\s+", " ", text.strip())
    if not raw:
        raise ValueError("the date is empty")
    reference = now or datetime.now(UTC)
    parsed: datetime | None = None
    zone: _Zone | None = None
    if _ISO_START.match(raw):
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
    if parsed is None and _RFC_2822.match(raw):
        import email.utils  # only this shape needs it

        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None and raw.rstrip().endswith("-0000"):
            parsed = parsed.replace(tzinfo=None)  # RFC 2822: "-0000" means the zone is unknown
    if parsed is None:
        rest, zone = split_zone(raw)
        parsed = _english(rest) or _dotted(rest)
        if parsed is None and _ISO_START.match(rest):
            try:
                parsed = datetime.fromisoformat(rest)
            except ValueError:
                parsed = None
        if parsed is None:
            parsed = _with_dateparser(rest, reference)
        if parsed is None:
            raise ValueError(f"cannot read {text.strip()[:80]!r} as a date; write it like 'February 28, 2024 07:12'")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"year {parsed.year} is out of range")
    if parsed.tzinfo is not None:
        offset = parsed.utcoffset() or timedelta(0)
        name = "UTC" if offset == timedelta(0) else format_offset(offset)
        return ReadDate(parsed.astimezone(UTC), name, False)
    if zone is not None:
        aware, name = zone.attach(parsed)
        return ReadDate(aware.astimezone(UTC), name, False)
    return ReadDate(parsed.replace(tzinfo=default_tz).astimezone(UTC), _default_zone_name(default_tz), True)


def parse_datetime(text: str, default_tz: tzinfo) -> tuple[datetime, bool]:
    """Returns (aware UTC datetime, zone_was_assumed). Raises ValueError when unreadable."""
    read = read_date(text, default_tz)
    return read.instant, read.zone_assumed
