"""Tests for bot.payloads: a message part survives the outbox as JSON, thread and ping included."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import payloads
from bot.cards import Card, CardField
from bot.limits import MessagePart

CARD = Card(
    title="Story update: Chips",
    description="What's new since the last alert:",
    fields=(CardField("02 Mar · Fab opens", "• It opened.\n[Source](https://example.com)"), CardField("x", "y", True)),
    url="https://example.com/story",
    footer="/story timeline chips",
    timestamp=datetime(2024, 3, 2, 8, 0, tzinfo=UTC),
)


def test_a_plain_part_round_trips() -> None:
    part = MessagePart("**Your briefing** — 🆕 émoji and accents", (CARD, Card(title="Quiet", description="• a")))
    message = payloads.load(payloads.dump(part))
    assert message.part == part
    assert message.ping_role_id is None
    assert message.thread is None


def test_thread_spec_and_ping_round_trip() -> None:
    spec = payloads.ThreadSpec(42, "Chips", Card(title="Following: Chips", description="Latest: x"))
    role = "discord:987654321987654321"
    message = payloads.load(payloads.dump(MessagePart("", (CARD,)), ping_role_id=role, thread=spec))
    assert message.thread == spec
    assert message.ping_role_id == role
    assert message.part.cards == (CARD,)


def test_the_stored_form_is_compact_json_keeping_unicode() -> None:
    text = payloads.dump(MessagePart("🆕 news"))
    assert "🆕" in text
    assert " " not in text.replace("🆕 news", "")
    assert json.loads(text) == {"content": "🆕 news", "cards": []}


def test_minimal_documents_load_with_defaults() -> None:
    message = payloads.load('{"content": "hi"}')
    assert message.part == MessagePart("hi")
    card = payloads.load('{"cards": [{"title": "T"}]}').part.cards[0]
    assert card == Card(title="T")


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        "1",
        "null",
        '"text"',
        '{"cards": [1]}',
        '{"cards": ["card"]}',
        '{"cards": 5}',
        '{"thread": "x"}',
        '{"thread": {"story_id": 1}}',
        '{"cards": [{"fields": [["only a name"]]}]}',
        '{"ping_role_id": "role"}',
        '{"ping_role_id": 42}',  # a role id that does not say its platform
    ],
)
def test_unreadable_documents_raise_what_the_worker_catches(text: str) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        payloads.load(text)


_text = st.text(max_size=60)
_cards = st.builds(
    Card,
    title=st.none() | _text,
    description=_text,
    fields=st.lists(st.builds(CardField, _text, _text, st.booleans()), max_size=3).map(tuple),
    url=st.none() | _text,
    footer=st.none() | _text,
)


_roles = st.integers(1, 2**63 - 1).map(lambda n: f"discord:{n}") | st.from_regex(r"slack:S[A-Z0-9]{8}", fullmatch=True)


@given(content=_text, cards=st.lists(_cards, max_size=3), role=st.none() | _roles)
def test_any_part_round_trips(content: str, cards: list[Card], role: str | None) -> None:
    part = MessagePart(content, tuple(cards))
    message = payloads.load(payloads.dump(part, ping_role_id=role))
    assert message.part == part
    assert message.ping_role_id == role
