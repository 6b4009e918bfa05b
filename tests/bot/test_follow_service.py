"""Tests for bot.follow_service: follows, developments and alert fan-out, on a real SQLite file.

`now=` is passed explicitly wherever the service takes it; follow() stamps the real clock, which only
affects created_at (who gets a development is decided by development ids, not by time).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import payloads
from bot.audience import AudienceZones
from bot.digest_service import DigestService
from bot.errors import UserError
from bot.follow_service import FollowService, FollowTarget
from bot.ids import external
from bot.importer import import_paths
from bot.limits import check_message
from bot.markdown import to_markdown
from bot.markup import plain
from bot.parser import parse_article
from bot.story_admin import OPERATOR, StoryAdminService
from bot.story_model import Story
from bot.story_service import StoryService
from storage.database import Database
from storage.digests import AudienceKind, DigestRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxItem, OutboxRepository
from storage.records import StoryRecord
from storage.stories import ImportItem, ImportStatus, StoryRepository
from tests.conftest import SEED_PATH, markdown_article
from tests.helpers import WakeCounter, outbox_items

GUILD = "discord:111111111111111111"
OTHER_GUILD = "discord:222222222222222222"
CHANNEL = "discord:555555555555555555"
ROLE = "discord:444444444444444444"
USER = "discord:777777777777777777"
OTHER_USER = "discord:787878787878787878"
WINDOW = timedelta(minutes=30)
T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def wake() -> WakeCounter:
    return WakeCounter()


@pytest.fixture
def follow_repo(db: Database) -> FollowRepository:
    return FollowRepository(db)


@pytest.fixture
def service(follow_repo: FollowRepository, stories: StoryRepository, wake: WakeCounter) -> FollowService:
    return FollowService(follow_repo, stories, StoryService(stories), burst_window=WINDOW, wake_delivery=wake)


async def _alerts(db: Database) -> list[OutboxItem]:
    return [item for item in await outbox_items(db) if item.kind == "alert"]


def _text(item: OutboxItem | str) -> str:
    message = payloads.load(item if isinstance(item, str) else item.payload_json)
    chunks = [plain(message.part.content)]
    for card in message.part.cards:
        chunks += [card.title or "", plain(card.description), card.footer or ""]
        chunks += [f"{f.name}\n{plain(f.value)}" for f in card.fields]
    return "\n".join(chunks)


async def _development_count(db: Database, story_id: int) -> int:
    async with db.reader.execute("SELECT COUNT(*) FROM developments WHERE story_id = ?", (story_id,)) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def _develop(service: FollowService, story: StoryRecord, text: str, url: str | None, *, now: datetime) -> None:
    """The operator adds a development to the (global) story, as `briefbot update` does."""
    admin = StoryAdminService(service.stories, service.story_service, service)
    await admin.update(story.slug, text, url, scope_id=OPERATOR, now=now)


async def _follow_dm(service: FollowService, story: StoryRecord, user: int = USER) -> None:
    await service.follow(story.slug, GUILD, user, DM, CHANNEL)


DM, HERE = FollowTarget.DM, FollowTarget.HERE
UPDATE = "Samsung signed a chip supply deal with Meta worth $5 billion on Friday."
SECOND = "Regulators in Washington opened an antitrust review of the chip agreement."
THIRD = "Samsung shares rose four percent in Seoul trading after the announcement."


# --- fan-out -------------------------------------------------------------------------------------


async def test_one_alert_per_follower_dm_to_the_user_and_a_thread_for_the_channel(
    db: Database, service: FollowService, story: StoryRecord, wake: WakeCounter
) -> None:
    first = await service.follow(story.slug, GUILD, USER, DM, CHANNEL)
    assert "You now follow" in plain(first.text) and "30 minutes" in plain(first.text)
    again = await service.follow(story.slug, GUILD, USER, DM, CHANNEL)
    assert plain(again.text).startswith("Already following.")
    channel_reply = await service.follow(story.slug, GUILD, USER, HERE, CHANNEL, ping_role_id=ROLE)
    assert f"<@&{external(ROLE)}>" in to_markdown(channel_reply.text)
    await _develop(service, story, UPDATE, "https://example.com/deal", now=T0)

    assert await service.process_alerts(now=T0) == 2

    rows = await _alerts(db)
    assert sorted((r.target_kind, r.target_id) for r in rows) == [("channel", CHANNEL), ("user", USER)]
    [dm] = [r for r in rows if r.target_kind == "user"]
    [channel] = [r for r in rows if r.target_kind == "channel"]
    dm_message, channel_message = payloads.load(dm.payload_json), payloads.load(channel.payload_json)
    assert dm_message.thread is None
    assert dm_message.ping_role_id is None
    assert channel_message.thread is not None
    assert channel_message.thread.story_id == story.id
    assert channel_message.thread.name == story.title[:100]
    assert story.slug in (channel_message.thread.card.footer or "")
    assert channel_message.ping_role_id == ROLE
    assert '"thread"' in channel.payload_json and '"thread"' not in dm.payload_json
    for row in rows:
        assert "$5 billion" in _text(row)
        assert "https://example.com/deal" in _text(row)
        assert f"/story timeline {story.slug}" in _text(row)
        assert story.summary not in _text(row)
        check_message(payloads.load(row.payload_json).part)
    assert wake.calls == 1

    assert await service.process_alerts(now=T0) == 0
    assert await service.process_alerts(now=T0 + timedelta(hours=5)) == 0
    assert [r.id for r in await _alerts(db)] == [r.id for r in rows]


async def test_a_burst_waits_for_the_window_then_sends_one_merged_alert(
    db: Database, service: FollowService, story: StoryRecord
) -> None:
    await _follow_dm(service, story)
    await _develop(service, story, UPDATE, None, now=T0)
    assert await service.process_alerts(now=T0) == 1  # the first development after a quiet period: at once

    await _develop(service, story, SECOND, None, now=T0 + timedelta(minutes=5))
    await _develop(service, story, THIRD, None, now=T0 + timedelta(minutes=10))
    assert await service.process_alerts(now=T0 + timedelta(minutes=5)) == 0
    assert await service.process_alerts(now=T0 + timedelta(minutes=10)) == 0
    assert await service.process_alerts(now=T0 + WINDOW - timedelta(seconds=1)) == 0
    assert len(await _alerts(db)) == 1

    assert await service.process_alerts(now=T0 + WINDOW) == 1
    first, merged = await _alerts(db)
    text = _text(merged)
    assert "antitrust review" in text
    assert "four percent" in text
    assert "$5 billion" not in text  # already alerted
    assert "2 updates" in text
    assert await service.process_alerts(now=T0 + WINDOW + timedelta(minutes=1)) == 0


async def test_a_development_after_a_quiet_period_alerts_at_once(
    db: Database, service: FollowService, story: StoryRecord
) -> None:
    await _follow_dm(service, story)
    await _develop(service, story, UPDATE, None, now=T0)
    await service.process_alerts(now=T0)
    later = T0 + WINDOW + timedelta(minutes=1)
    await _develop(service, story, SECOND, None, now=later)
    assert await service.process_alerts(now=later) == 1
    assert len(await _alerts(db)) == 2


async def test_a_follower_who_followed_after_a_development_does_not_get_it(
    db: Database, service: FollowService, story: StoryRecord
) -> None:
    await _follow_dm(service, story, USER)
    await _develop(service, story, UPDATE, None, now=T0)
    await _follow_dm(service, story, OTHER_USER)

    assert await service.process_alerts(now=T0) == 1
    assert [(r.target_kind, r.target_id) for r in await _alerts(db)] == [("user", USER)]

    await _develop(service, story, SECOND, None, now=T0 + WINDOW)
    assert await service.process_alerts(now=T0 + WINDOW) == 2
    newest = (await _alerts(db))[1:]
    assert sorted(r.target_id for r in newest) == [USER, OTHER_USER]
    for row in newest:
        assert "antitrust" in _text(row)
        assert "$5 billion" not in _text(row)


async def test_an_unfollowed_story_sends_nothing(db: Database, service: FollowService, story: StoryRecord) -> None:
    await _follow_dm(service, story)
    await service.unfollow(story.slug, GUILD, USER, DM, CHANNEL)
    await _develop(service, story, UPDATE, None, now=T0)
    assert await service.process_alerts(now=T0) == 0
    assert await _alerts(db) == []
    with pytest.raises(UserError, match="not follow"):
        await service.unfollow(story.slug, GUILD, USER, DM, CHANNEL)


async def test_importing_a_follows_document_twice_gives_one_development_and_one_alert(
    db: Database, service: FollowService, stories: StoryRepository, tmp_path: Path, seed_story: Story
) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED_PATH, folder / SEED_PATH.name)
    await import_paths(stories, [folder], UTC)
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    await _follow_dm(service, story)
    follow_up = markdown_article(
        title="Samsung Signs AI Chip Deal With Meta",
        date="2024-03-02 08:00 UTC",
        follows=seed_story.slug,
        body="Samsung agreed to supply custom AI chips to Meta after the visit.\n",
    )
    (folder / "001_follow_up.md").write_text(follow_up)

    await import_paths(stories, [folder], UTC)
    await import_paths(stories, [folder], UTC)
    origin = f"file:{(folder / '001_follow_up.md').resolve()}"
    [outcome] = await stories.import_stories([ImportItem(origin, parse_article(follow_up, "001_follow_up.md"))])
    assert outcome.status is ImportStatus.UNCHANGED

    assert await _development_count(db, story.id) == 1
    assert await service.process_alerts(now=T0) == 1
    assert await service.process_alerts(now=T0 + timedelta(hours=1)) == 0
    [alert] = await _alerts(db)
    assert "custom AI chips" in _text(alert)


# --- mutes ---------------------------------------------------------------------------------------


async def test_a_muted_follower_gets_held_alerts_released_as_one_catch_up(
    db: Database, service: FollowService, follow_repo: FollowRepository, story: StoryRecord, wake: WakeCounter
) -> None:
    await _follow_dm(service, story)
    await service.follow(story.slug, GUILD, USER, HERE, CHANNEL)
    until = T0 + timedelta(hours=2)
    assert await follow_repo.mute(story.id, USER, until)

    await _develop(service, story, UPDATE, None, now=T0)
    assert await service.process_alerts(now=T0) == 1  # the channel only
    await _develop(service, story, SECOND, None, now=T0 + WINDOW)
    assert await service.process_alerts(now=T0 + WINDOW) == 1

    assert [(r.target_kind, r.target_id) for r in await _alerts(db)] == [("channel", CHANNEL)] * 2
    assert len(await follow_repo.held_for("user", USER)) == 2

    assert await service.release_mutes(now=until - timedelta(minutes=1)) == 0
    assert len(await _alerts(db)) == 2
    calls_before = wake.calls

    assert await service.release_mutes(now=until) == 1

    [catch_up] = [r for r in await _alerts(db) if r.target_kind == "user"]
    assert catch_up.target_id == USER
    assert catch_up.dedupe_key.startswith("catchup:")
    text = _text(catch_up)
    assert "While you were muted" in text
    assert "$5 billion" in text and "antitrust" in text
    assert await follow_repo.held_for("user", USER) == []
    assert wake.calls == calls_before + 1
    assert await service.release_mutes(now=until + timedelta(hours=1)) == 0
    assert len(await _alerts(db)) == 3


async def test_a_muted_users_held_alert_goes_into_their_next_digest_and_not_again(
    db: Database, service: FollowService, follow_repo: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    digests = DigestService(
        DigestRepository(db), stories, OutboxRepository(db), timedelta(hours=2), held_for_user=service.held_cards
    )
    for user in (USER, OTHER_USER):  # two personal digests at the same time, same scope
        await digests.set_up(
            AudienceKind.USER,
            user,
            scope_id=None,
            channel_id=None,
            time_text="18:00",
            timezone_text="UTC",
            days_text="daily",
            now=T0,
        )
    await _follow_dm(service, story)
    until = T0 + timedelta(days=1)
    await follow_repo.mute(story.id, USER, until)
    await _develop(service, story, UPDATE, "https://example.com/deal", now=T0)
    await service.process_alerts(now=T0)
    assert await _alerts(db) == []
    assert await follow_repo.held_for("user", USER)

    assert await digests.process_due(now=T0.replace(hour=18)) == 2

    async def digest_text(user: int) -> str:
        async with db.reader.execute(
            "SELECT payload_json FROM outbox WHERE kind = 'digest' AND target_id = ? ORDER BY id", (user,)
        ) as cursor:
            return "\n".join(_text(row[0]) for row in await cursor.fetchall())

    mine = await digest_text(USER)
    assert "While you were muted" in mine
    assert "$5 billion" in mine
    assert mine.index("While you were muted") < mine.index(f"🆕 {story.title}")  # held alerts come first
    assert "While you were muted" not in await digest_text(OTHER_USER)
    assert await follow_repo.held_for("user", USER) == []

    assert await service.release_mutes(now=until + timedelta(minutes=1)) == 0
    assert await _alerts(db) == []
    # The next digest does not show the held alert again.
    await digests.process_due(now=T0.replace(hour=18) + timedelta(days=1))
    async with db.reader.execute(
        "SELECT payload_json FROM outbox WHERE kind = 'digest' AND target_id = ? ORDER BY id DESC LIMIT 1", (USER,)
    ) as cursor:
        [latest] = await cursor.fetchall()
    assert "While you were muted" not in _text(latest[0])


async def test_mute_command_checks_hours_and_follow(db: Database, service: FollowService, story: StoryRecord) -> None:
    for hours in (0, 169):
        with pytest.raises(UserError, match="1 to 168"):
            await service.mute(story.slug, GUILD, USER, hours)
    with pytest.raises(UserError, match="don't follow"):
        await service.mute(story.slug, GUILD, USER, 2)
    await _follow_dm(service, story)
    reply = await service.mute(story.slug, GUILD, USER, 2)
    assert "held, not lost" in plain(reply.text)

    now = datetime.now(UTC)
    await _develop(service, story, UPDATE, None, now=now)
    assert await service.process_alerts(now=now) == 0
    assert await _alerts(db) == []
    [listed] = (await service.following(USER, GUILD)).cards
    assert "muted until" in plain(listed.description)


# --- commands ------------------------------------------------------------------------------------


async def test_following_lists_follows_and_says_when_there_are_none(service: FollowService, story: StoryRecord) -> None:
    assert "nothing yet" in plain((await service.following(USER, GUILD)).text)
    await _follow_dm(service, story)
    await service.follow(story.slug, GUILD, USER, HERE, CHANNEL)
    [card] = (await service.following(USER, GUILD)).cards
    assert "by DM" in plain(card.description)
    assert f"in <#{external(CHANNEL)}>" in to_markdown(card.description)
    assert story.slug in plain(card.description)


async def test_follow_here_needs_a_server_channel(service: FollowService, story: StoryRecord) -> None:
    with pytest.raises(UserError, match="server channel"):
        await service.follow(story.slug, None, USER, HERE, None)


async def test_each_follower_reads_the_alert_in_their_own_zone(
    db: Database, follow_repo: FollowRepository, stories: StoryRepository, story: StoryRecord
) -> None:
    schedules = DigestRepository(db)
    zones = AudienceZones(schedules, UTC)
    service = FollowService(follow_repo, stories, StoryService(stories, zones), burst_window=WINDOW, zones=zones)
    fire = T0 + timedelta(days=1)
    chosen = ((AudienceKind.USER, USER, "Asia/Seoul"), (AudienceKind.GUILD, GUILD, "America/Los_Angeles"))
    for kind, audience, zone in chosen:
        await schedules.save(
            audience_kind=kind, audience_id=audience, scope_id=GUILD, channel_id=CHANNEL, time_of_day="07:00",
            timezone=zone, days="mon", next_fire_at=fire, next_slot_date=fire.date(), now=T0,
        )
    await _follow_dm(service, story, USER)
    await _follow_dm(service, story, OTHER_USER)  # no /brief: DEFAULT_TIMEZONE (UTC here)
    await service.follow(story.slug, GUILD, USER, HERE, CHANNEL)
    evening = datetime(2024, 3, 10, 20, 0, tzinfo=UTC)  # 11 Mar 05:00 in Seoul, 10 Mar 13:00 in Los Angeles

    await _develop(service, story, UPDATE, None, now=evening)
    assert await service.process_alerts(now=evening) == 3

    by_target = {r.target_id: payloads.load(r.payload_json) for r in await _alerts(db)}
    assert by_target[USER].part.cards[0].fields[0].name.startswith("11 Mar · ")
    assert by_target[OTHER_USER].part.cards[0].fields[0].name.startswith("10 Mar · ")
    channel = by_target[CHANNEL]
    assert channel.part.cards[0].fields[0].name.startswith("10 Mar · ")
    assert channel.thread is not None
    assert "10 Mar 2024, 13:00 PDT" in plain(channel.thread.card.fields[0].value)
    [listed] = (await service.following(USER, None)).cards  # in DMs: the user's zone
    assert "by DM" in plain(listed.description)
