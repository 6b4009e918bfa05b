"""Tests for bot.alerts: an alert says what a development adds, not the story again."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.alerts import MAX_NEW_FACTS, compose_alert, known_statements, story_status_card, whats_new
from bot.cards import Reply
from bot.limits import check_message, paginate
from bot.markdown import to_markdown
from bot.markup import plain
from bot.story_model import Bullet
from storage.records import DevelopmentRecord, StoryRecord

WHEN = datetime(2024, 3, 2, 8, 0, tzinfo=UTC)
SUMMARY = (
    "Samsung and Meta are negotiating a custom AI chip supply deal. "
    "Talks began during Mark Zuckerberg's visit to Seoul last week."
)
KEY_POINTS = (
    Bullet("Deal", "Samsung would make custom AI accelerators for Meta data centres."),
    Bullet("Timing", "Production could start in 2025 at the Pyeongtaek plant."),
)
STORY = StoryRecord(
    id=7,
    slug="samsung-meta-chip-talks",
    scope_id=None,
    title="Samsung and Meta Discuss AI Chip Deal",
    dek="The companies are close to an agreement, people familiar said.",
    summary=SUMMARY,
    published_at=WHEN,
    timezone_assumed=False,
    reading_minutes=3,
    source="Example News",
    url="https://example.com/samsung-meta",
    tags=(),
    updated_at=WHEN,
    last_development_at=WHEN,
    created_at=WHEN,
)


def _development(
    id_: int, headline: str, body: str, url: str | None = None, key_points: tuple[Bullet, ...] = ()
) -> DevelopmentRecord:
    return DevelopmentRecord(id_, STORY.id, headline, body, key_points, url, None, WHEN, WHEN)


def _text(reply: Reply) -> str:
    chunks = [plain(reply.text)]
    for card in reply.cards:
        chunks += [card.title or "", plain(card.description), card.footer or "", card.url or ""]
        chunks += [f"{f.name}\n{plain(f.value)}" for f in card.fields]
    return "\n".join(chunks)


# --- whats_new -------------------------------------------------------------------------------------


def test_restating_a_known_key_point_is_not_new() -> None:
    known = [p.render() for p in KEY_POINTS]
    restated = "Samsung would make custom AI accelerators for Meta's data centres."
    assert whats_new(known, [restated]) == []


def test_a_sentence_with_new_facts_is_new() -> None:
    known = [p.render() for p in KEY_POINTS]
    fresh = "Regulators in Washington opened an antitrust review of the agreement on Friday."
    assert whats_new(known, [fresh]) == [fresh]


def test_a_known_sentence_with_a_few_new_words_is_still_known() -> None:
    known = ["Production could start in 2025 at the Pyeongtaek plant."]
    assert whats_new(known, ["Production could start in 2025 at the Pyeongtaek plant, sources said."]) == []


def test_repeats_within_the_candidates_count_once() -> None:
    fresh = "Intel filed a complaint with the trade commission."
    assert whats_new([], [fresh, fresh, "Intel filed a complaint with the trade commission!"]) == [fresh]


def test_candidates_without_content_words_are_ignored() -> None:
    assert whats_new([], ["", "It is what it is.", "..."]) == []


def test_whats_new_keeps_order_and_stops_at_the_limit() -> None:
    candidates = [
        "Witnesses described fires near the harbour.",
        "Acme reported record quarterly profits.",
        "Lawmakers scheduled hearings for April.",
        "Unions announced strikes at three ports.",
        "Shipping insurers raised premiums sharply.",
        "Farmers protested outside parliament.",
        "Bond yields fell after the announcement.",
    ]
    found = whats_new([], candidates)
    assert found == candidates[:MAX_NEW_FACTS]
    assert whats_new([], candidates, limit=2) == candidates[:2]


# --- compose_alert ---------------------------------------------------------------------------------


def test_the_alert_does_not_repeat_the_summary() -> None:
    development = _development(
        1,
        "US opens antitrust review",
        f"{SUMMARY} Regulators in Washington opened an antitrust review of the agreement on Friday.",
        url="https://example.com/review",
    )
    reply = compose_alert(STORY, KEY_POINTS, [], [development], zone=UTC)
    text = _text(reply)
    assert "antitrust review of the agreement" in text
    assert SUMMARY not in text
    for sentence in SUMMARY.split(". "):
        assert sentence.rstrip(".") not in text
    for point in KEY_POINTS:
        assert point.text not in text


def test_the_alert_links_the_source_and_names_the_timeline_command() -> None:
    development = _development(1, "Deal signed", "The companies signed the contract.", url="https://example.com/s")
    [card] = compose_alert(STORY, KEY_POINTS, [], [development], zone=UTC).cards
    assert "[Source](<https://example.com/s>)" in to_markdown(card.fields[0].value)
    assert f"/story timeline {STORY.slug}" in (card.footer or "")
    assert card.url == STORY.url
    assert card.title == f"Story update: {STORY.title}"
    assert card.fields[0].name == "02 Mar · Deal signed"


def test_facts_from_earlier_developments_are_not_new_again() -> None:
    earlier = _development(1, "Deal signed", "The companies signed a ten-year contract worth $5 billion.")
    later = _development(
        2,
        "Shares jump",
        "The companies signed a ten-year contract worth $5 billion. Samsung shares rose 4% in Seoul trading.",
    )
    [card] = compose_alert(STORY, KEY_POINTS, [earlier], [later], zone=UTC).cards
    [field] = card.fields
    assert "shares rose 4%" in plain(field.value)
    assert "ten-year contract" not in plain(field.value)


def test_a_development_that_adds_nothing_says_so() -> None:
    development = _development(1, "Talks continue", SUMMARY)
    [card] = compose_alert(STORY, KEY_POINTS, [], [development], zone=UTC).cards
    assert plain(card.fields[0].value) == "No new facts beyond the headline."


def test_a_burst_is_one_alert_with_a_field_per_development() -> None:
    first = _development(1, "Deal signed", "The companies signed a ten-year contract.")
    second = _development(2, "Shares jump", "Samsung shares rose 4% in Seoul trading.")
    reply = compose_alert(STORY, KEY_POINTS, [], [first, second], zone=UTC)
    [card] = reply.cards
    assert card.title == f"2 updates: {STORY.title}"
    assert [f.name.split(" · ")[1] for f in card.fields] == ["Deal signed", "Shares jump"]


def test_a_held_alert_says_it_was_held() -> None:
    [card] = compose_alert(
        STORY, KEY_POINTS, [], [_development(1, "x", "Fresh facts arrived today.")], zone=UTC, held=True
    ).cards
    assert card.title == f"While you were muted: {STORY.title}"


def test_development_key_points_count_as_statements() -> None:
    development = _development(
        1, "Terms", "", key_points=(Bullet("Price", "Each accelerator costs about $20,000 under the deal."),)
    )
    [card] = compose_alert(STORY, KEY_POINTS, [], [development], zone=UTC).cards
    assert "Price: Each accelerator costs about $20,000" in plain(card.fields[0].value)


def test_a_huge_development_still_fits_discord() -> None:
    body = " ".join(f"Sentence {n} reveals distinct fact {n * 7919} about supplier {n}." for n in range(300))
    reply = compose_alert(
        STORY, KEY_POINTS, [], [_development(1, "h" * 400, body, url="https://example.com/x")], zone=UTC
    )
    for part in paginate(reply):
        check_message(part)


def test_known_statements_cover_title_summary_key_points_and_earlier() -> None:
    earlier = _development(1, "Deal signed", "The contract runs ten years.", key_points=(Bullet("", "Worth $5bn"),))
    known = known_statements(STORY, KEY_POINTS, [earlier])
    assert STORY.title in known
    assert "Talks began during Mark Zuckerberg's visit to Seoul last week." in known
    assert KEY_POINTS[0].render() in known
    assert "The contract runs ten years." in known
    assert "Worth $5bn" in known


def test_status_card_shows_the_latest_development() -> None:
    latest = _development(3, "Deal signed", "Signed.")
    card = story_status_card(STORY, latest, 3, UTC)
    assert "Latest: Deal signed" in plain(card.description)
    assert plain(card.fields[0].value).startswith("3 so far.")
    assert card.footer == f"/story timeline {STORY.slug}"
    assert "No developments yet." in plain(story_status_card(STORY, None, 0, UTC).description)


def test_alert_and_status_card_show_the_developments_own_date_in_the_followers_zone() -> None:
    late = DevelopmentRecord(
        id=1,
        story_id=STORY.id,
        headline="Vote passed",
        body="The council vote passed late in the evening.",
        key_points=(),
        url=None,
        source=None,
        published_at=datetime(2024, 1, 7, 2, 17, tzinfo=UTC),  # still 6 Jan in New York
        created_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),  # when it was imported
    )
    zone = ZoneInfo("America/New_York")
    [card] = compose_alert(STORY, KEY_POINTS, [], [late], zone=zone).cards
    assert card.fields[0].name.startswith("06 Jan · ")
    assert "dates in America/New_York" in (card.footer or "")
    status = story_status_card(STORY, late, 1, zone)
    assert "Last development 6 Jan 2024, 21:17 EST" in plain(status.fields[0].value)
    assert "2026" not in plain(status.fields[0].value)
