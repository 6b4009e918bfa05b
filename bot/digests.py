"""Compose a digest: what is new since the audience's last one first, then the rest, quiet stories in one line.

Every visible story counts, however many there are: the first ones get full cards, the rest are named on
one line each, as many as fit one card, and the card ends "and N more" with the exact number left."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot import local_time, markup
from bot.cards import Card, CardField, Reply
from bot.limits import MAX_DESCRIPTION, size, truncate
from bot.markup import Markup
from bot.story_cards import bullet_lines, source_link
from bot.text import split_sentences
from storage.records import DevelopmentRecord, DigestEntry, DigestStory
from storage.stories import StoryRepository

NEW_MARK = "🆕"
QUIET_AFTER = timedelta(days=7)
MAX_FULL_STORIES = 20
MAX_LINE = 200  # one named story
MAX_NAMED = MAX_DESCRIPTION // 10  # more names than one card could hold (a line is at least ten characters)


@dataclass(frozen=True, slots=True)
class Digest:
    reply: Reply
    has_news: bool
    story_count: int


def _development_text(development: DevelopmentRecord) -> Markup:
    first = next(iter(split_sentences(development.body)), "")
    text = markup.text(markup.bold(development.headline), source_link(development.url))
    return markup.text(text, "\n", truncate(first, 300)) if first and first not in development.headline else text


def _story_card(item: DigestStory, *, fresh: bool) -> Card:
    story = item.story
    fields: list[CardField] = []
    if item.news:
        fields.append(
            CardField(f"{NEW_MARK} New since the last digest", markup.join("\n", map(_development_text, item.news)))
        )
    if item.key_points:
        fields.append(CardField("Key points", bullet_lines(item.key_points)))
    title = f"{NEW_MARK} {story.title}" if fresh else story.title
    return Card(
        title=truncate(title, 256),
        description=story.summary,
        fields=tuple(fields),
        url=story.url,
        footer=f"/story show {story.slug}",
    )


def names_card(title: str, lines: Sequence[tuple[str, str, str]], count: int) -> Card:
    """One card naming as many of `count` stories as fit; "and N more" counts the rest exactly.

    A line is (lead, slug, tail): `• title · `slug` · tail`, its lead and tail cut to fit one line."""

    def tail(left: int) -> Markup:
        return markup.text(f"…and {left} more: ", markup.code("/story list"), " to browse.") if left else markup.text()

    shown: list[Markup] = []
    used = size(tail(count)) + 1  # the tail can only get shorter as names are added
    for lead, slug, end in lines:
        room = max(0, MAX_LINE - len(slug) - len(end) - 5)
        line = markup.text(truncate(lead, room), " · ", markup.code(slug), end)
        if used + size(line) + 1 > MAX_DESCRIPTION:
            break
        shown.append(line)
        used += size(line) + 1
    rest = tail(count - len(shown))
    return Card(title=title, description=markup.join("\n", [*shown, rest] if rest else shown))


def _fresh_line(entry: DigestEntry) -> tuple[str, str, str]:
    count = f" · {entry.news} new" if entry.news else " · new story"
    return f"• {NEW_MARK} {entry.title}", entry.slug, count


def digest_title(now: datetime, zone: tzinfo) -> str:
    local = now.astimezone(zone)
    return f"Your briefing for {local:%a} {local.day} {local:%b %Y}"


async def compose_digest(
    stories: StoryRepository, viewer: str | None, since: datetime | None, now: datetime, zone: tzinfo
) -> Digest:
    outline = await stories.digest_outline(
        viewer, since, now - QUIET_AFTER if since is not None else None, limit=MAX_FULL_STORIES + MAX_NAMED
    )
    title = digest_title(now, zone)
    total = outline.total
    if not total:
        return Digest(
            Reply(text=markup.text(markup.bold(title), "\nNo stories are tracked here yet.")),
            has_news=since is None,
            story_count=0,
        )
    fresh, steady, quiet = outline.fresh, outline.steady, outline.quiet
    if since is not None and not fresh.count:
        local = since.astimezone(zone)
        text = markup.text(
            markup.bold(title),
            f"\nNothing new since your last digest ({local:%a} {local.day} {local:%b}). "
            f"{total} {'story is' if total == 1 else 'stories are'} tracked: ",
            markup.code("/story list"),
            " to browse.",
        )
        return Digest(Reply(text=text), has_news=False, story_count=total)
    # Fresh stories first, then the steady ones; the first MAX_FULL_STORIES in full, the rest named.
    ordered = [(entry, True) for entry in fresh.entries] + [(entry, False) for entry in steady.entries]
    full = ordered[:MAX_FULL_STORIES]
    fresh_ids = {entry.story_id for entry, is_fresh in full if is_fresh}
    details = await stories.digest_stories([entry.story_id for entry, _ in full], since)
    cards = [_story_card(item, fresh=item.story.id in fresh_ids) for item in details]
    named = fresh.count + steady.count - len(full)
    if named > 0:  # never drop a story silently: name the rest, news first
        lines = [_fresh_line(e) if is_fresh else (f"• {e.title}", e.slug, "") for e, is_fresh in ordered[len(full) :]]
        cards.append(names_card("More stories", lines, named))
    if quiet.count:
        lines = [
            (f"• {e.title}", e.slug, f" · last development {local_time.short_day(e.last_development, zone)}")
            for e in quiet.entries
        ]
        cards.append(names_card("Quiet for a week or more", lines, quiet.count))
    without = total - fresh.count
    intro = markup.text(markup.bold(title), f"\n{fresh.count} with news", f", {without} without" if without else "")
    return Digest(Reply(text=intro, cards=tuple(cards)), has_news=True, story_count=total)
