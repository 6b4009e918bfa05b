"""`briefbot feed add|list|remove|why`: the operator's global feeds (scope_id None), from a shell.

The same core calls as `/feed`; errors are one line on stderr and exit 1 (see bot.cli)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from bot.cards import Reply
from bot.feeds import replies
from bot.feeds.filters import split_words
from bot.feeds.service import DEFAULT_EVERY, FeedService
from bot.feeds.settings import FeedSettings
from bot.fetch import Fetcher
from bot.settings import Settings
from bot.story_service import StoryService
from bot.text_render import write_reply
from storage.database import Database
from storage.feeds import FeedRepository
from storage.stories import StoryRepository

GLOBAL = None  # the operator's feeds: no server
LIST_COMMAND = "briefbot feed list"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    feed = sub.add_parser("feed", help="the global feeds: add, list, remove, why")
    commands = feed.add_subparsers(dest="feed_command", required=True, metavar="FEED_COMMAND")
    add = commands.add_parser("add", help="fetch a feed now and check it every few minutes")
    add.add_argument("url")
    add.add_argument("--story", help="a source for this story only (slug); else matched against every story")
    add.add_argument("--every", type=int, default=DEFAULT_EVERY, metavar="MIN", help="minutes, 5 to 1440")
    add.add_argument("--include", action="append", default=[], metavar="W", help="only items with this word")
    add.add_argument("--exclude", action="append", default=[], metavar="W", help="never items with this word")
    commands.add_parser("list", help="the feeds, their status and item counts")
    remove = commands.add_parser("remove", help="stop checking a feed (by its id or URL)")
    remove.add_argument("feed")
    why = commands.add_parser("why", help="what happened to an item, by its link or words of its title")
    why.add_argument("text")


@asynccontextmanager
async def _service(settings: Settings, *, fetch: bool) -> AsyncIterator[FeedService]:
    async with Database.open(settings.database_path) as db:
        stories = StoryRepository(db)
        feed_settings = FeedSettings.from_settings(settings)
        if not fetch:
            yield FeedService(FeedRepository(db), stories, StoryService(stories), None, settings=feed_settings)
            return
        async with Fetcher.open(settings.fetch_allow_hosts) as fetcher:
            yield FeedService(FeedRepository(db), stories, StoryService(stories), fetcher, settings=feed_settings)


def _words(values: list[str]) -> tuple[str, ...]:
    return tuple(word for value in values for word in split_words(value))


async def run(settings: Settings, args: argparse.Namespace) -> None:
    zone = settings.default_timezone  # the CLI reads no server's or user's schedule
    command = args.feed_command
    reply: Reply
    async with _service(settings, fetch=command == "add") as service:
        if command == "add":
            added = await service.add(
                args.url,
                GLOBAL,
                None,
                story=args.story,
                every=args.every,
                include=_words(args.include),
                exclude=_words(args.exclude),
            )
            reply = replies.added_reply(added, zone)
        elif command == "list":
            reply = replies.list_reply(await service.list(GLOBAL), zone)
        elif command == "remove":
            reply = replies.removed_reply(await service.remove(args.feed, GLOBAL))
        else:
            reply = replies.why_reply(await service.why(args.text, GLOBAL), zone)
    write_reply(replace(reply, ephemeral=False), sys.stdout)
