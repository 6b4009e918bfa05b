"""Data model of the loopback Discord stub: ids, permissions, guilds, channels, messages, payloads.

Nothing in here does I/O; :mod:`tests.stub.rest` and :mod:`tests.stub.gateway` drive it and
:mod:`tests.stub.discord_stub` exposes it to tests.  All payload builders produce JSON-ready dicts
shaped like Discord API v10 objects (snowflakes as strings, ISO-8601 timestamps with an offset).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeFactory:
    """Time-based, strictly increasing snowflakes (so ``discord.utils.snowflake_time`` is "now").

    discord.py derives ``Interaction.created_at``/``expires_at`` from the interaction id, so tiny
    fake ids would make every interaction look 10 years old.
    """

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


# --------------------------------------------------------------------------------------------
# Permissions


class Perm:
    """Discord permission bits (a subset; values as documented by Discord)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40

    ALL = (1 << 53) - 1
    #: every channel-scoped bit (discord.py's ``Permissions.all_channel()``), lost without VIEW_CHANNEL
    ALL_CHANNEL = 8555290110197585
    #: voice-only bits; text channels and threads never have them (discord.py strips them too)
    VOICE_ONLY = 321607217185536
    #: What a fresh guild's @everyone role gets on Discord (roughly).
    DEFAULT_EVERYONE = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | MENTION_EVERYONE
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | USE_EXTERNAL_STICKERS
        | SEND_MESSAGES_IN_THREADS
    )
    #: What ``app_permissions`` looks like in a DM with the bot.
    DM_DEFAULT = (
        ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | MENTION_EVERYONE
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
    )


class Intent:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1  # privileged
    GUILD_PRESENCES = 1 << 8  # privileged
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15  # privileged
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class ChannelType:
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    THREADS = (10, 11, 12)


def _to_int(value: Any) -> int:
    """Accept ints, numeric strings and objects with ``.value`` (e.g. ``discord.Permissions``)."""
    if value is None:
        return 0
    if hasattr(value, "value"):
        value = value.value
    return int(value)


# --------------------------------------------------------------------------------------------
# Entities


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 1
    managed: bool = False
    mentionable: bool = False

    @classmethod
    def from_spec(cls, spec: Role | Mapping[str, Any]) -> Role:
        if isinstance(spec, Role):
            return spec
        return cls(
            id=int(spec["id"]),
            name=str(spec.get("name", f"role-{spec['id']}")),
            permissions=_to_int(spec.get("permissions", 0)),
            position=int(spec.get("position", 1)),
            managed=bool(spec.get("managed", False)),
            mentionable=bool(spec.get("mentionable", False)),
        )

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass
class Overwrite:
    """A permission overwrite; ``type`` 0 = role, 1 = member."""

    id: int
    type: int = 0
    allow: int = 0
    deny: int = 0

    @classmethod
    def from_spec(cls, spec: Overwrite | Mapping[str, Any]) -> Overwrite:
        if isinstance(spec, Overwrite):
            return spec
        kind = spec.get("type", 0)
        if kind == "role":
            kind = 0
        elif kind == "member":
            kind = 1
        return cls(
            id=int(spec["id"]),
            type=int(kind),
            allow=_to_int(spec.get("allow", 0)),
            deny=_to_int(spec.get("deny", 0)),
        )

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


def overwrite(target_id: int, *, member: bool = False, allow: Any = 0, deny: Any = 0) -> Overwrite:
    """Convenience constructor: ``overwrite(stub.bot_user_id, member=True, deny=Perm.SEND_MESSAGES)``."""
    return Overwrite(id=int(target_id), type=1 if member else 0, allow=_to_int(allow), deny=_to_int(deny))


