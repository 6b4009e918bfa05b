"""Digest schedules: set them up, show them, preview, send now, and process due slots exactly once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot import local_time, markup, payloads
from bot.cards import Card, CardField, Reply
from bot.digests import Digest, compose_digest
from bot.errors import UserError
from bot.limits import paginate
from bot.schedule_clock import (
    Days,
    Schedule,
    ScheduleError,
    Slot,
    format_next_run,
    parse_schedule,
    parse_time_of_day,
)
from bot.text import plural
from storage.digests import AudienceKind, DigestRepository, DigestSchedule, ProcessedSlot, SlotRecord, SlotStatus
from storage.outbox import OutboxRepository, OutgoingMessage
from storage.stories import StoryRepository

log = logging.getLogger(__name__)

HeldAlerts = Callable[[int], Awaitable[tuple[list[Card], list[tuple[int, int]]]]]
DigestKey = tuple[int | None, datetime | None, str]  # (whose own stories, "since" point, time zone)
BATCH = 200
LIVENESS_TOLERANCE = timedelta(minutes=2)
# A long outage records its skipped slots of this last stretch one by one; the older ones are only counted,
# so a year offline costs a few rows per schedule, not hundreds.
SKIPPED_RECORDED_FOR = timedelta(days=14)
SHOWN_SLOT_LINES = 3
MAX_LISTED_SKIPS = 14


def schedule_of(row: DigestSchedule) -> Schedule:
    return Schedule(parse_time_of_day(row.time_of_day), ZoneInfo(row.timezone), Days.from_storage(row.days))


def digest_payloads(digest: Digest) -> tuple[str, ...]:
    """The digest's messages as stored in the outbox (the same for every audience that gets this digest)."""
    return tuple(payloads.dump(part) for part in paginate(digest.reply))


def digest_messages(
    row: DigestSchedule, digest: Digest, key: str, dumped: tuple[str, ...] | None = None
) -> tuple[OutgoingMessage, ...]:
    """`dumped`: `digest_payloads(digest)` when the caller already has it."""
    in_channel = row.audience_kind is AudienceKind.GUILD
    target_kind, target_id = ("channel", row.channel_id) if in_channel else ("user", row.audience_id)
    assert target_id is not None
    parts = digest_payloads(digest) if dumped is None else dumped
    return tuple(
        OutgoingMessage(
            dedupe_key=f"{key}:{index}",
            kind="digest",
            target_kind=target_kind,
            target_id=target_id,
            payload_json=payload,
            ref=row.ref,
        )
        for index, payload in enumerate(parts)
    )


def with_held_alerts(digest: Digest, cards: list[Card]) -> Digest:
    """Alerts held while muted go first in the follower's digest."""
    # A "nothing new" note would contradict the held news: keep only its title line then.
    lead = digest.reply.text if digest.has_news else markup.lines(digest.reply.text)[0]
    text = markup.text(lead, "\n\nHeld while you muted these stories:")
    return Digest(Reply(text=text, cards=(*cards, *digest.reply.cards)), has_news=True, story_count=digest.story_count)


def _slot_times(slots: list[Slot], zone: tzinfo) -> str:
    """`Mon 07:30, Tue 07:30`; with the dates when the slots span a week or more."""
    dated = len(slots) > 1 and (slots[-1].local_date - slots[0].local_date).days >= 7
    texts = []
    for slot in slots:
        local = slot.fire_at.astimezone(zone)
        texts.append(f"{local:%a} {local.day} {local:%b %H:%M}" if dated else f"{local:%a %H:%M}")
    return ", ".join(texts)


def outage_summary(recorded: list[Slot], missed: int, zone: tzinfo, first_missed: Slot) -> str:
    """`skipped 3 digests while offline: Mon 07:30, Tue 07:30, Wed 07:30` (recorded on the outage's last slot)."""
    skipped = f"skipped {plural(missed, 'digest')} while offline"
    if missed == len(recorded):
        return f"{skipped}: {_slot_times(recorded, zone)}"
    since = first_missed.fire_at.astimezone(zone)
    return (
        f"{skipped} since {since:%a} {since.day} {since:%b %Y}; only the last "
        f"{len(recorded)} are recorded: {_slot_times(recorded[-MAX_LISTED_SKIPS:], zone)}"
    )


