"""bot.markup: neutral spans, built from plain text that is never read as markup, stored and read back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import markup
from bot.markup import Kind, Markup, Span


def test_text_joins_strings_spans_and_markup_merging_plain_text() -> None:
    built = markup.text("Stopped ", "following ", markup.bold("Chips"), markup.text(".", None, ""))
    assert built.spans == (Span(Kind.TEXT, "Stopped following "), Span(Kind.BOLD, "Chips"), Span(Kind.TEXT, "."))
    assert built.plain == "Stopped following Chips."
    assert built + "!" == markup.text(built, "!") and "> " + built == markup.text("> ", built)


def test_untrusted_text_is_a_plain_span_never_parsed() -> None:
    hostile = "**x** [y](javascript:alert(1)) <@&1> `z` @everyone <!channel>"
    built = markup.text("Title: ", hostile)
    assert [span.kind for span in built.spans] == [Kind.TEXT]
    assert built.plain == f"Title: {hostile}"
    assert markup.plain(hostile) == hostile  # a str is literal text too


def test_plain_renders_each_span_readably() -> None:
    value = markup.text(
        markup.code("/story list"),
        " ",
        markup.link("source", "https://a.example"),
        " ",
        markup.link("https://b.example", "https://b.example"),
        " ",
        markup.role("discord:1", "news"),
        " ",
        markup.role("discord:1"),
        " ",
        markup.channel("slack:C1", "general"),
        "\n",
        markup.quote("one\ntwo"),
    )
    expected = "/story list source <https://a.example> <https://b.example> @news @role #general\n> one\n> two"
    assert value.plain == expected


def test_a_markup_cannot_be_formatted_into_a_str_by_mistake() -> None:
    value = markup.text(markup.bold("x"))
    with pytest.raises(TypeError, match="markup.text"):
        f"{value}"  # noqa: B018


def test_empty_markup_is_false_and_strip_trims_plain_text_only() -> None:
    assert not markup.text() and not markup.text("") and markup.text(" ")
    assert markup.text("  a ", markup.bold(" b "), "  ").strip() == markup.text("a ", markup.bold(" b "))
    assert markup.text("   ").strip() == Markup()


def test_lines_cut_plain_text_at_newlines_only() -> None:
    value = markup.text(markup.bold("Title"), "\nsecond ", markup.code("c"), "\n", markup.quote("q\nr"))
    assert markup.lines(value) == [
        markup.text(markup.bold("Title")),
        markup.text("second ", markup.code("c")),
        markup.text(markup.quote("q\nr")),
    ]


def test_code_is_one_line_and_a_link_without_label_shows_its_url() -> None:
    assert markup.code("a\nb").text == "a b"
    assert markup.link("", " https://a.example ") == Span(Kind.LINK, " https://a.example ", "https://a.example")


spans = st.one_of(
    st.text(max_size=20).map(lambda t: Span(Kind.TEXT, t)),
    st.text(max_size=20).map(markup.bold),
    st.text(max_size=20).map(markup.code),
    st.text(max_size=20).map(markup.quote),
    st.builds(markup.link, st.text(max_size=20), st.text(max_size=30)),
    st.builds(markup.role, st.text(min_size=1, max_size=20), st.text(max_size=10)),
    st.builds(markup.channel, st.text(min_size=1, max_size=20), st.text(max_size=10)),
)


@given(st.lists(spans, max_size=8))
def test_any_markup_round_trips_through_json(parts: list[Span]) -> None:
    value = markup.text(*parts)
    assert markup.from_json(markup.to_json(value)) == value


def test_a_str_stays_a_str_in_json() -> None:
    assert markup.to_json("**literal**") == "**literal**"
    assert markup.from_json("**literal**") == "**literal**"
    with pytest.raises(ValueError, match="unknown stored span"):
        markup.from_json([{"blink": "x"}])


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ("**Title**\nbody", markup.text(markup.bold("Title"), "\nbody")),
        ("• **Label**: text", markup.text("• ", markup.bold("Label"), ": text")),
        ("see `/story list`", markup.text("see ", markup.code("/story list"))),
        ("a ([source](https://a.example/x))", markup.text("a (", markup.link("source", "https://a.example/x"), ")")),
        ("[s](<https://a.example/x>)", markup.text(markup.link("s", "https://a.example/x"))),
        ("ping <@&123> in <#456>", markup.text("ping ", markup.role("123"), " in ", markup.channel("456"))),
        ("> quoted\nnot", markup.text(markup.quote("quoted"), "\nnot")),
        (r"\*\*not bold\*\* a\_b", markup.text("**not bold** a_b")),
        ("*(Manage Server)*", markup.text("(Manage Server)")),
        ("5 * 3 * 2, 2**10", markup.text("5 * 3 * 2, 2**10")),
    ],
)
def test_old_markdown_reads_as_the_markup_it_meant(old: str, expected: Markup) -> None:
    assert markup.from_markdown(old) == expected


def test_help_names_the_admin_requirement_as_each_platform_words_it() -> None:
    from bot.discord.render import ADMIN_REQUIREMENT as DISCORD
    from bot.help_text import ALL_COMMANDS, help_lines
    from bot.slack.render import ADMIN_REQUIREMENT as SLACK

    admin = [c.admin for c in ALL_COMMANDS]
    assert any(admin) and not all(admin)
    console = [line.plain for line in help_lines()]
    assert not any("(" in line.rsplit(": ", 1)[-1] and "Manage" in line for line in console)
    for wording in (DISCORD, SLACK):
        lines = [line.plain for line in help_lines(admin=wording)]
        assert [line.endswith(f"({wording})") for line in lines] == admin
    assert DISCORD == "Manage Server" and "SLACK_ADMIN_USERS" in SLACK


def test_the_core_writes_no_platform_syntax_or_wording() -> None:
    """Cards are built from spans: no Discord Markdown, pings or "Manage Server" in the core's own text."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "bot"
    renderers = {"markup.py", "markdown.py", "text_render.py", "text.py", "limits.py"}
    pattern = re.compile(r"""f?["'][^"'\n]*(\*\*\{|\]\(\{|<@&|<#\{|Manage Server|`\{)""")
    found = [
        f"{path.relative_to(root)}: {line.strip()}"
        for path in sorted([*root.glob("*.py"), *root.glob("feeds/*.py")])
        if path.name not in renderers
        for line in path.read_text(encoding="utf-8").splitlines()
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []
