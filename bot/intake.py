"""Intake off the event loop, and links.

Parsing and web-page extraction are CPU work: a 1 MiB article takes up to a second. In the bot they run in a
process pool (`intake_pool`, built once by bot.process and injected), so a big `/story add` never delays
another user's command; `python -m bench.add_latency` measures it (a thread was not enough, see there). The
CLI, which serves nobody else meanwhile, parses in its own process.

A link is fetched with the shared `Fetcher` (every address checked), then its body is parsed like a file:
HTML through main-text extraction, plain text and Markdown through the parser. The story's url is the final
URL after redirects, and its origin is that URL, so importing the same link again updates the same story.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from datetime import tzinfo
from typing import TYPE_CHECKING, TypeVar

from bot.errors import UserError
from bot.parser import MAX_ARTICLE_BYTES, parse_article
from bot.story_model import Story

if TYPE_CHECKING:
    from bot.fetch import Fetcher  # aiohttp: loaded only where a Fetcher is opened

T = TypeVar("T")

INTAKE_WORKERS = 2  # started on first use; a second one only when two parses overlap
WORKER_NICENESS = 10
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/xml", "text/xml"}
)
ARTICLE_ACCEPT = "text/html,application/xhtml+xml,text/markdown;q=0.9,text/plain;q=0.8,*/*;q=0.1"


def _start_worker() -> None:
    # Ctrl-C reaches the whole process group: the bot stops its workers itself, without their tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Below the bot in the CPU's queue: on a busy machine its event loop, answering everyone, goes first.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="exit with the bot", daemon=True).start()


def _exit_with(parent_sentinel: int) -> None:
    """A bot that is killed (SIGKILL, OOM) cannot stop its workers: each one leaves when its parent is gone."""
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(0)


@asynccontextmanager
async def intake_pool(workers: int = INTAKE_WORKERS) -> AsyncIterator[Executor]:
    """The worker processes that parse and extract for the bot. Spawned, not forked: the bot has threads."""
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
    )
    try:
        yield pool
    finally:
        # In a thread: a parse still running must not hold up the event loop while the bot stops.
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


class ArticleParser:
    """Parses articles in `pool` when one is given (the bot), else in this process (the CLI, tests)."""

    def __init__(self, default_tz: tzinfo, pool: Executor | None = None) -> None:
        self.default_tz = default_tz
        self.pool = pool

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` in the pool; it and its arguments must pickle (a module-level function)."""
        if self.pool is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)

    async def parse(
        self,
        data: bytes | str,
        origin: str,
        *,
        url: str | None = None,
        html: bool | None = None,
        max_bytes: int = MAX_ARTICLE_BYTES,
    ) -> Story:
        """`parse_article`; raises its ParseError (which survives the trip back from a worker)."""
        work = functools.partial(parse_article, url=url, html=html, max_bytes=max_bytes)
        return await self.run(work, data, origin, self.default_tz)


def link_origin(url: str, scope_id: str | None) -> str:
    """Where a story from a link came from: its final URL, per server (a server's story is its own)."""
    return f"url:{url}" if scope_id is None else f"server:{scope_id}:url:{url}"


async def fetch_story(fetcher: Fetcher, parser: ArticleParser, url: str) -> Story:
    """The story of the page at `url`. Raises FetchError, ParseError or UserError, each with a message for the
    person who gave the link."""
    result = await fetcher.fetch(url, accept=ARTICLE_ACCEPT)
    kind = result.content_type
    if kind in HTML_TYPES:
        # A real page is mostly scripts and markup: extraction drops them, so it may be as big as a fetch.
        html, limit = True, fetcher.limits.max_bytes
    elif kind is None or kind in TEXT_TYPES:
        html, limit = None, MAX_ARTICLE_BYTES
    elif kind in FEED_TYPES:
        raise UserError(f"{result.url} is a feed ({kind}), not an article: give the link of one of its articles.")
    else:
        raise UserError(
            f"{result.url} is {kind}, not an article: briefbot reads web pages (HTML), plain text and Markdown."
        )
    data = result.text() if result.charset else result.body  # no declared charset: the parser's guess
    return await parser.parse(data, result.url, url=result.url, html=html, max_bytes=limit)
