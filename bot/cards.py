"""Platform-neutral replies: what the bot says, before a platform renders it.

`text`, `description` and field values are `Content`: neutral markup (`bot.markup`) or a str of literal text.
Titles, field names and footers are literal text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.markup import Content


@dataclass(frozen=True, slots=True)
class CardField:
    name: str
    value: Content
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """One embed-shaped block of content."""

    title: str | None = None
    description: Content = ""
    fields: tuple[CardField, ...] = ()
    url: str | None = None
    footer: str | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole answer: optional text plus cards. `ephemeral` is a hint for chat platforms."""

    text: Content = ""
    cards: tuple[Card, ...] = field(default_factory=tuple)
    ephemeral: bool = False