@dataclass
class Channel:
    id: int
    type: int = ChannelType.GUILD_TEXT
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[Overwrite] = field(default_factory=list)
    # DM only
    recipient_id: int | None = None
    # threads only
    owner_id: int | None = None
    auto_archive_duration: int = 1440
    archived: bool = False
    locked: bool = False
    created_at: str = field(default_factory=iso_now)
    last_message_id: int | None = None
    message_count: int = 0

    @classmethod
    def from_spec(cls, spec: Channel | Mapping[str, Any], guild_id: int) -> Channel:
        if isinstance(spec, Channel):
            spec.guild_id = guild_id
            return spec
        raw_overwrites = spec.get("permission_overwrites", spec.get("overwrites", ()))
        return cls(
            id=int(spec["id"]),
            type=int(spec.get("type", ChannelType.GUILD_TEXT)),
            name=str(spec.get("name", f"channel-{spec['id']}")),
            guild_id=guild_id,
            position=int(spec.get("position", 0)),
            parent_id=int(spec["parent_id"]) if spec.get("parent_id") is not None else None,
            topic=spec.get("topic"),
            nsfw=bool(spec.get("nsfw", False)),
            overwrites=[Overwrite.from_spec(o) for o in raw_overwrites],
        )

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM

    def payload(self, users: Mapping[int, User] | None = None) -> dict[str, Any]:
        if self.is_dm:
            recipients = []
            if users is not None and self.recipient_id in users:
                recipients = [users[self.recipient_id].payload()]
            return {
                "id": str(self.id),
                "type": self.type,
                "last_message_id": str(self.last_message_id) if self.last_message_id else None,
                "flags": 0,
                "recipients": recipients,
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id) if self.guild_id is not None else None,
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id is not None else None,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "nsfw": self.nsfw,
        }
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id),
                message_count=self.message_count,
                member_count=1,
                total_message_sent=self.message_count,
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": self.created_at,
                    "locked": self.locked,
                    "create_timestamp": self.created_at,
                },
            )
        else:
            data.update(
                position=self.position,
                topic=self.topic,
                permission_overwrites=[o.payload() for o in self.overwrites],
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
            )
        return data


def text_channel(
    channel_id: int,
    name: str,
    *,
    overwrites: Iterable[Overwrite | Mapping[str, Any]] = (),
    position: int = 0,
    parent_id: int | None = None,
    topic: str | None = None,
) -> dict[str, Any]:
    """Channel spec for :meth:`DiscordStub.add_guild`."""
    return {
        "id": channel_id,
        "name": name,
        "type": ChannelType.GUILD_TEXT,
        "position": position,
        "parent_id": parent_id,
        "topic": topic,
        "permission_overwrites": list(overwrites),
    }


