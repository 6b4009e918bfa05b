"""bot.slack.socket against the loopback Slack: reconnects, the watchdog, and the token check."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserError
from bot.slack.socket import SlackSocket, check_tokens
from tests.slackstub.server import BOT_USER_ID, TEAM_ID, SlackStub

CHANNEL = "C0NEWS0001"
USER = "U0READER01"
# The client's own ping (and aiohttp's heartbeat) every 30 s: within a test only the watchdog can notice silence.
CLIENT_PING = 30.0


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        stub.add_user(USER)
        stub.add_channel(CHANNEL, "news", members={USER})
        yield stub
        assert stub.unknown_methods == []


@pytest.fixture
async def connected(slack: SlackStub) -> AsyncIterator[SlackSocket]:
    app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_base))

    @app.command("/story")
    async def story(ack, command) -> None:  # noqa: ANN001 - bolt injects by name
        await ack(text=f"got {command['text']}")

    async with SlackSocket(app, slack.app_token, ping_interval=CLIENT_PING, watch_every=0.2, stale_after=1.0) as sock:
        await slack.wait_for_connection()
        yield sock


async def answered(slack: SlackStub, text: str) -> str:
    result = await slack.command("/story", text, user=USER, channel=CHANNEL)
    await result.wait_for_messages(1)
    return result.text


async def test_a_command_is_answered(slack: SlackStub, connected: SlackSocket) -> None:
    assert await answered(slack, "list") == "got list"


async def test_reconnects_after_a_disconnect_message(slack: SlackStub, connected: SlackSocket) -> None:
    await slack.send_disconnect()
    await slack.wait_for_connection(count=2)
    assert await answered(slack, "show zuck") == "got show zuck"


async def test_reconnects_after_a_dropped_socket(slack: SlackStub, connected: SlackSocket) -> None:
    await slack.drop_sockets()
    await slack.wait_for_connection(count=2)
    assert await answered(slack, "keypoints zuck") == "got keypoints zuck"


async def test_the_watchdog_reopens_a_silent_connection(
    slack: SlackStub, connected: SlackSocket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.socket")
    slack.go_silent()
    await slack.wait_for_connection(count=2, timeout=10)
    assert connected.watchdog.reconnects == 1
    assert await answered(slack, "timeline zuck") == "got timeline zuck"
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.slack.socket" and r.levelno == logging.INFO]
    assert len(lines) == 1 and "nothing received for" in lines[0] and "opening a new connection" in lines[0]


async def test_the_watchdog_leaves_a_quiet_healthy_connection_alone(slack: SlackStub, connected: SlackSocket) -> None:
    """Idle for several times `stale_after`: its own pings are answered, so it never reconnects."""
    watchdog = connected.watchdog
    await slack.wait_until(lambda: watchdog.checks >= 12, timeout=15, what="12 watchdog checks")  # about 2.4 s
    assert watchdog.reconnects == 0 and slack.connections == 1
    assert watchdog.quiet_for() < 1.0


async def test_an_sdk_reconnect_is_logged_once(
    slack: SlackStub, connected: SlackSocket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.socket")
    await slack.send_disconnect()
    await slack.wait_for_connection(count=2)
    checks = connected.watchdog.checks
    await slack.wait_until(lambda: connected.watchdog.checks >= checks + 3, timeout=5, what="3 more checks")
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.slack.socket"]
    assert lines == ["Slack Socket Mode: connected again (the client reconnected by itself)"]
    assert connected.watchdog.reconnects == 0 and slack.connections == 2


async def test_check_tokens_accepts_good_tokens(slack: SlackStub) -> None:
    identity = await check_tokens(slack.bot_token, slack.app_token, slack.api_base)
    assert (identity.team_id, identity.bot_user_id) == (TEAM_ID, BOT_USER_ID)


@pytest.mark.parametrize(
    ("bot_token", "app_token", "name"),
    [
        ("xoxb-0000-0000-revokedbottoken", None, "SLACK_BOT_TOKEN"),
        (None, "xapp-1-A0-0000-revokedapptoken", "SLACK_APP_TOKEN"),
    ],
)
async def test_check_tokens_names_the_rejected_token(
    slack: SlackStub, bot_token: str | None, app_token: str | None, name: str
) -> None:
    with pytest.raises(UserError) as rejected:
        await check_tokens(bot_token or slack.bot_token, app_token or slack.app_token, slack.api_base)
    message = str(rejected.value)
    assert message.startswith(f"Slack rejected {name} (invalid_auth)")
    assert "revoked" not in message  # the token itself is never shown


async def test_check_tokens_says_when_slack_cannot_be_reached() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UserError, match="Could not reach Slack at .*check SLACK_API_BASE"):
        await check_tokens("xoxb-1-2-x", "xapp-1-2-x", f"http://127.0.0.1:{port}/api/")
