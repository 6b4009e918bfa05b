"""Render a Reply for a terminal: styled with rich at a terminal, plain text anywhere else.

Cards carry the small Markdown that chat platforms show (`**bold**`, `*italic*`, `code`, [links](url), `> quotes`).
Both renderings read it the same way, so neither prints the markers. Story text is untrusted: it only ever becomes
rich `Text` (never markup), and control characters are dropped so a story cannot drive the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.style import Style
from rich.text import Text

from bot.cards import Card, Reply

RULE = "─" * 60
EPHEMERAL_NOTE = "only you can see this"
NOTHING = "(nothing to show)"

_INLINE = re.compile(
    r"\\(?P<escaped>[!-/:-@\[-`{-~])"  # a backslash before punctuation: that character, as itself
    r"|\*\*(?P<bold>.+?)(?<!\\)\*\*"  # an escaped star never closes: `**a \***` is bold "a *"
    r"|(?<![*\w\\])\*(?P<italic>[^*\s](?:[^*]*[^*\s\\])?)\*(?![*\w])"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)"
)
_QUOTE = re.compile(r"^> ?")
# C0 and C1 controls but tab and newline: ESC would let a story recolour, move or clear the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Mark(StrEnum):
    """What a span of chat Markdown is; the value is its rich style."""

    PLAIN = ""
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "cyan"
    LINK = "underline blue"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    mark: Mark = Mark.PLAIN
    url: str | None = None


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


def spans(line: str, mark: Mark = Mark.PLAIN) -> Iterator[Span]:
    """One line of chat Markdown as styled spans; anything that is not a marker pair stays literal text."""
    position = 0
    for match in _INLINE.finditer(line):
        if match.start() > position:
            yield Span(line[position : match.start()], mark)
        if match["escaped"] is not None:
            yield Span(match["escaped"], mark)
        elif match["bold"] is not None:
            yield from spans(match["bold"], Mark.BOLD)
        elif match["italic"] is not None:
            yield Span(match["italic"], Mark.ITALIC)
        elif match["code"] is not None:
            yield Span(match["code"], Mark.CODE)
        else:
            yield Span(match["label"], Mark.LINK, url=match["url"])
        position = match.end()
    if position < len(line):
        yield Span(line[position:], mark)


def _lines(markdown: str) -> Iterator[tuple[bool, str]]:
    """(is a quote, line without its `>`) for each line."""
    for line in clean(markdown).split("\n"):
        quote = _QUOTE.match(line)
        yield (True, line[quote.end() :]) if quote else (False, line)


# Plain text ------------------------------------------------------------------------------------------------------


def plain(markdown: str) -> str:
    """Markdown as readable text: markers dropped, links as `label <url>`, quotes kept as `> ` lines."""
    out: list[str] = []
    for quote, line in _lines(markdown):
        text = "".join(f"{s.text} <{s.url}>" if s.url else s.text for s in spans(line))
        out.append(f"> {text}" if quote else text)
    return "\n".join(out)


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


def rich_text(markdown: str, base: str = "") -> Text:
    """Markdown as a rich Text built span by span: story text is never parsed as rich markup."""
    text = Text(style=base)
    for index, (quote, line) in enumerate(_lines(markdown)):
        if index:
            text.append("\n")
        if quote:
            text.append("▌ ", style="dim")
        for span in spans(line, Mark.ITALIC if quote else Mark.PLAIN):
            text.append(span.text, style=span.mark.value)
            if span.url:
                text.append(f" <{span.url}>", style=Style(dim=True, link=span.url))
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
