"""How feed results look: platform-neutral replies for the `/feed` commands, the console and the CLI.

Feed text (titles, outlets, item titles) is only ever plain text in the markup (`bot.markup`); each platform
shows links for http(s) targets only. Dates are in the audience's zone, which each card names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot import local_time, markup
from bot.cards import Card, CardField, Reply
from bot.feeds.outcomes import FeedStatus, WhyKind
from bot.feeds.results import FeedAdded, FeedRemoved, FeedSummary, PreviewItem, WhyResult
from bot.limits import truncate
from bot.markup import Content, Markup
from bot.text import plural

TITLE_CHARS = 120
FIELD_NAME_CHARS = 256


def _text(value: str, limit: int = TITLE_CHARS) -> str:
    """Feed text, cut; cards show it as plain text."""
    return truncate(value, limit)


def _linked(title: str, link: str | None) -> Markup:
    return markup.text(markup.link(_text(title), link)) if link else markup.text(_text(title))


def _scope(added: FeedAdded) -> Content:
    if added.story:
        return markup.text("a source for ", markup.bold(_text(added.story.title)), " only")
    return "matched against every global story" if added.global_feed else "matched against every story here"


def _words(include: Sequence[str], exclude: Sequence[str]) -> str:
    parts = []
    if include:
        parts.append("only items with " + ", ".join(f"“{_text(w, 100)}”" for w in include))
    if exclude:
        parts.append("never items with " + ", ".join(f"“{_text(w, 100)}”" for w in exclude))
    return "; ".join(parts)


def _preview(item: PreviewItem, zone: tzinfo) -> Markup:
    when = f" · {local_time.day(item.published, zone)}" if item.published else ""
    return markup.text("• ", _linked(item.title, item.link), when)


def added_reply(added: FeedAdded, zone: tzinfo) -> Reply:
    lines: list[Content] = [
        markup.text(f"Checked every {plural(added.every_minutes, 'minute')}; ", _scope(added), "."),
        f"{plural(added.items_seen, 'item')} already in it were recorded as seen: they will not alert.",
    ]
    if not added.owns_stories:
        lines.append(
            "This server has no stories of its own yet: its items can only develop stories this server adds "
            "(with /story add), never the global ones."
        )
    if words := _words(added.include, added.exclude):
        lines.append(words[0].upper() + words[1:] + ".")
    newest = markup.join("\n", (_preview(item, zone) for item in added.newest))
    card = Card(
        title=truncate(f"Feed added: {_text(added.title)}", 256),
        description=markup.join("\n", lines),
        fields=(CardField("Newest items", newest or "The feed has no items yet."),),
        url=added.url,
        footer=f"#{added.feed_id} · next check {local_time.short_moment(added.next_check_at, zone)} · "
        f"{local_time.dates_in(zone)}",
    )
    return Reply(cards=(card,), ephemeral=True)


def _status(feed: FeedSummary) -> Content:
    if feed.status in (FeedStatus.DISABLED, FeedStatus.FAILING):
        return markup.text(markup.bold(feed.status.value), ": ", _text(feed.reason or "no reason recorded", 300))
    return "ok"


def _when(moment: datetime | None, zone: tzinfo) -> str:
    return local_time.short_moment(moment, zone) if moment else "never"


def list_reply(feeds: Sequence[FeedSummary], zone: tzinfo) -> Reply:
    if not feeds:
        return Reply(cards=(Card(title="Feeds", description="No feeds here yet."),), ephemeral=True)
    blocks = []
    for feed in feeds:
        story = markup.text("story ", markup.bold(_text(feed.story.title))) if feed.story else "all stories"
        every = f" · every {plural(feed.every_minutes, 'minute')}"
        lines: list[Content] = [
            markup.text(markup.bold(f"#{feed.feed_id} {_text(feed.title)}"), " · ", story, every),
            feed.url,
            markup.text(
                _status(feed), f" · last fetch {_when(feed.last_fetch_at, zone)} · {plural(feed.item_count, 'item')}"
            ),
        ]
        if words := _words(feed.include, feed.exclude):
            lines.append(words)
        blocks.append(markup.join("\n", lines))
    card = Card(
        title="Feeds",
        description=markup.join("\n\n", blocks),
        footer=f"{plural(len(feeds), 'feed')} · {local_time.dates_in(zone)}",
    )
    return Reply(cards=(card,), ephemeral=True)


def removed_reply(removed: FeedRemoved) -> Reply:
    return Reply(
        text=markup.text(
            f"Removed feed #{removed.feed_id} ",
            markup.bold(_text(removed.title)),
            f" ({removed.url}) and what it had seen.",
        ),
        ephemeral=True,
    )


_HEADINGS = {
    WhyKind.BASELINE: "Seen when the feed was added",
    WhyKind.OLD: "Older than the feed",
    WhyKind.FILTERED: "Filtered",
    WhyKind.DEVELOPMENT: "Development",
    WhyKind.NOTHING_NEW: "Nothing new",
    WhyKind.DUPLICATE: "Duplicate",
    WhyKind.BELOW_THRESHOLD: "Below the threshold",
    WhyKind.NOT_SEEN: "Not seen yet",
}


def why_reply(result: WhyResult, zone: tzinfo) -> Reply:
    fields = []
    for answer in result.answers:
        title = f"{_HEADINGS[answer.kind]}: {answer.item_title}" if answer.item_title else _HEADINGS[answer.kind]
        lines: list[Content] = [answer.text]
        if answer.kind is WhyKind.NOT_SEEN:
            if answer.next_check_at:
                lines.append(f"Next check at {local_time.short_moment(answer.next_check_at, zone)}.")
        else:
            seen = f"Seen {local_time.short_moment(answer.seen_at, zone)}" if answer.seen_at else ""
            feed = markup.text("in ", markup.bold(_text(answer.feed_title))) if answer.feed_title else markup.text()
            if feed and answer.global_feed:
                feed = markup.text(feed, ", a global feed of the bot's operator")
            if seen or feed:
                lines.append(markup.text(markup.join(" ", [part for part in (seen, feed) if part]), "."))
            if answer.item_link:
                lines.append(answer.item_link)
        fields.append(CardField(truncate(title, FIELD_NAME_CHARS), markup.join("\n", lines)))
    card = Card(
        title=truncate(f"Why: {_text(result.query)}", 256),
        fields=tuple(fields),
        footer=local_time.dates_in(zone),
    )
    return Reply(cards=(card,), ephemeral=True)
