"""FeedService against a loopback feed site, a real Fetcher and a real SQLite file: add, list, remove, why, and
what polling makes of new items (development, duplicate, unrelated, filtered, old, nothing new)."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.feeds.replies import why_reply
from bot.feeds.service import FeedService, ItemOutcome, UnknownFeed, WhyKind
from bot.follow_service import FollowService
from bot.markdown import to_markdown
from bot.parser import parse_article
from bot.story_cards import timeline_card
from bot.story_service import StoryService
from storage.database import Database
from storage.follows import FollowerKind, FollowRepository
from storage.records import StoryRecord
from storage.stories import ImportItem, StoryRepository
from tests.bot.feeds.conftest import CHANNEL, GUILD, OTHER_GUILD, T0, Clock, MakeService
from tests.bot.feeds.feedsite import FeedSite, Item, Route, atom, json_feed, rss
from tests.conftest import markdown_article
from tests.helpers import WakeCounter, outbox_items

SAMPLES = Path(__file__).parent / "samples"
USER = "discord:777777777777777777"
OPERATOR = None  # the global feeds, from the CLI: the ones that develop the global seed story

# Items about the seed story (Zuckerberg in South Korea), written for these tests.
DEAL = Item(
    "Zuckerberg meets Samsung chairman in South Korea, agrees AI chip partnership",
    "https://a.example/deal",
    "Mark Zuckerberg met Samsung Electronics chairman Lee Jae-yong in South Korea on Thursday, and the two agreed "
    "a partnership on custom AI chips for Meta data centres.",
    T0 + timedelta(minutes=5),
    guid="a-deal",
)
DEAL_COPY = Item(  # the same wire copy, from another outlet
    "Zuckerberg and Samsung agree AI chip partnership in South Korea",
    "https://b.example/zuck-samsung",
    "Mark Zuckerberg met Samsung Electronics chairman Lee Jae-yong in South Korea on Thursday, and the two agreed "
    "a partnership on custom AI chips for Meta data centres, people familiar said.",
    T0 + timedelta(minutes=9),
)
SNOW = Item(
    "Heavy snow closes mountain roads in Colorado",
    "https://a.example/snow",
    "Snow fell overnight across the Rockies.",
    T0 + timedelta(minutes=6),
)
EARNINGS = Item(  # a hard negative: the story's names, another event
    "Meta shares fall after Zuckerberg's earnings call",
    "https://a.example/earnings",
    "Meta reported quarterly earnings below forecasts as advertising revenue slowed; Zuckerberg said spending on "
    "AI data centres would rise.",
    T0 + timedelta(minutes=7),
)
STRIKE = Item(  # develops _own_story's harbour strike
    "Nordhaven dockworkers extend harbour strike as union rejects automation plan",
    "https://a.example/strike",
    "The Nordhaven Harbour Workers' Union extended its strike at the Port of Nordhaven for a second week after "
    "rejecting the operators' revised automation plan.",
    T0 + timedelta(minutes=2),
)
OLD = Item("Meta opens an office in Seoul", "https://a.example/old", "An older item.", T0 - timedelta(hours=3))


def _items(*items: Item) -> list[Item]:
    """Newest first, as feeds list them."""
    return sorted(items, key=lambda item: item.published or T0, reverse=True)


async def _outcomes(db: Database) -> dict[str, str]:
    async with db.reader.execute("SELECT link, outcome FROM feed_items") as cursor:
        return {row[0]: row[1] for row in await cursor.fetchall()}


async def _developments(db: Database) -> list[tuple[int, str, str | None, str | None]]:
    async with db.reader.execute("SELECT story_id, headline, url, source FROM developments ORDER BY id") as cursor:
        return [tuple(row) for row in await cursor.fetchall()]  # type: ignore[misc]


# --- add -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("render", "content_type"),
    [(rss, "application/rss+xml"), (atom, "application/atom+xml"), (json_feed, "application/feed+json")],
    ids=["rss", "atom", "json-feed"],
)
async def test_add_reads_rss_atom_and_json_feed_and_shows_the_newest_three(
    db: Database, site: FeedSite, service: FeedService, clock: Clock, render: object, content_type: str
) -> None:
    items = [Item(f"Item {n}", f"https://a.example/{n}", f"Text {n}.", T0 - timedelta(hours=n)) for n in range(5)]
    site.routes["/feed"] = Route(render(f"Outlet {content_type}", items), content_type)  # type: ignore[operator]

    added = await service.add(site.url("/feed"), GUILD, CHANNEL, every=30)

    assert added.title == f"Outlet {content_type}"
    assert [p.title for p in added.newest] == ["Item 0", "Item 1", "Item 2"]
    assert [p.link for p in added.newest] == ["https://a.example/0", "https://a.example/1", "https://a.example/2"]
    assert added.items_seen == 5
    assert added.next_check_at == T0 + timedelta(minutes=30)
    [listed] = await service.list(GUILD)
    assert (listed.feed_id, listed.status, listed.item_count, listed.every_minutes) == (added.feed_id, "ok", 5, 30)
    assert listed.story is None and listed.last_fetch_at == T0
    # The same format changes between polls: the new item, and only it, is new.
    newer = Item("Item new", "https://a.example/new", "Newer text.", T0 + timedelta(minutes=10))
    site.routes["/feed"] = Route(render(f"Outlet {content_type}", [newer, *items]), content_type)  # type: ignore[operator]
    clock.advance(minutes=30)
    report = await service.poll_due()
    assert (report.feeds, report.new_items, report.failed) == (1, 1, 0)
    assert (await _outcomes(db))[newer.link] == ItemOutcome.UNRELATED


@pytest.mark.parametrize(
    ("route", "says"),
    [
        (Route((SAMPLES / "html_page.html").read_bytes(), "text/html"), "web page (HTML), not a feed"),
        (Route((SAMPLES / "billion_laughs.xml").read_bytes(), "application/rss+xml"), "entit"),
        (Route(rss("Cut", [DEAL, SNOW])[:180]), "cut off or broken"),
        (Route(b"", status=404), "answered 404"),
    ],
    ids=["html", "entity-bomb", "cut-xml", "404"],
)
async def test_a_feed_that_cannot_be_fetched_or_parsed_is_refused_and_nothing_is_saved(
    db: Database, site: FeedSite, service: FeedService, route: Route, says: str
) -> None:
    site.routes["/feed"] = route
    with pytest.raises(UserError, match="Nothing was saved") as raised:
        await service.add(site.url("/feed"), GUILD, CHANNEL)
    assert says in str(raised.value)
    assert await service.list(GUILD) == []
    assert await _outcomes(db) == {}


async def test_a_private_address_is_refused_before_any_request(site: FeedSite, service: FeedService) -> None:
    with pytest.raises(UserError, match=r"Nothing was saved: Not fetched: 10\.1\.2\.3 is a private"):
        await service.add("http://10.1.2.3/feed.xml", GUILD, CHANNEL)
    assert site.requests == [] and await service.list(GUILD) == []


async def test_add_checks_the_interval_the_words_and_repeats(site: FeedSite, service: FeedService) -> None:
    site.routes["/feed"] = Route(rss("Outlet", [DEAL]))
    for every in (4, 1441):
        with pytest.raises(UserError, match="every 5 to 1440 minutes"):
            await service.add(site.url("/feed"), GUILD, CHANNEL, every=every)
    with pytest.raises(UserError, match="under 100 characters"):
        await service.add(site.url("/feed"), GUILD, CHANNEL, include=["x" * 101])
    await service.add(site.url("/feed"), GUILD, CHANNEL)
    with pytest.raises(UserError, match="already a feed here"):
        await service.add(site.url("/feed"), GUILD, CHANNEL)
    assert len(site.hits("/feed")) == 1  # the repeat was refused before fetching


async def test_a_feed_for_a_story_names_it_and_an_unknown_story_is_refused(
    site: FeedSite, service: FeedService, story: StoryRecord
) -> None:
    site.routes["/feed"] = Route(rss("Outlet", []))
    with pytest.raises(UserError, match="No story matches"):
        await service.add(site.url("/feed"), GUILD, CHANNEL, story="no-such-story")
    with pytest.raises(UserError, match="No story matches"):
        await service.add(site.url("/feed"), OPERATOR, None, story="no-such-story")
    added = await service.add(site.url("/feed"), OPERATOR, None, story=story.slug)
    assert added.story is not None and added.story.slug == story.slug
    assert added.newest == () and added.items_seen == 0


# --- polling: first fetch, outcomes, alerts ----------------------------------------------------------


async def test_first_fetch_sends_nothing_and_items_older_than_the_feed_never_alert(
    db: Database, site: FeedSite, service: FeedService, story: StoryRecord, clock: Clock, alerts_woken: WakeCounter
) -> None:
    site.routes["/a"] = Route(rss("Outlet A", [DEAL]))
    await service.add(site.url("/a"), GUILD, CHANNEL)
    clock.advance(minutes=20)
    report = await service.poll_due()

    assert (report.feeds, report.new_items, report.developments) == (1, 0, 0)
    assert await _outcomes(db) == {DEAL.link: ItemOutcome.BASELINE}
    assert await _developments(db) == [] and alerts_woken.calls == 0

    site.routes["/a"] = Route(rss("Outlet A", [DEAL, OLD]))  # an item dated before the feed was added
    clock.advance(minutes=20)
    report = await service.poll_due()
    assert (report.new_items, report.developments) == (1, 0)
    assert (await _outcomes(db))[OLD.link] == ItemOutcome.OLD
    [answer] = (await service.why(OLD.link, GUILD)).answers
    assert answer.kind is WhyKind.OLD and "older than the feed" in answer.text


async def test_a_development_alerts_followers_once_a_duplicate_adds_also_reported_by(
    db: Database,
    site: FeedSite,
    service: FeedService,
    stories: StoryRepository,
    story: StoryRecord,
    clock: Clock,
    alerts_woken: WakeCounter,
) -> None:
    follows = FollowService(FollowRepository(db), stories, StoryService(stories), burst_window=timedelta(0))
    await FollowRepository(db).follow(story.id, FollowerKind.USER, USER, scope_id=None, ping_role_id=None, now=T0)
    site.routes["/a"] = Route(rss("Outlet A", []))
    site.routes["/b"] = Route(rss("Outlet B", []))
    await service.add(site.url("/a"), OPERATOR, None)
    await service.add(site.url("/b"), OPERATOR, None)

    site.routes["/a"] = Route(rss("Outlet A", _items(DEAL, SNOW, EARNINGS)))
    clock.advance(minutes=20)
    first = await service.poll_due()
    site.routes["/b"] = Route(rss("Outlet B", [DEAL_COPY]))
    clock.advance(minutes=20)
    second = await service.poll_due()

    assert (first.developments, first.duplicates, second.developments, second.duplicates) == (1, 0, 0, 1)
    assert await _outcomes(db) == {
        DEAL.link: ItemOutcome.DEVELOPMENT,
        SNOW.link: ItemOutcome.UNRELATED,
        EARNINGS.link: ItemOutcome.UNRELATED,
        DEAL_COPY.link: ItemOutcome.DUPLICATE,
    }
    [(story_id, headline, url, source)] = await _developments(db)
    assert (story_id, headline, url, source) == (story.id, DEAL.title, DEAL.link, "Outlet A")
    assert alerts_woken.calls == 1
    # The follow-up path does the rest: one alert for the one development.
    assert await follows.process_alerts(now=clock.now) == 1
    [alert] = [item for item in await outbox_items(db) if item.kind == "alert"]
    assert alert.target_id == USER and DEAL.title in alert.payload_json
    assert await follows.process_alerts(now=clock.now) == 0
    # The development's timeline line names the other outlet.
    detail = await StoryService(stories).detail(story.slug, GUILD)
    assert detail.developments[-1].also_reported_by == ("Outlet B",)
    assert "also reported by Outlet B" in to_markdown(timeline_card(detail, UTC).description)

    # Asked in a server: the operator's global feeds develop the stories it sees, so their items are explained.
    why = {q: (await service.why(q, GUILD)).answers for q in (DEAL.link, DEAL_COPY.link, "snow closes", "earnings")}
    assert all(answer.global_feed for answers in why.values() for answer in answers)
    [development] = why[DEAL.link]
    assert development.kind is WhyKind.DEVELOPMENT and development.story is not None
    assert development.story.id == story.id and development.score is not None and development.score >= 0.14
    assert f"Matched to story “{story.title}” with score {development.score:.2f}" in development.text
    [duplicate] = why[DEAL_COPY.link]
    assert duplicate.kind is WhyKind.DUPLICATE and duplicate.also_reported_by == ("Outlet B",)
    assert "Also reported by: Outlet B." in duplicate.text and DEAL.title in duplicate.text
    for query in ("snow closes", "earnings"):
        [below] = why[query]
        assert below.kind is WhyKind.BELOW_THRESHOLD and "Below the threshold" in below.text
    [earnings] = why["earnings"]
    assert earnings.story is not None and earnings.story.id == story.id  # the best story, and its score
    assert f"with score {earnings.score:.2f}; a development needs 0.14" in earnings.text


async def test_an_item_that_says_nothing_new_makes_no_development(
    db: Database, site: FeedSite, service: FeedService, story: StoryRecord, clock: Clock
) -> None:
    site.routes["/a"] = Route(rss("Outlet A", []))
    await service.add(site.url("/a"), OPERATOR, None)
    repeat = Item(
        "Zuckerberg visits South Korea to discuss AI and Meta's push in the region",
        "https://a.example/repeat",
        "Zuckerberg is expected to meet with South Korean President Yoon Suk Yeol and the heads of leading tech "
        "companies like Samsung and SK Telecom.",
        T0 + timedelta(minutes=3),
    )
    site.routes["/a"] = Route(rss("Outlet A", [repeat]))
    clock.advance(minutes=20)
    report = await service.poll_due()

    assert report.developments == 0 and await _developments(db) == []
    assert await _outcomes(db) == {repeat.link: ItemOutcome.NOTHING_NEW}
    [answer] = (await service.why(repeat.link, OPERATOR)).answers
    assert answer.kind is WhyKind.NOTHING_NEW and "said nothing the story did not already say" in answer.text


async def test_dedupe_survives_reordering_redating_and_retitling(
    db: Database, site: FeedSite, service: FeedService, story: StoryRecord, clock: Clock
) -> None:
    site.routes["/a"] = Route(rss("Outlet A", []))
    await service.add(site.url("/a"), OPERATOR, None)
    site.routes["/a"] = Route(rss("Outlet A", _items(DEAL, SNOW)))
    clock.advance(minutes=20)
    assert (await service.poll_due()).developments == 1

    edited = Item(DEAL.title + " (updated)", DEAL.link, DEAL.summary, DEAL.published + timedelta(hours=2), DEAL.guid)
    snow_moved = Item("Snow: roads closed", SNOW.link + "?utm_source=rss#top", SNOW.summary, SNOW.published)
    site.routes["/a"] = Route(rss("Outlet A", [snow_moved, edited]))  # reordered, re-dated, retitled
    clock.advance(minutes=20)
    report = await service.poll_due()

    assert (report.new_items, report.developments) == (0, 0)
    assert len(await _developments(db)) == 1


async def test_include_and_exclude_words_filter_items_as_plain_words(
    db: Database, site: FeedSite, service: FeedService, story: StoryRecord, clock: Clock
) -> None:
    site.routes["/a"] = Route(rss("Outlet A", []))
    await service.add(site.url("/a"), OPERATOR, None, include=["chip", "snow"], exclude=["Colorado"])
    site.routes["/a"] = Route(rss("Outlet A", _items(DEAL, SNOW, EARNINGS)))
    clock.advance(minutes=20)
    await service.poll_due()

    assert await _outcomes(db) == {
        DEAL.link: ItemOutcome.DEVELOPMENT,  # has "chip"
        SNOW.link: ItemOutcome.FILTERED,  # has "snow", but also "Colorado"
        EARNINGS.link: ItemOutcome.FILTERED,  # none of the include words
    }
    [snow] = (await service.why(SNOW.link, OPERATOR)).answers
    assert snow.kind is WhyKind.FILTERED and snow.filter_word == "Colorado"
    assert "exclude word “Colorado”" in snow.text
    [earnings] = (await service.why(EARNINGS.link, OPERATOR)).answers
    assert earnings.filter_word == "chip, snow" and "none of the include words" in earnings.text


async def test_a_feed_for_one_story_is_matched_against_that_story_only(
    db: Database, site: FeedSite, service: FeedService, stories: StoryRepository, story: StoryRecord, clock: Clock
) -> None:
    other = await _own_story(stories, None, "Harbour strike")
    site.routes["/a"] = Route(rss("Outlet A", []))
    await service.add(site.url("/a"), OPERATOR, None, story=other.slug)
    site.routes["/a"] = Route(rss("Outlet A", [DEAL]))
    clock.advance(minutes=20)
    await service.poll_due()
    assert await _outcomes(db) == {DEAL.link: ItemOutcome.UNRELATED}
    [answer] = (await service.why(DEAL.link, OPERATOR)).answers
    assert answer.story is None or answer.story.id == other.id


async def test_a_restarted_service_remembers_items_and_developments(
    db: Database, site: FeedSite, make_service: MakeService, story: StoryRecord, clock: Clock
) -> None:
    first = make_service()
    site.routes["/a"] = Route(rss("Outlet A", []))
    site.routes["/b"] = Route(rss("Outlet B", []))
    await first.add(site.url("/a"), OPERATOR, None)
    await first.add(site.url("/b"), OPERATOR, None)
    site.routes["/a"] = Route(rss("Outlet A", _items(DEAL, SNOW)))
    clock.advance(minutes=20)
    assert (await first.poll_due()).developments == 1

    restarted = make_service()  # a new process: its matcher is rebuilt from the store
    site.routes["/b"] = Route(rss("Outlet B", [DEAL_COPY]))
    clock.advance(minutes=20)
    report = await restarted.poll_due()

    assert (report.new_items, report.developments, report.duplicates) == (1, 0, 1)
    assert len(await _developments(db)) == 1


async def test_articles_are_read_when_asked_and_a_failure_is_recorded(
    db: Database, site: FeedSite, make_service: MakeService, story: StoryRecord, clock: Clock
) -> None:
    service = make_service(fetch_articles=True)
    page = (
        "<html><head><title>Chips</title></head><body><article><h1>Chips</h1>"
        + "<p>Mark Zuckerberg toured a Samsung chip plant near Seoul with Lee Jae-yong on Thursday.</p>" * 4
        + "</article></body></html>"
    )
    site.routes["/article"] = Route(page.encode(), "text/html")
    with_page = Item("Chip plant tour", site.url("/article"), "", T0 + timedelta(minutes=4))
    missing = Item("Gone page", site.url("/missing"), "", T0 + timedelta(minutes=5))
    site.routes["/a"] = Route(rss("Outlet A", []))
    await service.add(site.url("/a"), GUILD, CHANNEL)
    site.routes["/a"] = Route(rss("Outlet A", _items(with_page, missing)))
    clock.advance(minutes=20)
    await service.poll_due()

    assert len(site.hits("/article")) == 1 and len(site.hits("/missing")) == 1
    async with db.reader.execute("SELECT title, article_note FROM feed_items ORDER BY id") as cursor:
        notes = {row[0]: row[1] for row in await cursor.fetchall()}
    assert notes["Chip plant tour"] is None
    assert notes["Gone page"] is not None and "not read" in notes["Gone page"] and "404" in notes["Gone page"]


# --- why, list, remove, scoping ------------------------------------------------------------------------


async def test_a_server_feed_never_develops_a_global_story_even_with_a_perfect_match(
    db: Database, site: FeedSite, service: FeedService, story: StoryRecord, clock: Clock, alerts_woken: WakeCounter
) -> None:
    site.routes["/a"] = Route(rss("Outlet A", []))
    site.routes["/g"] = Route(rss("Outlet G", []))
    added = await service.add(site.url("/a"), GUILD, CHANNEL)
    assert not added.owns_stories and not added.global_feed  # the reply says items develop only its own stories
    await service.add(site.url("/g"), OPERATOR, None)
    site.routes["/a"] = Route(rss("Outlet A", [DEAL]))
    clock.advance(minutes=20)
    report = await service.poll_due()

    assert (report.new_items, report.developments, report.duplicates) == (1, 0, 0)
    assert await _outcomes(db) == {DEAL.link: ItemOutcome.UNRELATED}
    assert await _developments(db) == [] and alerts_woken.calls == 0
    async with db.reader.execute("SELECT best_story_id, reason FROM feed_items WHERE link = ?", (DEAL.link,)) as c:
        [(best_story_id, reason)] = list(await c.fetchall())
    assert best_story_id is None and reason.startswith("unrelated (only this server's own stories are candidates)")
    [answer] = (await service.why(DEAL.link, GUILD)).answers
    assert answer.kind is WhyKind.BELOW_THRESHOLD and answer.story is None and not answer.global_feed
    assert "Feeds here develop only this server's own stories" in answer.text
    # The same item in the operator's global feed develops the global story.
    site.routes["/g"] = Route(rss("Outlet G", [DEAL]))
    clock.advance(minutes=20)
    assert (await service.poll_due()).developments == 1
    assert [row[0] for row in await _developments(db)] == [story.id]


async def test_a_server_feed_develops_that_server_s_own_story(
    db: Database, site: FeedSite, service: FeedService, stories: StoryRepository, story: StoryRecord, clock: Clock
) -> None:
    own = await _own_story(stories, GUILD, "Harbour strike")
    site.routes["/a"] = Route(rss("Outlet A", []))
    added = await service.add(site.url("/a"), GUILD, CHANNEL)
    assert added.owns_stories
    site.routes["/b"] = Route(rss("Outlet B", []))
    for_story = await service.add(site.url("/b"), GUILD, CHANNEL, story=own.slug)
    assert for_story.story is not None and for_story.story.id == own.id
    site.routes["/a"] = Route(rss("Outlet A", _items(STRIKE, DEAL)))
    clock.advance(minutes=20)
    await service.poll_due()

    assert await _outcomes(db) == {STRIKE.link: ItemOutcome.DEVELOPMENT, DEAL.link: ItemOutcome.UNRELATED}
    assert [row[0] for row in await _developments(db)] == [own.id]


async def test_a_feed_for_a_global_story_is_refused_in_a_server_and_nothing_is_saved(
    db: Database, site: FeedSite, service: FeedService, story: StoryRecord
) -> None:
    site.routes["/feed"] = Route(rss("Outlet", [DEAL]))
    with pytest.raises(UserError) as refused:
        await service.add(site.url("/feed"), GUILD, CHANNEL, story=story.slug)
    assert "Feeds here can only develop this server's own stories" in str(refused.value)
    assert "briefbot feed add URL --story SLUG" in str(refused.value)
    assert site.hits("/feed") == [] and await service.list(GUILD) == [] and await _outcomes(db) == {}


async def test_why_in_a_server_shows_global_items_marked_but_list_and_remove_stay_its_own(
    site: FeedSite, service: FeedService, story: StoryRecord
) -> None:
    site.routes["/g"] = Route(rss("Operator Wire", [SNOW]))
    site.routes["/a"] = Route(rss("Outlet A", [EARNINGS]))
    operator = await service.add(site.url("/g"), OPERATOR, None, story=story.slug)
    [answer] = (await service.why(SNOW.link, GUILD)).answers  # a server with no feed of its own
    assert answer.kind is WhyKind.BASELINE and answer.global_feed and answer.feed_title == "Operator Wire"
    [card] = why_reply(await service.why(SNOW.link, GUILD), UTC).cards
    assert "in **Operator Wire**, a global feed of the bot's operator." in to_markdown(card.fields[0].value)
    [cli] = (await service.why(SNOW.link, OPERATOR)).answers
    assert not cli.global_feed  # the operator's own view needs no mark
    mine = await service.add(site.url("/a"), GUILD, CHANNEL)
    [own] = (await service.why(EARNINGS.link, GUILD)).answers
    assert own.feed_id == mine.feed_id and not own.global_feed
    assert [f.feed_id for f in await service.list(GUILD)] == [mine.feed_id]
    assert [c.value for c in await service.choices("", GUILD)] == [str(mine.feed_id)]
    with pytest.raises(UnknownFeed):
        await service.remove(str(operator.feed_id), GUILD)
    assert [f.feed_id for f in await service.list(OPERATOR)] == [operator.feed_id]
    # Another server's items stay hidden: only its own and the global ones.
    [hidden] = (await service.why(EARNINGS.link, OTHER_GUILD)).answers
    assert hidden.kind is WhyKind.NOT_SEEN and "Outlet A" not in to_markdown(hidden.text)


async def test_why_for_an_item_not_seen_yet_names_the_next_check(
    site: FeedSite, service: FeedService, clock: Clock
) -> None:
    with pytest.raises(UserError, match="No feeds are followed here"):
        await service.why("anything", GUILD)
    site.routes["/a"] = Route(rss("Outlet *A*", [SNOW]))
    added = await service.add(site.url("/a"), GUILD, CHANNEL, every=60)
    [answer] = (await service.why("https://a.example/not-yet", GUILD)).answers
    assert answer.kind is WhyKind.NOT_SEEN
    assert answer.next_check_at == added.next_check_at == T0 + timedelta(minutes=60)
    assert r"**Outlet \*A\***" in to_markdown(answer.text)  # the feed's title cannot add Markdown
    [seen] = (await service.why("Heavy SNOW", GUILD)).answers
    assert seen.kind is WhyKind.BASELINE and seen.item_title == SNOW.title


async def test_one_server_never_sees_another_servers_feeds_items_or_stories(
    db: Database, site: FeedSite, service: FeedService, stories: StoryRepository, clock: Clock
) -> None:
    strike = await _own_story(stories, OTHER_GUILD, "Harbour strike")
    site.routes["/a"] = Route(rss("Outlet A", []))
    mine = await service.add(site.url("/a"), GUILD, CHANNEL)
    their_channel = "discord:555555555555555556"
    theirs = await service.add(site.url("/a"), OTHER_GUILD, their_channel)  # the same URL, their own feed
    strike_item = Item(
        "Nordhaven dockworkers extend harbour strike as union rejects automation plan",
        "https://a.example/strike",
        "The Nordhaven Harbour Workers' Union extended its strike at the Port of Nordhaven for a second week after "
        "rejecting the operators' revised automation plan.",
        T0 + timedelta(minutes=2),
    )
    site.routes["/a"] = Route(rss("Outlet A", [strike_item]))
    clock.advance(minutes=20)
    await service.poll_due()

    assert [f.feed_id for f in await service.list(GUILD)] == [mine.feed_id]
    assert [f.feed_id for f in await service.list(OTHER_GUILD)] == [theirs.feed_id]
    assert [c.value for c in await service.choices("", GUILD)] == [str(mine.feed_id)]
    with pytest.raises(UnknownFeed):
        await service.remove(str(theirs.feed_id), GUILD)
    # Their story is a candidate for their feed only.
    [their_answer] = (await service.why(strike_item.link, OTHER_GUILD)).answers
    assert their_answer.kind is WhyKind.DEVELOPMENT and their_answer.story is not None
    assert their_answer.story.id == strike.id
    [my_answer] = (await service.why(strike_item.link, GUILD)).answers
    assert my_answer.kind is WhyKind.BELOW_THRESHOLD and my_answer.story is None
    assert my_answer.feed_id == mine.feed_id  # my item, not theirs
    assert "Harbour" not in my_answer.text
    assert await service.list(None) == []  # and the global feeds are neither


async def test_remove_by_id_hash_id_or_url_and_choices_find_by_title_or_url(
    db: Database, site: FeedSite, service: FeedService
) -> None:
    for path, title in (("/a", "Seoul Herald"), ("/b", "Daily Chips"), ("/c", "Harbour News")):
        site.routes[path] = Route(rss(title, [SNOW]))
        await service.add(site.url(path), GUILD, CHANNEL)
    [a, b, c] = await service.list(GUILD)
    assert [choice.value for choice in await service.choices("herald", GUILD)] == [str(a.feed_id)]
    assert [choice.value for choice in await service.choices("/b", GUILD)] == [str(b.feed_id)]
    assert [choice.name for choice in await service.choices("news", GUILD)] == [f"#{c.feed_id} Harbour News · {c.url}"]

    assert (await service.remove(str(a.feed_id), GUILD)).title == "Seoul Herald"
    assert (await service.remove(f"#{b.feed_id}", GUILD)).title == "Daily Chips"
    assert (await service.remove(c.url, GUILD)).title == "Harbour News"
    assert await service.list(GUILD) == [] and await _outcomes(db) == {}
    with pytest.raises(UnknownFeed) as unknown:
        await service.remove("nope", GUILD)
    assert to_markdown(unknown.value.markup).startswith("No feed here matches `nope`")


async def _own_story(stories: StoryRepository, scope_id: str | None, origin: str) -> StoryRecord:
    text = markdown_article(
        title="Dockworkers strike shuts Port of Nordhaven over automation plan",
        body=(
            "About 2,400 dockworkers at the Port of Nordhaven walked out on Monday after the terminal operators "
            "announced plans to replace manual straddle carriers with automated cranes. The Harbour Workers' Union "
            "says the plan puts 600 jobs at risk.\n\n## Key Points\n\n"
            "- Walkout: 2,400 union members stopped work at all four Nordhaven container terminals.\n"
        ),
    )
    parsed = parse_article(text.encode(), "strike.md")
    [outcome] = await stories.import_stories([ImportItem(f"test:{origin}:{scope_id}", parsed, scope_id)], now=T0)
    record = await stories.get(outcome.slug, scope_id)
    assert record is not None
    return record
