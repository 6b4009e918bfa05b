"""The console at a real terminal: `briefbot console` and `briefbot run` spawned under a pseudo-terminal.

Ctrl-C, Ctrl-D and SIGINT must end it at once with exit 0, a goodbye line, no traceback and the database closed.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sqlite3
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console import GOODBYE, PROMPT
from tests.conftest import SEED_KEY_POINT_LABELS, SEEDS_DIR

BRIEFBOT = Path(sys.executable).parent / "briefbot"
WAIT_SECONDS = 30
SETTINGS_VARS = ("DISCORD_TOKEN", "DATABASE_PATH", "SEEDS_DIR", "LOG_LEVEL", "DEV_GUILD_ID")
UP_ARROW = "\x1b[A"
HELP_END = "to leave the console"
BOLD = "\x1b[1m"

pytestmark = pytest.mark.skipif(not BRIEFBOT.exists(), reason="the briefbot console script is not installed")


def _controlling_terminal() -> None:
    """In the child, after setsid: make the pty on stdin the controlling terminal, so Ctrl-C sends SIGINT."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A briefbot process whose stdin, stdout and stderr are one pseudo-terminal."""

    def __init__(self, root: Path, *args: str) -> None:
        self.db_path = root / "data" / "briefbot.db"
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
        env.update(DATABASE_PATH=str(self.db_path), SEEDS_DIR=str(SEEDS_DIR), TERM="xterm", HOME=str(root))
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(  # noqa: S603 - our own console script
            [str(BRIEFBOT), *args],
            cwd=root,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=_controlling_terminal,  # noqa: PLW1509 - the child runs nothing else before exec
        )
        os.close(slave)
        self.output = ""
        self.prompts = 0

    def next_prompt(self) -> None:
        """Waits for the console's next prompt: only then is readline reading (keys sent before may be lost)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while self.output.count(PROMPT) <= self.prompts:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for prompt {self.prompts + 1}; output so far:\n{self.output}"
            if not self._read(left):
                raise AssertionError(f"output ended before prompt {self.prompts + 1}:\n{self.output}")
        self.prompts += 1

    def _read(self, timeout: float) -> bool:
        """Reads what is there within `timeout`; False once the child has closed the terminal."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: every copy of the terminal's other end is closed
            return False
        self.output += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self) -> int:
        """Waits for the process to exit, then drains what it printed."""
        code = self.process.wait(timeout=WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while self._read(0.1) and time.monotonic() < deadline:
            pass
        return code

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_SECONDS)
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    with Terminal(tmp_path, "console") as term:
        yield term


def assert_clean_exit(term: Terminal) -> None:
    code = term.finish()
    assert code == 0, term.output
    assert "Traceback" not in term.output
    assert GOODBYE in term.output
    assert_database_closed(term.db_path)
    line_mode = termios.tcgetattr(term.master)[3]
    assert line_mode & termios.ICANON and line_mode & termios.ECHO, "the terminal was left in readline's raw mode"


def assert_database_closed(path: Path) -> None:
    """A clean close checkpoints and removes the WAL file; the file is then free for a writer at once."""
    assert not Path(f"{path}-wal").exists(), "the WAL file is still there: the database was not closed"
    conn = sqlite3.connect(path, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS after_console (x INTEGER)")
        conn.execute("INSERT INTO after_console VALUES (1)")
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.mark.parametrize(
    "keys",
    ["\x03", "/story search half typed" + "\x03" * 5, "\x04", "quit\r"],
    ids=["ctrl-c", "ctrl-c-five-times-mid-line", "ctrl-d", "quit"],
)
def test_keys_end_the_console(terminal: Terminal, keys: str) -> None:
    terminal.next_prompt()
    terminal.send(keys)
    assert_clean_exit(terminal)


def test_sigint_ends_the_console(terminal: Terminal) -> None:
    terminal.next_prompt()
    terminal.process.send_signal(signal.SIGINT)
    assert_clean_exit(terminal)


def test_ctrl_c_at_make_run_ends_the_console(tmp_path: Path) -> None:
    """`make run` runs `briefbot run`; without a token it imports seeds/ and opens the console."""
    with Terminal(tmp_path, "run") as term:
        term.next_prompt()
        term.send("/story keypoints zuck\r")
        term.next_prompt()
        for label in SEED_KEY_POINT_LABELS:  # styled for the terminal: bold labels, no Markdown markers
            assert f"{BOLD}{label}" in term.output
        assert "**" not in term.output
        term.send("\x03")
        assert_clean_exit(term)


def test_arrow_keys_edit_and_recall_lines(terminal: Terminal) -> None:
    """readline: Left moves the cursor to fix a typo, Up recalls the previous line; no escape codes show."""
    terminal.next_prompt()
    terminal.send("/hlp\x1b[D\x1b[De\r")  # two Left arrows back, then the missing "e": "/help"
    terminal.next_prompt()
    assert terminal.output.count(HELP_END) == 1, terminal.output
    terminal.send(UP_ARROW + "\r")
    terminal.next_prompt()
    assert terminal.output.count(HELP_END) == 2, terminal.output
    assert "^[[" not in terminal.output and "Unknown command" not in terminal.output
    terminal.send("\x04")
    assert_clean_exit(terminal)


def test_history_is_kept_for_the_next_session(tmp_path: Path) -> None:
    with Terminal(tmp_path, "console") as first:
        first.next_prompt()
        first.send("/help\r")
        first.next_prompt()
        first.send("quit\r")
        assert_clean_exit(first)
    assert "/help" in (tmp_path / "data" / "console_history").read_text(encoding="utf-8")
    with Terminal(tmp_path, "console") as second:
        second.next_prompt()
        second.send(UP_ARROW * 2 + "\r")  # past `quit`, the last line of the first session
        second.next_prompt()
        assert HELP_END in second.output
        second.send("\x04")
        assert_clean_exit(second)


def test_sigint_ends_a_piped_console(tmp_path: Path) -> None:
    """Not a terminal: the console still stops on SIGINT, with exit 0 and the database closed."""
    db_path = tmp_path / "data" / "briefbot.db"
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env["DATABASE_PATH"] = str(db_path)
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [str(BRIEFBOT), "console"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("/help\n")
        process.stdin.flush()
        seen = ""
        while HELP_END not in seen:  # readline blocks until the console answered: no sleeping
            line = process.stdout.readline()
            assert line, f"output ended early: {seen}"
            seen += line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT_SECONDS)
    assert process.returncode == 0, seen + out + err
    assert "Traceback" not in seen + out + err
    assert_database_closed(db_path)
