"""Run the real `briefbot run` console script as a subprocess against the loopback Discord stub."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.stub.discord_stub import DiscordStub

BRIEFBOT = Path(sys.executable).parent / "briefbot"
REPO_SEEDS = Path(__file__).resolve().parents[2] / "seeds"
GUILD_ID = 300000000000000001
OTHER_GUILD_ID = 300000000000000002
CHANNEL_ID = 300000000000000101
OTHER_CHANNEL_ID = 300000000000000201
ADMIN_ID = 300000000000000901
MEMBER_ID = 300000000000000902


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


class BotProcess:
    """One run of the bot; logs go to a file so a failing test can show them."""

    def __init__(self, workspace: BotWorkspace, stub: DiscordStub, env: Mapping[str, str] | None = None) -> None:
        self.workspace = workspace
        self.stub = stub
        self.env = dict(env or {})
        self.process: asyncio.subprocess.Process | None = None
        self.log_path = workspace.root / f"bot-{len(list(workspace.root.glob('bot-*.log')))}.log"

    async def start(self) -> BotProcess:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.workspace.root),
            "DATABASE_PATH": str(self.workspace.database),
            "SEEDS_DIR": str(self.workspace.seeds),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **self.stub.env(),
            **self.workspace.extra_env,
            **self.env,
        }
        log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            str(BRIEFBOT), "run", cwd=self.workspace.root, env=env, stdin=asyncio.subprocess.DEVNULL,
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

    async def wait_for_log(self, text: str, timeout: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.logs:
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"bot exited ({self.process.returncode}) before logging {text!r}:\n{self.logs}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"bot did not log {text!r} within {timeout}s:\n{self.logs[-4000:]}")
            await asyncio.sleep(0.1)
