"""Frozen rows the repositories return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.story_model import Bullet, Section

_DB_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to storage; use an aware datetime")
    return moment.astimezone(UTC).strftime(_DB_TIME)


def from_db_time(text: str) -> datetime:
    # Fast path for exactly what to_db_time writes ("2024-03-01T09:00:00.000000Z"): fromisoformat is ~50x
    # cheaper than strptime and turns the "Z" into UTC. Any other shape gets strptime's checks and errors.
    if len(text) == 27 and text[10] == "T" and text[19] == "." and text[26] == "Z":
        return datetime.fromisoformat(text)
    return datetime.strptime(text, _DB_TIME).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoryRecord:
    id: int
    slug: str
    scope_id: str | None
    title: str
    dek: str
    summary: str
    published_at: datetime
    timezone_assumed: bool
    reading_minutes: int | None
    source: str | None
    url: str | None
    tags: tuple[str, ...]
    updated_at: datetime
    last_development_at: datetime
    created_at: datetime
    date_assumed: bool = False  # no date in the article: published_at is when it was imported
    published_zone: str = "UTC"  # the zone its date was written in (IANA key, "UTC" or "+05:30")
    author: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # front matter keys briefbot does not use, as written


@dataclass(frozen=True, slots=True)
class DevelopmentRecord:
    id: int
    story_id: int
    headline: str
    body: str
    key_points: tuple[Bullet, ...]
    url: str | None
    source: str | None
    published_at: datetime
    created_at: datetime
    also_reported_by: tuple[str, ...] = ()  # other outlets that reported the same (feeds' duplicates)


@dataclass(frozen=True, slots=True)
class StoryDetail:
    story: StoryRecord
    lead: tuple[str, ...]
    sections: tuple[Section, ...]
    key_points: tuple[Bullet, ...]
    developments: tuple[DevelopmentRecord, ...]

    @property
    def last_development(self) -> DevelopmentRecord | None:
        return self.developments[-1] if self.developments else None


@dataclass(frozen=True, slots=True)
class StoryChoice:
    slug: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestEntry:
    """One story as a digest sorts it, without its text: enough to name it on one line."""

    story_id: int
    slug: str
    title: str
    news: int  # developments recorded since the audience's last digest
    last_development: datetime  # the newest development's own date, else the story's


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestGroup:
    """The first entries of one group of a digest, most recent activity first, and how many there are in all."""

    entries: tuple[DigestEntry, ...]
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestOutline:
    """Every visible story, sorted into a digest's groups; exact counts, only the first entries of each."""

    fresh: DigestGroup  # news since the last digest, or added since
    steady: DigestGroup
    quiet: DigestGroup  # no activity for a while (only when there was a last digest)

    @property
    def total(self) -> int:
        return self.fresh.count + self.steady.count + self.quiet.count


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestStory:
    story: StoryRecord
    key_points: tuple[Bullet, ...]
    news: tuple[DevelopmentRecord, ...]
