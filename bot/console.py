"""`briefbot console`: type the same lines as the slash commands and see the reply the bot would post."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from bot.cards import Reply
from bot.digests import compose_digest
from bot.errors import UserError
from bot.help_text import help_lines
from bot.story_service import StoryService
from bot.text_render import render_reply

Handler = Callable[[dict[str, str]], Awaitable[Reply]]
PROMPT = "briefbot> "
_NAMED_OPTION = re.compile(r"^([a-z_]+):(.*)$")


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    path: tuple[str, ...]
    params: tuple[str, ...]
    handler: Handler


class Console:
    """Parses `/group sub positional... name:value` lines and dispatches them."""

    def __init__(self, stories: StoryService, viewer: int | None = None) -> None:
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
            raise UserError(f"page must be a number, got `{page}`")
        reply, _ = await stories.list_page(self.viewer, int(page))
        return reply

    async def _digest_preview(self, stories: StoryService) -> Reply:
        """A first digest for this console's viewer, as a server would get it."""
        digest = await compose_digest(stories.stories, self.viewer, None, datetime.now(UTC), UTC)
        return digest.reply

    async def _help(self, _: dict[str, str]) -> Reply:
        lines = help_lines() + ["", "Type `quit` to leave the console."]
        return Reply(text="\n".join(lines))

    def parse(self, line: str) -> tuple[ConsoleCommand, dict[str, str]]:
        try:
            tokens = shlex.split(line.strip().lstrip("/"))
        except ValueError as exc:
            raise UserError(f"Cannot read that line: {exc}.") from None
        for size in (2, 1):
            command = self.commands.get(tuple(t.lower() for t in tokens[:size]))
            if command:
                return command, self._options(command, tokens[size:])
        known = ", ".join("/" + " ".join(path) for path in self.commands)
        raise UserError(f"Unknown command. Known commands: {known}")

    @staticmethod
    def _options(command: ConsoleCommand, tokens: list[str]) -> dict[str, str]:
        options: dict[str, str] = {}
        positional: list[str] = []
        current: str | None = None
        for token in tokens:
            match = _NAMED_OPTION.match(token)
            if match and match.group(1) in command.params:
                current = match.group(1)
                options[current] = match.group(2)
            elif current is not None:
                options[current] = f"{options[current]} {token}".strip()
            else:
                positional.append(token)
        free = [p for p in command.params if p not in options]
        for index, name in enumerate(free):
            if index >= len(positional):
                break
            options[name] = " ".join(positional[index:]) if index == len(free) - 1 else positional[index]
        missing = [p for p in command.params if p not in options and p != "page"]
        if missing:
            usage = " ".join(f"<{p}>" for p in command.params)
            raise UserError(f"Missing {', '.join(missing)}. Usage: /{' '.join(command.path)} {usage}")
        return options

    async def answer(self, line: str) -> Reply:
        try:
            command, options = self.parse(line)
            return await command.handler(options)
        except UserError as exc:
            return Reply(text=str(exc), ephemeral=True)

    async def loop(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        interactive = stdin.isatty()
        while True:
            if interactive:
                stdout.write(PROMPT)
                stdout.flush()
            line = stdin.readline()
            if not line:
                break
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.lower() in ("quit", "exit", "q"):
                break
            if not interactive:
                stdout.write(f"{PROMPT}{line}\n")
            stdout.write(render_reply(await self.answer(line)) + "\n\n")
            stdout.flush()
