"""Matcher: development, duplicate or unrelated, with the hard negatives that share a story's names."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bench import feeds_quality
from bot.feeds.match import (
    CandidateStory,
    FeedItemText,
    KnownDevelopment,
    MatchDecision,
    Matcher,
    MatchKind,
    MatchSettings,
    StoryIndex,
)
from bot.feeds.terms import Background, analyse, stem

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)

TOUR = CandidateStory(
    story_id=4,
    title="Kestrel AI chief Dana Whitlock tours Japan to court chip partners",
    summary=(
        "Dana Whitlock, chief executive of the US artificial intelligence company Kestrel AI, began a five-day visit "
        "to Japan on Tuesday, meeting chipmakers and government officials as the company looks for a second "
        "supplier of AI accelerators outside Taiwan."
    ),
    key_points=(
        "Meetings: Whitlock is due to meet executives of Sumida Electronics and the trading house Okabe & Co in Tokyo.",
        "Chips: Kestrel wants a second source for the accelerators that train its Merlin models.",
        "Data centres: the company is scouting sites for its first Asian data centre.",
    ),
    section_text=(
        "Why Japan? The government has offered subsidies for chip plants and data centres, and Sumida is building "
        "an advanced chip factory in Kumamoto. Analysts say a Kestrel order would be the plant's biggest."
    ),
)
STRIKE = CandidateStory(
    story_id=1,
    title="Dockworkers strike shuts Port of Nordhaven over automation plan",
    summary=(
        "About 2,400 dockworkers at the Port of Nordhaven walked out on Monday after the terminal operators "
        "announced plans to replace manual straddle carriers with automated cranes. The Harbour Workers' Union says "
        "the plan puts 600 jobs at risk."
    ),
    key_points=("Walkout: 2,400 union members stopped work at all four Nordhaven container terminals.",),
)


def _item(title: str, summary: str, hours: float = 10) -> FeedItemText:
    return FeedItemText(title, summary, published=START + timedelta(hours=hours))


def _decide(matcher: Matcher, item: FeedItemText, stories: list[CandidateStory]) -> MatchDecision:
    decision = matcher.decide(item, stories)
    matcher.observe(item, decision)
    return decision


def test_a_development_is_matched_to_its_story() -> None:
    decision = Matcher().decide(
        _item(
            "Whitlock meets Sumida Electronics bosses on first day in Tokyo",
            "Kestrel AI's Dana Whitlock spent three hours at Sumida Electronics' Tokyo headquarters, and both "
            "companies said they had discussed supplying AI accelerators from Sumida's Kumamoto plant.",
        ),
        [STRIKE, TOUR],
    )
    assert decision.kind == MatchKind.DEVELOPMENT
    assert decision.story_id == decision.best_story_id == 4
    assert decision.development_id is None
    assert decision.score >= MatchSettings().development_score
    assert "development of story 4" in decision.reason


def test_the_same_ceo_on_another_trip_is_unrelated() -> None:
    decision = Matcher().decide(
        _item(
            "Dana Whitlock to visit Brazil next month to scout data centre sites",
            "Kestrel AI chief executive Dana Whitlock will travel to São Paulo in April to look at sites for a Latin "
            "American data centre and meet the state governor, the company said.",
            hours=400,
        ),
        [STRIKE, TOUR],
    )
    assert decision.kind == MatchKind.UNRELATED
    assert decision.best_story_id == 4 and decision.story_id is None
    assert "another event" in decision.reason and "brazil" in decision.reason


def test_the_same_setting_check_is_what_catches_it() -> None:
    item = _item(
        "Dana Whitlock to visit Brazil next month to scout data centre sites",
        "Kestrel AI chief executive Dana Whitlock will travel to São Paulo in April to look at sites for a Latin "
        "American data centre and meet the state governor, the company said.",
    )
    without = Matcher(MatchSettings(conflict_factor=1.0)).decide(item, [TOUR])
    assert without.kind == MatchKind.DEVELOPMENT  # without the check, the shared vocabulary would carry it


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        (  # the same company's earnings
            "Kestrel AI revenue triples as Merlin subscriptions grow",
            "Kestrel AI said annual revenue tripled to $3.1 billion, driven by business subscriptions to its Merlin "
            "models, and chief executive Dana Whitlock said the company would hire 2,000 engineers this year.",
        ),
        (  # the same CEO, another subject
            "Whitlock tells senators AI labs need outside audits",
            "Kestrel AI's Dana Whitlock told a Senate committee in Washington that AI companies should let "
            "independent auditors test their models before release.",
        ),
        (  # the same event type elsewhere: no name from the story's title
            "Vellmar airport baggage handlers threaten strike over pay",
            "Baggage handlers at Vellmar airport will walk out at Easter unless they get a pay rise, their union "
            "said, warning of long queues for holiday flights.",
        ),
    ],
)
def test_hard_negatives_are_unrelated(title: str, summary: str) -> None:
    decision = Matcher().decide(_item(title, summary), [STRIKE, TOUR])
    assert decision.kind == MatchKind.UNRELATED
    assert decision.story_id is None and decision.development_id is None


def test_an_item_without_any_title_name_cannot_match() -> None:
    decision = Matcher().decide(
        _item(
            "Aldersund dockworkers elect new union leader",
            "Dockworkers in Aldersund have elected crane driver Ola Brandt to lead their union branch.",
        ),
        [STRIKE],
    )
    assert decision.kind == MatchKind.UNRELATED
    assert "names nothing from any story's title" in decision.reason


def test_wire_copy_and_rewrites_become_duplicates_of_the_development() -> None:
    matcher = Matcher()
    headline = "Kestrel AI and Sumida sign chip supply deal"
    text = (
        "Kestrel AI signed a five-year agreement to buy AI accelerators from Sumida Electronics, the companies said, "
        "with deliveries from the Kumamoto plant starting in 2027. The value was not disclosed."
    )
    first = _decide(matcher, _item(headline, text, hours=76), [TOUR])
    assert first.kind == MatchKind.DEVELOPMENT
    story = dataclasses.replace(TOUR, developments=(KnownDevelopment(77, headline, text, START + timedelta(hours=76)),))

    wire = _decide(matcher, _item(headline, text, hours=77), [story])
    assert (wire.kind, wire.story_id, wire.development_id) == (MatchKind.DUPLICATE, 4, 77)
    assert "wire copy" in wire.reason

    rewrite = _decide(
        matcher,
        _item(
            "Sumida to supply Kestrel AI with accelerators under five-year pact",
            "Sumida Electronics will supply Kestrel AI with accelerators from its Kumamoto factory for five years "
            "starting in 2027, under an agreement announced in Tokyo.",
            hours=80,
        ),
        [story],
    )
    assert (rewrite.kind, rewrite.development_id) == (MatchKind.DUPLICATE, 77)
    assert "other words" in rewrite.reason


def test_a_copy_outside_the_window_is_not_merged() -> None:
    headline = "Kestrel AI and Sumida sign chip supply deal"
    text = "Kestrel AI signed a five-year agreement to buy AI accelerators from Sumida Electronics in Kumamoto."
    story = dataclasses.replace(TOUR, developments=(KnownDevelopment(5, headline, text, START),))
    late = _item(headline, text, hours=MatchSettings().duplicate_window.total_seconds() / 3600 + 1)
    assert Matcher().decide(late, [story]).kind == MatchKind.DEVELOPMENT
    undated = FeedItemText(headline, text)  # no date: the window cannot exclude it
    assert Matcher().decide(undated, [story]).kind == MatchKind.DUPLICATE


def test_unrelated_news_reports_the_best_story_and_no_story_at_all() -> None:
    matcher = Matcher()
    nothing = matcher.decide(_item("Comet visible next week", "Astronomers said it would be bright."), [STRIKE])
    assert nothing == MatchDecision(
        MatchKind.UNRELATED, None, None, 0.0, None, 0.0, "unrelated: no story shares a word with it"
    )
    assert matcher.decide(_item("Anything", "at all"), []).best_story_id is None


def test_observe_feeds_only_unrelated_items_into_the_background() -> None:
    matcher = Matcher()
    item = _item("Comet visible next week", "Astronomers said it would be bright.")
    matcher.observe(item, matcher.decide(item, [STRIKE]))
    assert matcher.background.documents == 1
    development = _item("Nordhaven strike extended", "The Nordhaven dockworkers' union extended the walkout.")
    decision = matcher.decide(development, [STRIKE])
    assert decision.kind == MatchKind.DEVELOPMENT
    matcher.observe(development, decision)
    assert matcher.background.documents == 1


def test_a_story_index_is_reusable_and_upsert_replaces_a_story() -> None:
    matcher = Matcher()
    index = matcher.index([STRIKE, TOUR])
    assert isinstance(index, StoryIndex) and len(index) == 2
    item = _item("Nordhaven strike extended", "The Nordhaven dockworkers' union extended the walkout to 72 hours.")
    assert matcher.decide(item, index) == matcher.decide(item, [STRIKE, TOUR])
    renamed = dataclasses.replace(STRIKE, title="Dockworkers strike shuts Port of Aldersund over automation plan")
    index.upsert(renamed)
    assert len(index) == 2
    assert matcher.decide(item, index).kind == MatchKind.UNRELATED  # "Nordhaven" is no longer a title name


def test_names_are_capitalised_only_and_sentence_starts_need_an_unknown_word() -> None:
    text = "Engineers warned of corrosion. Medivant halts its trial. The port of Nordhaven said engineers left."
    analysed = analyse([(text, 1.0)], vocabulary={stem("engineers")})
    assert {"medivant", "nordhaven"} <= analysed.names
    assert "engineer" not in analysed.names and "port" not in analysed.names
    trip = analyse([("Whitlock will travel to São Paulo and visit Brazil in April.", 1.0)])
    assert {"paulo", "brazil"} <= trip.settings or {"são", "brazil"} <= trip.settings
    assert "whitlock" not in trip.settings and "april" not in trip.names


def test_background_rarity_and_epochs() -> None:
    background = Background(prior=20)
    assert background.idf("strike") == background.idf("anything")
    for _ in range(5):
        background.add(["strike", "union"])
    assert background.idf("strike") < background.idf("nordhaven")
    assert background.epoch >= 1


def test_the_labelled_set_meets_the_target() -> None:
    results = feeds_quality.run()
    figures = results["all"]
    assert figures["developments"]["gold"] >= 5 * 5 and results["stories"] and sum(results["stories"].values()) >= 5
    assert figures["unrelated"]["gold"] >= 50 and figures["unrelated"]["hard"] >= 20
    for kind in ("developments", "duplicates"):
        assert figures[kind]["precision"] >= feeds_quality.TARGET, (kind, figures[kind])
        assert figures[kind]["recall"] >= feeds_quality.TARGET, (kind, figures[kind])
