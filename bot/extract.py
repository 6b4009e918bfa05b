"""A web page's main text and metadata, with trafilatura: no tag, menu, cookie banner or footer survives.

`extract_article` is pure (HTML text in, data out) so the file importer and the link fetcher share it. The
body comes back as Markdown (`#` headings, `- ` list items, blank lines between paragraphs), which the
article parser reads like any Markdown article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_SNIFF_CHARS = 4096
_DOCUMENT_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(
    r"</?(?:a|p|div|span|h[1-6]|ul|ol|li|br|img|section|article|header|footer|nav|main|script|style|meta|link"
    r"|table|tr|td|strong|em|b|i|figure|button|form|input|time)\b[^>]*>",
    re.IGNORECASE,
)
HTML_TAG_SHARE = 0.3  # at least this share of the first characters inside tags: a page pasted as text
# A date with its time and zone when the page gives one (htmldate's default keeps only the day).
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": False}
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
    return len(tags) >= 5 and sum(map(len, tags)) >= HTML_TAG_SHARE * len(head.strip())


def extract_article(html: str, url: str | None = None) -> ExtractedArticle | None:
    """The page's main article, or None when it has no main text."""
    from trafilatura import bare_extraction  # 0.25 s to import: only pages pay for it
    from trafilatura.xml import xmltotxt

    document = bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_formatting=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        include_tables=True,
        date_extraction_params=_DATE_PARAMS,
    )
    if document is None or document.body is None:
        return None
    text = _ESCAPE.sub(r"\1", xmltotxt(document.body, include_formatting=True)).strip()
    if not text:
        return None
    return ExtractedArticle(
        title=_clean(document.title),
        date=_clean(document.date),
        author=_clean(document.author),
        site=_clean(document.sitename),
        url=_clean(document.url) or url,
        description=_clean(document.description),
        tags=tuple(t for t in (document.tags or []) if t),
        text=text,
    )


def _clean(value: str | None) -> str | None:
    value = " ".join(value.split()) if value else ""
    return value or None
