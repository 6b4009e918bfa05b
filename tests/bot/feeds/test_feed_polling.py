"""Polling against the loopback site: conditional GETs, what servers ask, failures with their reasons, backoff
with an injected clock, disabling with one notice, and permanent moves. Nothing sleeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot import payloads
from bot.feeds.poller import Slots
from bot.feeds.service import FeedService, FeedStatus
from bot.markdown import to_markdown
from storage.database import Database
from storage.feeds import FeedRecord, FeedRepository
from tests.bot.feeds.conftest import CHANNEL, GUILD, T0, Clock, MakeService
from tests.bot.feeds.feedsite import FeedSite, Item, Route, rss
from tests.helpers import WakeCounter, outbox_items

SAMPLES = Path(__file__).parent / "samples"
ITEM = Item("Snow closes roads", "https://a.example/snow", "Snow fell.", T0 - timedelta(hours=1))


async def _feed(db: Database, feed_id: int) -> FeedRecord:
    record = await FeedRepository(db).by_id(feed_id)
    assert record is not None
    return record


async def _add(site: FeedSite, service: FeedService, route: Route | None = None, **options: object) -> int:
    site.routes["/feed"] = route or Route(rss("Outlet", [ITEM]))
    return (await service.add(site.url("/feed"), GUILD, CHANNEL, **options)).feed_id  # type: ignore[arg-type]


# --- conditional GET and what the server asks ----------------------------------------------------------


async def test_an_unchanged_feed_costs_a_304_and_no_parse(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    modified = format_datetime(T0 - timedelta(days=1), usegmt=True)
    feed_id = await _add(site, service, Route(rss("Outlet", [ITEM]), etag='"v1"', headers={"Last-Modified": modified}))
    site.routes["/feed"].body = b"<not even xml"  # would fail to parse if it were read
    clock.advance(minutes=15)
    report = await service.poll_due()

    assert (report.feeds, report.not_modified, report.failed) == (1, 1, 0)
    [_, conditional] = site.hits("/feed")
    assert (conditional.if_none_match, conditional.if_modified_since) == ('"v1"', modified)
    feed = await _feed(db, feed_id)
    assert (feed.last_status, feed.etag, feed.last_fetch_at, feed.failure_count) == (304, '"v1"', clock.now, 0)
    assert feed.next_check_at == clock.now + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Cache-Control": "public, max-age=3600"}, timedelta(hours=1)),
        ({"Expires": format_datetime(T0 + timedelta(hours=2), usegmt=True)}, timedelta(hours=2)),
        ({"Cache-Control": "max-age=60"}, timedelta(minutes=15)),  # less than the interval: the interval wins
        ({"Retry-After": "7200"}, timedelta(hours=2)),
    ],
    ids=["max-age", "expires", "short-max-age", "retry-after"],
)
async def test_never_polled_more_often_than_the_server_asks(
    db: Database, site: FeedSite, service: FeedService, clock: Clock, headers: dict[str, str], wait: timedelta
) -> None:
    feed_id = await _add(site, service, Route(rss("Outlet", [ITEM]), headers=headers))
    assert (await _feed(db, feed_id)).next_check_at == T0 + wait
    clock.advance(minutes=16)
    assert (await service.poll_due()).feeds == (1 if wait <= timedelta(minutes=16) else 0)


async def test_a_304_that_asks_for_an_hour_is_next_checked_in_an_hour(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    feed_id = await _add(site, service, Route(rss("Outlet", [ITEM]), etag='"v1"'))
    site.routes["/feed"].headers = {"Cache-Control": "max-age=3600"}
    clock.advance(minutes=15)
    assert (await service.poll_due()).not_modified == 1
    assert (await _feed(db, feed_id)).next_check_at == clock.now + timedelta(hours=1)


# --- failures -------------------------------------------------------------------------------------------


BIG = b"<?xml version='1.0'?><rss><channel>" + b"<item><title>x</title></item>" * (20 * 1024 * 1024 // 28)


@pytest.mark.parametrize(
    ("route", "says"),
    [
        (Route(rss("Outlet", [ITEM]), cut_short=True), "broken or cut-off body"),
        (Route(rss("Outlet", [ITEM, ITEM])[:150]), "cut off or broken"),
        (Route((SAMPLES / "html_page.html").read_bytes(), "text/html"), "web page (HTML), not a feed"),
        (Route(BIG), "larger than the 5 MiB limit"),
        (Route(status=301, location="/loop"), "redirects in a loop"),
        (Route(hang=True), "did not answer within 1.5 s"),
        (Route((SAMPLES / "billion_laughs.xml").read_bytes()), "entit"),
        (Route(status=302, location="http://10.9.8.7/feed"), "10.9.8.7 is a private"),
        (Route(status=500), "answered 500"),
    ],
    ids=["cut-body", "cut-xml", "html", "20-mib", "redirect-loop", "no-answer", "entity-bomb", "private", "500"],
)
async def test_each_failed_fetch_is_recorded_with_its_reason(
    db: Database, site: FeedSite, service: FeedService, clock: Clock, route: Route, says: str
) -> None:
    feed_id = await _add(site, service)
    site.routes["/feed"] = route
    site.routes["/loop"] = Route(status=301, location="/feed")
    clock.advance(minutes=15)
    report = await service.poll_due()

    assert (report.feeds, report.failed, report.disabled) == (1, 1, 0)
    [listed] = await service.list(GUILD)
    assert listed.status is FeedStatus.FAILING and listed.failure_count == 1
    assert listed.reason is not None and says in listed.reason and "1 failure in a row" in listed.reason
    feed = await _feed(db, feed_id)
    assert feed.next_check_at == clock.now + timedelta(minutes=30)  # backed off: twice the interval
    assert feed.url == site.url("/feed")


async def test_failures_back_off_twice_per_failure_up_to_a_day_then_disable_with_one_notice(
    db: Database, site: FeedSite, make_service: MakeService, clock: Clock, delivery_woken: WakeCounter
) -> None:
    service = make_service(max_failures=10)
    feed_id = await _add(site, service, every=60)
    site.routes["/feed"] = Route(status=503)
    waits = []
    for _ in range(9):
        clock.now = (await _feed(db, feed_id)).next_check_at or clock.now
        before = clock.now
        await service.poll_due()
        feed = await _feed(db, feed_id)
        assert feed.next_check_at is not None
        waits.append(feed.next_check_at - before)
    hours = [wait / timedelta(hours=1) for wait in waits]
    assert hours == [2, 4, 8, 16, 24, 24, 24, 24, 24]
    assert delivery_woken.calls == 0

    clock.now = (await _feed(db, feed_id)).next_check_at or clock.now
    report = await service.poll_due()  # the tenth failure in a row
    assert report.disabled == 1 and delivery_woken.calls == 1
    [listed] = await service.list(GUILD)
    assert listed.status is FeedStatus.DISABLED and listed.next_check_at is None
    assert listed.reason == "its last 10 fetches failed (the last: 127.0.0.1 answered 503 Service Unavailable)"
    [notice] = await outbox_items(db)
    assert (notice.kind, notice.target_kind, notice.target_id, notice.ref) == (
        "feed",
        "channel",
        CHANNEL,
        f"feed:{feed_id}",
    )
    card = payloads.load(notice.payload_json).part.cards[0]
    assert card.title == "Feed disabled: Outlet" and site.url("/feed") in to_markdown(card.description)

    clock.advance(days=2)
    assert (await service.poll_due()).feeds == 0  # no longer polled, and told only once
    assert len(await outbox_items(db)) == 1


async def test_retry_after_is_honoured_when_longer_than_the_backoff(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    feed_id = await _add(site, service)
    site.routes["/feed"] = Route(status=429, headers={"Retry-After": "10800"})
    clock.advance(minutes=15)
    await service.poll_due()
    assert (await _feed(db, feed_id)).next_check_at == clock.now + timedelta(hours=3)


async def test_410_gone_disables_at_once_and_tells_the_channel_once(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    site.routes["/feed"] = Route(rss("Outlet **bold** <@123>", [ITEM]))
    feed_id = (await service.add(site.url("/feed"), GUILD, CHANNEL)).feed_id
    site.routes["/feed"] = Route(status=410)
    clock.advance(minutes=15)
    report = await service.poll_due()

    assert (report.failed, report.disabled) == (1, 1)
    feed = await _feed(db, feed_id)
    assert feed.disabled_reason == "it answered 410 Gone: the feed was removed for good"
    [notice] = await outbox_items(db)
    card = payloads.load(notice.payload_json).part.cards[0]
    assert card.title == "Feed disabled: Outlet **bold** <@123>"  # literal text: Discord is sent it escaped
    assert to_markdown(card.title) == r"Feed disabled: Outlet \*\*bold\*\* \<@123\>"


async def test_a_global_feed_is_disabled_without_a_notice(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    site.routes["/feed"] = Route(rss("Outlet", [ITEM]))
    await service.add(site.url("/feed"), None, None)
    site.routes["/feed"] = Route(status=410)
    clock.advance(minutes=15)
    assert (await service.poll_due()).disabled == 1
    assert await outbox_items(db) == []
    [listed] = await service.list(None)
    assert listed.status is FeedStatus.DISABLED


async def test_a_success_after_failures_resets_the_count(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    feed_id = await _add(site, service)
    site.routes["/feed"] = Route(status=500)
    clock.advance(minutes=15)
    await service.poll_due()
    site.routes["/feed"] = Route(rss("Outlet", [ITEM]))
    clock.now = (await _feed(db, feed_id)).next_check_at or clock.now
    await service.poll_due()
    [listed] = await service.list(GUILD)
    assert (listed.status, listed.failure_count, listed.reason) == (FeedStatus.OK, 0, None)


# --- moves ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
async def test_a_permanent_redirect_moves_the_feed(
    db: Database, site: FeedSite, service: FeedService, clock: Clock, status: int
) -> None:
    feed_id = await _add(site, service)
    site.routes["/feed"] = Route(status=status, location="/moved")
    site.routes["/moved"] = Route(rss("Outlet", [ITEM]))
    clock.advance(minutes=15)
    report = await service.poll_due()
    assert report.moved == 1 and report.new_items == 0  # the same items, from the new address
    assert (await _feed(db, feed_id)).url == site.url("/moved")

    clock.advance(minutes=15)
    await service.poll_due()
    assert len(site.hits("/feed")) == 2 and len(site.hits("/moved")) == 2


async def test_a_temporary_redirect_does_not_move_the_feed(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    feed_id = await _add(site, service)
    site.routes["/feed"] = Route(status=302, location="/elsewhere")
    site.routes["/elsewhere"] = Route(rss("Outlet", [ITEM]))
    clock.advance(minutes=15)
    assert (await service.poll_due()).moved == 0
    assert (await _feed(db, feed_id)).url == site.url("/feed")


async def test_a_move_onto_a_feed_already_followed_disables_the_moved_one(
    db: Database, site: FeedSite, service: FeedService, clock: Clock
) -> None:
    site.routes["/other"] = Route(rss("Other", [ITEM]))
    await service.add(site.url("/other"), GUILD, CHANNEL)
    feed_id = await _add(site, service)
    site.routes["/feed"] = Route(status=301, location="/other")
    clock.advance(minutes=15)
    await service.poll_due()
    feed = await _feed(db, feed_id)
    assert feed.disabled_reason == f"it moved to {site.url('/other')}, which is already a feed here"
    assert feed.url == site.url("/feed")


# --- scheduling -----------------------------------------------------------------------------------------


async def test_only_due_feeds_are_claimed_and_jitter_stays_within_its_share(
    db: Database, site: FeedSite, make_service: MakeService, clock: Clock
) -> None:
    service = make_service(jitter=0.1)
    site.routes["/a"] = Route(rss("A", [ITEM]))
    site.routes["/b"] = Route(rss("B", [ITEM]))
    a = await service.add(site.url("/a"), GUILD, CHANNEL, every=5)
    b = await service.add(site.url("/b"), GUILD, CHANNEL, every=60)
    assert T0 + timedelta(minutes=5) <= a.next_check_at <= T0 + timedelta(minutes=5, seconds=30)
    assert T0 + timedelta(minutes=60) <= b.next_check_at <= T0 + timedelta(minutes=62)  # at most 2 minutes
    clock.advance(minutes=6)
    assert (await service.poll_due()).feeds == 1
    assert len(site.hits("/a")) == 2 and len(site.hits("/b")) == 1


async def test_slots_allow_two_fetches_per_host_and_a_limit_overall() -> None:
    slots = Slots(overall=3, per_host=2)
    running: dict[str, int] = {}
    most: dict[str, int] = {}
    total = [0, 0]
    gate, full = asyncio.Event(), asyncio.Event()

    async def fetch(url: str) -> None:
        host = url.split("/")[2]
        async with slots.take(url):
            running[host] = running.get(host, 0) + 1
            total[0] += 1
            most[host] = max(most.get(host, 0), running[host])
            total[1] = max(total[1], total[0])
            if total[0] == 3:
                full.set()
            await gate.wait()
            running[host] -= 1
            total[0] -= 1

    tasks = [asyncio.create_task(fetch(f"http://{host}/f{n}")) for host in ("a.test", "b.test") for n in range(4)]
    await asyncio.wait_for(full.wait(), timeout=5)
    gate.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert max(most.values()) == 2 and total[1] == 3  # never more than 2 per host, nor 3 in all
    assert slots._hosts == {}  # hosts nobody waits on are forgotten
