"""The real slack-bolt AsyncApp with briefbot's handlers, over Socket Mode, against the loopback Slack; real services
on a SQLite file in tmp_path, with the seed article imported and fetching allowed to the loopback sites only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.fetch import Fetcher, FetchLimits
from bot.ids import qualify
from bot.runtime import Services, Wakeups, build_services
from bot.settings import Settings
from bot.slack.handlers import register
from bot.slack.socket import SlackSocket
from storage.database import Database
from tests.bot.slack.safety import check_messages_are_safe, check_slack_limits
from tests.conftest import SEEDS_DIR
from tests.feedserver import FeedServer
from tests.pages import PageSite
from tests.slackstub.server import TEAM_ID, CommandResult, SlackStub

ADMIN = "U0ADMIN001"
OWNER = "U0OWNER001"
LISTED = "U0LISTED01"  # in SLACK_ADMIN_USERS, an ordinary member in Slack
READER = "U0READER01"
NEWS = "C0NEWS0001"  # public, the bot is in it
GENERAL = "C0GENERAL1"  # public, the bot is not in it
SECRET = "G0SECRET01"  # private, the bot is not in it
SCOPE = qualify("slack", TEAM_ID)
SEED_SLUG_WORD = "zuckerberg"
ACK_LIMIT = 3.0


def check_answers(result: CommandResult) -> CommandResult:
    """Every answer within Slack's limits, pinging nobody, linking only to http(s) (independent checks); the
    candidate buttons within Block Kit's limits for buttons."""
    for message in result.messages:
        actions = [block for block in message.blocks if block["type"] == "actions"]
        shown = {"text": message.text, "blocks": [block for block in message.blocks if block["type"] != "actions"]}
        check_slack_limits([shown])
        check_messages_are_safe([shown])
        for block in actions:
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button" and len(button["action_id"]) <= 255
                assert 0 < len(button["text"]["text"]) <= 75 and 0 < len(button["value"]) <= 2000
        assert message.pings == []
    return result


@dataclass
class Bot:
    """What a test drives: the stub (users, channels, commands) and the services behind the app."""

    slack: SlackStub
    services: Services
    site: PageSite
    feeds: FeedServer

    async def run(
        self, command: str, text: str = "", *, user: str = READER, channel: str = NEWS, replies: int = 1
    ) -> CommandResult:
        """A command as `user` typed it; returns once `replies` messages came back, the ack within 3 s."""
        result = await self.slack.command(command, text, user=user, channel=channel)
        assert result.ack_seconds is not None and result.ack_seconds < ACK_LIMIT
        await result.wait_for_messages(replies)
        return check_answers(result)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        stub.add_user(ADMIN, name="ada", is_admin=True, tz="Europe/Paris")
        stub.add_user(OWNER, name="olga", is_owner=True)
        stub.add_user(LISTED, name="lee")
        stub.add_user(READER, name="rae", tz="Asia/Seoul")
        stub.add_channel(NEWS, "news", bot_member=True, members={ADMIN, READER})
        stub.add_channel(GENERAL, "general", members={ADMIN, READER})
        stub.add_channel(SECRET, "secret", private=True, members={ADMIN})
        yield stub
        assert stub.unknown_methods == []


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def bot(slack: SlackStub, tmp_path: Path, bus_site: PageSite, feed_server: FeedServer) -> AsyncIterator[Bot]:
    settings = Settings(
        database_path=tmp_path / "briefbot.db",
        seeds_dir=SEEDS_DIR,
        slack_bot_token=slack.bot_token,
        slack_app_token=slack.app_token,
        slack_api_base=slack.api_base,
        slack_admin_users=frozenset({LISTED}),
    )
    allowed = {("127.0.0.1", bus_site.port), ("127.0.0.1", feed_server.port)}
    limits = FetchLimits(connect_timeout=2.0, total_timeout=10.0)
    async with Database.open(settings.database_path) as db, Fetcher.open(allowed, limits) as fetcher:
        services = build_services(db, settings, Wakeups(), fetcher)
        await services.seed_watcher.check()
        app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_base))
        register(app, services, settings)
        async with SlackSocket(app, slack.app_token):
            await slack.wait_for_connection()
            yield Bot(slack, services, bus_site, feed_server)
