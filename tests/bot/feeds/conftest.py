"""Fixtures for the feed service tests: a loopback site, a real Fetcher allowed to reach it, an injected clock,
and the service on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.service import FeedService
from bot.feeds.settings import FeedSettings
from bot.fetch import Fetcher, FetchLimits
from bot.story_service import StoryService
from storage.database import Database
from storage.feeds import FeedRepository
from storage.stories import StoryRepository
from tests.bot.feeds.feedsite import FeedSite
from tests.helpers import WakeCounter

T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)  # the seed story is stored the day before
GUILD = "discord:111111111111111111"
OTHER_GUILD = "discord:222222222222222222"
CHANNEL = "discord:555555555555555555"
LIMITS = FetchLimits(connect_timeout=2.0, total_timeout=1.5)
# No jitter, no article fetches: each test turns on what it checks.
SETTINGS = FeedSettings(jitter=0.0, fetch_articles=False)


class Clock:
    """The service's clock: tests move it; nothing sleeps."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite.running() as running:
        yield running


@pytest.fixture
async def fetcher(site: FeedSite) -> AsyncIterator[Fetcher]:
    async with Fetcher.open([site.allow], LIMITS) as opened:
        yield opened


@pytest.fixture
def alerts_woken() -> WakeCounter:
    return WakeCounter()


@pytest.fixture
def delivery_woken() -> WakeCounter:
    return WakeCounter()


MakeService = Callable[..., FeedService]


@pytest.fixture
def make_service(
    db: Database, fetcher: Fetcher, clock: Clock, alerts_woken: WakeCounter, delivery_woken: WakeCounter
) -> MakeService:
    """A new FeedService on the same database (a second one is what a restart builds); keywords change settings."""

    def make(**settings: object) -> FeedService:
        stories = StoryRepository(db)
        return FeedService(
            FeedRepository(db),
            stories,
            StoryService(stories),
            fetcher,
            settings=replace(SETTINGS, **settings),  # type: ignore[arg-type]
            wake_alerts=alerts_woken,
            wake_delivery=delivery_woken,
            clock=clock,
        )

    return make


@pytest.fixture
def service(make_service: MakeService) -> FeedService:
    return make_service()
