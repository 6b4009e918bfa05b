"""bot.slack.limits: splitting mrkdwn without breaking links or escapes, and the last-line guard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.limits import check_message, split_mrkdwn, truncate_mrkdwn
from bot.slack.mrkdwn import to_mrkdwn
from tests.bot.slack.safety import check_mrkdwn_is_safe

LINK = "<https://news.example/a?b=1&amp;c=2|the night ferry story>"


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_text_that_fits_is_one_chunk_unchanged() -> None:
    assert split_mrkdwn("  a *b*  ", 20) == ["  a *b*  "]
    assert split_mrkdwn(" \n ", 20) == []


def test_a_break_inside_a_link_moves_before_it() -> None:
    text = "Read " + LINK + " today"
    # Each of these limits ends inside the link, where plain splitting would cut at a space in its label.
    for limit in range(len(LINK), len("Read ") + len(LINK)):
        assert split_mrkdwn(text, limit) == ["Read", LINK, "today"]


def test_a_hard_cut_never_splits_an_escape() -> None:
    text = "&amp;" * 10  # one 50-char "word"
    for limit in range(6, 20):
        for chunk in split_mrkdwn(text, limit):
            assert len(chunk) <= limit
            check_mrkdwn_is_safe(chunk.removesuffix("…"))


def test_paragraphs_are_preferred_breaks() -> None:
    text = "first paragraph here.\n\nsecond one, a bit longer than that."
    assert split_mrkdwn(text, 40) == ["first paragraph here.", "second one, a bit longer than that."]


def test_truncate_keeps_links_whole() -> None:
    text = "See " + LINK + " and more words after it"
    cut = truncate_mrkdwn(text, 30)
    assert cut == "See…"
    assert truncate_mrkdwn(text, len(text)) == text
    assert truncate_mrkdwn(" padded ", 6) == "padded"
    long = truncate_mrkdwn("word " * 100, 50)
    assert len(long) <= 50 and long.endswith("…")


PIECES = ["word", "&amp;", "&lt;", "&gt;", "*bold*", "_it_", " ", " ", "\n", "\n\n", ". ", LINK,
          "<https://x.example|x y z>", "<!date^1709285400^{date_short_pretty} {time}|2024-03-01 09:30 UTC>",
          "longwordwithoutanyspaces" * 2]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.sampled_from(PIECES), min_size=1, max_size=80), limit=st.integers(90, 400))
def test_split_never_breaks_an_atom_and_loses_nothing(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    chunks = split_mrkdwn(text, limit)
    assert all(0 < len(chunk) <= limit for chunk in chunks)
    for chunk in chunks:
        check_mrkdwn_is_safe(chunk)  # a cut link would leave a stray `<` or `>`, a cut escape a raw `&`
    # Only whitespace at the breaks, and a "…" at each hard cut, differ from the input.
    assert squeeze("".join(chunks)).replace("…", "") == squeeze(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet="ab &<>*_[]()|\n", max_size=3000), limit=st.integers(50, 3000))
def test_split_of_converted_text_fits_and_loses_nothing(text: str, limit: int) -> None:
    rendered = to_mrkdwn(text)
    chunks = split_mrkdwn(rendered, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert squeeze("".join(chunks)).replace("…", "") == squeeze(rendered)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"text": "", "blocks": [section("a")]}, "text (the notification fallback) is blank"),
        ({"text": "x" * 40_001, "blocks": [section("a")]}, "text is 40001 chars"),
        ({"text": "a", "blocks": []}, "no blocks"),
        ({"text": "a", "blocks": [section("a")] * 51}, "51 blocks"),
        ({"text": "a", "blocks": [section("x" * 3001)]}, "blocks[0].text is 3001 chars"),
        ({"text": "a", "blocks": [section(" ")]}, "blocks[0].text is blank"),
        ({"text": "a", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
         "blocks[0].text is 151 chars"),
        ({"text": "a", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]}, "plain_text"),
        ({"text": "a", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]},
         "11 fields"),
        ({"text": "a", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}]},
         "fields[0] is 2001 chars"),
        ({"text": "a", "blocks": [{"type": "section"}]}, "neither text nor fields"),
        ({"text": "a", "blocks": [{"type": "context", "elements": []}]}, "0 elements"),
        ({"text": "a", "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3001}]}]},
         "elements[0] is 3001 chars"),
        ({"text": "a", "blocks": [{"type": "image"}]}, "unexpected type 'image'"),
    ],
)
def test_check_message_names_the_broken_limit(message: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        check_message(message)


def test_check_message_accepts_a_full_valid_message() -> None:
    blocks = [section("s" * 3000)] * 48 + [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10},
        {"type": "divider"},
    ]
    check_message({"text": "t" * 40_000, "blocks": blocks})
