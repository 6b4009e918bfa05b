"""Tests for bot.answers: BM25 passage ranking for /story ask."""

from __future__ import annotations

import pytest

from bot.answers import (
    INTRODUCTION,
    Language,
    Passage,
    ask_hint,
    asks_about_nothing,
    clean_question,
    example_questions,
    guess_language,
    passages,
    rank,
    stem,
    terms,
)
from bot.markdown import to_markdown
from bot.markup import plain
from bot.story_model import Bullet, Section, SectionKind, Story


def _seed_passages(story: Story) -> list[Passage]:
    return passages(story.dek, story.lead, story.sections)


def test_passages_cover_dek_lead_paragraphs_and_bullets(seed_story: Story) -> None:
    found = _seed_passages(seed_story)
    assert found[0] == Passage(INTRODUCTION, seed_story.dek, introduction=True)
    assert found[1] == Passage(INTRODUCTION, seed_story.lead[0], introduction=True)
    lead_in = "Zuckerberg's visit to South Korea signifies Meta's commitment to:"
    total = 2 + sum(len(s.paragraphs) + len(s.bullets) for s in seed_story.sections) - 1  # the lead-in joins its list
    assert len(found) == total
    assert all(p.text != lead_in for p in found)
    ahead = [p.text for p in found if p.section == "Looking Ahead"]
    assert [t.startswith(f"{lead_in} ") for t in ahead] == [False, True, True]
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
    assert stem("meetings") == stem("meeting") == stem("meet")
    assert stem("companies") == stem("company")
    assert stem("discussed") == stem("discussing") == stem("discuss")
    assert stem("investigating") == stem("investigation")
    assert stem("is") == "is"
    assert terms("Why are the meetings happening?") == ["meet", "happen"]
    assert terms("Why are the meetings?", keep_question_words=True) == ["why", "meet"]
    assert terms("What's Zuckerberg's plan?") == ["zuckerberg", "plan"]
    assert clean_question("  why \n south\tkorea ") == "why south korea"


def test_investigating_finds_the_investigation() -> None:
    candidates = [
        Passage("Inquiry", "Regulators opened an investigation into the chip deal last week."),
        Passage("Markets", "Shares rose after the announcement."),
    ]
    [best] = rank("who is investigating?", candidates, limit=1)
    assert best.passage.section == "Inquiry"


GERMAN = [
    Passage("Worum geht es?", "Die Bauern protestieren in Berlin gegen die Pläne der Regierung."),
    Passage("Worum geht es?", "Sie fordern mehr Geld für ihre Betriebe und weniger Vorschriften."),
    Passage("Untersuchung", "Die Staatsanwaltschaft untersucht die Vorfälle bei den Protesten."),
]
FRENCH = [
    Passage("Que réclament les agriculteurs ?", "Les agriculteurs réclament des prix plus justes pour leurs produits."),
    Passage("Et maintenant ?", "Le gouvernement promet des annonces sur les négociations la semaine prochaine."),
]
SPANISH = [
    Passage("Investigación", "La fiscalía abrió investigaciones sobre los contratos del ministerio."),
    Passage("Precios", "Los agricultores protestan en Madrid por los precios de los fertilizantes."),
]


def test_the_language_is_guessed_from_function_words() -> None:
    assert guess_language(" ".join(p.text for p in GERMAN)) is Language.GERMAN
    assert guess_language(" ".join(p.text for p in FRENCH)) is Language.FRENCH
    assert guess_language(" ".join(p.text for p in SPANISH)) is Language.SPANISH
    assert guess_language("Samsung and Meta met in Seoul.") is Language.ENGLISH
    assert guess_language("Samsung") is Language.ENGLISH  # nothing to go on: English
    assert guess_language("") is Language.ENGLISH


@pytest.mark.parametrize(
    ("question", "candidates", "expected"),
    [
        ("Wer untersucht die Proteste?", GERMAN, "Untersuchung"),  # untersucht ~ Untersuchung, Proteste ~ Protesten
        ("Was fordern die Bauern?", GERMAN, "Worum geht es?"),
        ("Que réclame l'agriculteur ?", FRENCH, "Que réclament les agriculteurs ?"),
        ("reclament agriculteurs", FRENCH, "Que réclament les agriculteurs ?"),  # typed without accents
        ("¿Quién investiga los contratos?", SPANISH, "Investigación"),
        ("¿Por qué protestan los agricultores?", SPANISH, "Precios"),
    ],
)
def test_questions_in_other_languages_find_their_passage(
    question: str, candidates: list[Passage], expected: str
) -> None:
    _assert_best(question, candidates, expected)


def _assert_best(question: str, candidates: list[Passage], expected: str) -> None:
    ranked = rank(question, candidates, limit=1)
    assert ranked, f"nothing found for {question!r}"
    assert ranked[0].passage.section == expected


