"""Benchmark of feed polling (issue 10): an unchanged round, a changed round, and the latency to the alerts.

    python -m bench.feeds            # full run
    python -m bench.feeds --quick    # smoke run with small sizes

The feeds are served by `bench.feedsite` (one aiohttp server in its own process, on loopback addresses listed in
FETCH_ALLOW_HOSTS), and polled by the real `FeedService` built as `briefbot run` builds it (a `Database`, one
`Fetcher`, `build_services`); its `poll_due` is what the runtime's feeds tick calls. Each part runs in its own
subprocess, and its set-up (stories, feeds added through `FeedService.add`) in another, so the figures are the
round's own.

* unchanged -- 10,000 feeds of 50 items (the operator's global feeds; a server may have 100), all due; every
  fetch is a conditional GET that gets a 304. Wall and CPU time of the round and the process's peak RSS.
* changed -- 10,000 stories, 2,000 feeds (every story is a candidate): each feed gets 5 new items, a fifth of
  them written as developments of a random story, the rest ordinary news. Items/s from the fetch to each item's
  outcome (development, nothing new, duplicate or unrelated), with FEED_FETCH_ARTICLES off: the bytes of the
  feed only. Then a round on a subset with FEED_FETCH_ARTICLES on (each item's article fetched and extracted).
* latency -- 20 stories, each with followers and its own feed checked every 5 minutes, under the real runtime
  (scheduler, feeds tick every FEED_TICK_SECONDS or sooner when a feed falls due, alert poll). Every feed changes
  at once; their next checks are spread over the next minute, as feeds added at different times fall due at
  different moments. For each: the time from the change to its followers' alerts being enqueued, and how much of
  it came after the feed's scheduled check (the tick's wait and the work). A change waits at most one interval
  (plus the schedule's jitter) for the scheduled check; what comes after it is what this part measures, in the
  steady state (see LATENCY_LEAD_S).

Results are printed as a table and written as JSON to bench/results/feeds.json (feeds-quick.json).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.botrun import (
    PartsBench,
    discord_id,
    peak_rss_mib,
    proc_cpu_seconds,
    proc_status_mib,
    render_table,
    verdict,
)
from bench.feedsite import FeedSite, SiteSpec

TARGET_UNCHANGED_CPU_S = 60.0
TARGET_UNCHANGED_RSS_MIB = 300.0
TARGET_ITEMS_PER_S = 500.0
TARGET_LATENCY_EXTRA_S = 5.0  # beyond the feed's interval
USER_BASE = 660000000000000000
ADD_AT_ONCE = 8
# The latency feeds fall due this long after the runtime's first periodic feeds tick (which comes one
# FEED_TICK_SECONDS after the start): the steady state. The tick at start runs before the job is scheduled, so it
# cannot move the job earlier; a feed due sooner than one tick after a start waits for that first tick.
LATENCY_LEAD_S = 5.0


@dataclass(frozen=True, slots=True)
class FeedsConfig:
    unchanged_feeds: int = 10_000
    items: int = 50
    hosts: int = 1  # loopback addresses serving the feeds (4 were no faster: the bot's CPU bounds a 304 round)
    concurrency: int = 8  # FEED_CONCURRENCY (the production default)
    changed_feeds: int = 2_000
    new_items: int = 5
    stories: int = 10_000
    development_share: float = 0.2
    article_feeds: int = 200  # the changed round with FEED_FETCH_ARTICLES on
    latency_feeds: int = 20
    followers: int = 500  # per latency story
    every_minutes: int = 5
    # The latency feeds' next checks are spread over this many seconds: two feeds ticks' worth samples every phase
    # of the tick, which is what decides the wait after a check falls due.
    spread_s: float = 60.0
    feed_tick_seconds: float = 30.0  # FEED_TICK_SECONDS (the production default)
    seed: int = 1010
    timeout_s: float = 1800.0

    @classmethod
    def quick(cls) -> FeedsConfig:
        return cls(
            unchanged_feeds=300, hosts=2, changed_feeds=60, stories=300, article_feeds=10, latency_feeds=2,
            followers=20, spread_s=3.0, feed_tick_seconds=1.0,
        )  # fmt: skip


# --- the bot's side, built as `briefbot run` builds it ------------------------------------------------


def bot_settings(db_path: Path, site: FeedSite, config: FeedsConfig, **extra: str) -> Any:
    from bot.settings import load_settings

    environ = {
        "DATABASE_PATH": str(db_path),
        "FETCH_ALLOW_HOSTS": site.allow_hosts,
        "FEED_CONCURRENCY": str(config.concurrency),
        "FEED_TICK_SECONDS": f"{config.feed_tick_seconds:g}",
        "FEED_FETCH_ARTICLES": "off",
        **extra,
    }
    return load_settings(environ, env_file=None)


@asynccontextmanager
async def bot_services(settings: Any) -> AsyncIterator[tuple[Any, Any, Any]]:
    """(db, services, wakeups), as bot.process builds them for `briefbot run`."""
    from bot.fetch import Fetcher
    from bot.runtime import Wakeups, build_services
    from storage.database import Database

    async with Database.open(settings.database_path) as db, Fetcher.open(settings.fetch_allow_hosts) as fetcher:
        wakeups = Wakeups()
        yield db, build_services(db, settings, wakeups, fetcher), wakeups


def _child(work: Callable[..., Awaitable[Any]], *args: Any) -> None:
    asyncio.run(work(*args))


async def in_child(work: Callable[..., Awaitable[Any]], *args: Any) -> float:
    """Runs `work(*args)` in a fresh process (its memory is not this process's); returns the seconds it took."""
    started = time.perf_counter()
    process = multiprocessing.get_context("spawn").Process(target=_child, args=(work, *args))
    process.start()
    await asyncio.to_thread(process.join)
    if process.exitcode != 0:
        raise RuntimeError(f"set-up process failed with exit code {process.exitcode}")
    return time.perf_counter() - started


async def add_feeds(settings: Any, urls: list[str], stories: list[str | None], every: int) -> None:
    """Each URL through `FeedService.add` (fetch, parse, items recorded as seen), as the operator's global feeds:
    global stories are developed only by global feeds (a server's feeds develop only its own stories)."""
    from bench.store import ROOT
    from bot.importer import import_seed_folder
    from storage.stories import StoryRepository

    async with bot_services(settings) as (db, services, _):
        await import_seed_folder(ROOT / "seeds", StoryRepository(db), UTC)
        feeds = services.feed_service
        for start in range(0, len(urls), ADD_AT_ONCE):
            await asyncio.gather(
                *(
                    feeds.add(urls[n], None, None, stories[n], every)
                    for n in range(start, min(start + ADD_AT_ONCE, len(urls)))
                )
            )  # fmt: skip


async def make_stories(db_path: Path, count: int, seed: int, followers: int) -> None:
    """The seed and `count` generated global stories; each generated one gets `followers` DM followers."""
    from bench.digests import news_db
    from storage.database import Database
    from storage.follows import FollowRepository, NewFollow
    from storage.stories import StoryRepository

    async with Database.open(db_path) as db:
        await news_db(db, count, seed, developed=0)
        if followers:
            refs = (await StoryRepository(db).refs(None))[1:]
            rows = [
                NewFollow(ref.id, "user", discord_id(USER_BASE + k * followers + f))
                for k, ref in enumerate(refs)
                for f in range(followers)
            ]
            await FollowRepository(db).add_follows(rows, datetime.now(UTC) - timedelta(hours=1))


async def story_refs(db_path: Path) -> list[Any]:
    """The generated stories (the seed, imported first, left out)."""
    from storage.database import Database
    from storage.stories import StoryRepository

    async with Database.open(db_path) as db:
        return (await StoryRepository(db).refs(None))[1:]


async def feed_ids(db: Any, urls: list[str]) -> list[int]:
    """The ids of the feeds at `urls`, in that order (feeds added together are stored in any order)."""
    from storage.feeds import FeedRepository

    repository = FeedRepository(db)
    by_url = {f.url: f.id for f in await repository.in_scope(None)}
    return [by_url[url] for url in urls]


async def make_due(db: Any, ids: list[int], when: datetime | None = None) -> None:
    from storage.feeds import FeedRepository

    moved = await FeedRepository(db).check_at(ids, when or datetime.now(UTC) - timedelta(seconds=1))
    assert moved == len(ids), (moved, len(ids))


async def timed_round(services: Any) -> dict[str, Any]:
    """One `poll_due`, the feeds tick's call: wall and CPU seconds, and its report."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    report = await services.feed_service.poll_due()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall_s": wall, "cpu_s": cpu, "report": _report(report)}


def _report(report: Any) -> dict[str, int]:
    import dataclasses

    return dataclasses.asdict(report)


# --- part 1: an unchanged round ------------------------------------------------------------------------


async def bench_unchanged(config: FeedsConfig, workdir: Path) -> dict[str, Any]:
    db_path = workdir / "unchanged.db"
    spec = SiteSpec(config.unchanged_feeds, config.hosts, config.items, seed=config.seed)
    async with FeedSite(spec) as site:
        settings = bot_settings(db_path, site, config)
        urls = [site.url(n) for n in range(config.unchanged_feeds)]
        add_s = await in_child(add_feeds, settings, urls, [None] * len(urls), 15)
        async with bot_services(settings) as (db, services, _):
            await make_due(db, await feed_ids(db, urls))
            rss_before = proc_status_mib(_pid(), "VmRSS")
            before = await site.stats()
            server_cpu = proc_cpu_seconds(site.process.pid)
            round_ = await timed_round(services)
            server_cpu = proc_cpu_seconds(site.process.pid) - server_cpu
            after = await site.stats()
    return {
        "feeds": config.unchanged_feeds,
        "items_per_feed": config.items,
        "hosts": config.hosts,
        "concurrency": config.concurrency,
        "setup_add_s": add_s,
        "setup_feeds_added_per_s": config.unchanged_feeds / add_s,
        **round_,
        "answers_304": after.get("304", 0) - before.get("304", 0),
        "answers_200": after.get("200", 0) - before.get("200", 0),
        "feeds_per_s": config.unchanged_feeds / round_["wall_s"],
        "rss_before_round_mib": rss_before,
        "server_cpu_s": server_cpu,
        "what": "FeedService.poll_due over every feed, all due, each a conditional GET answered 304",
    }


def _pid() -> int:
    import os

    return os.getpid()


# --- part 2: a changed round ----------------------------------------------------------------------------


async def bench_changed(config: FeedsConfig, workdir: Path) -> dict[str, Any]:
    db_path = workdir / "changed.db"
    stories_s = await in_child(make_stories, db_path, config.stories, config.seed, 0)
    titles = tuple(ref.title for ref in await story_refs(db_path))
    spec = SiteSpec(
        config.changed_feeds, config.hosts, config.items, config.new_items, config.development_share, titles,
        seed=config.seed,
    )  # fmt: skip
    async with FeedSite(spec) as site:
        settings = bot_settings(db_path, site, config)
        urls = [site.url(n) for n in range(config.changed_feeds)]
        add_s = await in_child(add_feeds, settings, urls, [None] * len(urls), 15)
        async with bot_services(settings) as (db, services, _):
            ids = await feed_ids(db, urls)
            started = time.perf_counter()
            await services.feed_service.matching.ready()  # what the bot's first tick does, once
            index_s = time.perf_counter() - started
            rounds = [await _changed_round(site, db, services, ids) for _ in range(2)]
        articles = await _articles_round(site, settings, ids[: config.article_feeds])
    return {
        "stories": config.stories,
        "feeds": config.changed_feeds,
        "setup_stories_s": stories_s,
        "setup_add_s": add_s,
        "index_build_s": index_s,
        "first": rounds[0],
        "second": rounds[1],
        "with_articles": articles,
        "what": "FeedService.poll_due over feeds with 5 new items each (FEED_FETCH_ARTICLES off), after the "
        "matcher's index of every story was built; the first round starts with no items seen before (the "
        "matcher's background statistics are empty), the second follows it",
    }


async def _changed_round(site: FeedSite, db: Any, services: Any, ids: list[int]) -> dict[str, Any]:
    """The feeds `ids` get their next version (5 new items each), fall due, and one round polls them."""
    await site.bump(0, len(ids))
    await make_due(db, ids)
    before = await site.stats()
    round_ = await timed_round(services)
    after = await site.stats()
    return {
        **round_,
        "items_per_s": round_["report"]["new_items"] / round_["wall_s"],
        "feed_bytes": after.get("feed_bytes", 0) - before.get("feed_bytes", 0),
        "answers_200": after.get("200", 0) - before.get("200", 0),
        "articles_fetched": after.get("articles", 0) - before.get("articles", 0),
    }


async def _articles_round(site: FeedSite, settings: Any, ids: list[int]) -> dict[str, Any]:
    """Another round on the first feeds, decided with their articles read (a fresh service: its index is built
    again)."""
    import dataclasses

    if not ids:
        return {}
    settings = dataclasses.replace(settings, feed_fetch_articles=True)
    async with bot_services(settings) as (db, services, _):
        await services.feed_service.matching.ready()
        return {"feeds": len(ids), **await _changed_round(site, db, services, ids)}


# --- part 3: latency from a change to the alerts --------------------------------------------------------


async def bench_latency(config: FeedsConfig, workdir: Path) -> dict[str, Any]:
    from bot.runtime import Runtime
    from storage.follows import FollowRepository
    from storage.outbox import OutboxRepository

    db_path = workdir / "latency.db"
    count = config.latency_feeds
    await in_child(make_stories, db_path, count, config.seed, config.followers)
    refs = await story_refs(db_path)
    spec = SiteSpec(
        count, min(config.hosts, count), config.items, config.new_items, 1.0, tuple(r.title for r in refs),
        story_per_feed=True, seed=config.seed,
    )  # fmt: skip
    async with FeedSite(spec) as site:
        settings = bot_settings(db_path, site, config, FEED_FETCH_ARTICLES="on")
        urls = [site.url(n) for n in range(count)]
        await in_child(add_feeds, settings, urls, [r.slug for r in refs], config.every_minutes)
        async with bot_services(settings) as (db, services, wakeups):
            ids = await feed_ids(db, urls)
            first_follow = [(await FollowRepository(db).followers(r.id))[0].id for r in refs]
            outbox = OutboxRepository(db)
            # The checks are scheduled before the runtime starts, as the poller itself schedules them: the feeds
            # tick then knows when the next one falls due.
            first_check = datetime.now(UTC) + timedelta(seconds=config.feed_tick_seconds + LATENCY_LEAD_S)
            checks = [first_check + timedelta(seconds=config.spread_s * k / count) for k in range(count)]
            for feed_id, when in zip(ids, checks, strict=True):
                await make_due(db, [feed_id], when)
            async with Runtime(services, wakeups) as runtime:
                runtime.start()
                changed_at = await site.bump(0, count)
                changed = time.monotonic()
                enqueued: dict[int, float] = {}
                deadline = changed + LATENCY_LEAD_S + config.spread_s + 2 * config.feed_tick_seconds + 120
                while len(enqueued) < count and time.monotonic() < deadline:
                    for k in range(count):
                        if k not in enqueued and await outbox.latest_for_ref(f"follow:{first_follow[k]}", 1):
                            enqueued[k] = time.monotonic()
                    await asyncio.sleep(0.05)
            alerts = await outbox.counts()
    latencies = [enqueued[k] - changed for k in sorted(enqueued)]  # from the change, which came before every check
    extra = [enqueued[k] - changed - (checks[k] - changed_at).total_seconds() for k in sorted(enqueued)]
    return {
        "feeds": count,
        "followers_per_story": config.followers,
        "every_s": config.every_minutes * 60,
        "feed_tick_s": config.feed_tick_seconds,
        "alerted": len(enqueued),
        "latency_s": latencies,
        "latency_max_s": max(latencies, default=float("nan")),
        "after_scheduled_check_s": extra,
        "after_check_p50_s": statistics.median(extra) if extra else float("nan"),
        "after_check_max_s": max(extra, default=float("nan")),
        "outbox": {str(k): v for k, v in alerts.items()},
        "what": "under the real runtime (scheduler, feeds tick, alert poll), FEED_FETCH_ARTICLES on: every feed "
        "changes at once, their next checks spread over spread_s; from the change to the story's followers' "
        "alerts enqueued, and from the feed's scheduled check to them",
    }


# --- running -------------------------------------------------------------------------------------------

PARTS = {"unchanged": bench_unchanged, "changed": bench_changed, "latency": bench_latency}


def format_table(results: dict[str, Any]) -> str:
    targets = results["targets"]
    rows: list[tuple[str, str, str]] = []
    if "unchanged" in results:
        u = results["unchanged"]
        ok = u["cpu_s"] < targets["unchanged_cpu_s"] and u["peak_rss_mib"] < targets["unchanged_rss_mib"]
        rows += [
            (
                f"unchanged round: {u['feeds']:,} feeds, all 304",
                f"{u['wall_s']:.1f} s wall, {u['cpu_s']:.1f} s CPU",
                f"{u['feeds_per_s']:,.0f} feeds/s; {u['answers_304']:,} 304s; CPU < {targets['unchanged_cpu_s']:g} s, "
                f"RSS < {targets['unchanged_rss_mib']:g} MiB {verdict(ok)}",
            ),
            (
                "  peak RSS",
                f"{u['peak_rss_mib']:.0f} MiB",
                f"{u['rss_before_round_mib']:.0f} MiB before the round; {u['hosts']} loopback hosts, "
                f"FEED_CONCURRENCY={u['concurrency']}",
            ),
        ]
    if "changed" in results:
        c = results["changed"]
        for name in ("first", "second"):
            r = c[name]
            report = r["report"]
            rows.append(
                (
                    f"changed round ({name}): {report['new_items']:,} new items, {c['stories']:,} stories",
                    f"{r['items_per_s']:,.0f} items/s",
                    f">= {targets['items_per_s']:g} {verdict(r['items_per_s'] >= targets['items_per_s'])}; "
                    f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU; {report['developments']} developments, "
                    f"{report['duplicates']} duplicates",
                )
            )
        rows.append(("  matcher index of every story (once)", f"{c['index_build_s']:.1f} s", ""))
        if c.get("with_articles"):
            a = c["with_articles"]
            rows.append(
                (
                    f"  with FEED_FETCH_ARTICLES on ({a['report']['new_items']:,} items)",
                    f"{a['items_per_s']:,.0f} items/s",
                    f"{a['articles_fetched']:,} articles fetched and extracted",
                )
            )
    if "latency" in results:
        lat = results["latency"]
        ok = lat["alerted"] == lat["feeds"] and lat["after_check_max_s"] <= targets["latency_extra_s"]
        rows += [
            (
                f"latency: change -> alerts enqueued ({lat['alerted']}/{lat['feeds']} feeds)",
                f"max {lat['latency_max_s']:.1f} s",
                f"interval {lat['every_s']} s; after the scheduled check: p50 {lat['after_check_p50_s']:.1f} s, "
                f"max {lat['after_check_max_s']:.1f} s (<= {targets['latency_extra_s']:g} s {verdict(ok)}; "
                f"FEED_TICK_SECONDS={lat['feed_tick_s']:g})",
            ),
        ]
    return render_table(f"briefbot bench: feeds ({results['total_s']:.0f} s total)", rows)


BENCH = PartsBench(
    "feeds",
    PARTS,
    FeedsConfig,
    {
        "unchanged_cpu_s": TARGET_UNCHANGED_CPU_S,
        "unchanged_rss_mib": TARGET_UNCHANGED_RSS_MIB,
        "items_per_s": TARGET_ITEMS_PER_S,
        "latency_extra_s": TARGET_LATENCY_EXTRA_S,
    },
    format_table,
    __doc__.splitlines()[0],
)
run = BENCH.run
run_part = BENCH.run_part
main = BENCH.main


__all__ = ["FeedsConfig", "format_table", "main", "peak_rss_mib", "run", "run_part"]

if __name__ == "__main__":
    raise SystemExit(main())
