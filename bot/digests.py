"""Compose a digest: what is new since the audience's last one first, then the rest, quiet stories in one line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.cards import Card, CardField, Reply
from bot.limits import truncate
from bot.story_cards import bullet_lines
from bot.text import split_sentences
from storage.records import DevelopmentRecord, StoryRecord
from storage.stories import StoryRepository

NEW_MARK = "🆕"
QUIET_AFTER = timedelta(days=7)
MAX_FULL_STORIES = 20


@dataclass(frozen=True, slots=True)
class Digest:
    reply: Reply
    has_news: bool
    story_count: int


def _development_text(development: DevelopmentRecord) -> str:
    first = next(iter(split_sentences(development.body)), "")
    link = f" ([source]({development.url}))" if development.url else ""
    text = f"**{development.headline}**{link}"
    return f"{text}\n{truncate(first, 300)}" if first and first not in development.headline else text


def _story_card(story: StoryRecord, points: tuple, news: list[DevelopmentRecord], is_new: bool) -> Card:
    fields: list[CardField] = []
    if news:
        fields.append(CardField(f"{NEW_MARK} New since the last digest", "\n".join(_development_text(d) for d in news)))
    if points:
        fields.append(CardField("Key points", bullet_lines(points)))
    title = f"{NEW_MARK} {story.title}" if (news or is_new) else story.title
    return Card(
        title=truncate(title, 256),
        description=story.summary,
        fields=tuple(fields),
        url=story.url,
        footer=f"/story show {story.slug}",
    )


def digest_title(now: datetime, zone: tzinfo) -> str:
    local = now.astimezone(zone)
    return f"Your briefing for {local:%a} {local.day} {local:%b %Y}"


async def compose_digest(
    stories: StoryRepository, viewer: int | None, since: datetime | None, now: datetime, zone: tzinfo
) -> Digest:
    rows = await stories.digest_view(viewer, since)
    title = digest_title(now, zone)
    if not rows:
        return Digest(
            Reply(text=f"**{title}**\nNo stories are tracked here yet."), has_news=since is None, story_count=0
        )
    # Each full card comes with a one-line form, used for stories past MAX_FULL_STORIES.
    fresh: list[tuple[Card, str]] = []
    steady: list[tuple[Card, str]] = []
    quiet: list[str] = []
    for story, points, news in rows:
        is_new = since is None or story.created_at > since
        if news or (is_new and since is not None):
            count = f" · {len(news)} new" if news else " · new story"
            fresh.append(
                (_story_card(story, points, news, is_new=True), f"• {NEW_MARK} {story.title} · `{story.slug}`{count}")
            )
        elif now - story.last_development_at > QUIET_AFTER and since is not None:
            quiet.append(f"• {story.title} · `{story.slug}` · last development {story.last_development_at:%d %b}")
        else:
            steady.append((_story_card(story, points, [], is_new=False), f"• {story.title} · `{story.slug}`"))
    if since is not None and not fresh:
        local = since.astimezone(zone)
        text = (
            f"**{title}**\nNothing new since your last digest ({local:%a} {local.day} {local:%b}). "
            f"{len(rows)} {'story is' if len(rows) == 1 else 'stories are'} tracked: `/story list` to browse."
        )
        return Digest(Reply(text=text), has_news=False, story_count=len(rows))
    shown = fresh + steady
    cards = [card for card, _ in shown[:MAX_FULL_STORIES]]
    if len(shown) > MAX_FULL_STORIES:  # never drop a story silently: name the rest, news first
        cards.append(Card(title="More stories", description="\n".join(line for _, line in shown[MAX_FULL_STORIES:])))
    if quiet:
        cards.append(Card(title="Quiet for a week or more", description="\n".join(quiet)))
    intro = f"**{title}**\n{len(fresh)} with news" + (
        f", {len(rows) - len(fresh)} without" if len(rows) > len(fresh) else ""
    )
    return Digest(Reply(text=intro, cards=tuple(cards)), has_news=True, story_count=len(rows))
