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
from bot.digest_service import USER as USER_AUDIENCE
from bot.digest_service import DigestService
from bot.errors import UnknownStory, UserError
from bot.follow_service import DM, HERE, MAX_UPDATE_CHARS, FollowService, development_from_text
from bot.importer import import_paths
from bot.limits import check_message
from bot.parser import parse_article
from bot.story_model import Bullet, Story
from bot.story_service import StoryService
from storage.database import Database
from storage.digests import DigestRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxItem, OutboxRepository
from storage.records import StoryRecord
from storage.stories import ImportItem, ImportStatus, StoryRepository
from tests.conftest import SEED_PATH, markdown_article

GUILD = 111111111111111111
OTHER_GUILD = 222222222222222222
CHANNEL = 555555555555555555
ROLE = 444444444444444444
USER = 777777777777777777
OTHER_USER = 787878787878787878
WINDOW = timedelta(minutes=30)
T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


class WakeCounter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


@pytest.fixture
def wake() -> WakeCounter:
    return WakeCounter()


@pytest.fixture
def follow_repo(db: Database) -> FollowRepository:
    return FollowRepository(db)


@pytest.fixture
def service(follow_repo: FollowRepository, stories: StoryRepository, wake: WakeCounter) -> FollowService:
    return FollowService(follow_repo, stories, StoryService(stories), burst_window=WINDOW, wake_delivery=wake)


@pytest.fixture
async def story(stories: StoryRepository, seed_story: Story) -> StoryRecord:
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=T0 - timedelta(days=1))
    record = await stories.get(seed_story.slug, None)
    assert record is not None
    return record


async def _alerts(db: Database) -> list[OutboxItem]:
    outbox = OutboxRepository(db)
    async with db.reader.execute("SELECT DISTINCT ref FROM outbox") as cursor:
        refs = [row[0] for row in await cursor.fetchall()]
    items = [item for ref in refs for item in await outbox.latest_for_ref(ref, limit=1000)]
    return sorted((i for i in items if i.kind == "alert"), key=lambda i: i.id)


def _text(item: OutboxItem | str) -> str:
    message = payloads.load(item if isinstance(item, str) else item.payload_json)
    chunks = [message.part.content]
    for card in message.part.cards:
        chunks += [card.title or "", card.description, card.footer or ""]
        chunks += [f"{f.name}\n{f.value}" for f in card.fields]
    return "\n".join(chunks)


async def _development_count(db: Database, story_id: int) -> int:
    async with db.reader.execute("SELECT COUNT(*) FROM developments WHERE story_id = ?", (story_id,)) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def _follow_dm(service: FollowService, story: StoryRecord, user: int = USER) -> None:
    await service.follow(story.slug, GUILD, user, DM, CHANNEL)


UPDATE = "Samsung signed a chip supply deal with Meta worth $5 billion on Friday."
SECOND = "Regulators in Washington opened an antitrust review of the chip agreement."
THIRD = "Samsung shares rose four percent in Seoul trading after the announcement."


# --- fan-out -------------------------------------------------------------------------------------


async def test_one_alert_per_follower_dm_to_the_user_and_a_thread_for_the_channel(
    db: Database, service: FollowService, story: StoryRecord, wake: WakeCounter
) -> None:
    first = await service.follow(story.slug, GUILD, USER, DM, CHANNEL)
    assert "You now follow" in first.text and "30 minutes" in first.text
    again = await service.follow(story.slug, GUILD, USER, DM, CHANNEL)
    assert again.text.startswith("Already following.")
    channel_reply = await service.follow(story.slug, GUILD, USER, HERE, CHANNEL, ping_role_id=ROLE)
    assert f"<@&{ROLE}>" in channel_reply.text
    await service.add_update(story, UPDATE, "https://example.com/deal", "discord", now=T0)

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
    await service.add_update(story, UPDATE, None, "discord", now=T0)
    assert await service.process_alerts(now=T0) == 1  # the first development after a quiet period: at once

    await service.add_update(story, SECOND, None, "discord", now=T0 + timedelta(minutes=5))
    await service.add_update(story, THIRD, None, "discord", now=T0 + timedelta(minutes=10))
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
    await service.add_update(story, UPDATE, None, "discord", now=T0)
    await service.process_alerts(now=T0)
    later = T0 + WINDOW + timedelta(minutes=1)
    await service.add_update(story, SECOND, None, "discord", now=later)
    assert await service.process_alerts(now=later) == 1
    assert len(await _alerts(db)) == 2


