"""Tests for bot.question_kinds and the three ranking rules of /story ask built on it (bot/answers.py)."""

from __future__ import annotations

import pytest

from bot.answers import INTRODUCTION, Passage, rank
from bot.question_kinds import QuestionKind, gives_number, heading_kind, question_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Why is South Korea tightening the rules now?", QuestionKind.WHY),
        ("Who voted against the plan and why?", QuestionKind.WHO),  # the first question word counts
        ("How many people lost power in Illinois?", QuestionKind.QUANTITY),
        ("How will the trial be evaluated?", QuestionKind.HOW),
        ("When could the hosepipe ban end?", QuestionKind.WHEN),
        ("Where will the new plant be built?", QuestionKind.WHERE),
        ("What happens when the ban ends?", QuestionKind.ANY),  # "what" asks for anything: "when" is not read
        ("Warum startet der Betrieb ein Jahr später?", QuestionKind.WHY),
        ("Wie viele Fernzüge fahren während des Streiks?", QuestionKind.QUANTITY),
        ("Wie kam die Einigung zustande?", QuestionKind.HOW),
        ("Combien d'agriculteurs bloquent l'autoroute ?", QuestionKind.QUANTITY),
        ("¿Por qué sube el alquiler?", QuestionKind.WHY),
        ("¿Cuánto puede subir el alquiler este año?", QuestionKind.QUANTITY),
        ("한국은행은 왜 금리를 동결했나?", QuestionKind.WHY),
        ("コメの平均価格はいくらですか？", QuestionKind.QUANTITY),
        ("为什么出口增长这么快？", QuestionKind.WHY),
        ("tell me about the budget", None),
    ],
)
def test_a_question_is_of_the_kind_of_its_first_question_word(question: str, kind: QuestionKind | None) -> None:
    assert question_kind(question) is kind


def test_a_heading_has_a_kind_only_when_it_opens_with_a_question_word() -> None:
    assert heading_kind("Why now?") is QuestionKind.WHY
    assert heading_kind("¿Qué pasará en 2025?") is QuestionKind.ANY
    assert heading_kind("왜 동결했나?") is QuestionKind.WHY
    assert heading_kind("Key points") is None
    assert heading_kind("The council asked why") is None


def test_figures_in_any_script_are_numbers() -> None:
    assert gives_number("about 140,000 customers") and gives_number("２，８００円")
    assert not gives_number("several hundred farmers")


def test_a_section_asking_the_same_kind_of_question_answers_it_in_other_words() -> None:
    candidates = [
        Passage(INTRODUCTION, "South Korea will require exporters of chip tools to file certificates."),
        Passage("Why now?", "Officials have been under pressure from Washington and Tokyo to close gaps."),
        Passage("Key points", "Start date: The certificate rule takes effect on April 1."),
    ]
    [best, *_] = rank("Why is South Korea tightening the rules now?", candidates)
    assert best.passage.section == "Why now?"


def test_the_introduction_counts_half_when_a_section_says_as_much() -> None:
    candidates = [
        Passage(INTRODUCTION, "More than 9,000 residents are under evacuation orders.", introduction=True),
        Passage("Key points", "Evacuations: Orders now cover about 9,000 residents in the Ophir and Bell Road areas."),
        Passage("Key points", "Containment: Crews have contained 12 percent of the fire."),
    ]
    [best, *_] = rank("How many residents are under evacuation orders?", candidates)
    assert best.passage.section == "Key points" and "Ophir" in best.passage.text
    alone = rank("Are residents under evacuation orders?", candidates[:1])
    assert [s.passage.section for s in alone] == [INTRODUCTION]  # it still answers what only it says


def test_a_question_of_quantity_is_answered_by_a_figure() -> None:
    candidates = [
        Passage("How are islanders coping?", "The shop ordered extra stock as sailings a day were cut."),
        Passage("Key points", "Sailings: Three return sailings a day, at 7:00, 12:30 and 17:45."),
    ]
    assert [s.passage.section for s in rank("How many sailings a day are left?", candidates)] == ["Key points"]
    no_figures = [Passage("Key points", "Sailings: fewer sailings a day than before.")]
    assert len(rank("How many sailings a day are left?", no_figures)) == 1  # none gives a figure: keep what answers
