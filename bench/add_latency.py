"""Benchmark (issue 9): while a 1 MiB `/story add` is parsed, how long another user's `/story keypoints` waits.

    python -m bench.add_latency            # full run
    python -m bench.add_latency --quick    # smoke run

The real core services on a real SQLite file (a temporary folder): a store of seed-sized stories, then
`StoryAdminService.add` of a 1 MiB article (each shape of bench.intake's huge inputs that is slow to parse:
short sentences in paragraphs, question headings, a web page) while `StoryService.keypoints` is called every
10 ms for another server. A call's latency runs from the moment it was due (its 10 ms tick) to its answer, so
an event loop held by a parse counts in full: the calls that fall due meanwhile wait, as other users'
interactions would.

Three ways to run the parse, the same add and the same calls:

* inline  -- parse_article on the event loop (what `/story add` did before issue 9);
* thread  -- in a thread of this process: the loop stays free, but holds the GIL only between the parse's
  switches (every 5 ms);
* process -- in the bot's intake pool (bot.intake.intake_pool), as `briefbot run` does now.

Target: with the pool, every keypoints call answered within 100 ms (max, not p99).
Results are printed as a table and written as JSON to bench/results/add_latency.json (add_latency-quick.json).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from bench.botrun import header, render_table, run_with_timeout, simple_main, verdict
from bench.intake import huge_input
from bench.store import latency_summary

TARGET_MAX_MS = 100.0
MODES = ("inline", "thread", "process")
ADDER = 500000000000000001  # the server whose admin adds the big article
ASKER = 500000000000000002  # another server, whose member asks for key points meanwhile


@dataclasses.dataclass(frozen=True, slots=True)
class AddLatencyConfig:
    stories: int = 2_000  # seed-sized stories in the store
    shapes: tuple[str, ...] = ("paragraphs", "headings", "web page")
    modes: tuple[str, ...] = MODES
    adds: int = 3  # 1 MiB adds per shape and mode
    interval_ms: float = 10.0
    timeout_s: float = 900.0

    @classmethod
    def quick(cls) -> AddLatencyConfig:
        return cls(stories=50, shapes=("paragraphs",), adds=1)


@asynccontextmanager
async def _pool(mode: str) -> AsyncIterator[Executor | None]:
    if mode == "inline":
        yield None
    elif mode == "thread":
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse") as threads:
            yield threads
    else:
        from bot.intake import intake_pool

        async with intake_pool() as processes:
            yield processes


async def _calls_during(task: asyncio.Task[Any], call: Any, interval: float) -> list[float]:
    """Starts `call()` at every tick until `task` is done; each latency counts from its tick (due time)."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    pending: set[asyncio.Task[None]] = set()

    async def one(due: float) -> None:
        await call()
        latencies.append(loop.time() - due)

    due = loop.time()
    while not task.done():
        now = loop.time()
        while due <= now:  # ticks missed while the loop was busy: those calls arrived meanwhile
            started = asyncio.create_task(one(due))
            pending.add(started)
            started.add_done_callback(pending.discard)
            due += interval
        await asyncio.wait({task}, timeout=max(0.0, due - loop.time()))
    await asyncio.gather(*pending)
    return latencies


async def bench_mode(config: AddLatencyConfig, mode: str, workdir: Path) -> dict[str, Any]:
    from bench.articles import ArticleGenerator
    from bot.follow_service import FollowService
    from bot.intake import ArticleParser
    from bot.markup import plain
    from bot.parser import MAX_ARTICLE_BYTES, parse_article
    from bot.story_admin import StoryAdminService
    from bot.story_service import StoryService
    from storage.database import Database
    from storage.follows import FollowRepository
    from storage.stories import ImportItem, StoryRepository

    articles = list(ArticleGenerator(909).articles(config.stories))
    results: dict[str, Any] = {}
    async with Database.open(workdir / f"{mode}.db") as db, _pool(mode) as pool:
        stories = StoryRepository(db)
        parsed = [parse_article(article.text.encode(), f"bench:{n}", UTC) for n, article in enumerate(articles)]
        await stories.import_stories([ImportItem(f"bench:{n}", story) for n, story in enumerate(parsed)])
        story_service = StoryService(stories)
        follows = FollowService(FollowRepository(db), stories, story_service, burst_window=timedelta(minutes=10))
        admin = StoryAdminService(stories, story_service, follows, parser=ArticleParser(UTC, pool))
        slug = articles[len(articles) // 2].slug
        # A running bot has parsed before (the seeds at start): its worker and its imports are warm.
        await admin.add(articles[0].text.encode(), "warm.txt", ADDER)
        await admin.add(huge_input("web page", 64 * 1024), "warm.html", ADDER)
        for shape in config.shapes:
            latencies: list[float] = []
            add_s: list[float] = []
            cpu_s: list[float] = []
            for number in range(config.adds):
                data = huge_input(shape, MAX_ARTICLE_BYTES - 100)
                data = data.replace(b"A Very Long", f"{mode} {shape} {number}".encode(), 2)  # a new story each time
                name = f"huge-{number}.html" if shape == "web page" else f"huge-{number}.txt"
                started, started_cpu = time.perf_counter(), time.process_time()
                add = asyncio.create_task(admin.add(data, name, ADDER))
                keypoints = lambda: story_service.keypoints(slug, ASKER)  # noqa: E731
                latencies += await _calls_during(add, keypoints, config.interval_ms / 1000)
                reply = add.result()
                assert "tracked here as" in plain(reply.text), reply.text
                add_s.append(time.perf_counter() - started)
                cpu_s.append(time.process_time() - started_cpu)
            results[shape] = {
                **latency_summary(latencies),
                "add_s_max": max(add_s),
                "add_s_min": min(add_s),
                "bot_cpu_s_max": max(cpu_s),  # this process's CPU (the loop and its threads), calls included
            }
    return results


async def _run(config: AddLatencyConfig, workdir: Path) -> dict[str, Any]:
    return {mode: await bench_mode(config, mode, workdir) for mode in config.modes}


def run(config: AddLatencyConfig, workdir: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    results = header("add_latency", config, {"max_ms": TARGET_MAX_MS})
    results["machine"]["load_average_at_start"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-add-", dir=workdir) as folder:
        results["modes"] = run_with_timeout(_run(config, Path(folder)), config.timeout_s)
    results["total_s"] = time.perf_counter() - started
    return results


def format_table(results: dict[str, Any]) -> str:
    target = results["targets"]["max_ms"]
    rows: list[tuple[str, str, str]] = []
    for mode, shapes in results["modes"].items():
        for shape, figures in shapes.items():
            note = f"add {figures['add_s_min']:.2f}-{figures['add_s_max']:.2f} s, {figures['count']} calls"
            note += f", bot CPU <= {figures['bot_cpu_s_max']:.2f} s"
            if mode == "process":
                note += f"; max < {target:g} ms {verdict(figures['max_ms'] < target)}"
            rows.append(
                (
                    f"keypoints during a 1 MiB add ({shape}), parse {mode}",
                    f"p50 {figures['p50_ms']:.1f} / p99 {figures['p99_ms']:.1f} / max {figures['max_ms']:.1f} ms",
                    note,
                )
            )
    load = results["machine"]["load_average_at_start"]
    return render_table(f"briefbot bench: add latency ({results['total_s']:.0f} s, load average {load})", rows)


def main(argv: list[str] | None = None) -> int:
    return simple_main(argv, "add_latency", __doc__ or "", AddLatencyConfig, run, format_table)


if __name__ == "__main__":
    raise SystemExit(main())
