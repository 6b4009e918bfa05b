"""Tests for bot.digest_service: digest commands and the scheduler tick, on real SQLite files.

Time is always passed explicitly (`now=`), so every slot, grace period and DST transition is deterministic.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot import payloads
from bot.cards import Reply
from bot.digest_service import SKIPPED_RECORDED_FOR, DigestService
from bot.errors import UserError
from bot.ids import external
from bot.limits import check_message
from bot.markdown import to_markdown
from bot.markup import Content, plain
from bot.parser import parse_article
from bot.story_model import Story
from storage.database import Database
from storage.digests import AudienceKind, DigestRepository, DigestSchedule, SlotStatus
from storage.outbox import OutboxItem, OutboxRepository
from storage.stories import ImportItem, StoryRepository
from tests.conftest import markdown_article
from tests.helpers import WakeCounter, outbox_items

GUILD = AudienceKind.GUILD
USER = AudienceKind.USER
GUILD_A = "discord:111111111111111111"
GUILD_B = "discord:222222222222222222"
CHANNEL_A = "discord:555555555555555555"
CHANNEL_B = "discord:666666666666666666"
USER_ID = "discord:777777777777777777"
GRACE = timedelta(hours=2)
MONDAY = datetime(2024, 3, 4, 6, 0, tzinfo=UTC)  # a Monday, an hour before a 07:00 UTC slot
SLOT = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)


def _service(db: Database, wake: WakeCounter | None = None) -> DigestService:
    return DigestService(
        DigestRepository(db), StoryRepository(db), OutboxRepository(db), GRACE, wake_delivery=wake or WakeCounter()
    )


@pytest.fixture
def wake() -> WakeCounter:
    return WakeCounter()


@pytest.fixture
def service(db: Database, wake: WakeCounter) -> DigestService:
    return _service(db, wake)


def _story(title: str) -> Story:
    body = f"Reporters covering {title} filed a first account.\n\n## Key Points\n\n- Scope: {title} matters.\n"
    return parse_article(markdown_article(title=title, date="2024-03-01 09:00 UTC", body=body), f"{title}.md")


async def _add_story(db: Database, title: str, guild: str | None = None, now: datetime = MONDAY) -> int:
    stories = StoryRepository(db)
    story = _story(title)
    [outcome] = await stories.import_stories([ImportItem(f"file:{story.slug}", story, guild)], now=now)
    record = await stories.get(outcome.slug or "", guild)
    assert record is not None
    return record.id


async def _set_up_guild(
    service: DigestService,
    *,
    guild: str = GUILD_A,
    channel: int = CHANNEL_A,
    time_text: str = "07:00",
    zone: str = "UTC",
    days: str = "daily",
    now: datetime = MONDAY,
) -> Reply:
    return await service.set_up(
        GUILD,
        guild,
        scope_id=guild,
        channel_id=channel,
        time_text=time_text,
        timezone_text=zone,
        days_text=days,
        now=now,
    )


async def _outbox(db: Database) -> list[OutboxItem]:
    return await outbox_items(db)


async def _schedule(db: Database, kind: str = GUILD, audience: int = GUILD_A) -> DigestSchedule:
    row = await DigestRepository(db).get(kind, audience)
    assert row is not None
    return row


def _field(reply: Reply, name: str) -> Content:
    [card] = reply.cards
    [value] = [f.value for f in card.fields if f.name == name]
    return value


def _text_of(item: OutboxItem) -> str:
    message = payloads.load(item.payload_json)
    chunks = [plain(message.part.content)]
    for card in message.part.cards:
        chunks += [card.title or "", plain(card.description), *(f"{f.name} {plain(f.value)}" for f in card.fields)]
    return "\n".join(chunks)


async def _tick(service: DigestService, start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Runs the scheduler tick every `step` from start to end; returns the ticks that processed a slot."""
    fired = []
    moment = start
    while moment <= end:
        if await service.process_due(now=moment):
            fired.append(moment)
        moment += step
    return fired


