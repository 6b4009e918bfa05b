"""Render a Reply for a terminal: styled with rich at a terminal, plain text anywhere else.

Cards carry neutral markup (`bot.markup`); both renderings show its spans without any syntax: bold and code
styled at a terminal, links as `label <url>`, quotes as `> ` lines, a role as `@name`. Story text is untrusted:
it only ever becomes rich `Text` (never rich markup), and control characters are dropped so a story cannot drive
the terminal.
"""

from __future__ import annotations

import re
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.style import Style
from rich.text import Text

from bot import markup
from bot.cards import Card, Reply
from bot.markup import Content, Kind

RULE = "─" * 60
EPHEMERAL_NOTE = "only you can see this"
NOTHING = "(nothing to show)"

# C0 and C1 controls but tab and newline: ESC would let a story recolour, move or clear the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Each span kind's rich style; plain text takes the style of where it is shown.
_STYLES = {Kind.BOLD: "bold", Kind.CODE: "cyan", Kind.LINK: "underline blue", Kind.QUOTE: "italic"}


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


# Plain text ------------------------------------------------------------------------------------------------------


def plain(value: Content | None) -> str:
    """Readable text: no syntax, links as `label <url>`, quotes as `> ` lines, controls dropped."""
    return clean(markup.plain(value))


def shell_text(value: Content | None) -> str:
    """One line for a shell's stderr: plain text, with commands and names in code kept in backticks."""
    spans = markup.to_markup(value).spans
    return clean("".join(f"`{s.text}`" if s.kind is Kind.CODE else s.plain for s in spans))


def render_card(card: Card) -> str:
    parts: list[str] = []
    if card.title:
        parts.append(f"== {plain(card.title)} ==" + (f"  <{clean(card.url)}>" if card.url else ""))
    if card.description:
        parts.append(plain(card.description))
    for field in card.fields:
        parts.append(f"-- {plain(field.name)} --\n{plain(field.value)}")
    if card.footer:
        parts.append(f"({plain(card.footer)})")
    return "\n".join(parts)


def render_reply(reply: Reply) -> str:
    blocks = [plain(reply.text)] if reply.text else []
    blocks += [render_card(card) for card in reply.cards]
    text = f"\n{RULE}\n".join(blocks) or NOTHING
    return f"[{EPHEMERAL_NOTE}]\n{text}" if reply.ephemeral else text


# Rich ------------------------------------------------------------------------------------------------------------


def rich_text(value: Content | None, base: str = "") -> Text:
    """Markup as a rich Text built span by span: story text is never parsed as rich markup."""
    text = Text(style=base)
    for span in markup.to_markup(value).spans:
        if span.kind is Kind.QUOTE:
            for index, line in enumerate(clean(span.text).split("\n")):
                text.append(("\n" if index else "") + "▌ ", style="dim")
                text.append(line, style=_STYLES[Kind.QUOTE])
        elif span.kind is Kind.LINK:
            url = clean(span.target or "")
            text.append(clean(span.text), style=_STYLES[Kind.LINK])
            if span.text != span.target:
                text.append(f" <{url}>", style=Style(dim=True, link=url))
        else:
            text.append(clean(span.plain), style=_STYLES.get(span.kind, ""))
    return text


def rich_card(card: Card) -> RenderableType:
    parts: list[RenderableType] = []
    if card.title:
        title = rich_text(card.title, base="bold magenta")
        if card.url:
            title.append(f"  <{clean(card.url)}>", style=Style(dim=True, link=clean(card.url)))
        parts.append(title)
    if card.description:
        parts.append(rich_text(card.description))
    for field in card.fields:
        parts.append(Text())
        parts.append(rich_text(field.name, base="bold underline"))
        parts.append(rich_text(field.value))
    if card.footer:
        parts.append(rich_text(card.footer, base="dim"))
    return Group(*parts)


def rich_reply(reply: Reply) -> RenderableType:
    blocks: list[RenderableType] = [rich_text(reply.text)] if reply.text else []
    blocks += [rich_card(card) for card in reply.cards]
    parts: list[RenderableType] = [Text(EPHEMERAL_NOTE, style="dim italic")] if reply.ephemeral else []
    for index, block in enumerate(blocks):
        if index:
            parts.append(Rule(style="dim"))
        parts.append(block)
    return Group(*parts) if blocks else Text(NOTHING, style="dim")


def terminal_for(stream: TextIO) -> Console | None:
    """A rich console when `stream` is a terminal, else None: the caller then writes plain text.

    Decided by isatty() alone: rich would also treat FORCE_COLOR as a terminal, and a pipe must stay plain.
    """
    if not stream.isatty():
        return None
    return Console(file=stream, force_terminal=True, highlight=False, emoji=False, markup=False)


def write_reply(reply: Reply, stream: TextIO) -> None:
    """Styled on a terminal, plain text otherwise."""
    terminal = terminal_for(stream)
    if terminal is None:
        stream.write(render_reply(reply) + "\n")
        stream.flush()
    else:
        terminal.print(rich_reply(reply))
