"""What a follow-up alert says: what a development adds to what the story already had, not the story again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo

from bot import local_time, markup
from bot.cards import Card, CardField, Reply
from bot.limits import truncate
from bot.story_model import Bullet
from bot.text import STOPWORDS, split_sentences, words
from storage.records import DevelopmentRecord, StoryRecord

KNOWN_OVERLAP = 0.6
MAX_NEW_FACTS = 5


def _content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 1}


def whats_new(known: Iterable[str], candidates: Sequence[str], limit: int = MAX_NEW_FACTS) -> list[str]:
    """Candidate statements whose content words are not mostly covered by any one known statement."""
    known_sets = [s for s in (_content_words(k) for k in known) if s]
    found: list[str] = []
    for candidate in candidates:
        words_in = _content_words(candidate)
        if not words_in:
            continue
        covered = max((len(words_in & k) / len(words_in) for k in known_sets), default=0.0)
        if covered < KNOWN_OVERLAP:
            found.append(candidate)
            known_sets.append(words_in)
        if len(found) == limit:
            break
    return found


def known_statements(
    story: StoryRecord, key_points: Sequence[Bullet], earlier: Sequence[DevelopmentRecord]
) -> list[str]:
    statements = [story.title, *split_sentences(story.dek), *split_sentences(story.summary)]
    statements += [b.render() for b in key_points]
    for development in earlier:
        statements += [development.headline, *split_sentences(development.body)]
        statements += [b.render() for b in development.key_points]
    return statements


def development_statements(development: DevelopmentRecord) -> list[str]:
    return [b.render() for b in development.key_points] + split_sentences(development.body)


def headline(development: DevelopmentRecord) -> str:
    return development.headline or next(iter(split_sentences(development.body)), "A new development")


def compose_alert(
    story: StoryRecord,
    key_points: Sequence[Bullet],
    earlier: Sequence[DevelopmentRecord],
    news: Sequence[DevelopmentRecord],
    *,
    zone: tzinfo,
    held: bool = False,
) -> Reply:
    """One alert for one or more developments of a story (a burst is merged); dates in the follower's `zone`."""
    known = known_statements(story, key_points, earlier)
    fields: list[CardField] = []
    for development in news:
        added = whats_new(known, development_statements(development))
        known += development_statements(development)
        body = markup.text("\n".join(f"• {truncate(a, 300)}" for a in added) or "No new facts beyond the headline.")
        if development.url:
            body = markup.text(body, "\n", markup.link("Source", development.url))
        day = local_time.short_day(development.published_at, zone)
        fields.append(CardField(truncate(f"{day} · {headline(development)}", 256), body))
    lead = "While you were muted" if held else ("Story update" if len(news) == 1 else f"{len(news)} updates")
    card = Card(
        title=truncate(f"{lead}: {story.title}", 256),
        description="What's new since the last alert:",
        fields=tuple(fields),
        url=story.url,
        footer=f"/story timeline {story.slug} for the whole timeline · /story unfollow to stop · "
        f"{local_time.dates_in(zone)}",
    )
    return Reply(cards=(card,))


def story_status_card(story: StoryRecord, latest: DevelopmentRecord | None, count: int, zone: tzinfo) -> Card:
    """The card message at the top of a channel's story thread, edited as the story develops."""
    status = f"Latest: {headline(latest)}" if latest else "No developments yet."
    stamp = f"Last development {local_time.moment(latest.published_at, zone)}" if latest else ""
    return Card(
        title=truncate(f"Following: {story.title}", 256),
        description=f"{story.summary}\n\n{status}",
        fields=(CardField("Developments", f"{count} so far. {stamp}".strip()),),
        url=story.url,
        footer=f"/story timeline {story.slug}",
    )
