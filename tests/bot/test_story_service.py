"""Tests for bot.story_service: the answers behind /story, on a real SQLite store holding the seed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.audience import AudienceZones
from bot.errors import UnknownStory, UserError
from bot.markdown import to_markdown
from bot.markup import plain
from bot.parser import parse_article
from bot.story_model import Story
from bot.story_service import MAX_QUESTION_CHARS, StoryService
from bot.text_render import render_reply
from storage.database import Database
from storage.digests import AudienceKind, DigestRepository
from storage.stories import ImportItem, StoryRepository
from tests.conftest import SEED_KEY_POINT_LABELS, markdown_article

GUILD = "discord:333333333333333333"
OTHER_GUILD = "discord:444444444444444444"
CHANNEL = "discord:555555555555555555"
USER = "discord:777777777777777777"
OTHER_USER = "discord:787878787878787878"


@pytest.fixture
async def service(stories: StoryRepository, seed_story: Story) -> StoryService:
    await stories.import_stories([ImportItem("file:seed", seed_story)])
    return StoryService(stories)


async def test_ask_why_south_korea_answers_from_that_section(service: StoryService, seed_story: Story) -> None:
    reply = await service.ask(seed_story.slug, "why south korea", None)
    assert not reply.ephemeral
    [card] = reply.cards
    assert card.fields, render_reply(reply)
    assert card.fields[0].name == "Why South Korea?"
    why = seed_story.sections[1]
    quoted = plain(card.fields[0].value)
    assert any(bullet.text in quoted for bullet in why.bullets)
    assert seed_story.title in plain(card.description)


@pytest.mark.parametrize("question", ["what's next", "what happens next?", "outlook"])
async def test_whats_next_answers_from_the_outlook_section(
    service: StoryService, seed_story: Story, question: str
) -> None:
    # "next" is in no passage of the seed: only the question's own kind (an outlook) can find "Looking Ahead".
    reply = await service.ask(seed_story.slug, question, None)
    [card] = reply.cards
    assert card.fields[0].name == "Looking Ahead", render_reply(reply)


async def test_an_unrelated_question_is_not_covered(service: StoryService, seed_story: Story) -> None:
    reply = await service.ask(seed_story.slug, "bananas", None)
    assert reply.cards == ()
    assert "does not cover that" in plain(reply.text)
    assert seed_story.title in plain(reply.text)


async def test_unknown_story_raises(service: StoryService) -> None:
    with pytest.raises(UnknownStory, match="no-such-story"):
        await service.ask("no-such-story", "why south korea", None)
    with pytest.raises(UnknownStory):
        await service.show("bananas", None)
    with pytest.raises(UnknownStory):
        await service.keypoints("bananas", None)
    with pytest.raises(UnknownStory):
        await service.timeline("bananas", None)


async def test_bad_questions_are_user_errors(service: StoryService, seed_story: Story) -> None:
    with pytest.raises(UserError):
        await service.ask(seed_story.slug, "   ", None)
    with pytest.raises(UserError, match=str(MAX_QUESTION_CHARS)):
        await service.ask(seed_story.slug, "why " * MAX_QUESTION_CHARS, None)
    with pytest.raises(UserError):
        await service.resolve("  ", None)
    with pytest.raises(UserError):
        await service.search("  ", None)


async def test_resolve_by_exact_slug_or_prefix(service: StoryService, seed_story: Story) -> None:
    assert (await service.resolve(seed_story.slug, None)).slug == seed_story.slug
    assert (await service.resolve(seed_story.slug.upper(), None)).slug == seed_story.slug
    assert (await service.resolve("zuck", None)).slug == seed_story.slug


async def test_keypoints_show_the_three_labels(service: StoryService) -> None:
    text = render_reply(await service.keypoints("zuck", None))
    positions = [text.index(label) for label in SEED_KEY_POINT_LABELS]
    assert positions == sorted(positions)


async def test_show_and_timeline(service: StoryService, seed_story: Story) -> None:
    shown = render_reply(await service.show("zuck", None))
    assert seed_story.summary in shown
    assert all(label in shown for label in SEED_KEY_POINT_LABELS)
    assert "6 min read" in shown
    assert "time zone assumed" in shown
    timeline = render_reply(await service.timeline("zuck", None))
    assert "No developments yet" in timeline


async def test_list_and_search_respect_scope(service: StoryService, stories: StoryRepository) -> None:
    reply, pages = await service.list_page(None)
    assert pages == 1
    assert reply.cards[0].footer == "Page 1/1 · 1 story · dates in UTC"
    with pytest.raises(UserError, match="There is only 1 page of stories here, so no page 99"):
        await service.list_page(None, page=99)
    with pytest.raises(UserError, match="no page 0"):
        await service.list_page(None, page=0)
    assert await service.list_page(None, page=99, clamp=True) == (reply, 1)  # stale page buttons
    found = render_reply(await service.search("chip supply", None))
    assert "zuckerberg" in found
    nothing = render_reply(await service.search("bananas", GUILD))
    assert "No tracked story mentions that" in nothing


@pytest.mark.parametrize("question", ["what is it?", "why?", "Warum?"])
async def test_a_question_of_stop_words_gets_examples_not_a_random_paragraph(
    service: StoryService, seed_story: Story, question: str
) -> None:
    reply = await service.ask(seed_story.slug, question, None)
    assert reply.cards == ()
    assert reply.ephemeral
    assert to_markdown(reply.text).startswith("Ask about something in the story, e.g. `why south korea`")
    example = await service.ask(seed_story.slug, "why south korea", None)  # the examples do answer
    assert example.cards[0].fields[0].name == "Why South Korea?"


async def _save_zone(db: Database, kind: AudienceKind, audience: int, zone: str) -> None:
    fire = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)
    await DigestRepository(db).save(
        audience_kind=kind, audience_id=audience, scope_id=GUILD if kind is AudienceKind.GUILD else None,
        channel_id=CHANNEL if kind is AudienceKind.GUILD else None, time_of_day="07:00", timezone=zone,
        days="mon,tue,wed,thu,fri,sat,sun", next_fire_at=fire, next_slot_date=fire.date(), now=fire,
    )


async def test_list_shows_the_developments_own_date_not_when_it_was_imported(
    stories: StoryRepository, seed_story: Story
) -> None:
    await stories.import_stories([ImportItem("file:seed", seed_story)])
    record = await stories.get(seed_story.slug, None)
    assert record is not None
    await stories.add_development(
        record.id, "Deal signed", "The deal was signed.", content_hash="deal",
        published_at=datetime(2024, 9, 18, 12, 0, tzinfo=UTC), now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
    )

    reply, _ = await StoryService(stories).list_page(None)

    text = render_reply(reply)
    assert "last development 18 Sep 2024" in text
    assert "2026" not in text


async def test_dates_show_in_the_audiences_zone_and_name_it(db: Database, stories: StoryRepository) -> None:
    # 02:17 UTC on 7 Jan is still 6 Jan in New York, already the afternoon of 7 Jan in Seoul.
    article = markdown_article(title="Evening Vote On The Budget", date="2024-01-07 02:17 UTC")
    await stories.import_stories([ImportItem("file:vote", parse_article(article, "vote.md"))])
    await _save_zone(db, AudienceKind.GUILD, GUILD, "America/New_York")
    await _save_zone(db, AudienceKind.USER, USER, "Asia/Seoul")
    service = StoryService(stories, AudienceZones(DigestRepository(db), ZoneInfo("Europe/Paris")))
    slug = "evening-vote-on-the-budget"

    in_server = render_reply(await service.show(slug, GUILD, user_id=USER))
    assert "6 Jan 2024, 21:17 EST" in in_server
    listed, _ = await service.list_page(GUILD, user_id=USER)
    assert "6 Jan 2024" in plain(listed.cards[0].description)
    assert "dates in America/New_York" in (listed.cards[0].footer or "")
    timeline = render_reply(await service.timeline(slug, GUILD, user_id=USER))
    assert "6 Jan 2024: first reported" in timeline and "America/New_York" in timeline

    in_dms = render_reply(await service.show(slug, None, user_id=USER))  # the user's /brief zone
    assert "7 Jan 2024, 11:17 KST" in in_dms
    elsewhere = render_reply(await service.show(slug, OTHER_GUILD, user_id=OTHER_USER))  # DEFAULT_TIMEZONE
    assert "7 Jan 2024, 03:17 CET" in elsewhere
    stranger_dm = render_reply(await service.show(slug, None, user_id=OTHER_USER))
    assert "7 Jan 2024, 03:17 CET" in stranger_dm


async def test_an_empty_story_name_says_how_to_name_one_on_any_platform(service: StoryService) -> None:
    with pytest.raises(UserError) as refused:
        await service.resolve("   ", None)
    assert str(refused.value) == "Name a story: its slug, or a word of its title."  # no Discord-only "pick one"
