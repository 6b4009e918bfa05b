"""Following stories: follow, mute, and tell each follower once, through the outbox, when a story develops or
is removed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from bot import local_time, markup, payloads
from bot.alerts import compose_alert, story_status_card
from bot.audience import AudienceZones
from bot.cards import Card, Reply
from bot.errors import UserError
from bot.ids import platform_of, qualify
from bot.limits import MessagePart, paginate, truncate
from bot.story_service import StoryService
from bot.text import plural
from storage.follows import Follow, FollowerKind, FollowRepository, PendingAlert, Removal, follow_ref
from storage.outbox import OutgoingMessage
from storage.records import DevelopmentRecord, StoryRecord
from storage.stories import StoryRepository

log = logging.getLogger(__name__)

REMOVE_ATTEMPTS = 3


class FollowTarget(StrEnum):
    """Where a follower wants alerts: by DM, or here in this channel."""

    DM = "dm"
    HERE = "here"


class FollowService:
    def __init__(
        self,
        follows: FollowRepository,
        stories: StoryRepository,
        story_service: StoryService,
        *,
        burst_window: timedelta,
        zones: AudienceZones | None = None,
        wake_delivery: Callable[[], None] = lambda: None,
        wake_alerts: Callable[[], None] = lambda: None,
        reopen_dms: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.follows = follows
        self.stories = stories
        self.story_service = story_service
        self.burst_window = burst_window
        self.zones = zones or AudienceZones(None, UTC)
        self.wake_delivery = wake_delivery
        self.wake_alerts = wake_alerts
        self.reopen_dms = reopen_dms  # a user who (re)follows by DM after their DMs were closed: try them again

    # --- follower commands ---------------------------------------------------------------------

    async def follow(
        self,
        story_text: str,
        viewer: str | None,
        user_id: str,
        where: FollowTarget,
        channel_id: str | None,
        ping_role_id: str | None = None,
    ) -> Reply:
        story = await self.story_service.resolve(story_text, viewer)
        now = datetime.now(UTC)
        if where is FollowTarget.HERE:
            if channel_id is None or viewer is None:
                raise UserError(markup.text(markup.code("where: here"), " only works in a channel."))
            _, created = await self.follows.follow(
                story.id, FollowerKind.CHANNEL, channel_id, scope_id=viewer, ping_role_id=ping_role_id, now=now
            )
            ping = markup.text(" and ping ", markup.role(ping_role_id)) if ping_role_id else ""
            what = markup.text(
                "This channel now follows ",
                markup.bold(story.title),
                ". When it develops, I'll post what changed in a thread under a story card here",
                ping,
                ".",
            )
        else:
            _, created = await self.follows.follow(
                story.id, FollowerKind.USER, user_id, scope_id=None, ping_role_id=None, now=now
            )
            if self.reopen_dms is not None:
                await self.reopen_dms(user_id)
            what = markup.text(
                "You now follow ",
                markup.bold(story.title),
                ". When it develops, I'll DM you what changed: the new facts and a link, once per development.",
            )
        if not created:
            what = markup.text("Already following. ", what)
        window = int(self.burst_window.total_seconds() // 60)
        tail = f" Updates within {plural(window, 'minute')} are merged into one alert." if window else ""
        stop = markup.text(" ", markup.code("/story mute"), " pauses, ", markup.code("/story unfollow"), " stops.")
        return Reply(text=markup.text(what, tail, stop), ephemeral=True)

    async def unfollow(
        self, story_text: str, viewer: str | None, user_id: str, where: FollowTarget, channel_id: str | None
    ) -> Reply:
        story = await self.story_service.resolve(story_text, viewer)
        here = where is FollowTarget.HERE
        kind, follower = (FollowerKind.CHANNEL, channel_id) if here else (FollowerKind.USER, user_id)
        if follower is None or not await self.follows.unfollow(story.id, kind, follower):
            who = "This channel does" if here else "You do"
            raise UserError(markup.text(f"{who} not follow ", markup.bold(story.title), "."))
        return Reply(text=markup.text("Stopped following ", markup.bold(story.title), "."), ephemeral=True)

    async def following(self, user_id: str, scope_id: str | None) -> Reply:
        rows = await self.follows.following(user_id, scope_id)
        if not rows:
            nothing = markup.text("You follow nothing yet. Try ", markup.code("/story follow"), ".")
            return Reply(text=nothing, ephemeral=True)
        now = datetime.now(UTC)
        zone = await self.zones.zone_for(scope_id, user_id)
        lines = []
        for row in rows:
            dm = row.follow.follower_kind is FollowerKind.USER
            where = "by DM" if dm else markup.text("in ", markup.channel(row.follow.follower_id))
            until = row.follow.muted_until
            muted = f", muted until {local_time.short_moment(until, zone)}" if until and row.follow.muted(now) else ""
            slug = markup.code(row.slug)
            lines.append(markup.text("• ", markup.bold(row.title), " (", slug, ") ", where, muted))
        return Reply(cards=(Card(title="Following", description=markup.join("\n", lines)),), ephemeral=True)

    async def mute(self, story_text: str, viewer: str | None, user_id: str, hours: int) -> Reply:
        if not 1 <= hours <= 168:
            raise UserError("Mute for 1 to 168 hours.")
        story = await self.story_service.resolve(story_text, viewer)
        until = datetime.now(UTC) + timedelta(hours=hours)
        if not await self.follows.mute(story.id, user_id, until):
            title = markup.bold(story.title)
            raise UserError(markup.text("You don't follow ", title, " by DM, so there is nothing to mute."))
        zone = await self.zones.zone_for(viewer, user_id)
        return Reply(
            text=markup.text(
                "Muted ",
                markup.bold(story.title),
                f" until {local_time.short_moment(until, zone)}. Alerts are held, not lost: "
                "they come in your next digest, or as one catch-up message when the mute ends.",
            ),
            ephemeral=True,
        )

    # --- a story's administration tells its followers ---------------------------------------------

    def development_added(self) -> None:
        """A development was just recorded in this process: fan it out now rather than at the next poll."""
        self.wake_alerts()

    async def remove_story(self, story: StoryRecord, scope_id: str, now: datetime | None = None) -> int | None:
        """Tells each follower once, through the outbox like an alert, then removes the server's story and its
        follows, in one transaction. Returns how many follows were told; None if it is not this server's story."""
        now = now or datetime.now(UTC)
        for _ in range(REMOVE_ATTEMPTS):
            followers = await self.follows.followers(story.id)
            notices = [message for follow in followers for message in await self._removal_notice(follow, story, now)]
            outcome = await self.follows.remove_story(
                story.id, scope_id, notices, follow_ids={f.id for f in followers}, now=now
            )
            if outcome is Removal.REFUSED:
                return None
            if outcome is Removal.REMOVED:
                log.info("story %s removed by its server; %d followers told", story.slug, len(followers))
                if notices:
                    self.wake_delivery()
                return len(followers)
        raise UserError("People kept following or unfollowing this story while it was being removed. Try again.")

    async def _removal_notice(self, follow: Follow, story: StoryRecord, now: datetime) -> list[OutgoingMessage]:
        channel = follow.follower_kind is FollowerKind.CHANNEL
        who = "This channel no longer follows it" if channel else "You no longer follow it"
        card = Card(
            title=truncate(f"Story removed: {story.title}", 256),
            description=markup.text(
                "The admins here removed ",
                markup.bold(story.title),
                f". {who}, and nothing more will be sent about it.",
            ),
        )
        target = follow.follower_id
        if channel:  # into the story's thread, where the channel's alerts went, when there is one
            thread = await self.follows.thread(follow.follower_id, story.id)
            # A thread's id is its platform's own (plain text); as a target it is qualified like its channel.
            if thread and thread.thread_id:
                target = qualify(platform_of(follow.follower_id), thread.thread_id)
        # The removal instant keeps the key unique even if the story's and the follow's ids are reused later;
        # the one transaction that enqueues these also removes the story, so they are enqueued once.
        key = f"removed:{follow.id}:{story.id}:{now:%Y%m%dT%H%M%S%f}"
        return self._outgoing(follow, [MessagePart("", (card,))], key, target_id=target)

    # --- fan-out (a scheduler job) -------------------------------------------------------------

    async def process_alerts(self, now: datetime | None = None) -> int:
        """Fans out developments not yet alerted; a story alerted in the last burst window waits. Returns messages."""
        now = now or datetime.now(UTC)
        total = 0
        for pending in await self.follows.pending_alerts(now, quiet_since=now - self.burst_window):
            total += await self._fan_out(pending, now)
        if total:
            self.wake_delivery()
        return total

    async def _fan_out(self, pending: PendingAlert, now: datetime) -> int:
        story = await self.stories.get_by_id(pending.story_id)
        if story is None:
            return 0
        developments = await self.stories.developments(story.id)
        developments.sort(key=lambda d: d.id)
        news = [d for d in developments if pending.alerted_through_id < d.id <= pending.newest_id]
        key_points = await self.stories.key_points(story.id)
        messages: list[OutgoingMessage] = []
        holds: list[tuple[int, int]] = []
        # Rendered once per (first new development, zone), and a thread's status card once per zone, not once
        # per follower.
        rendered: dict[tuple[int, str], list[MessagePart]] = {}
        statuses: dict[str, payloads.ThreadSpec | None] = {}
        followers = await self.follows.followers(story.id)
        zones = await self.zones.follower_zones(followers)
        for follow in followers:
            mine = [d for d in news if d.id > follow.since_development_id]
            if not mine:
                continue
            if follow.muted(now):
                holds += [(follow.id, d.id) for d in mine]
                continue
            zone = zones[follow.id]
            cache_key = (mine[0].id, local_time.zone_name(zone))
            if cache_key not in rendered:
                earlier = [d for d in developments if d.id < mine[0].id]
                rendered[cache_key] = paginate(compose_alert(story, key_points, earlier, mine, zone=zone))
            key = f"alert:{follow.id}:{pending.newest_id}"
            status = None
            if follow.follower_kind is FollowerKind.CHANNEL:
                if cache_key[1] not in statuses:
                    statuses[cache_key[1]] = _status(story, news, len(developments), follow, zone)
                status = statuses[cache_key[1]]
            messages += self._outgoing(follow, rendered[cache_key], key, status=status)
        if not await self.follows.fan_out(
            story.id, pending.newest_id, messages, holds, now, expected_from=pending.alerted_through_id
        ):
            return 0
        log.info("story %s: %d alerts enqueued, %d held", story.slug, len(messages), len(holds))
        return len(messages)

    @staticmethod
    def _outgoing(
        follow: Follow,
        parts: Sequence[MessagePart],
        key: str,
        *,
        status: payloads.ThreadSpec | None = None,
        target_id: str | None = None,
    ) -> list[OutgoingMessage]:
        """A follower's messages: `status` opens (or finds) the story's thread in a followed channel; the role ping
        rides on the first part. `target_id`: somewhere else than the follower itself (a thread of its channel)."""
        channel = follow.follower_kind is FollowerKind.CHANNEL
        return [
            OutgoingMessage(
                dedupe_key=f"{key}:{index}",
                kind="alert",
                target_kind=follow.follower_kind,
                target_id=follow.follower_id if target_id is None else target_id,
                payload_json=payloads.dump(
                    part, follow.ping_role_id if channel and status and index == 0 else None, status
                ),
                ref=follow_ref(follow.id),
            )
            for index, part in enumerate(parts)
        ]

    async def release_mutes(self, now: datetime | None = None) -> int:
        """One catch-up message per follow whose mute ended with alerts held."""
        now = now or datetime.now(UTC)
        released = 0
        unmuted = await self.follows.unmuted_with_holds(now)
        zones = await self.zones.follower_zones(unmuted)
        for follow in unmuted:
            holds = [
                h for h in await self.follows.held_for(follow.follower_kind, follow.follower_id) if h[0] == follow.id
            ]
            story = await self.stories.get_by_id(follow.story_id)
            if story is None or not holds:
                continue
            zone = zones[follow.id]
            reply = await self.held_reply(story, [h[1] for h in holds], zone)
            developments = await self.stories.developments(story.id)
            status = _status(story, developments, len(developments), follow, zone)
            key = f"catchup:{follow.id}:{max(h[1] for h in holds)}"
            if await self.follows.release(holds, self._outgoing(follow, paginate(reply), key, status=status), now):
                released += 1
        if released:
            self.wake_delivery()
        return released

    async def held_reply(self, story: StoryRecord, development_ids: list[int], zone: tzinfo) -> Reply:
        developments = await self.stories.developments(story.id)
        wanted = set(development_ids)
        news = [d for d in developments if d.id in wanted]
        earlier = [d for d in developments if d.id < min(wanted)]
        return compose_alert(story, await self.stories.key_points(story.id), earlier, news, zone=zone, held=True)

    async def held_cards(self, user_id: str) -> tuple[list[Card], list[tuple[int, int]]]:
        """For a user's digest: the alerts held for them, and the holds that the digest releases."""
        holds = await self.follows.held_for(FollowerKind.USER, user_id)
        zone = await self.zones.zone_for(None, user_id)
        by_story: dict[int, list[int]] = {}
        follow_story: dict[int, int] = {}
        for follow in await self.follows.following(user_id, None):
            follow_story[follow.follow.id] = follow.follow.story_id
        for follow_id, development_id in holds:
            if follow_id in follow_story:
                by_story.setdefault(follow_story[follow_id], []).append(development_id)
        cards: list[Card] = []
        for story_id, ids in by_story.items():
            story = await self.stories.get_by_id(story_id)
            if story is not None:
                cards += (await self.held_reply(story, ids, zone)).cards
        return cards, holds


def _status(
    story: StoryRecord, developments: Sequence[DevelopmentRecord], count: int, follow: Follow, zone: tzinfo
) -> payloads.ThreadSpec | None:
    """A channel follower's thread: its status card names the latest development. DM followers have none."""
    if follow.follower_kind is not FollowerKind.CHANNEL:
        return None
    card = story_status_card(story, developments[-1] if developments else None, count, zone)
    return payloads.ThreadSpec(story.id, truncate(story.title, 100), card)
