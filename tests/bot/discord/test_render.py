"""bot.discord.render and bot.markdown: markup as the Markdown Discord is sent, escaped, within Discord's limits."""

from __future__ import annotations

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import markup
from bot.cards import Card, CardField, Reply
from bot.discord.render import message_parts, part_kwargs, to_embed
from bot.limits import MAX_CONTENT, MAX_DESCRIPTION, MAX_FIELD_VALUE, paginate, size, split_content
from bot.markdown import to_markdown
from bot.markup import Markup, Span

# Untrusted text in a plain span -> what Discord is sent: nothing in it formats, links or pings.
HOSTILE = [
    ("**bold** __u__ ~~s~~ ||spoiler||", r"\*\*bold\*\* \_\_u\_\_ \~\~s\~\~ \|\|spoiler\|\|"),
    ("[click](javascript:alert(1))", r"\[click\](javascript:alert(1))"),
    ("<@123> <@&456> <#789> @everyone @here", r"\<@123\> \<@&456\> \<#789\> @everyone @here"),
    ("<!channel>", r"\<!channel\>"),
    ("# heading\n> quote\n- item", "\\# heading\n\\> quote\n\\- item"),
    ("`code` C:\\path", "\\`code\\` C:\\\\path"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_plain_text_is_escaped(text: str, expected: str) -> None:
    assert to_markdown(markup.text(text)) == expected
    assert to_markdown(text) == expected  # a str is literal text, like a plain span


SPANS: list[tuple[Markup, str]] = [
    (markup.text("Stopped following ", markup.bold("Chips"), "."), "Stopped following **Chips**."),
    (markup.text(markup.bold("**x** <@&1>")), r"**\*\*x\*\* \<@&1\>**"),
    (markup.text(markup.bold("#3 - a")), r"**#3 - a**"),  # inside the marks nothing starts a line
    (markup.text(markup.code("/story list")), "`/story list`"),
    (markup.text(markup.code("a`b")), "`aˋb`"),  # a backtick cannot end the code early
    (markup.text(markup.link("source", "https://a.example/x")), "[source](<https://a.example/x>)"),
    (
        markup.text(markup.link("[x](y)", "https://a.example/(a) b>")),
        r"[\[x\](y)](<https://a.example/%28a%29%20b%3E>)",
    ),
    (markup.text(markup.link("click", "javascript:alert(1)")), r"click \<javascript:alert(1)\>"),
    (markup.text(markup.link("x", "//evil.example")), r"x \<//evil.example\>"),
    (markup.text(markup.quote("one *a*\n# two")), "> one \\*a\\*\n> \\# two"),
    (markup.text("ping ", markup.role("discord:123")), "ping <@&123>"),
    (markup.text("ping ", markup.role("123")), "ping <@&123>"),  # a bare id, as rows held before ids were qualified
    (markup.text("ping ", markup.role("slack:S1", "team")), "ping @team"),
    (markup.text("in ", markup.channel("discord:456")), "in <#456>"),
    (markup.text("in ", markup.channel("slack:C1", "news")), "in #news"),
    (markup.text("x", markup.bold(" ")), "x "),
]


@pytest.mark.parametrize(("value", "expected"), SPANS)
def test_each_span_becomes_discord_markdown(value: Markup, expected: str) -> None:
    assert to_markdown(value) == expected


def test_an_embed_escapes_literal_titles_and_names_and_renders_markup() -> None:
    card = Card(
        title="**Big** <@&1>",
        description=markup.text("From ", markup.bold("Chips")),
        fields=(CardField("[n](https://x.example)", markup.text(markup.link("Source", "https://a.example"))),),
        url="https://a.example/story",
        footer="chips · **not** bold",
    )
    embed = to_embed(card)
    assert embed.title == r"\*\*Big\*\* \<@&1\>"
    assert embed.description == "From **Chips**"
    assert embed.fields[0].name == r"\[n\](https://x.example)"
    assert embed.fields[0].value == "[Source](<https://a.example>)"
    assert embed.footer.text == "chips · **not** bold"  # footers show no Markdown: sent as they are


def test_a_reply_mentions_nobody() -> None:
    reply = Reply(text=markup.text("ping ", markup.role("discord:1")))
    [part] = message_parts(reply)
    kwargs = part_kwargs(part)
    assert kwargs["content"] == "ping <@&1>"
    mentions = kwargs["allowed_mentions"]
    assert isinstance(mentions, discord.AllowedMentions)
    assert mentions.roles is False and mentions.everyone is False and mentions.users is False


def test_size_is_the_length_of_the_markdown_sent() -> None:
    value = markup.text("a_b ", markup.bold("*"), markup.link("l", "https://a.example"), markup.role("discord:9"))
    assert size(value) == len(to_markdown(value)) == len(r"a\_b **\***[l](<https://a.example>)<@&9>")


def test_splitting_markup_never_cuts_a_link_code_or_bold_span() -> None:
    link = markup.link("the source of it", "https://news.example/" + "a" * 60)
    value = markup.join(" ", [markup.text("word", markup.bold(" bold words "), markup.code("a code span"), link)] * 40)
    pieces = split_content(value, 300)
    assert len(pieces) > 1
    for piece in pieces:
        assert isinstance(piece, Markup) and size(piece) <= 300
        whole = (link, markup.bold(" bold words "), markup.code("a code span"))
        assert all(span in whole or span.kind == "text" for span in piece.spans)
    assert markup.text(*[markup.text(p, " ") for p in pieces]).plain.split() == value.plain.split()


def test_escapes_count_towards_discords_limits() -> None:
    stars = "*" * (MAX_CONTENT - 10)  # fits as text, not once every star is escaped
    parts = paginate(Reply(text=stars))
    assert len(parts) == 2
    assert all(len(to_markdown(p.content)) <= MAX_CONTENT for p in parts)
    assert "".join(markup.plain(p.content).removesuffix("…") for p in parts) == stars


_text = st.text(alphabet=st.sampled_from("ab *_`[]()<>#-.\\\n@&|~é👍"), max_size=80)
_spans = st.one_of(
    _text.map(lambda t: Span(markup.Kind.TEXT, t)),
    _text.map(markup.bold),
    _text.map(markup.code),
    _text.map(markup.quote),
    st.builds(markup.link, _text, st.sampled_from(["https://a.example/x", "javascript:x", "https://a.example/(a) <"])),
    st.builds(markup.role, st.sampled_from(["discord:1", "slack:S1", "2"]), _text),
)
_markup = st.lists(_spans, max_size=40).map(lambda parts: markup.text(*parts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_markup, fields=st.lists(_markup, max_size=4))
def test_every_part_fits_discord_once_rendered(value: Markup, fields: list[Markup]) -> None:
    big = markup.join("\n", [value] * 30)
    card = Card(title="T", description=big, fields=tuple(CardField("f", markup.join(" ", [f] * 20)) for f in fields))
    for part in message_parts(Reply(text=big, cards=(card,))):
        assert len(to_markdown(part.content)) <= MAX_CONTENT
        for embed in part_kwargs(part)["embeds"]:  # type: ignore[union-attr]
            assert len(embed.description or "") <= MAX_DESCRIPTION
            assert all(len(f.value or "") <= MAX_FIELD_VALUE for f in embed.fields)
            assert len(embed) <= 6000
