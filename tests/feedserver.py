"""A loopback feed server for tests and benchmarks: RSS 2.0, Atom and JSON Feed on 127.0.0.1.

Tests change a feed's content between polls; the server answers conditional GETs with 304 when nothing changed
(ETag and Last-Modified), serves each entry's article page, and can be told to fail: any status (410, 500, 429
with Retry-After), a redirect (301 moves a feed), a raw body (truncated XML, HTML, an entity bomb), or no answer.

    async with FeedServer() as feeds:
        url = feeds.publish("/seoul.xml", "Seoul Herald", [Entry("Meta and Samsung sign", "/a/1")])
        env = {"FETCH_ALLOW_HOSTS": feeds.allow_host}
        ...
        feeds.add("/seoul.xml", Entry("A newer item", "/a/2", article="The article's text."))
        await feeds.wait_for(lambda: feeds.hits("/seoul.xml", status=200) >= 2, what="the second poll")

Every request is recorded in `requests` (path, status, whether it was conditional, when). Only 127.0.0.1 (or
another loopback address given as `host`) is ever bound.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from enum import StrEnum
from typing import TypeVar
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

T = TypeVar("T")


class Format(StrEnum):
    RSS = "rss"
    ATOM = "atom"
    JSON = "json"


CONTENT_TYPES = {
    Format.RSS: "application/rss+xml",
    Format.ATOM: "application/atom+xml",
    Format.JSON: "application/feed+json",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One item. A `link` starting with "/" is on this server, which then serves `article` there as a page."""

    title: str
    link: str
    summary: str = ""
    published: datetime | None = None
    guid: str | None = None
    article: str = ""


@dataclass(slots=True)
class Feed:
    title: str
    entries: list[Entry]  # newest first, as feeds list them
    format: Format = Format.RSS
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    cache_control: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A scripted answer that replaces the feed: a status with headers, and optionally a raw body."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"
    headers: tuple[tuple[str, str], ...] = ()
    hang: bool = False  # accept the request and never answer


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    status: int
    conditional: bool  # it sent If-None-Match or If-Modified-Since
    at: float  # time.monotonic()


def rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def render(feed: Feed, base: str, path: str) -> bytes:
    """The feed's body in its format; links starting with "/" are made absolute on `base`."""

    def absolute(link: str) -> str:
        return base + link if link.startswith("/") else link

    home = base + "/"
    if feed.format is Format.JSON:
        items = []
        for e in feed.entries:
            item = {
                "id": e.guid or absolute(e.link),
                "url": absolute(e.link),
                "title": e.title,
                "content_text": e.summary,
            }
            if e.published is not None:
                item["date_published"] = e.published.astimezone(UTC).isoformat()
            items.append(item)
        document = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed.title,
            "home_page_url": home,
            "feed_url": base + path,
            "items": items,
        }
        return json.dumps(document).encode()
    if feed.format is Format.ATOM:
        parts = [
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{escape(feed.title)}</title><link href={quoteattr(home)}/><id>{escape(base + path)}</id>",
            f"<updated>{feed.modified.astimezone(UTC).isoformat()}</updated>",
        ]
        for e in feed.entries:
            when = f"<published>{e.published.astimezone(UTC).isoformat()}</published>" if e.published else ""
            parts.append(
                f"<entry><title>{escape(e.title)}</title><link href={quoteattr(absolute(e.link))}/>"
                f"<id>{escape(e.guid or absolute(e.link))}</id>{when}"
                f"<summary>{escape(e.summary)}</summary></entry>"
            )
        parts.append("</feed>")
        return "".join(parts).encode()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
        f"<title>{escape(feed.title)}</title><link>{escape(home)}</link><description>News</description>",
    ]
    for e in feed.entries:
        guid = f'<guid isPermaLink="false">{escape(e.guid)}</guid>' if e.guid else ""
        when = f"<pubDate>{rfc822(e.published)}</pubDate>" if e.published else ""
        parts.append(
            f"<item><title>{escape(e.title)}</title><link>{escape(absolute(e.link))}</link>{guid}{when}"
            f"<description>{escape(e.summary)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def article_page(entry: Entry) -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in entry.article.split("\n\n") if p.strip())
    return (
        f"<!doctype html><html><head><title>{escape(entry.title)}</title></head><body><article>"
        f"<h1>{escape(entry.title)}</h1>{paragraphs}</article></body></html>"
    ).encode()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


def not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since when both are sent."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match.strip() == "*"
    since = request.if_modified_since
    return since is not None and modified.replace(microsecond=0) <= since


class FeedServer:
    """See the module docstring. Feeds and answers can be changed at any time, from the test's event loop."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.feeds: dict[str, Feed] = {}
        self.answers: dict[str, Answer] = {}
        self.requests: list[Hit] = []
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FeedServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def allow_host(self) -> str:
        """This server as a FETCH_ALLOW_HOSTS entry."""
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    # --- what is served ------------------------------------------------------------------------------

    def publish(
        self,
        path: str,
        title: str,
        entries: Iterable[Entry] = (),
        *,
        format: Format = Format.RSS,
        cache_control: str | None = None,
    ) -> str:
        """Serves a feed at `path` (replacing anything there, scripted answers included); returns its URL."""
        self.feeds[path] = Feed(title, list(entries), format, cache_control=cache_control)
        self.answers.pop(path, None)
        return self.url(path)

    def add(self, path: str, *entries: Entry) -> None:
        """New entries at the top of the feed: the next poll gets a new body and a new ETag."""
        feed = self.feeds[path]
        feed.entries[:0] = entries
        feed.modified = datetime.now(UTC)

    def set_entries(self, path: str, entries: Iterable[Entry]) -> None:
        feed = self.feeds[path]
        feed.entries = list(entries)
        feed.modified = datetime.now(UTC)

    def answer(self, path: str, status: int, *, headers: dict[str, str] | None = None) -> None:
        """From now on `path` answers `status` (410 Gone, 500, 429 with a Retry-After header...)."""
        self.answers[path] = Answer(status, headers=tuple((headers or {}).items()))

    def move(self, path: str, to: str, *, status: int = 301) -> None:
        self.answer(path, status, headers={"Location": to})

    def serve_raw(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> None:
        """A body served as is: truncated XML, an HTML page, an entity bomb."""
        self.answers[path] = Answer(200, body, content_type)

    def hang(self, path: str) -> None:
        """`path` accepts requests and never answers (until the server closes)."""
        self.answers[path] = Answer(hang=True)

    def restore(self, path: str) -> None:
        """Back to serving the feed published at `path`."""
        self.answers.pop(path, None)

    def entry_url(self, entry: Entry) -> str:
        return self.base + entry.link if entry.link.startswith("/") else entry.link

    # --- what was asked ------------------------------------------------------------------------------

    def hits(self, path: str, *, status: int | None = None) -> int:
        return sum(1 for hit in self.requests if hit.path == path and (status is None or hit.status == status))

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, what: str | None = None) -> T:
        """Until `predicate()` is truthy, re-checked after every request (and every 0.25 s); returns its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (value := predicate()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"feed server: {what or 'condition'} not met within {timeout}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.25))
            except TimeoutError:
                pass
        return value

    # --- serving -------------------------------------------------------------------------------------

    def _record(self, request: web.Request, status: int) -> None:
        conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
        self.requests.append(Hit(request.path, status, conditional, time.monotonic()))
        self._changed.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        scripted = self.answers.get(path)
        if scripted is not None:
            return await self._scripted(request, scripted)
        feed = self.feeds.get(path)
        if feed is None:
            return self._article(request)
        body = render(feed, self.base, path)
        etag = etag_of(body)
        headers = {"ETag": etag, "Last-Modified": rfc822(feed.modified)}
        if feed.cache_control:
            headers["Cache-Control"] = feed.cache_control
        if not_modified(request, etag, feed.modified):
            self._record(request, 304)
            return web.Response(status=304, headers=headers)
        self._record(request, 200)
        return web.Response(body=body, headers=headers, content_type=CONTENT_TYPES[feed.format], charset="utf-8")

    async def _scripted(self, request: web.Request, answer: Answer) -> web.StreamResponse:
        if answer.hang:
            self._record(request, 0)
            await self._closing.wait()
            raise web.HTTPServiceUnavailable()
        self._record(request, answer.status)
        return web.Response(
            status=answer.status,
            body=answer.body,
            headers=dict(answer.headers),
            content_type=answer.content_type if answer.body else None,
        )

    def _article(self, request: web.Request) -> web.Response:
        for feed in self.feeds.values():
            for entry in feed.entries:
                if entry.link == request.path_qs or entry.link == request.path:
                    self._record(request, 200)
                    return web.Response(body=article_page(entry), content_type="text/html", charset="utf-8")
        self._record(request, 404)
        return web.Response(status=404, text="not here")
