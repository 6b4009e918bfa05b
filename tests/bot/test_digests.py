"""Tests for bot.digests.compose_digest: what a digest says, on a real SQLite store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cards import Card
from bot.digests import MAX_FULL_STORIES, NEW_MARK, QUIET_AFTER, Digest, compose_digest
from bot.limits import check_message, paginate, split_card
from bot.markdown import to_markdown
from bot.markup import plain
from bot.parser import parse_article
from bot.story_model import Story
from storage.records import StoryRecord
from storage.stories import ImportItem, StoryRepository
from tests.conftest import markdown_article

GUILD_A = "discord:111111111111111111"
GUILD_B = "discord:222222222222222222"
IMPORTED = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)
LAST_DIGEST = datetime(2024, 3, 10, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 3, 11, 9, 0, tzinfo=UTC)


def _story(title: str, date: str = "2024-03-09 09:30 UTC", body: str | None = None) -> Story:
    if body is None:  # distinct text per story, so summaries and key points tell stories apart
        body = (
            f"Reporters covering {title} filed a first account of the events.\n\n"
            "## Key Points\n\n"
            f"- Scope: {title} affects several markets.\n"
            f"- Timing: Officials expect news on {title} within weeks.\n"
        )
    return parse_article(markdown_article(title=title, date=date, body=body), f"{title}.md")


async def _add(
    stories: StoryRepository, story: Story, guild: str | None = None, now: datetime = IMPORTED
) -> StoryRecord:
    [outcome] = await stories.import_stories([ImportItem(f"file:{story.slug}", story, guild)], now=now)
    record = await stories.get(outcome.slug or "", guild)
    assert record is not None
    return record


def _cards_titled(digest: Digest, title_part: str) -> list[Card]:
    return [card for card in digest.reply.cards if title_part in (card.title or "")]


def _all_text(digest: Digest) -> str:
    texts = [to_markdown(digest.reply.text)]
    for card in digest.reply.cards:
        texts += [card.title or "", to_markdown(card.description), card.footer or ""]
        texts += [f"{f.name}\n{to_markdown(f.value)}" for f in card.fields]
    return "\n".join(texts)


async def test_first_digest_shows_every_visible_story_with_summary_and_key_points(
    stories: StoryRepository, seed_story: Story
) -> None:
    chips = _story("Chipmakers Race to Build AI Memory")
    await _add(stories, seed_story)
    await _add(stories, chips, GUILD_A)

    digest = await compose_digest(stories, GUILD_A, None, NOW, UTC)

    assert digest.has_news
    assert digest.story_count == 2
    for story in (seed_story, chips):
        [card] = _cards_titled(digest, story.title)
        assert plain(card.description) == story.summary
        [points] = [f for f in card.fields if f.name == "Key points"]
        for bullet in story.key_points:
            assert bullet.text in plain(points.value)
        assert card.footer == f"/story show {story.slug}"
    assert "Your briefing for Mon 11 Mar 2024" in plain(digest.reply.text)


async def test_a_later_digest_puts_developments_since_the_last_one_first_marked_new(
    stories: StoryRepository,
) -> None:
    steady = await _add(stories, _story("Steady Story About Ports", date="2024-03-10 07:00 UTC"))
    moving = await _add(stories, _story("Moving Story About Chips", date="2024-03-08 07:00 UTC"))
    # An old development (before the last digest) is not news any more.
    await stories.add_development(moving.id, "Old news", "Old news.", content_hash="old", now=IMPORTED)
    await stories.add_development(
        moving.id,
        "Fab opens in Texas",
        "The new fab opened on Monday with 2,000 workers.",
        url="https://example.com/fab",
        content_hash="fab",
        now=LAST_DIGEST + timedelta(hours=3),
    )

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    assert digest.has_news
    first, second = digest.reply.cards[:2]
    assert first.title == f"{NEW_MARK} {moving.title}"
    news = first.fields[0]
    assert news.name.startswith(NEW_MARK)
    assert "Fab opens in Texas" in plain(news.value)
    assert "https://example.com/fab" in plain(news.value)
    assert "2,000 workers" in plain(news.value)
    assert "Old news" not in plain(news.value)
    assert second.title == steady.title  # not new: no mark
    assert NEW_MARK not in (second.title or "")
    assert "1 with news, 1 without" in plain(digest.reply.text)


async def test_a_story_added_since_the_last_digest_counts_as_new(stories: StoryRepository) -> None:
    await _add(stories, _story("Older Story About Ports", date="2024-03-10 07:00 UTC"))
    late = await _add(stories, _story("Brand New Story About Rail"), now=LAST_DIGEST + timedelta(hours=1))

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    assert digest.reply.cards[0].title == f"{NEW_MARK} {late.title}"


async def test_a_story_quiet_for_more_than_a_week_collapses_to_one_line(stories: StoryRepository) -> None:
    quiet_date = NOW - QUIET_AFTER - timedelta(days=2)
    quiet = await _add(stories, _story("Quiet Story About Tariffs", date=f"{quiet_date:%Y-%m-%d %H:%M} UTC"))
    busy = await _add(stories, _story("Busy Story About Chips"))
    await stories.add_development(
        busy.id, "Chips ship", "Chips shipped.", content_hash="c", now=NOW - timedelta(hours=1)
    )

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    assert not [c for c in digest.reply.cards if c.title and quiet.title in c.title]
    [block] = _cards_titled(digest, "Quiet for a week or more")
    [line] = [line for line in to_markdown(block.description).splitlines() if quiet.title in line]
    assert f"`{quiet.slug}`" in line
    assert quiet.summary not in _all_text(digest)


async def test_a_quiet_story_is_shown_in_full_in_the_first_digest(stories: StoryRepository) -> None:
    quiet = await _add(stories, _story("Quiet Story About Tariffs", date="2024-01-02 09:00 UTC"))

    digest = await compose_digest(stories, None, None, NOW, UTC)

    [card] = _cards_titled(digest, quiet.title)
    assert plain(card.description) == quiet.summary


async def test_nothing_new_gives_one_short_message_not_the_last_digest_again(
    stories: StoryRepository, seed_story: Story
) -> None:
    await _add(stories, seed_story)
    await _add(stories, _story("Chipmakers Race to Build AI Memory"))
    full = await compose_digest(stories, None, None, LAST_DIGEST, UTC)
    assert full.reply.cards

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    assert not digest.has_news
    assert digest.reply.cards == ()
    parts = paginate(digest.reply)
    assert len(parts) == 1
    assert len(to_markdown(digest.reply.text)) < 300
    assert "Nothing new since your last digest (Sun 10 Mar)" in plain(digest.reply.text)
    assert "2 stories are tracked" in plain(digest.reply.text)
    assert seed_story.summary not in plain(digest.reply.text)
    assert seed_story.title not in plain(digest.reply.text)


async def test_an_empty_store_says_nothing_is_tracked(stories: StoryRepository) -> None:
    digest = await compose_digest(stories, GUILD_A, None, NOW, UTC)
    assert digest.reply.cards == ()
    assert "No stories are tracked here yet." in plain(digest.reply.text)
    assert digest.story_count == 0


async def test_a_guild_never_sees_another_guilds_stories(stories: StoryRepository, seed_story: Story) -> None:
    mine = await _add(stories, _story("Guild A Local Election"), GUILD_A)
    theirs = await _add(stories, _story("Guild B Secret Merger"), GUILD_B)
    await _add(stories, seed_story)
    await stories.add_development(theirs.id, "Merger done", "The merger closed.", content_hash="m", now=NOW)

    for since in (None, LAST_DIGEST):
        digest = await compose_digest(stories, GUILD_A, since, NOW, UTC)
        text = _all_text(digest)
        assert theirs.title not in text
        assert "Merger done" not in text
        assert "merger" not in text.lower()
    first = await compose_digest(stories, GUILD_A, None, NOW, UTC)
    assert _cards_titled(first, mine.title)
    assert _cards_titled(first, seed_story.title)
    assert first.story_count == 2

    global_only = await compose_digest(stories, None, None, NOW, UTC)
    assert global_only.story_count == 1
    assert mine.title not in _all_text(global_only)


def _long_body(index: int) -> str:
    paragraphs = [
        f"Story {index} paragraph {p}: regulators in region {index} reviewed the plan for the {p}th time, "
        f"citing supply chains, export controls, subsidies and a dozen other concerns raised by lawmakers."
        for p in range(8)
    ]
    points = [
        f"- Point {k}: A deliberately long key point number {k} for story {index} that explains the stakes "
        f"for investors, workers and governments in considerable detail, repeated for length {'x' * 80}."
        for k in range(5)
    ]
    return "\n\n".join(paragraphs) + "\n\n## Key Points\n\n" + "\n".join(points) + "\n"


async def test_a_digest_over_many_stories_splits_into_parts_that_fit_discord(stories: StoryRepository) -> None:
    count = 14
    assert count <= MAX_FULL_STORIES
    titles = []
    for index in range(count):
        record = await _add(stories, _story(f"Long Story Number {index:02d} About Trade", body=_long_body(index)))
        titles.append(record.title)

    digest = await compose_digest(stories, None, None, NOW, ZoneInfo("Europe/Paris"))
    parts = paginate(digest.reply)

    assert len(parts) >= 2
    for part in parts:
        check_message(part)  # raises if Discord would reject the message
    shown = [card.title for part in parts for card in part.cards]
    for title in titles:
        assert title in shown
    assert to_markdown(parts[0].content).startswith("**Your briefing for")


async def test_the_title_uses_the_audiences_local_date(stories: StoryRepository) -> None:
    late_evening = datetime(2024, 3, 11, 3, 0, tzinfo=UTC)  # still Sunday in Los Angeles
    digest = await compose_digest(stories, None, None, late_evening, ZoneInfo("America/Los_Angeles"))
    assert "Sun 10 Mar 2024" in plain(digest.reply.text)


@pytest.mark.parametrize("since", [None, LAST_DIGEST])
async def test_every_digest_part_fits_discord_limits(stories: StoryRepository, seed_story: Story, since) -> None:
    record = await _add(stories, seed_story)
    await stories.add_development(record.id, "x" * 400, "y " * 3000, content_hash="big", now=NOW - timedelta(hours=1))
    digest = await compose_digest(stories, None, since, NOW, UTC)
    for part in paginate(digest.reply):
        check_message(part)


async def test_news_beyond_the_full_story_cap_is_still_named(stories: StoryRepository) -> None:
    count = MAX_FULL_STORIES + 3
    records = []
    for index in range(count):
        record = await _add(stories, _story(f"Busy Story Number {index:02d} About Ports"))
        await stories.add_development(
            record.id, f"Update {index:02d}", "Cranes moved.", content_hash=f"u{index}", now=NOW - timedelta(hours=1)
        )
        records.append(record)

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    full = [card for card in digest.reply.cards if card.footer and card.footer.startswith("/story show")]
    assert len(full) == MAX_FULL_STORIES
    text = _all_text(digest)
    for record in records:  # every story with news is at least named, never silently dropped
        assert record.slug in text
    assert f"{count} with news" in plain(digest.reply.text)
    for part in paginate(digest.reply):
        check_message(part)


async def _add_many(
    stories: StoryRepository, count: int, prefix: str, *, news_at: datetime | None
) -> list[StoryRecord]:
    """`count` global stories in one import; each gets one development at `news_at` when given."""
    made = [_story(f"{prefix} Number {index:03d}") for index in range(count)]
    await stories.import_stories([ImportItem(f"file:{s.slug}", s) for s in made], now=IMPORTED)
    records = [await stories.get(s.slug, None) for s in made]
    assert all(records)
    if news_at is not None:
        for index, record in enumerate(records):
            assert record is not None
            await stories.add_development(
                record.id, f"{prefix} update {index:03d}", "Cranes moved.", content_hash=f"{prefix}{index}", now=news_at
            )
    return [r for r in records if r is not None]


def _more_count(card: Card) -> int:
    match = re.search(r"and (\d+) more", plain(card.description))
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("count", [60, 500])
async def test_every_story_with_news_is_shown_or_named_and_the_counts_are_exact(
    stories: StoryRepository, count: int
) -> None:
    news = await _add_many(stories, count, "Busy Harbour", news_at=NOW - timedelta(hours=1))
    calm = await _add_many(stories, 5, "Calm Valley", news_at=None)

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    assert f"{count} with news, {len(calm)} without" in plain(digest.reply.text)
    assert digest.story_count == count + len(calm)
    text = _all_text(digest)
    named = [r for r in news if f"`{r.slug}`" in text or f"/story show {r.slug}" in text]
    [more] = _cards_titled(digest, "More stories")
    assert split_card(more) == [more]  # one embed within Discord's limits, never split into "(cont.)" cards
    unnamed_news = count - len(named)
    assert _more_count(more) == unnamed_news + len([r for r in calm if f"`{r.slug}`" not in text])
    if count == 60:
        assert unnamed_news == 0  # they all fit
    else:
        assert unnamed_news > 0 and f"and {_more_count(more)} more" in plain(more.description)
    assert "/story list" in plain(more.description) or unnamed_news == 0
    for part in paginate(digest.reply):
        check_message(part)


async def test_nothing_new_counts_every_tracked_story(stories: StoryRepository) -> None:
    await _add_many(stories, 60, "Old Harbour", news_at=None)

    digest = await compose_digest(stories, None, NOW - timedelta(minutes=1), NOW, UTC)

    assert not digest.has_news
    assert "60 stories are tracked" in plain(digest.reply.text)
    assert digest.story_count == 60


async def test_hundreds_of_quiet_stories_fit_one_card_with_an_exact_count(stories: StoryRepository) -> None:
    quiet_date = NOW - QUIET_AFTER - timedelta(days=2)
    date = f"{quiet_date:%Y-%m-%d %H:%M} UTC"
    made = [_story(f"Quiet Tariff Story Number {index:03d}", date=date) for index in range(300)]
    await stories.import_stories([ImportItem(f"file:{s.slug}", s) for s in made], now=IMPORTED)
    busy = await _add(stories, _story("Busy Story About Chips"))
    await stories.add_development(busy.id, "Chips ship", "Chips shipped.", content_hash="c", now=NOW)

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    assert "1 with news, 300 without" in plain(digest.reply.text)
    [block] = _cards_titled(digest, "Quiet for a week or more")
    assert split_card(block) == [block]
    listed = len([line for line in plain(block.description).splitlines() if line.startswith("• ")])
    assert listed + _more_count(block) == 300
    assert _more_count(block) > 0


async def test_a_new_story_with_an_old_date_is_fresh_not_quiet(stories: StoryRepository) -> None:
    old_date = f"{NOW - QUIET_AFTER - timedelta(days=20):%Y-%m-%d %H:%M} UTC"
    quiet = await _add(stories, _story("Quiet Story About Tariffs", date=old_date))
    late_story = _story("Late Import Of An Old Story", date=old_date)
    late = await _add(stories, late_story, now=LAST_DIGEST + timedelta(hours=1))
    steady = await _add(stories, _story("Steady Story About Ports", date="2024-03-10 07:00 UTC"))

    digest = await compose_digest(stories, None, LAST_DIGEST, NOW, UTC)

    assert "1 with news, 2 without" in plain(digest.reply.text)
    assert digest.reply.cards[0].title == f"{NEW_MARK} {late.title}"
    assert digest.reply.cards[1].title == steady.title
    [block] = _cards_titled(digest, "Quiet for a week or more")
    assert to_markdown(block.description).splitlines() == [
        f"• {quiet.title} · `{quiet.slug}` · last development {quiet.published_at:%d %b}"
    ]
