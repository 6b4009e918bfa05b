"""Feed text made safe to show: plain text from HTML, and only http(s) links."""

from __future__ import annotations

import html
import re
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
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
# An unclosed <script> hides everything after it, as it would in a browser.
_HIDDEN_ELEMENT = re.compile(rf"<({'|'.join(sorted(_HIDDEN))})\b[^>]*>.*?(?:</\1\s*>|$)", re.S | re.I)
_BREAK_TAG = re.compile(rf"</?(?:{'|'.join(sorted(_BREAKS))})\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[A-Za-z!/?][^>]*>")
_SPACE = re.compile(r"\s")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")


def _strip_tags(value: str) -> str:
    # Regular expressions rather than an HTML parser: the result is only ever shown as text, so a malformed tag
    # can at worst leave some stray characters, and this is several times faster on every feed item.
    value = _COMMENT.sub(" ", value)
    value = _HIDDEN_ELEMENT.sub(" ", value)
    value = _BREAK_TAG.sub(" ", value)
    return html.unescape(_ANY_TAG.sub("", value))


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
            value = _strip_tags(value)
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
    if not value or len(value) > MAX_LINK_LENGTH or _INVISIBLE.search(value) or _SPACE.search(value):
        return None
    try:  # urlsplit and urljoin raise ValueError on a malformed host ("[" without "]") or port
        if base and not urlsplit(value).scheme:
            value = urljoin(base, value)
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0:
        return None
    return value
