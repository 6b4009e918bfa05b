"""A message part as stored in the outbox: plain JSON, rendered for the platform at send time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.cards import Card, CardField
from bot.ids import split
from bot.limits import MessagePart


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
        "description": card.description,
        "fields": [[f.name, f.value, f.inline] for f in card.fields],
        "url": card.url,
        "footer": card.footer,
        "timestamp": card.timestamp.isoformat() if card.timestamp else None,
    }


def _card(data: dict[str, object]) -> Card:
    fields = tuple(CardField(str(n), str(v), bool(i)) for n, v, i in data.get("fields") or [])  # type: ignore[attr-defined]
    stamp = data.get("timestamp")
    return Card(
        title=data.get("title"),  # type: ignore[arg-type]
        description=str(data.get("description") or ""),
        fields=fields,
        url=data.get("url"),  # type: ignore[arg-type]
        footer=data.get("footer"),  # type: ignore[arg-type]
        timestamp=datetime.fromisoformat(str(stamp)) if stamp else None,
    )


def dump(part: MessagePart, ping_role_id: str | None = None, thread: ThreadSpec | None = None) -> str:
    data: dict[str, object] = {"content": part.content, "cards": [_card_dict(c) for c in part.cards]}
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
    cards = data.get("cards", [])
    if not isinstance(cards, list) or not all(isinstance(c, dict) for c in cards):
        raise ValueError("a stored message's cards must be a list of JSON objects")
    part = MessagePart(content=str(data.get("content") or ""), cards=tuple(_card(c) for c in cards))
    role = data.get("ping_role_id")
    if role is not None:
        split(role if isinstance(role, str) else "")  # a qualified role id ("discord:…"), or a ValueError
    thread = data.get("thread")
    spec = ThreadSpec(int(thread["story_id"]), str(thread["name"]), _card(thread["card"])) if thread else None
    return StoredMessage(part, role, spec)
