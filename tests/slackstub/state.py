"""The loopback Slack's world: workspaces, channels, users and every message the app posted."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

# What would really notify someone in Slack mrkdwn: special mentions, users, user groups.
PING_PATTERN = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<@[UW][A-Z0-9]+(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+")


@dataclass
class SlackUser:
    id: str
    team_id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    tz: str = "UTC"
    is_bot: bool = False
    dms_blocked: bool = False


@dataclass
class SlackChannel:
    id: str
    team_id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False
    user: str | None = None  # the other member of an IM
    members: set[str] = field(default_factory=set)


@dataclass
class SlackMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    metadata: dict[str, Any] | None
    user: str
    source: str  # "chat.postMessage", "chat.postEphemeral", "response_url", "ack"
    ephemeral: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)
    visible_to: str | None = None  # the one user who sees an ephemeral message
    replace_original: bool = False  # a response_url message that takes the place of the clicked one

    @property
    def all_text(self) -> str:
        """The text and every text field of the blocks, as a reader would see them."""
        parts = [self.text or ""]
        parts.extend(_block_texts(self.blocks))
        return "\n".join(part for part in parts if part)

    @property
    def pings(self) -> list[str]:
        return PING_PATTERN.findall(self.all_text)


def _block_texts(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        text = value.get("text")
        if isinstance(text, str):
            found.append(text)
        for key, item in value.items():
            if key != "text" or not isinstance(item, str):
                found.extend(_block_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_block_texts(item))
    return found


class Workspaces:
    """Every team, channel, user and message the stub knows; ids look like Slack's."""

    def __init__(self) -> None:
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, SlackChannel] = {}
        self.messages: list[SlackMessage] = []
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    def next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def add_user(self, user: SlackUser) -> SlackUser:
        self.users[user.id] = user
        return user

    def add_channel(self, channel: SlackChannel) -> SlackChannel:
        self.channels[channel.id] = channel
        return channel

    def im_with(self, user_id: str, bot_user_id: str) -> SlackChannel:
        for channel in self.channels.values():
            if channel.is_im and channel.user == user_id:
                return channel
        user = self.users[user_id]
        return self.add_channel(
            SlackChannel(
                id=self.new_id("D"), team_id=user.team_id, name="", is_im=True, user=user_id,
                members={user_id, bot_user_id},
            )
        )

    def find_message(self, channel: str, ts: str) -> SlackMessage | None:
        for message in self.messages:
            if message.channel == channel and message.ts == ts and not message.ephemeral:
                return message
        return None

    def history(self, channel: str) -> list[SlackMessage]:
        """Top-level messages of a channel, newest first, as conversations.history returns them."""
        top = [m for m in self.messages if m.channel == channel and not m.ephemeral and m.thread_ts in (None, m.ts)]
        return sorted(top, key=lambda m: m.ts, reverse=True)

    def replies(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        """The parent then its replies, oldest first, as conversations.replies returns them."""
        thread = [
            m for m in self.messages
            if m.channel == channel and not m.ephemeral and (m.ts == thread_ts or m.thread_ts == thread_ts)
        ]
        return sorted(thread, key=lambda m: m.ts)
