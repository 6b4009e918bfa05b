"""What a parsed article is: a Story with its sections and labelled key points."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from anyascii import anyascii


class SectionKind(StrEnum):
    KEY_POINTS = "key_points"
    WHY = "why"
    OUTCOMES = "outcomes"
    OUTLOOK = "outlook"
    OTHER = "other"

    @classmethod
    def for_heading(cls, heading: str) -> SectionKind:
        text = heading.lower().lstrip("¿¡ ")
        # Most headings have no kind: one cheap look for a word that could give one before the patterns.
        if _KIND_WORDS.isdisjoint(_WORD.findall(text)) and (text.isascii() or not any(w in text for w in _KIND_CJK)):
            return cls.OTHER
        for kind, pattern in _KIND_PATTERNS:
            if pattern.search(text):
                return kind
        return cls.OTHER


# English, German, French, Spanish, Korean, Japanese and Chinese wordings of the headings that have a kind.
# _KIND_WORDS and _KIND_CJK hold a word of each wording in _KIND_PATTERNS: a heading with none has no kind.
_WORD = re.compile(r"\w+")
_KIND_WORDS = frozenset(
    """key highlights glance wichtigste wichtigsten blick point points essentiel bref puntos claves importante
    know why warum weshalb pourquoi por outcome outcomes impact impacts consequences implications folgen auswirkungen
    conséquences consecuencias impacto looking outlook next watch ausblick weiter perspective perspectives
    maintenant suite sigue próximos perspectiva perspectivas""".split()
)
_KIND_CJK = (
    "핵심", "요점", "주요", "要点", "ポイント", "重点", "왜", "なぜ", "为什么", "為什麼",
    "영향", "影響", "影响", "后果", "전망", "향후", "今後", "展望", "下一步", "前景",
)  # fmt: skip
_KIND_PATTERNS = (
    (
        SectionKind.KEY_POINTS,
        re.compile(
            r"\bkey (points?|takeaways?|facts?)\b|\bhighlights\b|\bat a glance\b|\bdas wichtigste\b"
            r"|\bwichtigsten? punkte\b|\bauf einen blick\b|\bpoints? clés?\b|\bl'essentiel\b|\ben bref\b"
            r"|\bpuntos clave\b|\blas claves\b|\blo más importante\b|\bwhat (?:we|to) know\b"
            r"|핵심|요점|주요 내용|要点|ポイント|重点"
        ),
    ),
    (SectionKind.WHY, re.compile(r"^(why|warum|weshalb|pourquoi|por qué|왜|なぜ|为什么|為什麼)")),
    (
        SectionKind.OUTCOMES,
        re.compile(
            r"\boutcomes?\b|\bimpacts?\b|\bconsequences\b|\bimplications\b|\bfolgen\b|\bauswirkungen\b"
            r"|\bconséquences\b|\bconsecuencias\b|\bimpacto\b|영향|影響|影响|后果"
        ),
    ),
    (
        SectionKind.OUTLOOK,
        re.compile(
            r"\blooking ahead\b|\boutlook\b|\bwhat(?:'?s| happens| comes) next\b|\bnext steps\b|\bwhat to watch\b"
            r"|\bausblick\b"
            r"|\bwie geht es weiter\b|\bperspectives?\b|\bet maintenant\b|\bla suite\b|\bqué sigue\b"
            r"|\bpróximos pasos\b|\bperspectivas?\b|전망|향후|今後|展望|下一步|前景"
        ),
    ),
)


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
    # No date in the article: published_at is the import time. Shown as "no date given; imported 30 Nov".
    date_assumed: bool = False
    # The zone the date was written in (IANA key, "UTC" or "+05:30"); the default zone when it was assumed.
    published_zone: str = "UTC"
    author: str | None = None
    # Front matter keys briefbot does not use, kept as written: (("image", "/a.png"), ("categories", "a, b")).
    extra: tuple[tuple[str, str], ...] = ()

    def section(self, kind: SectionKind) -> Section | None:
        return next((s for s in self.sections if s.kind is kind), None)

    def search_sections_text(self) -> str:
        return "\n".join([self.dek, *self.lead, *(f"{s.heading}\n{s.plain_text()}" for s in self.sections)])

    def search_key_points_text(self) -> str:
        return "\n".join(b.render() for b in self.key_points)


_SLUG_WORDS_MAX = 6
SLUG_MAX_CHARS = 60  # Discord caps an autocomplete choice's value at 100; collisions add "-N"
_SLUG_TRAILING_WORDS = frozenset({"a", "an", "and", "the", "of", "to", "in", "on", "for", "with", "at", "by"})
_IDEOGRAPHS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def slugify(text: str, max_words: int = _SLUG_WORDS_MAX) -> str:
    """`Zuckerberg Visits South Korea to Discuss AI…` -> `zuckerberg-visits-south-korea-to-discuss`.

    Other scripts are transliterated with anyascii: `한국은행, 기준금리 동결` -> `hangugeunhaeng-gijungeumli-donggyeol`.
    Chinese characters have no spaces between words, so each one is a syllable of its own and a title of them
    gets twice as many (`美联储宣布维持利率不变` -> `mei-lian-chu-xuan-bu-wei-chi-li-lu-bu`)."""
    if not text.isascii() and _IDEOGRAPHS.search(text):
        text = _IDEOGRAPHS.sub(lambda m: f" {m[0]} ", text)
        max_words *= 2
    ascii_text = anyascii(text).replace("'", "")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:max_words]
    while len(words) > 1 and words[-1] in _SLUG_TRAILING_WORDS:
        words.pop()
    slug = "-".join(words)[:SLUG_MAX_CHARS].strip("-")
    if not slug:  # a title with no Latin letters or digits still gets a stable, distinct slug
        slug = "story-" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return slug
