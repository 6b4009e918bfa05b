"""A loopback web site of article pages, for links (`/story add link:`, `briefbot import <url>`).

It listens on 127.0.0.1 only. Tests list it in FETCH_ALLOW_HOSTS (or `Fetcher.open`'s allow list), as a
self-hosted site would be; nothing switches the address checks off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.corpus.corpus import ARTICLES_DIR

HTML = "text/html; charset=utf-8"
# A real web page of the corpus: menus, cookie banner, scripts and footer around the article.
BUS_PAGE = (ARTICLES_DIR / "05-html-harbor-night-bus.html").read_bytes()
BUS_TITLE = "City Council Approves Overnight Bus Network"
BUS_SLUG = "city-council-approves-overnight-bus-network"


@dataclass
class PageSite:
    """Serves `pages` (path -> content type and body) and `redirects` (path -> Location, a 302); both may change
    while it runs. `requests` lists the paths asked for."""

    server: TestServer
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    @property
    def allow(self) -> str:
        """Its FETCH_ALLOW_HOSTS entry."""
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        if request.path not in self.pages:
            raise web.HTTPNotFound()
        content_type, body = self.pages[request.path]
        return web.Response(body=body, headers={"Content-Type": content_type})


@asynccontextmanager
async def page_site(pages: dict[str, tuple[str, bytes]] | None = None) -> AsyncIterator[PageSite]:
    app = web.Application()
    server = TestServer(app, host="127.0.0.1")
    site = PageSite(server, dict(pages or {}))
    app.router.add_get("/{path:.*}", site._serve)
    await server.start_server()
    try:
        yield site
    finally:
        await server.close()
