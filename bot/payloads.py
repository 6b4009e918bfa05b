"""A message part as stored in the outbox: plain JSON, rendered for the platform at send time.

The stored form is versioned (`"v": 2`): text that may carry markup (content, descriptions, field values) is
`bot.markup.to_json` (a string is literal text, a list is markup). Rows written before markup existed have no
`"v"`: their strings are the chat Markdown the core wrote then, and load as the markup they meant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot import markup
from bot.cards import Card, CardField
from bot.ids import split
from bot.limits import MessagePart
from bot.markup import Content, Kind

VERSION = 2


@dataclass(frozen=True, slots=True)
class ThreadSpec:
    """Post into the channel's thread for this story, opening it under a status card the first time."""

    story_id: int
    name: str
    card: Card


@dataclass(frozen=True, slots=True)
class StoredMessage:
    part: MessagePart
    ping_role_id: str | None = None
    thread: ThreadSpec | None = None


def _card_dict(card: Card) -> dict[str, object]:
    return {
        "title": card.title,
        "description": markup.to_json(card.description),
        "fields": [[f.name, markup.to_json(f.value), f.inline] for f in card.fields],
        "url": card.url,
        "footer": card.footer,
        "timestamp": card.timestamp.isoformat() if card.timestamp else None,
    }


def _content(data: object, version: int) -> Content:
    """Stored text: markup JSON, or (before version 2) the chat Markdown of the time."""
    if version >= VERSION:
        return markup.from_json(data)
    meant = markup.from_markdown(str(data or ""))
    return meant.plain if all(span.kind is Kind.TEXT for span in meant.spans) else meant


def _literal(data: object, version: int) -> str | None:
    """A title, field name or footer; old rows could hold escaped Markdown there (feed names), read as shown."""
    if data is None:
        return None
    return str(data) if version >= VERSION else markup.from_markdown(str(data)).plain


def _card(data: dict[str, object], version: int) -> Card:
    fields = tuple(
        CardField(str(_literal(n, version)), _content(v, version), bool(i))
        for n, v, i in data.get("fields") or []  # type: ignore[attr-defined]
    )
    stamp = data.get("timestamp")
    return Card(
        title=_literal(data.get("title"), version),
        description=_content(data.get("description") or "", version),
        fields=fields,
        url=data.get("url"),  # type: ignore[arg-type]
        footer=_literal(data.get("footer"), version),
        timestamp=datetime.fromisoformat(str(stamp)) if stamp else None,
    )


def dump(part: MessagePart, ping_role_id: str | None = None, thread: ThreadSpec | None = None) -> str:
    data: dict[str, object] = {
        "v": VERSION,
        "content": markup.to_json(part.content),
        "cards": [_card_dict(c) for c in part.cards],
    }
    if ping_role_id is not None:
        data["ping_role_id"] = ping_role_id
    if thread is not None:
        data["thread"] = {"story_id": thread.story_id, "name": thread.name, "card": _card_dict(thread.card)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def load(text: str) -> StoredMessage:
    """Raises ValueError, KeyError or TypeError for a document `dump` could not have written."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"a stored message is a JSON object, not {type(data).__name__}")
    version = int(data.get("v", 1))
    cards = data.get("cards", [])
    if not isinstance(cards, list) or not all(isinstance(c, dict) for c in cards):
        raise ValueError("a stored message's cards must be a list of JSON objects")
    content = _content(data.get("content") or "", version)
    part = MessagePart(content=content, cards=tuple(_card(c, version) for c in cards))
    role = data.get("ping_role_id")
    if role is not None:
        split(role if isinstance(role, str) else "")  # a qualified role id ("discord:…"), or a ValueError
    thread = data.get("thread")
    spec = None
    if thread:
        spec = ThreadSpec(int(thread["story_id"]), str(thread["name"]), _card(thread["card"], version))
    return StoredMessage(part, role, spec)
