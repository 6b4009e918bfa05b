"""Feed replies: feed text never adds Markdown, dates are in the audience's zone, and every answer reads well."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.feeds.replies import added_reply, list_reply, removed_reply, why_reply
from bot.feeds.results import FeedAdded, FeedRemoved, FeedSummary, PreviewItem, StoryLabel, WhyAnswer, WhyResult
from bot.feeds.service import FeedStatus, WhyKind
from bot.markdown import to_markdown
from bot.markup import plain

T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
SEOUL = ZoneInfo("Asia/Seoul")
SNEAKY = "**Big** [news](https://evil.example) <@&123> `x`"


def _summary(**changes: object) -> FeedSummary:
    fields: dict[str, object] = {
        "feed_id": 3,
        "url": "https://f.example/feed",
        "title": SNEAKY,
        "story": None,
        "every_minutes": 15,
        "include": (),
        "exclude": (),
        "status": FeedStatus.OK,
        "reason": None,
        "failure_count": 0,
        "last_fetch_at": T0,
        "next_check_at": T0,
        "item_count": 12,
        "created_at": T0,
    }
    return FeedSummary(**{**fields, **changes})  # type: ignore[arg-type]


def test_added_escapes_titles_links_only_http_and_dates_in_the_zone() -> None:
    added = FeedAdded(
        feed_id=3,
        url="https://f.example/feed",
        title=SNEAKY,
        story=StoryLabel(1, "zuck", "Zuckerberg *visits*"),
        every_minutes=15,
        include=("chip",),
        exclude=("opinion",),
        newest=(PreviewItem("Item [one]", "https://a.example/1", T0), PreviewItem("Two", None, None)),
        items_seen=2,
        next_check_at=T0,
    )
    [card] = added_reply(added, SEOUL).cards
    assert to_markdown(card.title) == r"Feed added: \*\*Big\*\* \[news\](https://evil.example) \<@&123\> \`x\`"
    assert "a source for **Zuckerberg \\*visits\\*** only" in to_markdown(card.description)
    assert "Only items with “chip”; never items with “opinion”." in to_markdown(card.description)
    assert to_markdown(card.fields[0].value) == "• [Item \\[one\\]](<https://a.example/1>) · 10 Mar 2024\n• Two"
    assert card.footer == "#3 · next check 10 Mar 21:00 KST · dates in Asia/Seoul"


def test_added_says_what_a_server_or_global_feed_develops() -> None:
    base = {
        "feed_id": 4, "url": "https://f.example/feed", "title": "Wire", "story": None, "every_minutes": 15,
        "include": (), "exclude": (), "newest": (), "items_seen": 0, "next_check_at": T0,
    }  # fmt: skip
    [none_own] = added_reply(FeedAdded(**base, owns_stories=False), SEOUL).cards  # type: ignore[arg-type]
    assert "matched against every story here" in to_markdown(none_own.description)
    assert "its items can only develop stories this server adds" in to_markdown(none_own.description)
    [owns] = added_reply(FeedAdded(**base), SEOUL).cards  # type: ignore[arg-type]
    assert "can only develop" not in to_markdown(owns.description)
    [operator] = added_reply(FeedAdded(**base, global_feed=True), SEOUL).cards  # type: ignore[arg-type]
    assert "matched against every global story" in to_markdown(operator.description)


def test_list_shows_status_reason_and_counts() -> None:
    reply = list_reply(
        [
            _summary(),
            _summary(feed_id=4, status=FeedStatus.FAILING, reason="x answered 500 (2 failures in a row)"),
            _summary(feed_id=5, status=FeedStatus.DISABLED, reason="it answered 410 Gone", last_fetch_at=None),
        ],
        UTC,
    )
    text = to_markdown(reply.cards[0].description)
    assert r"**#3 \*\*Big\*\*" in text and "ok · last fetch 10 Mar 12:00 UTC · 12 items" in text
    assert "**failing**: x answered 500 (2 failures in a row)" in text
    assert "**disabled**: it answered 410 Gone · last fetch never" in text
    assert reply.cards[0].footer == "3 feeds · dates in UTC"
    assert to_markdown(list_reply([], UTC).cards[0].description) == "No feeds here yet."


def test_why_gives_each_answer_its_heading_and_the_next_check_in_the_zone() -> None:
    result = WhyResult(
        "snow",
        (
            WhyAnswer(
                WhyKind.BELOW_THRESHOLD,
                "Below the threshold.",
                item_title="Snow *falls*",
                item_link="https://a.example/s",
                feed_title="Outlet",
                seen_at=T0,
            ),
            WhyAnswer(WhyKind.NOT_SEEN, "Not seen yet.", next_check_at=T0),
        ),
    )
    [card] = why_reply(result, SEOUL).cards
    below, unseen = card.fields
    assert to_markdown(below.name) == r"Below the threshold: Snow \*falls\*"
    assert to_markdown(below.value) == "Below the threshold.\nSeen 10 Mar 21:00 KST in **Outlet**.\nhttps://a.example/s"
    assert (unseen.name, plain(unseen.value)) == ("Not seen yet", "Not seen yet.\nNext check at 10 Mar 21:00 KST.")


def test_removed_names_the_feed() -> None:
    reply = removed_reply(FeedRemoved(3, "https://f.example/feed", "A_B"))
    assert to_markdown(reply.text) == r"Removed feed #3 **A\_B** (https://f.example/feed) and what it had seen."
