"""Run the real `briefbot run` console script as a subprocess against a loopback stub (Discord's or Slack's)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from storage.database import Database
from storage.outbox import OutboxRepository


class Stub(Protocol):
    """A loopback platform (tests.stub.discord_stub.DiscordStub, tests.slackstub.server.SlackStub): its settings."""

    def env(self) -> dict[str, str]: ...


BRIEFBOT = Path(sys.executable).parent / "briefbot"
REPO_SEEDS = Path(__file__).resolve().parents[2] / "seeds"
GUILD_ID = 300000000000000001
OTHER_GUILD_ID = 300000000000000002
CHANNEL_ID = 300000000000000101
OTHER_CHANNEL_ID = 300000000000000201
ADMIN_ID = 300000000000000901
MEMBER_ID = 300000000000000902
# In production the jobs run every 15 to 60 seconds. Tests wait on what the jobs do, not on the clock, so a
# test bot runs them every second.
FAST_JOBS = {
    "DIGEST_TICK_SECONDS": "1",
    "ALERT_POLL_SECONDS": "1",
    "SEEDS_CHECK_SECONDS": "1",
    "MUTES_CHECK_SECONDS": "1",
}


@dataclass
class BotWorkspace:
    """A working folder with its own seeds/ and database, shared by every start of the bot in a test."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def database(self) -> Path:
        return self.root / "briefbot.db"

    @classmethod
    def create(cls, root: Path) -> BotWorkspace:
        shutil.copytree(REPO_SEEDS, root / "seeds")
        return cls(root)

    def env(self, stub: Stub, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.root),
            "DATABASE_PATH": str(self.database),
            "SEEDS_DIR": str(self.seeds),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **FAST_JOBS,
            **stub.env(),
            **self.extra_env,
            **(extra or {}),
        }

    async def wait_for_outbox(
        self, until: Callable[[dict[str, int]], object] | None = None, timeout: float = 30.0
    ) -> dict[str, int]:
        """Until the outbox's counts by status satisfy `until`; by default, until it is drained: every message
        enqueued so far was sent or failed for good, so the bot will post none of them again. Returns the counts."""
        done = until or (lambda counts: not counts.get("pending"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with Database.open(self.database) as db:
            outbox = OutboxRepository(db)
            while not done(counts := await outbox.counts()):
                if loop.time() > deadline:
                    raise TimeoutError(f"the outbox did not get there within {timeout}s: {counts}")
                await asyncio.sleep(0.1)
        return counts


async def run_briefbot(
    workspace: BotWorkspace, stub: Stub, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> tuple[int, str]:
    """One `briefbot` command to its end; returns its exit code and its output (stdout and stderr)."""
    process = await asyncio.create_subprocess_exec(
        str(BRIEFBOT), *args, cwd=workspace.root, env=workspace.env(stub, env), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, output.decode()


class BotProcess:
    """One run of the bot; logs go to a file so a failing test can show them."""

    def __init__(self, workspace: BotWorkspace, stub: Stub, env: Mapping[str, str] | None = None) -> None:
        self.workspace = workspace
        self.stub = stub
        self.env = dict(env or {})
        self.process: asyncio.subprocess.Process | None = None
        self.log_path = workspace.root / f"bot-{len(list(workspace.root.glob('bot-*.log')))}.log"

    async def start(self) -> BotProcess:
        log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            str(BRIEFBOT), "run", cwd=self.workspace.root, env=self.workspace.env(self.stub, self.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
        log.close()
        return self

    @property
    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def wait_for_log(self, text: str, timeout: float = 20.0, *, count: int = 1) -> None:
        """Until `text` is in the log `count` times."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.logs.count(text) < count:
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"bot exited ({self.process.returncode}) before logging {text!r}:\n{self.logs}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"bot did not log {text!r} {count}x within {timeout}s:\n{self.logs[-4000:]}")
            await asyncio.sleep(0.1)


class BotRuns:
    """Every run of the bot in one test: each started, then waited for until `ready`; killed at teardown with its
    log shown (pytest prints it when the test fails)."""

    def __init__(self, workspace: BotWorkspace, stub: Stub) -> None:
        self.workspace = workspace
        self.stub = stub
        self.runs: list[BotProcess] = []

    async def start(
        self, env: Mapping[str, str] | None, ready: Callable[[BotProcess], Awaitable[object]]
    ) -> BotProcess:
        bot = await BotProcess(self.workspace, self.stub, env).start()
        self.runs.append(bot)
        try:
            await ready(bot)
        except BaseException:
            print(bot.logs)
            raise
        return bot

    async def kill_all(self) -> None:
        for bot in self.runs:
            await bot.kill()
            print(f"--- {bot.log_path.name} ---\n{bot.logs[-6000:]}")
