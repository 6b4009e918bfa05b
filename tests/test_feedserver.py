"""The loopback feed server itself: each format parses, a change makes a new body, an unchanged feed answers 304,
and scripted answers come back as the fetcher sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.parse import parse_feed
from bot.fetch import Fetcher, FetchError, FetchLimits
from tests.feedserver import Entry, FeedServer, Format

WHEN = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
FIRST = Entry(
    "Zuckerberg meets Yoon in Seoul",
    "/a/1",
    "Talks on AI chips.",
    WHEN,
    guid="g1",
    article="Mark Zuckerberg met President Yoon Suk Yeol in Seoul.",
)
SECOND = Entry("Meta and Samsung sign a chip deal", "/a/2", "The deal covers AI memory.", WHEN + timedelta(hours=2))


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher(feeds: FeedServer) -> AsyncIterator[Fetcher]:
    host, port = feeds.allow_host.rsplit(":", 1)
    async with Fetcher.open([(host, int(port))], FetchLimits(connect_timeout=1, total_timeout=1)) as client:
        yield client


@pytest.mark.parametrize("form", list(Format))
async def test_each_format_parses_with_absolute_links_and_dates(
    feeds: FeedServer, fetcher: Fetcher, form: Format
) -> None:
    url = feeds.publish(f"/feed.{form}", "Seoul Herald", [SECOND, FIRST], format=form)
    result = await fetcher.fetch(url)
    parsed = parse_feed(result.body, result.content_type, result.url)
    assert parsed.title == "Seoul Herald"
    assert [item.title for item in parsed.items] == [SECOND.title, FIRST.title]
    assert parsed.items[0].link == feeds.url("/a/2") and parsed.items[1].published == WHEN


async def test_unchanged_feed_answers_304_and_a_change_gives_a_new_etag(feeds: FeedServer, fetcher: Fetcher) -> None:
    url = feeds.publish("/f.xml", "Seoul Herald", [FIRST])
    first = await fetcher.fetch(url)
    again = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert first.status == 200 and first.etag and again.not_modified
    by_date = await fetcher.fetch(url, last_modified=first.last_modified)
    assert by_date.not_modified

    feeds.add("/f.xml", SECOND)
    changed = await fetcher.fetch(url, etag=first.etag)
    assert changed.status == 200 and changed.etag != first.etag
    assert [hit.status for hit in feeds.requests] == [200, 304, 304, 200]
    assert [hit.conditional for hit in feeds.requests] == [False, True, True, True]


async def test_articles_are_served_at_their_links(feeds: FeedServer, fetcher: Fetcher) -> None:
    feeds.publish("/f.xml", "Seoul Herald", [FIRST])
    page = await fetcher.fetch(feeds.entry_url(FIRST))
    assert page.content_type == "text/html" and b"President Yoon Suk Yeol" in page.body
    with pytest.raises(FetchError) as missing:
        await fetcher.fetch(feeds.url("/a/404"))
    assert missing.value.status == 404


async def test_scripted_answers(feeds: FeedServer, fetcher: Fetcher) -> None:
    feeds.publish("/f.xml", "Seoul Herald", [FIRST])
    feeds.answer("/f.xml", 410)
    with pytest.raises(FetchError) as gone:
        await fetcher.fetch(feeds.url("/f.xml"))
    assert gone.value.status == 410 and not gone.value.temporary

    feeds.publish("/new.xml", "Seoul Herald", [FIRST])
    feeds.move("/f.xml", "/new.xml")
    moved = await fetcher.fetch(feeds.url("/f.xml"))
    assert moved.permanent_url == feeds.url("/new.xml")

    feeds.serve_raw("/f.xml", b"<rss><channel><title>cut", "application/rss+xml")
    assert (await fetcher.fetch(feeds.url("/f.xml"))).body.endswith(b"cut")
    feeds.hang("/f.xml")
    with pytest.raises(FetchError) as hung:
        await fetcher.fetch(feeds.url("/f.xml"))
    assert hung.value.temporary
    feeds.restore("/f.xml")
    assert (await fetcher.fetch(feeds.url("/f.xml"))).status == 200
    assert feeds.hits("/f.xml", status=410) == 1


async def test_wait_for_wakes_on_a_request(feeds: FeedServer, fetcher: Fetcher) -> None:
    url = feeds.publish("/f.xml", "Seoul Herald", [FIRST])
    await fetcher.fetch(url)
    assert await feeds.wait_for(lambda: feeds.hits("/f.xml"), timeout=2) == 1
    with pytest.raises(TimeoutError, match="a second poll"):
        await feeds.wait_for(lambda: feeds.hits("/f.xml") >= 2, timeout=0.3, what="a second poll")
