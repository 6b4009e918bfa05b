"""item_key: the dedupe key survives a feed that reorders, re-dates or retitles its items."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.identity import item_key, normalise_link
from bot.feeds.model import FeedItem
from bot.feeds.parse import parse_feed

MOMENT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _item(**fields: object) -> FeedItem:
    base = {"guid": None, "link": None, "title": "Port strike ends", "summary": "", "published": MOMENT}
    base.update(author=None, outlet="Daily")
    base.update(fields)
    return FeedItem(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://News.Example.COM/a/b", "https://news.example.com/a/b"),
        ("HTTPS://news.example.com/a", "https://news.example.com/a"),
        ("http://news.example.com/a", "https://news.example.com/a"),
        ("https://news.example.com/a/", "https://news.example.com/a"),
        ("https://news.example.com/a#comments", "https://news.example.com/a"),
        ("https://news.example.com/a?utm_source=rss&utm_medium=feed", "https://news.example.com/a"),
        ("https://news.example.com/a?UTM_Campaign=x&id=7", "https://news.example.com/a?id=7"),
        ("https://news.example.com/a?fbclid=abc&id=7&gclid=z", "https://news.example.com/a?id=7"),
        ("https://news.example.com/a?b=2&a=1", "https://news.example.com/a?a=1&b=2"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:80/a", "https://news.example.com/a"),
        ("https://news.example.com./a", "https://news.example.com/a"),
        ("https://news.example.com", "https://news.example.com/"),
    ],
)
def test_links_that_are_the_same_page_normalise_alike(a: str, b: str) -> None:
    assert normalise_link(a) == normalise_link(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://news.example.com/a", "https://news.example.com/b"),
        ("https://news.example.com/a?id=7", "https://news.example.com/a?id=8"),
        ("https://news.example.com/a", "https://other.example.com/a"),
        ("https://news.example.com:8443/a", "https://news.example.com/a"),
        ("https://news.example.com/A", "https://news.example.com/a"),  # paths are case-sensitive
    ],
)
def test_different_pages_stay_different(a: str, b: str) -> None:
    assert normalise_link(a) != normalise_link(b)


@pytest.mark.parametrize("link", ["javascript:x", "ftp://x.example/a", "not a url", "https://x.example:bad/"])
def test_non_http_links_do_not_normalise(link: str) -> None:
    assert normalise_link(link) is None


def test_guid_wins_and_survives_retitling_and_redating() -> None:
    first = _item(guid="daily-123", link="https://daily.example/a")
    edited = dataclasses.replace(
        first, title="Port strike ends after nine days", published=MOMENT + timedelta(hours=5), link=None
    )
    assert item_key(first) == item_key(edited) == "id:daily-123"


def test_permalink_guids_ignore_tracking_parameters() -> None:
    a = _item(guid="https://daily.example/a?utm_source=rss")
    b = _item(guid="https://daily.example/a?utm_source=newsletter#top")
    assert item_key(a) == item_key(b)


def test_link_is_the_key_without_a_guid_and_survives_edits() -> None:
    first = _item(link="https://daily.example/a?utm_source=rss")
    edited = dataclasses.replace(
        first, link="https://daily.example/a/#more", title="New title", published=MOMENT + timedelta(days=1)
    )
    assert item_key(first) == item_key(edited)
    assert item_key(first).startswith("link:")


def test_hash_of_title_and_date_is_the_last_resort() -> None:
    item = _item()
    assert item_key(item).startswith("hash:")
    assert item_key(item) == item_key(dataclasses.replace(item, title="  PORT strike   ends "))
    assert item_key(item) != item_key(dataclasses.replace(item, title="Port strike begins"))
    assert item_key(item) != item_key(dataclasses.replace(item, published=MOMENT + timedelta(days=1)))


def test_items_with_neither_title_nor_date_are_told_apart_by_summary() -> None:
    a = _item(title="", published=None, summary="first note")
    b = _item(title="", published=None, summary="second note")
    assert item_key(a) != item_key(b)


def test_kinds_never_collide() -> None:
    link = "https://daily.example/a"
    assert item_key(_item(guid="x")) != item_key(_item(link="x"))
    assert item_key(_item(guid=link)) == f"id:{normalise_link(link)}"
    assert item_key(_item(link=link)) == f"link:{normalise_link(link)}"


def _feed(items: list[tuple[str, str, str, str]], with_guid: bool) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
        + (f"<guid isPermaLink='false'>{guid}</guid>" if with_guid else "")
        + "</item>"
        for guid, title, link, date in items
    )
    return f'<rss version="2.0"><channel><title>F</title>{body}</channel></rss>'.encode()


@pytest.mark.parametrize("with_guid", [True, False])
def test_a_feed_that_reorders_redates_and_retitles_keeps_every_key(with_guid: bool) -> None:
    before = [
        ("g1", "Strike begins", "https://f.example/1", "Mon, 02 Mar 2026 10:00:00 GMT"),
        ("g2", "Talks stall", "https://f.example/2?utm_source=rss", "Tue, 03 Mar 2026 10:00:00 GMT"),
        ("g3", "Deal reached", "https://f.example/3", "Wed, 04 Mar 2026 10:00:00 GMT"),
    ]
    after = [  # newest first now, every title edited, two re-dated, links decorated
        ("g3", "Deal reached, strike ends", "http://F.EXAMPLE/3/", "Wed, 04 Mar 2026 10:00:00 GMT"),
        ("g1", "Strike begins at the port", "https://f.example/1#update", "Thu, 05 Mar 2026 09:00:00 GMT"),
        ("g2", "Talks stall again", "https://f.example/2?utm_source=other", "Tue, 03 Mar 2026 12:00:00 GMT"),
    ]
    keys = [
        [item_key(item) for item in parse_feed(_feed(items, with_guid), None, "https://f.example/rss").items]
        for items in (before, after)
    ]
    assert len(set(keys[0])) == 3
    assert keys[1] == [keys[0][2], keys[0][0], keys[0][1]]
