"""Tests for bot.story_service: the answers behind /story, on a real SQLite store holding the seed."""

from __future__ import annotations

import pytest

from bot.errors import UnknownStory, UserError
from bot.story_model import Story
from bot.story_service import MAX_QUESTION_CHARS, StoryService
from bot.text_render import render_reply
from storage.stories import ImportItem, StoryRepository
from tests.conftest import SEED_KEY_POINT_LABELS

GUILD = 333333333333333333


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
    quoted = card.fields[0].value
    assert any(bullet.text in quoted for bullet in why.bullets)
    assert seed_story.title in card.description


async def test_an_unrelated_question_is_not_covered(service: StoryService, seed_story: Story) -> None:
    reply = await service.ask(seed_story.slug, "bananas", None)
    assert reply.cards == ()
    assert "does not cover that" in reply.text
    assert seed_story.title in reply.text


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
    assert (reply.cards[0].footer or "").endswith("· 1 story")
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
    assert reply.text.startswith("Ask about something in the story, e.g. `why south korea`")
    example = await service.ask(seed_story.slug, "why south korea", None)  # the examples do answer
    assert example.cards[0].fields[0].name == "Why South Korea?"
