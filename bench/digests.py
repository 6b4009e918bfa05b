"""Benchmark of scheduled digests (issue 4): composing 10,000 at once, delivering at the rate cap, starting up.

    python -m bench.digests            # full run
    python -m bench.digests --quick    # smoke run with small sizes

Parts, each in its own subprocess (so a peak RSS is its own):

* compose -- 10,000 server schedules due in the same minute (saved with DigestRepository.save) on a real
  SQLite file holding the seed and some generated stories; the time `DigestService.process_due(now)`
  takes to compose and enqueue every digest (one transaction per batch of slots, as the bot does).
* deliver -- the real `briefbot run` subprocess against the loopback Discord stub in rate-limit mode
  (`enable_rate_limits(global_per_second=N, per_channel=5, per_channel_window=5.0)`, OUTBOX_RATE=N), with
  1,000 server schedules pre-seeded as due: messages delivered per second in the steady state, vs N, and
  the 429s (provoked by exceeding a limit vs injected by the stub).
* startup -- 100,000 stored schedules, a handful due now: time from starting the bot process to the first
  processed slot (the "digest tick" log line, and the first digest message at the stub), and the bot's
  peak RSS (VmHWM).

Results are printed as a table and written as JSON to bench/results/digests.json (digests-quick.json).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.botrun import (
    PartsBench,
    bot_request_rate,
    delivered_times,
    discord_id,
    limited_requests,
    max_in_window,
    peak_rss_mib,
    proc_status_mib,
    render_table,
    routes_between,
    start_bot,
    steady_rate,
    stop_bot,
    verdict,
    wait_connected,
)
from bench.store import ROOT

TARGET_COMPOSE_S = 10.0
TARGET_RATE_RATIO = 0.9
TARGET_STARTUP_S = 5.0
TARGET_STARTUP_RSS_MIB = 300.0
GUILD_BASE = 500000000000000000
CHANNEL_BASE = 510000000000000000
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Seoul", "Australia/Sydney")
DAILY = "mon,tue,wed,thu,fri,sat,sun"


@dataclasses.dataclass(frozen=True, slots=True)
class DigestsConfig:
    schedules: int = 10_000  # compose: due in the same minute
    stories: int = 40  # generated stories besides the seed (compose)
    guild_stories: int = 200  # of the schedules, servers that also own a story of their own
    previous_digest_share: float = 0.5  # schedules that already had a digest (so "new since" applies)
    deliver_schedules: int = 1_000
    deliver_stories: int = 3  # small digests: one message each
    rate: int = 50  # N: the stub's global cap and OUTBOX_RATE
    startup_schedules: int = 100_000
    startup_due: int = 5
    seed: int = 4242
    timeout_s: float = 600.0

    @classmethod
    def quick(cls) -> DigestsConfig:
        return cls(
            schedules=500, stories=10, guild_stories=20, deliver_schedules=150, startup_schedules=5_000, startup_due=3
        )


# --- a database with news ------------------------------------------------------------------------


def server_schedule(index: int, fire: datetime) -> Any:
    """Server number `index`'s daily digest (UTC), its next slot at `fire`: a storage.digests.NewSchedule."""
    from storage.digests import NewSchedule

    return NewSchedule(
        audience_kind="guild",
        audience_id=discord_id(GUILD_BASE + index),
        scope_id=discord_id(GUILD_BASE + index),
        channel_id=discord_id(CHANNEL_BASE + index),
        time_of_day=fire.strftime("%H:%M"),
        timezone="UTC",
        days=DAILY,
        next_fire_at=fire,
        next_slot_date=fire.date(),
    )


async def save_due_digest(repo: Any, index: int, due: datetime, *, now: datetime) -> None:
    """Server number `index`'s daily digest, with its slot due at `due`."""
    await repo.save(**dataclasses.asdict(server_schedule(index, due)), now=now)


