"""A server's own stories: add, update, remove. Every rule is checked here, so each chat platform shares them.

An adapter (a Discord cog, a Slack handler) checks the platform's admin permission, calls one method,
and renders the reply. The operator's `briefbot update` comes through here too, as the one who may update the
global stories."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot import markup
from bot.cards import Reply
from bot.errors import UserError
from bot.follow_service import FollowService
from bot.intake import ArticleParser, fetch_story, link_origin
from bot.limits import truncate
from bot.parser import ParseError, bullet_line
from bot.story_model import Bullet, Story
from bot.story_service import StoryService
from bot.text import split_sentences
from bot.urls import public_http_url
from storage.records import StoryRecord
from storage.stories import ImportItem, ImportStatus, StoryRepository

if TYPE_CHECKING:
    from bot.fetch import Fetcher  # aiohttp: loaded only where a Fetcher is opened

MAX_UPDATE_CHARS = 4000
OPERATOR = None  # `scope_id` for the bot's operator: the global stories are theirs


def development_from_text(text: str) -> tuple[str, str, tuple[Bullet, ...]]:
    """(headline, body, key points) from an update's plain text; bullets "- Label: text" become key points."""
    text = text.strip()
    lines = [(line, bullet_line(line)) for line in text.splitlines()]
    bullets = tuple(bullet for _, bullet in lines if bullet is not None)
    prose = " ".join(line.strip() for line, bullet in lines if bullet is None)
    first = next(iter(split_sentences(prose)), "") or (bullets[0].render() if bullets else text)
    return truncate(first, 200), text, bullets


class StoryAdminService:
    """`parser` parses off the event loop in the bot (see bot.intake); `fetcher` fetches links (None: refused)."""

    def __init__(
        self,
        stories: StoryRepository,
        story_service: StoryService,
        follows: FollowService,
        *,
        parser: ArticleParser | None = None,
        fetcher: Fetcher | None = None,
    ) -> None:
        self.stories = stories
        self.story_service = story_service
        self.follows = follows
        self.parser = parser or ArticleParser(UTC)
        self.fetcher = fetcher

    async def _owned(self, story_text: str, scope_id: str | None, refusal: str) -> StoryRecord:
        """The story named, if `scope_id` may change it: a server its own stories, the operator the global ones."""
        story = await self.story_service.resolve(story_text, scope_id)
        if story.scope_id != scope_id:
            raise UserError(refusal)
        return story

    async def add(self, data: bytes, name: str, scope_id: str) -> Reply:
        """A new story of this server's own, from an article file or pasted text."""
        try:
            story = await self.parser.parse(data, name)
        except ParseError as exc:
            raise UserError(f"Nothing was saved. {exc}") from None
        # "<scope>:<hash>": the origin a Discord server's uploads had before ids were qualified, the same text.
        return await self._save(story, f"{scope_id}:{hashlib.sha256(data).hexdigest()[:16]}", scope_id)

    async def add_link(self, url: str, scope_id: str) -> Reply:
        """A story of this server's own from a web page; the same link again updates it."""
        if self.fetcher is None:
            raise UserError("This bot was started without fetching links; add the article as a file or text.")
        try:
            story = await fetch_story(self.fetcher, self.parser, url)
        except (ParseError, UserError) as exc:  # FetchError is a UserError: its message says why
            raise UserError(f"Nothing was saved. {exc}") from None
        assert story.url is not None  # the final URL, after redirects
        reply = await self._save(story, link_origin(story.url, scope_id), scope_id)
        return replace(reply, text=markup.text(reply.text, f" Source: {story.url}"))

    async def _save(self, story: Story, origin: str, scope_id: str) -> Reply:
        if story.follows:
            follows, update = markup.code("follows:"), markup.code("/story update")
            raise UserError(
                markup.text("Nothing was saved. This document has ", follows, "; use ", update, " for developments.")
            )
        [outcome] = await self.stories.import_stories([ImportItem(origin, story, scope_id)])
        if outcome.status is ImportStatus.FAILED:
            raise UserError(f"Nothing was saved: {outcome.message}")
        said = {
            ImportStatus.UNCHANGED: ("is already tracked as ", " in this server."),
            ImportStatus.UPDATED: ("was already tracked as ", " in this server, and is now updated."),
        }.get(outcome.status, ("is now tracked as ", " in this server."))
        slug = markup.code(outcome.slug)
        return Reply(text=markup.text(markup.bold(story.title), " ", said[0], slug, said[1]), ephemeral=True)

    async def update(
        self, story_text: str, text: str, url: str | None, *, scope_id: str | None, now: datetime | None = None
    ) -> Reply:
        """Adds a development; its followers are told by the alert job. `scope_id` OPERATOR: a global story."""
        story = await self._owned(
            story_text,
            scope_id,
            "Only stories this server added can be updated here; the bot's operator updates the rest.",
        )
        text = text.strip()
        if not text:
            raise UserError("Write what happened: the update's text is empty.")
        if len(text) > MAX_UPDATE_CHARS:
            raise UserError(f"Keep an update under {MAX_UPDATE_CHARS} characters.")
        link = public_http_url(url) if url else None
        headline, body, points = development_from_text(text)
        digest = hashlib.sha256(f"{story.id}\n{text}\n{link or ''}".encode()).hexdigest()
        source = "operator" if scope_id is OPERATOR else f"server {scope_id}"
        development_id = await self.stories.add_development(
            story.id, headline, body, key_points=points, url=link, source=source, content_hash=digest, now=now
        )
        if development_id is None:
            raise UserError("That exact update was already added to this story.")
        self.follows.development_added()
        added = markup.text("Added to ", markup.bold(story.title), f": “{headline}”. Followers will be told.")
        return Reply(text=added, ephemeral=True)

    async def remove(self, story_text: str, scope_id: str, now: datetime | None = None) -> Reply:
        """Removes one of this server's own stories; its followers are told once, before their follows go."""
        refusal = "Only stories this server added can be removed here."
        story = await self._owned(story_text, scope_id, refusal)
        told = await self.follows.remove_story(story, scope_id, now)
        if told is None:
            raise UserError(markup.text(markup.bold(story.title), " was removed meanwhile."))
        followers = f" {told} {'follower was' if told == 1 else 'followers were'} told." if told else ""
        removed = markup.text("Removed ", markup.bold(story.title), f" and its follows.{followers}")
        return Reply(text=removed, ephemeral=True)
