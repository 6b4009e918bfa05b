"""Shared by the benchmarks that drive the real `briefbot run` process against the loopback Discord stub.

The bot is started exactly as the end-to-end tests start it (tests/e2e/harness.py: the venv's `briefbot`
console script, the stub's DISCORD_* variables, a workspace with its own seeds/ and database). Only
127.0.0.1 is contacted. Also: CPU time and peak RSS of a process from /proc, and delivery-rate maths.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.store import RESULTS, ROOT, peak_rss_mib

MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- /proc ---------------------------------------------------------------------------------------


def discord_id(snowflake: int) -> str:
    """A Discord server, channel, user or role id as the store keeps it: "discord:<snowflake>" (bot/ids.py)."""
    from bot.ids import qualify

    return qualify("discord", snowflake)


def proc_cpu_seconds(pid: int) -> float:
    """user + system CPU time of a live process (Linux /proc/<pid>/stat, clock-tick resolution)."""
    text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)": field 3 (state) is index 0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_status_mib(pid: int, key: str = "VmHWM") -> float:
    """A kB line of /proc/<pid>/status (VmHWM = peak RSS, VmRSS = current RSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return math.nan


# --- the bot process -------------------------------------------------------------------------------


async def start_bot(stub: Any, workdir: Path, env: dict[str, str] | None = None) -> Any:
    """`briefbot run` with `workdir/briefbot.db` and a copy of the repo's seeds; returns a started BotProcess.

    The database may be prepared beforehand (Database.open migrates it; the seeds import is idempotent)."""
    from tests.e2e.harness import REPO_SEEDS, BotProcess, BotWorkspace

    workspace = BotWorkspace(workdir)
    if not workspace.seeds.exists():
        import shutil

        shutil.copytree(REPO_SEEDS, workspace.seeds)
    return await BotProcess(workspace, stub, env).start()


async def wait_connected(stub: Any, bot: Any, timeout: float = 60.0) -> None:
    try:
        await stub.wait_for_ready(timeout=timeout)
        await bot.wait_for_log("connected as", timeout=timeout)
        await bot.wait_for_log("caught up at start", timeout=timeout)  # the runtime's jobs are scheduled
    except BaseException:
        print(bot.logs[-4000:])
        raise


async def stop_bot(bot: Any) -> int | None:
    """SIGTERM, then SIGKILL if it does not stop within 15 s."""
    try:
        return await bot.stop(timeout=15)
    except TimeoutError:
        await bot.kill()
        return None


# --- delivery rates --------------------------------------------------------------------------------


def delivered_times(stub: Any, channels: set[int] | None = None) -> list[float]:
    """Arrival times (monotonic) of successful bot message posts, optionally only into `channels`."""
    times = [
        r.at
        for r in stub.requests
        if r.route == MESSAGE_ROUTE
        and r.status == 200
        and (channels is None or int(r.params.get("channel_id", 0)) in channels)
    ]
    times.sort()
    return times


def steady_rate(times: Sequence[float], trim: float = 0.1) -> dict[str, float]:
    """Messages per second in the steady state: those delivered between 10% and 90% of the delivery's
    duration, divided by that time span (by time, not by message index, so a bursty pattern does not bias it)."""
    count = len(times)
    if count < 10:
        return {"messages": count, "steady_messages": 0, "steady_s": math.nan, "per_s": math.nan}
    overall = times[-1] - times[0]
    start, end = times[0] + overall * trim, times[-1] - overall * trim
    inside = sum(1 for t in times if start <= t < end)
    return {
        "messages": count,
        "steady_from_s": start - times[0],
        "steady_to_s": end - times[0],
        "steady_messages": inside,
        "steady_s": end - start,
        "per_s": inside / (end - start) if end > start else math.inf,
        "overall_s": overall,
        "overall_per_s": (count - 1) / overall if overall > 0 else math.inf,
    }


def bot_request_rate(stub: Any, start: float, end: float) -> float:
    """Bot-token REST requests per second the stub served in [start, end] (what the global cap counts: a request
    answered with a 429 is not counted)."""
    hits = sum(1 for r in stub.requests if r.auth == "ok" and r.status != 429 and start <= r.at <= end)
    return hits / (end - start) if end > start else math.nan


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most events in any sliding window of `window` seconds (what a per-second cap counts)."""
    best = start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def limited_requests(stub: Any, origin: float) -> list[dict[str, Any]]:
    """The 429s the stub answered, seconds after `origin`, with their route and why."""
    return [
        {"at_s": round(r.at - origin, 3), "route": r.route, "note": r.note} for r in stub.requests if r.status == 429
    ]


def routes_between(stub: Any, start: float, end: float) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in stub.requests:
        if r.auth == "ok" and start <= r.at <= end:
            counts[r.route or "?"] = counts.get(r.route or "?", 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


# --- results -----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def header(bench: str, config: Any, targets: dict[str, float]) -> dict[str, Any]:
    import dataclasses

    return {
        "bench": bench,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": dataclasses.asdict(config),
        "machine": machine(),
        "targets": targets,
    }


def write_results(results: dict[str, Any], name: str, quick: bool, out: Path | None) -> Path:
    results["mode"] = "quick" if quick else "full"
    path = out or RESULTS / (f"{name}-quick.json" if quick else f"{name}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def render_table(title: str, rows: Sequence[tuple[str, str, str]], notes: Sequence[str] = ()) -> str:
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [title]
    lines += [f"{name:<{width}}  {value:>{value_width}}  {note}".rstrip() for name, value, note in rows]
    lines += list(notes)
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def simple_main(
    argv: list[str] | None, name: str, description: str, config_type: Any, run: Any, format_table: Any
) -> int:
    """The command line of a benchmark run in one process: `--quick`, `--out`; prints its table, writes its JSON."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=description.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--out", type=Path, help=f"JSON results file (default: bench/results/{name}.json)")
    args = parser.parse_args(argv)
    results = run(config_type.quick() if args.quick else config_type())
    out = write_results(results, name, args.quick, args.out)
    print(format_table(results))
    print(f"results: {out}")
    return 0