async def news_db(db: Any, stories: int, seed: int, developed: int = 5) -> dict[str, Any]:
    """The repo's seed plus `stories` generated global stories; a few of them get a development."""
    from bench.articles import ArticleGenerator
    from bot.importer import import_seed_folder
    from bot.parser import parse_article
    from storage.stories import ImportItem, StoryRepository

    repo = StoryRepository(db)
    await import_seed_folder(ROOT / "seeds", repo, UTC)
    generator = ArticleGenerator(seed)
    items = [
        ImportItem(f"bench:{n}", parse_article(a.text.encode(), f"bench:{n}", UTC))
        for n, a in enumerate(generator.articles(stories))
    ]
    await repo.import_stories(items)
    rows = await repo.refs(None)  # every story here is global
    for story in rows[:developed]:
        await repo.add_development(
            story.id,
            "Talks moved forward",
            f"New partners joined the plan for {story.slug}.",
            content_hash=f"bench:{story.slug}",
        )
    return {"stories": len(rows), "developments": min(developed, len(rows))}


def _zone_slots(fire_at: datetime) -> dict[str, tuple[str, Any]]:
    """For each zone: the local HH:MM and local date of the instant `fire_at`."""
    from zoneinfo import ZoneInfo

    slots = {}
    for zone in ZONES:
        local = fire_at.astimezone(ZoneInfo(zone))
        slots[zone] = (local.strftime("%H:%M"), local.date())
    return slots


# --- part 1: compose 10,000 -------------------------------------------------------------------------


async def bench_compose(config: DigestsConfig, workdir: Path) -> dict[str, Any]:
    from bench.articles import ArticleGenerator
    from bot.digest_service import DigestService
    from bot.follow_service import FollowService
    from bot.parser import parse_article
    from bot.story_service import StoryService
    from storage.database import Database
    from storage.digests import DigestRepository
    from storage.follows import FollowRepository
    from storage.outbox import OutboxRepository
    from storage.stories import ImportItem, StoryRepository

    rng = random.Random(config.seed)
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    fire_at = now.replace(second=0)
    slots = _zone_slots(fire_at)
    async with Database.open(workdir / "compose.db") as db:
        news = await news_db(db, config.stories, config.seed)
        stories = StoryRepository(db)
        # Some servers track a story of their own, so their digests differ from everyone else's.
        owners = rng.sample(range(config.schedules), min(config.guild_stories, config.schedules))
        articles = ArticleGenerator(config.seed + 1).articles(len(owners))
        own = [
            ImportItem(
                f"bench:own:{n}", parse_article(a.text.encode(), f"own:{n}", UTC), discord_id(GUILD_BASE + owner)
            )
            for n, (a, owner) in enumerate(zip(articles, owners, strict=True))
        ]
        await stories.import_stories(own)

        repo = DigestRepository(db)
        schedule_ids = []
        started = time.perf_counter()
        for index in range(config.schedules):
            zone = ZONES[index % len(ZONES)]
            time_of_day, local_date = slots[zone]
            saved = await repo.save(
                audience_kind="guild",
                audience_id=discord_id(GUILD_BASE + index),
                scope_id=discord_id(GUILD_BASE + index),
                channel_id=discord_id(CHANNEL_BASE + index),
                time_of_day=time_of_day,
                timezone=zone,
                days=DAILY,
                next_fire_at=fire_at,
                next_slot_date=local_date,
                now=now - timedelta(days=1),
            )
            schedule_ids.append(saved.id)
        save_s = time.perf_counter() - started
        # Half of them had yesterday's digest (their "since" point), at one of a few times: recorded as a
        # `/digest now` with nothing to enqueue, which moves that point and nothing else.
        previous = [now - timedelta(days=1, minutes=m) for m in (0, 30, 60)]
        for schedule_id in schedule_ids:
            if rng.random() < config.previous_digest_share:
                await repo.record_manual(schedule_id, (), rng.choice(previous), now)
        story_service = StoryService(stories)
        follows = FollowService(FollowRepository(db), stories, story_service, burst_window=timedelta(minutes=10))
        outbox = OutboxRepository(db)
        service = DigestService(repo, stories, outbox, timedelta(hours=2), held_for_user=follows.held_cards)
        woken = []
        service.wake_delivery = lambda: woken.append(1)
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        done = await service.process_due(now)
        compose_s = time.perf_counter() - started
        counts = await outbox.counts()
        slot_counts = (await repo.totals()).slots
        # A digest's ref is its schedule's, and a schedule has one target: refs add up across target kinds.
        digests = (await outbox.tally("digest")).values()
        enqueued, outbox_rows = sum(t.refs for t in digests), sum(t.messages for t in digests)
        still_due = await repo.overdue(now)
        again = await service.process_due(now)
    return {
        "schedules": config.schedules,
        "news": news,
        "servers_with_own_story": len(owners),
        "save_s": save_s,
        "save_per_s": config.schedules / save_s,
        "process_due_s": compose_s,
        "slots_processed": done,
        "slots": slot_counts,
        "digests_enqueued": enqueued,
        "outbox_rows": outbox_rows,
        "outbox_counts": counts,
        "still_due": still_due,
        "second_run_processed": again,
        "woke_delivery": len(woken),
        "peak_rss_mib_before_compose": rss_before,
        "what": "DigestService.process_due(now) on 10,000 guild schedules due in the same minute (5 time zones)",
    }


