"""`briefbot console`: type the same lines as the slash commands and see the reply the bot would post."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot import markup
from bot.cards import Reply
from bot.command_line import CommandSpec, Param, bind, split_words
from bot.console_terminal import LineReader
from bot.digests import compose_digest
from bot.errors import UserError
from bot.help_text import ALL_COMMANDS, help_lines
from bot.story_service import StoryService
from bot.text_render import write_reply

Handler = Callable[[dict[str, str]], Awaitable[Reply]]
PROMPT = "briefbot> "
GOODBYE = "Bye."
QUIT_WORDS = ("quit", "exit", "q")
__all__ = ["GOODBYE", "PROMPT", "Console", "ConsoleCommand", "split_words"]


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    path: tuple[str, ...]
    params: tuple[str, ...]
    handler: Handler

    @property
    def spec(self) -> CommandSpec:
        """Every parameter is required but `page`; the last one takes the rest of the words."""
        usage = f"/{' '.join(self.path)} {' '.join(f'<{p}>' for p in self.params)}"
        last = len(self.params) - 1
        params = tuple(Param(p, optional=p == "page", rest=i == last) for i, p in enumerate(self.params))
        return CommandSpec(self.path, params, usage)


class Console:
    """Parses `/group sub positional... name:value` lines and dispatches them."""

    def __init__(self, stories: StoryService, viewer: str | None = None) -> None:
        self.viewer = viewer
        self.commands: dict[tuple[str, ...], ConsoleCommand] = {}
        s = stories
        self.add(("story", "list"), ("page",), lambda o: self._list(s, o))
        self.add(("story", "show"), ("story",), lambda o: s.show(o["story"], viewer))
        self.add(("story", "keypoints"), ("story",), lambda o: s.keypoints(o["story"], viewer))
        self.add(("story", "ask"), ("story", "question"), lambda o: s.ask(o["story"], o["question"], viewer))
        self.add(("story", "timeline"), ("story",), lambda o: s.timeline(o["story"], viewer))
        self.add(("story", "search"), ("query",), lambda o: s.search(o["query"], viewer))
        self.add(("digest", "preview"), (), lambda o: self._digest_preview(s))
        self.add(("help",), (), self._help)

    def add(self, path: tuple[str, ...], params: tuple[str, ...], handler: Handler) -> None:
        self.commands[path] = ConsoleCommand(path, params, handler)

    async def _list(self, stories: StoryService, options: dict[str, str]) -> Reply:
        page = options.get("page", "1")
        if not page.isdigit():
            raise UserError(markup.text("page must be a number, got ", markup.code(page)))
        reply, _ = await stories.list_page(self.viewer, int(page))
        return reply

    async def _digest_preview(self, stories: StoryService) -> Reply:
        """A first digest for this console's viewer, as a server would get it."""
        digest = await compose_digest(stories.stories, self.viewer, None, datetime.now(UTC), UTC)
        return digest.reply

    async def _help(self, _: dict[str, str]) -> Reply:
        """Only what this console runs; the rest is named as chat-only, so no listed command is unknown here."""
        runs = tuple(c for c in ALL_COMMANDS if c.path in self.commands)
        chat_only = sorted({"/" + " ".join(c.path) for c in ALL_COMMANDS if c.path not in self.commands})
        lines = help_lines(runs) + [
            markup.text(),
            markup.text(f"In chat only (see the README): {', '.join(chat_only)}."),
            markup.text('Use "double quotes" to group words. Up and Down recall earlier lines.'),
            markup.text("Type ", markup.code("quit"), " or press Ctrl-D or Ctrl-C to leave the console."),
        ]
        return Reply(text=markup.join("\n", lines))

    def parse(self, line: str) -> tuple[ConsoleCommand, dict[str, str]]:
        tokens = split_words(line.strip().lstrip("/"))
        for size in (2, 1):
            command = self.commands.get(tuple(t.lower() for t in tokens[:size]))
            if command:
                return command, self._options(command, tokens[size:])
        known = ", ".join("/" + " ".join(path) for path in self.commands)
        raise UserError(f"Unknown command. Known commands: {known}")

    @staticmethod
    def _options(command: ConsoleCommand, tokens: list[str]) -> dict[str, str]:
        return bind(command.spec, tokens, ignore_extra=True)

    async def answer(self, line: str) -> Reply:
        try:
            command, options = self.parse(line)
            return await command.handler(options)
        except UserError as exc:
            return Reply(text=exc.markup, ephemeral=True)

    async def loop(
        self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, history_file: Path | None = None
    ) -> None:
        """Answers lines until `quit` or the end of input. Styled at a terminal, plain text otherwise."""
        reader = LineReader(stdin, PROMPT, history_file)
        try:
            while (line := await reader.read()) is not None:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.lower() in QUIT_WORDS:
                    break
                if not reader.interactive:
                    stdout.write(f"{PROMPT}{line}\n")
                write_reply(await self.answer(line), stdout)
                stdout.write("\n")
                stdout.flush()
        finally:
            reader.close()
