"""bot.command_line: usage lines -> specs, and words bound to parameters by name, position and shape."""

from __future__ import annotations

import re

import pytest

from bot.command_line import CommandSpec, Param, UsageError, bind, parse_usage, split_words
from bot.errors import UserError
from bot.text_render import shell_text

HOURS = Param("hours", shape=re.compile(r"\d+"), hint="a number of hours")
WHERE = Param("where", shape=re.compile(r"dm|here"), hint="`dm` or `here`")
TIME = Param("time", shape=re.compile(r"\d\d:\d\d"), hint="a time like 07:30")
DAYS = Param("days", shape=re.compile(r"daily|weekdays"), hint="daily or weekdays")
SHAPES = {"hours": HOURS, "dm|here": WHERE, "HH:MM": TIME, "days": DAYS}


def words(line: str) -> list[str]:
    return split_words(line)


def test_usage_line_becomes_a_spec() -> None:
    spec = parse_usage("/story follow <story> [dm|here]", SHAPES)
    assert spec.path == ("story", "follow")
    assert spec.usage == "/story follow <story> [dm|here]"
    story, where = spec.params
    assert story == Param("story", rest=True)  # the last parameter without a shape takes the rest
    assert where.name == "where" and where.optional and where.shape is WHERE.shape


def test_usage_marks_rest_and_named_only_parameters() -> None:
    spec = parse_usage("/feed add <link> [story:<story>] [every:<minutes>]")
    link, story, every = spec.params
    assert link.rest and not link.named_only
    assert story.named_only and story.optional and not story.rest
    assert every.name == "every" and every.named_only
    ask = parse_usage("/story ask <story> <question…>")
    assert [(p.name, p.rest) for p in ask.params] == [("story", False), ("question", True)]
    assert parse_usage("/story add <text or link>").params[0].name == "text_or_link"


@pytest.mark.parametrize(
    ("usage", "line", "options"),
    [
        ("/s ask <story> <question…>", '"night ferry" how many riders?', {"story": "night ferry",
                                                                        "question": "how many riders?"}),
        ("/s ask <story> <question…>", "spacex what's next", {"story": "spacex", "question": "what's next"}),
        ("/s ask <story> <question…>", "question:why korea story:zuck", {"story": "zuck", "question": "why korea"}),
        ("/s show <story>", "night ferry", {"story": "night ferry"}),
        ("/s follow <story> [dm|here]", "night ferry here", {"story": "night ferry", "where": "here"}),
        ("/s follow <story> [dm|here]", "night ferry", {"story": "night ferry"}),
        ("/s mute <story> <hours>", "night ferry 12", {"story": "night ferry", "hours": "12"}),
        ("/s me [HH:MM] [zone] [days]", "07:30 weekdays", {"time": "07:30", "days": "weekdays"}),
        ("/s me [HH:MM] [zone] [days]", "Europe/Paris", {"zone": "Europe/Paris"}),
        ("/s me [HH:MM] [zone] [days]", "", {}),
        ("/s setup <HH:MM> <zone> [days]", "07:30 America/New York daily", {"time": "07:30",
                                                                           "zone": "America/New York",
                                                                           "days": "daily"}),
        ("/s list [page]", "", {}),
    ],
)
def test_bind(usage: str, line: str, options: dict[str, str]) -> None:
    spec = parse_usage(usage, SHAPES)
    assert bind(spec, words(line)) == options


@pytest.mark.parametrize(
    ("usage", "line", "message"),
    [
        ("/s ask <story> <question…>", "zuck", "Missing question. Usage: /s ask <story> <question…>"),
        ("/s ask <story> <question…>", "", "Missing story, question."),
        ("/s mute <story> <hours>", "zuck", "Missing hours."),
        ("/s mute <story> <hours>", "zuck soon", "`soon` is not a number of hours."),
        ("/s setup <HH:MM> <zone>", "seven UTC", "`seven` is not a time like 07:30."),
        ("/s list [days]", "often", "`often` is not daily or weekdays."),
        ("/s list [days]", "daily often", "I did not understand `often`."),
        ("/s following", "everything", "I did not understand `everything`."),
    ],
)
def test_bind_errors_name_the_problem_and_the_usage(usage: str, line: str, message: str) -> None:
    spec = parse_usage(usage, SHAPES)
    with pytest.raises(UsageError) as raised:
        bind(spec, words(line))
    assert message in shell_text(raised.value.markup)
    assert raised.value.usage == usage
    assert isinstance(raised.value, UserError)  # shown to the user as is, ephemeral in chat


def test_ignore_extra_drops_words_no_parameter_takes() -> None:
    spec = CommandSpec(("help",), (), "/help")
    assert bind(spec, ["me", "please"], ignore_extra=True) == {}
    with pytest.raises(UsageError):
        bind(spec, ["me", "please"])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('ask "night ferry" how many riders?', ["ask", "night ferry", "how", "many", "riders?"]),
        ("what's Meta's plan", ["what's", "Meta's", "plan"]),
        ('"night ferry', ['"night', "ferry"]),
        ('story:"night ferry" dm', ["story:night ferry", "dm"]),
        ("\u201cnight ferry\u201d", ["night ferry"]),
    ],
)
def test_split_words(line: str, expected: list[str]) -> None:
    assert split_words(line) == expected
