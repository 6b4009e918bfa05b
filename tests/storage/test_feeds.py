"""storage.feeds against a real SQLite file: scoping, due claims, failures and the one disable notice, items,
developments with their items, and "also reported by" on a story's developments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.story_model import Story
from storage.database import Database
from storage.feeds import FeedRepository, NewFeed, NewItem, Report
from storage.outbox import OutgoingMessage, TargetKind
from storage.records import to_db_time
from storage.stories import ImportItem, StoryRepository
from storage.story_import import DevelopmentRow

T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
GUILD, OTHER = "discord:111", "discord:222"


def _feed(url: str, scope_id: str | None, *, next_check_at: datetime = T0, story_id: int | None = None) -> NewFeed:
    return NewFeed(
        url=url,
        scope_id=scope_id,
        channel_id="discord:9",
        story_id=story_id,
        every_minutes=15,
        include=("c++",),
        exclude=(),
        title=f"Feed {url}",
        etag=None,
        last_modified=None,
        last_status=200,
        next_check_at=next_check_at,
        created_at=T0,
    )


def _item(key: str, outcome: str = "baseline", **fields: object) -> NewItem:
    return NewItem(
        item_key=key,
        link=f"https://a.example/{key}",
        link_key=f"https://a.example/{key}",
        title=f"Title {key}",
        summary="",
        outlet="Outlet",
        published_at=T0,
        outcome=outcome,
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def feeds(db: Database) -> FeedRepository:
    return FeedRepository(db)


async def test_one_url_per_scope_and_every_read_is_scoped(feeds: FeedRepository) -> None:
    mine = await feeds.add(_feed("https://f/1", GUILD), [_item("a"), _item("b"), _item("a")])
    assert mine is not None
    assert await feeds.add(_feed("https://f/1", GUILD), []) is None
    theirs = await feeds.add(_feed("https://f/1", OTHER), [])
    global_one = await feeds.add(_feed("https://f/1", None), [])
    assert theirs is not None and global_one is not None
    assert await feeds.add(_feed("https://f/1", None), []) is None  # NULL scopes are one scope too

    assert [f.id for f in await feeds.in_scope(GUILD)] == [mine]
    assert [f.id for f in await feeds.in_scope(None)] == [global_one]
    [record] = await feeds.in_scope(GUILD)
    assert (record.item_count, record.include, record.last_fetch_at) == (2, ("c++",), T0)
    assert await feeds.get(mine, OTHER) is None and await feeds.get(mine, None) is None
    assert (await feeds.by_url("https://f/1", None)).id == global_one  # type: ignore[union-attr]
    assert await feeds.remove(mine, OTHER) is False
    assert [len(await feeds.items_by_link("https://a.example/a", guild, 5)) for guild in (GUILD, OTHER, None)] == [
        1,
        0,
        0,
    ]
    assert [i.title for i in await feeds.items_by_words(["title", "b"], GUILD, 5)] == ["Title b"]
    assert await feeds.items_by_words(["title"], OTHER, 5) == []
    assert await feeds.remove(mine, GUILD) is True
    assert await feeds.items_by_link("https://a.example/a", GUILD, 5) == []  # its items went with it


async def test_claiming_due_feeds_leases_them(feeds: FeedRepository) -> None:
    due = await feeds.add(_feed("https://f/due", GUILD, next_check_at=T0), [])
    later = await feeds.add(_feed("https://f/later", GUILD, next_check_at=T0 + timedelta(hours=1)), [])
    claimed = await feeds.claim_due(T0, T0 + timedelta(minutes=10), 100)
    assert [f.id for f in claimed] == [due]
    assert await feeds.claim_due(T0, T0 + timedelta(minutes=10), 100) == []  # leased
    after_lease = await feeds.claim_due(T0 + timedelta(minutes=61), T0 + timedelta(hours=2), 100)
    assert [f.id for f in after_lease] == [due, later]


async def test_a_feed_is_disabled_once_and_its_notice_enqueued_once(db: Database, feeds: FeedRepository) -> None:
    feed_id = await feeds.add(_feed("https://f/1", GUILD), [])
    assert feed_id is not None
    notice = [OutgoingMessage("feed-disabled:1", "feed", TargetKind.CHANNEL, "discord:9", "{}", "feed:1")]
    failure = {"now": T0, "status": 410, "error": "gone", "failure_count": 1, "next_check_at": None}
    assert await feeds.record_failure(feed_id, disabled_reason="gone", notice=notice, **failure) is True
    assert await feeds.record_failure(feed_id, disabled_reason="gone", notice=notice, **failure) is False
    async with db.reader.execute("SELECT COUNT(*) FROM outbox") as cursor:
        assert (await cursor.fetchone())[0] == 1
    record = await feeds.by_id(feed_id)
    assert record is not None and record.next_check_at is None and record.disabled_at == T0
    assert await feeds.claim_due(T0 + timedelta(days=9), T0 + timedelta(days=10), 10) == []


async def test_known_keys_and_items_recorded_once(feeds: FeedRepository) -> None:
    feed_id = await feeds.add(_feed("https://f/1", GUILD), [_item("a")])
    assert feed_id is not None
    assert await feeds.known_keys(feed_id, ["a", "b", "c"]) == {"a"}
    assert await feeds.record_items(feed_id, [_item("b", "unrelated"), _item("a", "unrelated")], [], T0) == 1
    assert await feeds.known_keys(feed_id, [f"k{n}" for n in range(1200)] + ["b"]) == {"b"}  # chunked lookups
    [b] = await feeds.items_by_link("https://a.example/b", GUILD, 5)
    assert b.outcome == "unrelated"
    assert (await feeds.by_id(feed_id)).item_count == 2  # type: ignore[union-attr]


async def test_a_development_is_recorded_with_its_item_and_reports_show_on_the_story(
    db: Database, feeds: FeedRepository, stories: StoryRepository, seed_story: Story
) -> None:
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=T0)
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    feed_id = await feeds.add(_feed("https://f/1", GUILD), [])
    assert feed_id is not None
    row = DevelopmentRow(
        story_id=story.id,
        headline="Deal signed",
        body="Meta and Samsung signed.",
        key_points_json="[]",
        url="https://a.example/d",
        source="Outlet A",
        published_at=to_db_time(T0),
        created_at=to_db_time(T0),
        content_hash="h1",
    )
    development_id = await feeds.record_development(feed_id, _item("d", "development", story_id=story.id), row, T0)
    assert development_id is not None
    # The same item again, or the same development again: nothing more is recorded.
    assert await feeds.record_development(feed_id, _item("d", "development", story_id=story.id), row, T0) is None
    assert await feeds.record_development(feed_id, _item("e", "development", story_id=story.id), row, T0) is None
    assert await feeds.known_keys(feed_id, ["d", "e"]) == {"d"}

    reports = [
        Report(development_id=development_id, outlet="Outlet B", link="https://b.example/1"),
        Report(development_id=development_id, outlet="Outlet C", link=None),
        Report(development_id=development_id, outlet="Outlet B", link="https://b.example/2"),
    ]
    await feeds.record_items(feed_id, [], reports, T0)
    assert [r.outlet for r in await feeds.reports(development_id)] == ["Outlet B", "Outlet C"]
    [development] = await stories.developments(story.id)
    assert development.id == development_id and development.also_reported_by == ("Outlet B", "Outlet C")
    [stored] = await feeds.items_by_link("https://a.example/d", GUILD, 5)
    assert (stored.development_id, stored.development_headline, stored.story_slug) == (
        development_id,
        "Deal signed",
        story.slug,
    )


async def test_story_texts_carry_what_the_matcher_profiles(
    feeds: FeedRepository, stories: StoryRepository, seed_story: Story
) -> None:
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=T0)
    [text] = await feeds.story_texts()
    assert text.title == seed_story.title and text.scope_id is None
    assert any("Yoon Suk Yeol" in point for point in text.key_points)
    assert "Why South Korea?" in text.section_text
    assert [t.id for t in await feeds.story_texts([text.id, 999])] == [text.id]
    assert await feeds.story_texts([]) == []
    count, updated, last_id = await feeds.stories_fingerprint()
    assert (count, last_id) == (1, text.id) and updated == text.updated_at
