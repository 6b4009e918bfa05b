"""A loopback Slack (Web API + Socket Mode) for end-to-end tests of briefbot.

An aiohttp server on 127.0.0.1 (random free port) that runs in the test's event loop. The real slack-bolt app,
pointed at it with ``SLACK_API_BASE``, talks to it as it would talk to slack.com: ``auth.test``,
``apps.connections.open`` and a Socket Mode websocket (hello, envelopes, acks, disconnect), then the Web API
methods briefbot uses. Tests build a workspace, invoke slash commands and button clicks as users, read what
the app posted, and inject faults.

Quick start::

    async with SlackStub() as slack:
        slack.add_channel("C1", "news", members={"U1"})
        slack.add_user("U1", is_admin=True)
        ...start the bot with slack.env()...
        await slack.wait_for_connection()
        result = await slack.command("/story", "keypoints zuck", user="U1", channel="C1")
        await result.wait_for_messages(1)
        assert "Key points" in result.messages[0].all_text

Faults: ``fail_next(method, kind, count=1, error=..., retry_after=...)`` where kind is ``"500"`` (answer
500, nothing stored), ``"stored_then_500"`` (store the message, then answer 500), ``"429"`` (answer 429 with
Retry-After), ``"error"`` (``ok: false`` with ``error``) or ``"hang"`` (never answer). ``channel_rate`` makes
chat.postMessage answer 429 when a channel gets more than that many posts in one second (Slack's ~1/s);
those are counted in ``provoked_429s``. ``send_disconnect()``, ``drop_sockets()`` and ``go_silent()``
exercise Socket Mode resilience. ``open_home(user)`` sends the ``app_home_opened`` event; ``views`` holds each
user's published Home view.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.slackstub.state import SlackChannel, SlackMessage, SlackUser, Workspaces

TEAM_ID = "T0000000001"
BOT_USER_ID = "U0BRIEFBOT"
BOT_ID = "B0BRIEFBOT"
APP_ID = "A0BRIEFBOT"
BOT_TOKEN = "xoxb-1111-2222-loopbackbottoken"  # noqa: S105 - a test token for a loopback server
MAX_VIEW_BLOCKS = 100
APP_TOKEN = "xapp-1-A0BRIEFBOT-3333-loopbackapptoken"  # noqa: S105


@dataclass
class RecordedCall:
    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None


@dataclass
class Fault:
    kind: str
    error: str = "internal_error"
    retry_after: int = 1


@dataclass
class CommandResult:
    """One slash command or button click: its ack and everything posted to its response_url."""

    envelope_id: str
    sent_at: float
    stub: SlackStub
    acked_at: float | None = None
    ack_payload: dict[str, Any] | None = None
    messages: list[SlackMessage] = field(default_factory=list)

    @property
    def ack_seconds(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.sent_at

    @property
    def text(self) -> str:
        return "\n".join(message.all_text for message in self.messages)

    async def wait_for_messages(self, count: int = 1, timeout: float = 10.0) -> list[SlackMessage]:
        await self.stub.wait_until(lambda: len(self.messages) >= count, timeout, f"{count} replies to a command")
        return self.messages


class SlackStub:
    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN, team_id: str = TEAM_ID) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.world = Workspaces()
        self.calls: list[RecordedCall] = []
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.channel_rate: int | None = None
        self.provoked_429s = 0
        self.unknown_methods: list[str] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.connections = 0
        self.silent = False
        self.views: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, CommandResult] = {}
        self._by_response_token: dict[str, CommandResult] = {}
        self._posts_by_channel: dict[str, deque[float]] = defaultdict(deque)
        self._changed = asyncio.Event()
        self._tickets = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.add_user(BOT_USER_ID, name="briefbot", is_bot=True)

    # --- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> SlackStub:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response_url)
        app.router.add_get("/socket", self._socket)
        # A "hang" fault leaves its request open: at shutdown, cancel it after a second instead of the default 60.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for socket in list(self.sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def env(self) -> dict[str, str]:
        return {"SLACK_BOT_TOKEN": self.bot_token, "SLACK_APP_TOKEN": self.app_token, "SLACK_API_BASE": self.api_base}

    # --- world building ----------------------------------------------------------------------------------
    def add_user(self, user_id: str, *, name: str | None = None, is_admin: bool = False, is_owner: bool = False,
                 tz: str = "UTC", is_bot: bool = False, team_id: str | None = None) -> SlackUser:
        return self.world.add_user(
            SlackUser(id=user_id, team_id=team_id or self.team_id, name=name or user_id.lower(), is_admin=is_admin,
                      is_owner=is_owner, tz=tz, is_bot=is_bot)
        )

    def add_channel(self, channel_id: str, name: str, *, private: bool = False, bot_member: bool = False,
                    members: set[str] | None = None, archived: bool = False,
                    team_id: str | None = None) -> SlackChannel:
        member_ids = set(members or ())
        if bot_member:
            member_ids.add(BOT_USER_ID)
        return self.world.add_channel(
            SlackChannel(id=channel_id, team_id=team_id or self.team_id, name=name, is_private=private,
                         is_archived=archived, members=member_ids)
        )

    def block_dms(self, user_id: str) -> None:
        self.world.users[user_id].dms_blocked = True

    def fail_next(self, method: str, kind: str, *, count: int = 1, error: str = "internal_error",
                  retry_after: int = 1) -> None:
        for _ in range(count):
            self.faults[method].append(Fault(kind, error, retry_after))

    # --- what the app did ----------------------------------------------------------------------------------
    @property
    def messages(self) -> list[SlackMessage]:
        return self.world.messages

    def posted_in(self, channel: str, *, include_ephemeral: bool = False) -> list[SlackMessage]:
        return [m for m in self.world.messages if m.channel == channel and (include_ephemeral or not m.ephemeral)]

    def dms_to(self, user_id: str) -> list[SlackMessage]:
        ims = {c.id for c in self.world.channels.values() if c.is_im and c.user == user_id}
        return [m for m in self.world.messages if m.channel in ims and not m.ephemeral]

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_until(self, predicate: Any, timeout: float = 10.0, what: str = "a condition") -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"the Slack stub did not see {what} within {timeout}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
            except TimeoutError:
                pass

    async def wait_for_connection(self, count: int = 1, timeout: float = 20.0) -> None:
        await self.wait_until(
            lambda: self.connections >= count and bool(self.sockets), timeout, f"{count} socket connections"
        )

    def _notify(self) -> None:
        self._changed.set()

    # --- user actions -------------------------------------------------------------------------------------
    async def command(self, command: str, text: str = "", *, user: str, channel: str,
                      team_id: str | None = None, timeout: float = 10.0) -> CommandResult:
        """A user types a slash command; returns once the app acked it (or raises after `timeout`)."""
        token = uuid.uuid4().hex
        channel_info = self.world.channels.get(channel)
        payload = {
            "token": "verification-unused", "team_id": team_id or self.team_id, "team_domain": "newsroom",
            "channel_id": channel, "channel_name": channel_info.name if channel_info else "directmessage",
            "user_id": user, "user_name": self.world.users[user].name if user in self.world.users else user,
            "command": command, "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
            "response_url": f"http://127.0.0.1:{self.port}/response/{token}", "trigger_id": uuid.uuid4().hex,
        }
        return await self._send_envelope("slash_commands", payload, token, timeout)

    async def click(self, *, user: str, channel: str, action_id: str, value: str, block_id: str = "b",
                    team_id: str | None = None, timeout: float = 10.0) -> CommandResult:
        """A user clicks a button the app posted (a block_actions interaction)."""
        token = uuid.uuid4().hex
        payload = {
            "type": "block_actions", "team": {"id": team_id or self.team_id}, "user": {"id": user},
            "api_app_id": APP_ID, "channel": {"id": channel}, "container": {"type": "message"},
            "trigger_id": uuid.uuid4().hex, "response_url": f"http://127.0.0.1:{self.port}/response/{token}",
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id, "value": value,
                         "action_ts": str(time.time())}],
        }
        return await self._send_envelope("interactive", payload, token, timeout)

    async def _send_envelope(
        self, kind: str, payload: dict[str, Any], token: str | None, timeout: float
    ) -> CommandResult:
        if not self.sockets:
            raise AssertionError("no Socket Mode connection is open")
        envelope_id = uuid.uuid4().hex
        result = CommandResult(envelope_id=envelope_id, sent_at=time.monotonic(), stub=self)
        self._pending[envelope_id] = result
        if token is not None:  # an event has no response_url
            self._by_response_token[token] = result
        envelope = {"envelope_id": envelope_id, "type": kind, "accepts_response_payload": kind == "slash_commands",
                    "payload": payload}
        await self.sockets[-1].send_str(json.dumps(envelope))
        await self.wait_until(lambda: result.acked_at is not None, timeout, f"an ack of {kind}")
        return result

    async def open_home(self, user: str, *, tab: str = "home", team_id: str | None = None,
                        timeout: float = 10.0) -> None:
        """A user opens the app's Home tab (an `app_home_opened` event); returns once the app acked it. What the
        app published is in ``views[user]``."""
        team = team_id or self.team_id
        event = {"type": "app_home_opened", "user": user, "channel": self.world.im_with(user, BOT_USER_ID).id,
                 "tab": tab, "event_ts": str(time.time())}
        payload = {"token": "verification-unused", "team_id": team, "api_app_id": APP_ID, "event": event,
                   "type": "event_callback", "event_id": self.world.new_id("Ev"), "event_time": int(time.time()),
                   "authorizations": [{"team_id": team, "user_id": BOT_USER_ID, "is_bot": True}]}
        await self._send_envelope("events_api", payload, None, timeout)

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        for socket in list(self.sockets):
            await socket.send_str(json.dumps({"type": "disconnect", "reason": reason,
                                              "debug_info": {"host": "loopback"}}))

    async def drop_sockets(self) -> None:
        for socket in list(self.sockets):
            await socket.close()

    def go_silent(self) -> None:
        """Keep the sockets open but answer no ping and deliver nothing, like a half-dead connection."""
        self.silent = True

    # --- Socket Mode -----------------------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=False)
        await socket.prepare(request)
        self.silent = False
        self.sockets.append(socket)
        self.connections += 1
        self._notify()
        await socket.send_str(json.dumps({"type": "hello", "num_connections": len(self.sockets),
                                          "connection_info": {"app_id": APP_ID},
                                          "debug_info": {"host": "loopback", "approximate_connection_time": 3600}}))
        try:
            async for message in socket:
                if message.type == WSMsgType.PING:
                    if not self.silent:
                        await socket.pong(message.data)
                elif message.type == WSMsgType.TEXT:
                    self._ack(json.loads(message.data))
        finally:
            if socket in self.sockets:
                self.sockets.remove(socket)
            self._notify()
        return socket

    def _ack(self, body: dict[str, Any]) -> None:
        result = self._pending.pop(str(body.get("envelope_id")), None)
        if result is None:
            return
        result.acked_at = time.monotonic()
        result.ack_payload = body.get("payload")
        if result.ack_payload and (result.ack_payload.get("text") or result.ack_payload.get("blocks")):
            result.messages.append(self._reply_message(result.ack_payload, "ack"))
        self._notify()

    def _reply_message(self, body: dict[str, Any], source: str) -> SlackMessage:
        blocks = body.get("blocks") or []
        return SlackMessage(
            channel="", ts=self.world.next_ts(), text=body.get("text") or "", blocks=blocks, thread_ts=None,
            metadata=None, user=BOT_USER_ID, source=source, ephemeral=body.get("response_type") != "in_channel",
            replace_original=bool(body.get("replace_original")),
        )

    async def _response_url(self, request: web.Request) -> web.Response:
        result = self._by_response_token.get(request.match_info["token"])
        if result is None:
            return web.Response(status=404, text="no_response_url")
        body = await request.json()
        result.messages.append(self._reply_message(body, "response_url"))
        self._notify()
        return web.Response(text="ok")

    # --- Web API ------------------------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        call = RecordedCall(method, args, time.monotonic())
        self.calls.append(call)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or str(args.get("token", ""))
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return self._error(call, "invalid_auth")
        fault = self.faults[method].popleft() if self.faults.get(method) else None
        if fault is not None and fault.kind == "hang":
            await asyncio.Event().wait()
        if fault is not None and fault.kind == "500":
            call.status = 500
            return web.Response(status=500, text="internal error")
        if fault is not None and fault.kind == "429":
            call.status = 429
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(fault.retry_after)})
        if fault is not None and fault.kind == "error":
            return self._error(call, fault.error)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self.unknown_methods.append(method)
            return self._error(call, "unknown_method")
        answer = handler(call, args)
        if isinstance(answer, web.Response):
            return answer
        if fault is not None and fault.kind == "stored_then_500":
            call.status = 500
            return web.Response(status=500, text="internal error")
        self._notify()
        return web.json_response({"ok": True, **answer})

    def _error(self, call: RecordedCall, error: str, status: int = 200) -> web.Response:
        call.error = error
        call.status = status
        self._notify()
        return web.json_response({"ok": False, "error": error}, status=status)

    def _m_auth_test(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://newsroom.slack.test/", "team": "newsroom", "user": "briefbot",
                "team_id": self.team_id, "user_id": BOT_USER_ID, "bot_id": BOT_ID}

    def _m_apps_connections_open(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket?ticket={next(self._tickets)}"}

    def _channel_for_post(self, call: RecordedCall, channel_id: str) -> SlackChannel | web.Response:
        if channel_id in self.world.users:
            return self.world.im_with(channel_id, BOT_USER_ID)
        channel = self.world.channels.get(channel_id)
        if channel is None:
            return self._error(call, "channel_not_found")
        if channel.is_archived:
            return self._error(call, "is_archived")
        if channel.is_im and channel.user is not None and self.world.users[channel.user].dms_blocked:
            return self._error(call, "messages_tab_disabled")
        if BOT_USER_ID not in channel.members:
            return self._error(call, "not_in_channel")
        return channel

    def _rate_limited(self, call: RecordedCall, channel_id: str) -> web.Response | None:
        if self.channel_rate is None:
            return None
        now = time.monotonic()
        recent = self._posts_by_channel[channel_id]
        while recent and now - recent[0] > 1.0:
            recent.popleft()
        if len(recent) >= self.channel_rate:
            self.provoked_429s += 1
            call.status = 429
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        recent.append(now)
        return None

    def _m_chat_postMessage(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        channel = self._channel_for_post(call, str(args.get("channel", "")))
        if isinstance(channel, web.Response):
            return channel
        limited = self._rate_limited(call, channel.id)
        if limited is not None:
            return limited
        thread_ts = args.get("thread_ts") or None
        if thread_ts and self.world.find_message(channel.id, str(thread_ts)) is None:
            return self._error(call, "thread_not_found")
        message = SlackMessage(
            channel=channel.id, ts=self.world.next_ts(), text=str(args.get("text") or ""),
            blocks=_json_arg(args.get("blocks")) or [], thread_ts=str(thread_ts) if thread_ts else None,
            metadata=_json_arg(args.get("metadata")), user=BOT_USER_ID, source="chat.postMessage",
        )
        self.world.messages.append(message)
        return {"channel": channel.id, "ts": message.ts, "message": _message_json(message)}

    def _m_chat_update(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        message = self.world.find_message(str(args.get("channel")), str(args.get("ts")))
        if message is None:
            return self._error(call, "message_not_found")
        message.edits.append(dict(args))
        message.text = str(args.get("text") or message.text)
        if args.get("blocks") is not None:
            message.blocks = _json_arg(args.get("blocks")) or []
        return {"channel": message.channel, "ts": message.ts}

    def _m_chat_postEphemeral(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        channel_id = str(args.get("channel", ""))
        if channel_id not in self.world.channels:
            return self._error(call, "channel_not_found")
        message = SlackMessage(
            channel=channel_id, ts=self.world.next_ts(), text=str(args.get("text") or ""),
            blocks=_json_arg(args.get("blocks")) or [], thread_ts=None, metadata=None, user=BOT_USER_ID,
            source="chat.postEphemeral", ephemeral=True, visible_to=str(args.get("user")),
        )
        self.world.messages.append(message)
        return {"message_ts": message.ts}

    def _m_conversations_join(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        channel = self.world.channels.get(str(args.get("channel")))
        if channel is None:
            return self._error(call, "channel_not_found")
        if channel.is_private:
            return self._error(call, "method_not_supported_for_channel_type")
        if channel.is_archived:
            return self._error(call, "is_archived")
        channel.members.add(BOT_USER_ID)
        return {"channel": _channel_json(channel)}

    def _m_conversations_info(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        channel = self.world.channels.get(str(args.get("channel")))
        if channel is None or (channel.is_private and BOT_USER_ID not in channel.members):
            return self._error(call, "channel_not_found")
        return {"channel": _channel_json(channel)}

    def _m_conversations_open(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        user_id = str(args.get("users", "")).split(",")[0]
        if user_id not in self.world.users:
            return self._error(call, "user_not_found")
        return {"channel": {"id": self.world.im_with(user_id, BOT_USER_ID).id}}

    def _m_conversations_history(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        channel = self.world.channels.get(str(args.get("channel")))
        if channel is None:
            return self._error(call, "channel_not_found")
        if BOT_USER_ID not in channel.members:
            return self._error(call, "not_in_channel")
        limit = int(args.get("limit") or 100)
        oldest = str(args.get("oldest") or "0")
        found = [m for m in self.world.history(channel.id) if m.ts > oldest][:limit]
        return {"messages": [_message_json(m) for m in found], "has_more": False}

    def _m_conversations_replies(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        channel_id, ts = str(args.get("channel")), str(args.get("ts"))
        if self.world.find_message(channel_id, ts) is None:
            return self._error(call, "thread_not_found")
        return {"messages": [_message_json(m) for m in self.world.replies(channel_id, ts)], "has_more": False}

    def _m_users_info(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        user = self.world.users.get(str(args.get("user")))
        if user is None:
            return self._error(call, "user_not_found")
        return {"user": {"id": user.id, "team_id": user.team_id, "name": user.name, "is_admin": user.is_admin,
                         "is_owner": user.is_owner, "is_bot": user.is_bot, "tz": user.tz, "tz_label": user.tz,
                         "profile": {"display_name": user.name, "real_name": user.name}}}

    def _m_views_publish(self, call: RecordedCall, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        view = _json_arg(args.get("view")) or {}
        if view.get("type") != "home" or not 0 < len(view.get("blocks") or []) <= MAX_VIEW_BLOCKS:
            return self._error(call, "invalid_blocks")  # Slack refuses a Home view of more than 100 blocks
        self.views[str(args.get("user_id"))] = view
        return {"view": {"id": self.world.new_id("V"), **view}}


def _json_arg(value: Any) -> Any:
    """Form-encoded calls send blocks and metadata as JSON strings; JSON calls send them as objects."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


def _channel_json(channel: SlackChannel) -> dict[str, Any]:
    return {"id": channel.id, "name": channel.name, "is_private": channel.is_private,
            "is_archived": channel.is_archived, "is_im": channel.is_im,
            "is_member": BOT_USER_ID in channel.members}


def _message_json(message: SlackMessage) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text, "user": message.user,
                            "bot_id": BOT_ID, "blocks": message.blocks}
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    if message.metadata:
        body["metadata"] = message.metadata
    return body
