"""Slack in `briefbot run`: which platforms run, and SlackClient.serve on a real runtime against the loopback Slack."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from bot.errors import UserError
from bot.platforms import Platform, configured_clients
from bot.runtime import Runtime, Wakeups, build_services
from bot.settings import Settings
from bot.slack import client_for, handlers
from bot.slack.client import MANIFEST_NOTE, OUTBOX_CONCURRENCY, SlackClient
from storage.database import Database
from tests.slackstub.server import APP_TOKEN, BOT_TOKEN, SlackStub

DISCORD_TOKEN = "x" * 59


def slack_settings(**changes: Any) -> Settings:
    return replace(Settings(), slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN, **changes)


@pytest.mark.parametrize(
    ("discord", "slack", "expected"),
    [
        (False, False, []),
        (True, False, [Platform.DISCORD]),
        (False, True, [Platform.SLACK]),
        (True, True, [Platform.DISCORD, Platform.SLACK]),
    ],
)
def test_each_platform_runs_when_its_settings_are_set(discord: bool, slack: bool, expected: list[Platform]) -> None:
    settings = replace(
        Settings(),
        discord_token=DISCORD_TOKEN if discord else None,
        slack_bot_token=BOT_TOKEN if slack else None,
        slack_app_token=APP_TOKEN if slack else None,
    )
    assert [client.platform for client in configured_clients(settings)] == expected


@pytest.mark.parametrize(("bot", "app", "missing"), [(BOT_TOKEN, None, "SLACK_APP_TOKEN"),
                                                     (None, APP_TOKEN, "SLACK_BOT_TOKEN")])
def test_one_slack_token_alone_is_an_error_naming_the_other(bot: str | None, app: str | None, missing: str) -> None:
    with pytest.raises(UserError) as refused:
        client_for(replace(Settings(), slack_bot_token=bot, slack_app_token=app))
    assert str(refused.value).startswith(f"{missing} is not set")
    assert BOT_TOKEN not in str(refused.value) and APP_TOKEN not in str(refused.value)


@pytest.fixture
def fake_handlers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Records how the client calls `bot.slack.handlers.register` (the handlers have tests of their own)."""
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(handlers, "register", lambda app, services, settings: calls.append((app, services, settings)))
    return calls


async def test_serve_registers_the_handlers_and_the_transport_and_removes_it_when_cancelled(
    db: Database, tmp_path: Path, fake_handlers: list[tuple[object, ...]]
) -> None:
    async with SlackStub() as slack:
        settings = slack_settings(slack_api_base=slack.api_base, database_path=tmp_path / "b.db",
                                  seeds_dir=tmp_path / "seeds")
        wakeups = Wakeups()
        services = build_services(db, settings, wakeups)
        async with Runtime(services, wakeups) as runtime:
            client = SlackClient(settings)
            assert not client.connected
            serving = asyncio.create_task(client.serve(runtime))
            await slack.wait_for_connection()
            assert client.connected
            [(app, given_services, given_settings)] = fake_handlers
            assert isinstance(app, AsyncApp) and given_services is services and given_settings is settings
            assert runtime.workers[Platform.SLACK].concurrency == OUTBOX_CONCURRENCY
            assert runtime.workers[Platform.SLACK].running
            assert await client.sync_commands(runtime) == MANIFEST_NOTE
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
            assert Platform.SLACK not in runtime.workers
            await slack.wait_until(lambda: not slack.sockets, timeout=5, what="the socket closed")
        assert [call.method for call in slack.calls[:2]] == ["auth.test", "apps.connections.open"]


async def test_an_unreachable_slack_is_a_user_error(db: Database, tmp_path: Path) -> None:
    settings = slack_settings(slack_api_base="http://127.0.0.1:9/api/", seeds_dir=tmp_path / "seeds")
    wakeups = Wakeups()
    async with Runtime(build_services(db, settings, wakeups), wakeups) as runtime:
        with pytest.raises(UserError, match="Could not reach Slack"):
            await SlackClient(settings).serve(runtime)
        assert runtime.workers == {}


def test_without_the_slack_tokens_slack_libraries_are_never_imported() -> None:
    script = (
        "import sys; from bot.platforms import configured_clients; from bot.settings import Settings; "
        "assert configured_clients(Settings()) == []; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('slack_bolt', 'slack_sdk')))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
        timeout=60, check=True,
    )
    assert done.stdout.strip() == "[]", done.stderr
