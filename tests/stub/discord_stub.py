"""A loopback Discord (API v10 + gateway v10) for end-to-end tests of briefbot.

The stub is an aiohttp server on ``127.0.0.1`` (random free port) that runs **in the test's event loop**.
The bot under test -- a ``briefbot run`` subprocess, or an in-process discord.py client after
``bot.discord.endpoints.apply_endpoint_overrides(stub.api_base, stub.gateway_url)`` -- talks to it
exactly as it would talk to discord.com.  Everything the bot does is recorded; tests drive users'
actions (slash commands, autocomplete, DMs) and inject faults.

Quick start::

    async with DiscordStub() as stub:
        stub.add_guild(GUILD, name="news", channels=[text_channel(CHAN, "general")])
        proc = await start_bot(env=stub.env())            # DISCORD_API_BASE / _GATEWAY_URL / _TOKEN
        await stub.wait_for_identify(timeout=30)
        await stub.wait_for_command_sync(timeout=30)
        result = await stub.invoke_slash("story", subcommand="keypoints", options={"story": "zuck"},
                                         channel_id=CHAN, user_id=USER)
        assert "zuck" in result.text and not result.ephemeral
        choices = await stub.autocomplete("story", subcommand="keypoints", focused="story",
                                          options={"story": "zu"}, channel_id=CHAN)
        assert stub.unknown_routes == [] and stub.internal_errors == []

API reference (all ids are ``int``; every ``wait_*`` raises ``TimeoutError`` with a description)
-------------------------------------------------------------------------------------------

Lifecycle / addresses
    ``DiscordStub(token=None, application_id=None, bot_name="briefbot", heartbeat_interval_ms=41250,
    ack_deadline=3.0, enabled_privileged_intents=Intent.PRIVILEGED)`` -- ``async with`` or
    ``await start()`` / ``await close()``.  ``api_base`` (``http://127.0.0.1:P/api/v10``), ``gateway_url``,
    ``resume_gateway_url`` (a different path, so tests can see the client honoured READY's URL),
    ``base_url``, ``token``, ``application_id``, ``bot_user_id`` (== application id, like real apps),
    ``env()`` -> the three ``DISCORD_*`` variables.  ``ack_deadline``: an interaction callback later than
    this many seconds after dispatch gets Discord's ``404 10062 Unknown interaction`` (None disables).
    ``enabled_privileged_intents``: privileged intents outside this mask close the socket with 4014.

World building (usable before or after the bot connects; afterwards GUILD_CREATE/CHANNEL_* are dispatched)
    ``add_guild(guild_id, name=, channels=[spec], roles=[spec], members=[id | {"id", "roles", "nick",
    "username"}], owner_id=None, bot_roles=(), everyone_permissions=Perm.DEFAULT_EVERYONE)`` -> ``Guild``.
    Channel spec: ``text_channel(id, name, overwrites=[...])`` or a dict with ``id, name, type,
    permission_overwrites``; overwrite spec: ``overwrite(target_id, member=False, allow=0, deny=0)``.
    Role spec: ``{"id", "name", "permissions"}``; the ``@everyone`` role (id == guild id) is implicit.
    ``add_channel(guild_id, spec)``, ``set_overwrites(channel_id, [overwrite...])``,
    ``set_bot_overwrite(channel_id, allow=0, deny=0)`` (e.g. ``deny=Perm.SEND_MESSAGES``),
    ``add_user(user_id, username=None)``, ``add_member(guild_id, user_id, roles=())``,
    ``add_attachment(filename, data, content_type=None) -> resolved attachment dict`` (served over HTTP),
    ``close_dms(user_id)`` / ``open_dms(user_id)``, ``dm_channel(user_id) -> Channel``.
    Permissions are enforced by REST with Discord's algorithm: no VIEW_CHANNEL -> 403 50001, missing
    SEND_MESSAGES / SEND_MESSAGES_IN_THREADS / ATTACH_FILES / CREATE_PUBLIC_THREADS -> 403 50013.

User actions
    ``await invoke_slash(command, *, subcommand=None, group=None, options=None, channel_id=None,
    guild_id=None, user_id=None, member_permissions=None, member_roles=None, locale="en-US",
    wait="final", timeout=10, settle=0.1, enforce_visibility=True) -> InteractionResult``.
    No ``channel_id`` and no ``guild_id`` means "in the bot's DM with the user" (no ``member``, a
    ``user``).  The command must have been synced (its stored id is used); option values are converted
    from the synced option types (users/channels/roles/attachments are added to ``data.resolved``;
    pass ids, objects with ``.id`` or the dict from ``add_attachment``).  ``wait``: ``"final"`` waits for
    the callback and, after a defer, for the edit/first follow-up; ``"callback"`` only for the callback;
    ``"none"`` returns right after dispatch.  ``settle`` seconds are then allowed for more follow-ups.
    ``await autocomplete(command, *, focused, options, ...same...) -> list[{"name", "value"}]``.
    ``await dispatch(event, data)`` sends any raw gateway event.

InteractionResult (live view; fields keep updating)
    ``content``, ``embeds``, ``ephemeral``, ``allowed_mentions``, ``flags``, ``text`` (content + embed text)
    of ``message`` (= the original response, else the first follow-up); ``original``, ``followups``,
    ``all_messages`` (``StoredMessage``); ``callback_type`` (4 reply, 5 defer, 8 autocomplete...),
    ``deferred``, ``callbacks`` (raw bodies), ``choices``, ``payload`` (the INTERACTION_CREATE sent),
    ``await wait_for_followups(n, timeout)``.  After a defer, Discord turns the *first* follow-up into
    the original response (same id, keeps the defer's ephemeral flag); the stub does the same, so it
    shows up as ``original``, not in ``followups``.

Recorded state
    ``messages`` (every ``StoredMessage``), ``messages_in(channel_id, include_ephemeral=False,
    include_deleted=False)``, ``dm_messages_to(user_id)``, ``get_message(channel_id, message_id)``,
    ``threads_of(channel_id)``, ``thread_for(message_id)``.  ``StoredMessage``: ``id, channel_id,
    content, embeds, components, allowed_mentions, nonce, enforce_nonce, flags, ephemeral,
    message_reference, attachments (.data bytes), source ("channel"/"interaction"/"followup"), edits (raw
    PATCH bodies), edited, deleted, thread_id, mentions / mention_roles / mention_everyone (what would
    really ping, after allowed_mentions), text, raw``.
    ``requests`` (``RecordedRequest``: method, path, route template, query, json, files, headers with
    Authorization redacted, auth "ok"/"missing"/"invalid"/"n/a", status, note),
    ``requests_to(method=None, route=None)``, ``unknown_routes`` (must stay ``[]``), ``internal_errors``
    (stub bugs; must stay ``[]``), ``commands[scope]`` (scope None = global, else guild id),
    ``command_syncs[scope]`` (number of bulk PUTs), ``identify_payloads`` (token redacted),
    ``last_intents``, ``privileged_intents_requested``, ``resume_payloads``, ``resumed_count``,
    ``heartbeats``, ``dispatched`` (``DispatchRecord``), ``gateway_connections``.

Waiting
    ``await wait_for(predicate, timeout=10, what=None)`` -- re-evaluates the zero-argument predicate on
    every recorded change (and every 0.25 s), returns its truthy value.  Shortcuts:
    ``wait_for_identify()``, ``wait_for_ready()`` (READY and all GUILD_CREATEs sent),
    ``wait_for_command_sync(scope=ANY, count=1)``, ``wait_for_resume(count=1)``,
    ``wait_for_message(channel_id, predicate=None)``, ``wait_for_dm(user_id, predicate=None)``,
    ``wait_for_request(method, route)``.

Faults and modes (settable at runtime; they apply to ``POST /channels/{id}/messages``)
    ``fail_message_posts(ratio=0.2, status=500, seed=None, limit=None, after_commit=False)`` -- with
    ``after_commit=True`` the message *is stored* and then a 5xx is returned (the case enforce_nonce
    exists for).  Note discord.py sleeps ``1 + 2*try`` seconds before retrying a 5xx.
    ``rate_limit_some_posts(ratio=0.2, retry_after=0.05, seed=None, limit=None, is_global=False)``
    (429 with ``Via``, ``Retry-After`` and JSON ``retry_after``; counted in ``injected_429s``).
    ``enable_rate_limits(global_per_second=50, per_channel=5, per_channel_window=5.0)`` -- real limits:
    a global cap over all bot-token requests and a per-(route, channel) bucket on message routes,
    answering 429 when exceeded (counted in ``provoked_429s``); ``disable_rate_limits()``;
    ``total_429s``; ``clear_faults()``.  ``X-RateLimit-*`` headers are always sent on message routes
    (50 per 1 s when rate-limit mode is off, so a normal client never blocks).
    ``enforce_nonce``: a create with ``nonce`` + ``enforce_nonce: true`` matching a message created in
    the same channel within ``nonce_window`` (300 s) returns that message (``nonce_dedup_hits``).
    Message bodies are validated like Discord does (2000 chars, 10 embeds, embed limits/6000 total, no
    empty messages -> 400 50035/50006); command bulk-PUTs get light validation too.
    ``fail_login(status)`` makes the login (``GET /users/@me``) answer ``status`` (503, 404...);
    ``hang_login()`` makes it accept the request and never answer.
    ``await disconnect_gateway(code=4000, resumable=True)`` drops the socket; the client resumes on
    ``resume_gateway_url`` (RESUMED, nothing replayed).  ``resumable=False`` makes RESUME answer
    INVALID_SESSION so the client re-identifies.  ``await send_reconnect()`` sends op 7.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import random
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from aiohttp import web

from .gateway import DispatchRecord, Gateway, GatewayConnection
from .rest import FaultRule, RecordedRequest, RestApi, json_response
from .state import (
    Channel,
    ChannelType,
    Guild,
    Intent,
    Member,
    Overwrite,
    Perm,
    Role,
    SnowflakeFactory,
    StoredAttachment,
    StoredMessage,
    User,
    overwrite,
    text_channel,
)

__all__ = [
    "ANY",
    "ChannelType",
    "CommandNotAvailable",
    "DiscordStub",
    "DispatchRecord",
    "InteractionResult",
    "Intent",
    "Perm",
    "RecordedRequest",
    "StoredMessage",
    "overwrite",
    "text_channel",
]

_log = logging.getLogger(__name__)

T = TypeVar("T")


class _Any:
    def __repr__(self) -> str:
        return "ANY"


#: "any scope" marker for :meth:`DiscordStub.wait_for_command_sync`
ANY: Any = _Any()

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class CommandNotAvailable(LookupError):
    """The user could not have invoked this command (not synced, wrong context, lacking permissions)."""


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    command: str
    payload: dict[str, Any]
    dispatched_at: float = 0.0
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original: StoredMessage | None = None
    followups: list[StoredMessage] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    completed_by_followup: bool = False
    expired: bool = False

    @property
    def all_messages(self) -> list[StoredMessage]:
        return ([self.original] if self.original is not None else []) + list(self.followups)

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def answered(self) -> bool:
        if not self.callbacks:
            return False
        if int(self.callbacks[0].get("type", 0)) == 5:
            return self.original is not None and not self.original.loading
        return True


class InteractionResult:
    """What the bot answered to one interaction (a live view of the stub's record)."""

    def __init__(self, stub: DiscordStub, record: InteractionRecord) -> None:
        self._stub = stub
        self.record = record

    def __repr__(self) -> str:
        return (
            f"<InteractionResult /{self.record.command} callback={self.callback_type} "
            f"content={self.content!r} ephemeral={self.ephemeral} followups={len(self.followups)}>"
        )

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def payload(self) -> dict[str, Any]:
        return self.record.payload

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        return self.record.callbacks

    @property
    def callback_type(self) -> int | None:
        return int(self.record.callbacks[0].get("type", 0)) if self.record.callbacks else None

    @property
    def deferred(self) -> bool:
        return self.callback_type == 5

    @property
    def original(self) -> StoredMessage | None:
        return self.record.original

    @property
    def followups(self) -> list[StoredMessage]:
        return list(self.record.followups)

    @property
    def all_messages(self) -> list[StoredMessage]:
        return self.record.all_messages

    @property
    def message(self) -> StoredMessage | None:
        msgs = self.all_messages
        return msgs[0] if msgs else None

    @property
    def content(self) -> str | None:
        return self.message.content if self.message else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message else []

    @property
    def ephemeral(self) -> bool:
        return bool(self.message and self.message.ephemeral)

    @property
    def flags(self) -> int:
        return self.message.flags if self.message else 0

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.message.allowed_mentions if self.message else None

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.all_messages if m.text)

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        return self.record.choices

    async def wait_for_followups(self, count: int, timeout: float = 10.0) -> list[StoredMessage]:
        await self._stub.wait_for(
            lambda: len(self.record.followups) >= count, timeout=timeout, what=f"{count} follow-up(s)"
        )
        return self.followups


