"""Benchmark of the Slack command handlers (issue 11): handler time for /story's read commands at 100,000 stories.

    python -m bench.slack_commands            # full run: a 100,000-story store, 1,000 calls per command
    python -m bench.slack_commands --quick    # smoke run with small sizes

The store is bench.commands's (same builder: bench.store's generator, developments on some stories). The
workspace sees the global stories, as a Slack team with none of its own does.

Part 1 (handler time, the target): `SlackCommands.on_command`, the function `register` hands to slack-bolt, from
the command's payload to the last `respond` call: parse, closed-DM check, the core call, `render_reply`, and the
response built; `respond` only records (no HTTP). Real services (`build_services`) on the big store.

Part 2 (round trip, for reference): the real AsyncApp with `register` over Socket Mode (SlackSocket) against the
loopback Slack in the same process: from the envelope sent to the answer received at response_url. It adds
slack-bolt's dispatch, the websocket and one HTTP POST per answer (a new connection each: bolt's `respond`).

Results are printed as a table and written as JSON to bench/results/slack_commands.json (-quick.json).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.botrun import header, render_table, run_with_timeout, simple_main, verdict
from bench.commands import CommandsConfig, _ask_about_body, build, make_calls
from bench.store import latency_summary

TARGET_P99_MS = 20.0
COMMANDS = ("show", "keypoints", "ask", "search", "list")
TEAM_ID = "T0BENCH001"
CHANNEL_ID = "C0BENCH001"
USER_ID = "U0BENCH001"


@dataclasses.dataclass(frozen=True, slots=True)
class SlackCommandsConfig:
    store: CommandsConfig = CommandsConfig()
    calls: int = 1_000  # per command, in part 1
    warmup: int = 50
    round_trips: int = 200  # per command, in part 2
    timeout_s: float = 1800.0

    @classmethod
    def quick(cls) -> SlackCommandsConfig:
        return cls(store=CommandsConfig.quick(), calls=100, warmup=10, round_trips=20)


def command_texts(calls: dict[str, list[tuple[str, Any]]]) -> dict[str, list[str]]:
    """bench.commands's varied arguments as the words typed after /story."""
    return {
        "show": [f"show {slug}" for _, slug in calls["show"]],
        "keypoints": [f"keypoints {slug}" for _, slug in calls["keypoints"]],
        "ask": [f"ask {slug} {question}" for _, (slug, question) in calls["ask"]],
        "search": [f"search {query}" for _, query in calls["search"]],
        "list": [f"list {page}" for _, page in calls["list"]],
    }


def payload(text: str, number: int) -> dict[str, str]:
    """A slash command's payload as slack-bolt passes it (`command`)."""
    return {
        "command": "/story", "text": text, "team_id": TEAM_ID, "channel_id": CHANNEL_ID, "user_id": USER_ID,
        "trigger_id": f"bench.{number}", "response_url": "http://127.0.0.1:9/unused",
    }  # fmt: skip


async def _workspace_calls(config: SlackCommandsConfig, db_path: Path, stored: list[Any], info: dict[str, Any]) -> Any:
    """make_calls over the stories a workspace sees (the global ones), as typed commands."""
    from bot.ids import qualify
    from storage.database import Database
    from storage.stories import StoryRepository

    store = dataclasses.replace(config.store, calls=config.calls, warmup=config.warmup)
    async with Database.open(db_path) as db:
        repo = StoryRepository(db)
        global_slugs = {ref.slug for ref in await repo.refs(None)}
        total = await repo.count(qualify("slack", TEAM_ID))
        seen = [s for s in stored if s.slug in global_slugs]
        developed = [slug for slug in info["developed_slugs"] if slug in global_slugs]
        heavy = [slug for slug in info["heavy_slugs"] if slug in global_slugs]
        calls = make_calls(store, seen, developed, total, heavy)
        await _ask_about_body(repo, calls["ask"], store.seed + 6)
    return command_texts(calls), total


async def bench_handlers(config: SlackCommandsConfig, db_path: Path, texts: dict[str, list[str]]) -> dict[str, Any]:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.runtime import Wakeups, build_services
    from bot.settings import Settings
    from bot.slack.handlers import SlackCommands
    from storage.database import Database

    settings = Settings(database_path=db_path)
    results: dict[str, Any] = {}
    async with Database.open(db_path) as db:
        commands = SlackCommands(build_services(db, settings, Wakeups()), settings, AsyncWebClient(token="xoxb-unused"))
        sent: list[dict[str, Any]] = []

        async def ack(**_: Any) -> None:
            return None

        async def respond(**message: Any) -> None:
            sent.append(message)

        for name in COMMANDS:
            samples: list[float] = []
            cpu: list[float] = []
            ephemeral = messages = 0
            load_before = os.getloadavg()[0]
            for index, text in enumerate(texts[name]):
                sent.clear()
                begin, begin_cpu = time.perf_counter(), time.process_time()
                await commands.on_command(ack, payload(text, index), respond)
                elapsed, used = time.perf_counter() - begin, time.process_time() - begin_cpu
                if index < config.warmup:
                    continue
                samples.append(elapsed)
                cpu.append(used)
                messages += len(sent)
                ephemeral += any(m["response_type"] == "ephemeral" for m in sent)
            summary = latency_summary(samples)
            # CPU of the whole process (SQLite's thread included): what the handler costs, whatever else runs.
            summary["cpu"] = latency_summary(cpu)
            summary["load_average"] = (load_before + os.getloadavg()[0]) / 2
            summary["messages"] = messages
            summary["private_answers"] = ephemeral  # errors ("no page", "does not cover that" hints)
            results[name] = summary
    return results


