"""A loopback site for the feed tests: scripted answers per path, on 127.0.0.1 only.

Each path answers what its `Route` says: a body with a type and headers, a 304 when the request's If-None-Match
is the route's ETag, a redirect, a status, a body cut short (Content-Length larger than what is sent), or no
answer at all. Every request is recorded, with its conditional headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass(frozen=True, slots=True)
class Item:
    title: str
    link: str
    summary: str = ""
    published: datetime | None = None
    guid: str | None = None


def rss(title: str, items: list[Item]) -> bytes:
    entries = []
    for item in items:
        parts = [f"<title>{escape(item.title)}</title>", f"<link>{escape(item.link)}</link>"]
        if item.summary:
            parts.append(f"<description>{escape(item.summary)}</description>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        entries.append(f"<item>{''.join(parts)}</item>")
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://news.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def atom(title: str, items: list[Item]) -> bytes:
    entries = []
    for item in items:
        parts = [
            f"<title>{escape(item.title)}</title>",
            f'<link href="{escape(item.link)}"/>',
            f"<id>{escape(item.guid or item.link)}</id>",
        ]
        if item.summary:
            parts.append(f"<summary>{escape(item.summary)}</summary>")
        if item.published:
            parts.append(f"<updated>{item.published.isoformat()}</updated>")
        entries.append(f"<entry>{''.join(parts)}</entry>")
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}'
        f"</title><id>urn:feed</id>{''.join(entries)}</feed>"
    ).encode()


def json_feed(title: str, items: list[Item]) -> bytes:
    import json

    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "items": [
                {
                    "id": item.guid or item.link,
                    "url": item.link,
                    "title": item.title,
                    "content_text": item.summary,
                    **({"date_published": item.published.isoformat()} if item.published else {}),
                }
                for item in items
            ],
        }
    ).encode()


@dataclass(slots=True)
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answer 304 to a request that sends it back
    location: str | None = None  # with a 3xx status
    cut_short: bool = False  # promise more bytes than are sent, then close
    hang: bool = False  # never answer


@dataclass(frozen=True, slots=True)
class Seen:
    path: str
    if_none_match: str | None
    if_modified_since: str | None


class FeedSite:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.server: TestServer | None = None
        self._never = asyncio.Event()

    @property
    def port(self) -> int:
        assert self.server is not None and self.server.port is not None
        return self.server.port

    @property
    def allow(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Seen(request.path, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"))
        )
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="no such feed")
        if route.hang:
            await self._never.wait()
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
            if request.headers.get("If-None-Match") == route.etag:
                return web.Response(status=304, headers=headers)
        if route.location:
            headers["Location"] = route.location
            return web.Response(status=route.status, headers=headers)
        if route.cut_short:
            response = web.StreamResponse(
                status=200, headers={**headers, "Content-Length": str(len(route.body) + 4096)}
            )
            response.content_type = route.content_type
            await response.prepare(request)
            await response.write(route.body)
            assert request.transport is not None
            request.transport.close()
            return response
        return web.Response(status=route.status, body=route.body, content_type=route.content_type, headers=headers)

    @classmethod
    @asynccontextmanager
    async def running(cls) -> AsyncIterator[FeedSite]:
        site = cls()
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", site._handle)
        site.server = TestServer(app, host="127.0.0.1")
        await site.server.start_server()
        try:
            yield site
        finally:
            site._never.set()
            await site.server.close()