def _id_of(value: Any) -> int:
    if isinstance(value, Mapping):
        return int(value["id"])
    if hasattr(value, "id"):
        return int(value.id)
    return int(value)


class DiscordStub:
    """See the module docstring for the full API."""

    def __init__(
        self,
        *,
        token: str | None = None,
        application_id: int | None = None,
        bot_name: str = "briefbot",
        host: str = "127.0.0.1",
        heartbeat_interval_ms: int = 41250,
        ack_deadline: float | None = 3.0,
        enabled_privileged_intents: int = Intent.PRIVILEGED,
    ) -> None:
        self.snowflake = SnowflakeFactory()
        self.host = host
        self.port = 0
        self.token = token or f"stub-{secrets.token_urlsafe(24)}"
        self.application_id = application_id or self.snowflake()
        self.bot_user_id = self.application_id
        self.owner_user_id = self.snowflake()
        self.default_user_id = self.snowflake()
        self.application_flags = 0
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.ack_deadline = ack_deadline
        self.enabled_privileged_intents = enabled_privileged_intents
        self.nonce_window = 300.0

        self.users: dict[int, User] = {
            self.bot_user_id: User(self.bot_user_id, bot_name, bot=True),
            self.owner_user_id: User(self.owner_user_id, "stub-owner"),
            self.default_user_id: User(self.default_user_id, "stub-user", global_name="Stub User"),
        }
        self.guilds: dict[int, Guild] = {}
        self._dm_by_user: dict[int, Channel] = {}
        self._dm_by_id: dict[int, Channel] = {}
        self.closed_dms: set[int] = set()
        self.attachments: dict[int, StoredAttachment] = {}

        self.messages: list[StoredMessage] = []
        self._by_channel: dict[int, list[StoredMessage]] = {}
        self._nonces: dict[tuple[int, str], tuple[StoredMessage, float]] = {}

        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.command_syncs: dict[int | None, int] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}

        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[str] = []
        self.internal_errors: list[str] = []
        self.provoked_429s = 0
        self.injected_429s = 0
        self.injected_failures = 0
        self.nonce_dedup_hits = 0

        self.gateway = Gateway(self)
        self.rest = RestApi(self)
        self._change = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> DiscordStub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._unknown_path)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        _log.info("Discord stub listening on %s", self.base_url)

    async def close(self) -> None:
        self.rest.closing.set()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway-resume"

    def env(self) -> dict[str, str]:
        return {
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_TOKEN": self.token,
        }

    async def _unknown_path(self, request: web.Request) -> web.StreamResponse:
        rec = RecordedRequest(method=request.method, path=request.path, query=dict(request.query), headers={})
        rec.status = 404
        self.requests.append(rec)
        self.unknown_routes.append(f"{request.method} {request.path}")
        self._bump()
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            route="GET /attachments/{attachment_id}/{filename}",
        )
        self.requests.append(rec)
        att = None
        if request.match_info["attachment_id"].isdigit():
            att = self.attachments.get(int(request.match_info["attachment_id"]))
        if att is None:
            rec.status = 404
            self._bump()
            return web.Response(status=404, text="Not Found")
        rec.status = 200
        self._bump()
        return web.Response(body=att.data, headers={"Content-Type": att.content_type})

    # ------------------------------------------------------------------ change notification / waiting

    def _bump(self) -> None:
        event, self._change = self._change, asyncio.Event()
        event.set()

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float = 10.0, *, what: str | None = None
    ) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._change
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"DiscordStub: timed out after {timeout}s waiting for {what or predicate!r}"
                )
            try:
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))
            except TimeoutError:
                pass

    async def wait_for_identify(self, timeout: float = 10.0) -> dict[str, Any]:
        await self.wait_for(lambda: self.identify_payloads, timeout, what="IDENTIFY")
        return self.identify_payloads[-1]

    async def wait_for_ready(self, timeout: float = 10.0) -> None:
        def done() -> bool:
            conn = self.gateway.active_connection()
            if conn is None or conn.session is None:
                return False
            sent = {
                int(d.data["id"])
                for d in self.dispatched
                if d.event == "GUILD_CREATE" and d.session_id == conn.session.session_id
            }
            return set(self.guilds) <= sent

        await self.wait_for(done, timeout, what="READY + GUILD_CREATEs")

    async def wait_for_command_sync(
        self, timeout: float = 10.0, *, scope: int | None = ANY, count: int = 1
    ) -> list[dict[str, Any]]:
        def synced() -> bool:
            if scope is ANY:
                return sum(self.command_syncs.values()) >= count
            return self.command_syncs.get(scope, 0) >= count

        await self.wait_for(synced, timeout, what=f"{count} command sync(s) (scope={scope!r})")
        if scope is ANY:
            return [c for cmds in self.commands.values() for c in cmds]
        return list(self.commands.get(scope, []))

    async def wait_for_resume(self, timeout: float = 10.0, *, count: int = 1) -> None:
        await self.wait_for(lambda: self.gateway.resumed_count >= count, timeout, what=f"RESUME #{count}")

    async def wait_for_message(
        self,
        channel_id: int,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 10.0,
        *,
        include_ephemeral: bool = False,
    ) -> StoredMessage:
        def find() -> StoredMessage | None:
            for msg in self.messages_in(channel_id, include_ephemeral=include_ephemeral):
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self.wait_for(find, timeout, what=f"a message in channel {channel_id}")

    async def wait_for_dm(
        self, user_id: int, predicate: Callable[[StoredMessage], bool] | None = None, timeout: float = 10.0
    ) -> StoredMessage:
        return await self.wait_for_message(self.dm_channel(user_id).id, predicate, timeout)

    async def wait_for_request(
        self, method: str | None = None, route: str | None = None, timeout: float = 10.0
    ) -> RecordedRequest:
        def find() -> RecordedRequest | None:
            found = self.requests_to(method, route)
            return found[-1] if found else None

        return await self.wait_for(find, timeout, what=f"request {method} {route}")

    # ------------------------------------------------------------------ gateway facade

    @property
    def identify_payloads(self) -> list[dict[str, Any]]:
        return self.gateway.identify_payloads

    @property
    def resume_payloads(self) -> list[dict[str, Any]]:
        return self.gateway.resume_payloads

    @property
    def resumed_count(self) -> int:
        return self.gateway.resumed_count

    @property
    def heartbeats(self) -> int:
        return self.gateway.heartbeats

    @property
    def dispatched(self) -> list[DispatchRecord]:
        return self.gateway.dispatched

    @property
    def gateway_connections(self) -> list[GatewayConnection]:
        return self.gateway.connections

    @property
    def last_intents(self) -> int | None:
        return self.identify_payloads[-1].get("intents") if self.identify_payloads else None

    @property
    def privileged_intents_requested(self) -> int:
        """OR of the privileged intent bits any IDENTIFY asked for (0 is what a well-behaved bot sends)."""
        bits = 0
        for payload in self.identify_payloads:
            bits |= int(payload.get("intents") or 0) & Intent.PRIVILEGED
        return bits

    async def disconnect_gateway(self, *, code: int = 4000, resumable: bool = True) -> int:
        return await self.gateway.disconnect(code=code, resumable=resumable)

    async def send_reconnect(self) -> None:
        await self.gateway.send_reconnect()

    async def dispatch(self, event: str, data: Any, *, timeout: float = 10.0) -> int | None:
        return await self.gateway.dispatch(event, data, timeout=timeout)

    def _bot_user_full_payload(self) -> dict[str, Any]:
        return {
            **self.users[self.bot_user_id].payload(),
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
        }

    def _app_info_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.users[self.bot_user_id].username,
            "icon": None,
            "description": "briefbot (stub application)",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "owner": self.users[self.owner_user_id].payload(),
            "team": None,
            "bot": self.users[self.bot_user_id].payload(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
        }

    def _guild_create_payload(self, guild_id: int, intents: int) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        include = None if intents & Intent.GUILD_MEMBERS else [self.bot_user_id]
        return guild.payload(users=self.users, include_members=include)

    # ------------------------------------------------------------------ world building

    def add_user(
        self, user_id: int, username: str | None = None, *, bot: bool = False, global_name: str | None = None
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(
                user_id, username or f"user{user_id}", global_name=global_name, bot=bot
            )
        elif username is not None:
            user.username = username
        return user

    def add_guild(
        self,
        guild_id: int,
        *,
        name: str | None = None,
        channels: Iterable[Channel | Mapping[str, Any]] = (),
        roles: Iterable[Role | Mapping[str, Any]] = (),
        members: Iterable[int | Mapping[str, Any]] = (),
        owner_id: int | None = None,
        bot_roles: Iterable[int] = (),
        everyone_permissions: Any = Perm.DEFAULT_EVERYONE,
        locale: str = "en-US",
    ) -> Guild:
        owner = owner_id if owner_id is not None else self.owner_user_id
        self.add_user(owner)
        guild = Guild(id=guild_id, name=name or f"guild-{guild_id}", owner_id=owner, locale=locale)
        guild.roles[guild_id] = Role(
            guild_id,
            "@everyone",
            Role.from_spec({"id": guild_id, "permissions": everyone_permissions}).permissions,
            position=0,
        )
        for spec in roles:
            role = Role.from_spec(spec)
            guild.roles[role.id] = role
        for position, spec in enumerate(channels):
            channel = Channel.from_spec(spec, guild_id)
            if isinstance(spec, Mapping) and "position" not in spec:
                channel.position = position
            guild.channels[channel.id] = channel
        guild.members[self.bot_user_id] = Member(self.bot_user_id, roles=[int(r) for r in bot_roles])
        guild.members[owner] = Member(owner)
        for spec in members:
            if isinstance(spec, Mapping):
                uid = int(spec["id"])
                self.add_user(uid, spec.get("username"))
                guild.members[uid] = Member(
                    uid, roles=[int(r) for r in spec.get("roles", ())], nick=spec.get("nick")
                )
            else:
                self.add_user(int(spec))
                guild.members[int(spec)] = Member(int(spec))
        self.guilds[guild_id] = guild
        conn = self.gateway.active_connection()
        if conn is not None and conn.session is not None:
            self.gateway.dispatch_soon(
                "GUILD_CREATE", self._guild_create_payload(guild_id, conn.session.intents)
            )
        self._bump()
        return guild

    def add_member(
        self, guild_id: int, user_id: int, *, roles: Iterable[int] = (), nick: str | None = None
    ) -> Member:
        self.add_user(user_id)
        member = self.guilds[guild_id].members[user_id] = Member(
            user_id, roles=[int(r) for r in roles], nick=nick
        )
        return member

    def add_channel(self, guild_id: int, spec: Channel | Mapping[str, Any]) -> Channel:
        channel = Channel.from_spec(spec, guild_id)
        self.guilds[guild_id].channels[channel.id] = channel
        self.gateway.dispatch_soon("CHANNEL_CREATE", channel.payload(), intent=Intent.GUILDS)
        self._bump()
        return channel

    def set_overwrites(self, channel_id: int, overwrites: Iterable[Overwrite | Mapping[str, Any]]) -> Channel:
        channel = self.channel(channel_id)
        channel.overwrites = [Overwrite.from_spec(o) for o in overwrites]
        self.gateway.dispatch_soon("CHANNEL_UPDATE", channel.payload(), intent=Intent.GUILDS)
        self._bump()
        return channel

    def set_bot_overwrite(self, channel_id: int, *, allow: Any = 0, deny: Any = 0) -> Channel:
        channel = self.channel(channel_id)
        others = [o for o in channel.overwrites if not (o.type == 1 and o.id == self.bot_user_id)]
        return self.set_overwrites(
            channel_id, [*others, overwrite(self.bot_user_id, member=True, allow=allow, deny=deny)]
        )

    def channel(self, channel_id: int) -> Channel:
        """Guild channel, thread or DM channel by id (KeyError when unknown)."""
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return self._dm_by_id[channel_id]

    def dm_channel(self, user_id: int) -> Channel:
        """The bot's DM channel with ``user_id`` (created on first use, like POST /users/@me/channels)."""
        self.add_user(user_id)
        channel = self._dm_by_user.get(user_id)
        if channel is None:
            channel = Channel(id=self.snowflake(), type=ChannelType.DM, recipient_id=user_id)
            self._dm_by_user[user_id] = channel
            self._dm_by_id[channel.id] = channel
        return channel

    def close_dms(self, user_id: int) -> None:
        self.closed_dms.add(user_id)

    def open_dms(self, user_id: int) -> None:
        self.closed_dms.discard(user_id)

    def add_attachment(self, filename: str, data: bytes, content_type: str | None = None) -> dict[str, Any]:
        att = self._store_attachment(filename, data, content_type or _guess_type(filename))
        return {**att.payload(), "ephemeral": True}

    def _store_attachment(
        self, filename: str, data: bytes, content_type: str, *, description: str | None = None
    ) -> StoredAttachment:
        att_id = self.snowflake()
        url = f"{self.base_url}/attachments/{att_id}/{quote(filename)}"
        att = StoredAttachment(att_id, filename, data, content_type, url, description)
        self.attachments[att_id] = att
        return att

    # ------------------------------------------------------------------ messages

    def _store_message(self, msg: StoredMessage) -> None:
        self.messages.append(msg)
        self._by_channel.setdefault(msg.channel_id, []).append(msg)
        try:
            channel = self.channel(msg.channel_id)
        except KeyError:
            channel = None
        if channel is not None and not msg.ephemeral:
            channel.last_message_id = msg.id
            if channel.is_thread:
                channel.message_count += 1
        if msg.nonce is not None and msg.source == "channel":
            self._nonces[(msg.channel_id, msg.nonce)] = (msg, time.monotonic())
        self._bump()

    def _find_by_nonce(self, channel_id: int, nonce: str) -> StoredMessage | None:
        entry = self._nonces.get((channel_id, nonce))
        if entry is None:
            return None
        msg, created = entry
        if msg.deleted or time.monotonic() - created > self.nonce_window:
            return None
        return msg

    def messages_in(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[StoredMessage]:
        return [
            m
            for m in self._by_channel.get(channel_id, [])
            if (include_ephemeral or not m.ephemeral) and (include_deleted or not m.deleted)
        ]

    def dm_messages_to(self, user_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        channel = self._dm_by_user.get(user_id)
        if channel is None:
            return []
        return self.messages_in(channel.id, include_ephemeral=True, include_deleted=include_deleted)

    def get_message(self, channel_id: int, message_id: int) -> StoredMessage | None:
        for msg in self._by_channel.get(channel_id, []):
            if msg.id == message_id and not msg.deleted and not msg.ephemeral:
                return msg
        return None

    def threads_of(self, channel_id: int) -> list[Channel]:
        parent = self.channel(channel_id)
        if parent.guild_id is None:
            return []
        return [
            c
            for c in self.guilds[parent.guild_id].channels.values()
            if c.is_thread and c.parent_id == channel_id
        ]

    def thread_for(self, message_id: int) -> Channel | None:
        for guild in self.guilds.values():
            thread = guild.channels.get(message_id)
            if thread is not None and thread.is_thread:
                return thread
        return None

    def requests_to(self, method: str | None = None, route: str | None = None) -> list[RecordedRequest]:
        """Recorded requests filtered by method and route template (``/channels/{channel_id}/messages``)."""
        out = []
        for rec in self.requests:
            if method is not None and rec.method != method:
                continue
            if route is not None and (rec.route is None or rec.route.split(" ", 1)[1] != route):
                continue
            out.append(rec)
        return out

    # ------------------------------------------------------------------ faults and rate limits

    def fail_message_posts(
        self,
        ratio: float = 0.2,
        *,
        status: int = 500,
        seed: int | None = None,
        limit: int | None = None,
        after_commit: bool = False,
    ) -> None:
        self.rest.post_failures = FaultRule(
            ratio=ratio, rng=_rng(seed), remaining=limit, status=status, after_commit=after_commit
        )

    def rate_limit_some_posts(
        self,
        ratio: float = 0.2,
        *,
        retry_after: float = 0.05,
        seed: int | None = None,
        limit: int | None = None,
        is_global: bool = False,
    ) -> None:
        self.rest.post_429s = FaultRule(
            ratio=ratio,
            rng=_rng(seed),
            remaining=limit,
            status=429,
            retry_after=retry_after,
            is_global=is_global,
        )

    def fail_login(self, status: int) -> None:
        """``GET /users/@me`` (the login) answers ``status``, e.g. 503 or 404, instead of the bot user."""
        self.rest.login_fault = status

    def hang_login(self) -> None:
        """``GET /users/@me`` is accepted and never answered (until the stub closes)."""
        self.rest.login_fault = "hang"

    def clear_faults(self) -> None:
        self.rest.post_failures = None
        self.rest.post_429s = None
        self.rest.login_fault = None

    def enable_rate_limits(
        self, *, global_per_second: int = 50, per_channel: int = 5, per_channel_window: float = 5.0
    ) -> None:
        self.rest.limits.enforce = True
        self.rest.limits.global_per_second = global_per_second
        self.rest.limits.per_channel = per_channel
        self.rest.limits.per_channel_window = per_channel_window
        self.rest.buckets.clear()
        self.rest.global_window.clear()

    def disable_rate_limits(self) -> None:
        self.rest.limits.enforce = False
        self.rest.limits.per_channel = 50
        self.rest.limits.per_channel_window = 1.0
        self.rest.buckets.clear()

    @property
    def total_429s(self) -> int:
        return self.provoked_429s + self.injected_429s

    # ------------------------------------------------------------------ interactions

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                    return cmd
        known = sorted({c["name"] for s in scopes for c in self.commands.get(s, [])})
        raise CommandNotAvailable(f"/{name} is not synced for scope {scopes} (synced: {known})")

    def _check_visibility(self, cmd: dict[str, Any], *, in_dm: bool, member_perms: int | None) -> None:
        contexts = cmd.get("contexts")
        if in_dm:
            if contexts is not None and 1 not in contexts:
                raise CommandNotAvailable(f"/{cmd['name']} is not available in bot DMs (contexts={contexts})")
            if contexts is None and cmd.get("dm_permission") is False:
                raise CommandNotAvailable(f"/{cmd['name']} has dm_permission=false")
        else:
            if contexts is not None and 0 not in contexts:
                raise CommandNotAvailable(f"/{cmd['name']} is not available in guilds (contexts={contexts})")
            required = cmd.get("default_member_permissions")
            if required is not None and member_perms is not None:
                need = int(required)
                # "0" means "nobody but administrators" on Discord
                lacking = need == 0 or member_perms & need != need
                if not member_perms & Perm.ADMINISTRATOR and lacking:
                    raise CommandNotAvailable(
                        f"/{cmd['name']} needs default_member_permissions={need}, member has {member_perms}"
                    )

    def _convert_option(
        self,
        spec: dict[str, Any],
        value: Any,
        *,
        resolved: dict[str, dict[str, Any]],
        guild: Guild | None,
        perms_channel_user: tuple[int, list[int] | None],
    ) -> Any:
        kind = int(spec["type"])
        name = spec["name"]
        if kind == 3:
            out: Any = str(value)
        elif kind == 4:
            out = int(value)
        elif kind == 5:
            out = bool(value)
        elif kind == 10:
            out = float(value)
        elif kind in (6, 7, 8, 9, 11):
            target = _id_of(value)
            out = str(target)
            if kind == 6 or (kind == 9 and not (guild and target in guild.roles)):
                user = self.add_user(target)
                resolved.setdefault("users", {})[out] = user.payload()
                if guild is not None and target in guild.members:
                    member = guild.members[target].payload(user)
                    member.pop("user")
                    resolved.setdefault("members", {})[out] = member
            elif kind == 8 or kind == 9:
                if guild is None or target not in guild.roles:
                    raise ValueError(f"option {name!r}: role {target} is not in the guild")
                resolved.setdefault("roles", {})[out] = guild.roles[target].payload()
            elif kind == 7:
                channel = self.channel(target)
                payload = channel.payload(self.users)
                if guild is not None:
                    uid, roles = perms_channel_user
                    payload["permissions"] = str(guild.permissions_in(uid, channel, roles=roles))
                resolved.setdefault("channels", {})[out] = payload
            else:
                att = self.attachments.get(target)
                if att is None:
                    raise ValueError(
                        f"option {name!r}: attachment {target} was not registered with add_attachment"
                    )
                resolved.setdefault("attachments", {})[out] = {**att.payload(), "ephemeral": True}
        else:
            raise ValueError(f"option {name!r} has unsupported type {kind}")
        choices = spec.get("choices")
        if choices and out not in [c["value"] for c in choices]:
            raise ValueError(
                f"option {name!r}: {out!r} is not one of the choices {[c['value'] for c in choices]}"
            )
        return out

    def _build_options(
        self,
        cmd: dict[str, Any],
        *,
        group: str | None,
        subcommand: str | None,
        values: Mapping[str, Any],
        focused: str | None,
        resolved: dict[str, dict[str, Any]],
        guild: Guild | None,
        perms_channel_user: tuple[int, list[int] | None],
    ) -> list[dict[str, Any]]:
        defs: list[dict[str, Any]] = list(cmd.get("options") or [])
        path: list[tuple[str, int]] = []
        if group is not None:
            grp = next((o for o in defs if o["name"] == group and int(o["type"]) == 2), None)
            if grp is None:
                raise CommandNotAvailable(f"/{cmd['name']} has no subcommand group {group!r}")
            path.append((group, 2))
            defs = list(grp.get("options") or [])
        if subcommand is not None:
            sub = next((o for o in defs if o["name"] == subcommand and int(o["type"]) == 1), None)
            if sub is None:
                raise CommandNotAvailable(f"/{cmd['name']} has no subcommand {subcommand!r}")
            path.append((subcommand, 1))
            defs = list(sub.get("options") or [])
        if any(int(o["type"]) in (1, 2) for o in defs):
            raise ValueError(f"/{cmd['name']} needs a subcommand (available: {[o['name'] for o in defs]})")
        by_name = {o["name"]: o for o in defs}
        leaf: list[dict[str, Any]] = []
        for name, value in values.items():
            spec = by_name.get(name)
            if spec is None:
                raise ValueError(f"unknown option {name!r} (known: {sorted(by_name)})")
            if name == focused:
                leaf.append({"name": name, "type": int(spec["type"]), "value": str(value), "focused": True})
                continue
            converted = self._convert_option(
                spec, value, resolved=resolved, guild=guild, perms_channel_user=perms_channel_user
            )
            leaf.append({"name": name, "type": int(spec["type"]), "value": converted})
        if focused is None:
            missing = [o["name"] for o in defs if o.get("required") and o["name"] not in values]
            if missing:
                raise ValueError(f"missing required option(s) {missing}")
        elif focused not in values:
            raise ValueError(f"focused option {focused!r} must be given in options")
        options = leaf
        for name, kind in reversed(path):
            options = [{"name": name, "type": kind, "options": options}]
        return options

    def _build_interaction(
        self,
        *,
        interaction_type: int,
        command: str,
        group: str | None,
        subcommand: str | None,
        options: Mapping[str, Any] | None,
        focused: str | None,
        channel_id: int | None,
        guild_id: int | None,
        user_id: int | None,
        member_permissions: Any,
        member_roles: Iterable[int] | None,
        locale: str,
        enforce_visibility: bool,
    ) -> InteractionRecord:
        uid = user_id if user_id is not None else self.default_user_id
        user = self.add_user(uid)
        if channel_id is None and guild_id is None:
            channel = self.dm_channel(uid)
        elif channel_id is None:
            raise ValueError("guild interactions need a channel_id")
        else:
            channel = self.channel(channel_id)
        if channel.guild_id is not None and guild_id is not None and channel.guild_id != guild_id:
            raise ValueError(f"channel {channel.id} belongs to guild {channel.guild_id}, not {guild_id}")
        gid = channel.guild_id
        guild = self.guilds[gid] if gid is not None else None
        roles = [int(r) for r in member_roles] if member_roles is not None else None
        if guild is not None and uid not in guild.members:
            self.add_member(gid, uid, roles=roles or ())  # type: ignore[arg-type]
        if guild is not None:
            if member_permissions is None:
                perms = guild.permissions_in(uid, channel, roles=roles)
            else:
                perms = int(getattr(member_permissions, "value", member_permissions))
            app_perms = guild.permissions_in(self.bot_user_id, channel)
        else:
            perms = None
            app_perms = Perm.DM_DEFAULT
        cmd = self._find_command(command, gid)
        if enforce_visibility:
            self._check_visibility(cmd, in_dm=guild is None, member_perms=perms)
        resolved: dict[str, dict[str, Any]] = {}
        built = self._build_options(
            cmd,
            group=group,
            subcommand=subcommand,
            values=dict(options or {}),
            focused=focused,
            resolved=resolved,
            guild=guild,
            perms_channel_user=(uid, roles),
        )
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if built:
            data["options"] = built
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        iid = self.snowflake()
        token = f"itok.{iid}.{secrets.token_urlsafe(32)}"
        channel_payload = channel.payload(self.users)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel_payload,
            "app_permissions": str(app_perms),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if guild is not None:
            assert perms is not None
            member_obj = guild.members[uid]
            if roles is not None:
                member_obj = Member(uid, roles=roles, nick=member_obj.nick, joined_at=member_obj.joined_at)
            channel_payload["permissions"] = str(perms)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=member_obj.payload(user, permissions=perms),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(user=user.payload(), authorizing_integration_owners={"0": "0"}, context=1)
        path = " ".join(p for p in (command, group, subcommand) if p)
        record = InteractionRecord(
            id=iid,
            token=token,
            type=interaction_type,
            guild_id=gid,
            channel_id=channel.id,
            user_id=uid,
            command=path,
            payload=payload,
        )
        self.interactions[iid] = record
        self.interactions_by_token[token] = record
        return record

    async def invoke_slash(
        self,
        command: str,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        options: Mapping[str, Any] | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        user_id: int | None = None,
        member_permissions: Any = None,
        member_roles: Iterable[int] | None = None,
        locale: str = "en-US",
        wait: Literal["final", "callback", "none"] = "final",
        timeout: float = 10.0,
        settle: float = 0.1,
        enforce_visibility: bool = True,
    ) -> InteractionResult:
        record = self._build_interaction(
            interaction_type=2,
            command=command,
            group=group,
            subcommand=subcommand,
            options=options,
            focused=None,
            channel_id=channel_id,
            guild_id=guild_id,
            user_id=user_id,
            member_permissions=member_permissions,
            member_roles=member_roles,
            locale=locale,
            enforce_visibility=enforce_visibility,
        )
        await self._send_interaction(record, timeout)
        result = InteractionResult(self, record)
        if wait == "none":
            return result
        if wait == "callback":
            await self.wait_for(
                lambda: record.acknowledged, timeout, what=f"a callback for /{record.command}"
            )
        else:
            await self.wait_for(lambda: record.answered, timeout, what=f"an answer to /{record.command}")
        if settle > 0:
            await asyncio.sleep(settle)
        return result

    async def autocomplete(
        self,
        command: str,
        *,
        focused: str,
        options: Mapping[str, Any],
        subcommand: str | None = None,
        group: str | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        user_id: int | None = None,
        member_permissions: Any = None,
        member_roles: Iterable[int] | None = None,
        locale: str = "en-US",
        timeout: float = 10.0,
        enforce_visibility: bool = True,
    ) -> list[dict[str, Any]]:
        record = self._build_interaction(
            interaction_type=4,
            command=command,
            group=group,
            subcommand=subcommand,
            options=options,
            focused=focused,
            channel_id=channel_id,
            guild_id=guild_id,
            user_id=user_id,
            member_permissions=member_permissions,
            member_roles=member_roles,
            locale=locale,
            enforce_visibility=enforce_visibility,
        )
        await self._send_interaction(record, timeout)
        await self.wait_for(
            lambda: record.acknowledged, timeout, what=f"autocomplete answer for /{record.command}"
        )
        if record.choices is None:
            raise AssertionError(
                f"bot answered autocomplete with callback {record.callbacks[0]!r}, not type 8"
            )
        return record.choices

    async def _send_interaction(self, record: InteractionRecord, timeout: float) -> None:
        record.dispatched_at = time.monotonic()
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload, timeout=timeout)
        record.dispatched_at = time.monotonic()


def _rng(seed: int | None) -> random.Random:
    return random.Random(seed)


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