# --- process_due: exactly once ------------------------------------------------------------------


async def test_a_due_slot_enqueues_exactly_one_set_of_messages(
    db: Database, service: DigestService, wake: WakeCounter
) -> None:
    await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _set_up_guild(service)
    schedule = await _schedule(db)

    assert await service.process_due(now=SLOT - timedelta(seconds=1)) == 0
    assert await _outbox(db) == []

    assert await service.process_due(now=SLOT) == 1
    rows = await _outbox(db)
    assert rows
    assert [r.dedupe_key for r in rows] == [f"digest:{schedule.id}:2024-03-04:{i}" for i in range(len(rows))]
    assert {(r.target_kind, r.target_id, r.kind, r.ref) for r in rows} == {
        ("channel", CHANNEL_A, "digest", schedule.ref)
    }
    assert "Guild A Harbour Strike" in "\n".join(_text_of(r) for r in rows)
    assert wake.calls == 1

    assert await service.process_due(now=SLOT) == 0
    assert await service.process_due(now=SLOT + timedelta(minutes=30)) == 0
    assert [r.id for r in await _outbox(db)] == [r.id for r in rows]

    after = await _schedule(db)
    assert after.next_fire_at == datetime(2024, 3, 5, 7, 0, tzinfo=UTC)
    assert after.next_slot_date == date(2024, 3, 5)
    assert after.last_digest_at == SLOT
    [slot] = await DigestRepository(db).recent_slots(schedule.id)
    assert (slot.slot_date, slot.status, slot.fire_at) == (date(2024, 3, 4), "sent", SLOT)


async def test_a_restart_on_the_same_database_file_enqueues_nothing_more(db_path: Path) -> None:
    async with Database.open(db_path) as db:
        first = _service(db)
        await _add_story(db, "Guild A Harbour Strike", GUILD_A)
        await _set_up_guild(first)
        assert await first.process_due(now=SLOT) == 1
        before = [(r.id, r.dedupe_key) for r in await _outbox(db)]
    assert before

    async with Database.open(db_path) as db:  # the bot restarts: new connections, new service objects
        again = _service(db)
        assert await again.process_due(now=SLOT) == 0
        assert await again.process_due(now=SLOT + timedelta(minutes=5)) == 0
        assert [(r.id, r.dedupe_key) for r in await _outbox(db)] == before


async def test_two_services_racing_on_one_file_enqueue_the_slot_once(db_path: Path) -> None:
    async with Database.open(db_path) as db_one, Database.open(db_path) as db_two:
        one, two = _service(db_one), _service(db_two)
        await _set_up_guild(one)
        # Both read the due row before either records it; the slot's primary key lets only one enqueue.
        row = await _schedule(db_one)
        [done_one] = await one._process(row, SLOT, {})
        [done_two] = await two._process(row, SLOT, {})
        assert await DigestRepository(db_one).record([done_one], SLOT) == [True]
        assert await DigestRepository(db_two).record([done_two], SLOT) == [False]
        rows = await _outbox(db_one)
        assert len(rows) == len(done_one.messages)


async def test_every_enqueued_part_fits_discord_limits(db: Database, service: DigestService) -> None:
    for index in range(15):
        await _add_story(db, f"Guild A Story Number {index:02d}", GUILD_A)
    await _set_up_guild(service)
    await service.process_due(now=SLOT)
    rows = await _outbox(db)
    assert len(rows) >= 2  # fifteen story cards do not fit one message
    for row in rows:
        check_message(payloads.load(row.payload_json).part)


async def test_a_guild_digest_never_carries_another_guilds_stories(db: Database, service: DigestService) -> None:
    await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _add_story(db, "Guild B Secret Merger", GUILD_B)
    await _set_up_guild(service, guild=GUILD_A, channel=CHANNEL_A)
    await _set_up_guild(service, guild=GUILD_B, channel=CHANNEL_B)

    assert await service.process_due(now=SLOT) == 2

    rows = await _outbox(db)
    text_a = "\n".join(_text_of(r) for r in rows if r.target_id == CHANNEL_A)
    text_b = "\n".join(_text_of(r) for r in rows if r.target_id == CHANNEL_B)
    assert "Harbour Strike" in text_a and "Secret Merger" not in text_a
    assert "Secret Merger" in text_b and "Harbour Strike" not in text_b


