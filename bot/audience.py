"""Which time zone an audience reads dates in: the one it chose for its digest, else the operator's default."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.digests import AudienceKind, DigestRepository
from storage.follows import Follow, FollowerKind

log = logging.getLogger(__name__)


class AudienceZones:
    """In a server: the server's digest zone. In DMs: the user's `/brief` zone. Else `default` (DEFAULT_TIMEZONE).

    Without a repository (a tool with no schedules to read), every audience gets `default`."""

    def __init__(self, digests: DigestRepository | None, default: tzinfo) -> None:
        self.digests = digests
        self.default = default

    def _zone(self, name: str | None) -> tzinfo:
        if name is None:
            return self.default
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):  # a zone dropped from tzdata since it was chosen
            log.warning("stored time zone %r is unknown; showing dates in %s", name, self.default)
            return self.default

    async def zone_for(self, scope_id: str | None, user_id: str | None = None) -> tzinfo:
        """For a reply in a server (`scope_id`) or in a DM with `user_id` (scope_id None)."""
        if self.digests is None:
            return self.default
        kind, audience = (AudienceKind.GUILD, scope_id) if scope_id is not None else (AudienceKind.USER, user_id)
        if audience is None:
            return self.default
        return self._zone((await self.digests.timezones(kind, [audience])).get(audience))

    async def follower_zones(self, follows: Sequence[Follow]) -> dict[int, tzinfo]:
        """Each follow's zone, by follow id: a DM follower's `/brief` zone, a channel's server's digest zone."""
        if self.digests is None:
            return {follow.id: self.default for follow in follows}
        users = await self.digests.timezones(
            AudienceKind.USER, [f.follower_id for f in follows if f.follower_kind is FollowerKind.USER]
        )
        scopes = await self.digests.timezones(
            AudienceKind.GUILD, [f.scope_id for f in follows if f.follower_kind is FollowerKind.CHANNEL and f.scope_id]
        )
        zones: dict[int, tzinfo] = {}
        for follow in follows:
            if follow.follower_kind is FollowerKind.USER:
                zones[follow.id] = self._zone(users.get(follow.follower_id))
            else:
                zones[follow.id] = self._zone(scopes.get(follow.scope_id) if follow.scope_id else None)
        return zones