@dataclass
class Member:
    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    def payload(self, user: User, *, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": user.payload(),
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    locale: str = "en-US"
    joined_at: str = field(default_factory=iso_now)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def base_permissions(self, user_id: int, *, roles: Iterable[int] | None = None) -> int:
        if user_id == self.owner_id:
            return Perm.ALL
        member = self.members.get(user_id)
        role_ids = list(roles) if roles is not None else (member.roles if member else [])
        perms = self.everyone.permissions
        for role_id in role_ids:
            role = self.roles.get(int(role_id))
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        return perms

    def permissions_in(self, user_id: int, channel: Channel, *, roles: Iterable[int] | None = None) -> int:
        """Discord's permission algorithm (same order as discord.py's ``permissions_for``)."""
        base = self.base_permissions(user_id, roles=roles)
        if base == Perm.ALL:
            return Perm.ALL
        target = channel
        if channel.is_thread and channel.parent_id in self.channels:
            target = self.channels[channel.parent_id]
        member = self.members.get(user_id)
        role_ids = {int(r) for r in (roles if roles is not None else (member.roles if member else []))}
        role_allow = role_deny = 0
        member_ow: Overwrite | None = None
        for ow in target.overwrites:
            if ow.type == 0 and ow.id == self.id:
                base = (base & ~ow.deny) | ow.allow
            elif ow.type == 0 and ow.id in role_ids:
                role_allow |= ow.allow
                role_deny |= ow.deny
            elif ow.type == 1 and ow.id == user_id:
                member_ow = ow
        base = (base & ~role_deny) | role_allow
        if member_ow is not None:
            base = (base & ~member_ow.deny) | member_ow.allow
        if not base & Perm.SEND_MESSAGES:
            base &= ~(Perm.SEND_TTS_MESSAGES | Perm.MENTION_EVERYONE | Perm.EMBED_LINKS | Perm.ATTACH_FILES)
        if not base & Perm.VIEW_CHANNEL:
            base &= ~Perm.ALL_CHANNEL
        if target.type in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            base &= ~Perm.VOICE_ONLY
        return base

    def payload(
        self, *, users: Mapping[int, User], include_members: Iterable[int] | None = None
    ) -> dict[str, Any]:
        member_ids = list(self.members) if include_members is None else list(include_members)
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.locale,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "features": [],
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": self.joined_at,
            "large": False,
            "member_count": len(self.members),
            "members": [
                self.members[uid].payload(users[uid])
                for uid in member_ids
                if uid in self.members and uid in users
            ],
            "channels": [c.payload() for c in self.channels.values() if not c.is_thread],
            "threads": [c.payload() for c in self.channels.values() if c.is_thread],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class StoredAttachment:
    id: int
    filename: str
    data: bytes
    content_type: str
    url: str
    description: str | None = None

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass
class StoredMessage:
    """A message as the stub stored it (channel message, interaction response or follow-up)."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    nonce: str | None = None
    enforce_nonce: bool = False
    flags: int = 0
    message_reference: dict[str, Any] | None = None
    attachments: list[StoredAttachment] = field(default_factory=list)
    tts: bool = False
    type: int = 0
    #: "channel" (POST /channels/{id}/messages), "interaction" (callback / @original) or "followup"
    source: str = "channel"
    interaction_id: int | None = None
    webhook_id: int | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    #: the raw PATCH bodies applied to this message, in order
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    thread_id: int | None = None
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    #: the create body exactly as received
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def loading(self) -> bool:
        return bool(self.flags & 128)

    @property
    def edited(self) -> bool:
        return bool(self.edits)

    @property
    def text(self) -> str:
        """Content plus every human-readable embed string, newline-joined (handy for ``in`` asserts)."""
        parts = [self.content]
        for embed in self.embeds:
            parts.extend(str(embed[k]) for k in ("title", "description") if embed.get(k))
            for fld in embed.get("fields", []) or []:
                parts.extend([str(fld.get("name", "")), str(fld.get("value", ""))])
            for k in ("footer", "author"):
                sub = embed.get(k) or {}
                text = sub.get("text") or sub.get("name")
                if text:
                    parts.append(str(text))
        return "\n".join(p for p in parts if p)

    def payload(self, users: Mapping[int, User]) -> dict[str, Any]:
        author = users[self.author_id].payload() if self.author_id in users else {"id": str(self.author_id)}
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": author,
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": self.mention_everyone,
            "mentions": [users[u].payload() for u in self.mentions if u in users],
            "mention_roles": [str(r) for r in self.mention_roles],
            "mention_channels": [],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "reactions": [],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.source != "channel":
            data["application_id"] = str(self.webhook_id) if self.webhook_id is not None else None
        if self.message_reference is not None:
            ref = dict(self.message_reference)
            ref.setdefault("channel_id", str(self.channel_id))
            data["message_reference"] = ref
        return data


# --------------------------------------------------------------------------------------------
# Mentions and validation

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def resolve_mentions(
    content: str, allowed: Mapping[str, Any] | None, guild: Guild | None
) -> tuple[list[int], list[int], bool]:
    """Which users/roles/@everyone a message *actually* pings, honouring ``allowed_mentions``."""
    users = [int(u) for u in dict.fromkeys(_USER_MENTION.findall(content or ""))]
    roles = [int(r) for r in dict.fromkeys(_ROLE_MENTION.findall(content or ""))]
    everyone = "@everyone" in (content or "") or "@here" in (content or "")
    if allowed is not None:
        parse = set(allowed.get("parse") or [])
        allowed_users = {int(u) for u in allowed.get("users") or []}
        allowed_roles = {int(r) for r in allowed.get("roles") or []}
        users = [u for u in users if "users" in parse or u in allowed_users]
        roles = [r for r in roles if "roles" in parse or r in allowed_roles]
        everyone = everyone and "everyone" in parse
    if guild is not None:
        roles = [r for r in roles if r in guild.roles]
    return users, roles, everyone


def form_error(path: str, code: str, message: str) -> dict[str, Any]:
    """A Discord 50035 "Invalid Form Body" error body for one field path like ``embeds.0.title``."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        errors = {part: errors}
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


_EMBED_LIMITS = {"title": 256, "description": 4096}


def validate_message(data: Mapping[str, Any], *, has_files: bool) -> dict[str, Any] | None:
    """Discord's message limits. Returns an error body (for a 400) or None when valid."""
    content = data.get("content") or ""
    if len(content) > 2000:
        return form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = data.get("embeds") or []
    if len(embeds) > 10:
        return form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in _EMBED_LIMITS.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                return form_error(
                    f"embeds.{i}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
                )
        fields = embed.get("fields") or []
        if len(fields) > 25:
            return form_error(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            name, value = fld.get("name") or "", fld.get("value") or ""
            total += len(name) + len(value)
            if not name or len(name) > 256:
                return form_error(
                    f"embeds.{i}.fields.{j}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 256."
                )
            if not value or len(value) > 1024:
                return form_error(
                    f"embeds.{i}.fields.{j}.value", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 1024."
                )
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > 2048:
            return form_error(
                f"embeds.{i}.footer.text", "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."
            )
        if len(author) > 256:
            return form_error(
                f"embeds.{i}.author.name", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."
            )
    if total > 6000:
        return form_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    empty = (
        not content and not embeds and not has_files and not data.get("components") and not data.get("poll")
    )
    empty = empty and not data.get("sticker_ids") and not data.get("attachments")
    if empty:
        return {"code": 50006, "message": "Cannot send an empty message"}
    return None


_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def validate_commands(commands: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """A light version of Discord's application-command validation (the mistakes bots actually make)."""
    if len(commands) > 100:
        return form_error("_", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        kind = int(cmd.get("type", 1))
        name = str(cmd.get("name", ""))
        key = (name, kind)
        if key in seen:
            return {"code": 50041, "message": "Application command names must be unique"}
        seen.add(key)
        if kind == 1:
            error = _validate_chat_input(cmd, str(i))
            if error:
                return error
        elif not 1 <= len(name) <= 32:
            return form_error(f"{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    return None


def _validate_chat_input(node: Mapping[str, Any], path: str) -> dict[str, Any] | None:
    name = str(node.get("name", ""))
    if not _COMMAND_NAME.match(name) or name != name.lower():
        return form_error(f"{path}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    description = str(node.get("description", ""))
    if not 1 <= len(description) <= 100:
        return form_error(
            f"{path}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    options = node.get("options") or []
    if len(options) > 25:
        return form_error(f"{path}.options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    for j, opt in enumerate(options):
        opt_path = f"{path}.options.{j}"
        if opt.get("name") in names:
            return form_error(
                f"{opt_path}.name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "duplicate"
            )
        names.add(opt.get("name"))
        if int(opt.get("type", 3)) in (1, 2):
            error = _validate_chat_input(opt, opt_path)
            if error:
                return error
            continue
        error = _validate_chat_input({**opt, "options": []}, opt_path)
        if error:
            return error
        if opt.get("required"):
            if seen_optional:
                return form_error(
                    f"{opt_path}.required",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        if len(opt.get("choices") or []) > 25:
            return form_error(f"{opt_path}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if opt.get("choices") and opt.get("autocomplete"):
            return form_error(
                f"{opt_path}.autocomplete",
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                "choices and autocomplete",
            )
    return None