async def test_the_next_digest_only_has_news_since_the_last_one(db: Database, service: DigestService) -> None:
    story_id = await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _set_up_guild(service)
    await service.process_due(now=SLOT)
    first_count = len(await _outbox(db))

    await service.process_due(now=SLOT + timedelta(days=1))  # nothing happened in between
    quiet_day = (await _outbox(db))[first_count:]
    assert len(quiet_day) == 1
    assert "Nothing new since your last digest" in _text_of(quiet_day[0])
    [latest, *_] = await DigestRepository(db).recent_slots((await _schedule(db)).id)
    assert latest.status == "empty"

    await StoryRepository(db).add_development(
        story_id, "Dockers return", "Dockers returned to work.", content_hash="d", now=SLOT + timedelta(days=1, hours=3)
    )
    await service.process_due(now=SLOT + timedelta(days=2))
    news_day = (await _outbox(db))[first_count + 1 :]
    text = "\n".join(_text_of(r) for r in news_day)
    assert "Dockers return" in text
    assert "🆕" in text


# --- DST, grace and days ------------------------------------------------------------------------


async def test_spring_forward_a_0230_new_york_digest_fires_once_at_0700_utc(
    db: Database, service: DigestService
) -> None:
    await _set_up_guild(service, time_text="02:30", zone="America/New_York", now=datetime(2024, 3, 9, 12, tzinfo=UTC))
    assert (await _schedule(db)).next_fire_at == datetime(2024, 3, 10, 7, 0, tzinfo=UTC)

    fired = await _tick(
        service, datetime(2024, 3, 10, 0, 0, tzinfo=UTC), datetime(2024, 3, 11, 0, 0, tzinfo=UTC), timedelta(minutes=5)
    )

    assert fired == [datetime(2024, 3, 10, 7, 0, tzinfo=UTC)]
    schedule = await _schedule(db)
    [slot] = await DigestRepository(db).recent_slots(schedule.id)
    assert slot.slot_date == date(2024, 3, 10)
    assert slot.fire_at == datetime(2024, 3, 10, 7, 0, tzinfo=UTC)
    assert len({r.dedupe_key.rsplit(":", 1)[0] for r in await _outbox(db)}) == 1
    assert schedule.next_fire_at == datetime(2024, 3, 11, 6, 30, tzinfo=UTC)  # 02:30 EDT


async def test_fall_back_a_0130_new_york_digest_fires_once(db: Database, service: DigestService) -> None:
    await _set_up_guild(service, time_text="01:30", zone="America/New_York", now=datetime(2024, 11, 2, 12, tzinfo=UTC))

    fired = await _tick(
        service, datetime(2024, 11, 3, 0, 0, tzinfo=UTC), datetime(2024, 11, 4, 0, 0, tzinfo=UTC), timedelta(minutes=5)
    )

    assert fired == [datetime(2024, 11, 3, 5, 30, tzinfo=UTC)]  # 01:30 EDT; the repeat at 01:30 EST is no slot
    schedule = await _schedule(db)
    [slot] = await DigestRepository(db).recent_slots(schedule.id)
    assert slot.slot_date == date(2024, 11, 3)
    assert len({r.dedupe_key.rsplit(":", 1)[0] for r in await _outbox(db)}) == 1
    assert schedule.next_fire_at == datetime(2024, 11, 4, 6, 30, tzinfo=UTC)  # 01:30 EST


