"""Tests for bot.intake: parsing in worker processes, and links fetched from a loopback site into stories."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC

import pytest

from bot.errors import UserError
from bot.fetch import Fetcher, FetchError, FetchFailure, FetchLimits
from bot.intake import WORKER_NICENESS, ArticleParser, fetch_story, intake_pool, link_origin
from bot.parser import MAX_ARTICLE_BYTES, ParseError
from tests.conftest import REPO_ROOT, SEED_KEY_POINT_LABELS, SEED_PATH, markdown_article
from tests.pages import BUS_PAGE, BUS_TITLE, HTML, PageSite

LIMITS = FetchLimits(connect_timeout=2.0, total_timeout=10.0)


@pytest.fixture
def site(bus_site: PageSite) -> PageSite:
    return bus_site


@pytest.fixture
async def fetcher(site: PageSite) -> AsyncIterator[Fetcher]:
    async with Fetcher.open({("127.0.0.1", site.port)}, LIMITS) as opened:
        yield opened


PARSER = ArticleParser(UTC)


_KILLED_BOT = """
import asyncio, os
from datetime import UTC
from bot.intake import ArticleParser, intake_pool

async def main():
    async with intake_pool(workers=1) as pool:
        print(await ArticleParser(UTC, pool).run(os.getpid), flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd to wait on a process that is not a child")
async def test_a_worker_leaves_when_the_bot_is_killed() -> None:
    read, write = os.pipe()  # the worker inherits stdout: a pipe of our own, so no wait depends on its closing
    bot = await asyncio.create_subprocess_exec(sys.executable, "-c", _KILLED_BOT, cwd=REPO_ROOT, stdout=write)
    os.close(write)
    with os.fdopen(read) as output:
        worker = int(await asyncio.wait_for(asyncio.to_thread(output.readline), 30))
    exited = asyncio.Event()
    pidfd = os.pidfd_open(worker)
    loop = asyncio.get_running_loop()
    loop.add_reader(pidfd, exited.set)  # readable once the worker has exited
    try:
        bot.kill()  # SIGKILL: the bot cannot stop its pool
        await asyncio.wait_for(bot.wait(), 10)
        await asyncio.wait_for(exited.wait(), 10)
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        if not exited.is_set():
            os.kill(worker, signal.SIGKILL)  # an orphan this test made


def test_a_parse_error_survives_the_trip_back_from_a_worker() -> None:
    error = ParseError("a.txt", 3, "cannot parse date: no")
    back = pickle.loads(pickle.dumps(error))
    assert (back.origin, back.line, back.message, str(back)) == ("a.txt", 3, "cannot parse date: no", str(error))


async def test_the_pool_parses_in_another_process_and_raises_parse_errors() -> None:
    async with intake_pool(workers=1) as pool:
        parser = ArticleParser(UTC, pool)
        story = await parser.parse(SEED_PATH.read_bytes(), "seed.txt")
        assert [b.label for b in story.key_points] == list(SEED_KEY_POINT_LABELS)
        with pytest.raises(ParseError) as raised:
            await parser.parse(b"", "empty.txt")
        assert str(raised.value) == "empty.txt:1: file is empty"
        assert await parser.run(os.getpid) != os.getpid()
        assert await parser.run(os.nice, 0) == min(19, os.nice(0) + WORKER_NICENESS)  # the bot goes first


async def test_a_web_page_becomes_a_story_whose_url_is_the_final_one(site: PageSite, fetcher: Fetcher) -> None:
    site.redirects["/short"] = "/go"
    site.redirects["/go"] = "/news/bus"
    story = await fetch_story(fetcher, PARSER, site.url("/short"))
    assert story.title == BUS_TITLE
    assert story.url == site.url("/news/bus")  # not the page's canonical harborledger.example address
    assert story.source == "The Harbor Ledger"
    assert "cookie" not in story.search_sections_text().lower()
    assert site.requests == ["/short", "/go", "/news/bus"]


async def test_a_page_without_html_extension_or_doctype_is_read_as_html_by_its_type(
    site: PageSite, fetcher: Fetcher
) -> None:
    body = b"<h1>Ferry Strike Ends</h1><p>The strike ended on Monday after a deal on pay.</p><p>Boats run today.</p>"
    site.pages["/ferry"] = ("text/html", body)
    story = await fetch_story(fetcher, PARSER, site.url("/ferry"))
    assert story.title == "Ferry Strike Ends"
    assert "<p>" not in story.summary


async def test_plain_text_and_markdown_go_through_the_parser(site: PageSite, fetcher: Fetcher) -> None:
    site.pages["/seed.txt"] = ("text/plain; charset=utf-8", SEED_PATH.read_bytes())
    site.pages["/chips.md"] = ("text/markdown", markdown_article().encode())
    seed = await fetch_story(fetcher, PARSER, site.url("/seed.txt"))
    assert [b.label for b in seed.key_points] == list(SEED_KEY_POINT_LABELS)
    assert seed.url == site.url("/seed.txt")
    chips = await fetch_story(fetcher, PARSER, site.url("/chips.md"))
    assert chips.title == "Chipmakers Race to Build AI Memory"


async def test_a_declared_charset_is_used(site: PageSite, fetcher: Fetcher) -> None:
    text = "Grève au métro\n\n5 mars 2024 10:00\n\nLes conducteurs réclament une hausse de salaire. Trafic réduit."
    site.pages["/greve"] = ("text/plain; charset=iso-8859-1", text.encode("latin-1"))
    story = await fetch_story(fetcher, PARSER, site.url("/greve"))
    assert story.title == "Grève au métro"


async def test_a_web_page_may_be_bigger_than_a_file_but_text_may_not(site: PageSite, fetcher: Fetcher) -> None:
    padding = b"<script>" + b"var x = 1;\n" * (MAX_ARTICLE_BYTES // 10) + b"</script>"
    site.pages["/big-page"] = (HTML, BUS_PAGE.replace(b"</head>", padding + b"</head>", 1))
    story = await fetch_story(fetcher, PARSER, site.url("/big-page"))
    assert story.title == BUS_TITLE
    site.pages["/big.txt"] = ("text/plain", SEED_PATH.read_bytes() + b"x" * MAX_ARTICLE_BYTES)
    with pytest.raises(ParseError, match="larger than the 1 MiB limit"):
        await fetch_story(fetcher, PARSER, site.url("/big.txt"))


@pytest.mark.parametrize(
    ("content_type", "why"),
    [("application/pdf", "is application/pdf, not an article"), ("application/rss+xml", "is a feed")],
)
async def test_what_is_no_article_is_refused(site: PageSite, fetcher: Fetcher, content_type: str, why: str) -> None:
    site.pages["/thing"] = (content_type, b"%PDF-1.7 or <rss/>")
    with pytest.raises(UserError, match=why):
        await fetch_story(fetcher, PARSER, site.url("/thing"))


async def test_a_page_with_no_article_text_is_a_parse_error_naming_the_url(site: PageSite, fetcher: Fetcher) -> None:
    site.pages["/empty"] = (HTML, b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
    with pytest.raises(ParseError) as raised:
        await fetch_story(fetcher, PARSER, site.url("/empty"))
    assert str(raised.value).startswith(site.url("/empty"))


async def test_private_addresses_are_refused_with_the_reason(site: PageSite, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as raised:
        await fetch_story(fetcher, PARSER, "http://10.0.0.1/news")
    assert raised.value.reason is FetchFailure.REFUSED_ADDRESS and "10.0.0.1 is a private address" in str(raised.value)
    site.redirects["/inside"] = "http://192.168.1.1/admin"
    with pytest.raises(FetchError, match="192.168.1.1 is a private address"):
        await fetch_story(fetcher, PARSER, site.url("/inside"))


def test_a_links_origin_is_its_url_in_its_server() -> None:
    assert link_origin("https://a.example/x", None) == "url:https://a.example/x"
    assert link_origin("https://a.example/x", 42) != link_origin("https://a.example/x", 43)
