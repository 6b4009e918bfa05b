"""Shared fixtures: the seed article, and a real SQLite store in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.discord.endpoints import apply_endpoint_overrides, reset_endpoint_overrides
from bot.parser import parse_article
from bot.story_model import Story
from storage.database import Database
from storage.stories import StoryRepository
from tests.pages import BUS_PAGE, HTML, PageSite, page_site
from tests.stub.discord_stub import DiscordStub

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"
SEED_PATH = SEEDS_DIR / "000_800ad5a71d100b42.txt"

# The spec: the seed's "Key Points of Zuckerberg's Visit:" section has exactly these labelled bullets.
SEED_KEY_POINT_LABELS = ("Meetings with Key Players", "AI Discussions", "Meta's AI Push")
SEED_HEADINGS = ("Key Points of Zuckerberg's Visit:", "Why South Korea?", "Potential Outcomes:", "Looking Ahead:")


@pytest.fixture
def seed_path() -> Path:
    return SEED_PATH


@pytest.fixture
def seed_bytes() -> bytes:
    return SEED_PATH.read_bytes()


@pytest.fixture
def seed_text(seed_bytes: bytes) -> str:
    return seed_bytes.decode("utf-8")


@pytest.fixture
def seed_story(seed_bytes: bytes) -> Story:
    return parse_article(seed_bytes, str(SEED_PATH))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "briefbot.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with Database.open(db_path) as database:
        yield database


@pytest.fixture
def stories(db: Database) -> StoryRepository:
    return StoryRepository(db)


@pytest.fixture
async def bus_site() -> AsyncIterator[PageSite]:
    """A loopback site (list it in FETCH_ALLOW_HOSTS) with the corpus's bus page at /news/bus; /b redirects there."""
    async with page_site({"/news/bus": (HTML, BUS_PAGE)}) as site:
        site.redirects["/b"] = "/news/bus"
        yield site


def markdown_article(
    title: str = "Chipmakers Race to Build AI Memory",
    date: str = "2024-03-01 09:30 UTC",
    body: str | None = None,
    **front: str,
) -> str:
    """A small Markdown article with front matter; extra keyword arguments become front-matter keys."""
    lines = ["---", f"title: {title}", f"date: {date}", *(f"{key}: {value}" for key, value in front.items()), "---"]
    if body is None:
        body = (
            "Memory makers are expanding factories to meet demand from AI data centres.\n\n"
            "## Key Points\n\n"
            "- Capacity: New lines open next year.\n"
            "- Prices: Contract prices for high-bandwidth memory keep rising.\n"
        )
    return "\n".join(lines) + "\n\n" + body


@pytest.fixture
def endpoints(stub: DiscordStub) -> Iterator[None]:
    """discord.py pointed at the test module's loopback `stub` for one test, and back to discord.com after it."""
    apply_endpoint_overrides(stub.api_base, stub.gateway_url)
    try:
        yield
    finally:
        reset_endpoint_overrides()