# --- part 2: deliver at the cap --------------------------------------------------------------------


async def _seed_due(db_path: Path, count: int, stories: int, seed: int, due: datetime) -> None:
    from storage.database import Database
    from storage.digests import DigestRepository

    async with Database.open(db_path) as db:
        await news_db(db, stories, seed, developed=0)
        repo = DigestRepository(db)
        for index in range(count):
            await save_due_digest(repo, index, due, now=due)


async def bench_deliver(config: DigestsConfig, workdir: Path) -> dict[str, Any]:
    from tests.stub.discord_stub import DiscordStub, text_channel

    now = datetime.now(UTC)
    await _seed_due(
        workdir / "briefbot.db",
        config.deliver_schedules,
        config.deliver_stories,
        config.seed,
        now - timedelta(minutes=1),
    )
    channels = [CHANNEL_BASE + index for index in range(config.deliver_schedules)]
    async with DiscordStub() as stub:
        for index, channel_id in enumerate(channels):
            stub.add_guild(GUILD_BASE + index, name=f"server {index}", channels=[text_channel(channel_id, "news")])
        stub.enable_rate_limits(global_per_second=config.rate, per_channel=5, per_channel_window=5.0)
        started = time.perf_counter()
        bot = await start_bot(stub, workdir, {"OUTBOX_RATE": str(config.rate)})
        try:
            await wait_connected(stub, bot)
            connect_s = time.perf_counter() - started
            wanted = set(channels)
            expected = config.deliver_schedules
            deadline = expected / config.rate * 3 + 60
            await stub.wait_for(
                lambda: sum(1 for c in channels if stub.messages_in(c)) >= expected,
                timeout=deadline,
                what="every digest",
            )
            await asyncio.sleep(1.0)
            times = delivered_times(stub, wanted)
            rss = proc_status_mib(bot.process.pid, "VmHWM")
            logs = bot.logs
        finally:
            exit_code = await stop_bot(bot)
        rate = steady_rate(times)
        per_channel = [len(stub.messages_in(c)) for c in channels]
        steady_from = times[0] + rate["steady_from_s"]
        steady_to = times[0] + rate["steady_to_s"]
        result = {
            "cap_per_s": config.rate,
            "outbox_rate": config.rate,
            "schedules": config.deliver_schedules,
            "channels_with_digest": sum(1 for n in per_channel if n),
            "messages_per_channel": {str(n): per_channel.count(n) for n in sorted(set(per_channel))},
            "delivery": rate,
            "ratio": rate["per_s"] / config.rate,
            "bot_requests_per_s_steady": bot_request_rate(stub, steady_from, steady_to),
            "requests_in_steady_state": routes_between(stub, steady_from, steady_to),
            "max_bot_requests_in_1s": max_in_window(sorted(r.at for r in stub.requests if r.auth == "ok")),
            "limited": limited_requests(stub, times[0])[:50],
            "provoked_429s": stub.provoked_429s,
            "injected_429s": stub.injected_429s,
            "total_429s": stub.total_429s,
            "connect_s": connect_s,
            "bot_peak_rss_mib": rss,
            "bot_exit_code": exit_code,
            "bot_retries_logged": logs.count("will be retried"),
            "stub_unknown_routes": list(stub.unknown_routes),
            "stub_internal_errors": list(stub.internal_errors),
            "what": "briefbot run subprocess, OUTBOX_RATE=N, stub enable_rate_limits(N, per_channel=5, window=5 s); "
            "rate = successful POST /channels/{id}/messages per second between the first and last 10% of them",
        }
    return result


