"""A web page's main text and metadata, with trafilatura: no tag, menu, cookie banner or footer survives.

`extract_article` is pure (HTML text in, data out) so the file importer and the link fetcher share it. The
body comes back as Markdown (`#` headings, `- ` list items, blank lines between paragraphs), which the
article parser reads like any Markdown article.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
# Elements left once scripts, styles and SVG are gone: a news page has about 500, a long read with a big menu a
# few thousand. Past this a page is no single article, and the cut keeps any 1 MiB page under a second.
MAX_ELEMENTS = 4000
_SNIFF_CHARS = 4096
_DOCUMENT_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(
    r"</?(?:a|p|div|span|h[1-6]|ul|ol|li|br|img|section|article|header|footer|nav|main|script|style|meta|link"
    r"|table|tr|td|strong|em|b|i|figure|button|form|input|time)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCK_START = re.compile(r"\s*<(?:div|article|section|main|header|h[1-6]|p|ul|ol|table|figure)\b", re.IGNORECASE)
HTML_TAG_SHARE = 0.3  # at least this share of the first characters inside tags: a page pasted as text
# A date with its time and zone when the page gives one (htmldate's default keeps only the day).
# The date in the address (/2024/03/05/) is only a fallback: it has no time.
_DATE_PARAMS = {
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    "original_date": True,
    "extensive_search": False,
    "deferred_url_extractor": True,
}
_DIALOG_ROLES = frozenset({"dialog", "alertdialog"})
# In an id or class: a consent manager's banner (generic words and the common vendors' names).
_CONSENT_TOKENS = ("cookie", "consent", "gdpr", "cmp-", "cmp_", "onetrust", "cookiebot", "didomi", "usercentrics",
                   "sp_message", "truste", "privacy-banner", "privacy-notice")  # fmt: skip
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")
_CODE_OPEN = re.compile(r"<(?P<tag>script|style|svg|noscript|template)\b[^>]{0,2000}>")
# Machine-readable timestamps with a time of day, for when htmldate keeps only the day.
_TIMESTAMPS = re.compile(
    r"""(?:<time\b[^>]{0,200}?\bdatetime|"datePublished"|article:published_time"\s+content)\s*[=:]\s*["']"""
    r"(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)",
    re.IGNORECASE,
)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    title: str | None
    date: str | None  # as the page gives it, e.g. "2024-03-05T17:40:00-0500"; read it with bot.dates
    author: str | None
    site: str | None
    url: str | None
    description: str | None
    tags: tuple[str, ...]
    text: str  # Markdown

    def front_matter(self) -> dict[str, str]:
        """The metadata as article front-matter fields (title, date, author, source, url, dek)."""
        fields = {
            "title": self.title,
            "date": self.date,
            "author": self.author,
            "source": self.site,
            "url": self.url,
            "dek": self.description,
        }
        return {key: value for key, value in fields.items() if value}


def looks_like_html(text: str, origin: str = "") -> bool:
    """An .html file, a document that starts like one, or text whose start is mostly tags."""
    if origin.lower().endswith(HTML_SUFFIXES):
        return True
    head = text[:_SNIFF_CHARS]
    if "<" not in head:
        return False
    if _DOCUMENT_START.match(head):
        return True
    tags = _TAG.findall(head)
    if _BLOCK_START.match(head):  # an article's markup pasted from a page's source
        return len(tags) >= 3
    return len(tags) >= 5 and sum(map(len, tags)) >= HTML_TAG_SHARE * len(head.strip())