async def test_a_slot_missed_by_less_than_grace_is_sent_late_once(db: Database, service: DigestService) -> None:
    await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _set_up_guild(service)
    back = SLOT + GRACE - timedelta(minutes=1)

    assert await service.process_due(now=back) == 1
    assert await service.process_due(now=back) == 0

    schedule = await _schedule(db)
    [slot] = await DigestRepository(db).recent_slots(schedule.id)
    assert (slot.status, slot.processed_at) == ("sent", back)
    assert len({r.dedupe_key.rsplit(":", 1)[0] for r in await _outbox(db)}) == 1
    assert schedule.next_fire_at == datetime(2024, 3, 5, 7, 0, tzinfo=UTC)


async def test_a_slot_missed_by_more_than_grace_is_skipped_and_shown(
    db: Database, service: DigestService, wake: WakeCounter, caplog: pytest.LogCaptureFixture
) -> None:
    await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _set_up_guild(service)
    back = SLOT + GRACE + timedelta(minutes=30)

    with caplog.at_level(logging.WARNING, logger="bot.digest_service"):
        assert await service.process_due(now=back) == 1
        assert await service.process_due(now=back) == 0

    assert await _outbox(db) == []
    assert wake.calls == 0
    assert len([r for r in caplog.records if "skipped" in r.getMessage()]) == 1
    schedule = await _schedule(db)
    [slot] = await DigestRepository(db).recent_slots(schedule.id)
    assert slot.status == "skipped"
    assert "offline" in slot.detail
    assert schedule.next_fire_at == datetime(2024, 3, 5, 7, 0, tzinfo=UTC)
    assert schedule.last_digest_at is None  # nothing was composed, so "since" does not move

    shown = await service.show(GUILD, GUILD_A)
    recent = _field(shown, "Recent slots")
    assert "Mon 04 Mar: skipped" in recent
    assert "offline" in recent
    assert _field(shown, "Last delivery") == "None yet."


async def test_after_days_offline_the_old_slot_is_skipped_and_todays_is_sent_once(
    db: Database, service: DigestService
) -> None:
    await _set_up_guild(service)
    back = datetime(2024, 3, 7, 8, 0, tzinfo=UTC)  # Thursday, one hour after that day's slot

    assert await service.process_due(now=back) == 4  # Mon, Tue, Wed skipped; Thu sent

    slots = await DigestRepository(db).recent_slots((await _schedule(db)).id, limit=10)
    by_date = {s.slot_date: s.status for s in slots}
    assert by_date[date(2024, 3, 4)] == "skipped"
    assert by_date[date(2024, 3, 5)] == "skipped"
    assert by_date[date(2024, 3, 6)] == "skipped"
    assert by_date[date(2024, 3, 7)] in ("sent", "empty")
    assert {r.dedupe_key.rsplit(":", 1)[0] for r in await _outbox(db)} == {
        f"digest:{(await _schedule(db)).id}:2024-03-07"
    }
    assert (await _schedule(db)).next_fire_at == datetime(2024, 3, 8, 7, 0, tzinfo=UTC)


async def test_every_slot_missed_in_a_multi_day_outage_is_recorded_and_shown(
    db: Database, service: DigestService, wake: WakeCounter, caplog: pytest.LogCaptureFixture
) -> None:
    await _set_up_guild(service, time_text="07:30", zone="Europe/Paris")  # 06:30 UTC in March
    back = datetime(2024, 3, 7, 9, 0, tzinfo=UTC)  # Thursday, past the grace for Thursday's slot too

    with caplog.at_level(logging.WARNING, logger="bot.digest_service"):
        assert await service.process_due(now=back) == 4
        assert await service.process_due(now=back) == 0

    schedule = await _schedule(db)
    slots = await DigestRepository(db).recent_slots(schedule.id, limit=10)
    assert [(s.slot_date.day, s.status) for s in slots] == [(d, SlotStatus.SKIPPED) for d in (7, 6, 5, 4)]
    assert await _outbox(db) == [] and wake.calls == 0
    assert schedule.next_fire_at == datetime(2024, 3, 8, 6, 30, tzinfo=UTC)
    [warning] = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert "skipped 4 digests while offline: Mon 07:30, Tue 07:30, Wed 07:30, Thu 07:30" in warning

    recent = _field(await service.show(GUILD, GUILD_A), "Recent slots")
    assert recent == "Thu 07 Mar: skipped 4 digests while offline: Mon 07:30, Tue 07:30, Wed 07:30, Thu 07:30"


