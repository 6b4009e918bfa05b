"""Reply -> Slack messages: Block Kit within Slack's limits, in reading order, mentioning nobody.

`render_reply` turns one platform-neutral `Reply` into messages, each `{"text": fallback, "blocks": [...]}`:

* Reply text: mrkdwn section(s), before the cards.
* Each card: a header (its title; a linked title is a bold link in a section instead, since headers cannot
  link), the description as sections, fields as sections with the name in bold (runs of inline fields share
  a two-column section), then a context block with the footer and the timestamp. A divider sits between two
  cards of the same message.
* Long text is split into sections, and blocks into messages of at most 50; a card that fits in a fresh
  message is not split across two. Titles, field names and footers are truncated with an ellipsis; bodies
  are split, never cut.
* `text` is the notification and fallback: the start of the message, shortened to `FALLBACK_LENGTH`.
* An empty reply is one message reading `EMPTY_REPLY_TEXT`. The `ephemeral` hint stays with the caller.
"""

from __future__ import annotations

from typing import Any

from bot.cards import Card, CardField, Reply
from bot.limits import EMPTY_REPLY_TEXT, truncate
from bot.slack.limits import (
    FALLBACK_LENGTH,
    MAX_BLOCKS,
    MAX_CONTEXT_TEXT,
    MAX_FIELD_NAME,
    MAX_FIELD_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    MAX_TITLE,
    check_message,
    split_mrkdwn,
    truncate_mrkdwn,
)
from bot.slack.mrkdwn import date_token, escape_text, link, plain_text, safe_url, to_mrkdwn

__all__ = ["ADMIN_REQUIREMENT", "card_blocks", "render_reply"]

# Who may run an admin command, as a Slack reply names it (`help_lines(admin=...)`, refusals).
ADMIN_REQUIREMENT = "a workspace admin or owner, or a user in SLACK_ADMIN_USERS"

Block = dict[str, Any]
DIVIDER: Block = {"type": "divider"}


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _sections(mrkdwn: str) -> list[Block]:
    return [{"type": "section", "text": _mrkdwn(chunk)} for chunk in split_mrkdwn(mrkdwn, MAX_SECTION_TEXT)]


def _title_blocks(card: Card) -> list[Block]:
    title = card.title if card.title and card.title.strip() else None
    url = card.url.strip() if card.url else ""
    if title and url:
        return _sections(f"*{link(url, truncate(title, MAX_TITLE))}*")
    if title:
        header = truncate(plain_text(title), MAX_HEADER_TEXT)
        return [{"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}]
    if url:
        return _sections(link(url, url) if safe_url(url) else escape_text(url))
    return []


def _field_name(field: CardField) -> str:
    return f"*{escape_text(truncate(field.name.strip(), MAX_FIELD_NAME))}*" if field.name.strip() else ""


def _field_sections(field: CardField) -> list[Block]:
    """One field as sections: the bold name over the value; a long value continues in more sections."""
    name = _field_name(field)
    chunks = split_mrkdwn(to_mrkdwn(field.value), MAX_SECTION_TEXT - len(name) - 1)
    if not chunks:
        return _sections(name)
    first = f"{name}\n{chunks[0]}" if name else chunks[0]
    return _sections(first) + [block for chunk in chunks[1:] for block in _sections(chunk)]


def _field_blocks(fields: tuple[CardField, ...]) -> list[Block]:
    """Fields in order; consecutive short inline fields share sections of up to ten fields (two columns)."""
    blocks: list[Block] = []
    row: list[Block] = []
    for field in fields:
        text = "\n".join(part for part in (_field_name(field), to_mrkdwn(field.value)) if part.strip())
        if field.inline and text.strip() and len(text) <= MAX_FIELD_TEXT:
            row.append(_mrkdwn(text))
            if len(row) == MAX_SECTION_FIELDS:
                blocks.append({"type": "section", "fields": row})
                row = []
            continue
        if row:
            blocks.append({"type": "section", "fields": row})
            row = []
        blocks.extend(_field_sections(field))
    if row:
        blocks.append({"type": "section", "fields": row})
    return blocks


def _footer_blocks(card: Card) -> list[Block]:
    stamp = date_token(card.timestamp) if card.timestamp else ""
    room = MAX_CONTEXT_TEXT - len(stamp) - 3
    footer = truncate_mrkdwn(to_mrkdwn(card.footer), room) if card.footer and card.footer.strip() else ""
    text = " · ".join(part for part in (footer, stamp) if part)
    return [{"type": "context", "elements": [_mrkdwn(text)]}] if text else []


def card_blocks(card: Card) -> list[Block]:
    """One card as blocks, in reading order; a card with nothing to show gives []."""
    return [
        *_title_blocks(card),
        *_sections(to_mrkdwn(card.description)),
        *_field_blocks(card.fields),
        *_footer_blocks(card),
    ]


def _pack(groups: list[tuple[bool, list[Block]]]) -> list[list[Block]]:
    """Blocks into messages of at most MAX_BLOCKS; groups are (is_card, blocks), cards divided by a divider."""
    messages: list[list[Block]] = [[]]
    last_was_card = False
    for is_card, blocks in groups:
        current = messages[-1]
        divider = [DIVIDER] if is_card and last_was_card and current else []
        fits = len(current) + len(divider) + len(blocks) <= MAX_BLOCKS
        # Start a fresh message for a group that fits in one; a divider never ends a message.
        if current and (not fits and len(blocks) <= MAX_BLOCKS or len(current) + len(divider) >= MAX_BLOCKS):
            messages.append([])
            current, divider = messages[-1], []
        current.extend(divider)
        for block in blocks:
            if len(current) >= MAX_BLOCKS:
                messages.append([])
                current = messages[-1]
            current.append(block)
        last_was_card = is_card
    return messages


def _block_text(block: Block) -> str:
    """What a block says, as mrkdwn (header text is plain, so it is escaped here)."""
    if block["type"] == "header":
        return escape_text(block["text"]["text"])
    if block["type"] == "section":
        parts = [block["text"]["text"]] if "text" in block else []
        return "\n".join(parts + [item["text"] for item in block.get("fields", [])])
    if block["type"] == "context":
        return " ".join(item["text"] for item in block["elements"])
    return ""


def _fallback(blocks: list[Block]) -> str:
    parts: list[str] = []
    size = 0
    for block in blocks:
        text = _block_text(block)
        if text:
            parts.append(text)
            size += len(text) + 1
        if size > FALLBACK_LENGTH:
            break
    return truncate_mrkdwn("\n".join(parts), FALLBACK_LENGTH) or EMPTY_REPLY_TEXT


def render_reply(reply: Reply) -> list[dict[str, Any]]:
    """Turn `reply` into Slack messages (`{"text": ..., "blocks": [...]}`) that pass `check_message`."""
    groups: list[tuple[bool, list[Block]]] = []
    if text_blocks := _sections(to_mrkdwn(reply.text)):
        groups.append((False, text_blocks))
    groups.extend((True, blocks) for card in reply.cards if (blocks := card_blocks(card)))
    if not groups:
        groups.append((False, _sections(escape_text(EMPTY_REPLY_TEXT))))
    messages = [{"text": _fallback(blocks), "blocks": blocks} for blocks in _pack(groups)]
    for message in messages:
        check_message(message)
    return messages
