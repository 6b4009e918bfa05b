"""Two platforms' ids never meet: a Slack workspace "slack:1" sees nothing of the Discord server "discord:1" (the
same external digits), and each platform's outbox worker gets only its own rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.platforms import Platform
from bot.story_model import Story
from storage.database import Database
from storage.digests import AudienceKind, DigestRepository
from storage.feeds import FeedRepository, NewFeed
from storage.follows import FollowerKind, FollowRepository
from storage.outbox import OutboxRepository, OutgoingMessage, TargetKind
from storage.stories import ImportItem, StoryRepository

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
DISCORD_SERVER, SLACK_TEAM = "discord:1", "slack:1"
DISCORD_CHANNEL, SLACK_CHANNEL = "discord:2", "slack:2"
DISCORD_USER, SLACK_USER = "discord:3", "slack:3"


async def _discord_story(stories: StoryRepository, seed_story: Story) -> str:
    [outcome] = await stories.import_stories([ImportItem("file:seed", seed_story, DISCORD_SERVER)], now=NOW)
    return outcome.slug


async def test_a_workspace_never_sees_a_servers_stories(stories: StoryRepository, seed_story: Story) -> None:
    slug = await _discord_story(stories, seed_story)
    word = seed_story.title.split()[0]

    assert await stories.get(slug, DISCORD_SERVER) is not None
    assert await stories.get(slug, SLACK_TEAM) is None
    assert await stories.detail(slug, SLACK_TEAM) is None
    assert (await stories.count(DISCORD_SERVER), await stories.count(SLACK_TEAM)) == (1, 0)
    assert await stories.recent(SLACK_TEAM) == []
    assert await stories.search(word, SLACK_TEAM) == []
    assert await stories.autocomplete(word, SLACK_TEAM) == []
    assert await stories.refs(SLACK_TEAM) == []
    assert [s.slug for s in await stories.search(word, DISCORD_SERVER)] == [slug]
    assert await stories.scopes_owning_stories([DISCORD_SERVER, SLACK_TEAM]) == {DISCORD_SERVER}


async def test_a_workspace_story_is_its_own_next_to_a_servers(stories: StoryRepository, seed_story: Story) -> None:
    await _discord_story(stories, seed_story)
    other = replace(seed_story, title=f"{seed_story.title} (Slack)", slug=f"{seed_story.slug}-slack")
    [outcome] = await stories.import_stories([ImportItem("slack:1:upload", other, SLACK_TEAM)], now=NOW)
    assert [s.slug for s in await stories.recent(SLACK_TEAM)] == [outcome.slug]
    assert outcome.slug not in {s.slug for s in await stories.recent(DISCORD_SERVER)}


def _feed(scope_id: str, channel_id: str) -> NewFeed:
    return NewFeed(
        url="https://news.example/feed.xml",
        scope_id=scope_id,
        channel_id=channel_id,
        story_id=None,
        every_minutes=15,
        include=(),
        exclude=(),
        title="News",
        etag=None,
        last_modified=None,
        last_status=200,
        next_check_at=NOW,
        created_at=NOW,
    )


async def test_a_workspace_never_sees_a_servers_feeds(db: Database) -> None:
    feeds = FeedRepository(db)
    discord_feed = await feeds.add(_feed(DISCORD_SERVER, DISCORD_CHANNEL), [])
    assert discord_feed is not None

    assert await feeds.in_scope(SLACK_TEAM) == []
    assert await feeds.count(SLACK_TEAM) == 0
    assert await feeds.by_url("https://news.example/feed.xml", SLACK_TEAM) is None
    assert await feeds.get(discord_feed, SLACK_TEAM) is None
    assert await feeds.choices("News", SLACK_TEAM) == []
    assert not await feeds.remove(discord_feed, SLACK_TEAM)
    # The same URL is a feed of the workspace's own: one per URL per server or workspace.
    slack_feed = await feeds.add(_feed(SLACK_TEAM, SLACK_CHANNEL), [])
    assert slack_feed is not None and slack_feed != discord_feed
    assert [f.id for f in await feeds.in_scope(SLACK_TEAM)] == [slack_feed]
    assert [f.id for f in await feeds.in_scope(DISCORD_SERVER)] == [discord_feed]
    assert (await feeds.in_scope(SLACK_TEAM))[0].channel_id == SLACK_CHANNEL


async def test_a_workspace_never_sees_a_servers_digest(db: Database) -> None:
    digests = DigestRepository(db)
    saved = await digests.save(
        audience_kind=AudienceKind.GUILD,
        audience_id=DISCORD_SERVER,
        scope_id=DISCORD_SERVER,
        channel_id=DISCORD_CHANNEL,
        time_of_day="07:00",
        timezone="Europe/Paris",
        days="mon",
        next_fire_at=NOW,
        next_slot_date=date(2024, 3, 11),
        now=NOW,
    )
    assert await digests.get(AudienceKind.GUILD, SLACK_TEAM) is None
    assert await digests.timezones(AudienceKind.GUILD, [SLACK_TEAM]) == {}
    assert not await digests.disable(AudienceKind.GUILD, SLACK_TEAM, NOW)
    assert await digests.get(AudienceKind.GUILD, DISCORD_SERVER) == saved  # untouched by the workspace's "off"
    assert await digests.get(AudienceKind.USER, SLACK_USER) is None


async def test_a_workspace_never_sees_a_servers_follows(
    db: Database, stories: StoryRepository, seed_story: Story
) -> None:
    slug = await _discord_story(stories, seed_story)
    story = await stories.get(slug, DISCORD_SERVER)
    assert story is not None
    follows = FollowRepository(db)
    await follows.follow(
        story.id, FollowerKind.CHANNEL, DISCORD_CHANNEL, scope_id=DISCORD_SERVER, ping_role_id=None, now=NOW
    )
    await follows.follow(story.id, FollowerKind.USER, DISCORD_USER, scope_id=None, ping_role_id=None, now=NOW)

    assert await follows.following(SLACK_USER, SLACK_TEAM) == []
    assert len(await follows.following(DISCORD_USER, DISCORD_SERVER)) == 2
    assert not await follows.unfollow(story.id, FollowerKind.USER, SLACK_USER)
    assert not await follows.unfollow(story.id, FollowerKind.CHANNEL, SLACK_CHANNEL)
    assert not await follows.mute(story.id, SLACK_USER, NOW + timedelta(hours=1))
    assert await follows.thread(SLACK_CHANNEL, story.id) is None
    assert len(await follows.followers(story.id)) == 2


async def test_each_platforms_worker_gets_only_its_own_rows(db: Database) -> None:
    outbox = OutboxRepository(db)
    payload = '{"content":"hi","cards":[]}'
    await outbox.enqueue(
        [
            OutgoingMessage("a:0", "alert", TargetKind.CHANNEL, DISCORD_CHANNEL, payload),
            OutgoingMessage("a:1", "alert", TargetKind.CHANNEL, SLACK_CHANNEL, payload),
            OutgoingMessage("a:2", "alert", TargetKind.USER, SLACK_USER, payload),
            OutgoingMessage("a:3", "alert", TargetKind.USER, DISCORD_USER, payload),
        ],
        NOW,
    )
    slack = await outbox.due(NOW, platform="slack")
    assert [(i.dedupe_key, i.platform, i.target_id) for i in slack] == [
        ("a:1", "slack", SLACK_CHANNEL),
        ("a:2", "slack", SLACK_USER),
    ]
    discord = await outbox.due(NOW, platform=Platform.DISCORD)
    assert [(i.dedupe_key, i.platform) for i in discord] == [("a:0", "discord"), ("a:3", "discord")]
    assert [i.dedupe_key for i in await outbox.due(NOW)] == ["a:0", "a:1", "a:2", "a:3"]
    assert await outbox.due(NOW, platform="teams") == []
    # A Slack row failing for good does not end the Discord target with the same digits.
    await outbox.fail_pending_for_target(TargetKind.USER, SLACK_USER, "gone", NOW)
    assert [i.dedupe_key for i in await outbox.due(NOW, platform=Platform.DISCORD)] == ["a:0", "a:3"]
    assert await outbox.blocked_targets([(TargetKind.USER, "slack:3")], before_id=99) == set()