async def test_a_year_offline_records_the_last_two_weeks_and_counts_the_rest(
    db: Database, service: DigestService
) -> None:
    await _set_up_guild(service)
    back = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)  # a year after Monday 4 Mar 2024's slot, past the grace

    assert await service.process_due(now=back) == SKIPPED_RECORDED_FOR.days

    schedule = await _schedule(db)
    slots = await DigestRepository(db).recent_slots(schedule.id, limit=1000)
    assert len(slots) == SKIPPED_RECORDED_FOR.days
    assert {s.status for s in slots} == {SlotStatus.SKIPPED}
    assert slots[0].slot_date == date(2025, 3, 4)
    assert schedule.next_fire_at == datetime(2025, 3, 5, 7, 0, tzinfo=UTC)
    [line] = _field(await service.show(GUILD, GUILD_A), "Recent slots").splitlines()
    # 4 Mar 2024 to 4 Mar 2025 inclusive: 366 daily slots (2024 is a leap year).
    assert "skipped 366 digests while offline since Mon 4 Mar 2024" in line
    assert f"only the last {SKIPPED_RECORDED_FOR.days} are recorded" in line
    assert "Tue 4 Mar 07:00" in line


async def test_show_keeps_an_outage_on_one_line_beside_later_digests(db: Database, service: DigestService) -> None:
    await _set_up_guild(service)
    await service.process_due(now=datetime(2024, 3, 6, 12, 0, tzinfo=UTC))  # Mon, Tue, Wed missed
    await service.process_due(now=datetime(2024, 3, 7, 7, 0, tzinfo=UTC))
    await service.process_due(now=datetime(2024, 3, 8, 7, 0, tzinfo=UTC))

    lines = _field(await service.show(GUILD, GUILD_A), "Recent slots").splitlines()
    assert lines == [
        "Fri 08 Mar: empty",
        "Thu 07 Mar: sent",  # the first digest
        "Wed 06 Mar: skipped 3 digests while offline: Mon 07:00, Tue 07:00, Wed 07:00",
    ]


async def test_weekdays_only_skips_the_weekend(db: Database, service: DigestService) -> None:
    friday = datetime(2024, 3, 8, 6, 0, tzinfo=UTC)
    await _set_up_guild(service, days="weekdays", now=friday)

    fired = await _tick(service, friday, datetime(2024, 3, 12, 23, 0, tzinfo=UTC), timedelta(hours=1))

    assert [moment.date() for moment in fired] == [date(2024, 3, 8), date(2024, 3, 11), date(2024, 3, 12)]
    slots = await DigestRepository(db).recent_slots((await _schedule(db)).id, limit=10)
    assert sorted(s.slot_date.weekday() for s in slots) == [0, 1, 4]
    assert (await _schedule(db)).next_fire_at == datetime(2024, 3, 13, 7, 0, tzinfo=UTC)


# --- show, set_up, turn_off, send_now, preview --------------------------------------------------


async def test_show_reports_the_last_delivery_from_the_outbox(db: Database, service: DigestService) -> None:
    await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _set_up_guild(service)
    assert _field(await service.show(GUILD, GUILD_A), "Last delivery") == "None yet."

    await service.process_due(now=SLOT)
    [row] = await _outbox(db)
    assert _field(await service.show(GUILD, GUILD_A), "Last delivery").startswith("Queued since 04 Mar 07:00 UTC")

    outbox = OutboxRepository(db)
    await outbox.mark_retry(row.id, "503 from Discord", SLOT + timedelta(minutes=1))
    assert "retrying (503 from Discord)" in _field(await service.show(GUILD, GUILD_A), "Last delivery")

    await outbox.mark_failed(row.id, "missing Send Messages in #news", SLOT + timedelta(minutes=2))
    shown = await service.show(GUILD, GUILD_A)
    assert _field(shown, "Last delivery") == "failed: missing Send Messages in #news (04 Mar 07:02 UTC)"
    assert to_markdown(_field(shown, "Channel")) == f"<#{external(CHANNEL_A)}>"
    assert _field(shown, "Schedule") == "07:00 UTC, daily"
    assert "Tue 5 Mar 07:00 UTC" in _field(shown, "Next digest")


