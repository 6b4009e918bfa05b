"""The `briefbot` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from bot.audience import AudienceZones
from bot.cards import Reply
from bot.console import GOODBYE, Console
from bot.console_terminal import until_interrupted
from bot.errors import UnknownStory, UserError
from bot.feeds import cli as feed_cli
from bot.feeds.service import UnknownFeed
from bot.follow_service import FollowService
from bot.import_progress import ImportProgress
from bot.importer import ImportReport, import_links, import_paths, import_seed_folder, is_link
from bot.intake import ArticleParser
from bot.platforms import configured_clients
from bot.settings import Settings, SettingsError, configure_logging, load_settings
from bot.story_admin import OPERATOR, StoryAdminService
from bot.story_cards import show_card
from bot.story_service import StoryService
from bot.text import plural
from bot.text_render import shell_text, write_reply
from storage.database import Database, DatabaseError, DatabaseLocationError
from storage.follows import FollowRepository
from storage.stories import StoryRepository

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
CONSOLE_HISTORY = "console_history"
LIST_COMMAND = "briefbot stories"
CONNECT_HINT = (
    "To connect to Discord: put DISCORD_TOKEN=<your bot token> in .env (see .env.example), "
    "invite the bot with the URL it logs, and run `make run` again.\n"
    "To connect to Slack: create the app from deploy/slack-manifest.yml and put SLACK_BOT_TOKEN and SLACK_APP_TOKEN "
    "in .env (README: Connecting to Slack)."
)


class CommandFailed(Exception):
    """A CLI command ran but did not succeed; the message was already printed."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefbot", description="News briefings for Discord and Slack.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    imp = sub.add_parser("import", help="import article files or folders (.txt, .md, .html), or web pages by link")
    imp.add_argument("paths", nargs="+", metavar="PATH_OR_URL", help="a file, a folder, or an http(s) link")
    sub.add_parser("stories", help="list the tracked stories")
    show = sub.add_parser("show", help="a story's summary, key points and sections")
    show.add_argument("slug")
    ask = sub.add_parser("ask", help="answer a question from a story's own text")
    ask.add_argument("slug")
    ask.add_argument("question")
    update = sub.add_parser("update", help="add a development to a story; the running bot alerts its followers")
    update.add_argument("slug")
    update.add_argument("--text", required=True, help="what happened (bullets '- Label: text' become key points)")
    update.add_argument("--url", help="a public http(s) link to the source")
    feed_cli.add_parser(sub)
    sub.add_parser("check", help="validate the settings and the database")
    sub.add_parser("console", help="try the slash commands locally, e.g. /story keypoints zuck")
    sub.add_parser("run", help="run the bot on Discord and/or Slack (the local console when no token is set)")
    sub.add_parser("sync", help="force a slash-command sync with Discord (Slack's commands are in its manifest)")
    return parser


async def _with_store(settings: Settings, action: Callable[[Database, StoryRepository], Awaitable[None]]) -> None:
    async with Database.open(settings.database_path) as db:
        await action(db, StoryRepository(db))


async def _stories_table(stories: StoryRepository) -> None:
    rows = await stories.recent(None, limit=1000)
    if not rows:
        print("No stories yet. Import some with: briefbot import seeds/")
        return
    print(f"{'SLUG':<44} {'PUBLISHED':<17} TITLE")
    for story in rows:
        print(f"{story.slug:<44} {story.published_at:%Y-%m-%d %H:%M}  {story.title}")


async def _import(settings: Settings, targets: list[str]) -> None:
    links = [target for target in targets if is_link(target)]
    paths = [Path(target) for target in targets if not is_link(target)]

    async def action(db: Database, stories: StoryRepository) -> None:
        report = ImportReport()
        if paths:
            with ImportProgress.on_stderr() as progress:
                report = await import_paths(stories, paths, settings.default_timezone, on_progress=progress)
        if links:
            from bot.fetch import Fetcher  # aiohttp: only imports of links need it

            async with Fetcher.open(settings.fetch_allow_hosts) as fetcher:
                parser = ArticleParser(settings.default_timezone)  # nothing else runs here: parse in this process
                report.merge(await import_links(stories, fetcher, parser, links))
        for line in report.lines():
            print(line)
        if not report.ok:
            raise CommandFailed

    await _with_store(settings, action)


async def _reply(settings: Settings, build: Callable[[StoryService], Awaitable[Reply]]) -> None:
    async def action(db: Database, stories: StoryRepository) -> None:
        write_reply(await build(StoryService(stories)), sys.stdout)

    await _with_store(settings, action)


async def _show(settings: Settings, slug: str) -> None:
    async def action(db: Database, stories: StoryRepository) -> None:
        detail = await StoryService(stories).detail(slug, None)
        write_reply(Reply(cards=(show_card(detail, settings.default_timezone),)), sys.stdout)
        for section in detail.sections:
            print(f"\n## {section.heading} [{section.kind.value}]")
            print(section.plain_text())

    await _with_store(settings, action)


