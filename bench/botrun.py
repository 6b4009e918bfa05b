"""Shared by the benchmarks that drive the real `briefbot run` process against the loopback Discord stub.

The bot is started exactly as the end-to-end tests start it (tests/e2e/harness.py: the venv's `briefbot`
console script, the stub's DISCORD_* variables, a workspace with its own seeds/ and database). Only
127.0.0.1 is contacted. Also: CPU time and peak RSS of a process from /proc, and delivery-rate maths.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.store import RESULTS, peak_rss_mib

MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- /proc ---------------------------------------------------------------------------------------


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
        await bot.wait_for_log("scheduler started", timeout=timeout)
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
        {"at_s": round(r.at - origin, 3), "route": r.route, "note": r.note}
        for r in stub.requests
        if r.status == 429
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
    "start_bot",
    "steady_rate",
    "stop_bot",
    "verdict",
    "wait_connected",
    "write_results",
]
