"""bot.slack.poster against the loopback Slack: exactly once without a nonce, paced per channel, never a ping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.cards import Card, Reply
from bot.delivery import PermanentFailure, TemporaryFailure
from bot.errors import UserError
from bot.slack.channels import ensure_can_post
from bot.slack.failures import MessageGone
from bot.slack.poster import OUTBOX_EVENT, POST_SPACING_SECONDS, ChannelPacer, SlackPoster, web_client
from bot.slack.render import render_reply
from tests.slackstub.server import BOT_USER_ID, SlackStub

NEWS = "C0NEWS0001"
SPORT = "C0SPORT001"
READER = "U0READER01"


class FakeTime:
    """A clock that moves only when the pacer sleeps, so pacing is measured without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.advance = True

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.advance:
            self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        stub.add_user(READER)
        stub.add_channel(NEWS, "news", bot_member=True)
        stub.add_channel(SPORT, "sport", bot_member=True)
        yield stub
        assert stub.unknown_methods == []


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def poster(slack: SlackStub, fake_time: FakeTime) -> SlackPoster:
    client = web_client(slack.bot_token, slack.api_base, timeout=2)
    return SlackPoster(client, pacer=ChannelPacer(clock=fake_time.clock, sleep=fake_time.sleep))


def blocks(text: str) -> list[dict[str, object]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


async def post(poster: SlackPoster, text: str, outbox_id: int, channel: str = NEWS, **kwargs: object) -> str:
    return await poster.post(channel, text, blocks(text), outbox_id=outbox_id, **kwargs)  # type: ignore[arg-type]


async def test_a_post_carries_its_outbox_id_and_no_ping_options(slack: SlackStub, poster: SlackPoster) -> None:
    ts = await post(poster, "Morning digest", 41)
    [message] = slack.posted_in(NEWS)
    assert message.ts == ts
    assert message.metadata == {"event_type": OUTBOX_EVENT, "event_payload": {"outbox_id": 41}}
    [call] = slack.calls_to("chat.postMessage")
    assert "parse" not in call.args and "link_names" not in call.args
    assert slack.calls_to("conversations.history") == []  # no lookup when nothing was in doubt


async def test_stored_then_500_is_not_doubled(slack: SlackStub, poster: SlackPoster) -> None:
    slack.fail_next("chat.postMessage", "stored_then_500")
    ts = await post(poster, "Morning digest", 7)
    [message] = slack.posted_in(NEWS)
    assert ts == message.ts
    assert len(slack.calls_to("chat.postMessage")) == 1
    [lookup] = slack.calls_to("conversations.history")
    assert lookup.args["channel"] == NEWS and lookup.args["include_all_metadata"] in (True, "true", "1")


async def test_thread_reply_stored_then_500_is_not_doubled(slack: SlackStub, poster: SlackPoster) -> None:
    card = await post(poster, "Story card", 1)
    slack.fail_next("chat.postMessage", "stored_then_500")
    reply = await post(poster, "Alert: the ferry runs again", 2, thread_ts=card)
    replies = [m for m in slack.posted_in(NEWS) if m.thread_ts == card]
    assert [m.ts for m in replies] == [reply]
    assert len(slack.calls_to("conversations.replies")) == 1
    assert slack.calls_to("conversations.history") == []


async def test_a_500_that_stored_nothing_is_posted_on_the_next_try(slack: SlackStub, poster: SlackPoster) -> None:
    slack.fail_next("chat.postMessage", "500")
    with pytest.raises(TemporaryFailure):
        await post(poster, "Morning digest", 8)
    assert slack.posted_in(NEWS) == []
    ts = await post(poster, "Morning digest", 8)
    assert [m.ts for m in slack.posted_in(NEWS)] == [ts]
    methods = [c.method for c in slack.calls if c.method != "conversations.info"]
    # the second try looked first, then posted
    assert methods == ["chat.postMessage", "conversations.history", "conversations.history", "chat.postMessage"]


async def test_a_timeout_is_ambiguous(slack: SlackStub) -> None:
    poster = SlackPoster(web_client(slack.bot_token, slack.api_base, timeout=0.3))
    slack.fail_next("chat.postMessage", "hang")
    with pytest.raises(TemporaryFailure, match="did not confirm"):
        await post(poster, "Morning digest", 9)
    assert len(slack.calls_to("conversations.history")) == 1
    await post(poster, "Morning digest", 9)
    assert len(slack.posted_in(NEWS)) == 1


async def test_a_retried_row_found_in_history_is_not_posted_again(slack: SlackStub, poster: SlackPoster,
                                                                   fake_time: FakeTime) -> None:
    """A restart: the earlier process posted (its answer lost); a new poster is told the row was tried."""
    ts = await post(poster, "Morning digest", 10)
    fresh = SlackPoster(web_client(slack.bot_token, slack.api_base), pacer=ChannelPacer(clock=fake_time.clock,
                                                                                        sleep=fake_time.sleep))
    assert await post(fresh, "Morning digest", 10, retried=True) == ts
    assert len(slack.posted_in(NEWS)) == 1


async def test_a_429_retry_after_is_honoured(slack: SlackStub, poster: SlackPoster, fake_time: FakeTime) -> None:
    slack.fail_next("chat.postMessage", "429", retry_after=3)
    with pytest.raises(TemporaryFailure) as limited:
        await post(poster, "Morning digest", 11)
    assert limited.value.retry_after == 3
    assert slack.calls_to("conversations.history") == []  # a 429 stored nothing: no lookup
    await post(poster, "Sport digest", 12, channel=SPORT)  # another channel does not wait
    assert fake_time.slept == []
    await post(poster, "Morning digest", 11)
    assert fake_time.slept == [pytest.approx(3.0)]
    assert len(slack.posted_in(NEWS)) == 1


async def test_posts_to_one_channel_are_a_second_apart(slack: SlackStub, poster: SlackPoster,
                                                       fake_time: FakeTime) -> None:
    started: list[tuple[str, float]] = []

    async def turn() -> None:  # the worker's global limiter; here it records when each request really starts
        started.append(("request", fake_time.now))

    assert poster.pace_with(turn)
    for outbox_id in (1, 2, 3):
        await post(poster, f"part {outbox_id}", outbox_id)
    times = [at for _, at in started]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == pytest.approx([POST_SPACING_SECONDS, POST_SPACING_SECONDS])
    assert len(slack.posted_in(NEWS)) == 3


async def test_concurrent_posts_to_one_channel_queue_and_other_channels_do_not_wait(
    slack: SlackStub, poster: SlackPoster, fake_time: FakeTime
) -> None:
    fake_time.advance = False  # all four start at once: each waits for the slot it reserved
    await asyncio.gather(*(post(poster, f"news {i}", i) for i in range(3)), post(poster, "sport", 9, channel=SPORT))
    # the 2nd and 3rd news posts waited; sport did not
    assert sorted(fake_time.slept) == pytest.approx([POST_SPACING_SECONDS, 2 * POST_SPACING_SECONDS])
    assert len(slack.posted_in(NEWS)) == 3 and len(slack.posted_in(SPORT)) == 1
    assert len(slack.posted_in(NEWS)) == 3 and len(slack.posted_in(SPORT)) == 1


@pytest.mark.parametrize(
    ("setup", "channel", "reason", "flags"),
    [
        (lambda s: s.add_channel("C0QUIET001", "quiet"), "C0QUIET001",
         "@briefbot is not in #quiet: invite @briefbot to #quiet", {"target_gone": True}),
        (lambda s: None, "C0MISSING1", "was not found", {"target_gone": True}),
        (lambda s: s.add_channel("C0OLD00001", "old", bot_member=True, archived=True), "C0OLD00001",
         "#old is archived", {"target_gone": True}),
    ],
)
async def test_permanent_channel_failures(slack: SlackStub, poster: SlackPoster, setup, channel: str,  # noqa: ANN001
                                          reason: str, flags: dict[str, bool]) -> None:
    setup(slack)
    with pytest.raises(PermanentFailure) as failed:
        await post(poster, "Morning digest", 20, channel=channel)
    assert reason in failed.value.reason
    assert failed.value.target_gone == flags.get("target_gone", False)
    assert not failed.value.dms_closed


async def test_closed_dms_are_permanent(slack: SlackStub, poster: SlackPoster) -> None:
    im = await poster.open_dm(READER)  # remembered by the transport, in the store (tests/slack_wire)
    assert im.startswith("D")
    slack.block_dms(READER)
    with pytest.raises(PermanentFailure) as blocked:
        await post(poster, "Your digest", 30, channel=im)
    assert blocked.value.dms_closed and "DMs are closed" in blocked.value.reason
    with pytest.raises(PermanentFailure) as unknown:
        await poster.open_dm("U0NOBODY01")
    assert unknown.value.dms_closed
    slack.add_user("U0OTHER001")
    slack.fail_next("conversations.open", "error", error="cannot_dm_bot")
    with pytest.raises(PermanentFailure) as bot_user:
        await poster.open_dm("U0OTHER001")
    assert bot_user.value.dms_closed


async def test_a_refused_message_is_permanent(slack: SlackStub, poster: SlackPoster) -> None:
    slack.fail_next("chat.postMessage", "error", error="invalid_blocks")
    with pytest.raises(PermanentFailure, match="invalid_blocks"):
        await post(poster, "Morning digest", 31)
    assert slack.calls_to("conversations.history") == []


async def test_update_edits_the_card_and_a_deleted_card_is_gone(slack: SlackStub, poster: SlackPoster) -> None:
    ts = await post(poster, "Story card v1", 40)
    await poster.update(NEWS, ts, "Story card v2", blocks("Story card v2"))
    [card] = slack.posted_in(NEWS)
    assert card.text == "Story card v2" and len(card.edits) == 1
    with pytest.raises(MessageGone):
        await poster.update(NEWS, "1700000000.000001", "gone", blocks("gone"))
    with pytest.raises(MessageGone):
        await post(poster, "reply", 41, thread_ts="1700000000.000001")


async def test_nothing_posted_ever_pings(slack: SlackStub, poster: SlackPoster) -> None:
    hostile = "<!channel> <!here|here> <!everyone> <@U0READER01> <!subteam^S0TEAM|@editors> @here"
    card = Card(title=f"Ferry {hostile}", description=f"Riders {hostile}")
    for number, message in enumerate(render_reply(Reply(text=hostile, cards=(card,)))):
        await poster.post(NEWS, message["text"], message["blocks"], outbox_id=50 + number)
    await poster.post(NEWS, hostile, blocks(hostile), outbox_id=60)  # raw text that skipped the renderer
    card_ts = slack.posted_in(NEWS)[0].ts
    await poster.update(NEWS, card_ts, hostile, blocks(hostile))
    posted = slack.posted_in(NEWS)
    assert len(posted) >= 2
    assert [m.pings for m in posted] == [[] for _ in posted]
    assert "channel" in posted[-1].all_text  # the words are still there, only inert


async def test_can_post_joins_a_public_channel_and_refuses_private_and_archived_ones(
    slack: SlackStub, poster: SlackPoster
) -> None:
    slack.add_channel("C0PUBLIC01", "general")
    await ensure_can_post(poster.client, "C0PUBLIC01", "general")
    assert BOT_USER_ID in slack.world.channels["C0PUBLIC01"].members
    slack.add_channel("G0SECRET01", "secret", private=True)
    with pytest.raises(UserError, match="Invite @briefbot to #secret first"):
        await ensure_can_post(poster.client, "G0SECRET01", "secret")
    slack.add_channel("G0INVITED1", "invited", private=True, bot_member=True)
    await ensure_can_post(poster.client, "G0INVITED1")  # already invited: nothing to do
    assert [c.args["channel"] for c in slack.calls_to("conversations.join")] == ["C0PUBLIC01"]
    slack.add_channel("C0ARCHIVE1", "archive", archived=True)
    with pytest.raises(UserError, match="#archive is archived"):
        await ensure_can_post(poster.client, "C0ARCHIVE1", "archive")


def test_the_client_never_retries_by_itself(slack: SlackStub) -> None:
    """slack_sdk's default handler re-sends after a dropped connection: for a post, that could be a double."""
    assert web_client(slack.bot_token, slack.api_base).retry_handlers == []
