"""Loopback Discord stub for end-to-end tests; see :mod:`tests.stub.discord_stub` for the API."""

from __future__ import annotations

from tests.stub.discord_stub import (
    ANY,
    ChannelType,
    CommandNotAvailable,
    DiscordStub,
    DispatchRecord,
    Intent,
    InteractionResult,
    Perm,
    RecordedRequest,
    StoredMessage,
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