async def bench_round_trip(config: SlackCommandsConfig, db_path: Path, texts: dict[str, list[str]]) -> dict[str, Any]:
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.runtime import Wakeups, build_services
    from bot.settings import Settings
    from bot.slack.handlers import register
    from bot.slack.socket import SlackSocket
    from storage.database import Database
    from tests.slackstub.server import SlackStub

    results: dict[str, Any] = {}
    async with SlackStub(team_id=TEAM_ID) as slack, Database.open(db_path) as db:
        slack.add_user(USER_ID)
        slack.add_channel(CHANNEL_ID, "news", bot_member=True, members={USER_ID})
        settings = Settings(database_path=db_path, slack_api_base=slack.api_base)
        app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_base))
        register(app, build_services(db, settings, Wakeups()), settings)
        async with SlackSocket(app, slack.app_token):
            await slack.wait_for_connection()
            for name in COMMANDS:
                samples, acks = [], []
                for text in texts[name][config.warmup : config.warmup + config.round_trips]:
                    result = await slack.command("/story", text, user=USER_ID, channel=CHANNEL_ID)
                    await result.wait_for_messages(1)
                    samples.append(time.monotonic() - result.sent_at)
                    acks.append(result.ack_seconds or 0.0)
                results[name] = {**latency_summary(samples), "ack": latency_summary(acks)}
    return results


async def _run(config: SlackCommandsConfig, workdir: Path, round_trip: bool) -> dict[str, Any]:
    db_path = workdir / "briefbot.db"
    store = dataclasses.replace(config.store, calls=config.calls, warmup=config.warmup)
    stored, info = await build(store, db_path)
    texts, total = await _workspace_calls(config, db_path, stored, info)
    info.pop("developed_slugs")
    info.pop("heavy_slugs")
    results: dict[str, Any] = {"store": {**info, "workspace_visible": total}}
    results["handlers"] = await bench_handlers(config, db_path, texts)
    if round_trip:
        results["round_trip"] = await bench_round_trip(config, db_path, texts)
    return results


def run(config: SlackCommandsConfig, *, round_trip: bool = True, workdir: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    results = header("slack_commands", config, {"p99_ms": TARGET_P99_MS})
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-slack-", dir=workdir) as folder:
        results.update(run_with_timeout(_run(config, Path(folder), round_trip), config.timeout_s))
    results["total_s"] = time.perf_counter() - started
    return results


def format_table(results: dict[str, Any]) -> str:
    store, handlers = results["store"], results["handlers"]
    rows = [
        (
            f"store of {store['stories']:,} stories",
            f"built in {store['build_s']:.0f} s",
            f"{store['workspace_visible']:,} visible to the workspace; {store['developments']:,} developments",
        )
    ]
    for name in COMMANDS:
        h = handlers[name]
        rows.append(
            (
                f"/story {name}: handler, {h['count']:,} calls (p50/p99)",
                f"{h['p50_ms']:.2f} / {h['p99_ms']:.2f} ms",
                f"p99 < {TARGET_P99_MS:g} ms {verdict(h['p99_ms'] < TARGET_P99_MS)}; max {h['max_ms']:.1f} ms; "
                f"CPU p50/p99 {h['cpu']['p50_ms']:.2f} / {h['cpu']['p99_ms']:.2f} ms; load {h['load_average']:.1f}",
            )
        )
    for name, r in results.get("round_trip", {}).items():
        rows.append(
            (
                f"  round trip via the loopback Slack: {name} (p50/p99)",
                f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms",
                f"{r['count']} commands; ack p99 {r['ack']['p99_ms']:.1f} ms",
            )
        )
    notes = [
        "handler: SlackCommands.on_command, payload -> last respond (no HTTP); see the module docstring",
        f"load: the 1-minute load average during each command's calls ({os.cpu_count()} CPUs); "
        "CPU: process time per call",
    ]
    return render_table(f"briefbot bench: slack_commands ({results['total_s']:.0f} s total)", rows, notes)


def main(argv: list[str] | None = None) -> int:
    return simple_main(argv, "slack_commands", __doc__, SlackCommandsConfig, run, format_table)


if __name__ == "__main__":
    raise SystemExit(main())
