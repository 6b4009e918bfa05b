"""Following stories: follow, mute, add developments, and fan each development out once per follower."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot import payloads
from bot.alerts import compose_alert, story_status_card
from bot.cards import Card, Reply
from bot.errors import UserError
from bot.limits import MessagePart, paginate, truncate
from bot.parser import ParseError, bullet_line, parse_article
from bot.story_model import Bullet
from bot.story_service import StoryService
from bot.text import plural, split_sentences
from bot.urls import public_http_url
from storage.follows import Follow, FollowRepository, PendingAlert
from storage.outbox import OutgoingMessage
from storage.records import StoryRecord
from storage.stories import ImportItem, ImportStatus, StoryRepository

log = logging.getLogger(__name__)

DM = "dm"
HERE = "here"
MAX_UPDATE_CHARS = 4000


def development_from_text(text: str) -> tuple[str, str, tuple[Bullet, ...]]:
    """(headline, body, key points) from an update's plain text; bullets "- Label: text" become key points."""
    text = text.strip()
    lines = [(line, bullet_line(line)) for line in text.splitlines()]
    bullets = tuple(bullet for _, bullet in lines if bullet is not None)
    prose = " ".join(line.strip() for line, bullet in lines if bullet is None)
    first = next(iter(split_sentences(prose)), "") or (bullets[0].render() if bullets else text)
    return truncate(first, 200), text, bullets


