"""bot.slack.mrkdwn: the core's neutral markup as Slack mrkdwn, with hostile text kept inert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import markup
from bot.cards import Card, CardField, Reply
from bot.help_text import help_lines
from bot.markup import Markup, Span
from bot.slack.mrkdwn import WORD_JOINER, date_token, escape_text, link, plain_text, safe_url, to_mrkdwn
from bot.slack.render import render_reply
from bot.story_cards import bullet_lines
from bot.story_model import Story
from tests.bot.slack.safety import check_messages_are_safe, check_mrkdwn_is_safe

WJ = WORD_JOINER

# Untrusted story/feed text, as the core holds it (plain spans), -> what Slack receives.
# Nothing here may become a ping, a foreign link or markup it did not ask for.
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
    ("**<!here>** now", "**&lt;!here&gt;** now"),
    ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),
    ("[<!channel>](https://ok.example/a)", "[&lt;!channel&gt;](https://ok.example/a)"),
    ("> quoted & <b>", "&gt; quoted &amp; &lt;b&gt;"),
]

# Spans the core builds -> mrkdwn. Text inside a span is as untrusted as any.
SPANS: list[tuple[Markup, str]] = [
    (markup.text(markup.bold("Title")), "*Title*"),
    (markup.text("• ", markup.bold("Meetings"), ": with Samsung"), "• *Meetings*: with Samsung"),
    (markup.text(markup.bold(" padded ")), " *padded* "),
    (markup.text(markup.bold("<!here>"), " now"), "*&lt;!here&gt;* now"),
    (markup.text(markup.code("/story list"), ": stories"), "`/story list`: stories"),
    (markup.text(markup.code("<!channel>"), " and ", markup.code("@here")), f"`&lt;!channel&gt;` and `@{WJ}here`"),
    (markup.text(markup.code("a`b")), "`aˋb`"),
    (markup.text("Ferry (", markup.link("source", "https://news.example/a"), ")"), "Ferry (<https://news.example/a|source>)"),
    (markup.text(markup.link("w", "https://en.wikipedia.org/wiki/Foo_(bar)")), "<https://en.wikipedia.org/wiki/Foo_(bar)|w>"),
    (markup.text(markup.link("<!channel>", "https://ok.example/a")), "<https://ok.example/a|&lt;!channel&gt;>"),
    (markup.text(markup.link("x", "https://ok.example/?q=<!here>")), "<https://ok.example/?q=%3C!here%3E|x>"),
    (
        markup.text(markup.link("x", "https://ok.example/a|<https://evil.example>")),
        "<https://ok.example/a%7C%3Chttps://evil.example%3E|x>",
    ),
    (markup.text(markup.link("a|https://evil.example", "https://ok.example")), "<https://ok.example|a\u2223https://evil.example>"),
    (markup.text(markup.link("x", "https://ok.example/?a=1&b=2")), "<https://ok.example/?a=1&amp;b=2|x>"),
    (markup.text(markup.link("click", "javascript:alert(1)")), "click (javascript:alert(1))"),
    (markup.text(markup.link("click", "data:text/html,<b>")), "click (data:text/html,&lt;b&gt;)"),
    (markup.text(markup.link("click", "//evil.example/x")), "click (//evil.example/x)"),
    (markup.text(markup.link("mail", "mailto:a@b.example")), "mail (mailto:a@b.example)"),
    (markup.text(markup.link("no host", "https:///path")), "no host (https:///path)"),
    (markup.text(markup.link("Source", "https://a.example/é?q=ü")), "<https://a.example/%C3%A9?q=%C3%BC|Source>"),
    (markup.text(markup.quote("quoted & <b>\nsecond")), "&gt; quoted &amp; &lt;b&gt;\n&gt; second"),
    (markup.text("ping ", markup.role("discord:123", "news")), "ping @news"),
    (markup.text("ping ", markup.role("slack:S1")), "ping @role"),
    (markup.text("ping ", markup.role("slack:S1", "here")), f"ping @{WJ}here"),
    (markup.text("in ", markup.channel("slack:C0NEWS01")), "in <#C0NEWS01>"),
    (markup.text("in ", markup.channel("slack:c0<!here>")), "in #c0&lt;!here&gt;"),  # not a channel id: text
    (markup.text("in ", markup.channel("slack:C0NEWS01", "news")), "in #news"),
    (markup.text("line one\n\nline ", markup.bold("two"), "\n"), "line one\n\nline *two*\n"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_hostile_text_stays_inert(text: str, expected: str) -> None:
    for value in (text, markup.text(text)):  # a str is literal text, like a plain span
        rendered = to_mrkdwn(value)
        assert rendered == expected
        check_mrkdwn_is_safe(rendered)


@pytest.mark.parametrize(("value", "expected"), SPANS)
def test_each_span_becomes_mrkdwn(value: Markup, expected: str) -> None:
    rendered = to_mrkdwn(value)
    assert rendered == expected
    check_mrkdwn_is_safe(rendered)


def test_help_and_key_points_from_the_core(seed_story: Story) -> None:
    lines = markup.join("\n", help_lines(admin="a workspace admin"))
    rendered = to_mrkdwn(lines)
    assert "`/story list [page]`: Tracked stories here" in rendered
    assert "(a workspace admin)" in rendered and "Manage Server" not in rendered and "**" not in rendered
    assert "`/story following` lists your follows" in rendered
    points = to_mrkdwn(bullet_lines(seed_story.key_points))
    for bullet in seed_story.key_points:
        assert f"• *{bullet.label}*: " in points
    assert rendered.count("\n") == lines.plain.count("\n")


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


def test_markdown_in_text_is_never_read() -> None:
    # Text is never scanned for markup, so nothing in it can be slow: 100,000 characters of `**a ` stay as they are.
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


def _span(kind: str, text: str, url: str) -> Span:
    return {
        "text": lambda: markup.Span(markup.Kind.TEXT, text),
        "bold": lambda: markup.bold(text),
        "code": lambda: markup.code(text),
        "link": lambda: markup.link(text, url),
        "quote": lambda: markup.quote(text),
        "role": lambda: markup.role(f"slack:{url}", text),
        "channel": lambda: markup.channel(f"slack:{url}", text),
    }[kind]()


hostile_markup = st.lists(
    st.builds(_span, st.sampled_from(["text", "bold", "code", "link", "quote", "role", "channel"]), hostile_text, urls),
    max_size=8,
).map(lambda spans: markup.join("\n", spans))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text, value=hostile_markup)
def test_any_text_converts_to_safe_mrkdwn(text: str, value: Markup) -> None:
    check_mrkdwn_is_safe(to_mrkdwn(text))
    check_mrkdwn_is_safe(to_mrkdwn(value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text, title=hostile_text, name=hostile_text, footer=hostile_text, url=urls, value=hostile_markup)
def test_any_reply_renders_safe_messages(  # noqa: PLR0913
    text: str, title: str, name: str, footer: str, url: str, value: Markup
) -> None:
    card = Card(
        title=title,
        description=value,
        fields=(CardField(name, text), CardField(name, value, inline=True), CardField(text, name, inline=True)),
        url=url or None,
        footer=footer,
        timestamp=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
    )
    untitled = Card(description=footer, url=url or None)
    messages = render_reply(Reply(text=markup.text(text, value), cards=(card, untitled)))
    targets = check_messages_are_safe(messages)
    assert all(target.lower().startswith(("http://", "https://")) for target in targets)