def run_with_timeout(coro: Any, timeout: float) -> Any:
    """asyncio.run with an overall deadline, so a stuck benchmark stops by itself."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


__all__ = [
    "MESSAGE_ROUTE",
    "bot_request_rate",
    "delivered_times",
    "header",
    "limited_requests",
    "machine",
    "max_in_window",
    "peak_rss_mib",
    "proc_cpu_seconds",
    "proc_status_mib",
    "render_table",
    "routes_between",
    "run_with_timeout",
    "simple_main",
    "start_bot",
    "steady_rate",
    "stop_bot",
    "verdict",
    "wait_connected",
    "write_results",
]


class PartsBench:
    """A benchmark made of parts, each run in its own subprocess (so its peak RSS is its own) or in-process."""

    def __init__(
        self,
        name: str,
        parts: dict[str, Any],
        config_type: Any,
        targets: dict[str, float],
        format_table: Any,
        description: str,
    ) -> None:
        self.name = name
        self.parts = parts
        self.config_type = config_type
        self.targets = targets
        self.format_table = format_table
        self.description = description

    def run_part(self, part: str, config: Any, workdir: Path | None = None) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix=f"briefbot-bench-{self.name}-{part}-", dir=workdir) as folder:
            result = run_with_timeout(self.parts[part](config, Path(folder)), config.timeout_s)
        result["peak_rss_mib"] = peak_rss_mib()
        return result

    def run_part_subprocess(self, part: str, config: Any, workdir: Path | None) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="briefbot-bench-out-") as folder:
            out = Path(folder) / f"{part}.json"
            command = [sys.executable, "-m", f"bench.{self.name}", "--part", part, "--json-out", str(out)]
            command += ["--config", json.dumps(dataclasses.asdict(config))]
            if workdir is not None:
                command += ["--workdir", str(workdir)]
            subprocess.run(command, cwd=ROOT, check=True, timeout=config.timeout_s + 60)
            return json.loads(out.read_text(encoding="utf-8"))

    def run(
        self,
        config: Any,
        *,
        parts: tuple[str, ...] | None = None,
        in_process: bool = False,
        workdir: Path | None = None,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        results = header(self.name, config, self.targets)
        for part in parts or tuple(self.parts):
            runner = self.run_part if in_process else self.run_part_subprocess
            results[part] = runner(part, config, workdir)
        results["total_s"] = time.perf_counter() - started
        return results

    def main(self, argv: list[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=f"python -m bench.{self.name}", description=self.description)
        parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
        parser.add_argument("--in-process", action="store_true", help="run the parts in this process")
        parser.add_argument("--only", choices=sorted(self.parts), action="append", help="run only this part")
        parser.add_argument("--workdir", type=Path, help="where temporary databases go (default: system temp)")
        parser.add_argument("--out", type=Path, help=f"JSON results file (default: bench/results/{self.name}.json)")
        parser.add_argument("--config", help=f"JSON overrides of {self.config_type.__name__} fields")
        parser.add_argument("--part", choices=sorted(self.parts), help=argparse.SUPPRESS)
        parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
        args = parser.parse_args(argv)

        config = self.config_type.quick() if args.quick else self.config_type()
        if args.config:
            config = dataclasses.replace(config, **json.loads(args.config))
        if args.part:  # a child started by run_part_subprocess
            result = self.run_part(args.part, config, args.workdir)
            args.json_out.write_text(json.dumps(result, default=str), encoding="utf-8")
            return 0
        results = self.run(
            config, parts=tuple(args.only) if args.only else None, in_process=args.in_process, workdir=args.workdir
        )
        out = write_results(results, self.name, args.quick, args.out)
        print(self.format_table(results))
        print(f"results: {out}")
        return 0
