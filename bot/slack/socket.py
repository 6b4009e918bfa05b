"""Socket Mode that stays connected: slack-bolt's AsyncSocketModeHandler, a watchdog, and a token check at start.

slack_sdk's Socket Mode client reconnects by itself after a `disconnect` message and after the server closes
the socket. What it can miss is a connection that stays open but goes quiet: after idle reconnects its
session monitor can stop, and then nothing notices that no event arrives any more (slackapi/python-slack-sdk
#1110, #1446, #1701; the maintainers' advice is a background check of `is_connected()`). `SocketWatchdog` is
that check, independent of the client's own monitor: every `every` seconds it pings the socket itself and
reopens the connection (`connect_to_new_endpoint(force=True)`) when nothing, not even a pong, came back for
`stale_after` seconds, or when the client says it is not connected. One INFO line per reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserError
from bot.slack.failures import api_error
from bot.slack.manifest import Scope, missing_scopes

__all__ = ["SlackIdentity", "SlackSocket", "SocketWatchdog", "check_tokens"]

log = logging.getLogger(__name__)

PING_INTERVAL = 10.0  # slack-bolt's default: the client's own ping, and aiohttp's heartbeat
WATCH_EVERY = 10.0
STALE_AFTER = 60.0


class SocketWatchdog:
    """Reopens a Socket Mode connection that is closed or silent, whatever the client's own monitor thinks."""

    def __init__(
        self,
        client: SocketModeClient,
        *,
        every: float = WATCH_EVERY,
        stale_after: float = STALE_AFTER,
        clock: Callable[[], float] = time.time,  # the client's last_ping_pong_time is wall-clock time
    ) -> None:
        self.client = client
        self.every = every
        self.stale_after = stale_after
        self.clock = clock
        self.checks = 0
        self.reconnects = 0
        self._session: object = None
        self._heard = clock()
        self._unhealthy_checks = 0
        client.on_message_listeners.append(self._on_message)

    async def _on_message(self, _message: aiohttp.WSMessage) -> None:
        self._heard = self.clock()

    def quiet_for(self) -> float:
        """Seconds since anything came in on this connection: a message, or the answer to a ping."""
        return self.clock() - max(self._heard, self.client.last_ping_pong_time or 0.0)

    async def check(self) -> bool:
        """One look at the connection; True when it opened a new one."""
        self.checks += 1
        client = self.client
        if client.closed or client.connect_operation_lock.locked():  # closing, or the client is reconnecting
            return False
        if client.current_session is not self._session:  # a new connection, by the client or by us
            if self._session is not None:
                log.info("Slack Socket Mode: connected again (the client reconnected by itself)")
            self._session, self._heard, self._unhealthy_checks = client.current_session, self.clock(), 0
        connected = await client.is_connected()
        quiet = self.quiet_for()
        if connected and quiet <= self.stale_after:
            self._unhealthy_checks = 0
            await self._probe()
            return False
        self._unhealthy_checks += 1
        if self._unhealthy_checks < 2:  # twice in a row: the client may be reconnecting by itself right now
            return False
        why = f"nothing received for {quiet:.0f} s" if connected else "the connection is closed"
        log.info("Slack Socket Mode: %s; opening a new connection", why)
        self.reconnects += 1
        await client.connect_to_new_endpoint(force=True)
        self._session, self._heard, self._unhealthy_checks = client.current_session, self.clock(), 0
        return True

    async def _probe(self) -> None:
        """A ping with the payload the client's own pings carry, so its receive loop records the pong."""
        session = self.client.current_session
        if session is None or session.closed:
            return
        try:
            await session.ping(f"sdk-ping-pong:{self.clock()}".encode())
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:  # the next check reconnects
            log.debug("Slack Socket Mode: ping failed: %s", exc)

    async def run(self) -> None:
        self._session, self._heard = self.client.current_session, self.clock()
        while not self.client.closed:
            await asyncio.sleep(self.every)
            try:
                await self.check()
            except Exception:  # keep watching: a failed reconnect is tried again at the next check
                log.exception("Slack Socket Mode: the watchdog's check failed")


class SlackSocket:
    """The app's Socket Mode connection and its watchdog; `async with` opens and closes both."""

    def __init__(
        self,
        app: AsyncApp,
        app_token: str,
        *,
        ping_interval: float = PING_INTERVAL,
        watch_every: float = WATCH_EVERY,
        stale_after: float = STALE_AFTER,
    ) -> None:
        self.handler = AsyncSocketModeHandler(app, app_token, web_client=app.client, ping_interval=ping_interval)
        self.watchdog = SocketWatchdog(self.handler.client, every=watch_every, stale_after=stale_after)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.handler.connect_async()
        self._task = asyncio.get_running_loop().create_task(self.watchdog.run(), name="slack-socket-watchdog")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.handler.close_async()

    async def __aenter__(self) -> SlackSocket:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


@dataclass(frozen=True, slots=True)
class SlackIdentity:
    team_id: str
    team: str
    bot_user_id: str
    missing_scopes: tuple[Scope, ...]  # empty when Slack did not list the granted scopes


async def check_tokens(bot_token: str, app_token: str, api_base: str) -> SlackIdentity:
    """Asks Slack whether both tokens are good before anything starts; raises UserError saying which is not."""
    client = AsyncWebClient(token=bot_token, base_url=api_base, timeout=15, retry_handlers=[])
    try:
        answer = await client.auth_test()
        await client.apps_connections_open(app_token=app_token)  # the one call that takes the app-level token
    except SlackApiError as exc:
        which = "SLACK_APP_TOKEN" if exc.response.api_url.endswith("apps.connections.open") else "SLACK_BOT_TOKEN"
        fix = (
            "generate an App-Level Token with connections:write under Basic Information"
            if which == "SLACK_APP_TOKEN"
            else "copy the Bot User OAuth Token from the app's Install App page"
        )
        why = api_error(exc) or f"HTTP {exc.response.status_code}"
        raise UserError(f"Slack rejected {which} ({why}): {fix}.") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise UserError(f"Could not reach Slack at {api_base} ({type(exc).__name__}); check SLACK_API_BASE.") from None
    granted = answer.headers.get("x-oauth-scopes") or answer.headers.get("X-OAuth-Scopes")
    return SlackIdentity(
        team_id=str(answer["team_id"]),
        team=str(answer.get("team") or ""),
        bot_user_id=str(answer["user_id"]),
        missing_scopes=missing_scopes(granted) if granted is not None else (),
    )
