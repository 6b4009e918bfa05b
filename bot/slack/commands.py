"""Slack's typed commands: the command table, and a slash command's text -> `ParsedCommand`.

Slack has no subcommand options and no autocomplete, so every command is one line of words, read by the same
parser as the console (`bot.command_line`): `/story ask "night ferry" how many riders?` is the subcommand
`ask`, the story `night ferry` and the question `how many riders?`.

What Slack does to the text before it reaches us: `&`, `<` and `>` typed by the user arrive as `&amp;`,
`&lt;` and `&gt;`; with `should_escape` (the manifest sets it for /digest) a channel picked with `#` arrives as
`<#C123|news>` and a user as `<@U123|bob>`; a link may arrive as `<https://…|label>`. Links become their
address, a channel parameter becomes its id (and `channel_name`), and in any other text a channel or user
reads as `#news` / `@bob`, as the user typed it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.command_line import CommandSpec, Param, ParsedCommand, UsageError, bind, parse_usage, split_words

__all__ = ["COMMANDS", "HELP", "SHAPES", "SlackCommand", "parse_command", "specs_for"]

HELP = "help"
VERBATIM = "text"  # `/story add <text or link>`, `/story update <story> <text…>`: kept with its line breaks

_CHANNEL = re.compile(r"<#(?P<id>[CG][A-Z0-9]+)(?:\|(?P<name>[^<>]*))?>|(?P<bare>[CG][A-Z0-9]{6,})")
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_DAY_ITEM = rf"{_DAY}(?:-{_DAY})?"
_DAYS = Param(
    "days",
    shape=re.compile(rf"daily|weekdays|weekends|{_DAY_ITEM}(?:,{_DAY_ITEM})*,?", re.I),
    hint="daily, weekdays or days like mon,wed,fri",
)
# Shapes decide which optional word is which (`/brief me 07:30 weekdays`); the core still checks the values.
SHAPES: dict[str, Param] = {
    "#channel": Param("channel", shape=_CHANNEL, hint="a channel picked with # (type # and choose one)"),
    "HH:MM": Param("time", shape=re.compile(r"\d[\d:.h]*(?:\s*[ap]\.?m\.?)?", re.I), hint="a time like 07:30"),
    "daily|weekdays|mon,wed,…": _DAYS,
    "days": _DAYS,
    "Area/City": Param("timezone"),
    "dm|here": Param("where", shape=re.compile(r"dm|here", re.I), hint="`dm` or `here`"),
    "hours": Param("hours", shape=re.compile(r"\d+"), hint="a whole number of hours"),
    "page": Param("page", shape=re.compile(r"\d+"), hint="a page number"),
    "text or link": Param("text"),
}


@dataclass(frozen=True, slots=True)
class SlackCommand:
    usage: str
    summary: str
    admin: bool = False  # a workspace admin or owner, or a user in SLACK_ADMIN_USERS

    @property
    def spec(self) -> CommandSpec:
        return parse_usage(self.usage, SHAPES)


COMMANDS: tuple[SlackCommand, ...] = (
    SlackCommand("/story list [page]", "Tracked stories here, newest development first."),
    SlackCommand("/story show <story>", "Summary, key points, source and the latest development."),
    SlackCommand("/story keypoints <story>", "Just the labelled key points."),
    SlackCommand("/story ask <story> <question…>", "Answer from the story's own text, quoting its sections."),
    SlackCommand("/story timeline <story>", "Every development, oldest first."),
    SlackCommand("/story search <words…>", "Find stories that mention something."),
    SlackCommand("/story follow <story> [dm|here]", "Be told what changed when it develops, by DM or here."),
    SlackCommand("/story unfollow <story> [dm|here]", "Stop following a story."),
    SlackCommand("/story following", "What you follow, and where."),
    SlackCommand("/story mute <story> <hours>", "Hold alerts for a while; they come in your next digest."),
    SlackCommand("/story add <text or link>", "Track a new story in this workspace.", admin=True),
    SlackCommand("/story update <story> <text…>", "Add a development to this workspace's story.", admin=True),
    SlackCommand("/story remove <story>", "Remove a story this workspace added.", admin=True),
    SlackCommand("/story help", "These commands."),
    SlackCommand(
        "/digest setup <#channel> <HH:MM> <Area/City> [daily|weekdays|mon,wed,…]",
        "Post a digest in a channel at your time.",
        admin=True,
    ),
    SlackCommand("/digest show", "The schedule, next run and last delivery."),
    SlackCommand("/digest preview", "What the next digest would say, only to you."),
    SlackCommand("/digest now", "Post the digest right away.", admin=True),
    SlackCommand("/digest off", "Stop the workspace's digest.", admin=True),
    SlackCommand("/digest help", "These commands."),
    SlackCommand("/brief me [HH:MM] [Area/City] [days]", "Your own digest by DM (your Slack time zone by default)."),
    SlackCommand("/brief show", "Your digest's schedule and last delivery."),
    SlackCommand("/brief off", "Stop your digest."),
    SlackCommand("/brief help", "These commands."),
    SlackCommand(
        "/feed add <link> [story:<story>] [every:<minutes>] [include:<words>] [exclude:<words>]",
        "Add a news feed, for one story or all of them.",
        admin=True,
    ),
    SlackCommand("/feed list", "Each feed, its story, last fetch and status."),
    SlackCommand("/feed remove <feed>", "Stop reading a feed.", admin=True),
    SlackCommand("/feed why <item…>", "What happened to a feed item, and why."),
    SlackCommand("/feed help", "These commands."),
)
_BY_PATH: dict[tuple[str, ...], tuple[SlackCommand, CommandSpec]] = {c.spec.path: (c, c.spec) for c in COMMANDS}
GROUPS: frozenset[str] = frozenset(path[0] for path in _BY_PATH)

_LINK = re.compile(r"<(?P<url>(?:https?|mailto):[^<>|\s]*)(?:\|[^<>]*)?>")
_MENTION = re.compile(r"<(?P<kind>[#@!])(?P<id>[^<>|]*)(?:\|(?P<label>[^<>]*))?>")


def specs_for(group: str) -> list[SlackCommand]:
    """The commands of one group (`story`), in the table's order: for the group's help."""
    return [command for path, (command, _) in _BY_PATH.items() if path[0] == group]


def _readable(value: str) -> str:
    """A value as the user typed it: `<#C1|news>` -> `#news`, `<@U1|bob>` -> `@bob`, entities decoded."""

    def shown(match: re.Match[str]) -> str:
        kind, ident, label = match["kind"], match["id"], match["label"]
        if kind == "!":  # <!here>, <!subteam^S1|@team>: a special mention, shown as its label or name
            return label or "@" + ident.split("^")[0]
        return kind + (label.lstrip(kind) if label else ident)

    return html.unescape(_MENTION.sub(shown, value))


def _channel(options: dict[str, str]) -> None:
    match = _CHANNEL.fullmatch(options["channel"])
    assert match is not None  # the shape matched when the word was bound
    options["channel"] = match["id"] or match["bare"]
    if match["name"]:
        options["channel_name"] = html.unescape(match["name"])


def _verbatim(line: str, value: str) -> str:
    """`value` (the last words, joined by single spaces) as typed at the end of `line`, line breaks kept: an
    article's title and paragraphs, an update's "- Label: text" bullets. `value` itself when it is not a tail."""
    for start in reversed([m.start() for m in re.finditer(r"(?<!\S)\S", line)]):
        tail = line[start:].strip()
        if len(tail) >= len(value) and " ".join(split_words(tail)) == value:
            return tail
    return value


def parse_command(command: str, text: str) -> ParsedCommand:
    """A slash command and its text as typed. A bare command, `help` or an unknown subcommand is the group's
    help (an unknown word is kept as option `unknown`). Raises UsageError, ending with the usage line."""
    group = command.strip().lstrip("/").lower()
    if group not in GROUPS:
        raise UsageError(f"/{group} is not a briefbot command.", " ".join(f"/{g}" for g in sorted(GROUPS)))
    line = _LINK.sub(lambda m: m["url"], text.strip())
    words = split_words(line)
    if not words or words[0].lower() == HELP:
        return ParsedCommand(group, HELP)
    found = _BY_PATH.get((group, words[0].lower()))
    if found is None:
        return ParsedCommand(group, HELP, {"unknown": _readable(words[0])})
    _, spec = found
    options = bind(spec, words[1:])
    if VERBATIM in options:
        options[VERBATIM] = _verbatim(line, options[VERBATIM])
    for name, value in options.items():
        if name != "channel":
            options[name] = _readable(value)
    if "channel" in options:
        _channel(options)
    return ParsedCommand(group, spec.path[1], options)