async def _update(settings: Settings, slug: str, text: str, url: str | None) -> None:
    async def action(db: Database, stories: StoryRepository) -> None:
        story_service = StoryService(stories)
        follows = FollowService(FollowRepository(db), stories, story_service, burst_window=settings.alert_burst_window)
        admin = StoryAdminService(stories, story_service, follows)
        reply = await admin.update(slug, text, url, scope_id=OPERATOR)
        write_reply(replace(reply, ephemeral=False), sys.stdout)

    await _with_store(settings, action)


async def _check(settings: Settings) -> None:
    for name, value in settings.describe():
        print(f"{name:<20} {value}")

    async def action(db: Database, stories: StoryRepository) -> None:
        problems = await db.integrity_problems()
        print(
            f"{'database':<20} schema version {await db.schema_version()}, "
            f"{plural(await stories.count(None), 'global story')}"
        )
        if not settings.seeds_dir.is_dir():
            print(f"{'warning':<20} seeds folder {settings.seeds_dir} does not exist")
        if problems:
            print(f"{'error':<20} database integrity: {'; '.join(problems[:5])}")
            raise CommandFailed
        print("ok")

    await _with_store(settings, action)


async def _console(settings: Settings, import_seeds: bool) -> None:
    async def action(db: Database, stories: StoryRepository) -> None:
        if import_seeds:
            await import_seed_folder(settings.seeds_dir, stories, settings.default_timezone)
            await _stories_table(stories)
            print()
            print(CONNECT_HINT)
            print("Local console: type /help, or try `/story keypoints zuck`. `quit` or Ctrl-D leaves.\n")
        history = settings.database_path.parent / CONSOLE_HISTORY
        # Dates in DEFAULT_TIMEZONE: the console reads no server's or user's schedule.
        await Console(StoryService(stories, AudienceZones(None, settings.default_timezone))).loop(history_file=history)

    # Ctrl-C ends the console like `quit`: the database is closed first, then a goodbye, then exit 0.
    interrupted = await until_interrupted(_with_store(settings, action))
    if interrupted or sys.stdin.isatty():
        print(f"\n{GOODBYE}")


async def _run(settings: Settings) -> None:
    """Every platform whose settings are set, at once under one runtime; the local console when none is."""
    clients = configured_clients(settings)
    if not clients:
        await _console(settings, import_seeds=True)
        return
    from bot.process import run_platforms  # the scheduler and the services: only `run` and `sync` need them

    await run_platforms(settings, clients)


async def _sync(settings: Settings) -> None:
    clients = configured_clients(settings)
    if not clients:
        raise UserError("sync needs DISCORD_TOKEN or the Slack tokens; set them in .env (see .env.example)")
    from bot.process import sync_platforms

    print(await sync_platforms(settings, clients))


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader that went away shows up here when the output fit in the buffer
    except BrokenPipeError:
        # `briefbot stories | head -3`: the reader has what it wanted. Stop quietly; devnull over stdout keeps
        # the interpreter's last flush from complaining too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"briefbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level if args.command == "run" else "WARNING")
    commands: dict[str, Callable[[], Awaitable[None]]] = {
        "import": lambda: _import(settings, args.paths),
        "stories": lambda: _with_store(settings, lambda db, stories: _stories_table(stories)),
        "show": lambda: _show(settings, args.slug),
        "ask": lambda: _reply(settings, lambda service: service.ask(args.slug, args.question, None)),
        "update": lambda: _update(settings, args.slug, args.text, args.url),
        "feed": lambda: feed_cli.run(settings, args),
        "check": lambda: _check(settings),
        "console": lambda: _console(settings, import_seeds=False),
        "run": lambda: _run(settings),
        "sync": lambda: _sync(settings),
    }
    try:
        asyncio.run(commands[args.command]())
    except CommandFailed:
        return EXIT_FAILED
    except UnknownStory as exc:  # at a shell, stories are listed by a CLI command, not a slash command
        print(f"briefbot: {shell_text(exc.message(list_command=LIST_COMMAND))}", file=sys.stderr)
        return EXIT_FAILED
    except UnknownFeed as exc:
        print(f"briefbot: {shell_text(exc.message(list_command=feed_cli.LIST_COMMAND))}", file=sys.stderr)
        return EXIT_FAILED
    except UserError as exc:
        print(f"briefbot: {shell_text(exc.markup)}", file=sys.stderr)
        return EXIT_FAILED
    except DatabaseError as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        if isinstance(exc, DatabaseLocationError):
            print(
                f"briefbot: DATABASE_PATH is {settings.database_path}; set it (in .env or the environment) "
                "to a file in a folder briefbot can create and write",
                file=sys.stderr,
            )
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