JAPANESE = [
    Passage("訪問の概要", "メタのザッカーバーグCEOは韓国を訪問し、サムスン電子の李在鎔会長と会談した。"),
    Passage("なぜ韓国か", "韓国はAI半導体の供給網で重要な役割を担っている。"),
    Passage("今後の見通し", "両社は今後、共同研究の可能性を検討する。"),
]
KOREAN = [
    Passage("방문 개요", "마크 저커버그 메타 CEO가 서울에서 삼성전자 이재용 회장과 만났다."),
    Passage("왜 한국인가?", "한국은 인공지능 반도체 공급망의 핵심 국가다."),
    Passage("전망", "양사는 확장현실 기기 협력을 논의할 예정이다."),
]
CHINESE = [
    Passage("会谈", "扎克伯格在首尔与三星电子会长李在镕会面。"),
    Passage("芯片", "双方讨论了人工智能芯片的供应链合作。"),
]


def test_cjk_text_is_cut_into_bigrams() -> None:
    assert terms("韓国訪問") == ["韓国", "国訪", "訪問"]
    assert "サム" in terms("サムスンと会談した") and "会談" in terms("サムスンと会談した")
    assert terms("삼성전자와") == ["삼성", "성전", "전자"]  # the particle 와 (and) is dropped
    assert "삼성" in terms("Samsung 삼성") and "samsung" in terms("Samsung 삼성")


@pytest.mark.parametrize(
    ("question", "candidates", "expected"),
    [
        ("サムスンとの会談は？", JAPANESE, "訪問の概要"),
        ("半導体の供給網について", JAPANESE, "なぜ韓国か"),
        ("共同研究はどうなる？", JAPANESE, "今後の見通し"),
        ("이재용 회장과 무엇을 논의했나요?", KOREAN, "방문 개요"),
        ("왜 한국인가?", KOREAN, "왜 한국인가?"),
        ("확장현실 기기는?", KOREAN, "전망"),
        ("人工智能芯片", CHINESE, "芯片"),
        ("和三星会面了吗？", CHINESE, "会谈"),
    ],
)
def test_cjk_questions_find_their_passage(question: str, candidates: list[Passage], expected: str) -> None:
    _assert_best(question, candidates, expected)


def test_a_heading_line_is_never_a_passage_alone() -> None:
    plan = Section(
        "The plan",
        SectionKind.OTHER,
        paragraphs=("What the plan does:", "It caps rents at 3% a year.", "Will it pass?", "Parliament votes soon."),
    )
    vote = Section(
        "The vote",
        SectionKind.OTHER,
        paragraphs=("The coalition agreed on three points:",),
        bullets=(Bullet("Rents", "capped for five years"), Bullet("", "A review in 2027.")),
    )
    found = [p.text for p in passages("", (), (plan, vote))]
    assert found == [
        "What the plan does: It caps rents at 3% a year.",
        "Will it pass? Parliament votes soon.",
        "The coalition agreed on three points: Rents: capped for five years",
        "The coalition agreed on three points: A review in 2027.",
    ]
    [best] = rank("what does the plan do", passages("", (), (plan, vote)), limit=1)
    assert best.passage.text == "What the plan does: It caps rents at 3% a year."
    lonely = Section("Next", SectionKind.OTHER, paragraphs=("What comes next?",), bullets=(Bullet("Label", ""),))
    assert passages("", (), (lonely,)) == []


@pytest.mark.parametrize(
    "question",
    ["what is it?", "why?", "What's that about?", "Warum?", "Qu'est-ce que c'est ?", "¿Por qué?", "なぜ？", "왜요?"],
)
def test_questions_of_stop_words_ask_about_nothing(question: str) -> None:
    assert asks_about_nothing(question)


@pytest.mark.parametrize("question", ["why south korea", "Was ist mit LG?", "サムスンは？", "LG"])
def test_questions_with_a_subject_ask_about_something(question: str) -> None:
    assert not asks_about_nothing(question)


def test_example_questions_come_from_headings_and_answer_from_them(seed_story: Story) -> None:
    examples = example_questions(seed_story.sections)
    assert examples == ["why south korea", "key points of zuckerberg's visit", "potential outcomes"]
    candidates = _seed_passages(seed_story)
    headings = {s.heading.rstrip(":?").lower(): s.heading for s in seed_story.sections}
    for question in examples:
        ranked = rank(question, candidates, limit=1)
        assert ranked and ranked[0].passage.section == headings[question].rstrip(":")
    hint = ask_hint(seed_story.sections)
    assert to_markdown(hint) == (
        "Ask about something in the story, e.g. `why south korea`, `key points of zuckerberg's visit` "
        "or `potential outcomes`."
    )
    assert plain(ask_hint(())).startswith("Ask about something in the story")