# --- part 3: startup with 100,000 schedules ------------------------------------------------------------


async def _seed_many(db_path: Path, config: DigestsConfig, now: datetime) -> dict[str, Any]:
    """`startup_schedules` rows: all but `startup_due` fire over the next 24 h; DigestRepository.add_schedules
    (one transaction) for the bulk, DigestRepository.save for the due ones."""
    from storage.database import Database
    from storage.digests import DigestRepository

    rng = random.Random(config.seed + 2)
    started = time.perf_counter()
    async with Database.open(db_path) as db:
        await news_db(db, config.deliver_stories, config.seed, developed=0)
        rows = []
        for index in range(config.startup_due, config.startup_schedules):
            fire = (now + timedelta(minutes=rng.randint(5, 24 * 60))).replace(second=0, microsecond=0)
            rows.append(server_schedule(index, fire))
        repo = DigestRepository(db)
        await repo.add_schedules(rows, now)
        due = now - timedelta(seconds=30)
        for index in range(config.startup_due):
            await save_due_digest(repo, index, due, now=now)
        stored = (await repo.totals()).schedules
    return {"schedules_stored": stored, "due_now": config.startup_due, "seed_s": time.perf_counter() - started}


async def bench_startup(config: DigestsConfig, workdir: Path) -> dict[str, Any]:
    from tests.stub.discord_stub import DiscordStub, text_channel

    seeded = await _seed_many(workdir / "briefbot.db", config, datetime.now(UTC))
    channels = [CHANNEL_BASE + index for index in range(config.startup_due)]
    async with DiscordStub() as stub:
        for index, channel_id in enumerate(channels):
            stub.add_guild(GUILD_BASE + index, name=f"server {index}", channels=[text_channel(channel_id, "news")])
        started = time.perf_counter()
        bot = await start_bot(stub, workdir)
        try:
            first_message = first_tick = None
            deadline = started + 60
            while time.perf_counter() < deadline and (first_message is None or first_tick is None):
                if first_message is None and any(stub.messages_in(c) for c in channels):
                    first_message = time.perf_counter() - started
                if first_tick is None and "digest tick:" in bot.logs:
                    first_tick = time.perf_counter() - started
                if bot.process.returncode is not None:
                    raise AssertionError(f"the bot exited:\n{bot.logs[-3000:]}")
                await asyncio.sleep(0.02)
            await stub.wait_for(lambda: all(stub.messages_in(c) for c in channels), timeout=30, what="every digest")
            await asyncio.sleep(2.0)  # delivery done, the bot idles
            pid = bot.process.pid
            rss_peak = proc_status_mib(pid, "VmHWM")
            rss_now = proc_status_mib(pid, "VmRSS")
            logs = bot.logs
        finally:
            exit_code = await stop_bot(bot)
    tick_line = next((line for line in logs.splitlines() if "digest tick:" in line), "")
    return {
        **seeded,
        "first_tick_s": first_tick,
        "first_message_s": first_message,
        "tick_log_line": tick_line.split(": ", 1)[-1] if tick_line else None,
        "digests_delivered": sum(1 for c in channels if stub.messages_in(c)),
        "bot_peak_rss_mib": rss_peak,
        "bot_rss_idle_mib": rss_now,
        "bot_exit_code": exit_code,
        "what": "from spawning `briefbot run` to the 'digest tick: N slots processed' log line / the first digest "
        "message at the stub; VmHWM of the bot process after the due digests were delivered",
    }


