"""Who is asking: a Slack user's role and time zone from `users.info`, cached for at most a minute.

Admin commands are checked on every call, so a user demoted in Slack loses them within `TTL` seconds; the cache
only spares Slack a `users.info` per command for someone typing several in a row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserError
from bot.slack.failures import api_error

__all__ = ["ADMIN_RULE", "TTL", "SlackUsers", "UserInfo"]

log = logging.getLogger(__name__)

TTL = 60.0  # seconds a users.info answer is trusted
MAX_CACHED = 10_000
ADMIN_RULE = "a workspace admin or owner, or a user the bot's operator lists in SLACK_ADMIN_USERS"


@dataclass(frozen=True, slots=True)
class UserInfo:
    user_id: str
    is_admin: bool  # a workspace admin or owner (primary owner included)
    tz: str | None  # the profile's IANA zone, e.g. "Asia/Seoul"


class SlackUsers:
    def __init__(
        self,
        client: AsyncWebClient,
        listed_admins: frozenset[str] = frozenset(),
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.listed_admins = listed_admins
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, UserInfo]] = {}

    async def info(self, user_id: str) -> UserInfo:
        """The user's role and zone; UserError when Slack cannot be asked right now."""
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            answer = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user_id, api_error(exc) or exc.response.status_code)
            raise UserError("I could not ask Slack who you are just now; try again in a moment.") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("users.info for %s failed: %s", user_id, type(exc).__name__)
            raise UserError("I could not reach Slack to check who you are; try again in a moment.") from None
        user = answer.get("user") or {}
        found = UserInfo(
            user_id=user_id,
            is_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
            tz=str(user["tz"]) if user.get("tz") else None,
        )
        if len(self._cache) >= MAX_CACHED:
            self._cache = {key: value for key, value in self._cache.items() if value[0] > now}
        self._cache[user_id] = (now + self.ttl, found)
        return found

    async def is_admin(self, user_id: str) -> bool:
        """Listed in SLACK_ADMIN_USERS (no call), else a workspace admin or owner by users.info."""
        return user_id in self.listed_admins or (await self.info(user_id)).is_admin
