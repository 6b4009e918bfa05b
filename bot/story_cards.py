"""How stories look in a reply: cards built from stored stories, for Discord and the console alike.

Dates are shown in the audience's time zone (`zone`), which each card names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from bot import local_time, markup
from bot.answers import ScoredPassage
from bot.cards import Card, CardField, Reply
from bot.markup import Markup
from bot.story_model import Bullet
from bot.story_now import DATE, DatedPoint, key_points_now, summary_now
from bot.text import plural
from storage.records import DevelopmentRecord, StoryDetail, StoryRecord


def assumed_date(story: StoryRecord, zone: tzinfo) -> str:
    """`no date given; imported 30 Nov`: the article gave no date, so the story's date is when it was imported."""
    return f"no date given; imported {local_time.day_in_year(story.published_at, zone)}"


def when(story: StoryRecord, zone: tzinfo) -> str:
    if story.date_assumed:
        return assumed_date(story, zone)
    stamp = local_time.moment(story.published_at, zone)
    return f"{stamp} (time zone assumed)" if story.timezone_assumed else stamp


def story_day(story: StoryRecord, zone: tzinfo) -> str:
    """The story's own date, for a list or a timeline: `6 Jan 2024`, or that no date was given."""
    return assumed_date(story, zone) if story.date_assumed else local_time.day(story.published_at, zone)


def bullet(b: Bullet) -> Markup:
    """A key point: its label in bold, then its text."""
    return markup.text(markup.bold(b.label), ": ", b.text) if b.label else markup.text(b.text)


def bullet_lines(bullets: tuple[Bullet, ...]) -> Markup:
    return markup.join("\n", (markup.text("• ", bullet(b)) for b in bullets))


def dated_point_lines(points: tuple[DatedPoint, ...], zone: tzinfo | None = None) -> Markup:
    """Key points as they stand now: later developments' points carry the date they were reported."""
    lines = []
    for point in points:
        if point.reported_at is None:
            lines.append(markup.text("• ", bullet(point.bullet)))
            continue
        day = local_time.day(point.reported_at, zone) if zone else point.reported_at.strftime(DATE)
        lines.append(markup.text(f"• {day} · ", bullet(point.bullet)))
    return markup.join("\n", lines)


def source_link(url: str | None) -> Markup:
    """` (source)` linking the development's page, or nothing."""
    return markup.text(" (", markup.link("source", url), ")") if url else markup.text()


def development_line(development: DevelopmentRecord, zone: tzinfo) -> Markup:
    also = ""
    if development.also_reported_by:  # outlet names come from feeds: plain text, as written
        also = " · also reported by " + ", ".join(development.also_reported_by)
    day = local_time.day(development.published_at, zone)
    return markup.text(f"{day}: ", development.headline, source_link(development.url), also)


def show_card(detail: StoryDetail, zone: tzinfo) -> Card:
    """The story as it stands now: the newest development leads the summary, its key points lead the list."""
    story = detail.story
    points = key_points_now(detail.key_points, detail.developments)
    fields = [CardField("Key points", dated_point_lines(points, zone) or markup.text("None recorded."))]
    if detail.last_development:
        fields.append(CardField("Latest development", development_line(detail.last_development, zone)))
    if story.url or story.source:
        fields.append(CardField("Source", story.url or story.source or ""))
    footer = f"{story.slug} · {when(story, zone)}"
    if story.author:
        footer += f" · by {story.author}"
    if story.reading_minutes:
        footer += f" · {story.reading_minutes} min read"
    description = summary_now(story, detail.developments)
    return Card(title=story.title, description=description, fields=tuple(fields), url=story.url, footer=footer)


def keypoints_card(story: StoryRecord, points: tuple[DatedPoint, ...]) -> Card:
    footer = story.slug
    if any(p.reported_at for p in points):
        footer += " · dated points came with later developments, newest first; the others with the article"
    return Card(
        title=f"Key points: {story.title}",
        description=dated_point_lines(points) or markup.text("This story has no key points recorded."),
        footer=footer,
    )


def list_card(
    stories: list[StoryRecord],
    last_developments: Mapping[int, datetime],
    page: int,
    pages: int,
    total: int,
    zone: tzinfo,
) -> Card:
    """`last_developments`: each story's newest development's own date; a story without one shows its own date."""
    if not stories:
        return Card(title="Tracked stories", description="No stories are tracked here yet.")
    lines = []
    for s in stories:
        latest = last_developments.get(s.id)
        what = f"last development {local_time.day(latest, zone)}" if latest else story_day(s, zone)
        lines.append(markup.text(markup.bold(s.title), "\n", markup.code(s.slug), f" · {what}"))
    return Card(
        title="Tracked stories",
        description=markup.join("\n\n", lines),
        footer=f"Page {page}/{pages} · {plural(total, 'story')} · {local_time.dates_in(zone)}",
    )


def ask_reply(story: StoryRecord, question: str, ranked: list[ScoredPassage]) -> Reply:
    if not ranked:
        keypoints, show = markup.code("/story keypoints"), markup.code("/story show")
        said = markup.text(" does not cover that. Try ", keypoints, " or ", show, " for what it says.")
        return Reply(text=markup.text(markup.bold(story.title), said))
    by_section: dict[str, list[str]] = {}
    for item in ranked:
        passage = item.passage
        # Dated when the story has developments: which passage is newer is part of the answer.
        name = passage.section
        if passage.reported_at:
            name += f" · reported {passage.reported_at.strftime(DATE)}"
        by_section.setdefault(name, []).append(passage.text)
    fields = tuple(
        CardField(section, markup.join("\n", (markup.quote(text) for text in texts)))
        for section, texts in by_section.items()
    )
    source = markup.text("From ", markup.bold(story.title))
    return Reply(cards=(Card(title=f"Q: {question}", description=source, fields=fields),))


def timeline_card(detail: StoryDetail, zone: tzinfo) -> Card:
    story = detail.story
    reported = "" if story.date_assumed else "first reported: "  # "no date given; imported 30 Nov: <title>"
    lines = [markup.text(f"{story_day(story, zone)}: {reported}{story.title}")]
    lines += [development_line(d, zone) for d in detail.developments]
    if not detail.developments:
        lines.append(markup.text("No developments yet. Follow the story to hear when it develops."))
    return Card(
        title=f"Timeline: {story.title}",
        description=markup.join("\n", lines),
        footer=f"{story.slug} · {local_time.dates_in(zone)}",
    )


def search_card(query: str, stories: list[StoryRecord]) -> Card:
    if not stories:
        return Card(title=f"Search: {query}", description="No tracked story mentions that.")
    return Card(
        title=f"Search: {query}",
        description=markup.join(
            "\n", (markup.text(markup.bold(s.title), " · ", markup.code(s.slug), "\n", s.summary) for s in stories)
        ),
    )