# --- running -----------------------------------------------------------------------------------------

PARTS = {"compose": bench_compose, "deliver": bench_deliver, "startup": bench_startup}


def format_table(results: dict[str, Any]) -> str:
    targets = results["targets"]
    rows: list[tuple[str, str, str]] = []
    if "compose" in results:
        c = results["compose"]
        rows += [
            (
                f"compose + enqueue {c['schedules']:,} due digests",
                f"{c['process_due_s']:.2f} s",
                f"< {targets['compose_s']:g} s {verdict(c['process_due_s'] < targets['compose_s'])}; "
                f"{c['slots_processed']:,} slots, {c['digests_enqueued']:,} digests, {c['outbox_rows']:,} messages",
            ),
            ("  schedules saved via DigestRepository.save", f"{c['save_per_s']:,.0f}/s", f"{c['save_s']:.1f} s"),
            ("  peak RSS (compose run)", f"{c['peak_rss_mib']:.0f} MiB", ""),
        ]
    if "deliver" in results:
        d = results["deliver"]
        rate = d["delivery"]
        rows += [
            (
                f"delivery at cap N={d['cap_per_s']} (bot, OUTBOX_RATE=N)",
                f"{rate['per_s']:.1f} msg/s",
                f"ratio {d['ratio']:.2f} (>= {targets['rate_ratio']:g} "
                f"{verdict(d['ratio'] >= targets['rate_ratio'])}); "
                f"{rate['messages']:,} messages to {d['channels_with_digest']:,} channels",
            ),
            (
                "  429s: provoked / injected",
                f"{d['provoked_429s']} / {d['injected_429s']}",
                f"provoked must be 0 {verdict(d['provoked_429s'] == 0)}",
            ),
            (
                "  bot REST requests/s (steady state)",
                f"{d['bot_requests_per_s_steady']:.1f}/s",
                f"overall {rate['overall_per_s']:.1f} msg/s over {rate['overall_s']:.1f} s",
            ),
        ]
    if "startup" in results:
        s = results["startup"]
        first = s["first_tick_s"] if s["first_tick_s"] is not None else float("nan")
        rows += [
            (
                f"startup with {s['schedules_stored']:,} schedules: first slot",
                f"{first:.2f} s",
                f"< {targets['startup_s']:g} s {verdict(first < targets['startup_s'])}; "
                f"first digest at stub {s['first_message_s']:.2f} s; {s['tick_log_line']}",
            ),
            (
                "  bot peak RSS (VmHWM)",
                f"{s['bot_peak_rss_mib']:.0f} MiB",
                f"< {targets['startup_rss_mib']:g} MiB {verdict(s['bot_peak_rss_mib'] < targets['startup_rss_mib'])}",
            ),
        ]
    return render_table(f"briefbot bench: digests ({results['total_s']:.0f} s total)", rows)


BENCH = PartsBench(
    "digests",
    PARTS,
    DigestsConfig,
    {
        "compose_s": TARGET_COMPOSE_S,
        "rate_ratio": TARGET_RATE_RATIO,
        "startup_s": TARGET_STARTUP_S,
        "startup_rss_mib": TARGET_STARTUP_RSS_MIB,
    },
    format_table,
    __doc__.splitlines()[0],
)
run = BENCH.run
run_part = BENCH.run_part
main = BENCH.main


if __name__ == "__main__":
    raise SystemExit(main())
