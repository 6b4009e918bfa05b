"""Feed text made safe to show: plain text from HTML, and only http(s) links."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

MAX_LINK_LENGTH = 2048

# Tags whose text is never shown (code, styling, embedded documents).
_HIDDEN = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head"})
# Tags that end a line of text: without a space there, "<p>one</p><p>two</p>" would read "onetwo".
_BREAKS = frozenset(
    {
        "p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "figure", "figcaption", "dd", "dt",
    }
)  # fmt: skip
# C0/C1 controls, zero-width and bidi overrides: invisible, and able to disguise text.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_TAG_START = re.compile(r"<[A-Za-z!/?]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(value: object, limit: int | None = None) -> str:
    """HTML or text -> one line of plain text: tags stripped, entities decoded, whitespace folded.

    Text without anything that looks like a tag skips the HTML parser (most titles), so "profits < 5%" stays.
    Hidden elements (script, style) lose their text, and so do invisible characters (controls, bidi overrides).
    `limit` cuts at a word boundary and ends with "…".
    """
    if not isinstance(value, str) or not value:
        return ""
    # Feeds escape HTML twice as often as once ("&amp;lt;p&amp;gt;"): peel up to three layers.
    for _ in range(3):
        if _TAG_START.search(value):
            collector = _TextCollector()
            collector.feed(value)
            collector.close()
            value = "".join(collector.parts)  # the parser decoded the entities too
        elif _ENTITY.search(value):
            value = html.unescape(value)
        else:
            break
    value = _SPACES.sub(" ", _INVISIBLE.sub("", value)).strip()
    if limit is not None and len(value) > limit:
        cut = value[: limit - 1]
        space = cut.rfind(" ")
        value = (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:-") + "…"
    return value


def safe_link(value: object, base: str | None = None) -> str | None:
    """The link as an absolute http(s) URL, or None: other schemes (javascript:, data:, file:) are never kept.

    A relative link is resolved against `base` (the feed's own URL).
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_LINK_LENGTH or _INVISIBLE.search(value) or any(c.isspace() for c in value):
        return None
    if base and not urlsplit(value).scheme:
        value = urljoin(base, value)
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0:
        return None
    return value
