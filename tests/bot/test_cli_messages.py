"""What the `briefbot` command line says at a shell: hints name CLI commands, counts are in the right number."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SEED_PATH


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no .env, its database in data/, and none of the caller's settings."""
    for name in ("DISCORD_TOKEN", "DEV_GUILD_ID", "DEFAULT_TIMEZONE", "LOG_LEVEL", "SEEDS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "data" / "briefbot.db"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", [["show", "no-such-story"], ["ask", "no-such-story", "why"]])
def test_unknown_story_at_a_shell_points_at_briefbot_stories(
    shell: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == 1
    err = capsys.readouterr().err
    assert "No story matches `no-such-story`. Try `briefbot stories`." in err
    assert "/story" not in err


def test_check_counts_one_global_story(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(SEED_PATH)]) == 0
    capsys.readouterr()
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "1 global story\n" in out and "1 global stories" not in out
