"""bot.slack.render: replies as Block Kit messages within Slack's limits, losing nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import markup
from bot.cards import Card, CardField, Reply
from bot.limits import EMPTY_REPLY_TEXT
from bot.slack.limits import FALLBACK_LENGTH
from bot.slack.render import render_reply
from tests.bot.slack.safety import block_text, check_messages_are_safe, check_slack_limits
from tests.slackstub.server import SlackStub

WHEN = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def words(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i:06d}" for i in range(count)]


def assert_in_order(haystack: str, needles: list[str]) -> None:
    """Every needle appears, whole and in order: nothing was lost, moved or cut."""
    found = {match.group(0): match.start() for match in re.finditer(r"\S+", haystack)}
    positions = [found.get(needle) for needle in needles]
    missing = [needle for needle, at in zip(needles, positions, strict=True) if at is None]
    assert not missing, f"{len(missing)} words lost, first {missing[:3]}"
    assert positions == sorted(positions)  # type: ignore[type-var]


def test_a_card_becomes_header_sections_fields_and_footer() -> None:
    described = markup.text("The ", markup.bold("ferry"), " runs.")
    card = Card(title="Night ferry", description=described, fields=(CardField("Riders", "120"),),
                footer="night-ferry · 1 min read", timestamp=WHEN)
    [message] = render_reply(Reply(text="Your answer", cards=(card,)))
    assert message["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Your answer"}},
        {"type": "header", "text": {"type": "plain_text", "text": "Night ferry", "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "The *ferry* runs."}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Riders*\n120"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "night-ferry · 1 min read · <!date^1709285400^{date_short_pretty} {time}|2024-03-01 09:30 UTC>")}]},
    ]
    assert message["text"].startswith("Your answer\nNight ferry\nThe *ferry* runs.")


def test_a_linked_title_is_a_bold_link_in_a_section() -> None:
    [message] = render_reply(Reply(cards=(Card(title="Ferry <!here>", url="https://news.example/f?a=1&b=2"),)))
    linked = "*<https://news.example/f?a=1&amp;b=2|Ferry &lt;!here&gt;>*"
    assert message["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": linked}}]
    [unsafe] = render_reply(Reply(cards=(Card(title="Ferry", url="javascript:alert(1)"),)))
    assert unsafe["blocks"][0]["text"]["text"] == "*Ferry (javascript:alert(1))*"
    [blank] = render_reply(Reply(cards=(Card(title="Ferry", url="  "),)))
    assert blank["blocks"][0]["type"] == "header"


def test_dividers_only_between_cards_and_never_at_a_message_edge() -> None:
    cards = tuple(Card(title=f"Story {i}", description=f"body {i}", footer=f"slug-{i}") for i in range(20))
    messages = render_reply(Reply(text="Digest", cards=cards))
    check_slack_limits(messages)
    kinds = [[block["type"] for block in message["blocks"]] for message in messages]
    # Text + 12 cards of 3 blocks + 11 dividers = 48; a 13th card (divider + 3) would not fit.
    assert kinds[0][:2] == ["section", "header"] and kinds[0].count("header") == 12 and len(kinds[0]) == 48
    assert kinds[1][0] == "header" and kinds[1].count("header") == 8  # a card is never split when it fits
    assert all(kind.count("divider") == kind.count("header") - 1 for kind in kinds)


def test_inline_fields_share_two_column_sections() -> None:
    fields = tuple(CardField(f"Field {i}", f"value {i}", inline=True) for i in range(12))
    card = Card(title="Numbers", fields=(*fields[:11], CardField("Wide", "not inline"), fields[11]))
    [message] = render_reply(Reply(cards=(card,)))
    sections = message["blocks"][1:]
    assert [len(block.get("fields", [])) for block in sections] == [10, 1, 0, 1]
    assert sections[0]["fields"][0] == {"type": "mrkdwn", "text": "*Field 0*\nvalue 0"}
    assert sections[2]["text"]["text"] == "*Wide*\nnot inline"


def test_empty_and_blank_replies_say_so() -> None:
    expected = [{"text": EMPTY_REPLY_TEXT, "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                                              "text": EMPTY_REPLY_TEXT}}]}]
    assert render_reply(Reply()) == expected
    assert render_reply(Reply(text="  ", cards=(Card(title=" ", description="\n"),))) == expected


def test_an_untitled_card_with_only_a_url_shows_the_link() -> None:
    [message] = render_reply(Reply(cards=(Card(url="https://news.example/x"),)))
    assert message["blocks"][0]["text"]["text"] == "<https://news.example/x|https://news.example/x>"


def test_huge_reply_fits_every_limit_and_loses_nothing() -> None:
    """120 cards, a 100,000-character description, 40 fields and a 500-character title."""
    description = words("desc", 10_000)  # 10 chars + a space each: 110,000 characters
    field_words = [words(f"f{i:02d}v", 200 if i % 4 in (0, 1) else 3) for i in range(40)]
    title = " ".join(words("title", 46))[:500]
    big = Card(
        title=title,
        description=" ".join(description),
        fields=tuple(CardField(f"Field {i:02d}", " ".join(value), inline=i % 2 == 1) for i, value in
                     enumerate(field_words)),
        footer="big-story · 3 min read",
        timestamp=WHEN,
    )
    small = [Card(title=f"Card {i:03d}", description=markup.text(f"small{i:03d} ", markup.bold("body")),
                  url=f"https://news.example/{i}",
                  footer=f"foot{i:03d}") for i in range(119)]
    text = " ".join(words("text", 1000))
    messages = render_reply(Reply(text=text, cards=(small[0], big, *small[1:])))

    check_slack_limits(messages)
    check_messages_are_safe(messages)
    assert all(len(message["text"]) <= FALLBACK_LENGTH for message in messages)
    shown = block_text(messages)
    expected = list(words("text", 1000)) + ["small000", "foot000"] + description
    for value in field_words:
        expected += value
    expected += ["big-story"] + [word for i in range(1, 119) for word in (f"small{i:03d}", f"foot{i:03d}")]
    assert_in_order(shown, expected)
    assert len(re.findall(r"\*Field \d\d\*", shown)) == 40
    headers = [block["text"]["text"] for m in messages for block in m["blocks"] if block["type"] == "header"]
    assert headers == [title[:150].rsplit(" ", 1)[0] + "…"]  # the only unlinked title, cut at a word
    # Messages are filled: only a whole card (3 blocks and a divider) that did not fit moves on.
    assert all(len(message["blocks"]) >= 46 for message in messages[:-1])


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        stub.add_channel("C0NEWS0001", "news", bot_member=True)
        yield stub
        assert stub.unknown_methods == []


async def test_rendered_messages_post_and_read_back_through_the_stub(slack: SlackStub) -> None:
    hostile = markup.text(
        "<!channel> @here <@U123> <!subteam^S1> [x](javascript:alert(1)) ",
        markup.link("x", "javascript:alert(1)"),
        " ",
        markup.link("ok", "https://ok.example/?a=1&b=2"),
        " ",
        markup.role("slack:S1", "everyone"),
    )
    reply = Reply(
        text=hostile,
        cards=(
            Card(title=hostile.plain, description=markup.text(hostile, "\n", " ".join(words("w", 800))),
                 url="https://ok.example/s", fields=(CardField(hostile.plain, hostile),), footer=hostile.plain,
                 timestamp=WHEN),
            Card(title=hostile.plain, description="second"),
        ),
    )
    messages = render_reply(reply)
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_base)
    for message in messages:
        await client.chat_postMessage(channel="C0NEWS0001", text=message["text"], blocks=message["blocks"])
    history = await client.conversations_history(channel="C0NEWS0001")

    back = list(reversed(history["messages"]))
    assert [m["blocks"] for m in back] == [m["blocks"] for m in messages]
    assert [m["text"] for m in back] == [m["text"] for m in messages]
    posted = slack.posted_in("C0NEWS0001")
    assert len(posted) == len(messages)
    assert all(message.pings == [] for message in posted)
    assert "&lt;!channel&gt;" in posted[0].all_text and "<https://ok.example/?a=1&amp;b=2|ok>" in posted[0].all_text
