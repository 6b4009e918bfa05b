"""What each Slack command calls in the core: the same calls as the Discord cogs, with Slack's ids.

Ids are platform-qualified (`bot.ids.qualify`): the workspace is the scope (Discord's server), users and channels
are qualified too. `Invocation` is who typed the command, where; each call takes it and the parsed options and
returns the core's `Reply`. Permission checks happen before (see bot.slack.handlers).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import tzinfo

from slack_sdk.web.async_client import AsyncWebClient

from bot import markup
from bot.cards import Reply
from bot.errors import UserError
from bot.feeds.replies import added_reply, list_reply, removed_reply, why_reply
from bot.feeds.service import DEFAULT_EVERY, split_words
from bot.follow_service import FollowTarget
from bot.ids import qualify
from bot.runtime import Services
from bot.slack.channels import ensure_can_post
from bot.slack.replies import PagedReply
from bot.slack.users import SlackUsers
from storage.digests import AudienceKind

__all__ = ["DEFAULT_BRIEF_TIME", "Call", "Invocation", "SlackCalls"]

SLACK = "slack"
DEFAULT_BRIEF_TIME = "07:00"
PASTED = "pasted text"
# One word that starts like a link ("https://…", "ftp://…", even "https://"): it goes the link's way, where a
# bad or unsupported one is refused with the reason, instead of becoming a story titled "https".
_LINK = re.compile(r"[a-z][a-z0-9+.-]*://\S*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command or button click: Slack's raw ids, and the qualified ids the core keeps."""

    team_id: str
    user_id: str
    channel_id: str
    request_id: str  # unique per invocation (the trigger id): `/digest now` sends once per request

    @property
    def scope(self) -> str:
        return qualify(SLACK, self.team_id)

    @property
    def user(self) -> str:
        return qualify(SLACK, self.user_id)

    @property
    def channel(self) -> str:
        return qualify(SLACK, self.channel_id)


Options = Mapping[str, str]
Call = Callable[[Invocation, Options], Awaitable[Reply]]


def _number(options: Options, name: str, default: int, what: str) -> int:
    value = options.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise UserError(f"{name} must be {what}, not `{value[:40]}`.")
    return int(value)


