"""Tests for storage.follows: follows, the per-story alert cursor, held alerts and story threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.parser import parse_article
from bot.story_model import Story
from storage.database import Database
from storage.follows import FollowerKind, FollowRepository, Removal, follow_ref
from storage.outbox import OutboxRepository, OutboxStatus, OutgoingMessage
from storage.records import StoryRecord
from storage.stories import ImportItem, StoryRepository
from tests.conftest import markdown_article

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
GUILD = "discord:111111111111111111"
OTHER_GUILD = "discord:222222222222222222"
CHANNEL = "discord:555555555555555555"
OTHER_CHANNEL = "discord:555555555555555556"
ROLE = "discord:999999999999999999"
USER = "discord:777777777777777777"
OTHER_USER = "discord:787878787878787878"


@pytest.fixture
def follows(db: Database) -> FollowRepository:
    return FollowRepository(db)


@pytest.fixture
async def story(stories: StoryRepository, seed_story: Story) -> StoryRecord:
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=NOW)
    record = await stories.get(seed_story.slug, None)
    assert record is not None
    return record


async def _develop(stories: StoryRepository, story: StoryRecord, text: str, now: datetime = NOW) -> int:
    development_id = await stories.add_development(story.id, text, text, content_hash=text, now=now)
    assert development_id is not None
    return development_id


def _message(key: str) -> OutgoingMessage:
    return OutgoingMessage(key, "alert", "user", USER, '{"content":"x","cards":[]}', "follow:1")


async def _outbox_keys(db: Database) -> list[str]:
    async with db.reader.execute("SELECT dedupe_key FROM outbox ORDER BY id") as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def test_follow_is_created_once_and_starts_after_existing_developments(
    follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    before = await _develop(stories, story, "Earlier development.")

    follow, created = await follows.follow(story.id, "user", USER, scope_id=None, ping_role_id=None, now=NOW)
    again, created_again = await follows.follow(story.id, "user", USER, scope_id=None, ping_role_id=None, now=NOW)

    assert created and not created_again
    assert again.id == follow.id
    assert follow.since_development_id == before
    assert (follow.follower_kind, follow.follower_id, follow.muted_until) == ("user", USER, None)
    assert follow.follower_kind is FollowerKind.USER
    assert [f.id for f in await follows.followers(story.id)] == [follow.id]


async def test_following_again_updates_the_ping_role(follows: FollowRepository, story: StoryRecord) -> None:
    await follows.follow(story.id, "channel", CHANNEL, scope_id=GUILD, ping_role_id=None, now=NOW)
    follow, created = await follows.follow(story.id, "channel", CHANNEL, scope_id=GUILD, ping_role_id=ROLE, now=NOW)
    assert not created
    assert follow.ping_role_id == ROLE


async def test_following_lists_own_follows_and_this_servers_channels(
    follows: FollowRepository, story: StoryRecord
) -> None:
    await follows.follow(story.id, "user", USER, scope_id=None, ping_role_id=None, now=NOW)
    await follows.follow(story.id, "user", OTHER_USER, scope_id=None, ping_role_id=None, now=NOW)
    await follows.follow(story.id, "channel", CHANNEL, scope_id=GUILD, ping_role_id=None, now=NOW)
    await follows.follow(story.id, "channel", OTHER_CHANNEL, scope_id=OTHER_GUILD, ping_role_id=None, now=NOW)

    rows = await follows.following(USER, GUILD)
    assert sorted((r.follow.follower_kind, r.follow.follower_id) for r in rows) == [
        ("channel", CHANNEL),
        ("user", USER),
    ]
    assert {r.slug for r in rows} == {story.slug}
    assert [r.follow.follower_id for r in await follows.following(USER, None)] == [USER]


async def test_unfollow_and_mute_report_whether_anything_changed(follows: FollowRepository, story: StoryRecord) -> None:
    await follows.follow(story.id, "user", USER, scope_id=None, ping_role_id=None, now=NOW)
    until = NOW + timedelta(hours=3)
    assert await follows.mute(story.id, USER, until)
    assert not await follows.mute(story.id, OTHER_USER, until)
    [follow] = await follows.followers(story.id)
    assert follow.muted_until == until
    assert follow.muted(NOW) and not follow.muted(until)

    assert await follows.unfollow(story.id, "user", USER)
    assert not await follows.unfollow(story.id, "user", USER)
    assert await follows.followers(story.id) == []


async def test_pending_alerts_wait_for_the_quiet_period(
    db: Database, follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    assert await follows.pending_alerts(NOW, quiet_since=NOW) == []
    first = await _develop(stories, story, "First development.")
    [pending] = await follows.pending_alerts(NOW, quiet_since=NOW - timedelta(minutes=30))
    assert (pending.story_id, pending.alerted_through_id, pending.newest_id) == (story.id, 0, first)

    assert await follows.fan_out(story.id, first, [_message("alert:1:1:0")], [], NOW, expected_from=0)
    assert await follows.pending_alerts(NOW, quiet_since=NOW - timedelta(minutes=30)) == []

    second = await _develop(stories, story, "Second development.", NOW + timedelta(minutes=5))
    later = NOW + timedelta(minutes=10)
    assert await follows.pending_alerts(later, quiet_since=later - timedelta(minutes=30)) == []
    after_window = NOW + timedelta(minutes=30)
    [pending] = await follows.pending_alerts(after_window, quiet_since=after_window - timedelta(minutes=30))
    assert (pending.alerted_through_id, pending.newest_id) == (first, second)
    assert await _outbox_keys(db) == ["alert:1:1:0"]


async def test_fan_out_is_refused_when_another_run_got_there_first(
    db: Database, follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    first = await _develop(stories, story, "First development.")
    assert await follows.fan_out(story.id, first, [_message("a")], [], NOW, expected_from=0)
    assert not await follows.fan_out(story.id, first, [_message("b")], [], NOW, expected_from=0)
    assert await _outbox_keys(db) == ["a"]


async def test_a_fan_out_without_recipients_does_not_start_a_burst(
    follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    first = await _develop(stories, story, "First development.")
    assert await follows.fan_out(story.id, first, [], [], NOW, expected_from=0)
    second = await _develop(stories, story, "Second development.", NOW + timedelta(minutes=1))
    moment = NOW + timedelta(minutes=1)
    [pending] = await follows.pending_alerts(moment, quiet_since=moment - timedelta(minutes=30))
    assert pending.newest_id == second


async def test_held_alerts_are_kept_and_released_atomically(
    db: Database, follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    follow, _ = await follows.follow(story.id, "user", USER, scope_id=None, ping_role_id=None, now=NOW)
    await follows.mute(story.id, USER, NOW + timedelta(hours=1))
    first = await _develop(stories, story, "First development.")
    second = await _develop(stories, story, "Second development.")
    assert await follows.fan_out(story.id, second, [], [(follow.id, first), (follow.id, second)], NOW, expected_from=0)

    assert await follows.held_for("user", USER) == [(follow.id, first), (follow.id, second)]
    assert await follows.held_for("user", OTHER_USER) == []
    assert await follows.unmuted_with_holds(NOW) == []
    [ended] = await follows.unmuted_with_holds(NOW + timedelta(hours=1))
    assert ended.id == follow.id

    assert await follows.release([(follow.id, first), (follow.id, second)], [_message("catchup:x")], NOW)
    assert await follows.held_for("user", USER) == []
    assert await _outbox_keys(db) == ["catchup:x"]
    assert await follows.unmuted_with_holds(NOW + timedelta(hours=2)) == []
    # Holds a digest already released are not released (and enqueued) a second time.
    assert not await follows.release([(follow.id, first)], [_message("catchup:again")], NOW)
    assert await _outbox_keys(db) == ["catchup:x"]


async def test_unfollowing_drops_held_alerts(
    follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    follow, _ = await follows.follow(story.id, "user", USER, scope_id=None, ping_role_id=None, now=NOW)
    first = await _develop(stories, story, "First development.")
    await follows.fan_out(story.id, first, [], [(follow.id, first)], NOW, expected_from=0)
    await follows.unfollow(story.id, "user", USER)
    assert await follows.held_for("user", USER) == []


async def test_story_threads_are_remembered_per_channel(follows: FollowRepository, story: StoryRecord) -> None:
    assert await follows.thread(CHANNEL, story.id) is None
    await follows.save_thread(CHANNEL, story.id, card_message_id="10", thread_id=None)
    await follows.save_thread(CHANNEL, story.id, card_message_id=None, thread_id="20")
    thread = await follows.thread(CHANNEL, story.id)
    assert thread is not None and (thread.card_message_id, thread.thread_id) == ("10", "20")
    assert await follows.thread(OTHER_CHANNEL, story.id) is None
    await follows.forget_thread(CHANNEL, story.id)
    assert await follows.thread(CHANNEL, story.id) is None


async def test_removing_a_story_removes_its_follows(
    follows: FollowRepository, stories: StoryRepository, seed_story: Story
) -> None:
    await stories.import_stories([ImportItem("file:guild", seed_story, GUILD)], now=NOW)
    local = await stories.get(seed_story.slug, GUILD)
    assert local is not None
    await follows.follow(local.id, "channel", CHANNEL, scope_id=GUILD, ping_role_id=None, now=NOW)
    await follows.save_thread(CHANNEL, local.id, card_message_id="1", thread_id="2")
    assert await stories.remove(local.id, GUILD)
    assert await follows.followers(local.id) == []
    assert await follows.thread(CHANNEL, local.id) is None


async def test_remove_story_enqueues_the_notices_and_removes_the_story_in_one_transaction(
    db: Database, follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    bake_sale = parse_article(markdown_article(title="Our Guild Bake Sale"), "bake.md")
    await stories.import_stories([ImportItem("file:bake", bake_sale, GUILD)], now=NOW)
    local = await stories.get(bake_sale.slug, GUILD)
    assert local is not None and local.id != story.id
    first, _ = await follows.follow(local.id, FollowerKind.USER, USER, scope_id=None, ping_role_id=None, now=NOW)
    await follows.follow(local.id, FollowerKind.USER, OTHER_USER, scope_id=None, ping_role_id=None, now=NOW)

    # Notices built before OTHER_USER followed: nothing is done, so the caller builds them again.
    stale = await follows.remove_story(local.id, GUILD, [_message("removed:a:0")], follow_ids={first.id}, now=NOW)
    assert stale is Removal.FOLLOWERS_CHANGED
    assert await stories.get_by_id(local.id) is not None and await _outbox_keys(db) == []

    # A global story, or another server's, is never removed, and its notices are not enqueued.
    refused = await follows.remove_story(story.id, GUILD, [_message("removed:g:0")], follow_ids=set(), now=NOW)
    assert refused is Removal.REFUSED
    assert await stories.get_by_id(story.id) is not None and await _outbox_keys(db) == []

    ids = {f.id for f in await follows.followers(local.id)}
    notices = [_message("removed:b:0"), _message("removed:c:0")]
    assert await follows.remove_story(local.id, GUILD, notices, follow_ids=ids, now=NOW) is Removal.REMOVED
    assert await _outbox_keys(db) == ["removed:b:0", "removed:c:0"]
    assert await stories.get_by_id(local.id) is None and await follows.followers(local.id) == []


async def test_removing_a_story_ends_the_alerts_still_queued_for_its_follows(
    db: Database, follows: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    """A queued alert would post about a story that is gone (and open its thread again): the notice is the last."""
    bake_sale = parse_article(markdown_article(title="Our Guild Bake Sale"), "bake.md")
    await stories.import_stories([ImportItem("file:bake", bake_sale, GUILD)], now=NOW)
    local = await stories.get(bake_sale.slug, GUILD)
    assert local is not None
    gone, _ = await follows.follow(local.id, FollowerKind.USER, USER, scope_id=None, ping_role_id=None, now=NOW)
    kept, _ = await follows.follow(story.id, FollowerKind.USER, USER, scope_id=None, ping_role_id=None, now=NOW)
    outbox = OutboxRepository(db)
    alert = '{"content":"x","cards":[]}'
    await outbox.enqueue([
        OutgoingMessage("alert:gone", "alert", "user", USER, alert, follow_ref(gone.id)),
        OutgoingMessage("alert:kept", "alert", "user", USER, alert, follow_ref(kept.id)),
    ])
    notice = OutgoingMessage("removed:gone", "alert", "user", USER, alert, follow_ref(gone.id))
    assert await follows.remove_story(local.id, GUILD, [notice], follow_ids={gone.id}, now=NOW) is Removal.REMOVED
    due = await outbox.due(datetime.now(UTC) + timedelta(days=1), platform="discord")
    assert [item.dedupe_key for item in due] == ["alert:kept", "removed:gone"]
    [ended] = [item for item in await outbox.latest_for_ref(follow_ref(gone.id)) if item.dedupe_key == "alert:gone"]
    assert ended.status is OutboxStatus.FAILED and ended.last_error == "the story was removed"
