"""Slack's side of `briefbot run`: check the tokens, build the bolt app, open Socket Mode, deliver the outbox.

One `SlackClient.serve` per run, on the shared runtime. The tokens are checked first (`auth.test`, and the
app-level token's `apps.connections.open`), so a wrong one stops the process at once with a clear message.
The app's Web API client has no retry handlers (a retried `chat.postMessage` could post twice): the outbox
worker decides about retries, and the poster looks for a post before it repeats one.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import OutboxWorker
from bot.errors import UserError
from bot.platforms import Platform
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack import handlers
from bot.slack.poster import SlackPoster, web_client, web_session
from bot.slack.socket import SlackIdentity, SlackSocket, check_tokens
from bot.slack.transport import SlackTransport

__all__ = ["SlackClient"]

log = logging.getLogger(__name__)

# Slack's limits are per channel (about one post a second, paced by the poster) and per method; this cap on
# all of the bot's Slack requests only keeps a burst to many channels at once (a digest hour, a story with many
# channel followers) within reason. It sits well above a hundred channels' worth, so that the requests of busy
# channels never queue here behind one another: a post that leaves late shortens the gap to the next one.
OUTBOX_RATE = 200.0
# Targets delivered to at once: a channel waits a second between posts, so each busy channel needs its own turn.
OUTBOX_CONCURRENCY = 128
MANIFEST_NOTE = "Slack: commands are declared by the app manifest (deploy/slack-manifest.yml); nothing to sync."

def add_transport(runtime: Runtime, client: AsyncWebClient) -> OutboxWorker:
    """Slack's outbox transport on the runtime, as `briefbot run` has it (the delivery bench builds it here too)."""
    services = runtime.services
    transport = SlackTransport(SlackPoster(client), services.dms, services.follow_service.follows)
    return runtime.add_transport(Platform.SLACK, transport, rate_per_second=OUTBOX_RATE, concurrency=OUTBOX_CONCURRENCY)


class SlackClient:
    """A PlatformClient: a bolt AsyncApp over Socket Mode, and the outbox's Slack transport."""

    platform = Platform.SLACK

    def __init__(self, settings: Settings) -> None:
        assert settings.slack_bot_token and settings.slack_app_token
        self.settings = settings
        self.identity: SlackIdentity | None = None

    @property
    def connected(self) -> bool:
        return self.identity is not None

    async def serve(self, runtime: Runtime) -> None:
        """Until cancelled. A rejected token or an unreachable Slack is a UserError, raised before anything starts."""
        settings = self.settings
        assert settings.slack_bot_token and settings.slack_app_token
        self.identity = identity = await check_tokens(
            settings.slack_bot_token, settings.slack_app_token, settings.slack_api_base
        )
        if identity.missing_scopes:
            log.warning(
                "the Slack app lacks the scopes %s: reinstall it from deploy/slack-manifest.yml",
                ", ".join(identity.missing_scopes),
            )
        async with web_session() as session:  # one connection pool for every Web API call of this run
            await self._serve(runtime, identity, web_client(settings.slack_bot_token, settings.slack_api_base,
                                                            session=session))

    async def _serve(self, runtime: Runtime, identity: SlackIdentity, client: AsyncWebClient) -> None:
        settings = self.settings
        assert settings.slack_app_token
        app = AsyncApp(client=client, name="briefbot")
        handlers.register(app, runtime.services, settings)
        add_transport(runtime, client)
        socket = SlackSocket(app, settings.slack_app_token)
        try:
            try:
                await socket.start()
            except (SlackApiError, aiohttp.ClientError, OSError) as exc:
                raise UserError(
                    f"Cannot open Slack's Socket Mode connection ({type(exc).__name__}); check the network."
                ) from None
            log.info("connected to Slack workspace %s (%s) as %s", identity.team, identity.team_id,
                     identity.bot_user_id)
            runtime.start()
            await asyncio.Event().wait()  # until cancelled; the socket reconnects by itself meanwhile
        finally:
            await runtime.remove_transport(Platform.SLACK)  # its sends in flight finish
            await socket.close()

    async def sync_commands(self, runtime: Runtime) -> str:
        """Slack's slash commands live in the app manifest, not in an API call."""
        return MANIFEST_NOTE
