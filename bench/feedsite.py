"""The feed benchmarks' site: thousands of synthetic RSS feeds from one aiohttp server in its own process.

The server listens on `hosts` loopback addresses (127.0.0.1, 127.0.0.2, …), each on its own port, and every one is
listed in FETCH_ALLOW_HOSTS. Feed n is at `http://127.0.0.{1 + n % hosts}:{port}/f/{n}.xml`: the bot allows 2
fetches at once per host, so more addresses let a round run more fetches at once (`hosts=1` is one site).

A feed has a version, 0 at first. Version v lists the newest `items` of its `items + v * new_items` items (newest
first), with the ETag `"n-v"`: a conditional GET with the current ETag gets a 304 and no body. `bump(start, stop)`
moves feeds to their next version, whose `new_items` new items are dated the moment of the bump. The items of
version 0 are old news (January 2024), unrelated to any story; a new item is, with probability
`development_share`, a development of one of `titles` (the generated stories of `bench.articles`: its person,
company, place and topic, plus new facts), else ordinary unrelated news. Every item links to an article page on
the same host (`/a/{n}/{i}`), for runs that read articles.

The server runs in a child process so that its CPU and memory are not counted as the bot's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
from aiohttp import web

from bench.articles import ADJECTIVES, NOUNS, TITLE_TEMPLATES, VERBS
from tests.feedserver import Entry, Feed, article_page, render

OLD_NEWS = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = "Monday Tuesday Wednesday Thursday Friday".split()
TOWNS = "Harrowgate Milbrook Ostrava Kilnsea Varberg Tarnow Ebbfleet Saltmarsh Corriedale Lenham".split()


@dataclass(frozen=True, slots=True)
class SiteSpec:
    feeds: int
    hosts: int = 1
    items: int = 50  # listed per feed
    new_items: int = 5  # per version
    development_share: float = 0.2
    titles: tuple[str, ...] = ()  # stories that new items may develop
    story_per_feed: bool = False  # feed n's developments are all of titles[n]
    seed: int = 1010


def _template(template: str) -> re.Pattern[str]:
    """A regular expression that reads a generated title back into its parts."""
    pattern = re.escape(template)
    for name in ("person", "org2", "org", "place", "Topic"):
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+?)", 1)
    return re.compile(f"^{pattern}$")


TEMPLATES = [_template(t) for t in TITLE_TEMPLATES]


def title_parts(title: str) -> dict[str, str]:
    for template in TEMPLATES:
        match = template.match(title)
        if match:
            return match.groupdict()
    words = title.split()
    return {"person": words[0], "org": words[-1], "place": words[len(words) // 2], "Topic": "its plans"}


class Content:
    """What each feed lists at each version: deterministic for a spec, computed when asked."""

    def __init__(self, spec: SiteSpec) -> None:
        self.spec = spec
        self.parts = [title_parts(t) for t in spec.titles]

    def entries(self, n: int, version: int, bumped_at: datetime | None) -> list[Entry]:
        total = self.spec.items + version * self.spec.new_items
        return [self.entry(n, i, bumped_at) for i in range(total - 1, max(total - self.spec.items, 0) - 1, -1)]

    def entry(self, n: int, i: int, bumped_at: datetime | None) -> Entry:
        rng = random.Random(f"{self.spec.seed}:{n}:{i}")
        if i < self.spec.items:
            return self._news(n, i, rng, OLD_NEWS + timedelta(hours=i))
        # New items are dated the second after their bump: feeds show whole seconds.
        when = (bumped_at or datetime.now(UTC)).replace(microsecond=0) + timedelta(seconds=1)
        if self.parts and rng.random() < self.spec.development_share:
            story = n % len(self.parts) if self.spec.story_per_feed else rng.randrange(len(self.parts))
            return self._development(n, i, rng, when, self.parts[story])
        return self._news(n, i, rng, when)

    @staticmethod
    def _link(n: int, i: int) -> str:
        return f"/a/{n}/{i}"

    def _news(self, n: int, i: int, rng: random.Random, when: datetime) -> Entry:
        town, noun, other = rng.choice(TOWNS), rng.choice(NOUNS), rng.choice(NOUNS)
        title = f"{town} council {rng.choice(VERBS)}s {rng.choice(ADJECTIVES)} {noun} plan for the {other} ({i})"
        summary = (
            f"Councillors in {town} met on {rng.choice(DAYS)} over the {noun} and its {rng.choice(ADJECTIVES)} "
            f"{other}; a vote on {rng.randint(2, 40)} {rng.choice(NOUNS)}s follows next month."
        )
        article = f"{summary}\n\nResidents of {town} asked about the {rng.choice(NOUNS)} and the cost."
        return Entry(title, self._link(n, i), summary, when, f"bench-{n}-{i}", article)

    def _development(self, n: int, i: int, rng: random.Random, when: datetime, parts: dict[str, str]) -> Entry:
        # Every title template names a place and a topic, and at least two of a person and companies.
        place, topic = parts["place"], parts["Topic"].lower()
        person = parts.get("person") or parts["org2"]
        org = parts.get("org") or parts["org2"]
        jobs, money = rng.randint(100, 900), rng.randint(2, 40)
        title = f"{person} and {org} sign {topic} deal in {place} worth {money} billion"
        summary = (
            f"{person} and {org} signed a {topic} agreement in {place} on {rng.choice(DAYS)}, worth {money} billion, "
            f"with {jobs} new jobs at a {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} there, officials said."
        )
        article = f"{summary}\n\nThe {topic} deal in {place} follows {person}'s talks with {org} this week."
        return Entry(title, self._link(n, i), summary, when, f"bench-{n}-{i}", article)


def _serve(spec: SiteSpec, conn: Connection) -> None:
    asyncio.run(_run(spec, conn))


async def _run(spec: SiteSpec, conn: Connection) -> None:
    content = Content(spec)
    versions = [0] * spec.feeds
    bumped: list[datetime | None] = [None] * spec.feeds
    stats: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/f/"):
            n = int(path[3:].removesuffix(".xml"))
            etag = f'"{n}-{versions[n]}"'
            if request.headers.get("If-None-Match") == etag:
                stats["304"] += 1
                return web.Response(status=304, headers={"ETag": etag})
            feed = Feed(f"Bench Wire {n}", content.entries(n, versions[n], bumped[n]))
            body = render(feed, f"http://{request.host}", path)
            stats["200"] += 1
            stats["feed_bytes"] += len(body)
            return web.Response(body=body, content_type="application/rss+xml", charset="utf-8", headers={"ETag": etag})
        if path.startswith("/a/"):
            _, _, n, i = path.split("/")
            stats["articles"] += 1
            page = article_page(content.entry(int(n), int(i), bumped[int(n)]))
            return web.Response(body=page, content_type="text/html", charset="utf-8")
        if path == "/_bump":
            now = datetime.now(UTC)
            for n in range(int(request.query["start"]), int(request.query["stop"])):
                versions[n] += 1
                bumped[n] = now
            return web.json_response({"bumped_at": now.isoformat()})
        if path == "/_stats":
            return web.json_response(dict(stats))
        return web.Response(status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    addresses = []
    for k in range(spec.hosts):
        host = f"127.0.0.{k + 1}"
        site = web.TCPSite(runner, host, 0, backlog=1024)
        await site.start()
        addresses.append((host, site._server.sockets[0].getsockname()[1]))  # type: ignore[union-attr]
    conn.send(addresses)
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until told to stop
    await runner.cleanup()


class FeedSite:
    """The parent's handle on the server process: `async with FeedSite(spec) as site`."""

    def __init__(self, spec: SiteSpec) -> None:
        self.spec = spec
        self.addresses: list[tuple[str, int]] = []
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(spec, child), daemon=True)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FeedSite:
        self.process.start()
        self.addresses = await asyncio.to_thread(self._conn.recv)
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        self._conn.send("stop")
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.terminate()

    @property
    def allow_hosts(self) -> str:
        """The FETCH_ALLOW_HOSTS value listing every address of the site."""
        return ",".join(f"{host}:{port}" for host, port in self.addresses)

    def url(self, n: int) -> str:
        host, port = self.addresses[n % len(self.addresses)]
        return f"http://{host}:{port}/f/{n}.xml"

    async def _control(self, path: str, **query: int) -> Any:
        assert self._session is not None
        host, port = self.addresses[0]
        async with self._session.get(f"http://{host}:{port}{path}", params=query) as response:
            response.raise_for_status()
            return await response.json()

    async def bump(self, start: int, stop: int) -> datetime:
        """Feeds start..stop-1 get their next version now; returns when."""
        answer = await self._control("/_bump", start=start, stop=stop)
        return datetime.fromisoformat(answer["bumped_at"])

    async def stats(self) -> dict[str, int]:
        """Answers so far: "200", "304", "articles", and "feed_bytes" served in 200s."""
        return await self._control("/_stats")