async def test_show_reports_a_delivered_digest(db: Database, service: DigestService) -> None:
    await _set_up_guild(service)
    await service.process_due(now=SLOT)
    [row] = await _outbox(db)
    await OutboxRepository(db).mark_sent(row.id, 42, SLOT + timedelta(seconds=3))
    assert _field(await service.show(GUILD, GUILD_A), "Last delivery") == "Delivered 04 Mar 07:00 UTC."


@pytest.mark.parametrize(
    ("time_text", "zone", "days", "named"),
    [
        ("25:00", "UTC", "daily", "25:00"),
        ("07:00", "Mars/Base", "daily", "Mars/Base"),
        ("07:00", "UTC", "funday", "funday"),
        ("07:00", "UTC", "mon,blursday", "blursday"),
    ],
)
async def test_set_up_rejects_bad_input_naming_the_value(
    db: Database, service: DigestService, time_text: str, zone: str, days: str, named: str
) -> None:
    with pytest.raises(UserError, match=named):
        await _set_up_guild(service, time_text=time_text, zone=zone, days=days)
    assert await DigestRepository(db).get(GUILD, GUILD_A) is None


@pytest.mark.parametrize("days", [" ", ",", " , ;"])
async def test_set_up_rejects_empty_days(db: Database, service: DigestService, days: str) -> None:
    with pytest.raises(UserError, match="at least one day"):
        await _set_up_guild(service, days=days)
    assert await DigestRepository(db).get(GUILD, GUILD_A) is None


async def test_set_up_replies_with_the_next_run(service: DigestService) -> None:
    reply = await _set_up_guild(service, time_text="07:30", zone="europe/paris", days="weekdays")
    assert reply.ephemeral
    assert "07:30 Europe/Paris, weekdays" in plain(reply.text)
    assert f"<#{external(CHANNEL_A)}>" in to_markdown(reply.text)
    assert "Mon 4 Mar 07:30 CET (06:30 UTC)" in plain(reply.text)


async def test_changing_the_schedule_keeps_the_since_point(db: Database, service: DigestService) -> None:
    await _set_up_guild(service)
    await service.process_due(now=SLOT)
    await _set_up_guild(service, time_text="18:00", now=SLOT + timedelta(hours=1))
    schedule = await _schedule(db)
    assert schedule.last_digest_at == SLOT
    assert schedule.next_fire_at == datetime(2024, 3, 4, 18, 0, tzinfo=UTC)
    # The new time falls on a date already served: one digest per local date.
    assert await service.process_due(now=datetime(2024, 3, 4, 18, 0, tzinfo=UTC)) == 1
    assert len({r.dedupe_key.rsplit(":", 1)[0] for r in await _outbox(db)}) == 1


async def test_turn_off_stops_future_slots(db: Database, service: DigestService) -> None:
    await _set_up_guild(service)
    reply = await service.turn_off(GUILD, GUILD_A, now=MONDAY)
    assert "turned off" in plain(reply.text)

    assert await _tick(service, SLOT, SLOT + timedelta(days=7), timedelta(hours=6)) == []
    assert await _outbox(db) == []
    assert _field(await service.show(GUILD, GUILD_A), "Next digest").startswith("Off.")
    with pytest.raises(UserError, match="no digest running"):
        await service.turn_off(GUILD, GUILD_A, now=MONDAY)
    with pytest.raises(UserError, match="off"):
        await service.send_now(GUILD, GUILD_A, "req-1", now=SLOT)

    await _set_up_guild(service, now=SLOT + timedelta(days=7, hours=1))  # setting it up again restarts it
    assert await service.process_due(now=SLOT + timedelta(days=8)) == 1