def slot_lines(slots: list[SlotRecord], limit: int = SHOWN_SLOT_LINES) -> list[str]:
    """Newest first, one line per slot; the skipped slots of one outage (one tick) share the line of its last."""
    lines: list[str] = []
    outage: datetime | None = None
    for slot in slots:
        if slot.status is SlotStatus.SKIPPED and slot.processed_at == outage:
            continue
        outage = slot.processed_at if slot.status is SlotStatus.SKIPPED else None
        # An outage's summary reads as the whole line; slots skipped before summaries existed keep the old form.
        if slot.status is SlotStatus.SKIPPED and slot.detail.startswith("skipped"):
            lines.append(f"{slot.slot_date:%a %d %b}: {slot.detail}")
        else:
            lines.append(f"{slot.slot_date:%a %d %b}: {slot.status}" + (f" ({slot.detail})" if slot.detail else ""))
        if len(lines) == limit:
            break
    return lines


class DigestService:
    def __init__(
        self,
        digests: DigestRepository,
        stories: StoryRepository,
        outbox: OutboxRepository,
        grace: timedelta,
        wake_delivery: Callable[[], None] = lambda: None,
        held_for_user: HeldAlerts | None = None,
        reopen_dms: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.digests = digests
        self.stories = stories
        self.outbox = outbox
        self.grace = grace
        self.wake_delivery = wake_delivery
        self.held_for_user = held_for_user
        self.reopen_dms = reopen_dms  # a user who sets up their digest after their DMs were closed: try them again

    # --- commands ------------------------------------------------------------------------------

    async def set_up(
        self,
        audience_kind: AudienceKind,
        audience_id: str,
        *,
        scope_id: str | None,
        channel_id: str | None,
        time_text: str,
        timezone_text: str,
        days_text: str,
        now: datetime | None = None,
    ) -> Reply:
        now = now or datetime.now(UTC)
        try:
            schedule = parse_schedule(time_text, timezone_text, days_text or "daily")
        except ScheduleError as exc:
            raise UserError(str(exc)) from None
        slot = schedule.next_slot(now)
        await self.digests.save(
            audience_kind=audience_kind,
            audience_id=audience_id,
            scope_id=scope_id,
            channel_id=channel_id,
            time_of_day=schedule.time_of_day.strftime("%H:%M"),
            timezone=schedule.timezone_name,
            days=schedule.days.storage,
            next_fire_at=slot.fire_at,
            next_slot_date=slot.local_date,
            now=now,
        )
        if audience_kind is AudienceKind.USER and self.reopen_dms is not None:
            await self.reopen_dms(audience_id)
        where = markup.text("in ", markup.channel(channel_id)) if channel_id else "by DM"
        return Reply(
            text=markup.text(
                f"Digest set: {schedule.describe()}, ",
                where,
                f".\nNext digest: {format_next_run(slot, schedule.timezone)}.",
            ),
            ephemeral=True,
        )

    async def show(self, audience_kind: AudienceKind, audience_id: str) -> Reply:
        row = await self._require(audience_kind, audience_id)
        schedule = schedule_of(row)
        fields = [CardField("Schedule", schedule.describe())]
        if row.channel_id:
            fields.append(CardField("Channel", markup.text(markup.channel(row.channel_id))))
        if row.enabled and row.next_fire_at and row.next_slot_date:
            fields.append(
                CardField("Next digest", format_next_run(Slot(row.next_slot_date, row.next_fire_at), schedule.timezone))
            )
        else:
            fields.append(CardField("Next digest", "Off. Set it up again to restart it."))
        fields.append(CardField("Last delivery", await self.last_delivery(row)))
        # Enough rows for the last few lines even when each is a long outage's recorded slots.
        slots = await self.digests.recent_slots(row.id, limit=SHOWN_SLOT_LINES * (SKIPPED_RECORDED_FOR.days + 1))
        if slots:
            fields.append(CardField("Recent slots", "\n".join(slot_lines(slots))))
        return Reply(cards=(Card(title="Digest", fields=tuple(fields)),), ephemeral=True)

    async def last_delivery(self, row: DigestSchedule) -> str:
        """The latest digest's result, judged over all its parts: one failed part means it failed."""
        items = await self.outbox.latest_for_ref(row.ref, limit=20)
        if not items:
            return "None yet."
        digest_key = items[0].dedupe_key.rsplit(":", 1)[0]
        parts = [item for item in items if item.dedupe_key.rsplit(":", 1)[0] == digest_key]
        failed = next((p for p in parts if p.status == "failed"), None)
        pending = next((p for p in parts if p.status == "pending"), None)
        latest = failed or pending or parts[0]
        zone = ZoneInfo(row.timezone)
        stamp = local_time.short_moment(latest.finished_at or latest.created_at, zone)
        if failed is not None:
            return f"failed: {failed.last_error or 'unknown error'} ({stamp})"
        if pending is not None:
            retry = f"; retrying ({pending.last_error})" if pending.last_error else ""
            return f"Queued since {local_time.short_moment(pending.created_at, zone)}{retry}."
        return f"Delivered {stamp}."

    async def preview(self, audience_kind: AudienceKind, audience_id: str, now: datetime | None = None) -> Reply:
        row = await self._require(audience_kind, audience_id)
        now = now or datetime.now(UTC)
        digest = await compose_digest(self.stories, row.scope_id, row.last_digest_at, now, ZoneInfo(row.timezone))
        return Reply(text=digest.reply.text, cards=digest.reply.cards, ephemeral=True)

    async def send_now(
        self, audience_kind: AudienceKind, audience_id: str, request_key: str, now: datetime | None = None
    ) -> Reply:
        row = await self._require(audience_kind, audience_id)
        if not row.enabled:
            raise UserError(markup.text("The digest is off. Set it up first with ", markup.code("/digest setup"), "."))
        now = now or datetime.now(UTC)
        digest = await compose_digest(self.stories, row.scope_id, row.last_digest_at, now, ZoneInfo(row.timezone))
        await self.digests.record_manual(
            row.id, digest_messages(row, digest, f"digest-now:{row.id}:{request_key}"), now, now
        )
        self.wake_delivery()
        where = markup.channel(row.channel_id) if row.channel_id else "your DMs"
        return Reply(text=markup.text("Sending the digest to ", where, " now."), ephemeral=True)

    async def turn_off(self, audience_kind: AudienceKind, audience_id: str, now: datetime | None = None) -> Reply:
        if not await self.digests.disable(audience_kind, audience_id, now or datetime.now(UTC)):
            raise UserError("There is no digest running to turn off.")
        return Reply(text="Digest turned off. Nothing more will be sent until you set it up again.", ephemeral=True)

    async def _require(self, audience_kind: AudienceKind, audience_id: str) -> DigestSchedule:
        row = await self.digests.get(audience_kind, audience_id)
        if row is None:
            hint = "/digest setup" if audience_kind is AudienceKind.GUILD else "/brief me"
            raise UserError(markup.text("No digest is set up yet. Start one with ", markup.code(hint), "."))
        return row

    # --- the scheduler's tick ------------------------------------------------------------------

    async def process_due(self, now: datetime | None = None) -> int:
        """Processes every due slot; each is recorded with its messages in one transaction. Returns slots done."""
        done = 0
        while True:
            now_tick = now or datetime.now(UTC)
            rows = await self.digests.due(now_tick, limit=BATCH)
            if not rows:
                if done:
                    log.info("digest tick: %d slots processed", done)
                return done
            # A server that owns no stories sees exactly the global ones: its digest is everyone's (per "since"
            # point and time zone), so it is composed and rendered once per batch instead of once per server.
            owners = await self.stories.scopes_owning_stories({r.scope_id for r in rows if r.scope_id})
            cache: dict[DigestKey, tuple[Digest, tuple[str, ...]]] = {}
            processed = [slot for row in rows for slot in await self._process(row, now_tick, cache, owners)]
            fresh = await self.digests.record(processed, now_tick)
            outages = {
                item.schedule_id: item
                for item, is_fresh in zip(processed, fresh, strict=True)
                if item.status is SlotStatus.SKIPPED and is_fresh
            }
            for item in outages.values():  # an outage's last slot carries its summary
                log.warning("digest schedule %s: %s", item.schedule_id, item.detail)
            done += len(processed)
            if any(item.messages for item in processed):
                self.wake_delivery()

    async def _process(
        self,
        row: DigestSchedule,
        now: datetime,
        cache: dict[DigestKey, tuple[Digest, tuple[str, ...]]],
        owners: set[int] | None = None,
    ) -> list[ProcessedSlot]:
        """The due slot composed, or every slot missed past the grace period recorded as skipped."""
        schedule = schedule_of(row)
        assert row.next_fire_at is not None and row.next_slot_date is not None
        if now - row.next_fire_at > self.grace:
            return self._skipped(row, schedule, now)
        viewer = row.scope_id if owners is None or row.scope_id in owners else None
        key = (viewer, row.last_digest_at, row.timezone)
        cached = cache.get(key)
        if cached is None:
            composed = await compose_digest(self.stories, viewer, row.last_digest_at, now, schedule.timezone)
            cached = cache[key] = (composed, digest_payloads(composed))
        digest, dumped = cached
        released: tuple[tuple[int, int], ...] = ()
        if row.audience_kind is AudienceKind.USER and self.held_for_user is not None:
            # Alerts held while the user muted stories go first; recording the slot clears those holds.
            held_cards, holds = await self.held_for_user(row.audience_id)
            if held_cards:
                digest = with_held_alerts(digest, held_cards)
                dumped = digest_payloads(digest)
                released = tuple(holds)
        messages = digest_messages(row, digest, f"digest:{row.id}:{row.next_slot_date.isoformat()}", dumped)
        following = schedule.next_slot(max(now, row.next_fire_at))
        return [
            ProcessedSlot(
                schedule_id=row.id,
                slot_date=row.next_slot_date,
                fire_at=row.next_fire_at,
                status=SlotStatus.SENT if digest.has_news else SlotStatus.EMPTY,
                detail="",
                messages=messages,
                next_fire_at=following.fire_at,
                next_slot_date=following.local_date,
                digest_at=now,
                released_holds=released,
            )
        ]

    def _skipped(self, row: DigestSchedule, schedule: Schedule, now: datetime) -> list[ProcessedSlot]:
        """Every slot from the row's next one up to `now - grace`; those of the last SKIPPED_RECORDED_FOR one by
        one, the older ones counted. The last recorded slot carries the outage's summary."""
        assert row.next_fire_at is not None and row.next_slot_date is not None
        cutoff = now - self.grace
        first = Slot(row.next_slot_date, row.next_fire_at)
        following = schedule.next_slot(cutoff)
        window = cutoff - SKIPPED_RECORDED_FOR
        if window < first.fire_at:
            recorded = [first, *schedule.slots_between(first.fire_at, cutoff)]
            missed = len(recorded)
        else:
            recorded = schedule.slots_between(window, cutoff) or [first]  # a window holds a week: never empty
            missed = len(recorded) + schedule.count_slots(first.local_date, recorded[0].local_date)
        summary = outage_summary(recorded, missed, schedule.timezone, first)
        return [
            ProcessedSlot(
                schedule_id=row.id,
                slot_date=slot.local_date,
                fire_at=slot.fire_at,
                status=SlotStatus.SKIPPED,
                detail=summary if index == len(recorded) - 1 else "offline",
                messages=(),
                next_fire_at=following.fire_at,
                next_slot_date=following.local_date,
                digest_at=None,
            )
            for index, slot in enumerate(recorded)
        ]

    async def check_liveness(self, now: datetime | None = None, tolerance: timedelta = LIVENESS_TOLERANCE) -> int:
        """Warns when due slots were not processed in time: the scheduler must never stop silently."""
        overdue = await self.digests.overdue((now or datetime.now(UTC)) - tolerance)
        if overdue:
            log.warning("scheduler liveness: %d digest slots are more than %s overdue", overdue, tolerance)
        return overdue
