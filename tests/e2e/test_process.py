"""The `briefbot run` process itself: a Discord that fails or hangs at login, signals, and a readable log (issue 8)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StartBot
from tests.e2e.harness import BotProcess, BotWorkspace, run_briefbot
from tests.stub.discord_stub import DiscordStub

ARTICLE = """Harbour Bridge Reopens
1 min read
The bridge reopened after a month of repairs.
March 1, 2024 09:00
Traffic is back to normal.
"""


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (503, "Discord answered 503 Service Unavailable at login; try again later."),
        (404, "Discord answered 404 Not Found at login: is DISCORD_API_BASE wrong?"),
    ],
)
async def test_a_discord_failing_at_login_is_a_clear_error(
    stub: DiscordStub, workspace: BotWorkspace, status: int, expected: str
) -> None:
    stub.fail_login(status)
    code, output = await run_briefbot(workspace, stub, "run")
    assert code == 1, output
    assert expected in output
    assert "Traceback" not in output


async def test_a_discord_that_never_answers_the_login_times_out(stub: DiscordStub, workspace: BotWorkspace) -> None:
    stub.hang_login()
    code, output = await run_briefbot(workspace, stub, "run", env={"DISCORD_LOGIN_TIMEOUT": "1"}, timeout=30)
    assert code == 1, output
    assert "Discord did not answer the login within 1 s (DISCORD_LOGIN_TIMEOUT)" in output
    assert "Traceback" not in output
    assert stub.requests_to("GET", "/users/@me")


async def test_sigterm_while_logging_in_is_a_clean_stop(stub: DiscordStub, workspace: BotWorkspace) -> None:
    stub.hang_login()
    bot = await BotProcess(workspace, stub).start()
    await stub.wait_for_request("GET", "/users/@me", timeout=30)
    assert await bot.stop() == 0, bot.logs
    assert "briefbot stopped before connecting; database closed" in bot.logs
    assert "Cannot reach Discord" not in bot.logs and "Traceback" not in bot.logs


async def test_the_info_log_shows_starts_and_stops_not_every_job_run(
    stub: DiscordStub, start_bot: StartBot, workspace: BotWorkspace
) -> None:
    bot = await start_bot()
    await bot.wait_for_log("connected as")
    await bot.wait_for_log("caught up at start")
    # A file dropped into seeds/ is imported by a scheduled run of the seeds check (not the one at start).
    (workspace.seeds / "bridge.txt").write_text(ARTICLE, encoding="utf-8")
    await bot.wait_for_log("seeds: created harbour-bridge-reopens")
    assert await bot.stop() == 0
    logs = bot.logs
    for noise in ("Running job", "executed successfully", "Added job", "PyNaCl", "davey"):
        assert noise not in logs, f"{noise!r} in the INFO log:\n{logs}"
    for line in ("logging in", "connected as", "caught up at start", "received SIGTERM", "briefbot stopped"):
        assert line in logs, f"{line!r} missing from the INFO log:\n{logs}"
