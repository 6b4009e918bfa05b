"""Benchmark of Slack delivery (issue 11): 100 channels at Slack's one message per second per channel.

    python -m bench.slack_delivery            # full run
    python -m bench.slack_delivery --quick    # smoke run with small sizes

The real OutboxWorker and SlackTransport, built as `briefbot run` builds them (bot.slack.client: the same
per-channel spacing, worker rate and concurrency), deliver `rounds` messages to each of `channels` channels
from a real SQLite outbox to the loopback Slack (tests/slackstub), which answers 429 to a channel's second
post within one second (`channel_rate=1`), as Slack does. Measured:

* the steady delivery rate: each channel's own rate from its first post to its last, summed over the channels,
  as a fraction of the cap of `channels` messages/s (target: at least 0.9); the overall rate (all messages
  over the whole run, from the worker's start) is reported beside it, and the gaps between a channel's posts;
* the 429s the bot provoked (target: 0).

Results are printed as a table and written as JSON to bench/results/slack_delivery.json (-quick.json).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.botrun import header, render_table, run_with_timeout, simple_main, verdict
from bot import payloads
from bot.cards import Card
from bot.ids import qualify
from bot.limits import MessagePart
from bot.runtime import Runtime, Wakeups, build_services
from bot.settings import Settings
from bot.slack.client import add_transport
from bot.slack.poster import POST_SPACING_SECONDS, web_client, web_session
from storage.database import Database
from storage.outbox import OutboxRepository, OutboxStatus, OutgoingMessage, TargetKind
from tests.slackstub.server import SlackStub

TARGET_FRACTION = 0.9
TARGET_429S = 0


@dataclass(frozen=True)
class SlackDeliveryConfig:
    channels: int = 100
    rounds: int = 20  # messages per channel
    timeout_s: float = 600.0

    @classmethod
    def quick(cls) -> SlackDeliveryConfig:
        return cls(channels=20, rounds=6)


def _messages(config: SlackDeliveryConfig) -> list[OutgoingMessage]:
    """Round after round, so the outbox's order is the order a busy hour would write them in."""
    messages = []
    for round_ in range(config.rounds):
        for index in range(config.channels):
            card = Card(title=f"Story {round_}", description="A development, told in a few words.")
            part = MessagePart(f"Update {round_} for channel {index}", (card,))
            messages.append(
                OutgoingMessage(
                    f"bench:{round_}:{index}", "alert", TargetKind.CHANNEL,
                    qualify("slack", _channel(index)), payloads.dump(part),  # type: ignore[arg-type]
                )
            )
    return messages


class StubThread:
    """The loopback Slack on its own event loop in its own thread: when a post arrives there does not wait for the
    bot's event loop to come round, as it would not at Slack."""

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self.stub: SlackStub | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="slack-stub", daemon=True)

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with SlackStub() as stub:
            for index in range(self.channels):
                stub.add_channel(_channel(index), f"news-{index}", bot_member=True)
            stub.channel_rate = 1
            self.stub = stub
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> SlackStub:
        self._thread.start()
        self._ready.wait()
        assert self.stub is not None
        return self.stub

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()


async def _until(done: Callable[[], bool], timeout: float) -> None:
    """Polls `done` (it reads the stub's thread): a benchmark's wait, not a test's."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not delivered within {timeout} s")
        await asyncio.sleep(0.05)


def steady_rate(by_channel: dict[str, list[float]]) -> float:
    """Messages per second summed over the channels, each channel's own rate from its first post to its last
    ((posts - 1) / time): the start, where the worker's limiter staggers the channels' first posts, does not count."""
    return sum((len(t) - 1) / (t[-1] - t[0]) for t in by_channel.values() if len(t) > 1 and t[-1] > t[0])


def _channel(index: int) -> str:
    return f"C{index:09d}"


async def _run(config: SlackDeliveryConfig, folder: Path) -> dict[str, Any]:
    with StubThread(config.channels) as slack:
        return await _deliver(config, folder, slack)


async def _deliver(config: SlackDeliveryConfig, folder: Path, slack: SlackStub) -> dict[str, Any]:
    async with Database.open(folder / "bench.db") as db, web_session() as session:
        outbox = OutboxRepository(db)
        await outbox.enqueue(_messages(config))
        wakeups = Wakeups()
        runtime = Runtime(build_services(db, Settings(database_path=folder / "bench.db"), wakeups), wakeups)
        # The transport and its worker as `briefbot run` adds them; the runtime's scheduler is not started.
        worker = add_transport(runtime, web_client(slack.bot_token, slack.api_base, session=session))
        total = config.channels * config.rounds
        started = time.monotonic()
        worker.start()
        await _until(lambda: len(slack.messages) >= total, config.timeout_s)
        elapsed = time.monotonic() - started
        await worker.stop()
        counts = await outbox.counts()
    ok = [call for call in slack.calls_to("chat.postMessage") if call.status == 200]
    by_channel: dict[str, list[float]] = {}
    for call in ok:
        by_channel.setdefault(str(call.args.get("channel")), []).append(call.at)
    gaps = sorted(b - a for times in by_channel.values() for a, b in zip(times, times[1:], strict=False))
    steady = steady_rate(by_channel)
    cap = float(config.channels)  # one message per second per channel
    return {
        "messages": total,
        "sent": counts.get(OutboxStatus.SENT, 0),
        "elapsed_s": elapsed,
        "steady_rate_per_s": steady,
        "cap_per_s": cap,
        "fraction_of_cap": steady / cap,
        "overall_rate_per_s": total / elapsed,
        "provoked_429s": slack.provoked_429s,
        "requests": len(slack.calls),
        "channel_spacing_s": POST_SPACING_SECONDS,
        "channel_gap_s": {"min": gaps[0], "median": gaps[len(gaps) // 2], "max": gaps[-1]} if gaps else None,
    }


def run(config: SlackDeliveryConfig, workdir: Path | None = None) -> dict[str, Any]:
    results = header("slack_delivery", config, {"fraction_of_cap": TARGET_FRACTION, "provoked_429s": TARGET_429S})
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-slack-", dir=workdir) as folder:
        results["delivery"] = run_with_timeout(_run(config, Path(folder)), config.timeout_s)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


def format_table(results: dict[str, Any]) -> str:
    figures = results["delivery"]
    fraction, limited = figures["fraction_of_cap"], figures["provoked_429s"]
    rows = [
        (
            f"delivery to {figures['cap_per_s']:.0f} Slack channels at 1 message/s each",
            f"{figures['steady_rate_per_s']:.1f} messages/s = {fraction:.3f} of the cap",
            f"target >= {TARGET_FRACTION} {verdict(fraction >= TARGET_FRACTION)}",
        ),
        ("429s provoked", f"{limited}", f"target {TARGET_429S} {verdict(limited == TARGET_429S)}"),
        (
            "messages sent",
            f"{figures['sent']} / {figures['messages']}",
            f"in {figures['elapsed_s']:.1f} s ({figures['overall_rate_per_s']:.1f}/s overall), "
            f"{figures['requests']} requests to Slack",
        ),
    ]
    if gap := figures["channel_gap_s"]:
        rows.append(("gap between two posts to a channel", f"median {gap['median']:.3f} s",
                     f"min {gap['min']:.3f} s, max {gap['max']:.3f} s (spacing {figures['channel_spacing_s']:.2f} s)"))
    return render_table("briefbot bench: Slack delivery", rows)


def main(argv: list[str] | None = None) -> int:
    return simple_main(argv, "slack_delivery", __doc__ or "", SlackDeliveryConfig, run, format_table)


if __name__ == "__main__":
    raise SystemExit(main())
