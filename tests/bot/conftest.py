"""Fixtures for the service tests: the seed article stored as a global story."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.story_model import Story
from storage.records import StoryRecord
from storage.stories import ImportItem, StoryRepository

SEED_STORED_AT = datetime(2024, 3, 9, 12, 0, tzinfo=UTC)


@pytest.fixture
async def story(stories: StoryRepository, seed_story: Story) -> StoryRecord:
    """The seed, imported as a global story at SEED_STORED_AT (the day before the tests' T0)."""
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=SEED_STORED_AT)
    record = await stories.get(seed_story.slug, None)
    assert record is not None
    return record