async def test_a_follower_who_followed_after_a_development_does_not_get_it(
    db: Database, service: FollowService, story: StoryRecord
) -> None:
    await _follow_dm(service, story, USER)
    await service.add_update(story, UPDATE, None, "discord", now=T0)
    await _follow_dm(service, story, OTHER_USER)

    assert await service.process_alerts(now=T0) == 1
    assert [(r.target_kind, r.target_id) for r in await _alerts(db)] == [("user", USER)]

    await service.add_update(story, SECOND, None, "discord", now=T0 + WINDOW)
    assert await service.process_alerts(now=T0 + WINDOW) == 2
    newest = (await _alerts(db))[1:]
    assert sorted(r.target_id for r in newest) == [USER, OTHER_USER]
    for row in newest:
        assert "antitrust" in _text(row)
        assert "$5 billion" not in _text(row)


async def test_an_unfollowed_story_sends_nothing(db: Database, service: FollowService, story: StoryRecord) -> None:
    await _follow_dm(service, story)
    await service.unfollow(story.slug, GUILD, USER, DM, CHANNEL)
    await service.add_update(story, UPDATE, None, "discord", now=T0)
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

    await service.add_update(story, UPDATE, None, "discord", now=T0)
    assert await service.process_alerts(now=T0) == 1  # the channel only
    await service.add_update(story, SECOND, None, "discord", now=T0 + WINDOW)
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
            USER_AUDIENCE,
            user,
            scope_guild_id=None,
            channel_id=None,
            time_text="18:00",
            timezone_text="UTC",
            days_text="daily",
            now=T0,
        )
    await _follow_dm(service, story)
    until = T0 + timedelta(days=1)
    await follow_repo.mute(story.id, USER, until)
    await service.add_update(story, UPDATE, "https://example.com/deal", "discord", now=T0)
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
    assert "held, not lost" in reply.text

    now = datetime.now(UTC)
    await service.add_update(story, UPDATE, None, "discord", now=now)
    assert await service.process_alerts(now=now) == 0
    assert await _alerts(db) == []
    [listed] = (await service.following(USER, GUILD)).cards
    assert "muted until" in listed.description


# --- commands ------------------------------------------------------------------------------------


async def test_following_lists_follows_and_says_when_there_are_none(service: FollowService, story: StoryRecord) -> None:
    assert "nothing yet" in (await service.following(USER, GUILD)).text
    await _follow_dm(service, story)
    await service.follow(story.slug, GUILD, USER, HERE, CHANNEL)
    [card] = (await service.following(USER, GUILD)).cards
    assert "by DM" in card.description
    assert f"in <#{CHANNEL}>" in card.description
    assert story.slug in card.description


async def test_follow_here_needs_a_server_channel(service: FollowService, story: StoryRecord) -> None:
    with pytest.raises(UserError, match="server channel"):
        await service.follow(story.slug, None, USER, HERE, None)


