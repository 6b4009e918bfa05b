"""bot.slack.mrkdwn: the core's Markdown subset as Slack mrkdwn, with hostile text kept inert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards import Card, CardField, Reply
from bot.help_text import help_lines
from bot.slack.mrkdwn import WORD_JOINER, date_token, escape_text, link, plain_text, safe_url, to_mrkdwn
from bot.slack.render import render_reply
from bot.story_cards import bullet_lines
from bot.story_model import Story
from tests.bot.slack.safety import check_messages_are_safe, check_mrkdwn_is_safe

WJ = WORD_JOINER

# Untrusted story/feed text -> what Slack receives. Nothing here may become a ping or a foreign link.
HOSTILE = [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<!here|here>", "&lt;!here|here&gt;"),
    ("<!everyone>", "&lt;!everyone&gt;"),
    ("<@U123ABC>", "&lt;@U123ABC&gt;"),
    ("<#C123|general>", "&lt;#C123|general&gt;"),
    ("<!subteam^S1|@team>", "&lt;!subteam^S1|@team&gt;"),
    ("<https://evil.example|your bank>", "&lt;https://evil.example|your bank&gt;"),
    ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
    ("@here and @channel and @Everyone", f"@{WJ}here and @{WJ}channel and @{WJ}Everyone"),
    ("**<!here>** now", "*&lt;!here&gt;* now"),
    ("`<!channel>` and `@here`", f"`&lt;!channel&gt;` and `@{WJ}here`"),
    ("[<!channel>](https://ok.example/a)", "<https://ok.example/a|&lt;!channel&gt;>"),
    ("[x](https://ok.example/?q=<!here>)", "<https://ok.example/?q=%3C!here%3E|x>"),
    ("[x](https://ok.example/a|<https://evil.example>)", "<https://ok.example/a%7C%3Chttps://evil.example%3E|x>"),
    ("[a|https://evil.example](https://ok.example)", "<https://ok.example|a\u2223https://evil.example>"),
    ("[x](https://ok.example/?a=1&b=2)", "<https://ok.example/?a=1&amp;b=2|x>"),
    ("[click](javascript:alert(1))", "click (javascript:alert(1))"),
    ("[click](data:text/html,<b>)", "click (data:text/html,&lt;b&gt;)"),
    ("[click](//evil.example/x)", "click (//evil.example/x)"),
    ("[mail](mailto:a@b.example)", "mail (mailto:a@b.example)"),
    ("[no host](https:///path)", "no host (https:///path)"),
    ("> quoted & <b>", "&gt; quoted &amp; &lt;b&gt;"),
]

# The core's own Markdown -> mrkdwn.
FORMATTING = [
    ("**Title**", "*Title*"),
    ("• **Meetings**: with Samsung", "• *Meetings*: with Samsung"),
    ("*(Manage Server)*", "_(Manage Server)_"),
    ("_already italic_", "_already italic_"),
    ("`/story list`: stories", "`/story list`: stories"),
    ("Ferry ([source](https://news.example/a))", "Ferry (<https://news.example/a|source>)"),
    ("[w](https://en.wikipedia.org/wiki/Foo_(bar))", "<https://en.wikipedia.org/wiki/Foo_(bar)|w>"),
    ("**From [the story](https://a.example)**", "*From <https://a.example|the story>*"),
    ("2 * 3 * 4 and snake_case_name", "2 * 3 * 4 and snake_case_name"),
    ("line one\n\nline **two**\n", "line one\n\nline *two*\n"),
    ("[Source](https://a.example/é?q=ü)", "<https://a.example/%C3%A9?q=%C3%BC|Source>"),
]


@pytest.mark.parametrize(("markdown", "expected"), HOSTILE)
def test_hostile_text_stays_inert(markdown: str, expected: str) -> None:
    rendered = to_mrkdwn(markdown)
    assert rendered == expected
    check_mrkdwn_is_safe(rendered)


@pytest.mark.parametrize(("markdown", "expected"), FORMATTING)
def test_core_markdown_becomes_mrkdwn(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


def test_help_and_key_points_from_the_core(seed_story: Story) -> None:
    lines = "\n".join(help_lines())
    rendered = to_mrkdwn(lines)
    assert "`/story list [page]`: Tracked stories here" in rendered
    assert "_(Manage Server)_" in rendered and "**" not in rendered
    points = to_mrkdwn(bullet_lines(seed_story.key_points))
    for bullet in seed_story.key_points:
        assert f"• *{bullet.label}*: " in points
    assert rendered.count("\n") == lines.count("\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel> now", f"<{WJ}!channel> now"),
        ("<@U1> <#C1> <!subteam^S1>", f"<{WJ}@U1> <{WJ}#C1> <{WJ}!subteam^S1>"),
        ("ping @here & <b>", f"ping @{WJ}here & <b>"),  # plain_text is shown as is: no escapes needed
    ],
)
def test_plain_text_has_no_pings(text: str, expected: str) -> None:
    assert plain_text(text) == expected


def test_escape_text_and_links() -> None:
    assert escape_text("a & b < c > d @everyone") == f"a &amp; b &lt; c &gt; d @{WJ}everyone"
    assert safe_url("HTTPS://Ok.example/x") == "HTTPS://Ok.example/x"
    assert safe_url("https://[::1") is None  # malformed IPv6 host
    assert safe_url("ftp://files.example/x") is None
    # A link too long to keep whole in a section field is shown as text, still escaped.
    long_url = "https://ok.example/" + "a" * 1200
    assert link(long_url, "x <y>") == f"x &lt;y&gt; ({long_url})"


def test_bold_never_spans_another_bold_marker() -> None:
    # A bold run that could cross `**` made the scan quadratic on untrusted text ("**a " * 25,000 took minutes).
    assert to_mrkdwn("**a **b**") == "**a *b*"
    hostile = "**a " * 25_000
    assert to_mrkdwn(hostile) == hostile


def test_date_token_is_readers_local_time_with_utc_fallback() -> None:
    moment = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert date_token(moment) == "<!date^1709285400^{date_short_pretty} {time}|2024-03-01 09:30 UTC>"


# --- properties --------------------------------------------------------------------------------------------

FRAGMENTS = [
    "<!channel>", "<!here>", "<!everyone>", "<@U123ABC>", "<@W1|bob>", "<#C123|general>", "<!subteam^S1>",
    "<!subteam^S1|@team>", "<https://evil.example|x>", "<javascript:alert(1)|click>", "<mailto:a@b.c>",
    "@channel", "@here", "@Everyone", "&", "&lt;", "&amp;lt;!channel&amp;gt;", "**", "*", "_", "`", "[", "]",
    "(", ")", "|", ">", "<", "!", "@", "#", "^", "[x](https://ok.example/a?b=1&c=2)", "[x](javascript:alert(1))", "[x](ftp://evil.example/a)",
    "[<!here>](https://ok.example/<!here>)", "[a|b](https://ok.example/|x)", "](", "https://", "http://x", "\n",
    " ", "• ", "a", "word", "é", "\u200d", "\u2060", "…", "👍🏽",
]
hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
)
urls = st.one_of(
    hostile_text,
    st.sampled_from(["https://news.example/a?b=1&c=2", "http://x.example/<!here>|y", "javascript:alert(1)",
                     "ftp://evil.example/x", "https://ok.example/(a)", " https://ok.example/ "]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
def test_any_text_converts_to_safe_mrkdwn(text: str) -> None:
    check_mrkdwn_is_safe(to_mrkdwn(text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text, title=hostile_text, name=hostile_text, footer=hostile_text, url=urls)
def test_any_reply_renders_safe_messages(text: str, title: str, name: str, footer: str, url: str) -> None:
    card = Card(
        title=title,
        description=text,
        fields=(CardField(name, text), CardField(name, footer, inline=True), CardField(text, name, inline=True)),
        url=url or None,
        footer=footer,
        timestamp=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
    )
    untitled = Card(description=footer, url=url or None)
    messages = render_reply(Reply(text=text, cards=(card, untitled)))
    targets = check_messages_are_safe(messages)
    assert all(target.lower().startswith(("http://", "https://")) for target in targets)
