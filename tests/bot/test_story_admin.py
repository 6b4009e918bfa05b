"""Tests for bot.story_admin: a server's own stories (add, update, remove) and every check on them, on a real
SQLite file. Removing a story tells its followers once, through the outbox, the way alerts reach them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from bot import payloads
from bot.errors import UnknownStory, UserError
from bot.follow_service import FollowService, FollowTarget
from bot.limits import check_message
from bot.markdown import to_markdown
from bot.markup import plain
from bot.story_admin import MAX_UPDATE_CHARS, OPERATOR, StoryAdminService, development_from_text
from bot.story_model import Bullet
from bot.story_service import StoryService
from storage.database import Database
from storage.follows import FollowRepository
from storage.outbox import OutboxItem
from storage.records import StoryRecord
from storage.stories import StoryRepository
from tests.conftest import markdown_article
from tests.helpers import WakeCounter, outbox_items

GUILD = "discord:111111111111111111"
OTHER_GUILD = "discord:222222222222222222"
CHANNEL = "discord:555555555555555555"
THREAD = "565656565656565656"  # a thread's own id, as the platform gave it: kept unqualified
USER = "discord:777777777777777777"
OTHER_USER = "discord:787878787878787878"
T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
UPDATE = "Samsung signed a chip supply deal with Meta worth $5 billion on Friday."
BAKE_SALE = markdown_article(title="Our Guild Bake Sale").encode()


@pytest.fixture
def wake() -> WakeCounter:
    return WakeCounter()


@pytest.fixture
def follows(db: Database, stories: StoryRepository, wake: WakeCounter) -> FollowService:
    return FollowService(
        FollowRepository(db), stories, StoryService(stories), burst_window=timedelta(minutes=10), wake_delivery=wake
    )


@pytest.fixture
def admin(stories: StoryRepository, follows: FollowService) -> StoryAdminService:
    return StoryAdminService(stories, follows.story_service, follows)


async def _development_count(db: Database, story_id: int) -> int:
    async with db.reader.execute("SELECT COUNT(*) FROM developments WHERE story_id = ?", (story_id,)) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def _outbox(db: Database) -> list[OutboxItem]:
    return await outbox_items(db)


def _text(item: OutboxItem) -> str:
    part = payloads.load(item.payload_json).part
    return "\n".join([plain(part.content), *(f"{c.title}\n{plain(c.description)}" for c in part.cards)])


# --- remove: followers are told once ----------------------------------------------------------------


async def test_removing_a_story_tells_each_follower_once_then_drops_the_follows(
    db: Database, admin: StoryAdminService, follows: FollowService, wake: WakeCounter
) -> None:
    await admin.add(BAKE_SALE, "bake.md", GUILD)
    slug = "our-guild-bake-sale"
    await follows.follow(slug, GUILD, USER, FollowTarget.DM, CHANNEL)
    await follows.follow(slug, GUILD, OTHER_USER, FollowTarget.DM, CHANNEL)
    await follows.follow(slug, GUILD, USER, FollowTarget.HERE, CHANNEL)
    await follows.mute(slug, GUILD, OTHER_USER, 24)  # muted followers are told too: the story is gone for good
    record = await admin.stories.get(slug, GUILD)
    assert record is not None
    await follows.follows.save_thread(CHANNEL, record.id, card_message_id="1", thread_id=THREAD)

    reply = await admin.remove(slug, GUILD, now=T0)

    assert "Removed **Our Guild Bake Sale**" in to_markdown(reply.text) and "3 followers were told" in plain(reply.text)
    notices = await _outbox(db)
    assert sorted((n.target_kind, n.target_id) for n in notices) == [
        ("channel", f"discord:{THREAD}"),  # in the story's thread, where the channel's alerts went
        ("user", USER),
        ("user", OTHER_USER),
    ]
    for notice in notices:
        assert notice.kind == "alert" and notice.ref and notice.ref.startswith("follow:")
        assert notice.dedupe_key.startswith("removed:") and notice.dedupe_key.endswith(":0")
        assert "Story removed: Our Guild Bake Sale" in _text(notice)
        message = payloads.load(notice.payload_json)
        assert message.thread is None and message.ping_role_id is None
        check_message(message.part)
    assert wake.calls == 1
    assert await follows.follows.followers(record.id) == []
    assert (await follows.following(USER, GUILD)).cards == ()

    with pytest.raises(UnknownStory):
        await admin.remove(slug, GUILD, now=T0 + timedelta(minutes=1))
    assert len(await _outbox(db)) == 3  # exactly once


async def test_removing_a_story_nobody_follows_enqueues_nothing(
    db: Database, admin: StoryAdminService, wake: WakeCounter
) -> None:
    await admin.add(BAKE_SALE, "bake.md", GUILD)
    reply = await admin.remove("our-guild-bake-sale", GUILD, now=T0)
    assert to_markdown(reply.text) == "Removed **Our Guild Bake Sale** and its follows."
    assert await _outbox(db) == [] and wake.calls == 0


async def test_the_same_story_removed_again_later_tells_its_new_followers_again(
    db: Database, admin: StoryAdminService, follows: FollowService
) -> None:
    # Re-adding reuses the story's and the follow's ids; the second notice must not be taken for the first.
    for moment in (T0, T0 + timedelta(hours=1)):
        await admin.add(BAKE_SALE, "bake.md", GUILD)
        await follows.follow("our-guild-bake-sale", GUILD, USER, FollowTarget.DM, CHANNEL)
        await admin.remove("our-guild-bake-sale", GUILD, now=moment)
    assert [n.target_id for n in await _outbox(db)] == [USER, USER]


# --- update and remove: the server's own stories only -----------------------------------------------


async def test_a_server_updates_only_its_own_stories_and_the_operator_the_global_ones(
    db: Database, admin: StoryAdminService, story: StoryRecord
) -> None:
    with pytest.raises(UserError, match="Only stories this server added"):
        await admin.update(story.slug, UPDATE, None, scope_id=GUILD, now=T0)
    await admin.add(markdown_article(title="Other Guild Local Election").encode(), "theirs.md", OTHER_GUILD)
    with pytest.raises(UnknownStory):  # another server's story is not even visible here
        await admin.update("other-guild-local-election", UPDATE, None, scope_id=GUILD, now=T0)
    with pytest.raises(UnknownStory):  # nor to the operator, who updates the global stories
        await admin.update("other-guild-local-election", UPDATE, None, scope_id=OPERATOR, now=T0)
    assert await _development_count(db, story.id) == 0

    await admin.add(BAKE_SALE, "bake.md", GUILD)
    mine = await admin.update("our-guild-bake-sale", UPDATE, None, scope_id=GUILD, now=T0)
    assert "Followers will be told" in plain(mine.text)
    operator = await admin.update(story.slug, UPDATE, None, scope_id=OPERATOR, now=T0)
    assert "Followers will be told" in plain(operator.text)
    assert await _development_count(db, story.id) == 1
    [development] = await admin.stories.developments(story.id)
    assert development.source == "operator"


async def test_add_story_with_bad_text_saves_nothing(
    admin: StoryAdminService, stories: StoryRepository, seed_bytes: bytes
) -> None:
    # An undated article is no longer bad input (issue 9: it gets the import time); a date that cannot be read is.
    for bad in (b"", b"\x00\x01binary", b"---\ntitle: x\n", b"Just a title line\nUpdated Febtember 40, 2024\nText.\n"):
        with pytest.raises(UserError, match="Nothing was saved"):
            await admin.add(bad, "upload.txt", GUILD)
    follow_up = markdown_article(follows="some-story").encode()
    with pytest.raises(UserError, match="follows:"):
        await admin.add(follow_up, "upload.md", GUILD)
    assert await stories.count(GUILD) == 0

    reply = await admin.add(seed_bytes, "seed.txt", GUILD)
    assert "now tracked as" in plain(reply.text)
    assert await stories.count(GUILD) == 1
    assert await stories.count(None) == 0
    assert await stories.count(OTHER_GUILD) == 0
    assert "already tracked" in plain((await admin.add(seed_bytes, "seed.txt", GUILD)).text)
    assert await stories.count(GUILD) == 1


async def test_remove_story_refuses_global_and_other_guilds_stories(
    admin: StoryAdminService, stories: StoryRepository, story: StoryRecord
) -> None:
    with pytest.raises(UserError, match="Only stories this server added"):
        await admin.remove(story.slug, GUILD)
    assert await stories.get_by_id(story.id) is not None

    theirs = markdown_article(title="Other Guild Local Election").encode()
    await admin.add(theirs, "theirs.md", OTHER_GUILD)
    with pytest.raises(UserError):
        await admin.remove("other-guild-local-election", GUILD)
    assert await stories.count(OTHER_GUILD) == 2

    mine = markdown_article(title="Our Guild Bake Sale").encode()
    await admin.add(mine, "mine.md", GUILD)
    reply = await admin.remove("our-guild-bake-sale", GUILD)
    assert "Removed" in plain(reply.text)
    assert await stories.get("our-guild-bake-sale", GUILD) is None
    with pytest.raises(UnknownStory):
        await admin.remove("our-guild-bake-sale", GUILD)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/x", "http://localhost:8000/", "http://10.0.0.7/internal", "ftp://example.com/x"],
)
async def test_add_update_rejects_private_and_non_http_urls(
    db: Database, admin: StoryAdminService, story: StoryRecord, url: str
) -> None:
    with pytest.raises(UserError):
        await admin.update(story.slug, UPDATE, url, scope_id=OPERATOR, now=T0)
    assert await _development_count(db, story.id) == 0


async def test_add_update_rejects_duplicates_empty_and_overlong_text(
    db: Database, admin: StoryAdminService, story: StoryRecord
) -> None:
    reply = await admin.update(story.slug, UPDATE, "https://example.com/deal", scope_id=OPERATOR, now=T0)
    assert "Followers will be told" in plain(reply.text)
    with pytest.raises(UserError, match="already"):
        await admin.update(story.slug, f"  {UPDATE}\n", "https://example.com/deal", scope_id=OPERATOR, now=T0)
    with pytest.raises(UserError, match="empty"):
        await admin.update(story.slug, "   ", None, scope_id=OPERATOR, now=T0)
    with pytest.raises(UserError, match=str(MAX_UPDATE_CHARS)):
        await admin.update(story.slug, "x" * (MAX_UPDATE_CHARS + 1), None, scope_id=OPERATOR, now=T0)
    assert await _development_count(db, story.id) == 1
    # The same words with another source link is another development.
    await admin.update(story.slug, UPDATE, "https://example.org/other", scope_id=OPERATOR, now=T0)
    assert await _development_count(db, story.id) == 2


async def test_add_update_wakes_the_alert_job(
    admin: StoryAdminService, follows: FollowService, story: StoryRecord
) -> None:
    woken = WakeCounter()
    follows.wake_alerts = woken
    await admin.update(story.slug, UPDATE, None, scope_id=OPERATOR, now=T0)
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


async def test_an_upload_is_its_scopes_own_and_keeps_the_origin_discord_uploads_had(
    db: Database, admin: StoryAdminService
) -> None:
    digits = "111111111111111111"
    discord_server, slack_team = f"discord:{digits}", f"slack:{digits}"  # the same digits on two platforms
    await admin.add(BAKE_SALE, "bake.md", discord_server)
    assert "is now tracked" in plain((await admin.add(BAKE_SALE, "bake.md", slack_team)).text)  # not "already tracked"
    async with db.reader.execute("SELECT origin FROM sources ORDER BY origin") as cursor:
        origins = [row[0] for row in await cursor.fetchall()]
    upload = hashlib.sha256(BAKE_SALE).hexdigest()[:16]
    # "discord:<server>:<hash>" is what a Discord upload was kept under before ids were qualified: the same text.
    assert origins == [f"discord:{digits}:{upload}", f"slack:{digits}:{upload}"]
    stories = await admin.stories.recent(slack_team)
    assert [s.scope_id for s in stories if s.scope_id is not None] == [slack_team]
