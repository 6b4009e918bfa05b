"""What each command does, in one place: used by /help, the console and the command descriptions."""

from __future__ import annotations

from dataclasses import dataclass

from bot import markup
from bot.markup import Markup


@dataclass(frozen=True, slots=True)
class CommandHelp:
    usage: str
    summary: str
    admin: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        """The command's words without its options: `/story ask <story> <question>` -> ("story", "ask")."""
        return tuple(word for word in self.usage.lstrip("/").split() if not word.startswith(("<", "[")))


STORY_COMMANDS = (
    CommandHelp("/story list [page]", "Tracked stories here, newest development first."),
    CommandHelp("/story show <story>", "Summary, key points, source and the latest development."),
    CommandHelp("/story keypoints <story>", "Just the labelled key points."),
    CommandHelp("/story ask <story> <question>", "Answer from the story's own text, quoting its sections."),
    CommandHelp("/story timeline <story>", "Every development, oldest first."),
    CommandHelp("/story search <query>", "Find stories that mention something."),
    CommandHelp("/story follow <story> [where] [ping]", "Be told what changed when it develops, by DM or here."),
    CommandHelp("/story unfollow <story>", "Stop following; `/story following` lists your follows."),
    CommandHelp("/story mute <story> <hours>", "Hold alerts for a while; they come in your next digest."),
    CommandHelp("/story add <file|text|link>", "Track a new story here (a link fetches the page).", admin=True),
    CommandHelp("/story update <story> <text> [url]", "Add a development to this server's story.", admin=True),
    CommandHelp("/story remove <story>", "Remove a story this server added.", admin=True),
)

DIGEST_COMMANDS = (
    CommandHelp("/digest setup <channel> <time> <timezone> [days]", "Post a digest here at your time.", admin=True),
    CommandHelp("/digest show", "The schedule, next run and last delivery."),
    CommandHelp("/digest preview", "What the next digest would say, only to you."),
    CommandHelp("/digest now", "Post the digest right away.", admin=True),
    CommandHelp("/digest off", "Stop the server's digest.", admin=True),
    CommandHelp("/brief me <time> <timezone> [days]", "Your own digest by DM; `/brief off` stops it."),
)

FEED_COMMANDS = (
    CommandHelp(
        "/feed add <url> [story] [every] [include] [exclude]",
        "Watch a news feed; items that develop a story here alert its followers.",
        admin=True,
    ),
    CommandHelp("/feed list", "Each feed: its story, interval, last fetch, status and items."),
    CommandHelp("/feed remove <feed>", "Stop watching a feed.", admin=True),
    CommandHelp("/feed why <item>", "What happened to a feed item, and why (a link or words of its title)."),
)

ALL_COMMANDS = (*STORY_COMMANDS, *DIGEST_COMMANDS, *FEED_COMMANDS, CommandHelp("/help", "This list."))


def help_lines(commands: tuple[CommandHelp, ...] = ALL_COMMANDS, admin: str | None = None) -> list[Markup]:
    """One line per command. `admin`: how the platform names who may run admin commands, shown after theirs
    (the console runs as its operator and passes None)."""
    note = f" ({admin})" if admin else ""
    return [markup.text(markup.code(c.usage), ": ", _summary(c.summary), note if c.admin else "") for c in commands]


def _summary(summary: str) -> Markup:
    """A summary names commands in backticks (plain in a command's description): code spans in help."""
    return markup.text(*(markup.code(part) if index % 2 else part for index, part in enumerate(summary.split("`"))))
