"""Neutral markup: what the core's cards say, as spans each platform renders in its own syntax.

A `Markup` is a tuple of spans: plain text, bold, code, a link, a quoted line, and mentions of a role or a
channel by their platform-qualified id (`bot.ids`). Text from stories, feeds and users only ever becomes a
plain span: it is never parsed as markup, so the core needs no escaping and a platform escapes what its own
syntax needs (Discord's markdown, Slack's mrkdwn, the terminal's controls).

    markup.text("Stopped following ", markup.bold(title), ".")

A plain `str` wherever a card accepts `Content` means literal text, exactly like a plain span.
`from_markdown` reads the small Markdown the core wrote before this module existed (old outbox rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "Content",
    "Kind",
    "Markup",
    "Span",
    "bold",
    "channel",
    "code",
    "from_json",
    "from_markdown",
    "join",
    "lines",
    "link",
    "plain",
    "quote",
    "role",
    "text",
    "to_json",
    "to_markup",
]


class Kind(StrEnum):
    """What a span is. `QUOTE` is a whole quoted line: builders start it on a line of its own."""

    TEXT = "text"
    BOLD = "bold"
    CODE = "code"
    LINK = "link"
    QUOTE = "quote"
    ROLE = "role"
    CHANNEL = "channel"


# Spans whose `target` is a platform-qualified id; their `text` is a display name, or "" when unknown.
MENTIONS = frozenset({Kind.ROLE, Kind.CHANNEL})


@dataclass(frozen=True, slots=True)
class Span:
    """`text` is always shown as itself; `target` is a link's URL or a mention's qualified id."""

    kind: Kind
    text: str
    target: str | None = None

    @property
    def plain(self) -> str:
        if self.kind is Kind.LINK:
            return f"{self.text} <{self.target}>" if self.text != self.target else f"<{self.target}>"
        if self.kind is Kind.QUOTE:
            return "\n".join(f"> {line}" for line in self.text.split("\n"))
        if self.kind is Kind.ROLE:
            return f"@{self.text or 'role'}"
        if self.kind is Kind.CHANNEL:
            return f"#{self.text or 'channel'}"
        return self.text


@dataclass(frozen=True, slots=True)
class Markup:
    spans: tuple[Span, ...] = ()

    @property
    def plain(self) -> str:
        """Readable text without any syntax: links as `label <url>`, quotes as `> ` lines."""
        return "".join(span.plain for span in self.spans)

    def __add__(self, other: Content | Span) -> Markup:
        return text(self, other)

    def __radd__(self, other: Content | Span) -> Markup:
        return text(other, self)

    def __bool__(self) -> bool:
        return any(span.text or span.target for span in self.spans)

    def __format__(self, spec: str) -> str:
        # An f-string would silently drop every bold, link and mention: build with `text(...)` instead.
        raise TypeError("Markup cannot be formatted into a str; combine it with markup.text(...)")

    def strip(self) -> Markup:
        """Without the whitespace of plain spans at either end."""
        spans = list(self.spans)
        while spans and spans[0].kind is Kind.TEXT and not spans[0].text.lstrip():
            spans.pop(0)
        while spans and spans[-1].kind is Kind.TEXT and not spans[-1].text.rstrip():
            spans.pop()
        if spans and spans[0].kind is Kind.TEXT:
            spans[0] = Span(Kind.TEXT, spans[0].text.lstrip())
        if spans and spans[-1].kind is Kind.TEXT:
            spans[-1] = Span(Kind.TEXT, spans[-1].text.rstrip())
        return Markup(tuple(spans))


Content = str | Markup


def _pieces(parts: Iterable[Content | Span | None]) -> Iterator[Span]:
    for part in parts:
        if part is None or part == "":
            continue
        if isinstance(part, Span):
            yield part
        elif isinstance(part, Markup):
            yield from part.spans
        else:
            yield Span(Kind.TEXT, str(part))


def text(*parts: Content | Span | None) -> Markup:
    """Join strings (as plain text), spans and markup into one `Markup`; None and "" are skipped."""
    spans: list[Span] = []
    plain_run: list[str] = []  # adjacent plain text becomes one span
    for span in _pieces(parts):
        if span.kind is Kind.TEXT:
            plain_run.append(span.text)
            continue
        if plain_run and (joined := "".join(plain_run)):
            spans.append(Span(Kind.TEXT, joined))
        plain_run = []
        if span.text or span.target:
            spans.append(span)
    if plain_run and (joined := "".join(plain_run)):
        spans.append(Span(Kind.TEXT, joined))
    return Markup(tuple(spans))


def join(separator: Content, items: Iterable[Content | Span]) -> Markup:
    """Like `str.join`, for markup: `join("\\n", lines)`."""
    parts: list[Content | Span] = []
    for index, item in enumerate(items):
        if index:
            parts.append(separator)
        parts.append(item)
    return text(*parts)


def bold(value: str) -> Span:
    return Span(Kind.BOLD, value)


def code(value: str) -> Span:
    """Inline code: a command or a slug. Newlines become spaces, as inline code has one line."""
    return Span(Kind.CODE, value.replace("\n", " "))


def link(label: str, url: str) -> Span:
    """A link; each platform shows only http(s) targets as links, anything else as text."""
    return Span(Kind.LINK, label or url, url.strip())


def quote(value: str) -> Span:
    """A quoted passage: one or more whole lines."""
    return Span(Kind.QUOTE, value)


def role(role_id: str | int, name: str = "") -> Span:
    """A role ping by its qualified id (`discord:123`); platforms without role pings show `@name`."""
    return Span(Kind.ROLE, name, str(role_id))


def channel(channel_id: str | int, name: str = "") -> Span:
    """A reference to a channel by its qualified id; it never pings anyone."""
    return Span(Kind.CHANNEL, name, str(channel_id))


def lines(value: Content) -> list[Markup]:
    """`value` cut at each newline of its plain text (a quote or other span stays whole on its line)."""
    out: list[list[Content | Span]] = [[]]
    for span in to_markup(value).spans:
        if span.kind is not Kind.TEXT:
            out[-1].append(span)
            continue
        first, *rest = span.text.split("\n")
        out[-1].append(first)
        out.extend([piece] for piece in rest)
    return [text(*parts) for parts in out]


def to_markup(value: Content | None) -> Markup:
    return value if isinstance(value, Markup) else text(value)


def plain(value: Content | None) -> str:
    """Readable text for `value`: a str is already literal text."""
    if value is None:
        return ""
    return value.plain if isinstance(value, Markup) else value


# --- stored form ------------------------------------------------------------------------------------------------
# A Markup is a JSON list: plain text as strings, other spans as one-key objects, e.g.
# ["Stopped following ", {"bold": "Night ferry"}, "."] or {"link": "source", "url": "https://…"}.


def to_json(value: Content) -> Any:
    """`value` as JSON data: a str stays a string (literal text), a Markup becomes a list of spans."""
    if not isinstance(value, Markup):
        return value
    out: list[Any] = []
    for span in value.spans:
        if span.kind is Kind.TEXT:
            out.append(span.text)
        elif span.kind is Kind.LINK:
            out.append({"link": span.text, "url": span.target})
        elif span.kind in MENTIONS:
            out.append({span.kind.value: span.target, "name": span.text})
        else:
            out.append({span.kind.value: span.text})
    return out


def _span(data: Any) -> Span:
    if isinstance(data, str):
        return Span(Kind.TEXT, data)
    if not isinstance(data, dict):
        raise ValueError(f"a stored span is a string or an object, not {type(data).__name__}")
    if "link" in data:
        return link(str(data["link"]), str(data["url"]))
    for kind in MENTIONS:
        if kind.value in data:
            return Span(kind, str(data.get("name") or ""), str(data[kind.value]))
    for kind in (Kind.BOLD, Kind.CODE, Kind.QUOTE):
        if kind.value in data:
            return Span(kind, str(data[kind.value]))
    raise ValueError(f"unknown stored span: {sorted(data)}")


def from_json(data: Any) -> Content:
    """The inverse of `to_json`; ValueError for data it could not have written."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    if not isinstance(data, list):
        raise ValueError(f"stored markup is a string or a list, not {type(data).__name__}")
    return text(*(_span(item) for item in data))