async def test_send_now_enqueues_immediately_and_moves_the_since_point(
    db: Database, service: DigestService, wake: WakeCounter
) -> None:
    story_id = await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _set_up_guild(service)
    asked = MONDAY + timedelta(minutes=10)

    reply = await service.send_now(GUILD, GUILD_A, "interaction-1", now=asked)

    schedule = await _schedule(db)
    rows = await _outbox(db)
    assert rows
    assert all(r.dedupe_key.startswith(f"digest-now:{schedule.id}:interaction-1:") for r in rows)
    assert all(r.next_attempt_at == asked for r in rows)
    assert wake.calls == 1
    assert f"<#{external(CHANNEL_A)}>" in to_markdown(reply.text)
    assert schedule.last_digest_at == asked
    assert schedule.next_fire_at == SLOT  # the calendar is unchanged

    await service.send_now(GUILD, GUILD_A, "interaction-1", now=asked)  # the same interaction retried
    assert len(await _outbox(db)) == len(rows)

    # The scheduled digest right after has nothing new, because "since" moved.
    await service.process_due(now=SLOT)
    [scheduled] = (await _outbox(db))[len(rows) :]
    assert "Nothing new since your last digest" in _text_of(scheduled)

    await StoryRepository(db).add_development(
        story_id, "Dockers return", "Dockers returned.", content_hash="d", now=SLOT + timedelta(hours=1)
    )
    await service.send_now(GUILD, GUILD_A, "interaction-2", now=SLOT + timedelta(hours=2))
    latest = (await _outbox(db))[len(rows) + 1 :]
    assert "Dockers return" in "\n".join(_text_of(r) for r in latest)


async def test_preview_neither_enqueues_nor_moves_the_since_point(db: Database, service: DigestService) -> None:
    await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    await _set_up_guild(service)
    reply = await service.preview(GUILD, GUILD_A, now=MONDAY)
    assert reply.ephemeral
    assert any("Harbour Strike" in (card.title or "") for card in reply.cards)
    assert await _outbox(db) == []
    assert (await _schedule(db)).last_digest_at is None


async def test_commands_without_a_schedule_explain_how_to_start(service: DigestService) -> None:
    with pytest.raises(UserError, match="/digest setup"):
        await service.show(GUILD, GUILD_A)
    with pytest.raises(UserError, match="/brief me"):
        await service.preview(USER, USER_ID)
    with pytest.raises(UserError, match="/brief me"):
        await service.send_now(USER, USER_ID, "x")


async def test_a_personal_digest_goes_to_the_users_dms(db: Database, service: DigestService) -> None:
    await _add_story(db, "Guild A Harbour Strike", GUILD_A)
    reply = await service.set_up(
        USER,
        USER_ID,
        scope_id=GUILD_A,
        channel_id=None,
        time_text="07:00",
        timezone_text="UTC",
        days_text="daily",
        now=MONDAY,
    )
    assert "by DM" in plain(reply.text)
    await service.process_due(now=SLOT)
    rows = await _outbox(db)
    assert rows and {(r.target_kind, r.target_id) for r in rows} == {("user", USER_ID)}
    assert "Harbour Strike" in "\n".join(_text_of(r) for r in rows)


async def test_liveness_check_warns_only_when_a_due_slot_waits_more_than_two_minutes(
    service: DigestService, caplog: pytest.LogCaptureFixture
) -> None:
    await _set_up_guild(service)
    with caplog.at_level(logging.WARNING, logger="bot.digest_service"):
        assert await service.check_liveness(now=SLOT + timedelta(minutes=1)) == 0
        assert not caplog.records
        assert await service.check_liveness(now=SLOT + timedelta(minutes=3)) == 1
    assert "liveness" in caplog.records[-1].getMessage()
    await service.process_due(now=SLOT + timedelta(minutes=3))
    assert await service.check_liveness(now=SLOT + timedelta(minutes=4)) == 0
