"""Tests for the `briefbot` console script, run for real in a subprocess against a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.console import PROMPT
from bot.parser import parse_article
from tests.conftest import SEED_KEY_POINT_LABELS, SEED_PATH, SEEDS_DIR

BRIEFBOT = Path(sys.executable).parent / "briefbot"
FAKE_TOKEN = "FAKE.bot-token.never-printed_0123456789"
SETTINGS_VARS = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DEV_GUILD_ID",
    "DEFAULT_TIMEZONE",
    "LOG_LEVEL",
    "SEEDS_DIR",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "DIGEST_GRACE",
)
SEED_SLUG = parse_article(SEED_PATH.read_bytes(), str(SEED_PATH)).slug

pytestmark = pytest.mark.skipif(not BRIEFBOT.exists(), reason="the briefbot console script is not installed")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


@dataclass
class Workspace:
    """A folder with a copy of seeds/, a database path in it, and no DISCORD_TOKEN."""

    root: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
        env["DATABASE_PATH"] = str(self.root / "data" / "briefbot.db")
        env.update(extra)
        return env

    def run(self, *args: str, stdin: str = "", **extra: str) -> Result:
        done = subprocess.run(  # noqa: S603 - our own console script
            [str(BRIEFBOT), *args],
            cwd=self.root,
            env=self.env(**extra),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return Result(done.returncode, done.stdout, done.stderr)


def _workspace(root: Path) -> Workspace:
    shutil.copytree(SEEDS_DIR, root / "seeds")
    return Workspace(root)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return _workspace(tmp_path)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace whose database already holds the seed (imported once for the module)."""
    space = _workspace(tmp_path_factory.mktemp("imported"))
    result = space.run("import", "seeds")
    assert result.code == 0, result.both
    return space


def test_import_good_and_bad_file_reports_file_and_line(workspace: Workspace) -> None:
    text = SEED_PATH.read_text(encoding="utf-8").replace("February 28, 2024 07:12", "Febtember 40, 2024 07:12")
    (workspace.root / "bad.txt").write_text(text, encoding="utf-8")
    result = workspace.run("import", f"seeds/{SEED_PATH.name}", "bad.txt")
    assert result.code != 0
    assert "bad.txt:4:" in result.both
    assert "Traceback" not in result.both
    assert SEED_SLUG in result.out  # the good file still imported
    listing = workspace.run("stories")
    assert listing.code == 0 and SEED_SLUG in listing.out


def test_stories_show_and_ask(imported: Workspace) -> None:
    listing = imported.run("stories")
    assert listing.code == 0, listing.both
    assert SEED_SLUG in listing.out
    assert "Zuckerberg Visits South Korea" in listing.out

    shown = imported.run("show", SEED_SLUG)
    assert shown.code == 0, shown.both
    for label in SEED_KEY_POINT_LABELS:
        assert label in shown.out
    for heading in ("Why South Korea?", "Potential Outcomes", "Looking Ahead"):
        assert heading in shown.out
    assert "AI Powerhouse" in shown.out

    answer = imported.run("ask", SEED_SLUG, "why south korea")
    assert answer.code == 0, answer.both
    assert "Why South Korea?" in answer.out
    assert "> AI Powerhouse" in answer.out or "> Expanding Ecosystem" in answer.out or "> Chip Supply" in answer.out


def test_show_unknown_slug_fails_cleanly(imported: Workspace) -> None:
    result = imported.run("show", "no-such-story")
    assert result.code == 1
    assert "no-such-story" in result.err
    assert "Traceback" not in result.both


def test_check(workspace: Workspace) -> None:
    good = workspace.run("check")
    assert good.code == 0, good.both
    assert "ok" in good.out.split()

    with_token = workspace.run("check", DISCORD_TOKEN=FAKE_TOKEN)
    assert with_token.code == 0, with_token.both
    assert FAKE_TOKEN not in with_token.both

    for name, value in (("DEFAULT_TIMEZONE", "Mars/Base"), ("LOG_LEVEL", "loud")):
        bad = workspace.run("check", DISCORD_TOKEN=FAKE_TOKEN, **{name: value})
        assert bad.code == 2, bad.both
        assert name in bad.err
        assert FAKE_TOKEN not in bad.both
        assert "Traceback" not in bad.both


def test_run_without_token_imports_seeds_and_opens_the_console(workspace: Workspace) -> None:
    result = workspace.run("run", stdin="/story keypoints zuck\n")
    assert result.code == 0, result.both
    assert SEED_SLUG in result.out
    assert "To connect to Discord" in result.out
    echoed = f"{PROMPT}/story keypoints zuck"
    assert echoed in result.out
    console_part = result.out.split(echoed, 1)[1]
    for label in SEED_KEY_POINT_LABELS:
        assert label in console_part
    assert "Traceback" not in result.both
