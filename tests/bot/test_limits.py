"""Tests for bot.limits: fitting replies into Discord's message and embed limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards import Card, CardField, Reply
from bot.limits import (
    CONTINUATION_MARKER,
    CONTINUED_SUFFIX,
    ELLIPSIS,
    EMPTY_REPLY_TEXT,
    MAX_CONTENT,
    MAX_DESCRIPTION,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    MAX_FOOTER,
    MAX_TITLE,
    ZERO_WIDTH_SPACE,
    MessagePart,
    check_message,
    embed_length,
    paginate,
    size,
    split_card,
    split_content,
    split_text,
    truncate,
    truncate_content,
)

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def rejoin(chunks: list[str]) -> list[str]:
    """Word sequence of `chunks`, gluing hard-split words back together (needs text without "…")."""
    words: list[str] = []
    glue = False
    for chunk in chunks:
        pieces = chunk.split()
        if glue and pieces:
            words[-1] += pieces.pop(0)
        words.extend(pieces)
        glue = chunk.endswith(CONTINUATION_MARKER)
        if glue:
            words[-1] = words[-1][: -len(CONTINUATION_MARKER)]
    return words


def nonspace(text: str) -> str:
    """All non-whitespace characters, in order, with markers removed."""
    return "".join(text.split()).replace(CONTINUATION_MARKER, "")


def valid(card: Card) -> bool:
    try:
        check_message(MessagePart("", (card,)))
    except ValueError:
        return False
    return True


# --- constants --------------------------------------------------------------------------------


def test_constants_match_discord_limits() -> None:
    assert (MAX_CONTENT, MAX_TITLE, MAX_DESCRIPTION, MAX_FIELDS) == (2000, 256, 4096, 25)
    assert (MAX_FIELD_NAME, MAX_FIELD_VALUE, MAX_FOOTER) == (256, 1024, 2048)
    assert (MAX_EMBED_TOTAL, MAX_EMBEDS) == (6000, 10)


# --- truncate ---------------------------------------------------------------------------------


def test_truncate_fits_unchanged() -> None:
    assert truncate("  short text  ", 50) == "  short text  "
    assert truncate("", 0) == ""


def test_truncate_exactly_at_limit_unchanged() -> None:
    text = "a" * 9 + " b"
    assert truncate(text, 11) == text


def test_truncate_one_over_cuts_at_word_boundary() -> None:
    assert truncate("hello world again", 16) == "hello world…"


def test_truncate_boundary_right_at_budget() -> None:
    # budget is 11; text[11] is the space, so "hello world" stays whole.
    assert truncate("hello world again", 12) == "hello world…"


def test_truncate_long_single_word_hard_cut_with_marker() -> None:
    assert truncate("x" * 300, 256) == "x" * 255 + "…"


def test_truncate_first_word_too_long_is_hard_cut() -> None:
    assert truncate("abcdefghij klm", 6) == "abcde…"


def test_truncate_only_trailing_space_overflows() -> None:
    assert truncate("hello   ", 5) == "hello"


def test_truncate_custom_and_empty_marker() -> None:
    assert truncate("one two three four", 12, marker=" [...]") == "one [...]"
    assert truncate("one two three", 9, marker="") == "one two"


def test_truncate_limit_too_small_for_marker() -> None:
    assert truncate("hello", 1) == "h"
    assert truncate("hello", 2, marker="...") == "he"
    assert truncate("hello", 0) == ""


def test_truncate_negative_limit_rejected() -> None:
    with pytest.raises(ValueError, match="limit"):
        truncate("x", -1)


def test_truncate_unicode() -> None:
    assert truncate("日本語の ニュース です", 8) == "日本語の…"
    assert truncate("🎉🎉🎉 party", 5) == "🎉🎉🎉…"


def test_truncate_does_not_split_combining_mark() -> None:
    text = "e\u0301" * 10  # é as e + combining acute
    out = truncate(text, 6)
    assert out == "e\u0301e\u0301…"


# --- split_text -------------------------------------------------------------------------------


def test_split_text_empty_and_blank() -> None:
    assert split_text("") == []
    assert split_text(" \n\n\t ") == []


def test_split_text_fits_unchanged() -> None:
    assert split_text("  hi there\n") == ["  hi there\n"]


def test_split_text_exactly_at_limit_and_one_over() -> None:
    at = "a" * 1000 + " " + "b" * 999
    assert split_text(at) == [at]
    over = at + "c"
    assert split_text(over) == ["a" * 1000, "b" * 999 + "c"]


def test_split_text_prefers_paragraph_break() -> None:
    text = "A first paragraph here.\n\nsecond para\nmore text. That goes on"
    assert split_text(text, 40) == ["A first paragraph here.", "second para\nmore text. That goes on"]


def test_split_text_prefers_line_break_over_sentence() -> None:
    text = "Alpha beta gamma delta. Epsilon\nzeta eta theta iota kappa"
    assert split_text(text, 40) == ["Alpha beta gamma delta. Epsilon", "zeta eta theta iota kappa"]


def test_split_text_prefers_sentence_end_over_space() -> None:
    text = "Alpha beta gamma. Delta epsilon zeta eta"
    assert split_text(text, 30) == ["Alpha beta gamma.", "Delta epsilon zeta eta"]


def test_split_text_sentence_end_with_closing_quote() -> None:
    text = 'He said "stop it now." Then everyone left'
    assert split_text(text, 30) == ['He said "stop it now."', "Then everyone left"]


def test_split_text_falls_back_to_spaces() -> None:
    text = "one two three four five six seven"
    assert split_text(text, 10) == ["one two", "three four", "five six", "seven"]


def test_split_text_ignores_break_that_leaves_chunk_tiny() -> None:
    # A paragraph break after 5 chars would waste most of the message; split at a space instead.
    text = "Title\n\n" + " ".join(["word"] * 30)
    chunks = split_text(text, 60)
    assert chunks[0].startswith("Title\n\nword")
    assert all(len(c) <= 60 for c in chunks)
    assert rejoin(chunks) == text.split()


def test_split_text_long_word_hard_split_with_marker() -> None:
    word = "x" * 45
    assert split_text(f"ab {word} cd", 20) == ["ab", "x" * 19 + "…", "x" * 19 + "…", "x" * 7 + " cd"]


def test_split_text_limit_one() -> None:
    assert split_text("abc d", 1) == ["a", "b", "c", "d"]


def test_split_text_invalid_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_text("abc", 0)


def test_split_text_twenty_thousand_chars() -> None:
    sentence = "The quick brown fox jumps over the lazy dog. "
    text = (sentence * 445)[:20_000]
    chunks = split_text(text)
    assert len(chunks) == 11
    assert all(0 < len(c) <= MAX_CONTENT for c in chunks)
    assert all(c.endswith(".") for c in chunks[:-1])  # sentence breaks
    assert rejoin(chunks) == text.split()


def test_split_text_unicode() -> None:
    text = " ".join(["café", "日本語", "🎉👍🏽", "Ω"] * 50)
    chunks = split_text(text, 37)
    assert all(len(c) <= 37 for c in chunks)
    assert rejoin(chunks) == text.split()


def test_split_text_keeps_emoji_cluster_together() -> None:
    family = "👨\u200d👩\u200d👧"  # 5 code points
    chunks = split_text(family * 3, 8)
    assert all(len(c) <= 8 for c in chunks)
    assert chunks[0] == family + "…"
    assert nonspace("".join(chunks)) == family * 3


# --- embed_length -----------------------------------------------------------------------------


def test_embed_length_counts_title_description_fields_footer() -> None:
    card = Card(
        title="abc",
        description="defg",
        fields=(CardField("hi", "there"), CardField("x", "y", inline=True)),
        url="https://example.com/very/long/url",
        footer="foot",
        timestamp=WHEN,
    )
    assert embed_length(card) == 3 + 4 + 2 + 5 + 1 + 1 + 4


def test_embed_length_empty_card() -> None:
    assert embed_length(Card()) == 0


# --- check_message ----------------------------------------------------------------------------


def test_check_message_accepts_everything_exactly_at_limits() -> None:
    check_message(MessagePart("x" * MAX_CONTENT))
    full = Card(title="t" * 256, description="d" * 4096, footer="f" * 1648)  # 6000 total
    assert embed_length(full) == MAX_EMBED_TOTAL
    check_message(MessagePart("", (full,)))
    fields = tuple(CardField("n" * 16, "v" * 200) for _ in range(25))
    check_message(MessagePart("", (Card(fields=fields),) + (Card(title="x"),) * 9))
    check_message(MessagePart("", (Card(fields=(CardField("n" * 256, "v" * 1024),)),)))


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (MessagePart("x" * 2001), "content is 2001 chars"),
        (MessagePart(""), "empty"),
        (MessagePart(" \n "), "empty"),
        (MessagePart("", (Card(title="x"),) * 11), "11 cards"),
        (MessagePart("", (Card(title="t" * 257),)), r"cards\[0\]\.title is 257"),
        (MessagePart("", (Card(description="d" * 4097),)), r"description is 4097"),
        (MessagePart("", (Card(fields=(CardField("n", "v"),) * 26),)), "26 fields"),
        (MessagePart("", (Card(fields=(CardField("n" * 257, "v"),)),)), r"fields\[0\]\.name is 257"),
        (MessagePart("", (Card(fields=(CardField("n", "v" * 1025),)),)), r"fields\[0\]\.value is 1025"),
        (MessagePart("", (Card(fields=(CardField(" ", "v"),)),)), r"fields\[0\]\.name is blank"),
        (MessagePart("", (Card(fields=(CardField("n", ""),)),)), r"fields\[0\]\.value is blank"),
        (MessagePart("", (Card(footer="f" * 2049),)), r"footer is 2049"),
        (MessagePart("", (Card(title="ok"), Card(url="https://x", timestamp=WHEN))), r"cards\[1\] has no"),
        (MessagePart("", (Card(title="t" * 256, description="d" * 4096, footer="f" * 1649),)), "6001"),
        (MessagePart("", (Card(description="d" * 3000), Card(description="d" * 3001))), "cards total 6001"),
    ],
)
def test_check_message_reports_violation(part: MessagePart, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_message(part)


def test_check_message_reports_first_violation() -> None:
    part = MessagePart("x" * 2001, (Card(title="t" * 300),) * 11)
    with pytest.raises(ValueError, match="content"):
        check_message(part)


# --- split_card -------------------------------------------------------------------------------


def test_split_card_valid_card_returned_as_is() -> None:
    card = Card(title="T", description="d" * 4096, fields=(CardField("a", "b"),) * 25, footer="f")
    assert split_card(card)[0] is card
    assert len(split_card(card)) == 1


def test_split_card_blank_card_dropped() -> None:
    assert split_card(Card()) == []
    assert split_card(Card(title="  ", url="https://x", timestamp=WHEN)) == []


def test_split_card_twenty_thousand_char_description() -> None:
    text = ("Markets rallied today. " * 900)[:20_000]
    card = Card(title="Big story", description=text, url="https://x", footer="Reuters", timestamp=WHEN)
    cards = split_card(card)
    assert len(cards) == 5
    assert all(valid(c) for c in cards)
    assert cards[0].title == "Big story"
    assert all(c.title == "Big story (cont.)" for c in cards[1:])
    assert [c.url for c in cards] == ["https://x"] + [None] * 4
    assert [c.footer for c in cards] == [None] * 4 + ["Reuters"]
    assert [c.timestamp for c in cards] == [None] * 4 + [WHEN]
    assert rejoin([c.description for c in cards]) == text.split()


def test_split_card_thirty_fields() -> None:
    fields = tuple(CardField(f"name {i}", f"value {i}", inline=i % 2 == 0) for i in range(30))
    cards = split_card(Card(title="T", fields=fields))
    assert [len(c.fields) for c in cards] == [25, 5]
    assert [c.title for c in cards] == ["T", "T (cont.)"]
    assert tuple(f for c in cards for f in c.fields) == fields


def test_split_card_many_short_fields() -> None:
    fields = tuple(CardField("n", "v") for _ in range(100))
    cards = split_card(Card(fields=fields))
    assert [len(c.fields) for c in cards] == [25, 25, 25, 25]
    assert all(c.title is None for c in cards)


def test_split_card_big_fields_respect_total() -> None:
    fields = tuple(CardField("n" * 256, "v" * 1024) for _ in range(25))
    cards = split_card(Card(title="T", fields=fields, footer="foot"))
    assert all(valid(c) and embed_length(c) <= MAX_EMBED_TOTAL for c in cards)
    assert [len(c.fields) for c in cards] == [4, 4, 4, 4, 4, 4, 1]
    assert sum(len(c.fields) for c in cards) == 25


def test_split_card_long_field_value_continues_in_next_fields() -> None:
    value = " ".join(["word"] * 600)  # 2999 chars
    cards = split_card(Card(fields=(CardField("Summary", value, inline=True), CardField("Next", "x"))))
    assert len(cards) == 1
    names = [f.name for f in cards[0].fields]
    assert names == ["Summary", "Summary (cont.)", "Summary (cont.)", "Next"]
    assert all(len(f.value) <= MAX_FIELD_VALUE for f in cards[0].fields)
    assert all(f.inline for f in cards[0].fields[:3])
    assert rejoin([f.value for f in cards[0].fields[:3]]) == value.split()


def test_split_card_truncates_title_name_footer() -> None:
    card = Card(
        title="title " * 100,
        description="d" * 5000,
        fields=(CardField("name " * 100, "v"),),
        footer="foot " * 500,
    )
    cards = split_card(card)
    assert all(valid(c) for c in cards)
    assert cards[0].title is not None and cards[0].title.endswith(ELLIPSIS)
    assert len(cards[0].title) <= MAX_TITLE
    later = cards[1].title
    assert later is not None and later.endswith(ELLIPSIS + CONTINUED_SUFFIX) and len(later) <= MAX_TITLE
    assert cards[-1].fields[0].name.endswith(ELLIPSIS)
    assert cards[-1].footer is not None and cards[-1].footer.endswith(ELLIPSIS)
    assert len(cards[-1].footer) <= MAX_FOOTER


def test_split_card_worst_case_title_description_footer() -> None:
    # 256 + 4096 + 2048 > 6000: the description must be split smaller to leave room for the footer.
    card = Card(title="t" * 256, description="word " * 819, footer="f" * 2048)
    cards = split_card(card)
    assert len(cards) == 2
    assert all(valid(c) for c in cards)
    assert rejoin([c.description for c in cards]) == card.description.split()


def test_split_card_blank_field_parts_replaced() -> None:
    card = Card(fields=(CardField("", "value"), CardField("name", "  ")) + (CardField("a", "b"),) * 25)
    cards = split_card(card)
    assert cards[0].fields[0] == CardField(ZERO_WIDTH_SPACE, "value")
    assert cards[0].fields[1] == CardField("name", ZERO_WIDTH_SPACE)
    assert all(valid(c) for c in cards)


def test_split_card_unicode_description() -> None:
    text = "Ünïcødé 新闻 🎉. " * 500
    cards = split_card(Card(title="📰", description=text))
    assert len(cards) == 2
    assert all(valid(c) for c in cards)
    assert cards[1].title == "📰 (cont.)"
    assert rejoin([c.description for c in cards]) == text.split()


# --- paginate ---------------------------------------------------------------------------------


def test_paginate_empty_reply() -> None:
    assert paginate(Reply()) == [MessagePart(EMPTY_REPLY_TEXT)]
    assert paginate(Reply(text="  \n", cards=(Card(),))) == [MessagePart(EMPTY_REPLY_TEXT)]


def test_paginate_short_text() -> None:
    assert paginate(Reply(text="hello")) == [MessagePart("hello")]


def test_paginate_long_text() -> None:
    text = "word " * 1000  # 5000 chars
    parts = paginate(Reply(text=text))
    assert len(parts) == 3
    assert all(p.cards == () for p in parts)
    assert rejoin([p.content for p in parts]) == text.split()


def test_paginate_eleven_cards() -> None:
    cards = tuple(Card(title=f"card {i}") for i in range(11))
    parts = paginate(Reply(text="Top stories", cards=cards))
    assert [len(p.cards) for p in parts] == [10, 1]
    assert [p.content for p in parts] == ["Top stories", ""]
    assert tuple(c for p in parts for c in p.cards) == cards


def test_paginate_packs_by_total_characters() -> None:
    cards = tuple(Card(description="d" * n) for n in (3000, 3000, 1, 2999))
    parts = paginate(Reply(cards=cards))
    assert [len(p.cards) for p in parts] == [2, 2]  # 6000 exactly, then 6001 would be one over
    for part in parts:
        check_message(part)


def test_paginate_cards_follow_the_last_text_chunk() -> None:
    text = "x " * 1500  # 3000 chars -> 2 chunks
    parts = paginate(Reply(text=text, cards=(Card(title="A"),)))
    assert len(parts) == 2
    assert parts[0].cards == () and parts[0].content.startswith("x x")
    assert parts[1].cards == (Card(title="A"),) and parts[1].content.startswith("x")


def test_paginate_splits_oversized_cards() -> None:
    card = Card(title="T", description="words here. " * 2000, fields=(CardField("f", "v"),) * 30)
    parts = paginate(Reply(cards=(card,)))
    for part in parts:
        check_message(part)
    assert tuple(c for p in parts for c in p.cards) == tuple(split_card(card))


# --- properties -------------------------------------------------------------------------------

# Words never contain whitespace, the markers or the zero-width space, so word sequences can be rebuilt.
WORD_ALPHABET = st.characters(
    exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc"),
    exclude_characters=CONTINUATION_MARKER + ZERO_WIDTH_SPACE,
)
SEPARATORS = st.sampled_from([" ", "  ", "\n", "\n\n", "\n\n\n", ". ", "! ", '." ', "\t", " \n "])
WORDS = st.one_of(
    st.text(WORD_ALPHABET, min_size=1, max_size=12),
    st.builds(lambda w, n: w * n, st.text(WORD_ALPHABET, min_size=1, max_size=3), st.integers(1, 700)),
)
PROSE = st.lists(st.tuples(WORDS, SEPARATORS), max_size=30).map(lambda ws: "".join(w + s for w, s in ws))
LONG = st.builds(lambda w, n: w * n, st.text(min_size=1, max_size=4), st.integers(0, 800))
NAMES = st.one_of(st.text(max_size=20), LONG)
CARDS = st.builds(
    Card,
    title=st.one_of(st.none(), NAMES),
    description=PROSE,
    fields=st.lists(st.builds(CardField, NAMES, PROSE, st.booleans()), max_size=35).map(tuple),
    url=st.one_of(st.none(), st.just("https://example.com/a")),
    footer=st.one_of(st.none(), NAMES),
    timestamp=st.one_of(st.none(), st.just(WHEN)),
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(), st.integers(0, 40), st.sampled_from([ELLIPSIS, "...", ""]))
def test_truncate_properties(text: str, limit: int, marker: str) -> None:
    out = truncate(text, limit, marker)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
        return
    stripped = text.strip()
    if len(stripped) <= limit:
        assert out == stripped
        return
    if limit <= len(marker):
        assert stripped.startswith(out)
        return
    assert out.endswith(marker)
    head = out[: len(out) - len(marker)]
    assert head and stripped.startswith(head)
    budget = limit - len(marker)
    if any(ch.isspace() for ch in stripped[1 : budget + 1]):
        assert stripped[len(head)].isspace()  # cut at a word boundary
        assert not head[-1].isspace()


@FAST
@given(st.text(), st.integers(1, 40))
def test_split_text_never_loses_characters(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit and c.strip() for c in chunks)
    assert nonspace("".join(chunks)) == nonspace(text)


@FAST
@given(PROSE, st.integers(2, 300))
def test_split_text_keeps_word_sequence(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert rejoin(chunks) == text.split()
    if all(len(w) <= limit for w in text.split()):
        assert [w for c in chunks for w in c.split()] == text.split()  # no hard splits needed


@FAST
@given(CARDS)
def test_split_card_properties(card: Card) -> None:
    cards = split_card(card)
    assert all(valid(c) for c in cards)
    if cards == [card]:
        return
    assert rejoin([c.description for c in cards]) == card.description.split()
    values = [f.value for c in cards for f in c.fields]
    assert [w for w in rejoin(values) if w != ZERO_WIDTH_SPACE] == [
        w for f in card.fields for w in f.value.split()
    ]
    assert all(c.url is None for c in cards[1:])
    assert all(c.footer is None and c.timestamp is None for c in cards[:-1])


@settings(FAST, max_examples=40)
@given(PROSE, st.lists(CARDS, max_size=12))
def test_paginate_properties(text: str, cards: list[Card]) -> None:
    parts = paginate(Reply(text=text, cards=tuple(cards)))
    assert parts
    for part in parts:
        check_message(part)
    chunks = split_content(text, MAX_CONTENT)  # as split_text, measured in the Markdown sent (escapes count)
    if chunks:
        assert parts[0].content == chunks[0]
        assert rejoin([p.content for p in parts if p.content]) == text.split()
    expected = tuple(piece for card in cards for piece in split_card(card))
    assert tuple(c for p in parts for c in p.cards) == expected
    if not chunks and not expected:
        assert parts == [MessagePart(EMPTY_REPLY_TEXT)]


def test_split_text_and_split_content_agree_on_text_without_escapes() -> None:
    text = " ".join(f"word{i}" for i in range(2000))
    assert split_content(text, MAX_CONTENT) == split_text(text, MAX_CONTENT)


def test_escaped_characters_count_twice_towards_a_limit() -> None:
    text = "a<b " * 500  # 2,000 characters, 2,500 once each `<` is escaped
    pieces = split_content(text, MAX_CONTENT)
    assert len(pieces) == 2 and all(size(piece) <= MAX_CONTENT for piece in pieces)
    assert truncate_content("a<b", 3) == "a…" and size(truncate_content("<" * 10, 5)) <= 5
