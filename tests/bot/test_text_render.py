"""Tests for bot.text_render: replies styled with rich at a terminal, plain text elsewhere, never injectable."""

from __future__ import annotations

import io

from rich.console import Console

from bot import markup
from bot.cards import Card, CardField, Reply
from bot.text_render import plain, render_reply, rich_reply, shell_text, terminal_for, write_reply

BOLD = "\x1b[1m"
REPLY = Reply(
    text=markup.text(markup.bold("Your briefing"), " for today"),
    cards=(
        Card(
            title="Chip Supply",
            description=markup.text(
                "• ",
                markup.bold("Capacity"),
                ": new lines soon in ",
                markup.code("chips-2024"),
                " (",
                markup.link("source", "https://example.org/a"),
                ")",
            ),
            url="https://example.org/story",
            fields=(CardField("Why South Korea?", markup.text(markup.quote("AI Powerhouse: chips"))),),
            footer="chips-2024 · 01 Mar 2024 09:30 UTC",
        ),
    ),
)


class TerminalStream(io.StringIO):
    """A stream that says it is a terminal, as sys.stdout does at a shell."""

    def isatty(self) -> bool:
        return True


def styled(reply: Reply) -> str:
    stream = io.StringIO()
    Console(file=stream, force_terminal=True, color_system="standard", width=120).print(rich_reply(reply))
    return stream.getvalue()


def test_plain_text_shows_no_markdown_markers() -> None:
    text = render_reply(REPLY)
    assert "**" not in text and "`" not in text and "](" not in text
    assert "Your briefing for today" in text
    assert "• Capacity: new lines soon in chips-2024 (source <https://example.org/a>)" in text
    assert "== Chip Supply ==  <https://example.org/story>" in text
    assert "> AI Powerhouse: chips" in text  # a quote stays a readable `> ` line
    assert "\x1b" not in text


def test_plain_keeps_lone_markers_as_text() -> None:
    assert plain("5 * 3 * 2 = 30, 2**10, a_b_c") == "5 * 3 * 2 = 30, 2**10, a_b_c"


def test_a_str_is_literal_text_never_markup() -> None:
    literal = "**not bold** [not](https://a.example) `not code` <@&1>"
    assert plain(literal) == literal
    assert render_reply(Reply(text=literal)) == literal
    out = styled(Reply(text=literal))
    assert literal in out and BOLD not in out


def test_a_role_mention_is_named_never_pinged_and_a_shell_keeps_code_in_backticks() -> None:
    assert plain(markup.text("ping ", markup.role("discord:1", "news"))) == "ping @news"
    assert plain(markup.text("ping ", markup.role("discord:1"))) == "ping @role"
    assert shell_text(markup.text("Try ", markup.code("briefbot stories"), ".")) == "Try `briefbot stories`."


def test_rich_styles_bold_headings_and_shows_links_as_text_and_url() -> None:
    out = styled(REPLY)
    assert "**" not in out and "`" not in out
    assert f"{BOLD}Capacity" in out
    assert f"{BOLD}Your briefing" in out
    assert "source" in out and "<https://example.org/a>" in out
    assert "<https://example.org/story>" in out
    assert "Why South Korea?" in out


def test_story_text_cannot_inject_rich_markup_or_terminal_codes() -> None:
    hostile = Reply(
        text="[bold red]x[/]",
        cards=(
            Card(
                title="[bold red]x[/] [link=https://evil.example]click[/link]",
                description="**[blink]y[/blink]** \x1b[2Jcleared \x07bell",
                fields=(CardField("[reverse]n[/]", "> [red]q[/red]"),),
                footer=":warning: [dim]f[/]",
            ),
        ),
    )
    out = styled(hostile)
    assert "[bold red]x[/]" in out
    assert "[link=https://evil.example]click[/link]" in out and "evil.example\x1b" not in out
    assert "[blink]y[/blink]" in out and "[reverse]n[/]" in out and "[red]q[/red]" in out
    assert ":warning: [dim]f[/]" in out
    assert "\x1b[31m" not in out and "\x1b[1;31m" not in out and "\x1b[5m" not in out  # no red, no blink
    assert "\x1b[2J" not in out and "\x07" not in out
    text = render_reply(hostile)
    assert "[bold red]x[/]" in text and "\x1b" not in text and "\x07" not in text


def test_write_reply_is_styled_only_at_a_terminal() -> None:
    piped = io.StringIO()
    write_reply(REPLY, piped)
    assert piped.getvalue() == render_reply(REPLY) + "\n"
    terminal_stream = TerminalStream()
    write_reply(REPLY, terminal_stream)
    assert BOLD in terminal_stream.getvalue() and "**" not in terminal_stream.getvalue()
    assert terminal_for(piped) is None


def test_old_markdown_backslash_escapes_show_the_character_and_never_start_or_end_markup() -> None:
    """Old outbox rows hold the Markdown of the time: read as markup, the escapes are the characters."""

    def old(text: str) -> str:
        return plain(markup.from_markdown(text))

    assert old(r"\*\*not bold\*\* and \[not\](a link)") == "**not bold** and [not](a link)"
    assert old(r"**Seoul \*Herald\*** today") == "Seoul *Herald* today"
    assert old(r"\*not italic\*") == "*not italic*"
    assert old(r"a\\b and \d") == r"a\b and \d"  # a backslash before a letter stays