async def test_add_story_with_bad_text_saves_nothing(
    service: FollowService, stories: StoryRepository, seed_bytes: bytes
) -> None:
    # An undated article is no longer bad input (issue 9: it gets the import time); a date that cannot be read is.
    for bad in (b"", b"\x00\x01binary", b"---\ntitle: x\n", b"Just a title line\nUpdated Febtember 40, 2024\nText.\n"):
        with pytest.raises(UserError, match="Nothing was saved"):
            await service.add_story(bad, "upload.txt", GUILD)
    follow_up = markdown_article(follows="some-story").encode()
    with pytest.raises(UserError, match="follows:"):
        await service.add_story(follow_up, "upload.md", GUILD)
    assert await stories.count(GUILD) == 0

    reply = await service.add_story(seed_bytes, "seed.txt", GUILD)
    assert "now tracked as" in reply.text
    assert await stories.count(GUILD) == 1
    assert await stories.count(None) == 0
    assert await stories.count(OTHER_GUILD) == 0
    assert "already tracked" in (await service.add_story(seed_bytes, "seed.txt", GUILD)).text
    assert await stories.count(GUILD) == 1


async def test_remove_story_refuses_global_and_other_guilds_stories(
    service: FollowService, stories: StoryRepository, story: StoryRecord
) -> None:
    with pytest.raises(UserError, match="Only stories this server added"):
        await service.remove_story(story.slug, GUILD)
    assert await stories.get_by_id(story.id) is not None

    theirs = markdown_article(title="Other Guild Local Election").encode()
    await service.add_story(theirs, "theirs.md", OTHER_GUILD)
    with pytest.raises(UserError):
        await service.remove_story("other-guild-local-election", GUILD)
    assert await stories.count(OTHER_GUILD) == 2

    mine = markdown_article(title="Our Guild Bake Sale").encode()
    await service.add_story(mine, "mine.md", GUILD)
    reply = await service.remove_story("our-guild-bake-sale", GUILD)
    assert "Removed" in reply.text
    assert await stories.get("our-guild-bake-sale", GUILD) is None
    with pytest.raises(UnknownStory):
        await service.remove_story("our-guild-bake-sale", GUILD)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/x", "http://localhost:8000/", "http://10.0.0.7/internal", "ftp://example.com/x"],
)
async def test_add_update_rejects_private_and_non_http_urls(
    db: Database, service: FollowService, story: StoryRecord, url: str
) -> None:
    with pytest.raises(UserError):
        await service.add_update(story, UPDATE, url, "discord", now=T0)
    assert await _development_count(db, story.id) == 0


async def test_add_update_rejects_duplicates_empty_and_overlong_text(
    db: Database, service: FollowService, story: StoryRecord
) -> None:
    reply = await service.add_update(story, UPDATE, "https://example.com/deal", "discord", now=T0)
    assert "Followers will be told" in reply.text
    with pytest.raises(UserError, match="already"):
        await service.add_update(story, f"  {UPDATE}\n", "https://example.com/deal", "discord", now=T0)
    with pytest.raises(UserError, match="empty"):
        await service.add_update(story, "   ", None, "discord", now=T0)
    with pytest.raises(UserError, match=str(MAX_UPDATE_CHARS)):
        await service.add_update(story, "x" * (MAX_UPDATE_CHARS + 1), None, "discord", now=T0)
    assert await _development_count(db, story.id) == 1
    # The same words with another source link is another development.
    await service.add_update(story, UPDATE, "https://example.org/other", "discord", now=T0)
    assert await _development_count(db, story.id) == 2


async def test_add_update_wakes_the_alert_job(service: FollowService, story: StoryRecord) -> None:
    woken = WakeCounter()
    service.wake_alerts = woken
    await service.add_update(story, UPDATE, None, "discord", now=T0)
    assert woken.calls == 1


def test_development_from_text_turns_bullets_into_key_points() -> None:
    headline, body, points = development_from_text(
        "Samsung signed the deal. More details followed.\n- Value: $5 billion\n* Term: ten years\n- plain point\n"
    )
    assert headline == "Samsung signed the deal."
    assert body.startswith("Samsung signed the deal.")
    assert points == (Bullet("Value", "$5 billion"), Bullet("Term", "ten years"), Bullet("", "plain point"))
    only_bullets = development_from_text("- Value: $5 billion")
    assert only_bullets[0] == "Value: $5 billion"
