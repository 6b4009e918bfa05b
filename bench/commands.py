"""Benchmark of the /story commands (issue 3): each handler's own latency, and the bot's CPU per interaction.

    python -m bench.commands            # full run: a 100,000-story store, 1,000 calls per handler, 200 interactions
    python -m bench.commands --quick    # smoke run with small sizes

Part 1 (in this process): on the big store, each /story handler from the interaction's arguments to the
Discord payload, without the network: the StoryService method, then `message_parts` -> `part_kwargs`
(`to_embed`), exactly what the cog's `send_reply` builds; for autocomplete `StoryService.choices` -> the
`app_commands.Choice` list the cog returns. p50/p99 over varied stories and queries.

Part 2 (the real bot): `briefbot run` as a subprocess on the same store, connected to the loopback
Discord stub; a mix of interactions, a few at a time, each must be answered; the bot process's CPU time
(user + system, /proc/<pid>/stat) per interaction, measured once it is connected and idle.

Results are printed as a table and written as JSON to bench/results/commands.json (commands-quick.json).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.botrun import (
    header,
    proc_cpu_seconds,
    proc_status_mib,
    render_table,
    run_with_timeout,
    start_bot,
    stop_bot,
    verdict,
    wait_connected,
    write_results,
)
from bench.store import VIEWER, StoreConfig, _build_store, _prefix, latency_summary

TARGET_P99_MS = 20.0
TARGET_AUTOCOMPLETE_P99_MS = 10.0
HANDLERS = ("list", "show", "keypoints", "ask", "timeline", "search", "autocomplete")
# The stub's server for part 2 (the stories the bot shows there are the global ones).
GUILD_ID = 400000000000000001
CHANNEL_ID = 400000000000000101
USER_ID = 400000000000000901
QUESTION_STARTS = ("why", "what about", "how will", "who is behind", "what does it mean for")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")


@dataclasses.dataclass(frozen=True, slots=True)
class CommandsConfig:
    store_size: int = 100_000
    pool: int = 1_000
    build_batch: int = 1_000
    developed: int = 1_000  # stories given 1-5 developments each (for timeline, show's latest development)
    heavy: int = 1_000  # other stories given `heavy_developments` /story updates each (issue 9: ask over them)
    heavy_developments: int = 20
    heavy_share: float = 0.5  # of show, keypoints and ask calls, on those stories
    calls: int = 1_000  # per handler
    warmup: int = 50
    deep_list_share: float = 0.05  # /story list pages anywhere in the store; the rest are pages 1-10
    interactions: int = 200
    concurrency: int = 10
    seed: int = 2031
    timeout_s: float = 900.0

    @classmethod
    def quick(cls) -> CommandsConfig:
        return cls(
            store_size=5_000, pool=100, developed=100, heavy=100, calls=200, warmup=20, interactions=40, concurrency=5
        )


# --- the store ---------------------------------------------------------------------------------------


async def build(config: CommandsConfig, db_path: Path) -> tuple[list[Any], dict[str, Any]]:
    """bench.store's big store (same generator, same import path), plus developments on some stories: 1-5 short
    ones on `developed` stories, and `heavy_developments` realistic /story updates (a sentence and 1-3 labelled
    bullets, split as `/story update` does) on `heavy` others."""
    from bench.articles import ArticleGenerator
    from bot.story_admin import development_from_text
    from storage.database import Database
    from storage.stories import StoryRepository

    store_config = StoreConfig(
        store_size=config.store_size, pool=config.pool, build_batch=config.build_batch, seed=config.seed
    )
    stored, info = await _build_store(store_config, db_path)
    rng = random.Random(config.seed + 3)
    started = time.perf_counter()
    developed: list[str] = []
    async with Database.open(db_path) as db:
        repo = StoryRepository(db)
        visible = await repo.refs(VIEWER)
        developments = 0
        for story in rng.sample(visible, min(config.developed, len(visible))):
            slug = story.slug
            for number in range(rng.randint(1, 5)):
                body = f"Update {number} on {slug}: talks moved forward and a new partner joined the plan."
                await repo.add_development(
                    story.id, f"Update {number}: talks moved forward", body, content_hash=f"bench:{slug}:{number}"
                )
                developments += 1
            developed.append(slug)
        chosen = set(developed)
        generator = ArticleGenerator(config.seed + 7)
        heavy: list[str] = []
        others = [s for s in visible if s.slug not in chosen]
        for story in rng.sample(others, min(config.heavy, len(others))):
            for number in range(config.heavy_developments):
                headline, body, points = development_from_text(generator.update_text())
                await repo.add_development(
                    story.id, headline, body, key_points=points, content_hash=f"bench:{story.slug}:heavy:{number}"
                )
                developments += 1
            heavy.append(story.slug)
    info["developments"] = developments
    info["developed_stories"] = len(developed)
    info["heavy_stories"] = len(heavy)
    info["developments_s"] = time.perf_counter() - started
    # Closed, so the write-ahead log is checkpointed into the file.
    info["db_mib_with_developments"] = sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + "*")) / 2**20
    info["developed_slugs"] = developed
    info["heavy_slugs"] = heavy
    return stored, info


# --- part 1: handlers in process -----------------------------------------------------------------------


def render(reply: Any) -> list[dict[str, object]]:
    """What `send_reply` builds before calling discord.py: one kwargs dict (content, embeds...) per message."""
    from bot.discord.render import message_parts, part_kwargs

    return [part_kwargs(part) for part in message_parts(reply)]


def _question(rng: random.Random, story: Any) -> str:
    """A question about a word of the title (replaced by `_ask_about_body` for most calls)."""
    return f"{rng.choice(QUESTION_STARTS)} {rng.choice(_WORD.findall(story.title)).lower()}"


async def _ask_about_body(stories: Any, calls: list[tuple[str, Any]], seed: int, share: float = 0.8) -> None:
    """Most questions ask about a word of the story's own sections or developments (the big store's bodies come
    from other articles than its titles, so title words often get the "does not cover that" answer; both are
    kept). Of a story with developments, half the questions ask about a development's words."""
    rng = random.Random(seed)
    for index, (label, (slug, _question)) in enumerate(calls):
        if rng.random() >= share:
            continue
        detail = await stories.detail(slug, VIEWER)
        if detail is None:
            continue
        texts = [" ".join([*s.paragraphs, *(f"{b.label} {b.text}" for b in s.bullets)]) for s in detail.sections]
        if detail.developments and rng.random() < 0.5:
            texts = [d.body for d in detail.developments]
        words = [w.lower() for w in _WORD.findall(" ".join(texts)) if len(w) > 4]
        if words:
            calls[index] = (label, (slug, f"{rng.choice(QUESTION_STARTS)} {rng.choice(words)}"))


