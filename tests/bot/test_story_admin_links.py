"""Tests for `StoryAdminService.add_link` (`/story add link:`): a page from a loopback site becomes a server's own
story, on a real SQLite file; the same link again updates it; private addresses are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import pytest

from bot.errors import UserError
from bot.fetch import Fetcher, FetchLimits
from bot.follow_service import FollowService
from bot.intake import ArticleParser
from bot.markdown import to_markdown
from bot.markup import plain
from bot.story_admin import StoryAdminService
from bot.story_service import StoryService
from storage.database import Database
from storage.follows import FollowRepository
from storage.stories import StoryRepository
from tests.pages import BUS_PAGE, BUS_SLUG, BUS_TITLE, HTML, PageSite

GUILD = "discord:111111111111111111"
OTHER_GUILD = "discord:222222222222222222"


@pytest.fixture
def site(bus_site: PageSite) -> PageSite:
    return bus_site


@pytest.fixture
async def admin(db: Database, stories: StoryRepository, site: PageSite) -> AsyncIterator[StoryAdminService]:
    story_service = StoryService(stories)
    follows = FollowService(FollowRepository(db), stories, story_service, burst_window=timedelta(minutes=10))
    limits = FetchLimits(connect_timeout=2.0, total_timeout=10.0)
    async with Fetcher.open({("127.0.0.1", site.port)}, limits) as fetcher:
        yield StoryAdminService(stories, story_service, follows, parser=ArticleParser(UTC), fetcher=fetcher)


async def test_a_link_becomes_a_story_of_this_server_with_the_final_url(
    admin: StoryAdminService, stories: StoryRepository, site: PageSite
) -> None:
    reply = await admin.add_link(site.url("/b"), GUILD)
    assert reply.ephemeral
    assert f"**{BUS_TITLE}** is now tracked as `{BUS_SLUG}`" in to_markdown(reply.text)
    assert site.url("/news/bus") in plain(reply.text)
    story = await stories.get(BUS_SLUG, GUILD)
    assert story is not None and story.scope_id == GUILD
    assert story.url == site.url("/news/bus") and story.source == "The Harbor Ledger"
    assert await stories.get(BUS_SLUG, OTHER_GUILD) is None


async def test_the_same_link_again_updates_the_same_story(
    admin: StoryAdminService, stories: StoryRepository, site: PageSite
) -> None:
    await admin.add_link(site.url("/news/bus"), GUILD)
    assert "already tracked" in plain((await admin.add_link(site.url("/b"), GUILD)).text)  # same final URL, same text

    site.pages["/news/bus"] = (HTML, BUS_PAGE.replace(b"twelve overnight bus routes", b"fourteen overnight bus routes"))
    reply = await admin.add_link(site.url("/news/bus"), GUILD)
    assert f"already tracked as `{BUS_SLUG}`" in to_markdown(reply.text) and "now updated" in plain(reply.text)
    assert await stories.count(GUILD) == 1
    detail = await stories.detail(BUS_SLUG, GUILD)
    assert detail is not None and "fourteen overnight bus routes" in detail.story.summary


async def test_each_server_gets_its_own_story_of_a_link(
    admin: StoryAdminService, stories: StoryRepository, site: PageSite
) -> None:
    await admin.add_link(site.url("/news/bus"), GUILD)
    reply = await admin.add_link(site.url("/news/bus"), OTHER_GUILD)
    assert "now tracked as" in plain(reply.text)
    assert await stories.count(GUILD) == await stories.count(OTHER_GUILD) == 1


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("http://10.0.0.1/", "Not fetched: 10.0.0.1 is a private address"),
        ("/to-private", "Not fetched: 192.168.0.10 is a private address"),
        ("/missing", "answered 404 Not Found"),
        ("ftp://example.com/a", "Only http:// and https:// links"),
    ],
)
async def test_a_link_that_cannot_be_fetched_saves_nothing_and_says_why(
    admin: StoryAdminService, stories: StoryRepository, site: PageSite, path: str, why: str
) -> None:
    site.redirects["/to-private"] = "http://192.168.0.10/story"
    url = site.url(path) if path.startswith("/") else path
    with pytest.raises(UserError) as raised:
        await admin.add_link(url, GUILD)
    assert str(raised.value).startswith("Nothing was saved.") and why in str(raised.value)
    assert await stories.count(GUILD) == 0


async def test_without_a_fetcher_links_are_refused(db: Database, stories: StoryRepository) -> None:
    story_service = StoryService(stories)
    follows = FollowService(FollowRepository(db), stories, story_service, burst_window=timedelta(minutes=10))
    admin = StoryAdminService(stories, story_service, follows)
    with pytest.raises(UserError, match="as a file or text"):
        await admin.add_link("https://example.com/a", GUILD)
