"""The console's terminal side: lines read off the event loop with readline, and Ctrl-C that ends it cleanly.

A blocking read inside the event loop is what made Ctrl-C misbehave: asyncio.run turns the first SIGINT into a
cancellation that the blocked read cannot see, and the next into a KeyboardInterrupt. So lines are read in a
daemon thread (an abandoned read never holds up the exit), and SIGINT cancels the console's work at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger(__name__)

HISTORY_LENGTH = 1000

try:
    import readline
except ImportError:  # not built on every platform; the console then reads plain lines
    readline = None  # type: ignore[assignment]

try:
    import termios
except ImportError:
    termios = None  # type: ignore[assignment]


class LineReader:
    """Reads one line at a time in a daemon thread. At a terminal, input() with readline edits the line, keeps
    the session's history (and `history_file`'s) and owns the prompt, so the cursor and the prompt agree."""

    def __init__(self, stdin: TextIO, prompt: str, history_file: Path | None = None) -> None:
        self.stdin = stdin
        self.prompt = prompt
        self.interactive = stdin.isatty()
        self.history_file = history_file if self.interactive and readline is not None else None
        self._saved_mode: list[Any] | None = None
        self._thread: threading.Thread | None = None
        if self.interactive and termios is not None:
            # readline puts the terminal in raw mode while it reads; restore it if we leave mid-read.
            self._saved_mode = termios.tcgetattr(stdin.fileno())
        if self.history_file is not None:
            readline.set_history_length(HISTORY_LENGTH)
            try:
                readline.read_history_file(self.history_file)
            except FileNotFoundError:
                pass  # the first session: nothing to recall yet
            except OSError as exc:
                log.warning("cannot read console history %s: %s", self.history_file, exc)

    def _read_blocking(self) -> str | None:
        """The next line without its newline, or None at the end of input (Ctrl-D)."""
        if self.interactive:
            try:
                return input(self.prompt)
            except EOFError:
                return None
        line = self.stdin.readline()
        return line.rstrip("\n") if line else None

    async def read(self) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def deliver(result: str | None, error: BaseException | None) -> None:
            if future.done():  # the console stopped waiting (Ctrl-C)
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        def work() -> None:
            try:
                outcome: tuple[str | None, BaseException | None] = (self._read_blocking(), None)
            except Exception as exc:  # handed to the awaiting coroutine, which raises it
                outcome = (None, exc)
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits for this line any more
                loop.call_soon_threadsafe(deliver, *outcome)

        self._thread = threading.Thread(target=work, name="console-input", daemon=True)
        self._thread.start()
        return await future

    def close(self) -> None:
        """Saves the history and, when a read is still blocked in readline, gives the terminal back as it was."""
        reading = self._thread is not None and self._thread.is_alive()
        if reading and self._saved_mode is not None and termios is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.stdin.fileno(), termios.TCSADRAIN, self._saved_mode)
        if self.history_file is not None:
            try:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(self.history_file)
            except OSError as exc:
                log.warning("cannot save console history %s: %s", self.history_file, exc)


async def until_interrupted(work: Coroutine[Any, Any, None]) -> bool:
    """Runs `work`; Ctrl-C (SIGINT) cancels it at once and waits for its cleanup. True when interrupted.

    Only the first SIGINT cancels: another one must not cut short the database's close. Afterwards SIGINT is
    ignored, because the process is on its way out and a late Ctrl-C must not turn a clean exit into a traceback.
    """
    loop = asyncio.get_running_loop()
    task = loop.create_task(work)
    interrupted = False

    def on_interrupt() -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            task.cancel()

    # signal.signal, not loop.add_signal_handler: the loop's close() would put back the KeyboardInterrupt handler.
    previous = signal.signal(signal.SIGINT, lambda signum, frame: loop.call_soon_threadsafe(on_interrupt))
    try:
        await asyncio.wait({task})
    except asyncio.CancelledError:
        task.cancel()
        signal.signal(signal.SIGINT, previous)
        raise
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if task.cancelled() and interrupted:
        return True
    task.result()  # raises what the work raised
    return interrupted
