"""The channel pacer counts from when a post really leaves, not from the slot it was given (issue 11)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.slack.poster import ChannelPacer, SlackPoster, web_client
from tests.slackstub.server import SlackStub

NEWS = "C0NEWS0001"


class FakeTime:
    """A clock that moves only when someone sleeps, or when the worker's turn is slow to come."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        stub.add_channel(NEWS, "news", bot_member=True)
        yield stub


async def test_a_post_that_waited_for_its_turn_pushes_the_next_one_a_full_spacing_later(slack: SlackStub) -> None:
    time = FakeTime()
    poster = SlackPoster(web_client(slack.bot_token, slack.api_base, timeout=5),
                         pacer=ChannelPacer(1.0, clock=time.clock, sleep=time.sleep))
    left: list[float] = []
    delays = iter([0.0, 0.4, 0.0])  # the second post's turn comes 0.4 s after its slot (the worker was busy)

    async def turn() -> None:
        time.now += next(delays)
        left.append(time.now)

    poster.pace_with(turn)
    for outbox_id in (1, 2, 3):
        await poster.post(NEWS, f"post {outbox_id}", [], outbox_id=outbox_id)
    assert [round(b - a, 3) for a, b in zip(left, left[1:], strict=False)] == [1.4, 1.0]  # never less than 1 s
    assert len(slack.posted_in(NEWS)) == 3
