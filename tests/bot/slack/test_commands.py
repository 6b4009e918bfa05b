"""bot.slack.commands: every typed command form, as Slack sends its text, to a ParsedCommand or a usage error."""

from __future__ import annotations

import pytest

from bot.command_line import ParsedCommand, UsageError
from bot.slack.commands import COMMANDS, parse_command, specs_for
from bot.slack.manifest import SLASH_COMMANDS
from bot.text_render import shell_text


def parsed(command: str, text: str) -> tuple[str, dict[str, str]]:
    result = parse_command(command, text)
    return result.sub, dict(result.options)


@pytest.mark.parametrize(
    ("command", "text", "sub", "options"),
    [
        ("/story", "list", "list", {}),
        ("/story", "list 3", "list", {"page": "3"}),
        ("/story", "show zuck", "show", {"story": "zuck"}),
        ("/story", "show night ferry", "show", {"story": "night ferry"}),
        ("/story", "keypoints zuck", "keypoints", {"story": "zuck"}),
        ("/story", 'ask "night ferry" how many riders?', "ask", {"story": "night ferry",
                                                                 "question": "how many riders?"}),
        ("/story", "ask zuck what's next", "ask", {"story": "zuck", "question": "what's next"}),
        ("/story", "timeline zuck", "timeline", {"story": "zuck"}),
        ("/story", "search night ferry riders", "search", {"words": "night ferry riders"}),
        ("/story", "follow zuck", "follow", {"story": "zuck"}),
        ("/story", "follow night ferry here", "follow", {"story": "night ferry", "where": "here"}),
        ("/story", 'follow "night ferry" DM', "follow", {"story": "night ferry", "where": "DM"}),
        ("/story", "unfollow zuck here", "unfollow", {"story": "zuck", "where": "here"}),
        ("/story", "following", "following", {}),
        ("/story", "mute zuck 12", "mute", {"story": "zuck", "hours": "12"}),
        ("/story", "mute night ferry 2", "mute", {"story": "night ferry", "hours": "2"}),
        ("/story", "add Ferry strike ends. Riders return.", "add", {"text": "Ferry strike ends. Riders return."}),
        ("/story", "add <https://news.example/a?b=1&amp;c=2|news.example/a>", "add",
         {"text": "https://news.example/a?b=1&c=2"}),
        ("/story", "add https://news.example/a", "add", {"text": "https://news.example/a"}),
        ("/story", 'update "night ferry" The strike ended at 6.', "update", {"story": "night ferry",
                                                                            "text": "The strike ended at 6."}),
        ("/story", "remove zuck", "remove", {"story": "zuck"}),
        ("/story", "help", "help", {}),
        ("/digest", "setup <#C0NEWS01|news> 07:30 Europe/Paris", "setup", {"channel": "C0NEWS01",
                                                                           "channel_name": "news", "time": "07:30",
                                                                           "timezone": "Europe/Paris"}),
        ("/digest", "setup <#C0NEWS01|news> 7:05 Asia/Seoul weekdays", "setup",
         {"channel": "C0NEWS01", "channel_name": "news", "time": "7:05", "timezone": "Asia/Seoul",
          "days": "weekdays"}),
        ("/digest", "setup <#G0PRIV01> 18:00 UTC mon,wed,fri", "setup",
         {"channel": "G0PRIV01", "time": "18:00", "timezone": "UTC", "days": "mon,wed,fri"}),
        ("/digest", "setup <#C0NEWS01|news> 07:30 America/New York daily", "setup",
         {"channel": "C0NEWS01", "channel_name": "news", "time": "07:30", "timezone": "America/New York",
          "days": "daily"}),
        ("/digest", "show", "show", {}),
        ("/digest", "preview", "preview", {}),
        ("/digest", "now", "now", {}),
        ("/digest", "off", "off", {}),
        ("/digest", "help", "help", {}),
        ("/brief", "me", "me", {}),
        ("/brief", "me 07:30", "me", {"time": "07:30"}),
        ("/brief", "me 07:30 Europe/Paris", "me", {"time": "07:30", "timezone": "Europe/Paris"}),
        ("/brief", "me 07:30 weekdays", "me", {"time": "07:30", "days": "weekdays"}),
        ("/brief", "me Asia/Seoul mon-fri", "me", {"timezone": "Asia/Seoul", "days": "mon-fri"}),
        ("/brief", "me 06:45 Asia/Seoul sat,sun", "me", {"time": "06:45", "timezone": "Asia/Seoul",
                                                         "days": "sat,sun"}),
        ("/brief", "show", "show", {}),
        ("/brief", "off", "off", {}),
        ("/feed", "add https://news.example/rss", "add", {"link": "https://news.example/rss"}),
        ("/feed", "add <https://news.example/rss> story:zuck every:30 include:south korea exclude:sport", "add",
         {"link": "https://news.example/rss", "story": "zuck", "every": "30", "include": "south korea",
          "exclude": "sport"}),
        ("/feed", "list", "list", {}),
        ("/feed", "remove news.example", "remove", {"feed": "news.example"}),
        ("/feed", "why Ferry strike ends", "why", {"item": "Ferry strike ends"}),
    ],
)
def test_every_command_form(command: str, text: str, sub: str, options: dict[str, str]) -> None:
    assert parsed(command, text) == (sub, options)


