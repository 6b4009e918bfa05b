"""A development's passages for /story ask (bot/story_now.py): a follow-up document keeps its headings and its
introduction, an update's plain text is one section, and a bare heading or title is never a passage."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.answers import rank
from bot.story_now import development_passages
from storage.records import DevelopmentRecord

AT = datetime(2024, 5, 20, 13, 0, tzinfo=UTC)
HEADLINE = "Night Buses Start Early on Two Routes as Hiring Beats Target"
# A follow-up document's body as the import stores it (storage/story_import.py): dek, then "heading\ntext" blocks.
FOLLOW_UP_BODY = """Two of the twelve overnight bus routes will start on May 27, a week ahead of plan.

Key points
Early routes: The hospital loop and the port line start on May 27.
Hiring: The agency has hired 71 of the 90 drivers it needs.

Why are these two routes first?
They serve the three hospitals and the container port, where most night-shift workers go."""


def _development(body: str, headline: str = HEADLINE) -> DevelopmentRecord:
    return DevelopmentRecord(1, 1, headline, body, (), None, None, AT, AT)


def test_a_follow_up_keeps_its_headings_and_its_introduction() -> None:
    found = development_passages(_development(FOLLOW_UP_BODY))
    assert [(p.section, p.introduction) for p in found] == [
        (f"Update: {HEADLINE[:80]}", True),
        ("Key points", False),
        ("Key points", False),
        ("Why are these two routes first?", False),
    ]
    assert all(p.reported_at == AT for p in found)
    assert "Key points" not in [p.text for p in found] and HEADLINE not in [p.text for p in found]


def test_an_updates_text_is_one_section_and_no_introduction() -> None:
    found = development_passages(_development("Met Yoon.\n- LG Deal: XR headsets", headline="Met Yoon."))
    assert [(p.section, p.text, p.introduction) for p in found] == [
        ("Update: Met Yoon.", "Met Yoon.", False),
        ("Update: Met Yoon.", "LG Deal: XR headsets", False),
    ]


def test_the_headline_is_a_passage_only_of_a_development_with_no_text() -> None:
    [only] = development_passages(_development("", headline="Ferry service resumes"))
    assert only.text == "Ferry service resumes"


def test_a_why_question_finds_the_follow_ups_why_section() -> None:
    candidates = development_passages(_development(FOLLOW_UP_BODY))
    [best, *_] = rank("Why do the hospital and port routes start first?", candidates)
    assert best.passage.section == "Why are these two routes first?"
