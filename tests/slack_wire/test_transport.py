"""SlackTransport through the real OutboxWorker against the loopback Slack, on a real SQLite file (issue 11)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot import payloads
from bot.cards import Card, CardField
from bot.delivery import OutboxWorker
from bot.digest_service import DigestService
from bot.ids import qualify
from bot.limits import MessagePart
from bot.platforms import Platform
from bot.slack.poster import OUTBOX_EVENT, ChannelPacer, SlackPoster, web_client
from bot.slack.transport import CARD_PART, SlackTransport
from bot.story_model import Story
from storage.database import Database
from storage.digests import AudienceKind, DigestRepository
from storage.direct_messages import DirectMessageRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxItem, OutboxRepository, OutboxStatus, OutgoingMessage, TargetKind
from storage.stories import ImportItem, StoryRepository
from tests.slackstub.server import TEAM_ID, SlackStub

NEWS = "C0NEWS0001"
QUIET = "C0QUIET001"
READER = "U0READER01"
CLOSED = "U0CLOSED01"
WORKSPACE = qualify("slack", TEAM_ID)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        stub.add_user(READER)
        stub.add_user(CLOSED)
        stub.add_channel(NEWS, "news", bot_member=True)
        stub.add_channel(QUIET, "quiet")  # the bot was never invited
        yield stub
        assert stub.unknown_methods == []


@pytest.fixture
async def story_id(stories: StoryRepository, seed_story: Story) -> int:
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=datetime.now(UTC))
    record = await stories.get(seed_story.slug, None)
    assert record is not None
    return record.id


def make_worker(db: Database, slack: SlackStub, *, spacing: float = 0.0) -> OutboxWorker:
    """A fresh transport, poster and worker: nothing remembered in memory from an earlier one."""
    poster = SlackPoster(web_client(slack.bot_token, slack.api_base, timeout=5), pacer=ChannelPacer(spacing))
    transport = SlackTransport(poster, DirectMessageRepository(db), FollowRepository(db))
    return OutboxWorker(OutboxRepository(db), DirectMessageRepository(db), transport, platform=Platform.SLACK,
                        rate_per_second=100)


async def enqueue(db: Database, key: str, kind: TargetKind, target: str, text: str,
                  thread: payloads.ThreadSpec | None = None, ref: str | None = None) -> OutboxItem:
    part = MessagePart(text, (Card(title="Story update", description=text),))
    message = OutgoingMessage(key, "alert", kind, target, payloads.dump(part, thread=thread), ref or key)
    await OutboxRepository(db).enqueue([message])
    return await item(db, ref or key)


async def item(db: Database, ref: str) -> OutboxItem:
    [found] = await OutboxRepository(db).latest_for_ref(ref, limit=1)
    return found


def status_card(count: int) -> Card:
    return Card(title="Following: Night ferry", description="The ferry runs at night.",
                fields=(CardField("Developments", f"{count} so far."),))


def metadata_of(message: object) -> dict[str, object]:
    return getattr(message, "metadata") or {}  # noqa: B009


# --- routing and ids -------------------------------------------------------------------------------------------


async def test_due_routes_each_row_to_the_platform_its_target_names(db: Database) -> None:
    outbox = OutboxRepository(db)
    await outbox.enqueue([
        OutgoingMessage("d-channel", "alert", TargetKind.CHANNEL, "discord:555555555555555555", "{}"),
        OutgoingMessage("d-text", "alert", TargetKind.USER, "discord:777777777777777777", "{}"),
        OutgoingMessage("s-channel", "alert", TargetKind.CHANNEL, qualify("slack", NEWS), "{}"),
        OutgoingMessage("s-user", "alert", TargetKind.USER, qualify("slack", READER), "{}"),
    ])
    now = datetime.now(UTC) + timedelta(seconds=1)
    assert [i.dedupe_key for i in await outbox.due(now, platform=Platform.SLACK)] == ["s-channel", "s-user"]
    assert [i.dedupe_key for i in await outbox.due(now, platform=Platform.DISCORD)] == ["d-channel", "d-text"]
    assert len(await outbox.due(now)) == 4
    # The limit applies to the platform's own rows: Slack's backlog never hides a Discord row.
    assert [i.dedupe_key for i in await outbox.due(now, limit=1, platform=Platform.DISCORD)] == ["d-channel"]


async def test_a_stored_ts_reads_back_as_slack_wrote_it(db: Database, story_id: int) -> None:
    threads = FollowRepository(db)
    channel = qualify("slack", NEWS)
    for ts in ("1800000000.000100", "1712345678.123456", "1800000000.000001", "1712345678.100000"):
        await threads.save_thread(channel, story_id, card_message_id=ts, thread_id=ts)
        await threads.forget_thread(channel, story_id)
        await threads.save_thread(channel, story_id, card_message_id=ts, thread_id=ts)
        stored = await threads.thread(channel, story_id)
        assert stored is not None and stored.card_message_id == ts
        await threads.forget_thread(channel, story_id)


# --- channels -----------------------------------------------------------------------------------------------


async def test_a_channel_message_is_posted_with_its_outbox_id_and_marked_sent_with_its_ts(
    db: Database, slack: SlackStub
) -> None:
    queued = await enqueue(db, "digest:1", TargetKind.CHANNEL, qualify("slack", NEWS), "Morning briefing")
    worker = make_worker(db, slack)
    assert await worker.drain_once() == 1
    [posted] = slack.posted_in(NEWS)
    assert "Morning briefing" in posted.all_text
    assert posted.metadata == {"event_type": OUTBOX_EVENT, "event_payload": {"outbox_id": queued.id}}
    sent = await item(db, "digest:1")
    assert sent.status is OutboxStatus.SENT and sent.message_id == posted.ts


@pytest.mark.parametrize(
    ("setup", "channel", "reason"),
    [
        (lambda s: None, QUIET, "@briefbot is not in #quiet"),
        (lambda s: None, "C0MISSING1", "was not found"),
        (lambda s: s.add_channel("C0OLD00001", "old", bot_member=True, archived=True), "C0OLD00001", "is archived"),
    ],
)
async def test_a_channel_that_cannot_be_posted_to_fails_for_good_with_everything_queued_for_it(
    db: Database, slack: SlackStub, setup, channel: str, reason: str  # noqa: ANN001
) -> None:
    setup(slack)
    target = qualify("slack", channel)
    await enqueue(db, "first", TargetKind.CHANNEL, target, "one")
    await enqueue(db, "second", TargetKind.CHANNEL, target, "two")
    worker = make_worker(db, slack)
    await worker.drain_once()
    first, second = await item(db, "first"), await item(db, "second")
    assert first.status is OutboxStatus.FAILED and reason in (first.last_error or "")
    assert second.status is OutboxStatus.FAILED  # target gone: not tried one by one
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert await worker.drain_once() == 0


async def test_digest_show_tells_why_a_slack_digest_failed(db: Database, slack: SlackStub) -> None:
    digests = DigestRepository(db)
    now = datetime.now(UTC)
    schedule = await digests.save(
        audience_kind=AudienceKind.GUILD, audience_id=WORKSPACE, scope_id=WORKSPACE,
        channel_id=qualify("slack", QUIET), time_of_day="07:00", timezone="UTC", days="daily",
        next_fire_at=now + timedelta(days=1), next_slot_date=(now + timedelta(days=1)).date(), now=now,
    )
    await enqueue(db, f"digest:{schedule.id}:2024-03-04:1", TargetKind.CHANNEL, qualify("slack", QUIET),
                  "Morning briefing", ref=schedule.ref)
    await make_worker(db, slack).drain_once()
    service = DigestService(digests, StoryRepository(db), OutboxRepository(db), timedelta(hours=2))
    shown = await service.show(AudienceKind.GUILD, WORKSPACE)
    [last] = [f.value for f in shown.cards[0].fields if f.name == "Last delivery"]
    assert last.startswith("failed: @briefbot is not in #quiet: invite @briefbot to #quiet"), last


async def test_stored_then_500_is_marked_sent_once_and_a_lost_post_is_made_on_the_retry(
    db: Database, slack: SlackStub
) -> None:
    target = qualify("slack", NEWS)
    await enqueue(db, "stored", TargetKind.CHANNEL, target, "stored then 500")
    slack.fail_next("chat.postMessage", "stored_then_500")
    worker = make_worker(db, slack)
    await worker.drain_once()
    assert (await item(db, "stored")).status is OutboxStatus.SENT
    assert ["stored then 500" in m.all_text for m in slack.posted_in(NEWS)] == [True]

    await enqueue(db, "lost", TargetKind.CHANNEL, target, "lost in a 500")
    slack.fail_next("chat.postMessage", "500")
    await worker.drain_once()
    lost = await item(db, "lost")
    assert lost.status is OutboxStatus.PENDING and lost.attempts == 1
    later = make_worker(db, slack)  # as after a restart: only the row's attempts say a post may have been made
    later.clock = lambda: lost.next_attempt_at
    await later.drain_once()
    assert (await item(db, "lost")).status is OutboxStatus.SENT
    assert ["lost in a 500" in m.all_text for m in slack.posted_in(NEWS)] == [False, True]
    assert len(slack.calls_to("conversations.history")) >= 2  # looked after the 500s, and before the re-post


async def test_a_429_is_retried_no_earlier_than_retry_after(db: Database, slack: SlackStub) -> None:
    await enqueue(db, "limited", TargetKind.CHANNEL, qualify("slack", NEWS), "rate limited")
    slack.fail_next("chat.postMessage", "429", retry_after=30)
    before = datetime.now(UTC)
    await make_worker(db, slack).drain_once()
    limited = await item(db, "limited")
    assert limited.status is OutboxStatus.PENDING
    assert limited.next_attempt_at >= before + timedelta(seconds=30)
    assert slack.posted_in(NEWS) == []


# --- DMs -------------------------------------------------------------------------------------------------------


async def test_a_dm_is_posted_in_the_conversation_slack_opens(db: Database, slack: SlackStub) -> None:
    user = qualify("slack", READER)
    await enqueue(db, "dm-1", TargetKind.USER, user, "first alert")
    worker = make_worker(db, slack)
    await worker.drain_once()
    await enqueue(db, "dm-2", TargetKind.USER, user, "second alert")
    await worker.drain_once()
    assert ["alert" in m.all_text for m in slack.dms_to(READER)] == [True, True]
    assert len(slack.calls_to("conversations.open")) == 1
    assert (await item(db, "dm-2")).status is OutboxStatus.SENT


async def test_a_dm_opens_the_conversation_once_and_remembers_it_in_the_store(db: Database, slack: SlackStub) -> None:
    user = qualify("slack", READER)
    await enqueue(db, "dm-1", TargetKind.USER, user, "first alert")
    await make_worker(db, slack).drain_once()
    await enqueue(db, "dm-2", TargetKind.USER, user, "second alert")
    await make_worker(db, slack).drain_once()  # a new poster: its in-memory cache is empty
    assert len(slack.calls_to("conversations.open")) == 1
    assert ["alert" in m.all_text for m in slack.dms_to(READER)] == [True, True]
    assert await DirectMessageRepository(db).channel_for(user) == qualify("slack", slack.dms_to(READER)[0].channel)


async def test_blocked_dms_fail_for_good_once_and_the_user_is_marked(db: Database, slack: SlackStub) -> None:
    slack.block_dms(CLOSED)
    user = qualify("slack", CLOSED)
    await enqueue(db, "blocked-1", TargetKind.USER, user, "an alert")
    worker = make_worker(db, slack)
    await worker.drain_once()
    failed = await item(db, "blocked-1")
    assert failed.status is OutboxStatus.FAILED and "DMs are closed" in (failed.last_error or "")
    dms = DirectMessageRepository(db)
    assert await dms.is_closed(user)
    await enqueue(db, "blocked-2", TargetKind.USER, user, "another alert")
    await worker.drain_once()
    assert (await item(db, "blocked-2")).status is OutboxStatus.FAILED
    assert len(slack.calls_to("chat.postMessage")) == 1  # the second was never tried
    assert await dms.take_closed_notice(user) and not await dms.take_closed_notice(user)


# --- a story's thread ---------------------------------------------------------------------------------------


async def test_a_channel_follow_gets_one_card_replies_in_its_thread_and_the_card_updated(
    db: Database, slack: SlackStub, story_id: int
) -> None:
    target = qualify("slack", NEWS)
    first = await enqueue(db, "alert-1", TargetKind.CHANNEL, target, "Chip deal signed",
                          thread=payloads.ThreadSpec(story_id, "Night ferry", status_card(1)))
    await make_worker(db, slack).drain_once()
    [card] = [m for m in slack.posted_in(NEWS) if m.thread_ts is None]
    assert "Following: Night ferry" in card.all_text and "1 so far" in card.all_text
    assert metadata_of(card)["event_payload"] == {"outbox_id": first.id, "part": CARD_PART}
    [reply] = [m for m in slack.posted_in(NEWS) if m.thread_ts == card.ts]
    assert "Chip deal signed" in reply.all_text
    assert (await item(db, "alert-1")).status is OutboxStatus.SENT
    assert slack.calls_to("chat.update") == []  # a new card shows the story as it is

    await enqueue(db, "alert-2", TargetKind.CHANNEL, target, "Lab opens",
                  thread=payloads.ThreadSpec(story_id, "Night ferry", status_card(2)))
    await make_worker(db, slack).drain_once()  # a new transport: the card's ts comes from the store
    assert [m.ts for m in slack.posted_in(NEWS) if m.thread_ts is None] == [card.ts]
    assert ["Lab opens" in m.all_text for m in slack.posted_in(NEWS) if m.thread_ts == card.ts] == [False, True]
    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == card.ts and "2 so far" in slack.world.find_message(NEWS, card.ts).all_text  # type: ignore[union-attr]


async def test_a_deleted_card_is_replaced_and_the_alert_goes_under_the_new_one(
    db: Database, slack: SlackStub, story_id: int
) -> None:
    target = qualify("slack", NEWS)
    spec = payloads.ThreadSpec(story_id, "Night ferry", status_card(1))
    await enqueue(db, "alert-1", TargetKind.CHANNEL, target, "Chip deal signed", thread=spec)
    await make_worker(db, slack).drain_once()
    [old_card] = [m for m in slack.posted_in(NEWS) if m.thread_ts is None]
    slack.world.messages.remove(old_card)  # someone deleted the card (and so its thread)
    await enqueue(db, "alert-2", TargetKind.CHANNEL, target, "Lab opens", thread=spec)
    await make_worker(db, slack).drain_once()
    assert (await item(db, "alert-2")).status is OutboxStatus.SENT
    [new_card] = [m for m in slack.posted_in(NEWS) if m.thread_ts is None]
    assert new_card.ts != old_card.ts
    assert ["Lab opens" in m.all_text for m in slack.posted_in(NEWS) if m.thread_ts == new_card.ts] == [True]


async def test_a_card_stored_then_500_is_found_not_posted_again(
    db: Database, slack: SlackStub, story_id: int
) -> None:
    target = qualify("slack", NEWS)
    await enqueue(db, "alert-1", TargetKind.CHANNEL, target, "Chip deal signed",
                  thread=payloads.ThreadSpec(story_id, "Night ferry", status_card(1)))
    slack.fail_next("chat.postMessage", "stored_then_500")  # the card
    await make_worker(db, slack).drain_once()
    cards = [m for m in slack.posted_in(NEWS) if m.thread_ts is None]
    assert len(cards) == 1
    assert [m.thread_ts for m in slack.posted_in(NEWS) if m.thread_ts] == [cards[0].ts]


async def test_the_pacer_keeps_a_margin_over_one_post_a_second(db: Database, slack: SlackStub) -> None:
    slack.channel_rate = 1
    target = qualify("slack", NEWS)
    for index in range(3):
        await enqueue(db, f"paced-{index}", TargetKind.CHANNEL, target, f"post {index}")
    from bot.slack.poster import POST_SPACING_SECONDS

    started = time.monotonic()
    await make_worker(db, slack, spacing=POST_SPACING_SECONDS).drain_once()
    assert slack.provoked_429s == 0
    assert len(slack.posted_in(NEWS)) == 3
    assert time.monotonic() - started >= 2 * POST_SPACING_SECONDS - 0.01



async def test_a_reply_long_enough_for_two_messages_is_posted_whole_once_across_a_retry(
    db: Database, slack: SlackStub
) -> None:
    fields = tuple(CardField(f"Point {i}", f"What happened, part {i}.") for i in range(10))
    cards = tuple(Card(title=f"Story {n}", description="A story.", fields=fields) for n in range(6))
    outbox = OutboxRepository(db)
    message = OutgoingMessage("long", "digest", TargetKind.CHANNEL, qualify("slack", NEWS),
                              payloads.dump(MessagePart("Your briefing", cards)), "long")
    await outbox.enqueue([message])
    slack.fail_next("chat.postMessage", "pass")  # the first message goes through
    slack.fail_next("chat.postMessage", "500")  # the second is lost
    worker = make_worker(db, slack)
    await worker.drain_once()
    first = await item(db, "long")
    assert first.status is OutboxStatus.PENDING and len(slack.posted_in(NEWS)) == 1
    worker.clock = lambda: first.next_attempt_at
    await worker.drain_once()
    assert (await item(db, "long")).status is OutboxStatus.SENT
    posted = slack.posted_in(NEWS)
    assert [metadata_of(m)["event_payload"] for m in posted] == [
        {"outbox_id": first.id}, {"outbox_id": first.id, "part": "1"}
    ]
    assert "Story 0" in posted[0].all_text and "Story 5" in posted[1].all_text
