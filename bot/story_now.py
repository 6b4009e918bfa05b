"""A story as it stands now: the original article, and every development since.

- **Key points**: the developments' key points come first, newest development first, each marked with the date it
  was reported; the original article's key points follow in their own order, undated (the card says where they
  come from). A point whose label an older point also has replaces that older point here: "LG Deal" of 3 March
  stands for the deal as it is now. The timeline keeps every development, so nothing older is lost.
- **Summary**: the newest development's headline, dated, before the original summary.
- **Passages** for `/story ask`: the article's, then each development's (each paragraph or bullet of its text,
  under the follow-up's own headings when it has them), all dated by when they were reported, so that ranking can
  prefer the newer of two passages that answer the question (bot/answers.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot import markup
from bot.answers import Passage, passages, section_passages
from bot.markup import Content
from bot.story_model import Bullet
from storage.records import DevelopmentRecord, StoryDetail, StoryRecord

MAX_DEVELOPMENT_POINTS = 10  # the newest ones; older developments' points stay in the timeline
DATE = "%d %b %Y"
_BULLET_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SECTION_CHARS = 80
_BLOCKS = re.compile(r"\n\s*\n")
_HEADING_CHARS = 100
_SENTENCE_ENDS = (".", "!", "。", "！", "…")
_SENTENCE_INSIDE = re.compile(r"[.!?。！？]\s")


@dataclass(frozen=True, slots=True)
class DatedPoint:
    bullet: Bullet
    reported_at: datetime | None  # None: a key point of the original article


def newest_first(developments: Sequence[DevelopmentRecord]) -> list[DevelopmentRecord]:
    return sorted(developments, key=lambda d: (d.published_at, d.id), reverse=True)


def _key(bullet: Bullet) -> str:
    return (bullet.label or bullet.text).casefold().strip()


def key_points_now(original: Sequence[Bullet], developments: Sequence[DevelopmentRecord]) -> tuple[DatedPoint, ...]:
    """The developments' key points, newest first and dated, then the article's own (see the module docstring)."""
    seen: set[str] = set()
    dated: list[DatedPoint] = []
    for development in newest_first(developments):
        for bullet in development.key_points:
            if _key(bullet) not in seen and len(dated) < MAX_DEVELOPMENT_POINTS:
                seen.add(_key(bullet))
                dated.append(DatedPoint(bullet, development.published_at))
    return (*dated, *(DatedPoint(b, None) for b in original if _key(b) not in seen))


def summary_now(story: StoryRecord, developments: Sequence[DevelopmentRecord]) -> Content:
    """The original summary, led by the newest development when there is one."""
    if not developments:
        return story.summary
    latest = newest_first(developments)[0]
    lead = markup.bold(f"Latest, {latest.published_at.strftime(DATE)}:")
    return markup.text(lead, " ", latest.headline, "\n\n", story.summary)


def development_passages(development: DevelopmentRecord) -> list[Passage]:
    """A development's passages, block by block. A follow-up document's text keeps its headings (a block's short
    first line, as the import writes it), so "Why are these two routes first?" still heads the paragraph it
    introduces, and the text before it counts as its introduction; text without headings is one section,
    "Update: <headline>". The headline alone is a passage only when there is no other: it is the development's
    title, and says no more than its text."""
    headline, body = development.headline.strip(), development.body
    update = f"Update: {headline}" if len(headline) <= _SECTION_CHARS else f"Update: {headline[:_SECTION_CHARS]}…"
    blocks = [[_BULLET_MARK.sub("", line).strip() for line in block.splitlines()] for block in _BLOCKS.split(body)]
    blocks = [[line for line in lines if line] for lines in blocks]
    headed = [len(lines) > 1 and _block_heading(lines[0]) for lines in blocks]
    first_heading = headed.index(True) if any(headed) else len(blocks)
    found: list[Passage] = []
    for number, (lines, has_heading) in enumerate(zip(blocks, headed, strict=True)):
        heading = lines[0].rstrip(":：").strip() if has_heading else update
        # Before a follow-up's first heading: its dek and lead, an introduction like an article's.
        found += section_passages(
            heading,
            lines[1:] if has_heading else lines,
            (),
            reported_at=development.published_at,
            introduction=number < first_heading < len(blocks),
        )
    return found or section_passages(update, [headline], (), reported_at=development.published_at)


def _block_heading(line: str) -> bool:
    """A block's first line that heads it: short, and no sentence (a sentence ends with a full stop)."""
    return len(line) <= _HEADING_CHARS and not line.endswith(_SENTENCE_ENDS) and not _SENTENCE_INSIDE.search(line)


def passages_now(detail: StoryDetail) -> list[Passage]:
    """Every passage of the story: dated when the story has developments, so the newer can be preferred."""
    found = passages(detail.story.dek, detail.lead, detail.sections)
    if not detail.developments:
        return found
    found = [replace(p, reported_at=detail.story.published_at) for p in found]
    for development in detail.developments:
        found += development_passages(development)
    return found
