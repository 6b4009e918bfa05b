"""A progress bar for long imports, shown only when a person is watching a terminal."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from bot.importer import BATCH_SIZE

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

PROGRESS_MIN_FILES = BATCH_SIZE + 1  # a single batch is done before a bar could move


class ImportProgress:
    """Called with (files done, files in all); draws a bar on `stream` that is gone when the import is done.

    Draws nothing off a terminal, so piped or redirected output is only the import's table."""

    def __init__(self, is_terminal: bool, stream: TextIO) -> None:
        self.is_terminal = is_terminal
        self.stream = stream
        self._bar: tuple[Progress, TaskID] | None = None

    @classmethod
    def on_stderr(cls) -> ImportProgress:
        # Both streams: a bar on stderr would garble a pager reading stdout.
        return cls(sys.stdout.isatty() and sys.stderr.isatty(), sys.stderr)

    def __enter__(self) -> ImportProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self.is_terminal or total < PROGRESS_MIN_FILES:
            return
        if self._bar is None:
            # rich is imported only when a bar is drawn: it costs start-up time every command would pay.
            from rich import progress as bars
            from rich.console import Console

            progress = bars.Progress(
                bars.TextColumn("{task.description}"),
                bars.BarColumn(),
                bars.MofNCompleteColumn(),
                bars.TextColumn("files"),
                bars.TimeRemainingColumn(),
                console=Console(file=self.stream, force_terminal=True),
                transient=True,
            )
            progress.start()
            self._bar = (progress, progress.add_task("Importing", total=total))
        progress, task = self._bar
        progress.update(task, completed=done, refresh=True)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar[0].stop()
            self._bar = None