# --- the Markdown of old outbox rows ------------------------------------------------------------------------------

_INLINE = re.compile(
    r"\\(?P<escaped>[!-/:-@\[-`{-~])"  # a backslash before punctuation: that character, as itself
    r"|\*\*(?P<bold>.+?)(?<!\\)\*\*"  # an escaped star never closes: `**a \***` is bold "a *"
    r"|(?<![*\w\\])\*(?P<italic>[^*\s](?:[^*]*[^*\s\\])?)\*(?![*\w])"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<label>[^\]]+)\]\(<?(?P<url>[^)\s>]+)>?\)"
    r"|<@&(?P<role>\d+)>"
    r"|<#(?P<channel>\d+)>"
)
_QUOTE = re.compile(r"^> ?")


def _markdown_line(line: str) -> Iterator[Content | Span]:
    position = 0
    for match in _INLINE.finditer(line):
        yield line[position : match.start()]
        if match["escaped"] is not None:
            yield match["escaped"]
        elif match["bold"] is not None:
            yield bold(from_markdown(match["bold"]).plain)
        elif match["italic"] is not None:
            yield match["italic"]  # no italic span: the words, as they read
        elif match["code"] is not None:
            yield code(match["code"])
        elif match["url"] is not None:
            yield link(from_markdown(match["label"]).plain, match["url"])
        elif match["role"] is not None:
            yield role(match["role"])  # a bare id, as rows held before ids were platform-qualified
        else:
            yield channel(match["channel"])
        position = match.end()
    yield line[position:]


def from_markdown(markdown: str) -> Markup:
    """Markup for text in the chat Markdown the core once wrote (`**b**`, `` `c` ``, `[t](u)`, `> q`, pings)."""
    parts: list[Content | Span] = []
    for index, line in enumerate(markdown.split("\n")):
        if index:
            parts.append("\n")
        quoted = _QUOTE.match(line)
        if quoted:
            parts.append(quote(from_markdown(line[quoted.end() :]).plain))
        else:
            parts.extend(_markdown_line(line))
    return text(*parts)
