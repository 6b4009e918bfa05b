"""REST half of the Discord stub: routing, recording, faults, rate limits and the endpoint handlers.

discord.py quirks this module respects (see ``discord/http.py`` and ``discord/webhook/async_.py``):

* ``json_or_text`` only decodes JSON when ``Content-Type`` is *exactly* ``application/json`` (no charset),
  so every JSON answer is built by :func:`json_response`.
* a 429 without a ``Via`` header (or with a non-JSON body) is treated as a Cloudflare ban and raised
  immediately; with ``Via`` the client sleeps ``retry_after`` from the JSON body and retries.
* 500/502/504/524 are retried up to 5 times, sleeping ``1 + 2 * try`` seconds in between.
* ``X-RateLimit-Bucket``/``-Remaining``/``-Reset-After`` drive the client's own per-bucket limiter.
* interaction callbacks are always sent with ``?with_response=1`` and the answer is parsed as an
  ``InteractionCallbackResponse`` (``data["interaction"]`` is indexed unconditionally).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from .state import (
    Channel,
    ChannelType,
    Intent,
    Perm,
    StoredAttachment,
    StoredMessage,
    iso_now,
    resolve_mentions,
    validate_commands,
    validate_message,
)

if TYPE_CHECKING:
    from .discord_stub import DiscordStub, InteractionRecord

_log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly (aiohttp's helpers append a charset)."""
    all_headers = {"Content-Type": "application/json"}
    if headers:
        all_headers.update(headers)
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def error_response(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return json_response({"message": message, "code": code}, status=status, headers=headers)


def no_content(headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers or {})


@dataclass
class RecordedRequest:
    """One HTTP request the stub received (the Authorization header value is redacted)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    #: route template such as ``POST /channels/{channel_id}/messages``; None for unknown routes
    route: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    #: parsed JSON body (for multipart requests: the parsed ``payload_json``)
    json: Any = None
    #: uploaded files: ``{"field", "filename", "size", "content_type"}``
    files: list[dict[str, Any]] = field(default_factory=list)
    #: "ok", "missing", "invalid" (bot routes) or "n/a" (webhook/interaction/CDN routes)
    auth: str = "n/a"
    status: int = 0
    #: why the stub answered unusually: "injected-500", "injected-429", "provoked-429", "nonce-dedup", ...
    note: str | None = None
    at: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        extra = f" note={self.note}" if self.note else ""
        return f"<{self.method} {self.path} -> {self.status}{extra}>"


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Callable[..., Awaitable[web.StreamResponse]]
    auth: str  # "bot" or "none"


@dataclass
class FaultRule:
    ratio: float
    rng: random.Random
    remaining: int | None
    status: int = 500
    after_commit: bool = False
    retry_after: float = 0.05
    is_global: bool = False

    def fire(self) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.rng.random() >= self.ratio:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


class Bucket:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.count = 0
        self.reset_at = 0.0

    def _roll(self, now: float) -> None:
        if now >= self.reset_at:
            self.count = 0
            self.reset_at = now + self.window

    def exhausted(self, now: float) -> bool:
        self._roll(now)
        return self.count >= self.limit

    def hit(self, now: float) -> None:
        self._roll(now)
        self.count += 1

    def headers(self, now: float, bucket_hash: str) -> dict[str, str]:
        self._roll(now)
        reset_after = max(self.reset_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - self.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }


@dataclass
class RateLimitConfig:
    enforce: bool = False
    global_per_second: int = 50
    per_channel: int = 50
    per_channel_window: float = 1.0


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")


class RestApi:
    def __init__(self, stub: DiscordStub) -> None:
        self.stub = stub
        self.routes: list[Route] = []
        self.limits = RateLimitConfig()
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.global_window: deque[float] = deque()
        self.post_failures: FaultRule | None = None
        self.post_429s: FaultRule | None = None
        self.login_fault: int | Literal["hang"] | None = None
        self.closing = asyncio.Event()  # releases a hung login when the stub closes
        self._register()

    # ---------------------------------------------------------------- routing

    def _register(self) -> None:
        r = self._route
        r("GET", "/gateway", self.get_gateway, auth="none")
        r("GET", "/gateway/bot", self.get_gateway_bot)
        r("GET", "/users/@me", self.get_me)
        r("POST", "/users/@me/channels", self.create_dm)
        r("GET", "/users/{user_id}", self.get_user)
        r("GET", "/oauth2/applications/@me", self.get_app_info)
        r("GET", "/applications/@me", self.get_app_info)
        for prefix in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
            r("GET", prefix + "/commands", self.list_commands)
            r("PUT", prefix + "/commands", self.put_commands)
            r("POST", prefix + "/commands", self.upsert_command)
            r("GET", prefix + "/commands/{command_id}", self.get_command)
            r("PATCH", prefix + "/commands/{command_id}", self.patch_command)
            r("DELETE", prefix + "/commands/{command_id}", self.delete_command)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback, auth="none")
        r("POST", "/webhooks/{app_id}/{token}", self.followup_create, auth="none")
        for method in ("GET", "PATCH", "DELETE"):
            r(method, "/webhooks/{app_id}/{token}/messages/{message_id}", self.webhook_message, auth="none")
        r("GET", "/channels/{channel_id}", self.get_channel)
        r("GET", "/channels/{channel_id}/messages", self.list_messages)
        r("POST", "/channels/{channel_id}/messages", self.create_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message)
        r("POST", "/channels/{channel_id}/threads", self.thread_without_message)
        r("POST", "/channels/{channel_id}/typing", self.typing)
        r("GET", "/guilds/{guild_id}", self.get_guild)
        r("GET", "/guilds/{guild_id}/channels", self.get_guild_channels)
        r("GET", "/guilds/{guild_id}/roles", self.get_guild_roles)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self.get_guild_member)

    def _route(
        self,
        method: str,
        template: str,
        handler: Callable[..., Awaitable[web.StreamResponse]],
        *,
        auth: str = "bot",
    ) -> None:
        self.routes.append(Route(method, template, _template_regex(template), handler, auth))

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        path_known = False
        for route in self.routes:
            m = route.regex.match(path)
            if m is None:
                continue
            path_known = True
            if route.method == method:
                return route, m.groupdict(), True
        return None, {}, path_known

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        headers = {
            k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in request.headers.items()
        }
        rec = RecordedRequest(method=request.method, path=path, query=dict(request.query), headers=headers)
        self.stub.requests.append(rec)
        try:
            response = await self._handle(request, rec, path)
        except Exception as exc:  # a stub bug: make it loud but keep the client alive
            _log.exception("stub REST handler crashed for %s %s", request.method, path)
            self.stub.internal_errors.append(f"{request.method} {path}: {exc!r}")
            response = error_response(500, 0, f"stub internal error: {exc!r}")
        rec.status = response.status
        self.stub._bump()
        return response

    async def _handle(self, request: web.Request, rec: RecordedRequest, path: str) -> web.StreamResponse:
        if request.match_info.get("version") not in ("9", "10"):
            self.stub.unknown_routes.append(
                f"{request.method} /api/v{request.match_info.get('version')}{path}"
            )
            return error_response(404, 0, "404: Not Found")
        route, params, path_known = self._match(request.method, path)
        if route is None:
            self.stub.unknown_routes.append(f"{request.method} {path}")
            if path_known:
                return error_response(405, 0, "405: Method Not Allowed")
            return error_response(404, 0, "404: Not Found")
        rec.route = f"{route.method} {route.template}"
        rec.params = params
        if route.auth == "bot":
            header = request.headers.get("Authorization")
            if header is None:
                rec.auth = "missing"
            elif header == f"Bot {self.stub.token}":
                rec.auth = "ok"
            else:
                rec.auth = "invalid"
            if rec.auth != "ok":
                return error_response(401, 0, "401: Unauthorized")
        body = await self._parse_body(request, rec)
        if isinstance(body, web.Response):
            return body
        if route.auth == "bot":
            limited = self._check_global_limit(rec)
            if limited is not None:
                return limited
        return await route.handler(request, rec, params, body)

    async def _parse_body(self, request: web.Request, rec: RecordedRequest) -> dict[str, Any] | web.Response:
        """Returns ``{"json": ..., "files": [(filename, bytes, content_type)]}`` or an error response."""
        files: list[tuple[str, bytes, str]] = []
        data: Any = None
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for name, value in form.items():
                if name == "payload_json":
                    try:
                        data = json.loads(str(value))
                    except ValueError:
                        return error_response(400, 50109, "The request body contains invalid JSON.")
                elif isinstance(value, web.FileField):
                    content = value.file.read()
                    files.append((value.filename, content, value.content_type or "application/octet-stream"))
                    rec.files.append(
                        {
                            "field": name,
                            "filename": value.filename,
                            "size": len(content),
                            "content_type": value.content_type,
                        }
                    )
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    data = json.loads(raw)
                except ValueError:
                    return error_response(400, 50109, "The request body contains invalid JSON.")
        rec.json = data
        if sum(len(f[1]) for f in files) > MAX_UPLOAD_BYTES:
            return error_response(413, 40005, "Request entity too large")
        return {"json": data, "files": files}

    # ---------------------------------------------------------------- limits and faults

    def _check_global_limit(self, rec: RecordedRequest) -> web.Response | None:
        if not self.limits.enforce:
            return None
        now = time.monotonic()
        while self.global_window and self.global_window[0] <= now - 1.0:
            self.global_window.popleft()
        if len(self.global_window) >= self.limits.global_per_second:
            retry_after = max(self.global_window[0] + 1.0 - now, 0.001)
            rec.note = "provoked-429"
            self.stub.provoked_429s += 1
            return self._too_many(retry_after, is_global=True)
        self.global_window.append(now)
        return None

    def _too_many(
        self,
        retry_after: float,
        *,
        is_global: bool,
        bucket_headers: dict[str, str] | None = None,
        scope: str = "user",
    ) -> web.Response:
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        elif bucket_headers:
            headers.update(bucket_headers)
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset-After"] = f"{retry_after:.3f}"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        if is_global:
            body["code"] = 0
        return json_response(body, status=429, headers=headers)

    def _bucket(self, rec: RecordedRequest, major: str) -> tuple[Bucket, str]:
        assert rec.route is not None
        bucket_hash = f"{abs(hash(rec.route)) % (1 << 40):010x}"
        key = (bucket_hash, major)
        limit = self.limits.per_channel
        window = self.limits.per_channel_window
        bucket = self.buckets.get(key)
        if bucket is None or bucket.limit != limit or bucket.window != window:
            bucket = self.buckets[key] = Bucket(limit, window)
        return bucket, bucket_hash

    def _route_limit(self, rec: RecordedRequest, major: str) -> tuple[web.Response | None, dict[str, str]]:
        """Per-(route, channel) bucket: headers always; a provoked 429 only in rate-limit mode."""
        now = time.monotonic()
        bucket, bucket_hash = self._bucket(rec, major)
        if self.limits.enforce and bucket.exhausted(now):
            rec.note = "provoked-429"
            self.stub.provoked_429s += 1
            retry_after = max(bucket.reset_at - now, 0.001)
            return self._too_many(
                retry_after, is_global=False, bucket_headers=bucket.headers(now, bucket_hash)
            ), {}
        bucket.hit(now)
        return None, bucket.headers(now, bucket_hash)

    def _injected_429(self, rec: RecordedRequest, rl_headers: dict[str, str]) -> web.Response | None:
        rule = self.post_429s
        if rule is None or not rule.fire():
            return None
        rec.note = "injected-429"
        self.stub.injected_429s += 1
        # a "shared" 429 does not mean the client misbehaved; keep Remaining > 0 like Discord does
        headers = dict(rl_headers)
        resp = self._too_many(rule.retry_after, is_global=rule.is_global, scope="shared")
        for k, v in headers.items():
            resp.headers.setdefault(k, v)
        return resp

    def _injected_failure(self, rec: RecordedRequest, *, after_commit: bool) -> web.Response | None:
        rule = self.post_failures
        if rule is None or rule.after_commit != after_commit or not rule.fire():
            return None
        rec.note = f"injected-{rule.status}" + ("-after-commit" if after_commit else "")
        self.stub.injected_failures += 1
        if rule.status >= 500:
            return json_response({"message": "500: Internal Server Error", "code": 0}, status=rule.status)
        return error_response(rule.status, 0, f"{rule.status}: injected")

    # ---------------------------------------------------------------- helpers

    def _channel(self, channel_id: str) -> Channel | None:
        try:
            return self.stub.channel(int(channel_id))
        except (ValueError, KeyError):
            return None

    def _bot_perms(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return Perm.DM_DEFAULT
        guild = self.stub.guilds[channel.guild_id]
        return guild.permissions_in(self.stub.bot_user_id, channel)

    def _require(self, channel: Channel, *perms: int) -> web.Response | None:
        have = self._bot_perms(channel)
        if not have & Perm.VIEW_CHANNEL:
            return error_response(403, 50001, "Missing Access")
        for perm in perms:
            if not have & perm:
                return error_response(403, 50013, "Missing Permissions")
        return None

    def _message_payload(self, msg: StoredMessage) -> dict[str, Any]:
        return msg.payload(self.stub.users)

    def _build_attachments(
        self,
        data: dict[str, Any],
        files: list[tuple[str, bytes, str]],
        keep: list[StoredAttachment] | None = None,
    ) -> list[StoredAttachment]:
        """Map ``attachments[].id`` (file index) to the uploaded ``files[n]`` parts; keep existing by id."""
        out: list[StoredAttachment] = []
        keep_by_id = {a.id: a for a in keep or []}
        specs = data.get("attachments")
        if specs is None:
            specs = [{"id": i, "filename": f[0]} for i, f in enumerate(files)]
        for spec in specs:
            raw_id = spec.get("id")
            try:
                idx = int(raw_id)
            except (TypeError, ValueError):
                continue
            if idx in keep_by_id:
                out.append(keep_by_id[idx])
            elif 0 <= idx < len(files):
                filename, content, ctype = files[idx]
                out.append(
                    self.stub._store_attachment(
                        spec.get("filename") or filename, content, ctype, description=spec.get("description")
                    )
                )
        return out

    def _new_message(
        self,
        channel: Channel,
        data: dict[str, Any],
        files: list[tuple[str, bytes, str]],
        *,
        source: str,
        flags: int | None = None,
        interaction_id: int | None = None,
        msg_type: int = 0,
    ) -> StoredMessage:
        guild = self.stub.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        content = data.get("content") or ""
        allowed = data.get("allowed_mentions")
        users, roles, everyone = resolve_mentions(content, allowed, guild)
        if data.get("message_reference") and msg_type == 0:
            msg_type = 19
        msg = StoredMessage(
            id=self.stub.snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=self.stub.bot_user_id,
            content=content,
            embeds=list(data.get("embeds") or []),
            components=list(data.get("components") or []),
            allowed_mentions=allowed,
            nonce=str(data["nonce"]) if data.get("nonce") is not None else None,
            enforce_nonce=bool(data.get("enforce_nonce")),
            flags=int(data.get("flags") or 0) if flags is None else flags,
            message_reference=data.get("message_reference"),
            attachments=self._build_attachments(data, files),
            tts=bool(data.get("tts")),
            type=msg_type,
            source=source,
            interaction_id=interaction_id,
            webhook_id=self.stub.application_id if source != "channel" else None,
            mentions=users,
            mention_roles=roles,
            mention_everyone=everyone,
            raw=data,
        )
        self.stub._store_message(msg)
        return msg

    def _apply_edit(
        self, msg: StoredMessage, data: dict[str, Any], files: list[tuple[str, bytes, str]]
    ) -> None:
        was_loading = msg.loading
        if "content" in data:
            msg.content = data["content"] or ""
        if "embeds" in data:
            msg.embeds = list(data["embeds"] or [])
        if "components" in data:
            msg.components = list(data["components"] or [])
        if "allowed_mentions" in data:
            msg.allowed_mentions = data["allowed_mentions"]
        if "flags" in data and data["flags"] is not None:
            # only SUPPRESS_EMBEDS (4) may change on edit; ephemeral/loading are kept
            msg.flags = (msg.flags & ~4) | (int(data["flags"]) & 4)
        if "attachments" in data or files:
            msg.attachments = self._build_attachments(data, files, keep=msg.attachments)
        msg.flags &= ~128
        guild = self.stub.guilds.get(msg.guild_id) if msg.guild_id is not None else None
        msg.mentions, msg.mention_roles, msg.mention_everyone = resolve_mentions(
            msg.content, msg.allowed_mentions, guild
        )
        msg.edits.append(dict(data))
        if not was_loading:
            msg.edited_timestamp = iso_now()

    @staticmethod
    def _edit_error(msg: StoredMessage, data: dict[str, Any], files: list[Any]) -> dict[str, Any] | None:
        merged = {
            "content": data.get("content", msg.content) if "content" in data else msg.content,
            "embeds": data["embeds"] if "embeds" in data else msg.embeds,
            "components": data["components"] if "components" in data else msg.components,
            "attachments": data["attachments"] if "attachments" in data else [a.id for a in msg.attachments],
        }
        return validate_message(merged, has_files=bool(files))

    # ---------------------------------------------------------------- gateway / users / app

    async def get_gateway(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        return json_response({"url": self.stub.gateway_url})

    async def get_gateway_bot(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        return json_response(
            {
                "url": self.stub.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def get_me(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        if self.login_fault == "hang":
            await self.closing.wait()
            return error_response(503, 0, "stub closing")
        if self.login_fault is not None:
            return error_response(self.login_fault, 0, f"{self.login_fault}: login refused by the stub")
        return json_response(self.stub._bot_user_full_payload())

    async def get_user(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        user = self.stub.users.get(int(p["user_id"])) if p["user_id"].isdigit() else None
        if user is None:
            return error_response(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def get_app_info(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        return json_response(self.stub._app_info_payload())

    async def create_dm(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        data = b["json"] or {}
        try:
            user_id = int(data["recipient_id"])
        except (KeyError, TypeError, ValueError):
            return json_response({"code": 50035, "message": "Invalid Form Body"}, status=400)
        if user_id == self.stub.bot_user_id:
            return error_response(400, 50007, "Cannot send messages to this user")
        channel = self.stub.dm_channel(user_id)
        return json_response(channel.payload(self.stub.users))

    # ---------------------------------------------------------------- application commands

    def _command_scope(self, p: dict[str, str]) -> tuple[int | None, web.Response | None]:
        if int(p["app_id"]) != self.stub.application_id:
            return None, error_response(403, 50001, "Missing Access")
        guild_id = p.get("guild_id")
        if guild_id is None:
            return None, None
        if int(guild_id) not in self.stub.guilds:
            return None, error_response(403, 50001, "Missing Access")
        return int(guild_id), None

    def _store_command(
        self, scope: int | None, spec: dict[str, Any], existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        stored = {
            "id": existing["id"] if existing else str(self.stub.snowflake()),
            "application_id": str(self.stub.application_id),
            "version": str(self.stub.snowflake()),
            "type": int(spec.get("type", 1)),
            "name": spec["name"],
            "name_localizations": spec.get("name_localizations"),
            "description": spec.get("description", ""),
            "description_localizations": spec.get("description_localizations"),
            "default_member_permissions": spec.get("default_member_permissions"),
            "dm_permission": spec.get("dm_permission", True),
            "contexts": spec.get("contexts"),
            "integration_types": spec.get("integration_types", [0]),
            "nsfw": bool(spec.get("nsfw", False)),
        }
        if spec.get("options"):
            stored["options"] = spec["options"]
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    async def list_commands(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        scope, err = self._command_scope(p)
        if err:
            return err
        return json_response(list(self.stub.commands.get(scope, [])))

    async def put_commands(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        scope, err = self._command_scope(p)
        if err:
            return err
        specs = b["json"]
        if not isinstance(specs, list):
            return json_response({"code": 50035, "message": "Invalid Form Body"}, status=400)
        error = validate_commands(specs)
        if error:
            return json_response(error, status=400)
        old = {(c["name"], c["type"]): c for c in self.stub.commands.get(scope, [])}
        stored = [self._store_command(scope, s, old.get((s["name"], int(s.get("type", 1))))) for s in specs]
        self.stub.commands[scope] = stored
        self.stub.command_syncs[scope] = self.stub.command_syncs.get(scope, 0) + 1
        return json_response(stored)

    async def upsert_command(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        scope, err = self._command_scope(p)
        if err:
            return err
        spec = b["json"]
        if not isinstance(spec, dict):
            return json_response({"code": 50035, "message": "Invalid Form Body"}, status=400)
        error = validate_commands([spec])
        if error:
            return json_response(error, status=400)
        current = self.stub.commands.setdefault(scope, [])
        key = (spec["name"], int(spec.get("type", 1)))
        for i, cmd in enumerate(current):
            if (cmd["name"], cmd["type"]) == key:
                current[i] = self._store_command(scope, spec, cmd)
                return json_response(current[i])
        stored = self._store_command(scope, spec, None)
        current.append(stored)
        return json_response(stored, status=201)

    def _find_command(self, scope: int | None, command_id: str) -> dict[str, Any] | None:
        return next((c for c in self.stub.commands.get(scope, []) if c["id"] == command_id), None)

    async def get_command(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        scope, err = self._command_scope(p)
        if err:
            return err
        cmd = self._find_command(scope, p["command_id"])
        return json_response(cmd) if cmd else error_response(404, 10063, "Unknown application command")

    async def patch_command(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        scope, err = self._command_scope(p)
        if err:
            return err
        cmd = self._find_command(scope, p["command_id"])
        if cmd is None:
            return error_response(404, 10063, "Unknown application command")
        cmd.update({k: v for k, v in (b["json"] or {}).items() if k not in ("id", "application_id")})
        return json_response(cmd)

    async def delete_command(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        scope, err = self._command_scope(p)
        if err:
            return err
        cmd = self._find_command(scope, p["command_id"])
        if cmd is None:
            return error_response(404, 10063, "Unknown application command")
        self.stub.commands[scope].remove(cmd)
        return no_content()

    # ---------------------------------------------------------------- interactions

    async def interaction_callback(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        inter = (
            self.stub.interactions.get(int(p["interaction_id"])) if p["interaction_id"].isdigit() else None
        )
        if inter is None:
            return error_response(404, 10062, "Unknown interaction")
        if p["token"] != inter.token:
            return error_response(401, 50027, "Invalid Webhook Token")
        if inter.callbacks:
            return error_response(400, 40060, "Interaction has already been acknowledged.")
        deadline = self.stub.ack_deadline
        if deadline is not None and time.monotonic() - inter.dispatched_at > deadline:
            inter.expired = True
            return error_response(404, 10062, "Unknown interaction")
        body = b["json"] or {}
        cb_type = int(body.get("type", 0))
        data = body.get("data") or {}
        channel = self.stub.channel(inter.channel_id)
        message: StoredMessage | None = None
        if cb_type == 4:
            error = validate_message(data, has_files=bool(b["files"]))
            if error:
                return json_response(error, status=400)
            message = self._new_message(
                channel,
                data,
                b["files"],
                source="interaction",
                interaction_id=inter.id,
                msg_type=20,
                flags=int(data.get("flags") or 0) & (64 | 4 | 4096 | 32768),
            )
            inter.original = message
        elif cb_type == 5:
            flags = (int(data.get("flags") or 0) & 64) | 128
            message = self._new_message(
                channel,
                {"content": ""},
                [],
                source="interaction",
                interaction_id=inter.id,
                msg_type=20,
                flags=flags,
            )
            inter.original = message
        elif cb_type == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                return json_response({"code": 50035, "message": "Invalid Form Body"}, status=400)
            inter.choices = choices
        elif cb_type not in (1, 6, 7, 9, 10, 12):
            return json_response({"code": 50035, "message": "Invalid interaction callback type"}, status=400)
        inter.callbacks.append(body)
        self.stub._bump()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        info: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
        result: dict[str, Any] = {"interaction": info}
        if message is not None:
            info["response_message_id"] = str(message.id)
            info["response_message_loading"] = message.loading
            info["response_message_ephemeral"] = message.ephemeral
            result["resource"] = {"type": cb_type, "message": self._message_payload(message)}
        else:
            result["resource"] = {"type": cb_type}
        return json_response(result)

    def _interaction_for_token(
        self, p: dict[str, str]
    ) -> tuple[InteractionRecord | None, web.Response | None]:
        if not p["app_id"].isdigit() or int(p["app_id"]) != self.stub.application_id:
            return None, error_response(404, 10015, "Unknown Webhook")
        inter = self.stub.interactions_by_token.get(p["token"])
        if inter is None or not inter.callbacks:
            return None, error_response(404, 10015, "Unknown Webhook")
        return inter, None

    async def followup_create(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        inter, err = self._interaction_for_token(p)
        if err:
            return err
        assert inter is not None
        data = b["json"] or {}
        error = validate_message(data, has_files=bool(b["files"]))
        if error:
            return json_response(error, status=400)
        channel = self.stub.channel(inter.channel_id)
        thread_id = request.query.get("thread_id")
        if thread_id:
            target = self._channel(thread_id)
            if target is None:
                return error_response(404, 10003, "Unknown Channel")
            channel = target
        original = inter.original
        if original is not None and original.loading and thread_id is None:
            # Discord: the first follow-up after a deferred response *becomes* the original response
            # (keeping the defer's ephemeral flag); it is not a separate message.
            self._apply_edit(original, {k: v for k, v in data.items() if k != "flags"}, b["files"])
            original.edits.pop()
            original.raw = data
            inter.completed_by_followup = True
            msg = original
        else:
            msg = self._new_message(
                channel,
                data,
                b["files"],
                source="followup",
                interaction_id=inter.id,
                flags=int(data.get("flags") or 0) & (64 | 4 | 4096 | 32768),
            )
            inter.followups.append(msg)
        self.stub._bump()
        _, headers = self._route_limit_soft(rec, p["token"])
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(self._message_payload(msg), headers=headers)
        return no_content(headers)

    def _route_limit_soft(self, rec: RecordedRequest, major: str) -> tuple[None, dict[str, str]]:
        """Webhook routes: rate-limit headers only (never a provoked 429)."""
        now = time.monotonic()
        bucket, bucket_hash = self._bucket(rec, major)
        bucket.hit(now)
        return None, bucket.headers(now, bucket_hash)

    async def webhook_message(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        inter, err = self._interaction_for_token(p)
        if err:
            return err
        assert inter is not None
        if p["message_id"] == "@original":
            msg = inter.original
        else:
            msg = next((m for m in inter.all_messages if str(m.id) == p["message_id"]), None)
        if msg is None or msg.deleted:
            return error_response(404, 10008, "Unknown Message")
        if request.method == "GET":
            return json_response(self._message_payload(msg))
        if request.method == "DELETE":
            msg.deleted = True
            self.stub._bump()
            return no_content()
        data = b["json"] or {}
        error = self._edit_error(msg, data, b["files"])
        if error:
            return json_response(error, status=400)
        self._apply_edit(msg, data, b["files"])
        self.stub._bump()
        _, headers = self._route_limit_soft(rec, p["token"])
        return json_response(self._message_payload(msg), headers=headers)

    # ---------------------------------------------------------------- channels and messages

    async def get_channel(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        if channel.guild_id is not None and not self._bot_perms(channel) & Perm.VIEW_CHANNEL:
            return error_response(403, 50001, "Missing Access")
        return json_response(channel.payload(self.stub.users))

    async def create_message(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        limited, rl_headers = self._route_limit(rec, str(channel.id))
        if limited is not None:
            return limited
        injected = self._injected_429(rec, rl_headers) or self._injected_failure(rec, after_commit=False)
        if injected is not None:
            return injected
        if channel.is_dm:
            if channel.recipient_id in self.stub.closed_dms:
                return error_response(403, 50007, "Cannot send messages to this user", headers=rl_headers)
        else:
            needed = [Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES]
            if b["files"]:
                needed.append(Perm.ATTACH_FILES)
            denied = self._require(channel, *needed)
            if denied is not None:
                return denied
            if channel.is_thread and channel.archived and channel.locked:
                return error_response(400, 50083, "Thread is archived")
        data = b["json"] or {}
        if not isinstance(data, dict):
            return json_response({"code": 50035, "message": "Invalid Form Body"}, status=400)
        error = validate_message(data, has_files=bool(b["files"]))
        if error:
            return json_response(error, status=400)
        nonce = data.get("nonce")
        if nonce is not None and data.get("enforce_nonce"):
            existing = self.stub._find_by_nonce(channel.id, str(nonce))
            if existing is not None:
                rec.note = "nonce-dedup"
                self.stub.nonce_dedup_hits += 1
                return json_response(self._message_payload(existing), headers=rl_headers)
        ref = data.get("message_reference")
        if ref and ref.get("message_id") is not None and ref.get("fail_if_not_exists", True):
            ref_channel = int(ref.get("channel_id") or channel.id)
            if self.stub.get_message(ref_channel, int(ref["message_id"])) is None:
                return json_response(
                    {
                        "code": 50035,
                        "message": "Invalid Form Body",
                        "errors": {
                            "message_reference": {
                                "_errors": [
                                    {
                                        "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                        "message": "Unknown message",
                                    }
                                ]
                            }
                        },
                    },
                    status=400,
                )
        msg = self._new_message(
            channel, data, b["files"], source="channel", flags=int(data.get("flags") or 0) & 4100
        )
        failed = self._injected_failure(rec, after_commit=True)
        if failed is not None:
            return failed
        return json_response(self._message_payload(msg), headers=rl_headers)

    async def list_messages(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        limited, rl_headers = self._route_limit(rec, str(channel.id))
        if limited is not None:
            return limited
        if channel.guild_id is not None:
            denied = self._require(channel, Perm.READ_MESSAGE_HISTORY)
            if denied is not None:
                return denied
        msgs = [m for m in self.stub.messages_in(channel.id)]
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            msgs = [m for m in msgs if m.id < int(before)]
        if after:
            msgs = [m for m in msgs if m.id > int(after)]
        limit = max(1, min(int(request.query.get("limit", 50)), 100))
        msgs = sorted(msgs, key=lambda m: m.id, reverse=True)
        if after and not before:
            msgs = sorted(msgs, key=lambda m: m.id)[:limit][::-1]
        else:
            msgs = msgs[:limit]
        return json_response([self._message_payload(m) for m in msgs], headers=rl_headers)

    async def get_message(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        msg = self.stub.get_message(channel.id, int(p["message_id"]))
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        return json_response(self._message_payload(msg))

    async def edit_message(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        limited, rl_headers = self._route_limit(rec, str(channel.id))
        if limited is not None:
            return limited
        msg = self.stub.get_message(channel.id, int(p["message_id"]))
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        if msg.author_id != self.stub.bot_user_id:
            return error_response(403, 50005, "Cannot edit a message authored by another user")
        data = b["json"] or {}
        error = self._edit_error(msg, data, b["files"])
        if error:
            return json_response(error, status=400)
        self._apply_edit(msg, data, b["files"])
        self.stub._bump()
        return json_response(self._message_payload(msg), headers=rl_headers)

    async def delete_message(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        limited, rl_headers = self._route_limit(rec, str(channel.id))
        if limited is not None:
            return limited
        msg = self.stub.get_message(channel.id, int(p["message_id"]))
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        if msg.author_id != self.stub.bot_user_id:
            denied = self._require(channel, Perm.MANAGE_MESSAGES)
            if denied is not None:
                return denied
        msg.deleted = True
        self.stub._bump()
        return no_content(rl_headers)

    async def typing(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        return no_content()

    def _create_thread(
        self, parent: Channel, data: dict[str, Any], *, thread_id: int, thread_type: int
    ) -> Channel | web.Response:
        name = str(data.get("name") or "")
        if not 1 <= len(name) <= 100:
            return json_response({"code": 50035, "message": "Invalid Form Body"}, status=400)
        assert parent.guild_id is not None
        thread = Channel(
            id=thread_id,
            type=thread_type,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.stub.bot_user_id,
            auto_archive_duration=int(data.get("auto_archive_duration") or 1440),
        )
        self.stub.guilds[parent.guild_id].channels[thread.id] = thread
        payload = thread.payload()
        self.stub.gateway.dispatch_soon(
            "THREAD_CREATE", {**payload, "newly_created": True}, intent=Intent.GUILDS
        )
        self.stub._bump()
        return thread

    async def thread_from_message(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        limited, _ = self._route_limit(rec, str(channel.id))
        if limited is not None:
            return limited
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            return error_response(400, 50024, "Cannot execute action on this channel type")
        msg = self.stub.get_message(channel.id, int(p["message_id"]))
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        denied = self._require(channel, Perm.CREATE_PUBLIC_THREADS)
        if denied is not None:
            return denied
        if msg.thread_id is not None:
            return error_response(400, 160004, "A thread has already been created for this message")
        thread_type = (
            ChannelType.ANNOUNCEMENT_THREAD if channel.type == ChannelType.GUILD_ANNOUNCEMENT else 11
        )
        result = self._create_thread(channel, b["json"] or {}, thread_id=msg.id, thread_type=thread_type)
        if isinstance(result, web.Response):
            return result
        msg.thread_id = result.id
        return json_response(result.payload(), status=201)

    async def thread_without_message(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        channel = self._channel(p["channel_id"])
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            return error_response(400, 50024, "Cannot execute action on this channel type")
        data = b["json"] or {}
        thread_type = int(data.get("type") or ChannelType.PRIVATE_THREAD)
        perm = (
            Perm.CREATE_PRIVATE_THREADS
            if thread_type == ChannelType.PRIVATE_THREAD
            else Perm.CREATE_PUBLIC_THREADS
        )
        denied = self._require(channel, perm)
        if denied is not None:
            return denied
        result = self._create_thread(channel, data, thread_id=self.stub.snowflake(), thread_type=thread_type)
        if isinstance(result, web.Response):
            return result
        return json_response(result.payload(), status=201)

    # ---------------------------------------------------------------- guilds

    async def get_guild(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        guild = self.stub.guilds.get(int(p["guild_id"])) if p["guild_id"].isdigit() else None
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        payload = guild.payload(users=self.stub.users)
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large"):
            payload.pop(key, None)
        return json_response(payload)

    async def get_guild_channels(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        guild = self.stub.guilds.get(int(p["guild_id"])) if p["guild_id"].isdigit() else None
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        return json_response([c.payload() for c in guild.channels.values() if not c.is_thread])

    async def get_guild_roles(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        guild = self.stub.guilds.get(int(p["guild_id"])) if p["guild_id"].isdigit() else None
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        return json_response([r.payload() for r in guild.roles.values()])

    async def get_guild_member(
        self, request: web.Request, rec: RecordedRequest, p: dict[str, str], b: Any
    ) -> web.Response:
        guild = self.stub.guilds.get(int(p["guild_id"])) if p["guild_id"].isdigit() else None
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        member = guild.members.get(int(p["user_id"])) if p["user_id"].isdigit() else None
        if member is None:
            return error_response(404, 10007, "Unknown Member")
        return json_response(member.payload(self.stub.users[member.user_id]))
