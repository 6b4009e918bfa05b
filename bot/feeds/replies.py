"""How feed results look: platform-neutral replies for the `/feed` commands, the console and the CLI.

Feed text (titles, outlets) is escaped for the core's Markdown subset here; links are http(s) only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from bot.cards import Reply
from bot.feeds.service import FeedAdded, FeedRemoved, FeedSummary, WhyResult


def added_reply(added: FeedAdded, zone: tzinfo) -> Reply:
    raise NotImplementedError


def list_reply(feeds: Sequence[FeedSummary], zone: tzinfo) -> Reply:
    raise NotImplementedError


def removed_reply(removed: FeedRemoved) -> Reply:
    raise NotImplementedError


def why_reply(result: WhyResult, zone: tzinfo) -> Reply:
    raise NotImplementedError
