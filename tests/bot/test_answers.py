"""Tests for bot.answers: BM25 passage ranking for /story ask."""

from __future__ import annotations

from bot.answers import INTRODUCTION, Passage, clean_question, passages, rank, stem, terms
from bot.story_model import SectionKind, Story


def _seed_passages(story: Story) -> list[Passage]:
    return passages(story.dek, story.lead, story.sections)


def test_passages_cover_dek_lead_paragraphs_and_bullets(seed_story: Story) -> None:
    found = _seed_passages(seed_story)
    assert found[0] == Passage(INTRODUCTION, seed_story.dek)
    assert found[1] == Passage(INTRODUCTION, seed_story.lead[0])
    total = 2 + sum(len(s.paragraphs) + len(s.bullets) for s in seed_story.sections)
    assert len(found) == total
    why = [p for p in found if p.section == "Why South Korea?"]
    assert [p.text.split(":")[0] for p in why] == ["AI Powerhouse", "Expanding Ecosystem", "Chip Supply Chain"]


def test_why_south_korea_ranks_that_section_first(seed_story: Story) -> None:
    ranked = rank("why south korea", _seed_passages(seed_story))
    assert ranked
    assert ranked[0].passage.section == seed_story.section(SectionKind.WHY).heading
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert len(ranked) <= 3


def test_a_question_the_story_does_not_cover_ranks_nothing(seed_story: Story) -> None:
    assert rank("bananas", _seed_passages(seed_story)) == []
    assert rank("why", _seed_passages(seed_story)) == []  # question words alone are not content
    assert rank("", _seed_passages(seed_story)) == []
    assert rank("chips", []) == []


def test_content_words_find_their_passage(seed_story: Story) -> None:
    ranked = rank("Who will Zuckerberg meet, Samsung?", _seed_passages(seed_story), limit=1)
    assert len(ranked) == 1
    assert ranked[0].passage.text.startswith("Meetings with Key Players")


def test_rarer_terms_weigh_more() -> None:
    candidates = [
        Passage("A", "meta meta meta announces"),
        Passage("B", "meta and samsung announce"),
        Passage("C", "meta builds things"),
    ]
    assert [r.passage.section for r in rank("meta samsung", candidates)][0] == "B"


def test_limit_is_respected(seed_story: Story) -> None:
    assert len(rank("meta ai", _seed_passages(seed_story), limit=2)) == 2


def test_stem_and_terms() -> None:
    assert stem("meetings") == "meeting"
    assert stem("companies") == "company"
    assert stem("discussed") == "discuss"
    assert stem("is") == "is"
    assert terms("Why are the meetings happening?") == ["meeting", "happen"]
    assert terms("Why are the meetings?", keep_question_words=True) == ["why", "meeting"]
    assert clean_question("  why \n south\tkorea ") == "why south korea"
