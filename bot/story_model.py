"""What a parsed article is: a Story with its sections and labelled key points."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SectionKind(StrEnum):
    KEY_POINTS = "key_points"
    WHY = "why"
    OUTCOMES = "outcomes"
    OUTLOOK = "outlook"
    OTHER = "other"

    @classmethod
    def for_heading(cls, heading: str) -> SectionKind:
        text = heading.lower()
        if re.search(r"\bkey (points?|takeaways?|facts?)\b|\bhighlights\b|\bat a glance\b", text):
            return cls.KEY_POINTS
        if text.startswith("why"):
            return cls.WHY
        if re.search(r"\boutcomes?\b|\bimpacts?\b|\bconsequences\b|\bimplications\b", text):
            return cls.OUTCOMES
        if re.search(r"\blooking ahead\b|\boutlook\b|\bwhat'?s next\b|\bnext steps\b|\bwhat to watch\b", text):
            return cls.OUTLOOK
        return cls.OTHER


@dataclass(frozen=True, slots=True)
class Bullet:
    label: str
    text: str

    def render(self) -> str:
        return f"{self.label}: {self.text}" if self.label else self.text


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    kind: SectionKind
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[Bullet, ...] = ()

    def plain_text(self) -> str:
        return "\n".join([*self.paragraphs, *(b.render() for b in self.bullets)])


@dataclass(frozen=True, slots=True)
class Story:
    """An article, parsed. `follows` is set when the document develops another story."""

    slug: str
    title: str
    dek: str
    published_at: datetime
    timezone_assumed: bool
    reading_minutes: int | None
    lead: tuple[str, ...]
    sections: tuple[Section, ...]
    key_points: tuple[Bullet, ...]
    summary: str
    source: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    follows: str | None = None
    content_hash: str = field(default="", compare=False)

    def section(self, kind: SectionKind) -> Section | None:
        return next((s for s in self.sections if s.kind is kind), None)

    def search_sections_text(self) -> str:
        return "\n".join([self.dek, *self.lead, *(f"{s.heading}\n{s.plain_text()}" for s in self.sections)])

    def search_key_points_text(self) -> str:
        return "\n".join(b.render() for b in self.key_points)


_SLUG_WORDS_MAX = 6
SLUG_MAX_CHARS = 60  # Discord caps an autocomplete choice's value at 100; collisions add "-N"
_SLUG_TRAILING_WORDS = frozenset({"a", "an", "and", "the", "of", "to", "in", "on", "for", "with", "at", "by"})


def slugify(text: str, max_words: int = _SLUG_WORDS_MAX) -> str:
    """`Zuckerberg Visits South Korea to Discuss AI…` -> `zuckerberg-visits-south-korea-to-discuss`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text.replace("'", "")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:max_words]
    while len(words) > 1 and words[-1] in _SLUG_TRAILING_WORDS:
        words.pop()
    slug = "-".join(words)[:SLUG_MAX_CHARS].strip("-")
    if not slug:  # a title with no Latin letters or digits still gets a stable, distinct slug
        slug = "story-" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return slug
