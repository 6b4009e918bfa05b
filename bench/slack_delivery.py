"""Benchmark of Slack delivery (issue 11): 100 channels at Slack's one message per second per channel.

    python -m bench.slack_delivery            # full run
    python -m bench.slack_delivery --quick    # smoke run with small sizes

The real OutboxWorker and SlackTransport, built as `briefbot run` builds them (bot.slack.client: the same
per-channel spacing, worker rate and concurrency), deliver `rounds` messages to each of `channels` channels
from a real SQLite outbox to the loopback Slack (tests/slackstub), which answers 429 to a channel's second
post within one second (`channel_rate=1`), as Slack does. Measured:

* the steady delivery rate, messages/s over the run less its first and last `edge_s` seconds (the start,
  staggered by the worker's limiter, and the tail), as a fraction of the cap of `channels` messages/s (target:
  at least 0.9); the overall rate (all messages over the whole run) is reported beside it;
* the 429s the bot provoked (target: 0).

Results are printed as a table and written as JSON to bench/results/slack_delivery.json (-quick.json).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.botrun import header, render_table, run_with_timeout, simple_main, verdict
from bot import payloads
from bot.cards import Card
from bot.delivery import OutboxWorker
from bot.ids import qualify
from bot.limits import MessagePart
from bot.platforms import Platform
from bot.slack.client import OUTBOX_CONCURRENCY, OUTBOX_RATE
from bot.slack.poster import ChannelPacer, SlackPoster, web_client, web_session
from bot.slack.transport import CHANNEL_SPACING_SECONDS, SlackTransport
from storage.database import Database
from storage.direct_messages import DirectMessageRepository
from storage.follows import FollowRepository
from storage.outbox import OutboxRepository, OutboxStatus, OutgoingMessage, TargetKind
from tests.slackstub.server import SlackStub

TARGET_FRACTION = 0.9
TARGET_429S = 0


@dataclass(frozen=True)
class SlackDeliveryConfig:
    channels: int = 100
    rounds: int = 20  # messages per channel
    edge_s: float = 2.0  # left out of the steady rate at each end
    timeout_s: float = 600.0

    @classmethod
    def quick(cls) -> SlackDeliveryConfig:
        return cls(channels=20, rounds=6, edge_s=1.0)


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


def steady_rate(times: list[float], edge: float) -> float:
    """Posts per second between `edge` seconds after the first post and `edge` before the last: the start (every
    channel's first post, staggered by the worker's limiter) and the tail (channels finishing) left out."""
    start, end = times[0] + edge, times[-1] - edge
    if end <= start:
        return len(times) / (times[-1] - times[0]) if times[-1] > times[0] else 0.0
    return sum(1 for at in times if start <= at < end) / (end - start)


def _channel(index: int) -> str:
    return f"C{index:09d}"


async def _run(config: SlackDeliveryConfig, folder: Path) -> dict[str, Any]:
    async with SlackStub() as slack, Database.open(folder / "bench.db") as db, web_session() as session:
        for index in range(config.channels):
            slack.add_channel(_channel(index), f"news-{index}", bot_member=True)
        slack.channel_rate = 1
        outbox = OutboxRepository(db)
        await outbox.enqueue(_messages(config))
        client = web_client(slack.bot_token, slack.api_base, session=session)
        poster = SlackPoster(client, pacer=ChannelPacer(CHANNEL_SPACING_SECONDS))
        transport = SlackTransport(poster, DirectMessageRepository(db), FollowRepository(db))
        worker = OutboxWorker(outbox, DirectMessageRepository(db), transport, platform=Platform.SLACK,
                              rate_per_second=OUTBOX_RATE, concurrency=OUTBOX_CONCURRENCY)
        total = config.channels * config.rounds
        started = time.monotonic()
        worker.start()
        await slack.wait_until(lambda: len(slack.messages) >= total, timeout=config.timeout_s, what="every post")
        elapsed = time.monotonic() - started
        await worker.stop()
        counts = await outbox.counts()
    posts = sorted(call.at for call in slack.calls_to("chat.postMessage") if call.status == 200)
    steady = steady_rate(posts, config.edge_s)
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
        "channel_spacing_s": CHANNEL_SPACING_SECONDS,
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
    return render_table("briefbot bench: Slack delivery", rows)


def main(argv: list[str] | None = None) -> int:
    return simple_main(argv, "slack_delivery", __doc__ or "", SlackDeliveryConfig, run, format_table)


if __name__ == "__main__":
    raise SystemExit(main())
