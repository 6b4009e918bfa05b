"""Benchmark of follow-up alerts (issue 5): fanning one development out to 50,000 followers, and delivering.

    python -m bench.follows            # full run
    python -m bench.follows --quick    # smoke run with small sizes

Parts, each in its own subprocess (so a peak RSS is its own):

* fanout -- a story with 50,000 followers (inserted in one transaction by FollowRepository.add_follows:
  90% by DM, 10% channels, some channel follows pinging a role, 1% of the DM follows muted), then a
  new development through StoryAdminService.update; the time from that update to every alert enqueued
  (FollowService.process_alerts(now)), and the run's peak RSS.
* mixed -- the same fan-out with followers on both platforms: 10,000 on Discord and 10,000 in Slack (each
  10% channels), from one development; every alert is routed to its platform's outbox worker by its target.
* deliver -- a bounded subset (2,000 alerts by default: DMs, plus channel follows whose first alert opens a
  story thread under a card) delivered by the real `briefbot run` subprocess against the loopback stub in
  rate-limit mode (global cap N, OUTBOX_RATE=N): alert messages and all bot requests per second in the
  steady state, vs N, and the 429s (provoked vs injected). The alerts are fanned out by the benchmark
  before the bot starts, so the bot only delivers.

Results are printed as a table and written as JSON to bench/results/follows.json (follows-quick.json).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.botrun import (
    MESSAGE_ROUTE,
    PartsBench,
    bot_request_rate,
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
from bench.digests import news_db

TARGET_FANOUT_S = 5.0
TARGET_RATE_RATIO = 0.9
USER_BASE = 600000000000000000
CHANNEL_BASE = 610000000000000000
GUILD_BASE = 620000000000000000
ROLE_BASE = 630000000000000000
UPDATE_TEXT = (
    "Meta will open an AI research lab in Seoul next year, hiring 200 engineers.\n"
    "- Lab: The lab focuses on language models for Korean and Japanese.\n"
    "- Partners: Samsung and Naver join as founding partners."
)


@dataclasses.dataclass(frozen=True, slots=True)
class FollowsConfig:
    followers: int = 50_000
    channel_share: float = 0.1
    ping_share: float = 0.2  # of channel follows
    muted_share: float = 0.01  # of DM follows
    deliver_alerts: int = 2_000  # followers of the delivery run's story
    deliver_channels: int = 100  # of them, channel follows (the rest by DM)
    deliver_channels_per_guild: int = 10
    known_dm_share: float = 1.0  # DM followers whose DM channel the bot already knows (alerted before)
    rate: int = 50
    mixed_per_platform: int = 10_000  # followers on each platform in the mixed fan-out
    seed: int = 5150
    timeout_s: float = 600.0

    @classmethod
    def quick(cls) -> FollowsConfig:
        return cls(followers=2_000, deliver_alerts=200, deliver_channels=20, mixed_per_platform=1_000)


def slack_id(number: int) -> str:
    """A Slack workspace, channel or user id as the store keeps it ("slack:T…", "slack:C…", "slack:U…"): the
    bases' leading digit picks the letter, as Slack's ids start with one."""
    from bot.ids import qualify

    letter = {USER_BASE: "U", CHANNEL_BASE: "C", GUILD_BASE: "T", ROLE_BASE: "S"}[number // 10**17 * 10**17]
    return qualify("slack", f"{letter}{number % 10**17:011d}")


async def add_followers(
    db: Any,
    story_id: int,
    config: FollowsConfig,
    count: int,
    now: datetime,
    *,
    channels: int | None = None,
    platform_id: Callable[[int], str] = discord_id,
    role_pings: bool = True,
) -> dict[str, int]:
    """`count` follows of one story in one transaction (FollowRepository.add_follows), each starting from the
    story's newest development as FollowRepository.follow does, so only later developments are alerted."""
    from storage.follows import FollowRepository, NewFollow

    rng = random.Random(config.seed)
    if channels is None:
        channels = round(count * config.channel_share) if count == config.followers else config.deliver_channels
    rows = []
    kinds = {"user": 0, "channel": 0, "muted": 0, "ping": 0}
    muted_until = now + timedelta(days=1)
    for index in range(count):
        if index < channels:
            scope = platform_id(GUILD_BASE + index // config.deliver_channels_per_guild)
            ping = platform_id(ROLE_BASE + index) if role_pings and rng.random() < config.ping_share else None
            channel = platform_id(CHANNEL_BASE + index)
            rows.append(NewFollow(story_id, "channel", channel, scope_id=scope, ping_role_id=ping))
            kinds["channel"] += 1
            kinds["ping"] += ping is not None
        else:
            muted = rng.random() < config.muted_share
            user = platform_id(USER_BASE + index)
            rows.append(NewFollow(story_id, "user", user, muted_until=muted_until if muted else None))
            kinds["user"] += 1
            kinds["muted"] += muted
    await FollowRepository(db).add_follows(rows, now)
    return kinds


async def _services(db: Any) -> tuple[Any, Any, Any]:
    from bot.follow_service import FollowService
    from bot.story_service import StoryService
    from storage.follows import FollowRepository
    from storage.outbox import OutboxRepository
    from storage.stories import StoryRepository

    stories = StoryRepository(db)
    service = FollowService(FollowRepository(db), stories, StoryService(stories), burst_window=timedelta(minutes=10))
    return service, stories, OutboxRepository(db)


async def _add_update(service: Any, story: Any, now: datetime) -> None:
    """The operator's development of a global story, as `briefbot update` adds it."""
    from bot.story_admin import OPERATOR, StoryAdminService

    admin = StoryAdminService(service.stories, service.story_service, service)
    await admin.update(story.slug, UPDATE_TEXT, "https://example.com/lab", scope_id=OPERATOR, now=now)


# --- part 1: fan out to 50,000 ---------------------------------------------------------------------


async def bench_fanout(config: FollowsConfig, workdir: Path) -> dict[str, Any]:
    from storage.database import Database
    from storage.follows import FollowRepository

    now = datetime.now(UTC)
    async with Database.open(workdir / "fanout.db") as db:
        news = await news_db(db, 5, config.seed, developed=0)
        service, stories, outbox = await _services(db)
        story = (await stories.recent(None, limit=1))[0]
        started = time.perf_counter()
        kinds = await add_followers(db, story.id, config, config.followers, now - timedelta(hours=1))
        insert_s = time.perf_counter() - started
        rss_before = peak_rss_mib()
        woken: list[int] = []
        service.wake_delivery = lambda: woken.append(1)

        started = time.perf_counter()
        await _add_update(service, story, now)
        added = time.perf_counter()
        enqueued = await service.process_alerts(now)
        done = time.perf_counter()

        counts = await outbox.counts()
        alerts = await outbox.tally("alert")
        by_kind = {kind.value: {"messages": t.messages, "targets": t.targets} for kind, t in alerts.items()}
        held = await FollowRepository(db).held_count()
        again = await service.process_alerts(now + timedelta(hours=1))
    return {
        "followers": config.followers,
        "follows": kinds,
        "follows_inserted_with": "FollowRepository.add_follows, in one transaction",
        "insert_s": insert_s,
        "news": news,
        "story": story.slug,
        "add_update_s": added - started,
        "process_alerts_s": done - added,
        "total_s": done - started,
        "alerts_enqueued": enqueued,
        "outbox_by_kind": by_kind,
        "outbox_counts": counts,
        "held_alerts": held,
        "second_run_enqueued": again,
        "woke_delivery": len(woken),
        "peak_rss_mib_before_fanout": rss_before,
        "what": "StoryAdminService.update (the development) then FollowService.process_alerts(now) (every alert "
        "enqueued in one transaction)",
    }


# --- part 1b: one development, followers on both platforms --------------------------------------------


async def bench_mixed(config: FollowsConfig, workdir: Path) -> dict[str, Any]:
    from storage.database import Database

    now = datetime.now(UTC)
    per_platform = config.mixed_per_platform
    channels = round(per_platform * config.channel_share)
    async with Database.open(workdir / "mixed.db") as db:
        await news_db(db, 5, config.seed, developed=0)
        service, stories, outbox = await _services(db)
        story = (await stories.recent(None, limit=1))[0]
        since = now - timedelta(hours=1)
        discord = await add_followers(db, story.id, config, per_platform, since, channels=channels)
        # Slack has no role pings: its channel follows post in the channel's thread only.
        slack = await add_followers(
            db, story.id, config, per_platform, since, channels=channels, platform_id=slack_id, role_pings=False
        )
        started = time.perf_counter()
        await _add_update(service, story, now)
        enqueued = await service.process_alerts(now)
        total_s = time.perf_counter() - started
        due = datetime.now(UTC) + timedelta(days=2)
        routed = {
            platform: len(await outbox.due(due, limit=10 * per_platform, platform=platform))
            for platform in ("discord", "slack")
        }
    return {
        "followers": {"discord": discord, "slack": slack},
        "total_s": total_s,
        "alerts_enqueued": enqueued,
        "due_by_platform": routed,
        "what": "StoryAdminService.update then FollowService.process_alerts(now), followers on both platforms; "
        "due_by_platform: the rows each platform's worker would drain (muted follows are held)",
    }


# --- part 2: deliver at the cap ---------------------------------------------------------------------


async def bench_deliver(config: FollowsConfig, workdir: Path) -> dict[str, Any]:
    from storage.database import Database
    from storage.direct_messages import DirectMessageRepository
    from tests.stub.discord_stub import DiscordStub, text_channel

    now = datetime.now(UTC)
    async with DiscordStub() as stub:
        async with Database.open(workdir / "briefbot.db") as db:
            await news_db(db, 3, config.seed, developed=0)
            service, stories, outbox = await _services(db)
            story = (await stories.recent(None, limit=1))[0]
            kinds = await add_followers(
                db, story.id, dataclasses.replace(config, muted_share=0.0), config.deliver_alerts, now
            )
            # DM followers alerted before: the bot remembers their DM channel (the stub knows it too).
            dms = DirectMessageRepository(db)
            users = [USER_BASE + i for i in range(config.deliver_channels, config.deliver_alerts)]
            known = users[: round(len(users) * config.known_dm_share)]
            for user_id in known:
                await dms.remember_channel(discord_id(user_id), discord_id(stub.dm_channel(user_id).id))
            for user_id in users:
                stub.add_user(user_id)
            await _add_update(service, story, now)
            enqueued = await service.process_alerts(now)
        channels = [CHANNEL_BASE + i for i in range(config.deliver_channels)]
        per_guild = config.deliver_channels_per_guild
        for start in range(0, len(channels), per_guild):
            group = channels[start : start + per_guild]
            stub.add_guild(
                GUILD_BASE + start // per_guild,
                name=f"server {start // per_guild}",
                channels=[text_channel(c, f"news-{c % 1000}") for c in group],
            )
        stub.enable_rate_limits(global_per_second=config.rate, per_channel=5, per_channel_window=5.0)
        started = time.perf_counter()
        bot = await start_bot(stub, workdir, {"OUTBOX_RATE": str(config.rate), "ALERT_BURST_WINDOW": "10m"})
        try:
            await wait_connected(stub, bot)
            connect_s = time.perf_counter() - started

            def alerts() -> int:
                return sum(1 for m in stub.messages if m.source == "channel" and "Story update" in m.text)

            deadline = enqueued * 3 / config.rate + 60
            await stub.wait_for(lambda: alerts() >= enqueued, timeout=deadline, what="every alert")
            await asyncio.sleep(1.0)
            rss = proc_status_mib(bot.process.pid, "VmHWM")
            logs = bot.logs
        finally:
            exit_code = await stop_bot(bot)
        alert_times = sorted(
            r.at
            for r in stub.requests
            if r.route == MESSAGE_ROUTE and r.status == 200 and "Story update" in json.dumps(r.json or {})
        )
        request_times = sorted(r.at for r in stub.requests if r.auth == "ok" and r.at >= alert_times[0] - 1.0)
        rate = steady_rate(alert_times)
        steady_from = alert_times[0] + rate["steady_from_s"]
        steady_to = alert_times[0] + rate["steady_to_s"]
        requests_per_s = bot_request_rate(stub, steady_from, steady_to)
        threads = sum(len(stub.threads_of(c)) for c in channels)
        result = {
            "cap_per_s": config.rate,
            "alerts_enqueued": enqueued,
            "alerts_delivered": alerts(),
            "follows": kinds,
            "dm_channels_known": len(known),
            "threads_opened": threads,
            "delivery": rate,
            "alert_ratio": rate["per_s"] / config.rate,
            "bot_requests_per_s_steady": requests_per_s,
            "request_ratio": requests_per_s / config.rate,
            "requests_in_steady_state": routes_between(stub, steady_from, steady_to),
            "max_bot_requests_in_1s": max_in_window(request_times),
            "limited": limited_requests(stub, alert_times[0])[:50],
            "provoked_429s": stub.provoked_429s,
            "injected_429s": stub.injected_429s,
            "connect_s": connect_s,
            "bot_peak_rss_mib": rss,
            "bot_exit_code": exit_code,
            "bot_retries_logged": logs.count("will be retried"),
            "stub_unknown_routes": list(stub.unknown_routes),
            "stub_internal_errors": list(stub.internal_errors),
            "what": "briefbot run subprocess (OUTBOX_RATE=N) delivering pre-enqueued alerts; stub "
            "enable_rate_limits(N, per_channel=5, window=5 s); request ratio = all bot-token requests/s in the "
            "steady state (what the cap counts) / N",
        }
    return result


# --- running -------------------------------------------------------------------------------------------

PARTS = {"fanout": bench_fanout, "mixed": bench_mixed, "deliver": bench_deliver}


def format_table(results: dict[str, Any]) -> str:
    targets = results["targets"]
    rows: list[tuple[str, str, str]] = []
    if "fanout" in results:
        f = results["fanout"]
        rows += [
            (
                f"development -> {f['followers']:,} followers' alerts enqueued",
                f"{f['total_s']:.2f} s",
                f"< {targets['fanout_s']:g} s {verdict(f['total_s'] < targets['fanout_s'])}; "
                f"{f['alerts_enqueued']:,} alerts, {f['held_alerts']:,} held (muted)",
            ),
            (
                "  add_update / process_alerts",
                f"{f['add_update_s'] * 1000:.0f} ms / {f['process_alerts_s']:.2f} s",
                f"follows inserted in {f['insert_s']:.2f} s (add_follows)",
            ),
            (
                "  peak RSS (fan-out run)",
                f"{f['peak_rss_mib']:.0f} MiB",
                f"{f['peak_rss_mib_before_fanout']:.0f} MiB before the fan-out",
            ),
        ]
    if "mixed" in results:
        m = results["mixed"]
        routed = m["due_by_platform"]
        rows.append(
            (
                "development -> Discord + Slack followers' alerts enqueued",
                f"{m['total_s']:.2f} s",
                f"< {targets['fanout_s']:g} s {verdict(m['total_s'] < targets['fanout_s'])}; "
                f"{routed['discord']:,} Discord + {routed['slack']:,} Slack alerts due",
            )
        )
    if "deliver" in results:
        d = results["deliver"]
        rate = d["delivery"]
        rows += [
            (
                f"alert delivery at cap N={d['cap_per_s']}: all bot requests",
                f"{d['bot_requests_per_s_steady']:.1f} req/s",
                f"ratio {d['request_ratio']:.2f} (>= {targets['rate_ratio']:g} "
                f"{verdict(d['request_ratio'] >= targets['rate_ratio'])})",
            ),
            (
                "  alert messages",
                f"{rate['per_s']:.1f} msg/s",
                f"ratio {d['alert_ratio']:.2f}; {d['alerts_delivered']:,}/{d['alerts_enqueued']:,} delivered, "
                f"{d['threads_opened']} threads opened",
            ),
            (
                "  429s: provoked / injected",
                f"{d['provoked_429s']} / {d['injected_429s']}",
                f"provoked must be 0 {verdict(d['provoked_429s'] == 0)}",
            ),
        ]
    return render_table(f"briefbot bench: follows ({results['total_s']:.0f} s total)", rows)


BENCH = PartsBench(
    "follows",
    PARTS,
    FollowsConfig,
    {"fanout_s": TARGET_FANOUT_S, "rate_ratio": TARGET_RATE_RATIO},
    format_table,
    __doc__.splitlines()[0],
)
run = BENCH.run
run_part = BENCH.run_part
main = BENCH.main


if __name__ == "__main__":
    raise SystemExit(main())
