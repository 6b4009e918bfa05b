"""Render a Reply as plain text, the way the console shows what the bot would post."""

from __future__ import annotations

from bot.cards import Card, Reply

RULE = "─" * 60


def render_card(card: Card) -> str:
    parts: list[str] = []
    if card.title:
        parts.append(f"== {card.title} ==" + (f"  <{card.url}>" if card.url else ""))
    if card.description:
        parts.append(card.description)
    for field in card.fields:
        parts.append(f"-- {field.name} --\n{field.value}")
    if card.footer:
        parts.append(f"({card.footer})")
    return "\n".join(parts)


def render_reply(reply: Reply) -> str:
    blocks = [reply.text] if reply.text else []
    blocks += [render_card(card) for card in reply.cards]
    text = f"\n{RULE}\n".join(blocks) or "(nothing to show)"
    return f"[only you can see this]\n{text}" if reply.ephemeral else text