def extract_article(html: str, url: str | None = None) -> ExtractedArticle | None:
    """The page's main article, or None when it has no main text."""
    import lxml.html
    from lxml.etree import ParserError
    from trafilatura import bare_extraction  # 0.25 s to import: only pages pay for it

    try:
        # A whole document even for a pasted fragment: trafilatura loses a fragment's headings and lists.
        tree = lxml.html.document_fromstring(_XML_DECLARATION.sub("", _without_code(html), count=1))
    except (ParserError, ValueError):
        return None
    _prune_furniture(tree)
    _cut_after(tree, MAX_ELEMENTS)
    document = bare_extraction(
        tree,
        url=url,
        favor_precision=True,  # article text only; also skips trafilatura's slow recall retry
        fast=True,  # no second opinion from readability/jusText: half the time, the same text on news pages
        include_formatting=True,  # the text comes back as Markdown
        include_comments=False,
        include_links=False,
        include_images=False,
        include_tables=True,
    )
    if document is None or not document.text:
        return None
    text = _ESCAPE.sub(r"\1", document.text).strip()
    if not text:
        return None
    meta = _metadata(tree, url)
    date = _clean(meta.date)
    if date and len(date) <= 19 and date.endswith("T00:00:00"):
        date = _timestamp_on(html, date[:10]) or date[:10]
    return ExtractedArticle(
        title=_clean(meta.title),
        date=date,
        author=_clean(meta.author),
        site=_clean(meta.sitename),
        url=_clean(meta.url) or url,
        description=_clean(meta.description),
        tags=tuple(dict.fromkeys(t.strip() for tag in meta.tags or [] for t in tag.split(",") if t.strip())),
        text=text,
    )


def _metadata(tree: Any, url: str | None) -> Any:
    """trafilatura's metadata steps that briefbot uses: meta tags, JSON-LD, title, byline, address, date and
    site. Its categories, tags and licence steps are left out: a fifth of the time of a page, for fields
    briefbot does not keep."""
    from htmldate import find_date
    from trafilatura.metadata import (
        examine_meta,
        extract_author,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
    )

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # a single word is a handle, not a name (trafilatura's rule)
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura guards its JSON-LD reader the same way; the page's other fields still count
        log.warning("unreadable JSON-LD metadata in a web page", exc_info=True)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.date = find_date(tree, url=meta.url, **_DATE_PARAMS)
    meta.sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@") or None
    meta.clean_and_trim()
    return meta


def _prune_furniture(tree: Any) -> None:
    """Removes consent dialogs and hidden blocks, which trafilatura's own rules do not always catch (a hidden
    list of 48 ad vendors can outweigh the article). A loop over attributes: an XPath doing this took longer."""
    doomed = []
    for element in tree.iter():
        attrib = element.attrib
        if not attrib:
            continue
        if "hidden" in attrib or attrib.get("aria-hidden") == "true" or attrib.get("role") in _DIALOG_ROLES:
            doomed.append(element)
            continue
        names = f"{attrib.get('id', '')} {attrib.get('class', '')}".lower()
        if names.strip() and any(token in names for token in _CONSENT_TOKENS):
            doomed.append(element)
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()  # keeps the text that follows it


def _cut_after(tree: Any, limit: int) -> None:
    """Removes everything after the first `limit` elements in document order."""
    last = next((element for count, element in enumerate(tree.iter()) if count == limit), None)
    if last is None:
        return
    log.info("web page cut after %s elements before extraction", limit)
    node = last
    while (parent := node.getparent()) is not None:
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node = parent
    last.getparent().remove(last)


def _without_code(html: str) -> str:
    """The page without its scripts (JSON-LD metadata kept), styles, SVG and templates: often most of a
    page's bytes, and none of its text. A linear scan, not a regex that could backtrack on unclosed tags."""
    lower = html.lower()
    kept: list[str] = []
    position = 0
    for match in _CODE_OPEN.finditer(lower):
        if match.start() < position or "ld+json" in match[0]:
            continue
        close = lower.find(f"</{match['tag']}", match.end())
        end = lower.find(">", close) if close >= 0 else -1
        if end < 0:
            break
        kept.append(html[position : match.start()])
        position = end + 1
    kept.append(html[position:])
    return "".join(kept)


def _timestamp_on(html: str, day: str) -> str | None:
    """The page's first timestamp with a time of day on `day` (YYYY-MM-DD)."""
    for match in _TIMESTAMPS.finditer(html):
        if match["stamp"].startswith(day):
            return match["stamp"]
    return None


def _clean(value: str | None) -> str | None:
    value = " ".join(value.split()) if value else ""
    return value or None
