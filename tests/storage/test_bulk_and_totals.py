"""Tests for the repository methods the benchmarks use instead of their own SQL: bulk adds and totals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.ids import qualify, split
from bot.story_model import Story
from storage.database import Database
from storage.digests import DigestRepository, NewSchedule
from storage.follows import FollowRepository, NewFollow
from storage.outbox import OutboxRepository, OutboxTally, OutgoingMessage, TargetKind
from storage.stories import ImportItem, StoreTotals, StoryRef, StoryRepository

NOW = datetime(2024, 3, 4, 6, 0, tzinfo=UTC)
GUILD = "discord:111111111111111111"
OTHER_GUILD = "discord:222222222222222222"
CHANNEL = "discord:555555555555555555"
USER = "discord:777777777777777777"


def _nth(qualified_id: str, offset: int) -> str:
    """Another id of the same platform: the number `offset` places further."""
    platform, number = split(qualified_id)
    return qualify(platform, int(number) + offset)


def _variant(story: Story, number: int) -> Story:
    return replace(
        story,
        slug=f"{story.slug}-v{number}",
        title=f"{story.title} {number}",
        content_hash=f"{story.content_hash}:{number}",
    )


async def test_refs_list_what_a_viewer_sees_oldest_first(stories: StoryRepository, seed_story: Story) -> None:
    items = [
        ImportItem("a", _variant(seed_story, 1)),
        ImportItem("b", _variant(seed_story, 2), GUILD),
        ImportItem("c", _variant(seed_story, 3), OTHER_GUILD),
        ImportItem("d", _variant(seed_story, 4)),
    ]
    await stories.import_stories(items, now=NOW)
    every = {r.slug: r for guild in (GUILD, OTHER_GUILD) for r in await stories.refs(guild)}

    assert [r.slug for r in await stories.refs(None)] == [f"{seed_story.slug}-v1", f"{seed_story.slug}-v4"]
    assert [r.slug for r in await stories.refs(GUILD)] == [f"{seed_story.slug}-v{n}" for n in (1, 2, 4)]
    assert every[f"{seed_story.slug}-v3"] == StoryRef(
        every[f"{seed_story.slug}-v3"].id, f"{seed_story.slug}-v3", f"{seed_story.title} 3"
    )
    assert await stories.totals() == StoreTotals(stories=4, indexed=4, key_points=4 * len(seed_story.key_points))
    await stories.remove(every[f"{seed_story.slug}-v3"].id, OTHER_GUILD)
    assert (await stories.totals()).stories == (await stories.totals()).indexed == 3


async def test_add_schedules_adds_new_audiences_once_and_totals_count_them(db: Database) -> None:
    repo = DigestRepository(db)
    fire = NOW + timedelta(hours=1)
    bulk = [
        NewSchedule(
            "guild", _nth(GUILD, n), _nth(GUILD, n), _nth(CHANNEL, n), "07:00", "UTC", "mon", fire, date(2024, 3, 4)
        )
        for n in range(3)
    ]
    assert await repo.add_schedules(bulk, NOW) == 3
    assert await repo.add_schedules(bulk[:1], NOW) == 0  # the audience keeps its schedule
    stored = await repo.get("guild", _nth(GUILD, 2))
    assert stored is not None
    assert (stored.channel_id, stored.next_fire_at, stored.enabled) == (_nth(CHANNEL, 2), fire, True)
    assert [s.audience_id for s in await repo.due(fire)] == [GUILD, _nth(GUILD, 1), _nth(GUILD, 2)]

    await repo.disable("guild", GUILD, NOW)
    totals = await repo.totals()
    assert (totals.schedules, totals.slots) == (3, {})  # disabled ones still count as stored


async def test_add_follows_start_after_the_newest_development(
    db: Database, stories: StoryRepository, seed_story: Story
) -> None:
    await stories.import_stories([ImportItem("a", seed_story)], now=NOW)
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    newest = await stories.add_development(story.id, "New", "New.", content_hash="n", now=NOW)
    follows = FollowRepository(db)
    muted = NOW + timedelta(days=1)
    bulk = [
        NewFollow(story.id, "channel", CHANNEL, scope_id=GUILD, ping_role_id="discord:9"),
        NewFollow(story.id, "user", USER, muted_until=muted),
    ]

    assert await follows.add_follows(bulk, NOW) == 2
    assert await follows.add_follows(bulk, NOW) == 0
    channel, user = await follows.followers(story.id)
    assert (channel.follower_kind, channel.scope_id, channel.ping_role_id, channel.muted_until) == (
        "channel",
        GUILD,
        "discord:9",
        None,
    )
    assert (user.follower_id, user.muted_until) == (USER, muted)
    assert channel.since_development_id == user.since_development_id == newest
    assert await follows.held_count() == 0


async def test_tally_counts_messages_targets_and_refs_per_target_kind(db: Database) -> None:
    outbox = OutboxRepository(db)
    payload = '{"content":"x","cards":[]}'
    await outbox.enqueue(
        [
            OutgoingMessage("d:1:0", "digest", "channel", CHANNEL, payload, "schedule:1"),
            OutgoingMessage("d:1:1", "digest", "channel", CHANNEL, payload, "schedule:1"),
            OutgoingMessage("d:2:0", "digest", "channel", _nth(CHANNEL, 1), payload, "schedule:2"),
            OutgoingMessage("d:3:0", "digest", "user", USER, payload, "schedule:3"),
            OutgoingMessage("a:1:0", "alert", "user", USER, payload, "follow:1"),
        ],
        NOW,
    )
    assert await outbox.tally("digest") == {
        TargetKind.CHANNEL: OutboxTally(messages=3, targets=2, refs=2),
        TargetKind.USER: OutboxTally(messages=1, targets=1, refs=1),
    }
    assert await outbox.tally("alert") == {TargetKind.USER: OutboxTally(1, 1, 1)}
    assert await outbox.tally("notice") == {}
