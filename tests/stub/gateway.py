"""Gateway half of the Discord stub: an aiohttp websocket speaking gateway v10 (JSON text frames).

discord.py asks for ``compress=zlib-stream`` in the query string, but ``DiscordWebSocket.received_message``
only runs the zlib/zstd decompressor when the frame is ``bytes``; TEXT frames are parsed as plain JSON.
So the stub always answers with uncompressed text frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .state import Intent

if TYPE_CHECKING:
    from .discord_stub import DiscordStub

_log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11


@dataclass
class GatewaySession:
    session_id: str
    identify: dict[str, Any]
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    invalidated: bool = False


@dataclass
class GatewayConnection:
    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    opened_at: float = field(default_factory=time.monotonic)
    session: GatewaySession | None = None
    #: "identify" or "resume" once the handshake finished
    mode: str | None = None
    closed: bool = False
    close_code: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def active(self) -> bool:
        return not self.closed and self.session is not None and self.mode is not None


@dataclass
class DispatchRecord:
    event: str
    seq: int
    data: Any
    session_id: str


class Gateway:
    def __init__(self, stub: DiscordStub) -> None:
        self.stub = stub
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.identify_payloads: list[dict[str, Any]] = []
        self.resume_payloads: list[dict[str, Any]] = []
        self.presence_updates: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.dispatched: list[DispatchRecord] = []
        self.resumed_count = 0
        self.invalid_sessions_sent = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---------------------------------------------------------------- connection handling

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, timeout=5.0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws=ws, path=request.path, query=dict(request.query))
        self.connections.append(conn)
        self.stub._bump()
        try:
            await self._send(
                conn, {"op": OP_HELLO, "d": {"heartbeat_interval": self.stub.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = msg.data
                elif msg.type == WSMsgType.BINARY:
                    data = msg.data.decode("utf-8", "replace")
                else:
                    break
                try:
                    payload = json.loads(data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                await self._on_payload(conn, payload)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        except Exception:
            _log.exception("gateway connection handler crashed")
            self.stub.internal_errors.append("gateway handler crashed")
        finally:
            conn.closed = True
            conn.close_code = ws.close_code
            self.stub._bump()
        return ws

    async def _send(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        await conn.ws.send_str(json.dumps(payload))

    async def _dispatch_on(self, conn: GatewayConnection, event: str, data: Any) -> int:
        assert conn.session is not None
        async with conn.lock:
            conn.session.seq += 1
            seq = conn.session.seq
            await self._send(conn, {"op": OP_DISPATCH, "t": event, "s": seq, "d": data})
        self.dispatched.append(DispatchRecord(event, seq, data, conn.session.session_id))
        self.stub._bump()
        return seq

    async def _on_payload(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        d = payload.get("d")
        if op == OP_HEARTBEAT:
            self.heartbeats += 1
            await self._send(conn, {"op": OP_HEARTBEAT_ACK})
            self.stub._bump()
        elif op == OP_IDENTIFY:
            await self._identify(conn, d or {})
        elif op == OP_RESUME:
            await self._resume(conn, d or {})
        elif op == OP_PRESENCE_UPDATE:
            self.presence_updates.append(d)
        elif op == OP_REQUEST_GUILD_MEMBERS:
            await self._request_members(conn, d or {})
        elif op == OP_VOICE_STATE_UPDATE:
            pass
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        redacted = {**d, "token": "<redacted>" if d.get("token") else None}
        self.identify_payloads.append(redacted)
        self.stub._bump()
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if d.get("token") != self.stub.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int):
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & Intent.PRIVILEGED & ~self.stub.enabled_privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = GatewaySession(
            session_id=uuid.uuid4().hex, identify=redacted, intents=intents, shard=d.get("shard")
        )
        self.sessions[session.session_id] = session
        conn.session = session
        conn.mode = "identify"
        ready: dict[str, Any] = {
            "v": 10,
            "user": self.stub._bot_user_full_payload(),
            "guilds": [{"id": str(g), "unavailable": True} for g in self.stub.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.stub.resume_gateway_url,
            "application": {"id": str(self.stub.application_id), "flags": self.stub.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
            "auth_session_id_hash": "stub",
            "_trace": ['["briefbot-discord-stub"]'],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self._dispatch_on(conn, "READY", ready)
        for guild_id in list(self.stub.guilds):
            # "unavailable": false marks a guild from READY becoming available (a fresh join has no key)
            payload = {**self.stub._guild_create_payload(guild_id, intents), "unavailable": False}
            await self._dispatch_on(conn, "GUILD_CREATE", payload)

    async def _resume(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        self.resume_payloads.append({**d, "token": "<redacted>" if d.get("token") else None})
        self.stub._bump()
        session = self.sessions.get(str(d.get("session_id")))
        if d.get("token") != self.stub.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None or session.invalidated:
            self.invalid_sessions_sent += 1
            await self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
            self.stub._bump()
            return
        for other in self.connections:
            if other is not conn and other.session is session and not other.closed:
                other.session = None  # the old socket loses the session
        conn.session = session
        conn.mode = "resume"
        self.resumed_count += 1
        await self._dispatch_on(conn, "RESUMED", {"_trace": ['["briefbot-discord-stub"]']})

    async def _request_members(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        if conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
            return
        guild_ids = d.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        for gid in guild_ids:
            guild = self.stub.guilds.get(int(gid))
            if guild is None:
                continue
            members = [guild.members[uid].payload(self.stub.users[uid]) for uid in guild.members]
            wanted = d.get("user_ids")
            if wanted:
                wanted_set = {int(u) for u in (wanted if isinstance(wanted, list) else [wanted])}
                members = [m for m in members if int(m["user"]["id"]) in wanted_set]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            await self._dispatch_on(conn, "GUILD_MEMBERS_CHUNK", chunk)

    # ---------------------------------------------------------------- API used by the stub

    def active_connection(self) -> GatewayConnection | None:
        for conn in reversed(self.connections):
            if conn.active:
                return conn
        return None

    async def dispatch(
        self, event: str, data: Any, *, timeout: float = 10.0, intent: int | None = None
    ) -> int | None:
        """Send a DISPATCH to the live session, waiting up to ``timeout`` for one to exist.

        With ``intent`` set, the event is skipped (returns None) when the session didn't ask for it.
        """
        conn = await self.stub.wait_for(
            self.active_connection, timeout=timeout, what="a live gateway session"
        )
        assert conn.session is not None
        if intent is not None and not conn.session.intents & intent:
            return None
        return await self._dispatch_on(conn, event, data)

    def dispatch_soon(self, event: str, data: Any, *, intent: int | None = None) -> None:
        """Fire-and-forget dispatch to the live session (no-op when nobody is connected)."""
        if self.active_connection() is None:
            return
        task = asyncio.get_running_loop().create_task(self.dispatch(event, data, timeout=1.0, intent=intent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def disconnect(self, *, code: int = 4000, resumable: bool = True) -> int:
        """Close every open socket with ``code``; when not resumable the sessions are invalidated."""
        closed = 0
        for conn in list(self.connections):
            if conn.closed:
                continue
            if not resumable and conn.session is not None:
                conn.session.invalidated = True
            await conn.ws.close(code=code, message=b"stub disconnect")
            closed += 1
        self.stub._bump()
        return closed

    async def send_reconnect(self) -> None:
        conn = self.active_connection()
        if conn is not None:
            await self._send(conn, {"op": OP_RECONNECT, "d": None})

    async def close_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self.connections):
            if not conn.closed:
                try:
                    await asyncio.wait_for(conn.ws.close(code=1001, message=b"stub shutting down"), 2.0)
                except (TimeoutError, ConnectionError):
                    pass
