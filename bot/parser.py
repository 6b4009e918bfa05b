"""Turn an article (the seed's plain-text form, or Markdown with front matter) into a Story."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.story_model import Bullet, Section, SectionKind, Story, slugify
from bot.summarizer import ExtractiveSummarizer, Summarizer, SummaryInput

MAX_ARTICLE_BYTES = 1024 * 1024
KEY_POINTS_FALLBACK_COUNT = 3
FRONT_MATTER_KEYS = frozenset({"title", "date", "source", "url", "tags", "follows", "slug", "dek"})

_DEFAULT_SUMMARIZER = ExtractiveSummarizer()


class ParseError(ValueError):
    """Bad input, with the file and line it was found on."""

    def __init__(self, origin: str, line: int | None, message: str) -> None:
        self.origin = origin
        self.line = line
        self.message = message
        where = f"{origin}:{line}" if line else origin
        super().__init__(f"{where}: {message}")


@dataclass(slots=True)
class _Line:
    number: int
    text: str


@dataclass(slots=True)
class _SectionBuilder:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[Bullet] = field(default_factory=list)

    def build(self) -> Section:
        return Section(
            self.heading.removesuffix(":").strip(),
            SectionKind.for_heading(self.heading),
            tuple(self.paragraphs),
            tuple(self.bullets),
        )


# --- dates -----------------------------------------------------------------------------------------

_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE_LIKE = re.compile(
    rf"^(?:(?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})[a-z]*\.?,?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
_ZONE_SUFFIX = re.compile(
    r"\s*(?:\b(?P<name>UTC|GMT|Z)|(?P<offset>[+-]\d{2}:?\d{2})|\b(?P<iana>[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?))$"
)
_DATE_FORMATS = (
    "%B %d, %Y %H:%M",
    "%B %d, %Y %H:%M:%S",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y",
    "%b %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y",
    "%B %d %Y %H:%M",
    "%B %d %Y",
    "%d %B %Y %H:%M",
    "%d %B %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)


def looks_like_date(text: str) -> bool:
    return bool(_DATE_LIKE.match(text.strip()))


def parse_datetime(text: str, default_tz: tzinfo) -> tuple[datetime, bool]:
    """Returns (aware UTC datetime, zone_was_assumed). Raises ValueError when unreadable."""
    raw = re.sub(r"\s+", " ", text.strip())
    raw = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", raw)
    raw = re.sub(r"\b([A-Za-z]{3,9})\.", r"\1", raw)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = None
    zone: tzinfo | None = None
    if parsed is None:
        match = _ZONE_SUFFIX.search(raw)
        if match:
            zone = _zone_from_suffix(match)
            raw = raw[: match.start()].strip()
        parsed = _strptime_any(raw)
    if parsed.tzinfo is not None:
        zone = parsed.tzinfo
        parsed = parsed.replace(tzinfo=None)
    if not 1900 <= parsed.year <= 2200:
        raise ValueError(f"year {parsed.year} is out of range")
    assumed = zone is None
    aware = parsed.replace(tzinfo=zone or default_tz)
    return aware.astimezone(UTC), assumed


def _zone_from_suffix(match: re.Match[str]) -> tzinfo:
    if match.group("name"):
        return UTC
    if match.group("offset"):
        digits = match.group("offset").replace(":", "")
        sign = -1 if digits[0] == "-" else 1
        minutes = int(digits[1:3]) * 60 + int(digits[3:5])
        if minutes > 18 * 60:
            raise ValueError(f"offset {match.group('offset')} is out of range")
        return timezone(sign * timedelta(minutes=minutes))
    try:
        return ZoneInfo(match.group("iana"))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder such as America/Argentina
        raise ValueError(f"unknown time zone {match.group('iana')!r}") from exc


def _strptime_any(raw: str) -> datetime:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, pattern)  # noqa: DTZ007 - the zone is attached by the caller
        except ValueError:
            continue
    raise ValueError(f"cannot read {raw!r} as a date; write it like 'February 28, 2024 07:12'")


# --- lines -----------------------------------------------------------------------------------------

_READING_TIME = re.compile(r"^(\d{1,3})\s*(?:min|mins|minute|minutes)\s+read$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+(?P<body>.+)$")
_MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
_LABEL = re.compile(r"^(?P<label>[^:.!?]{1,80}):\s+(?P<text>\S.*)$")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into is are of on or the to vs via with about over after".split()
)
_LEAD_IN_ENDINGS = frozenset(
    "to for include includes including are is as following like by with the of and that these".split()
)


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")


def _strip_markdown(text: str) -> str:
    # Most lines have none of these characters, and then neither pattern can match.
    if "[" in text or "*" in text or "_" in text or "`" in text:
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_EMPHASIS.sub("", text)
    return text.strip()


def _is_heading(text: str) -> bool:
    if not text.endswith((":", "?")) or len(text) > 100:
        return False
    words = text[:-1].split()
    if not words or len(words) > 10:
        return False
    if words[-1].lower() in _LEAD_IN_ENDINGS:
        return False
    if len(words) <= 3 and words[0][:1].isupper():
        return True
    significant = [w for i, w in enumerate(words) if i == 0 or w.lower() not in _SMALL_WORDS]
    return all(w[:1].isupper() or w[:1].isdigit() or w[:1] in "\"'(" for w in significant)


def bullet_line(line: str) -> Bullet | None:
    """`- Label: text` (or `* …`, `1. …`) as a Bullet; None when the line is not a bullet."""
    match = _BULLET.match(line)
    return _bullet(match.group("body")) if match else None


def _bullet(body: str) -> Bullet:
    body = _strip_markdown(body)
    match = _LABEL.match(body)
    if match and len(match.group("label").split()) <= 8:
        return Bullet(match.group("label").strip(), match.group("text").strip())
    return Bullet("", body)


def _decode(data: bytes | str, origin: str) -> str:
    if isinstance(data, str):
        raw = data.encode("utf-8", "surrogatepass")
        text = data
    else:
        raw = data
        text = ""
    if len(raw) > MAX_ARTICLE_BYTES:
        line = raw.count(b"\n", 0, MAX_ARTICLE_BYTES) + 1
        raise ParseError(origin, line, "file is larger than the 1 MiB limit (the limit is passed on this line)")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise ParseError(origin, raw.count(b"\n", 0, nul) + 1, "binary data (NUL byte); expected UTF-8 text")
    if isinstance(data, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ParseError(origin, line, "not UTF-8 text; save the file as UTF-8") from None
    else:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            line = text.count("\n", 0, exc.start) + 1
            raise ParseError(origin, line, "contains characters that are not valid Unicode text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ParseError(origin, 1, "file is empty")
    return text


# --- documents -------------------------------------------------------------------------------------


def parse_article(
    data: bytes | str,
    origin: str,
    default_tz: tzinfo = UTC,
    summarizer: Summarizer = _DEFAULT_SUMMARIZER,
) -> Story:
    """Parse one article. Raises ParseError naming `origin` and the line on bad input."""
    text = _decode(data, origin)
    lines = [_Line(number, line.strip()) for number, line in enumerate(text.split("\n"), start=1)]
    meta: dict[str, str] = {}
    markdown = False
    if lines[0].text == "---":
        meta, lines = _front_matter(lines, origin)
        markdown = True
    content = [line for line in lines if line.text]
    if not content:
        raise ParseError(origin, lines[-1].number if lines else 1, "there is no article text after the front matter")
    markdown = markdown or any(_MD_HEADING.match(line.text) for line in content[:1])
    return _build_story(content, meta, markdown, origin, default_tz, summarizer, text)


def _front_matter(lines: list[_Line], origin: str) -> tuple[dict[str, str], list[_Line]]:
    meta: dict[str, str] = {}
    closing = next((i for i, line in enumerate(lines[1:], start=1) if line.text in ("---", "...")), None)
    if closing is None:
        raise ParseError(origin, lines[0].number, "front matter opened here is never closed with '---'")
    for line in lines[1:closing]:
        if not line.text or line.text.startswith("#"):
            continue
        key, sep, value = line.text.partition(":")
        key = key.strip().lower()
        if not sep or not re.fullmatch(r"[a-z_]+", key):
            raise ParseError(origin, line.number, f"front matter line must be 'key: value', got {line.text[:60]!r}")
        if key not in FRONT_MATTER_KEYS:
            allowed = ", ".join(sorted(FRONT_MATTER_KEYS))
            raise ParseError(origin, line.number, f"unknown front matter key {key!r}; known keys: {allowed}")
        meta[key] = value.strip().strip("\"'")
        meta[f"{key}@line"] = str(line.number)
    return meta, lines[closing + 1 :]


def _build_story(
    content: list[_Line],
    meta: dict[str, str],
    markdown: bool,
    origin: str,
    default_tz: tzinfo,
    summarizer: Summarizer,
    full_text: str,
) -> Story:
    position = 0
    title = meta.get("title", "")
    if not title:
        first = content[0].text
        heading = _MD_HEADING.match(first)
        title = _strip_markdown(heading.group("text") if heading else first)
        position = 1
    elif _MD_HEADING.match(content[0].text) and content[0].text.lstrip("#").strip() == title:
        position = 1
    if len(title) > 300:
        raise ParseError(origin, content[0].number, "title is longer than 300 characters")

    reading_minutes: int | None = None
    if position < len(content) and (match := _READING_TIME.match(content[position].text)):
        reading_minutes = int(match.group(1))
        position += 1

    published: tuple[datetime, bool] | None = None
    if "date" in meta:
        try:
            published = parse_datetime(meta["date"], default_tz)
        except ValueError as exc:
            raise ParseError(origin, int(meta["date@line"]), f"cannot parse date: {exc}") from None

    dek_lines: list[str] = []
    if published is None:
        for offset, line in enumerate(content[position : position + 6]):
            if looks_like_date(line.text):
                try:
                    published = parse_datetime(line.text, default_tz)
                except ValueError as exc:
                    raise ParseError(origin, line.number, f"cannot parse date: {exc}") from None
                dek_lines = [_strip_markdown(x.text) for x in content[position : position + offset]]
                position += offset + 1
                break
    if published is None:
        where = content[min(position, len(content) - 1)].number
        raise ParseError(
            origin,
            where,
            "no publication date: add a line like 'February 28, 2024 07:12' under the title"
            " (or 'date:' in the front matter)",
        )

    lead, sections = _body(content[position:], markdown)
    dek = meta.get("dek") or " ".join(dek_lines)
    if not dek and lead:
        dek, lead = lead[0], lead[1:]

    all_paragraphs = [*lead, *(p for s in sections for p in s.paragraphs)]
    summary_input = SummaryInput(title=title, dek=dek, paragraphs=all_paragraphs)
    key_section = next((s for s in sections if s.kind is SectionKind.KEY_POINTS and s.bullets), None)
    if key_section is not None:
        key_points = key_section.bullets
    else:
        bullets_pool = [*all_paragraphs, *(b.render() for s in sections for b in s.bullets)]
        key_input = SummaryInput(title=title, dek="", paragraphs=bullets_pool or [dek])
        key_points = tuple(Bullet("", s) for s in summarizer.top_sentences(key_input, KEY_POINTS_FALLBACK_COUNT))

    tags = tuple(t.strip() for t in meta.get("tags", "").strip("[]").split(",") if t.strip())
    return Story(
        slug=slugify(meta.get("slug") or title),
        title=title,
        dek=dek,
        published_at=published[0],
        timezone_assumed=published[1],
        reading_minutes=reading_minutes,
        lead=tuple(lead),
        sections=tuple(sections),
        key_points=tuple(key_points),
        summary=summarizer.summarize(summary_input),
        source=meta.get("source") or None,
        url=meta.get("url") or None,
        tags=tags,
        follows=meta.get("follows") or None,
        content_hash=hashlib.sha256(full_text.strip().encode("utf-8")).hexdigest(),
    )


def _body(lines: list[_Line], markdown: bool) -> tuple[list[str], list[Section]]:
    lead: list[str] = []
    sections: list[_SectionBuilder] = []
    for line in lines:
        text = line.text
        current = sections[-1] if sections else None
        heading = _MD_HEADING.match(text) if markdown else None
        if heading:
            sections.append(_SectionBuilder(_strip_markdown(heading.group("text"))))
        elif bullet := _BULLET.match(text):
            if current is None:
                lead.append(_bullet(bullet.group("body")).render())
            else:
                current.bullets.append(_bullet(bullet.group("body")))
        elif _is_heading(_strip_markdown(text)):
            sections.append(_SectionBuilder(_strip_markdown(text)))
        else:
            (current.paragraphs if current else lead).append(_strip_markdown(text))
    return lead, [s.build() for s in sections]
