"""The matcher's state for feeds, and what becomes of each new item.

One `Matcher` and one `StoryIndex` serve every feed. The index is built once (at the first poll or command that
needs it) from the stored stories, after the newest decided items are replayed into the matcher's statistics, so
a restart decides like the process before it. Each tick first checks whether stories changed (a cheap
fingerprint), and re-profiles only the changed ones (`StoryIndex.upsert`). A removed story stays in the index but
is never a candidate again.

Candidates are scoped by owner, the rule manual updates follow too (`bot.story_admin`): a server's feed develops
only that server's own stories, and a global feed (the operator's) only the global ones. A server sees the global
stories, but changing them would change what every other server's followers are told. A feed added for one story
is matched against that story only, and only if its scope owns it.

Outcomes (`ItemOutcome`):
- **development**: recorded as a development of the story, with the item's title as headline, its summary (else
  the article's first sentences) as text, its outlet and link, in the same transaction as the item. The alert
  job then tells the story's followers (it is woken at once). Unless it would say nothing new: when
  `bot.alerts.whats_new` finds no statement that the story does not already have, it is **nothing new** and
  makes no development.
- **duplicate**: no development; the outlet is added to the development's "also reported by".
- **unrelated**: recorded with the best story and its score.
Decisions and their recording run one at a time (a lock), so two feeds reporting one event in the same tick make
one development and one duplicate, not two developments.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.alerts import known_statements, whats_new
from bot.feeds.identity import normalise_link
from bot.feeds.match import (
    CandidateStory,
    FeedItemText,
    KnownDevelopment,
    MatchDecision,
    Matcher,
    MatchKind,
    StoryIndex,
)
from bot.feeds.model import FeedItem
from bot.feeds.outcomes import ItemOutcome
from bot.limits import truncate
from bot.text import split_sentences
from storage.feeds import FeedRecord, FeedRepository, LearnedItem, NewItem, Report, StoryText
from storage.records import to_db_time
from storage.stories import StoryRepository
from storage.story_import import DevelopmentRow

log = logging.getLogger(__name__)

LEARN_AT_START = 5000  # decided items replayed into the matcher's statistics at start
HEADLINE_CHARS = 200
BODY_CHARS = 1500
ARTICLE_SENTENCES = 3  # a development's text when the item has no summary
_MISSING = object()
SERVER_ONLY = "unrelated (only this server's own stories are candidates)"


def candidate(text: StoryText) -> CandidateStory:
    return CandidateStory(
        story_id=text.id,
        title=text.title,
        summary=text.summary,
        key_points=text.key_points,
        section_text=text.section_text,
        developments=tuple(KnownDevelopment(d.id, d.headline, d.body, d.published_at) for d in text.developments),
    )


@dataclass(frozen=True, slots=True)
class NewFeedItem:
    """A new item of a feed, ready to decide: `text` is what the matcher reads (the article too, when read)."""

    item: FeedItem
    key: str
    text: FeedItemText
    article_note: str | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """What became of one item: its row (already stored when `stored`), and a report to store with the rest."""

    row: NewItem
    stored: bool = False
    report: Report | None = None


def new_item(item: FeedItem, key: str, outcome: ItemOutcome, outlet: str | None, **evidence: object) -> NewItem:
    """An item's row: what it was, and `evidence` (NewItem's other fields) for what became of it."""
    return NewItem(
        item_key=key,
        link=item.link,
        link_key=normalise_link(item.link) if item.link else None,
        title=item.title,
        summary=item.summary,
        outlet=outlet,
        published_at=item.published,
        outcome=outcome,
        **evidence,  # type: ignore[arg-type]
    )


def item_row(feed: FeedRecord, new: NewFeedItem, outcome: ItemOutcome, **evidence: object) -> NewItem:
    outlet = new.item.outlet or feed.title
    return new_item(new.item, new.key, outcome, outlet, article_note=new.article_note, **evidence)


class FeedMatching:
    def __init__(
        self,
        feeds: FeedRepository,
        stories: StoryRepository,
        matcher: Matcher,
        *,
        wake_alerts: Callable[[], None],
    ) -> None:
        self.feeds = feeds
        self.stories = stories
        self.matcher = matcher
        self.wake_alerts = wake_alerts
        self.index: StoryIndex | None = None
        self._owners: dict[int, str | None] = {}  # live story id -> its server or workspace (None: global)
        self._marks: dict[int, str] = {}  # story id -> updated_at as profiled
        self._fingerprint: tuple[int, str, int] | None = None
        self._lock = asyncio.Lock()

    # --- the index -----------------------------------------------------------------------------

    async def ready(self) -> StoryIndex:
        """The index, built on first use: replay the learnt items, then profile every story."""
        async with self._lock:
            if self.index is None:
                await self._build()
            assert self.index is not None
            return self.index

    async def _build(self) -> None:
        learned = await self.feeds.learned_items(LEARN_AT_START)
        self._fingerprint = await self.feeds.stories_fingerprint()
        texts = await self.feeds.story_texts()
        # Profiling 10,000 stories is seconds of CPU: in a thread, so the loop keeps the platform's heartbeats.
        # Nothing else touches the matcher meanwhile: deciding waits for `ready`, which holds the lock.
        self.index = await asyncio.to_thread(self._profile, learned, texts)
        self._owners = {text.id: text.scope_id for text in texts}
        self._marks = {text.id: text.updated_at for text in texts}
        log.info("feed matcher ready: %d stories, %d items replayed", len(texts), len(learned))

    def _profile(self, learned: Sequence[LearnedItem], texts: Sequence[StoryText]) -> StoryIndex:
        """Replays the learnt items into the matcher's statistics, then profiles every story (no I/O)."""
        for item in learned:
            kind = MatchKind.UNRELATED if item.outcome == ItemOutcome.UNRELATED else MatchKind.DEVELOPMENT
            self.matcher.observe(
                FeedItemText(item.title, item.summary, published=item.published_at),
                MatchDecision(kind, None, None, 0.0, None, 0.0, "replayed at start"),
            )
        return self.matcher.index(candidate(text) for text in texts)

    async def refresh(self) -> int:
        """Re-profiles the stories added or changed since the last look (a tick calls it); returns how many."""
        await self.ready()
        fingerprint = await self.feeds.stories_fingerprint()
        if fingerprint == self._fingerprint:
            return 0
        async with self._lock:
            self._fingerprint = fingerprint
            marks = await self.feeds.story_marks()
            changed = [m.id for m in marks if self._marks.get(m.id) != m.updated_at]
            self._owners = {m.id: m.scope_id for m in marks}
            await self._upsert(changed)
        if changed:
            log.info("feed matcher: %d stories added or changed", len(changed))
        return len(changed)

    async def _upsert(self, story_ids: Sequence[int]) -> None:
        assert self.index is not None
        for text in await self.feeds.story_texts(story_ids):
            self.index.upsert(candidate(text))
            self._marks[text.id] = text.updated_at
            self._owners[text.id] = text.scope_id

    def allowed(self, feed: FeedRecord) -> Callable[[int], bool]:
        """The feed's candidate stories: those its scope owns (a server's own, or the global ones for a global
        feed), and only its one story when it has one."""
        owners = self._owners
        scope = feed.scope_id
        if feed.story_id is not None:
            only = feed.story_id
            return lambda story_id: story_id == only and owners.get(story_id, _MISSING) == scope
        return lambda story_id: owners.get(story_id, _MISSING) == scope

    # --- deciding ------------------------------------------------------------------------------

    async def decide(self, feed: FeedRecord, new: NewFeedItem, now: datetime) -> Recorded:
        """Decides one item and, for a development, records it (with the item) at once; other outcomes come back
        for the caller to store with the rest of the poll."""
        index = await self.ready()
        async with self._lock:
            decision = self.matcher.decide(new.text, index, self.allowed(feed))
            self.matcher.observe(new.text, decision)
            reason = decision.reason
            if feed.scope_id is not None and decision.kind is MatchKind.UNRELATED:
                # Said first, so "; " still parts the reason from a conflict (see FeedService._answer).
                reason = reason.replace("unrelated: ", f"{SERVER_ONLY}: ", 1)
            evidence = {
                "score": decision.score,
                "best_story_id": decision.best_story_id,
                "best_score": decision.best_score,
                "reason": reason,
            }
            if decision.kind is MatchKind.UNRELATED:
                return Recorded(item_row(feed, new, ItemOutcome.UNRELATED, **evidence))
            assert decision.story_id is not None
            if decision.kind is MatchKind.DUPLICATE:
                assert decision.development_id is not None
                row = item_row(
                    feed,
                    new,
                    ItemOutcome.DUPLICATE,
                    story_id=decision.story_id,
                    development_id=decision.development_id,
                    **evidence,
                )
                report = Report(development_id=decision.development_id, outlet=row.outlet or feed.title, link=row.link)
                return Recorded(row, report=report)
            return await self._development(feed, new, decision, evidence, now)

    async def _development(
        self, feed: FeedRecord, new: NewFeedItem, decision: MatchDecision, evidence: dict[str, object], now: datetime
    ) -> Recorded:
        story_id = decision.story_id
        assert story_id is not None
        item = new.item
        title = item.title or next(iter(split_sentences(item.summary)), "") or "Untitled item"
        body = item.summary or " ".join(split_sentences(new.text.article)[:ARTICLE_SENTENCES])
        story = await self.stories.get_by_id(story_id)
        if story is None:  # removed meanwhile
            return Recorded(item_row(feed, new, ItemOutcome.UNRELATED, **evidence))
        points, earlier = await self.stories.key_points(story_id), await self.stories.developments(story_id)
        if not whats_new(known_statements(story, points, earlier), [title, *split_sentences(body)]):
            return _nothing_new(feed, new, decision, evidence, "it says nothing the story does not already say")
        row = item_row(feed, new, ItemOutcome.DEVELOPMENT, story_id=story_id, **evidence)
        basis = row.link_key or f"{feed.id}\n{new.key}"
        stamp = to_db_time(now)
        published = min(item.published, now) if item.published else now
        development = DevelopmentRow(
            story_id=story_id,
            # Stored as written: cards show it as plain text, so it cannot add markup anywhere.
            headline=truncate(title, HEADLINE_CHARS),
            body=truncate(body, BODY_CHARS),
            key_points_json="[]",
            url=item.link,
            source=row.outlet,
            published_at=to_db_time(published),
            created_at=stamp,
            content_hash=hashlib.sha256(f"feed\n{story_id}\n{basis}".encode()).hexdigest(),
        )
        development_id = await self.feeds.record_development(feed.id, row, development, now)
        if development_id is None:
            return _nothing_new(feed, new, decision, evidence, "the story already has this development")
        await self._upsert([story_id])
        log.info("feed %s: development %s of story %s: %s", feed.id, development_id, story.slug, title[:80])
        self.wake_alerts()
        return Recorded(row, stored=True)


def _nothing_new(
    feed: FeedRecord, new: NewFeedItem, decision: MatchDecision, evidence: dict[str, object], why: str
) -> Recorded:
    evidence = {**evidence, "reason": f"{decision.reason}; {why}"}
    return Recorded(item_row(feed, new, ItemOutcome.NOTHING_NEW, story_id=decision.story_id, **evidence))
