"""Neutral markup as chat Markdown (`**bold**`, `` `code` ``, `[label](<url>)`, `> quote`, `<@&id>` pings).

This is the dialect the Discord renderer sends, and the one `bot.limits` measures, so a message part split in
the core (the outbox stores parts) is exactly as long as the text the platform shows. Plain spans are escaped
(`bot.text.escape_markdown`): story text can never turn into markup, links or pings. Links are http(s) only.
"""

from __future__ import annotations

from bot import ids
from bot.markup import Content, Kind, Span
from bot.text import escape_markdown
from bot.urls import link_target

__all__ = ["span_markdown", "to_markdown", "web_url"]

# Characters a link target keeps; the rest (space, `<`, `>`, `(`, `)`, non-ASCII…) is percent-encoded, so a
# target can never end the `(<url>)` syntax early.
_URL_SAFE = ":/?#[]@!$&'*+,;=%~"
_BACKTICK_STAND_IN = "ˋ"  # U+02CB: code is one span, and a backtick in it would end it


def web_url(url: str) -> str | None:
    """`url` percent-encoded for `(<url>)` if it is an http(s) address with a host, else None."""
    return link_target(url, _URL_SAFE)


def _mention_id(target: str | None) -> str | None:
    """The numeric id a `<@&…>`/`<#…>` mention takes: a bare number (rows from before ids were qualified)."""
    if not target:
        return None
    external = target.partition(ids.SEPARATOR)[2] if ids.SEPARATOR in target else target
    return external if external.isdigit() else None


def _escape(text: str, line_start: bool) -> str:
    """Escaped text; line-start marks (`#`, `>`, `-`…) only matter where the text starts a line."""
    return escape_markdown(text) if line_start else escape_markdown("x" + text)[1:]


def span_markdown(span: Span, line_start: bool = True) -> str:
    if span.kind is Kind.TEXT:
        return _escape(span.text, line_start)
    if span.kind is Kind.BOLD:
        if not span.text.strip():
            return _escape(span.text, line_start)
        return f"**{_escape(span.text, line_start=False)}**"  # inside the marks, no line starts
    if span.kind is Kind.CODE:
        return f"`{span.text.replace('`', _BACKTICK_STAND_IN)}`" if span.text.strip() else span.text
    if span.kind is Kind.LINK:
        url = web_url(span.target or "")
        if url is None:
            return _escape(span.plain, line_start)
        return f"[{_escape(span.text, line_start=False)}](<{url}>)"
    if span.kind is Kind.QUOTE:
        return "\n".join(f"> {escape_markdown(line)}" for line in span.text.split("\n"))
    number = _mention_id(span.target)
    if number is None:
        return _escape(span.plain, line_start)
    return f"<@&{number}>" if span.kind is Kind.ROLE else f"<#{number}>"


def to_markdown(value: Content | None) -> str:
    """A str is literal text, escaped like a plain span."""
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_markdown(value)
    out: list[str] = []
    for span in value.spans:
        out.append(span_markdown(span, line_start=not out or out[-1].endswith("\n")))
    return "".join(out)