def _search_query(rng: random.Random, story: Any) -> str:
    words = [w for w in _WORD.findall(story.title) if len(w) > 3] or _WORD.findall(story.title)
    return " ".join(rng.sample(words, min(len(words), rng.choice((1, 1, 2)))))


def _typed(rng: random.Random, story: Any) -> tuple[str, str]:
    """What a user has typed when autocomplete fires: nothing yet (the option just got focus), 2-5 characters
    of a slug or title word (as bench.store), or more of the title, often ending in a 1-letter word start."""
    draw = rng.random()
    if draw < 0.05:
        return "nothing typed", ""
    if draw < 0.8:
        return "2-5 chars", _prefix(rng, story)[1]
    return "6-20 chars of the title", story.title[: rng.randint(6, 20)]


def make_calls(
    config: CommandsConfig, stored: list[Any], developed: list[str], total_stories: int, heavy: Sequence[str] = ()
) -> dict[str, list]:
    """Per handler: (label, argument) pairs, varied, reproducible. `heavy`: the stories with many developments,
    which get `heavy_share` of show, keypoints and ask calls, labelled apart."""
    rng = random.Random(config.seed + 4)
    visible = [s for s in stored if s.visible]
    heavy_stories = [s for s in visible if s.slug in set(heavy)]
    heavy_label = f"{config.heavy_developments} developments"
    count = config.warmup + config.calls
    pages = max(1, -(-total_stories // 8))
    calls: dict[str, list[tuple[str, Any]]] = {name: [] for name in HANDLERS}

    def pick() -> tuple[str, Any]:
        if heavy_stories and rng.random() < config.heavy_share:
            return heavy_label, rng.choice(heavy_stories)
        return "slug", rng.choice(visible)

    for _ in range(count):
        deep = rng.random() < config.deep_list_share
        page = rng.randint(1, pages) if deep else rng.randint(1, 10)
        calls["list"].append(("deep page" if deep else "page 1-10", page))
        for name in ("show", "keypoints"):
            label, story = pick()
            calls[name].append((label, story.slug))
        label, story = pick()
        calls["ask"].append((label if heavy_stories else "slug + question", (story.slug, _question(rng, story))))
        if developed and rng.random() < 0.5:
            calls["timeline"].append(("with developments", rng.choice(developed)))
        else:
            calls["timeline"].append(("slug", rng.choice(visible).slug))
        calls["search"].append(("title words", _search_query(rng, rng.choice(visible))))
        calls["autocomplete"].append(_typed(rng, rng.choice(visible)))
    return calls


def handler_functions(service: Any, viewer: str) -> dict[str, Callable[[Any], Awaitable[Any]]]:
    from discord import app_commands

    from bot.limits import truncate
    from cogs.stories import CHOICE_NAME_LIMIT

    async def list_(page: int) -> Any:
        reply, _pages = await service.list_page(viewer, page)
        return render(reply)

    async def show(slug: str) -> Any:
        return render(await service.show(slug, viewer))

    async def keypoints(slug: str) -> Any:
        return render(await service.keypoints(slug, viewer))

    async def ask(arg: tuple[str, str]) -> Any:
        return render(await service.ask(arg[0], arg[1], viewer))

    async def timeline(slug: str) -> Any:
        return render(await service.timeline(slug, viewer))

    async def search(query: str) -> Any:
        return render(await service.search(query, viewer))

    async def autocomplete(text: str) -> Any:
        # StoryCog.story_autocomplete, verbatim.
        choices = await service.choices(text, viewer)
        return [app_commands.Choice(name=truncate(c.title, CHOICE_NAME_LIMIT), value=c.slug) for c in choices[:25]]

    return {
        "list": list_,
        "show": show,
        "keypoints": keypoints,
        "ask": ask,
        "timeline": timeline,
        "search": search,
        "autocomplete": autocomplete,
    }


async def bench_handlers(
    config: CommandsConfig, db_path: Path, stored: list[Any], developed: list[str], heavy: Sequence[str] = ()
) -> dict[str, Any]:
    from bot.cards import Reply
    from bot.errors import UserError
    from bot.story_service import StoryService
    from storage.database import Database
    from storage.stories import StoryRepository

    results: dict[str, Any] = {}
    async with Database.open(db_path) as db:
        service = StoryService(StoryRepository(db))
        total = await service.stories.count(VIEWER)
        calls = make_calls(config, stored, developed, total, heavy)
        await _ask_about_body(service.stories, calls["ask"], config.seed + 6)
        functions = handler_functions(service, VIEWER)
        for name in HANDLERS:
            function = functions[name]
            samples: list[float] = []
            by_label: dict[str, list[float]] = {}
            errors = messages = embeds = non_empty = 0
            for index, (label, arg) in enumerate(calls[name]):
                begin = time.perf_counter()
                try:
                    payload = await function(arg)
                except UserError as exc:  # what BriefTree.on_error sends
                    payload = render(Reply(text=exc.markup, ephemeral=True))
                    error = True
                else:
                    error = False
                elapsed = time.perf_counter() - begin
                if index < config.warmup:
                    continue
                samples.append(elapsed)
                by_label.setdefault(label, []).append(elapsed)
                errors += error
                if name == "autocomplete":
                    non_empty += bool(payload)
                    messages += len(payload)
                else:
                    messages += len(payload)
                    embeds += sum(len(p["embeds"]) for p in payload)
            summary = latency_summary(samples)
            summary["by_input"] = {label: latency_summary(values) for label, values in by_label.items()}
            summary["user_errors"] = errors
            if name == "autocomplete":
                summary["non_empty"] = non_empty
                summary["mean_choices"] = messages / len(samples)
            else:
                summary["messages"] = messages
                summary["embeds"] = embeds
            results[name] = summary
        results["visible_stories"] = total
    results["what"] = (
        "StoryService method -> message_parts -> part_kwargs (to_embed) per part; autocomplete: "
        "StoryService.choices -> app_commands.Choice list (StoryCog.story_autocomplete)"
    )
    return results


# --- part 2: the real bot ----------------------------------------------------------------------------


def _interaction_plan(config: CommandsConfig, global_stories: list[tuple[str, str]]) -> list[tuple[str, dict]]:
    """A mix: keypoints 30%, show 20%, ask 20%, autocomplete 30%."""
    rng = random.Random(config.seed + 5)
    plan: list[tuple[str, dict[str, Any]]] = []
    for _ in range(config.interactions):
        slug, title = rng.choice(global_stories)
        draw = rng.random()
        if draw < 0.3:
            plan.append(("keypoints", {"story": slug}))
        elif draw < 0.5:
            plan.append(("show", {"story": slug}))
        elif draw < 0.7:
            word = rng.choice(_WORD.findall(title)).lower()
            plan.append(("ask", {"story": slug, "question": f"{rng.choice(QUESTION_STARTS)} {word}"}))
        else:
            typed = slug[: rng.randint(2, 5)] if rng.random() < 0.5 else title[: rng.randint(3, 12)]
            plan.append(("autocomplete", {"story": typed}))
    return plan


async def bench_bot(config: CommandsConfig, workdir: Path) -> dict[str, Any]:
    from storage.database import Database
    from storage.stories import StoryRepository
    from tests.stub.discord_stub import DiscordStub, text_channel

    async with Database.open(workdir / "briefbot.db") as db:
        global_stories = [(s.slug, s.title) for s in await StoryRepository(db).refs(None)]
    plan = _interaction_plan(config, global_stories)
    async with DiscordStub() as stub:
        stub.add_guild(GUILD_ID, name="bench", channels=[text_channel(CHANNEL_ID, "news")], members=[USER_ID])
        started = time.perf_counter()
        bot = await start_bot(stub, workdir)
        try:
            await wait_connected(stub, bot)
            await stub.wait_for_command_sync(timeout=60)
            connected_s = time.perf_counter() - started
            pid = bot.process.pid
            await asyncio.sleep(2.0)  # startup jobs (digest tick, seeds watch) have run
            idle_begin, idle_cpu = time.perf_counter(), proc_cpu_seconds(pid)
            await asyncio.sleep(3.0)
            idle_rate = (proc_cpu_seconds(pid) - idle_cpu) / (time.perf_counter() - idle_begin)

            semaphore = asyncio.Semaphore(config.concurrency)
            latencies: dict[str, list[float]] = {}
            failures: list[str] = []

            async def one(kind: str, options: dict[str, Any]) -> bool:
                async with semaphore:
                    begin = time.perf_counter()
                    try:
                        if kind == "autocomplete":
                            choices = await stub.autocomplete(
                                "story", subcommand="show", focused="story", options=options,
                                channel_id=CHANNEL_ID, user_id=USER_ID,
                            )
                            ok = isinstance(choices, list)
                        else:
                            result = await stub.invoke_slash(
                                "story", subcommand=kind, options=options, channel_id=CHANNEL_ID,
                                user_id=USER_ID, settle=0,
                            )
                            ok = result.record.answered and not result.record.expired and bool(result.text)
                    except (TimeoutError, AssertionError) as exc:
                        ok = False
                        failures.append(f"{kind} {options}: {exc}"[:200])
                    else:
                        if not ok:
                            failures.append(f"{kind} {options}: no usable answer"[:200])
                    latencies.setdefault(kind, []).append(time.perf_counter() - begin)
                    return ok

            cpu_before = proc_cpu_seconds(pid)
            begin = time.perf_counter()
            outcomes = await asyncio.gather(*(one(kind, options) for kind, options in plan))
            wall = time.perf_counter() - begin
            cpu_used = proc_cpu_seconds(pid) - cpu_before
            rss_peak = proc_status_mib(pid, "VmHWM")
            errors_in_log = bot.logs.count("ERROR")
        finally:
            exit_code = await stop_bot(bot)
        count = len(plan)
    return {
        "interactions": count,
        "mix": {kind: len(values) for kind, values in latencies.items()},
        "answered": sum(outcomes),
        "failures": failures,
        "concurrency": config.concurrency,
        "wall_s": wall,
        "cpu_s": cpu_used,
        "cpu_ms_per_interaction": cpu_used * 1000 / count,
        "idle_cpu_ms_per_s": idle_rate * 1000,
        "cpu_ms_per_interaction_minus_idle": max(0.0, cpu_used - idle_rate * wall) * 1000 / count,
        "round_trip": {kind: latency_summary(values) for kind, values in latencies.items()},
        "connect_s": connected_s,
        "bot_peak_rss_mib": rss_peak,
        "bot_error_log_lines": errors_in_log,
        "bot_exit_code": exit_code,
        "stub_unknown_routes": list(stub.unknown_routes),
        "stub_internal_errors": list(stub.internal_errors),
        "what": "briefbot run subprocess vs the loopback stub; CPU = utime+stime from /proc/<pid>/stat",
    }


# --- running -------------------------------------------------------------------------------------------


async def _run(config: CommandsConfig, workdir: Path, with_bot: bool) -> dict[str, Any]:
    db_path = workdir / "briefbot.db"
    stored, store_info = await build(config, db_path)
    developed = store_info.pop("developed_slugs")
    heavy = store_info.pop("heavy_slugs")
    results: dict[str, Any] = {"store": store_info}
    results["handlers"] = await bench_handlers(config, db_path, stored, developed, heavy)
    if with_bot:
        results["bot"] = await bench_bot(config, workdir)
    return results


def run(config: CommandsConfig, *, with_bot: bool = True, workdir: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    results = header("commands", config, {"p99_ms": TARGET_P99_MS, "autocomplete_p99_ms": TARGET_AUTOCOMPLETE_P99_MS})
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-commands-", dir=workdir) as folder:
        results.update(run_with_timeout(_run(config, Path(folder), with_bot), config.timeout_s))
    results["total_s"] = time.perf_counter() - started
    return results


def format_table(results: dict[str, Any]) -> str:
    store, handlers = results["store"], results["handlers"]
    target = results["targets"]["p99_ms"]
    target_ac = results["targets"]["autocomplete_p99_ms"]
    rows = [
        (
            f"store of {store['stories']:,} stories",
            f"built in {store['build_s']:.0f} s",
            f"{store['developments']:,} developments on {store['developed_stories'] + store['heavy_stories']:,} "
            f"stories ({store['heavy_stories']:,} with {results['config']['heavy_developments']} each)",
        ),
        (
            "  database size",
            f"{store['db_mib_with_developments']:,.0f} MiB",
            f"{store['db_mib_with_developments'] * 2**20 / store['stories']:,.0f} bytes per story",
        ),
    ]
    for name in HANDLERS:
        h = handlers[name]
        limit = target_ac if name == "autocomplete" else target
        extra = f"; {h['user_errors']} user errors" if h["user_errors"] else ""
        rows.append(
            (
                f"/story {name}, {h['count']:,} calls (p50/p99)",
                f"{h['p50_ms']:.2f} / {h['p99_ms']:.2f} ms",
                f"p99 < {limit:g} ms {verdict(h['p99_ms'] < limit)}; max {h['max_ms']:.1f} ms{extra}",
            )
        )
        if len(h["by_input"]) > 1:
            for label, summary in h["by_input"].items():
                rows.append(
                    (
                        f"  {label} (p50/p99)",
                        f"{summary['p50_ms']:.2f} / {summary['p99_ms']:.2f} ms",
                        f"{summary['count']:,} calls",
                    )
                )
    bot = results.get("bot")
    if bot:
        rows += [
            (
                f"bot process: {bot['interactions']} interactions, {bot['concurrency']} at a time",
                f"{bot['cpu_ms_per_interaction']:.2f} ms CPU each",
                f"{bot['cpu_s']:.2f} s CPU over {bot['wall_s']:.1f} s; "
                f"answered {bot['answered']}/{bot['interactions']}",
            ),
            (
                "  minus idle CPU (heartbeats, scheduler)",
                f"{bot['cpu_ms_per_interaction_minus_idle']:.2f} ms CPU each",
                f"idle {bot['idle_cpu_ms_per_s']:.1f} ms CPU/s",
            ),
        ]
        for kind, summary in bot["round_trip"].items():
            rows.append(
                (
                    f"  round trip via stub: {kind} (p50/p99)",
                    f"{summary['p50_ms']:.1f} / {summary['p99_ms']:.1f} ms",
                    f"{summary['count']} interactions",
                )
            )
        rows.append(
            ("  bot peak RSS (VmHWM)", f"{bot['bot_peak_rss_mib']:.0f} MiB", f"connected in {bot['connect_s']:.1f} s")
        )
    notes = [f"handlers: {handlers['what']}"]
    if bot and bot["failures"]:
        notes.append(f"bot failures: {bot['failures'][:5]}")
    return render_table(f"briefbot bench: commands ({results['total_s']:.0f} s total)", rows, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.commands", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--no-bot", action="store_true", help="skip part 2 (the bot subprocess)")
    parser.add_argument("--workdir", type=Path, help="where temporary databases go (default: system temp)")
    parser.add_argument("--out", type=Path, help="JSON results file (default: bench/results/commands.json)")
    parser.add_argument("--config", help="JSON overrides of CommandsConfig fields")
    args = parser.parse_args(argv)
    config = CommandsConfig.quick() if args.quick else CommandsConfig()
    if args.config:
        config = dataclasses.replace(config, **json.loads(args.config))
    results = run(config, with_bot=not args.no_bot, workdir=args.workdir)
    out = write_results(results, "commands", args.quick, args.out)
    print(format_table(results))
    print(f"results: {out}")
    bot = results.get("bot")
    return 1 if bot and bot["answered"] != bot["interactions"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
