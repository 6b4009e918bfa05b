"""Platform-neutral replies: what the bot says, before Discord or the console renders it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CardField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """One embed-shaped block of content."""

    title: str | None = None
    description: str = ""
    fields: tuple[CardField, ...] = ()
    url: str | None = None
    footer: str | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole answer: optional plain text plus cards. `ephemeral` is a hint for chat platforms."""

    text: str = ""
    cards: tuple[Card, ...] = field(default_factory=tuple)
    ephemeral: bool = False