def test_the_result_is_typed() -> None:
    result = parse_command("/story", 'ask "night ferry" how many riders?')
    assert result == ParsedCommand("story", "ask", {"story": "night ferry", "question": "how many riders?"})
    assert result.get("question") == "how many riders?" and result.get("nothing") is None


@pytest.mark.parametrize("command", ["/story", "/digest", "/brief", "/feed"])
def test_bare_command_or_help_is_help(command: str) -> None:
    assert parse_command(command, "") == ParsedCommand(command[1:], "help")
    assert parse_command(command, "   ") == ParsedCommand(command[1:], "help")
    assert parse_command(command, "HELP") == ParsedCommand(command[1:], "help")


def test_unknown_subcommand_is_help_naming_the_word() -> None:
    assert parse_command("/story", "frobnicate zuck") == ParsedCommand("story", "help", {"unknown": "frobnicate"})
    assert parse_command("/STORY", "Show zuck").sub == "show"  # Slack keeps the case the user typed


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("/story", "ask zuck", "Missing question. Usage: /story ask <story> <question…>"),
        ("/story", "show", "Missing story. Usage: /story show <story>"),
        ("/story", "mute zuck", "Missing hours. Usage: /story mute <story> <hours>"),
        ("/story", "mute zuck tomorrow", "`tomorrow` is not a whole number of hours."),
        ("/story", "list two", "`two` is not a page number. Usage: /story list [page]"),
        ("/story", "following everything", "I did not understand `everything`."),
        ("/digest", "setup #news 07:30 UTC", "`#news` is not a channel picked with #"),
        ("/digest", "setup <#C0NEWS01|news> seven UTC", "`seven` is not a time like 07:30."),
        ("/digest", "setup <#C0NEWS01|news>", "Missing time, timezone."),
        ("/digest", "now please", "I did not understand `please`. Usage: /digest now"),
        ("/weather", "today", "is not a briefbot command"),
    ],
)
def test_usage_errors(command: str, text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_command(command, text)
    assert message in shell_text(raised.value.markup)


def test_escapes_read_as_typed() -> None:
    """Slack escapes &, < and > and sends mentions as <@U…|name>: values read as the user typed them."""
    assert parsed("/story", "search AT&amp;T &lt;merger&gt;") == ("search", {"words": "AT&T <merger>"})
    assert parsed("/story", "ask zuck what did <@U0BOB0001|bob> say in <#C0NEWS01|news>?") == (
        "ask", {"story": "zuck", "question": "what did @bob say in #news?"}
    )
    assert parsed("/story", "ask zuck is <@U0BOB0001> right") == (
        "ask", {"story": "zuck", "question": "is @U0BOB0001 right"}
    )
    assert parsed("/story", "search <!here> <!subteam^S0TEAM|@editors>") == ("search", {"words": "@here @editors"})
    assert parsed("/story", "show &amp;copy;") == ("show", {"story": "&copy;"})  # decoded once, not twice


def test_a_mention_in_a_story_position_stays_one_word() -> None:
    assert parsed("/story", "follow <@U0BOB0001|bob> dm") == ("follow", {"story": "@bob", "where": "dm"})


def test_quotes_and_apostrophes() -> None:
    assert parsed("/story", "\u201cnight ferry\u201d") == ("help", {"unknown": "night ferry"})
    assert parsed("/story", "show \u201cnight ferry\u201d") == ("show", {"story": "night ferry"})
    assert parsed("/story", 'search "night ferry') == ("search", {"words": '"night ferry'})
    assert parsed("/story", "ask zuck what's Meta's plan") == ("ask", {"story": "zuck",
                                                                      "question": "what's Meta's plan"})
    assert parsed("/story", 'ask story:"night ferry" question:how many?') == (
        "ask", {"story": "night ferry", "question": "how many?"}
    )


def test_table_covers_the_manifest_and_marks_admin_commands() -> None:
    groups = {"/" + command.spec.path[0] for command in COMMANDS}
    assert groups == set(SLASH_COMMANDS)
    admin = {" ".join(command.spec.path) for command in COMMANDS if command.admin}
    assert admin == {"story add", "story update", "story remove", "digest setup", "digest now", "digest off",
                     "feed add", "feed remove"}
    assert [c.usage.split()[1] for c in specs_for("brief")] == ["me", "show", "off", "help"]
    for command in COMMANDS:  # every usage line parses, and names each parameter once
        names = [p.name for p in command.spec.params]
        assert len(names) == len(set(names)), command.usage
