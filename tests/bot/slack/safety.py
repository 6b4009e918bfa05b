"""Independent checks of rendered Slack messages: Slack's limits, and no ping or foreign link anywhere.

Written from Slack's documentation, not from bot.slack, so a bug there cannot hide in the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tests.slackstub.state import PING_PATTERN

# The only `<…>` the bot may write: a link with an http(s) target and a label, a date, or a channel link
# (`<#C…>`: Slack shows the channel's name; it notifies no one).
ALLOWED_ANGLE = re.compile(
    r"<!date\^\d+\^[^<>|]*\|[^<>]*>|<#[CG][A-Z0-9]+>|<(?P<url>[^<>|\s#!@][^<>|\s]*)\|(?P<label>[^<>]*)>"
)
ENTITY = re.compile(r"&(?:amp|lt|gt);")
BROADCAST = re.compile(r"@(?:channel|here|everyone)", re.IGNORECASE)
PLAIN_PING = re.compile(r"<[!@#]")


def text_objects(messages: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every Block Kit text object of every message, in order."""
    for message in messages:
        for block in message["blocks"]:
            if isinstance(block.get("text"), dict):
                yield block["text"]
            yield from block.get("fields", [])
            yield from block.get("elements", [])


def mrkdwn_texts(messages: list[dict[str, Any]]) -> list[str]:
    """The top-level texts (Slack reads them as mrkdwn) and every mrkdwn text object."""
    found = [message["text"] for message in messages]
    return found + [obj["text"] for obj in text_objects(messages) if obj["type"] == "mrkdwn"]


def plain_texts(messages: list[dict[str, Any]]) -> list[str]:
    return [obj["text"] for obj in text_objects(messages) if obj["type"] == "plain_text"]


def block_text(messages: list[dict[str, Any]]) -> str:
    """Everything the blocks show, in reading order."""
    return "\n".join(obj["text"] for obj in text_objects(messages))


def check_mrkdwn_is_safe(text: str) -> list[str]:
    """Assert `text` holds no ping, no foreign `<…>` and no raw `&`; return the link targets it holds."""
    targets: list[str] = []

    def strip(match: re.Match[str]) -> str:
        if match["url"] is None:
            return " "
        raw = match["url"]
        assert "&" not in ENTITY.sub("", raw), f"raw & in link target {raw!r}"
        target = raw.replace("&amp;", "&")
        parts = urlsplit(target)
        assert parts.scheme in ("http", "https") and parts.hostname, f"link target {target!r} is not http(s)"
        targets.append(target)
        return f" {match['label']} "

    rest = ALLOWED_ANGLE.sub(strip, text)
    assert "<" not in rest and ">" not in rest, f"unescaped angle bracket in {text!r}"
    assert "&" not in ENTITY.sub("", rest), f"unescaped & in {text!r}"
    assert not BROADCAST.search(rest), f"broadcast word in {text!r}"
    return targets


def check_messages_are_safe(messages: list[dict[str, Any]]) -> list[str]:
    """Assert no rendered text can ping anyone or link anywhere but http(s); return all link targets."""
    targets: list[str] = []
    for text in mrkdwn_texts(messages):
        targets += check_mrkdwn_is_safe(text)
    for text in plain_texts(messages):
        assert not PLAIN_PING.search(text) and not BROADCAST.search(text), f"ping-like plain text {text!r}"
    for text in mrkdwn_texts(messages) + plain_texts(messages):
        assert not PING_PATTERN.search(text), f"ping in {text!r}"
    return targets


def check_slack_limits(messages: list[dict[str, Any]]) -> None:
    """Assert every message within Slack's documented limits."""
    assert messages
    for message in messages:
        assert 0 < len(message["text"]) <= 40_000
        assert 0 < len(message["blocks"]) <= 50
        for block in message["blocks"]:
            kind = block["type"]
            assert kind in ("header", "section", "context", "divider"), kind
            if kind == "header":
                assert block["text"]["type"] == "plain_text"
                assert 0 < len(block["text"]["text"]) <= 150
            if kind == "section":
                assert "text" in block or block.get("fields")
                if "text" in block:
                    assert 0 < len(block["text"]["text"]) <= 3000
                assert len(block.get("fields", [])) <= 10
                assert all(0 < len(item["text"]) <= 2000 for item in block.get("fields", []))
            if kind == "context":
                assert 1 <= len(block["elements"]) <= 10
                assert all(0 < len(item["text"]) <= 3000 for item in block["elements"])
        assert message["blocks"][0]["type"] != "divider" and message["blocks"][-1]["type"] != "divider"