class SlackCalls:
    """The core calls behind every command; `table` maps (group, subcommand) to them."""

    def __init__(self, services: Services, client: AsyncWebClient, users: SlackUsers) -> None:
        self.services = services
        self.client = client
        self.users = users

    def table(self) -> dict[tuple[str, str], Call]:
        return {
            ("story", "list"): self.story_list,
            ("story", "show"): self.story_show,
            ("story", "keypoints"): self.story_keypoints,
            ("story", "ask"): self.story_ask,
            ("story", "timeline"): self.story_timeline,
            ("story", "search"): self.story_search,
            ("story", "follow"): self.story_follow,
            ("story", "unfollow"): self.story_unfollow,
            ("story", "following"): self.story_following,
            ("story", "mute"): self.story_mute,
            ("story", "add"): self.story_add,
            ("story", "update"): self.story_update,
            ("story", "remove"): self.story_remove,
            ("digest", "setup"): self.digest_setup,
            ("digest", "show"): self.digest_show,
            ("digest", "preview"): self.digest_preview,
            ("digest", "now"): self.digest_now,
            ("digest", "off"): self.digest_off,
            ("brief", "me"): self.brief_me,
            ("brief", "show"): self.brief_show,
            ("brief", "off"): self.brief_off,
            ("feed", "add"): self.feed_add,
            ("feed", "list"): self.feed_list,
            ("feed", "remove"): self.feed_remove,
            ("feed", "why"): self.feed_why,
        }

    # --- /story: reading ---------------------------------------------------------------------------

    async def story_list(self, who: Invocation, options: Options) -> Reply:
        return await self.story_page(who, _number(options, "page", 1, "a page number"))

    async def story_page(self, who: Invocation, page: int, *, clamp: bool = False) -> PagedReply:
        """One page of the list, with the page count its buttons need. `clamp`: a page button's page, which
        stories added or removed since may have moved past the end, shows the nearest page instead of an error."""
        reply, pages = await self.services.story_service.list_page(who.scope, page, user_id=who.user, clamp=clamp)
        return PagedReply(text=reply.text, cards=reply.cards, ephemeral=reply.ephemeral,
                          page=min(max(1, page), pages), pages=pages)

    async def story_show(self, who: Invocation, options: Options) -> Reply:
        return await self.services.story_service.show(options["story"], who.scope, user_id=who.user)

    async def story_keypoints(self, who: Invocation, options: Options) -> Reply:
        return await self.services.story_service.keypoints(options["story"], who.scope)

    async def story_ask(self, who: Invocation, options: Options) -> Reply:
        return await self.services.story_service.ask(options["story"], options["question"], who.scope)

    async def story_timeline(self, who: Invocation, options: Options) -> Reply:
        return await self.services.story_service.timeline(options["story"], who.scope, user_id=who.user)

    async def story_search(self, who: Invocation, options: Options) -> Reply:
        return await self.services.story_service.search(options["words"], who.scope)

    # --- /story: following -------------------------------------------------------------------------

    async def story_follow(self, who: Invocation, options: Options) -> Reply:
        target = FollowTarget(options.get("where", FollowTarget.DM).lower())
        if target is FollowTarget.HERE:
            await self.services.story_service.resolve(options["story"], who.scope)  # an unknown story joins nothing
            await ensure_can_post(self.client, who.channel_id)
        return await self.services.follow_service.follow(options["story"], who.scope, who.user, target, who.channel)

    async def story_unfollow(self, who: Invocation, options: Options) -> Reply:
        target = FollowTarget(options.get("where", FollowTarget.DM).lower())
        return await self.services.follow_service.unfollow(options["story"], who.scope, who.user, target, who.channel)

    async def story_following(self, who: Invocation, options: Options) -> Reply:
        return await self.services.follow_service.following(who.user, who.scope)

    async def story_mute(self, who: Invocation, options: Options) -> Reply:
        hours = _number(options, "hours", 0, "a whole number of hours")
        return await self.services.follow_service.mute(options["story"], who.scope, who.user, hours)

    # --- /story: the workspace's own stories (admins) ------------------------------------------------

    async def story_add(self, who: Invocation, options: Options) -> Reply:
        text = options["text"].strip()
        if _LINK.fullmatch(text):  # a link goes the way of Discord's `link:` option
            return await self.services.story_admin.add_link(text, who.scope)
        return await self.services.story_admin.add(text.encode("utf-8"), PASTED, who.scope)

    async def story_update(self, who: Invocation, options: Options) -> Reply:
        return await self.services.story_admin.update(options["story"], options["text"], None, scope_id=who.scope)

    async def story_remove(self, who: Invocation, options: Options) -> Reply:
        return await self.services.story_admin.remove(options["story"], who.scope)

    # --- /digest and /brief ----------------------------------------------------------------------------

    async def digest_setup(self, who: Invocation, options: Options) -> Reply:
        channel_id = options["channel"]
        await ensure_can_post(self.client, channel_id, options.get("channel_name"))
        return await self.services.digest_service.set_up(
            AudienceKind.GUILD,
            who.scope,
            scope_id=who.scope,
            channel_id=qualify(SLACK, channel_id),
            time_text=options["time"],
            timezone_text=options["timezone"],
            days_text=options.get("days", "daily"),
        )

    async def digest_show(self, who: Invocation, options: Options) -> Reply:
        return await self.services.digest_service.show(AudienceKind.GUILD, who.scope)

    async def digest_preview(self, who: Invocation, options: Options) -> Reply:
        return await self.services.digest_service.preview(AudienceKind.GUILD, who.scope)

    async def digest_now(self, who: Invocation, options: Options) -> Reply:
        return await self.services.digest_service.send_now(AudienceKind.GUILD, who.scope, who.request_id)

    async def digest_off(self, who: Invocation, options: Options) -> Reply:
        return await self.services.digest_service.turn_off(AudienceKind.GUILD, who.scope)

    async def brief_me(self, who: Invocation, options: Options) -> Reply:
        notes = []
        time_text = options.get("time")
        if time_text is None:
            time_text = DEFAULT_BRIEF_TIME
            notes.append(f"No time given, so {DEFAULT_BRIEF_TIME}.")
        zone = options.get("timezone")
        if zone is None:
            zone = (await self.users.info(who.user_id)).tz
            if zone:
                notes.append(f"Time zone {zone}, from your Slack profile.")
            else:
                zone = self.services.settings.default_timezone.key
                notes.append(f"Your Slack profile has no time zone, so {zone}.")
        reply = await self.services.digest_service.set_up(
            AudienceKind.USER,
            who.user,
            scope_id=who.scope,
            channel_id=None,
            time_text=time_text,
            timezone_text=zone,
            days_text=options.get("days", "daily"),
        )
        return replace(reply, text=markup.join(" ", [*notes, reply.text]) if notes else reply.text)

    async def brief_show(self, who: Invocation, options: Options) -> Reply:
        return await self.services.digest_service.show(AudienceKind.USER, who.user)

    async def brief_off(self, who: Invocation, options: Options) -> Reply:
        return await self.services.digest_service.turn_off(AudienceKind.USER, who.user)

    # --- /feed ---------------------------------------------------------------------------------------

    async def _zone(self, who: Invocation) -> tzinfo:
        return await self.services.story_service.zones.zone_for(who.scope, who.user)

    async def feed_add(self, who: Invocation, options: Options) -> Reply:
        every = _number(options, "every", DEFAULT_EVERY, "a whole number of minutes")
        words_in, words_out = split_words(options.get("include")), split_words(options.get("exclude"))
        added = await self.services.feed_service.add(
            options["link"], who.scope, who.channel, options.get("story"), every, words_in, words_out
        )
        return added_reply(added, await self._zone(who))

    async def feed_list(self, who: Invocation, options: Options) -> Reply:
        return list_reply(await self.services.feed_service.list(who.scope), await self._zone(who))

    async def feed_remove(self, who: Invocation, options: Options) -> Reply:
        return removed_reply(await self.services.feed_service.remove(options["feed"], who.scope))

    async def feed_why(self, who: Invocation, options: Options) -> Reply:
        result = await self.services.feed_service.why(options["item"], who.scope)
        return why_reply(result, await self._zone(who))
