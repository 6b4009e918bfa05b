"""The loopback Slack against the real slack-bolt AsyncApp and AsyncSocketModeHandler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.slackstub.server import BOT_USER_ID, SlackStub

CHANNEL = "C0NEWS0001"
USER = "U0READER01"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        stub.add_user(USER, tz="Asia/Seoul")
        stub.add_channel(CHANNEL, "news", members={USER})
        yield stub
        assert stub.unknown_methods == []


@pytest.fixture
async def bolt(slack: SlackStub) -> AsyncIterator[AsyncApp]:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_base)
    app = AsyncApp(client=client)

    @app.command("/echo")
    async def echo(ack, command, respond) -> None:  # noqa: ANN001 - bolt injects by name
        await ack(text=f"ack {command['text']}")
        await respond(text=f"later {command['text']}")

    handler = AsyncSocketModeHandler(app, slack.app_token, web_client=client, ping_interval=0.2)
    await handler.connect_async()
    await slack.wait_for_connection()
    yield app
    await handler.close_async()


async def test_command_ack_and_response_url(slack: SlackStub, bolt: AsyncApp) -> None:
    result = await slack.command("/echo", "hi there", user=USER, channel=CHANNEL)
    messages = await result.wait_for_messages(2)
    # bolt acks as soon as ack() is called and runs the rest in a task, so the two may arrive in either order
    assert sorted(m.text for m in messages) == ["ack hi there", "later hi there"]
    assert result.ack_seconds is not None and result.ack_seconds < 3
    assert all(m.ephemeral for m in messages)


async def test_post_needs_membership_then_join(slack: SlackStub) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_base)
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=CHANNEL, text="hello")
    assert refused.value.response["error"] == "not_in_channel"
    await client.conversations_join(channel=CHANNEL)
    posted = await client.chat_postMessage(
        channel=CHANNEL, text="hello <!channel>", metadata={"event_type": "briefbot_outbox", "event_payload": {"id": 7}}
    )
    history = await client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert history["messages"][0]["ts"] == posted["ts"]
    assert history["messages"][0]["metadata"]["event_payload"] == {"id": 7}
    assert slack.posted_in(CHANNEL)[0].pings == ["<!channel>"]


async def test_faults_and_bad_token(slack: SlackStub) -> None:
    slack.add_channel("C0OTHER001", "other", bot_member=True)
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_base)
    slack.fail_next("chat.postMessage", "stored_then_500")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C0OTHER001", text="once")
    assert [m.text for m in slack.posted_in("C0OTHER001")] == ["once"]
    slack.fail_next("chat.postMessage", "429", retry_after=3)
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C0OTHER001", text="twice")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    bad = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_base)
    with pytest.raises(SlackApiError) as rejected:
        await bad.auth_test()
    assert rejected.value.response["error"] == "invalid_auth"


async def test_dm_thread_and_update(slack: SlackStub) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_base)
    im = (await client.conversations_open(users=USER))["channel"]["id"]
    card = await client.chat_postMessage(channel=im, text="card")
    await client.chat_postMessage(channel=im, text="reply", thread_ts=card["ts"])
    await client.chat_update(channel=im, ts=card["ts"], text="card v2")
    replies = await client.conversations_replies(channel=im, ts=card["ts"])
    assert [m["text"] for m in replies["messages"]] == ["card v2", "reply"]
    assert [m.text for m in slack.dms_to(USER)] == ["card v2", "reply"]
    slack.block_dms(USER)
    with pytest.raises(SlackApiError) as blocked:
        await client.chat_postMessage(channel=im, text="nope")
    assert blocked.value.response["error"] == "messages_tab_disabled"
    assert BOT_USER_ID in slack.world.channels[im].members


async def test_disconnect_makes_the_client_reconnect(slack: SlackStub, bolt: AsyncApp) -> None:
    await slack.send_disconnect()
    await slack.wait_for_connection(count=2)
    result = await slack.command("/echo", "again", user=USER, channel=CHANNEL)
    await result.wait_for_messages(2)
    assert sorted(m.text for m in result.messages) == ["ack again", "later again"]


async def test_button_click_is_delivered(slack: SlackStub) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_base)
    app = AsyncApp(client=client)
    clicked: asyncio.Queue[str] = asyncio.Queue()

    @app.action("pick")
    async def pick(ack, body) -> None:  # noqa: ANN001
        await ack()
        await clicked.put(body["actions"][0]["value"])

    handler = AsyncSocketModeHandler(app, slack.app_token, web_client=client)
    await handler.connect_async()
    await slack.wait_for_connection()
    await slack.click(user=USER, channel=CHANNEL, action_id="pick", value="zuck")
    assert await asyncio.wait_for(clicked.get(), 5) == "zuck"
    await handler.close_async()