class FollowService:
    def __init__(
        self,
        follows: FollowRepository,
        stories: StoryRepository,
        story_service: StoryService,
        *,
        burst_window: timedelta,
        wake_delivery: Callable[[], None] = lambda: None,
        wake_alerts: Callable[[], None] = lambda: None,
    ) -> None:
        self.follows = follows
        self.stories = stories
        self.story_service = story_service
        self.burst_window = burst_window
        self.wake_delivery = wake_delivery
        self.wake_alerts = wake_alerts

    # --- follower commands ---------------------------------------------------------------------

    async def follow(
        self,
        story_text: str,
        viewer: int | None,
        user_id: int,
        where: str,
        channel_id: int | None,
        ping_role_id: int | None = None,
    ) -> Reply:
        story = await self.story_service.resolve(story_text, viewer)
        now = datetime.now(UTC)
        if where == HERE:
            if channel_id is None or viewer is None:
                raise UserError("`where: here` only works in a server channel.")
            _, created = await self.follows.follow(
                story.id, "channel", channel_id, guild_id=viewer, ping_role_id=ping_role_id, now=now
            )
            ping = f" and ping <@&{ping_role_id}>" if ping_role_id else ""
            what = (
                f"This channel now follows **{story.title}**. When it develops, I'll post what changed in a "
                f"thread under a story card here{ping}."
            )
        else:
            _, created = await self.follows.follow(story.id, "user", user_id, guild_id=None, ping_role_id=None, now=now)
            what = (
                f"You now follow **{story.title}**. When it develops, I'll DM you what changed: the new facts "
                "and a link, once per development."
            )
        if not created:
            what = "Already following. " + what
        window = int(self.burst_window.total_seconds() // 60)
        tail = f" Updates within {plural(window, 'minute')} are merged into one alert." if window else ""
        return Reply(text=f"{what}{tail} `/story mute` pauses, `/story unfollow` stops.", ephemeral=True)

    async def unfollow(
        self, story_text: str, viewer: int | None, user_id: int, where: str, channel_id: int | None
    ) -> Reply:
        story = await self.story_service.resolve(story_text, viewer)
        kind, follower = ("channel", channel_id) if where == HERE else ("user", user_id)
        if follower is None or not await self.follows.unfollow(story.id, kind, follower):
            who = "This channel does" if where == HERE else "You do"
            raise UserError(f"{who} not follow **{story.title}**.")
        return Reply(text=f"Stopped following **{story.title}**.", ephemeral=True)

    async def following(self, user_id: int, guild_id: int | None) -> Reply:
        rows = await self.follows.following(user_id, guild_id)
        if not rows:
            return Reply(text="You follow nothing yet. Try `/story follow`.", ephemeral=True)
        now = datetime.now(UTC)
        lines = []
        for row in rows:
            where = "by DM" if row.follow.follower_kind == "user" else f"in <#{row.follow.follower_id}>"
            muted = (
                f", muted until {row.follow.muted_until:%d %b %H:%M UTC}"
                if row.follow.muted(now) and row.follow.muted_until
                else ""
            )
            lines.append(f"• **{row.title}** (`{row.slug}`) {where}{muted}")
        return Reply(cards=(Card(title="Following", description="\n".join(lines)),), ephemeral=True)

    async def mute(self, story_text: str, viewer: int | None, user_id: int, hours: int) -> Reply:
        if not 1 <= hours <= 168:
            raise UserError("Mute for 1 to 168 hours.")
        story = await self.story_service.resolve(story_text, viewer)
        until = datetime.now(UTC) + timedelta(hours=hours)
        if not await self.follows.mute(story.id, user_id, until):
            raise UserError(f"You don't follow **{story.title}** by DM, so there is nothing to mute.")
        return Reply(
            text=f"Muted **{story.title}** until {until:%d %b %H:%M UTC}. Alerts are held, not lost: they come in "
            "your next digest, or as one catch-up message when the mute ends.",
            ephemeral=True,
        )

    # --- developments --------------------------------------------------------------------------

    async def add_update(
        self, story: StoryRecord, text: str, url: str | None, source: str, now: datetime | None = None
    ) -> Reply:
        text = text.strip()
        if not text:
            raise UserError("Write what happened: the update's text is empty.")
        if len(text) > MAX_UPDATE_CHARS:
            raise UserError(f"Keep an update under {MAX_UPDATE_CHARS} characters.")
        link = public_http_url(url) if url else None
        headline, body, points = development_from_text(text)
        digest = hashlib.sha256(f"{story.id}\n{text}\n{link or ''}".encode()).hexdigest()
        development_id = await self.stories.add_development(
            story.id, headline, body, key_points=points, url=link, source=source, content_hash=digest, now=now
        )
        if development_id is None:
            raise UserError("That exact update was already added to this story.")
        self.wake_alerts()
        return Reply(text=f"Added to **{story.title}**: “{headline}”. Followers will be told.", ephemeral=True)

    async def add_story(self, data: bytes, name: str, guild_id: int) -> Reply:
        try:
            story = parse_article(data, name)
        except ParseError as exc:
            raise UserError(f"Nothing was saved. {exc}") from None
        if story.follows:
            raise UserError("Nothing was saved. This document has `follows:`; use `/story update` for developments.")
        origin = f"discord:{guild_id}:{hashlib.sha256(data).hexdigest()[:16]}"
        [outcome] = await self.stories.import_stories([ImportItem(origin, story, guild_id)])
        if outcome.status is ImportStatus.FAILED:
            raise UserError(f"Nothing was saved: {outcome.message}")
        verb = "already tracked as" if outcome.status is ImportStatus.UNCHANGED else "now tracked as"
        return Reply(text=f"**{story.title}** is {verb} `{outcome.slug}` in this server.", ephemeral=True)

    async def remove_story(self, story_text: str, guild_id: int) -> Reply:
        story = await self.story_service.resolve(story_text, guild_id)
        if story.guild_id != guild_id or not await self.stories.remove(story.id, guild_id):
            raise UserError("Only stories this server added can be removed here.")
        return Reply(text=f"Removed **{story.title}** and its follows.", ephemeral=True)

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
        status = story_status_card(story, news[-1] if news else None, len(developments))
        messages: list[OutgoingMessage] = []
        holds: list[tuple[int, int]] = []
        rendered: dict[int, list[MessagePart]] = {}
        for follow in await self.follows.followers(story.id):
            mine = [d for d in news if d.id > follow.since_development_id]
            if not mine:
                continue
            if follow.muted(now):
                holds += [(follow.id, d.id) for d in mine]
                continue
            first = mine[0].id
            if first not in rendered:
                earlier = [d for d in developments if d.id < first]
                rendered[first] = paginate(compose_alert(story, key_points, earlier, mine))
            key = f"alert:{follow.id}:{pending.newest_id}"
            messages += self._messages(follow, story, rendered[first], key, status)
        if not await self.follows.fan_out(
            story.id, pending.newest_id, messages, holds, now, expected_from=pending.alerted_through_id
        ):
            return 0
        log.info("story %s: %d alerts enqueued, %d held", story.slug, len(messages), len(holds))
        return len(messages)

    @staticmethod
    def _messages(
        follow: Follow, story: StoryRecord, parts: list[MessagePart], key: str, status: Card
    ) -> list[OutgoingMessage]:
        channel = follow.follower_kind == "channel"
        thread = payloads.ThreadSpec(story.id, truncate(story.title, 100), status) if channel else None
        return [
            OutgoingMessage(
                f"{key}:{index}",
                "alert",
                "channel" if channel else "user",
                follow.follower_id,
                payloads.dump(part, follow.ping_role_id if channel and index == 0 else None, thread),
                f"follow:{follow.id}",
            )
            for index, part in enumerate(parts)
        ]

    async def release_mutes(self, now: datetime | None = None) -> int:
        """One catch-up message per follow whose mute ended with alerts held."""
        now = now or datetime.now(UTC)
        released = 0
        for follow in await self.follows.unmuted_with_holds(now):
            holds = [
                h for h in await self.follows.held_for(follow.follower_kind, follow.follower_id) if h[0] == follow.id
            ]
            story = await self.stories.get_by_id(follow.story_id)
            if story is None or not holds:
                continue
            reply = await self.held_reply(story, [h[1] for h in holds])
            developments = await self.stories.developments(story.id)
            status = story_status_card(story, developments[-1] if developments else None, len(developments))
            key = f"catchup:{follow.id}:{max(h[1] for h in holds)}"
            if await self.follows.release(holds, self._messages(follow, story, paginate(reply), key, status), now):
                released += 1
        if released:
            self.wake_delivery()
        return released

    async def held_reply(self, story: StoryRecord, development_ids: list[int]) -> Reply:
        developments = await self.stories.developments(story.id)
        wanted = set(development_ids)
        news = [d for d in developments if d.id in wanted]
        earlier = [d for d in developments if d.id < min(wanted)]
        return compose_alert(story, await self.stories.key_points(story.id), earlier, news, held=True)

    async def held_cards(self, user_id: int) -> tuple[list[Card], list[tuple[int, int]]]:
        """For a user's digest: the alerts held for them, and the holds that the digest releases."""
        holds = await self.follows.held_for("user", user_id)
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
                cards += (await self.held_reply(story, ids)).cards
        return cards, holds
