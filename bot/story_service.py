"""Answers about stories, shared by the slash commands and the console."""

from __future__ import annotations

import math
from datetime import UTC

from bot import markup, story_cards
from bot.answers import ask_hint, asks_about_nothing, clean_question, rank
from bot.audience import AudienceZones
from bot.cards import Reply
from bot.errors import UnknownStory, UserError
from bot.story_now import key_points_now, passages_now
from bot.text import plural
from storage.records import StoryChoice, StoryDetail, StoryRecord
from storage.stories import StoryRepository

PAGE_SIZE = 8
MAX_QUESTION_CHARS = 300


class StoryService:
    """`viewer`: the server asked in (None in DMs), which decides what is visible. `user_id`: who asks, whose
    `/brief` zone shows dates in DMs (see AudienceZones)."""

    def __init__(self, stories: StoryRepository, zones: AudienceZones | None = None) -> None:
        self.stories = stories
        self.zones = zones or AudienceZones(None, UTC)

    async def choices(self, text: str, viewer: str | None, *, own_only: bool = False) -> list[StoryChoice]:
        """`own_only`: the viewer's own stories only, without the global ones."""
        return await self.stories.autocomplete(text[:100], viewer, own_only=own_only)

    async def resolve(self, text: str, viewer: str | None) -> StoryRecord:
        """An exact slug, else the single best autocomplete match; raises UnknownStory."""
        text = text.strip()
        if not text:
            raise UserError("Name a story: its slug, or a word of its title.")
        story = await self.stories.get(text.lower(), viewer)
        if story is not None:
            return story
        matches = await self.stories.autocomplete(text, viewer, limit=3)
        if len(matches) == 1 or (matches and matches[0].slug.startswith(text.lower())):
            found = await self.stories.get(matches[0].slug, viewer)
            if found is not None:
                return found
        raise UnknownStory(text, [m.slug for m in matches])

    async def list_page(
        self, viewer: str | None, page: int = 1, *, user_id: str | None = None, clamp: bool = False
    ) -> tuple[Reply, int]:
        """One page and the page count. A page that does not exist is an error, unless `clamp` (page buttons)."""
        total = await self.stories.count(viewer)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if not clamp and not 1 <= page <= pages:
            there = "There is" if pages == 1 else "There are"
            raise UserError(f"{there} only {plural(pages, 'page')} of stories here, so no page {page}.")
        page = min(max(1, page), pages)
        rows = await self.stories.recent(viewer, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        latest = await self.stories.last_development_dates([row.id for row in rows])
        zone = await self.zones.zone_for(viewer, user_id)
        return Reply(cards=(story_cards.list_card(rows, latest, page, pages, total, zone),)), pages

    async def detail(self, text: str, viewer: str | None) -> StoryDetail:
        story = await self.resolve(text, viewer)
        detail = await self.stories.detail(story.slug, viewer)
        if detail is None:  # removed between the two reads
            raise UnknownStory(text)
        return detail

    async def show(self, text: str, viewer: str | None, *, user_id: str | None = None) -> Reply:
        detail = await self.detail(text, viewer)
        return Reply(cards=(story_cards.show_card(detail, await self.zones.zone_for(viewer, user_id)),))

    async def keypoints(self, text: str, viewer: str | None) -> Reply:
        story = await self.resolve(text, viewer)
        points = key_points_now(await self.stories.key_points(story.id), await self.stories.developments(story.id))
        return Reply(cards=(story_cards.keypoints_card(story, points),))

    async def ask(self, text: str, question: str, viewer: str | None) -> Reply:
        question = clean_question(question)
        if not question:
            raise UserError(markup.text("Ask a question, for example ", markup.code("why south korea"), "."))
        if len(question) > MAX_QUESTION_CHARS:
            raise UserError(f"Keep the question under {MAX_QUESTION_CHARS} characters.")
        detail = await self.detail(text, viewer)
        if asks_about_nothing(question):  # "what is it?": a random paragraph would not help
            return Reply(text=ask_hint(detail.sections), ephemeral=True)
        return story_cards.ask_reply(detail.story, question, rank(question, passages_now(detail)))

    async def timeline(self, text: str, viewer: str | None, *, user_id: str | None = None) -> Reply:
        detail = await self.detail(text, viewer)
        return Reply(cards=(story_cards.timeline_card(detail, await self.zones.zone_for(viewer, user_id)),))

    async def search(self, query: str, viewer: str | None) -> Reply:
        query = clean_question(query)
        if not query:
            raise UserError("Type something to search for.")
        return Reply(cards=(story_cards.search_card(query[:100], await self.stories.search(query[:200], viewer)),))
