"""Tests for bot.payloads: a message part survives the outbox as JSON, markup, thread and ping included."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import markup, payloads
from bot.cards import Card, CardField
from bot.limits import MessagePart
from bot.markdown import to_markdown

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
    assert json.loads(text) == {"v": 2, "content": "🆕 news", "cards": []}


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


MARKED = markup.text(
    "Stopped following ",
    markup.bold("Night **ferry**"),
    " (",
    markup.code("night-ferry"),
    ", ",
    markup.link("source", "https://news.example/a"),
    ") and ping ",
    markup.role("discord:42", "news"),
    " in ",
    markup.channel("slack:C1"),
    "\n",
    markup.quote("It sails at nine."),
)


def test_markup_round_trips_in_a_readable_versioned_form() -> None:
    card = Card(title="T **literal**", description=MARKED, fields=(CardField("F", MARKED), CardField("G", "`lit`")))
    text = payloads.dump(MessagePart(MARKED, (card,)))
    data = json.loads(text)
    assert data["v"] == payloads.VERSION
    assert data["content"][:2] == ["Stopped following ", {"bold": "Night **ferry**"}]  # readable, nothing escaped
    assert {"link": "source", "url": "https://news.example/a"} in data["content"]
    assert {"role": "discord:42", "name": "news"} in data["content"]
    message = payloads.load(text)
    assert message.part == MessagePart(MARKED, (card,))
    assert message.part.cards[0].fields[1].value == "`lit`"  # a str stays literal text, never read as Markdown


def test_rows_written_before_markup_load_as_the_markdown_they_were() -> None:
    """Old rows hold the Discord Markdown of the time: each platform now renders what it meant."""
    old = json.dumps(
        {
            "content": "**Your briefing**\n2 with news",
            "cards": [
                {
                    "title": "Story update: Chips",
                    "description": "Stopped following **Chips** ([source](https://a.example/s)) `chips`",
                    "fields": [[r"Feed \*Wire\*", "• It opened.\n[Source](https://example.com)\n> quoted", False]],
                    "footer": "/story timeline chips",
                }
            ],
            "thread": {
                "story_id": 7,
                "name": "Chips",
                "card": {"title": "Following: Chips", "description": "Latest: x"},
            },
        }
    )
    message = payloads.load(old)
    assert message.part.content == markup.text(markup.bold("Your briefing"), "\n2 with news")
    [card] = message.part.cards
    assert card.description == markup.text(
        "Stopped following ",
        markup.bold("Chips"),
        " (",
        markup.link("source", "https://a.example/s"),
        ") ",
        markup.code("chips"),
    )
    assert card.fields[0].name == "Feed *Wire*"  # escaped then, literal now
    assert to_markdown(card.fields[0].value) == "• It opened.\n[Source](<https://example.com>)\n> quoted"
    assert message.thread is not None and message.thread.card.description == "Latest: x"  # no markup: a plain str
    # Rendered for Discord, an old row reads as it did: the same bold, code and link.
    assert to_markdown(message.part.content) == "**Your briefing**\n2 with news"
    assert to_markdown(card.description).startswith("Stopped following **Chips** ([source](<https://a.example/s>))")


def test_an_old_rows_role_ping_and_channel_mention_stay_what_they_were() -> None:
    message = payloads.load(json.dumps({"content": "ping <@&123> in <#456>", "cards": []}))
    assert to_markdown(message.part.content) == "ping <@&123> in <#456>"


@pytest.mark.parametrize(
    "stored", ['{"v": 2, "content": [{"blink": "x"}]}', '{"v": 2, "content": 5}', '{"v": 2, "content": [1]}']
)
def test_unknown_stored_markup_raises_what_the_worker_catches(stored: str) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        payloads.load(stored)
