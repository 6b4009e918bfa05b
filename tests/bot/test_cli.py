"""Tests for the `briefbot` console script, run for real in a subprocess against a temporary folder."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.console import PROMPT
from bot.import_progress import PROGRESS_MIN_FILES, ImportProgress
from bot.parser import parse_article
from tests.conftest import SEED_KEY_POINT_LABELS, SEED_PATH, SEEDS_DIR, markdown_article

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


def test_run_with_slack_tokens_connects_to_slack_and_says_clearly_when_it_cannot(workspace: Workspace) -> None:
    # Slack is served now: with both tokens `run` connects to Slack instead of opening the console.
    result = workspace.run(
        "run",
        stdin="/story keypoints zuck\n",
        SLACK_BOT_TOKEN="xoxb-1111-2222-testbottokenvalue",
        SLACK_APP_TOKEN="xapp-1-A0APP-3333-testapptokenvalue",
        SLACK_API_BASE="http://127.0.0.1:9/api/",  # nothing listens there
    )
    assert result.code == 1, result.both
    assert "Could not reach Slack at http://127.0.0.1:9/api/" in result.err
    assert "does not connect to Slack yet" not in result.both and "Traceback" not in result.both
    assert "testbottokenvalue" not in result.both and "testapptokenvalue" not in result.both


def test_sync_with_slack_says_its_commands_are_in_the_manifest(workspace: Workspace) -> None:
    result = workspace.run(
        "sync",
        SLACK_BOT_TOKEN="xoxb-1111-2222-testbottokenvalue",
        SLACK_APP_TOKEN="xapp-1-A0APP-3333-testapptokenvalue",
    )
    assert result.code == 0, result.both
    assert "Slack: commands are declared by the app manifest (deploy/slack-manifest.yml)" in result.out


def test_the_console_hint_points_at_the_slack_steps(workspace: Workspace) -> None:
    result = workspace.run("run", stdin="")
    assert result.code == 0, result.both
    assert "Connecting to Slack" in result.out


def test_an_import_error_is_printed_once(workspace: Workspace) -> None:
    text = SEED_PATH.read_text(encoding="utf-8").replace("February 28, 2024 07:12", "Febtember 40, 2024 07:12")
    (workspace.root / "bad.txt").write_text(text, encoding="utf-8")
    result = workspace.run("import", "bad.txt")
    assert result.code == 1
    assert result.out.count("bad.txt:4:") == 1  # in the table
    assert result.err == ""  # and not again as a log line


def test_paths_that_are_not_files_say_what_they_are_and_a_fifo_is_never_opened(workspace: Workspace) -> None:
    folder = workspace.root / "articles"
    folder.mkdir()
    os.mkfifo(folder / "waiting.txt")
    os.mkfifo(workspace.root / "named.txt")
    (workspace.root / "loop.txt").symlink_to(workspace.root / "loop.txt")
    (folder / "2024").mkdir()
    (folder / "cover.png").write_bytes(b"png")
    # A FIFO opened for reading blocks until a writer comes: the run's timeout would fail this test.
    result = workspace.run("import", "articles", "named.txt", "loop.txt", os.devnull, "seeds")
    assert result.code == 1, result.both
    assert "Traceback" not in result.both
    for line in (
        "articles/waiting.txt: is a FIFO/named pipe, not a file",
        "named.txt: is a FIFO/named pipe, not a file",
        "loop.txt: is a symlink loop",
        f"{os.devnull}: is a device, not a file",
        "articles: skipped 1 subfolder (imports read one folder level; name them to import): 2024",
        "articles: skipped 1 file that is not .txt/.md/.markdown/.html/.htm: cover.png",
    ):
        assert line in result.out
    assert "no such file" not in result.out
    assert SEED_SLUG in result.out  # the rest still imported


# Every command that opens the database ("run" without a token opens the console).
DATABASE_COMMANDS = (
    ("check",), ("stories",), ("import", "seeds"), ("show", "x"), ("ask", "x", "why"),
    ("update", "x", "--text", "news"), ("console",), ("run",),
)  # fmt: skip


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_a_database_path_under_a_file_fails_cleanly(workspace: Workspace, command: tuple[str, ...]) -> None:
    blocker = workspace.root / "not-a-folder"
    blocker.write_text("a file")
    path = blocker / "briefbot.db"
    result = workspace.run(*command, DATABASE_PATH=str(path))
    assert result.code == 1, result.both
    assert "Traceback" not in result.both
    assert str(path) in result.err and "DATABASE_PATH" in result.err
    assert f"{blocker} is a file, not a folder" in result.err


def test_a_database_file_that_cannot_be_created_fails_check_cleanly(workspace: Workspace) -> None:
    result = workspace.run("check", DATABASE_PATH="/proc/briefbot.db")
    assert result.code == 1, result.both
    assert "Traceback" not in result.both
    assert "/proc/briefbot.db" in result.err and "DATABASE_PATH" in result.err


# --- many files: a closed pipe, and progress only on a terminal ---------------------------------------------

MANY = PROGRESS_MIN_FILES + 99


@pytest.fixture(scope="module")
def many_articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    for n in range(MANY):
        (folder / f"{n:04d}.md").write_text(markdown_article(title=f"Story Number {n}", body=f"Body {n}.\n"))
    return folder


@pytest.fixture(scope="module")
def many_imported(tmp_path_factory: pytest.TempPathFactory, many_articles: Path) -> tuple[Workspace, Result]:
    """A workspace whose database holds MANY stories, and the result of that import (stdout and stderr piped)."""
    space = _workspace(tmp_path_factory.mktemp("many-imported"))
    return space, space.run("import", str(many_articles))


def test_a_large_import_off_a_terminal_prints_only_its_table(many_imported: tuple[Workspace, Result]) -> None:
    _, result = many_imported
    assert result.code == 0, result.both
    assert result.err == ""
    lines = result.out.splitlines()
    assert len(lines) == MANY and all(line.startswith("created") for line in lines)


def test_a_large_import_on_a_terminal_shows_progress(workspace: Workspace, many_articles: Path) -> None:
    code, output = _run_on_a_terminal(workspace, "import", str(many_articles))
    assert code == 0, output
    assert "Importing" in output and f"{MANY}" in output
    assert output.count("created ") == MANY


def test_import_progress_decision() -> None:
    shown = io.StringIO()
    with ImportProgress(is_terminal=True, stream=shown) as progress:
        for done in (0, 500, 1000, 1200):
            progress(done, 1200)
    assert "Importing" in shown.getvalue() and "1200/1200" in shown.getvalue()

    for is_terminal, total in ((False, 1200), (True, PROGRESS_MIN_FILES - 1)):
        quiet = io.StringIO()
        with ImportProgress(is_terminal=is_terminal, stream=quiet) as progress:
            progress(0, total)
            progress(total, total)
        assert quiet.getvalue() == ""


@pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="needs Linux pipes whose size can be set")
def test_a_closed_pipe_ends_quietly(many_imported: tuple[Workspace, Result]) -> None:
    space, _ = many_imported
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # far less than the listing, so the writer must wait for us
    with subprocess.Popen(  # noqa: S603 - our own console script
        [str(BRIEFBOT), "stories"], cwd=space.root, env=space.env(), stdout=write_end, stderr=subprocess.PIPE
    ) as process:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as reader:
            assert reader.readline().startswith(b"SLUG")
        # `head -1` has what it wanted and is gone.
        err = process.stderr.read().decode() if process.stderr else ""
        code = process.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert err == ""
    assert code == 1


def _run_on_a_terminal(space: Workspace, *args: str) -> tuple[int, str]:
    """Runs the console script with stdout and stderr on a pseudo-terminal; returns (exit code, all output)."""
    leader, follower = pty.openpty()
    with subprocess.Popen(  # noqa: S603 - our own console script
        [str(BRIEFBOT), *args],
        cwd=space.root,
        env=space.env(TERM="xterm", COLUMNS="120"),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    ) as process:
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                process.kill()
                raise AssertionError("no output for 60 s")
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed its end of the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        code = process.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8", "replace")
