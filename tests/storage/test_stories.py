"""Tests for storage.stories: idempotent imports, developments, guild scoping and search, on real SQLite files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.parser import parse_article
from bot.story_model import Bullet, SectionKind, Story
from storage.stories import ImportItem, ImportStatus, StoryRepository, fts_prefix_query, fts_quote
from tests.conftest import SEED_KEY_POINT_LABELS, markdown_article

GUILD_A = "discord:111111111111111111"
GUILD_B = "discord:222222222222222222"
NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def _md(origin: str = "chips.md", **kwargs: str) -> Story:
    return parse_article(markdown_article(**kwargs), origin)


def _follow_up(slug: str, headline: str = "Samsung Signs AI Chip Deal With Meta", extra: str = "") -> Story:
    body = f"Samsung agreed to supply custom AI chips to Meta after the visit.{extra}\n"
    return _md(title=headline, date="2024-03-02 08:00 UTC", follows=slug, body=body)


async def _import_one(stories: StoryRepository, story: Story, origin: str = "file:seed", guild: str | None = None):
    [outcome] = await stories.import_stories([ImportItem(origin, story, guild)], now=NOW)
    return outcome


async def _story_count(stories: StoryRepository) -> int:
    async with stories.db.reader.execute("SELECT COUNT(*) FROM stories") as cursor:
        return (await cursor.fetchone())[0]


# --- import ----------------------------------------------------------------------------------------


async def test_import_stores_the_whole_story(stories: StoryRepository, seed_story: Story) -> None:
    outcome = await _import_one(stories, seed_story)
    assert outcome.status is ImportStatus.CREATED
    assert outcome.slug == seed_story.slug
    detail = await stories.detail(seed_story.slug, None)
    assert detail is not None
    assert detail.story.title == seed_story.title
    assert detail.story.published_at == seed_story.published_at
    assert detail.story.timezone_assumed is True
    assert detail.story.reading_minutes == 6
    assert detail.story.summary == seed_story.summary
    assert detail.lead == seed_story.lead
    assert detail.sections == seed_story.sections
    assert tuple(b.label for b in detail.key_points) == SEED_KEY_POINT_LABELS
    assert detail.developments == ()
    assert [s.kind for s in detail.sections][:2] == [SectionKind.KEY_POINTS, SectionKind.WHY]


async def test_importing_the_same_file_twice_gives_one_story(stories: StoryRepository, seed_story: Story) -> None:
    first = await _import_one(stories, seed_story)
    again = await _import_one(stories, seed_story)
    assert first.status is ImportStatus.CREATED
    assert again.status is ImportStatus.UNCHANGED
    assert again.slug == first.slug
    assert await _story_count(stories) == 1


async def test_the_same_text_under_another_path_is_the_same_story(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story, origin="file:a")
    copy = await _import_one(stories, seed_story, origin="file:b")
    assert copy.status is ImportStatus.UNCHANGED
    assert copy.slug == seed_story.slug
    assert await _story_count(stories) == 1


async def test_an_edited_file_updates_the_story_and_keeps_slug_and_id(
    stories: StoryRepository, seed_story: Story, seed_text: str
) -> None:
    await _import_one(stories, seed_story)
    before = await stories.get(seed_story.slug, None)
    assert before is not None
    edited_text = seed_text.replace(seed_story.title, "Zuckerberg Meets Samsung Chiefs in Seoul").replace(
        "- AI Discussions:", "- Chip Talks:"
    )
    edited = parse_article(edited_text, "seed.txt")
    assert edited.slug != seed_story.slug
    outcome = await _import_one(stories, edited)
    assert outcome.status is ImportStatus.UPDATED
    assert outcome.slug == seed_story.slug
    after = await stories.get(seed_story.slug, None)
    assert after is not None
    assert after.id == before.id
    assert after.title == "Zuckerberg Meets Samsung Chiefs in Seoul"
    assert await stories.get(edited.slug, None) is None
    assert [b.label for b in await stories.key_points(after.id)] == [
        "Meetings with Key Players",
        "Chip Talks",
        "Meta's AI Push",
    ]
    assert [c.slug for c in await stories.search("samsung chiefs", None)] == [seed_story.slug]
    assert await _story_count(stories) == 1
    # Importing the edited text again changes nothing.
    assert (await _import_one(stories, edited)).status is ImportStatus.UNCHANGED


async def test_follows_adds_a_development_not_a_story(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story)
    follow_up = _follow_up(seed_story.slug)
    first = await _import_one(stories, follow_up, origin="file:follow-up.md")
    assert first.status is ImportStatus.DEVELOPMENT_ADDED
    assert first.slug == seed_story.slug
    assert first.development_id is not None
    again = await _import_one(stories, follow_up, origin="file:follow-up.md")
    assert again.status is ImportStatus.UNCHANGED
    assert await _story_count(stories) == 1
    detail = await stories.detail(seed_story.slug, None)
    assert detail is not None
    assert [d.headline for d in detail.developments] == [follow_up.title]
    assert detail.last_development is not None and detail.last_development.id == first.development_id
    assert "custom AI chips" in detail.developments[0].body
    assert detail.story.last_development_at == NOW


async def test_an_edited_follow_up_updates_its_development(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story)
    first = await _import_one(stories, _follow_up(seed_story.slug), origin="file:f.md")
    edited = await _import_one(stories, _follow_up(seed_story.slug, extra=" Shares rose."), origin="file:f.md")
    assert edited.status is ImportStatus.DEVELOPMENT_UPDATED
    assert edited.development_id == first.development_id
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    developments = await stories.developments(story.id)
    assert len(developments) == 1 and developments[0].body.endswith("Shares rose.")


async def test_editing_a_follow_up_into_another_developments_text_is_refused_not_raised(
    stories: StoryRepository, seed_story: Story
) -> None:
    await _import_one(stories, seed_story)
    await _import_one(stories, _follow_up(seed_story.slug, extra=" A."), origin="file:a.md")
    await _import_one(stories, _follow_up(seed_story.slug, extra=" B."), origin="file:b.md")
    clash = await _import_one(stories, _follow_up(seed_story.slug, extra=" A."), origin="file:b.md")
    assert clash.status is ImportStatus.FAILED and "already another development" in clash.message
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    assert sorted(d.body[-2:] for d in await stories.developments(story.id)) == ["A.", "B."]


async def test_follows_an_unknown_slug_fails_and_the_batch_goes_on(stories: StoryRepository, seed_story: Story) -> None:
    other = _md(title="Rates Hold Steady", body="The central bank kept rates unchanged.\n")
    outcomes = await stories.import_stories(
        [
            ImportItem("file:orphan.md", _follow_up("no-such-story")),
            ImportItem("file:seed", seed_story),
            ImportItem("file:rates.md", other),
        ],
        now=NOW,
    )
    assert [o.status for o in outcomes] == [ImportStatus.FAILED, ImportStatus.CREATED, ImportStatus.CREATED]
    assert "no-such-story" in outcomes[0].message
    assert outcomes[0].slug is None
    assert await _story_count(stories) == 2


@pytest.mark.parametrize("follow_up_first", [False, True])
async def test_a_follow_up_in_the_same_batch_as_its_story(
    stories: StoryRepository, seed_story: Story, follow_up_first: bool
) -> None:
    items = [ImportItem("file:000.txt", seed_story), ImportItem("file:001.md", _follow_up(seed_story.slug))]
    if follow_up_first:
        items.reverse()
    outcomes = await stories.import_stories(items, now=NOW)
    assert [o.origin for o in outcomes] == [i.origin for i in items]
    by_origin = {o.origin: o.status for o in outcomes}
    assert by_origin == {"file:000.txt": ImportStatus.CREATED, "file:001.md": ImportStatus.DEVELOPMENT_ADDED}
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    assert len(await stories.developments(story.id)) == 1


async def test_the_same_file_twice_in_one_batch(stories: StoryRepository, seed_story: Story) -> None:
    outcomes = await stories.import_stories([ImportItem("file:a", seed_story), ImportItem("file:a", seed_story)])
    assert [o.status for o in outcomes] == [ImportStatus.CREATED, ImportStatus.UNCHANGED]
    assert [o.slug for o in outcomes] == [seed_story.slug, seed_story.slug]
    assert await _story_count(stories) == 1


async def test_two_articles_with_the_same_title_get_different_slugs(stories: StoryRepository) -> None:
    first = _md(title="Markets Rally", body="Stocks rose on Monday.\n")
    second = _md(title="Markets Rally", body="Bonds rallied too, a week later.\n")
    third = _md(title="Markets Rally", body="A third rally, in a later batch.\n")
    outcomes = await stories.import_stories([ImportItem("file:1", first), ImportItem("file:2", second)])
    outcomes.append(await _import_one(stories, third, origin="file:3"))
    slugs = [o.slug for o in outcomes]
    assert all(o.status is ImportStatus.CREATED for o in outcomes)
    assert len(set(slugs)) == 3
    assert slugs[0] == first.slug
    for slug in slugs:
        assert slug is not None and slug.startswith(first.slug)
        assert await stories.get(slug, None) is not None


async def test_a_follow_up_file_without_follows_is_refused(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story)
    await _import_one(stories, _follow_up(seed_story.slug), origin="file:f.md")
    standalone = _md(title="Samsung Signs AI Chip Deal", body="No longer a follow-up.\n")
    outcome = await _import_one(stories, standalone, origin="file:f.md")
    assert outcome.status is ImportStatus.FAILED
    assert "follows" in outcome.message
    assert await _story_count(stories) == 1
    # The story it followed is untouched.
    story = await stories.get(seed_story.slug, None)
    assert story is not None and story.title == seed_story.title
    assert tuple(b.label for b in await stories.key_points(story.id)) == SEED_KEY_POINT_LABELS


async def test_add_development_is_idempotent_by_content_hash(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story)
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    points = (Bullet("Deal", "Signed."),)
    first = await stories.add_development(story.id, "Deal signed", "Body.", key_points=points, content_hash="h1")
    again = await stories.add_development(story.id, "Deal signed", "Body.", key_points=points, content_hash="h1")
    assert first is not None and again is None
    [development] = await stories.developments(story.id)
    assert development.key_points == points


# --- scope -----------------------------------------------------------------------------------------


@pytest.fixture
async def scoped(stories: StoryRepository, seed_story: Story) -> StoryRepository:
    guild_story = _md(title="Guild Only Chip Briefing", body="Only guild A sees this zucchini briefing.\n")
    await stories.import_stories(
        [ImportItem("file:seed", seed_story), ImportItem("file:guild.md", guild_story, GUILD_A)], now=NOW
    )
    return stories


async def _visible_slugs(stories: StoryRepository, viewer: str | None) -> dict[str, object]:
    return {
        "recent": {s.slug for s in await stories.recent(viewer)},
        "count": await stories.count(viewer),
        "autocomplete": {c.slug for c in await stories.autocomplete("guild", viewer)},
        "search": {s.slug for s in await stories.search("zucchini", viewer)},
        "get": await stories.get("guild-only-chip-briefing", viewer) is not None,
        "detail": await stories.detail("guild-only-chip-briefing", viewer) is not None,
    }


@pytest.mark.parametrize("viewer", [GUILD_B, None])
async def test_a_guild_story_is_invisible_elsewhere(scoped: StoryRepository, seed_story: Story, viewer) -> None:
    seen = await _visible_slugs(scoped, viewer)
    assert seen == {
        "recent": {seed_story.slug},
        "count": 1,
        "autocomplete": set(),
        "search": set(),
        "get": False,
        "detail": False,
    }


async def test_a_guild_story_is_visible_to_its_guild(scoped: StoryRepository, seed_story: Story) -> None:
    seen = await _visible_slugs(scoped, GUILD_A)
    assert seen == {
        "recent": {seed_story.slug, "guild-only-chip-briefing"},
        "count": 2,
        "autocomplete": {"guild-only-chip-briefing"},
        "search": {"guild-only-chip-briefing"},
        "get": True,
        "detail": True,
    }


@pytest.mark.parametrize("viewer", [GUILD_A, GUILD_B, None])
async def test_global_stories_are_visible_everywhere(scoped: StoryRepository, seed_story: Story, viewer) -> None:
    assert await scoped.get(seed_story.slug, viewer) is not None
    assert seed_story.slug in {c.slug for c in await scoped.autocomplete("zuck", viewer)}
    assert seed_story.slug in {s.slug for s in await scoped.search("south korea", viewer)}


async def test_a_follow_up_cannot_target_another_guilds_story(scoped: StoryRepository) -> None:
    outcome = await _import_one(scoped, _follow_up("guild-only-chip-briefing"), origin="file:f.md", guild=GUILD_B)
    assert outcome.status is ImportStatus.FAILED
    mine = await _import_one(scoped, _follow_up("guild-only-chip-briefing"), origin="file:g.md", guild=GUILD_A)
    assert mine.status is ImportStatus.DEVELOPMENT_ADDED


async def test_remove_only_a_guilds_own_story(scoped: StoryRepository, seed_story: Story) -> None:
    guild_story = await scoped.get("guild-only-chip-briefing", GUILD_A)
    global_story = await scoped.get(seed_story.slug, None)
    assert guild_story is not None and global_story is not None
    assert await scoped.remove(guild_story.id, GUILD_B) is False
    assert await scoped.remove(global_story.id, GUILD_A) is False
    assert await scoped.remove(guild_story.id, GUILD_A) is True
    assert await scoped.get("guild-only-chip-briefing", GUILD_A) is None
    assert await scoped.search("zucchini", GUILD_A) == []
    assert await scoped.count(GUILD_A) == 1


# --- search and autocomplete -----------------------------------------------------------------------

HOSTILE = [
    "covid-19",
    "c++",
    "AND",
    "OR",
    "NOT",
    '"unbalanced',
    "NEAR(",
    "*",
    "title:",
    "^start",
    "a:b",
    "(",
    ")",
    "-",
    '"',
    '""',
    "'",
    "\x00",
    "{title}",
    "😀",
    "ä*",
    "NEAR(a b, 2)",
    "zuck*",
    "AND OR NOT",
    "%",
    "_",
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_search_input_never_raises(stories: StoryRepository, seed_story: Story, text: str) -> None:
    await _import_one(stories, seed_story)
    for viewer in (None, GUILD_A):
        assert isinstance(await stories.search(text, viewer), list)
        assert isinstance(await stories.autocomplete(text, viewer), list)


def test_fts_quoting_makes_each_term_a_phrase(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "fts.db") as raw:
        raw.execute("CREATE VIRTUAL TABLE t USING fts5 (body)")
        raw.execute("INSERT INTO t VALUES ('covid-19 cases and c++ code')")
        for text in HOSTILE:
            for query in (fts_quote(text), fts_prefix_query(text)):
                if query:
                    raw.execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()
        assert raw.execute("SELECT COUNT(*) FROM t WHERE t MATCH ?", (fts_quote("covid-19"),)).fetchone()[0] == 1
    assert fts_quote('  say "hi" ') == '"say" """hi"""'
    assert fts_quote('" ""') == ""


async def test_search_finds_words_from_sections_and_key_points(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story)
    for query in ("Zuckerberg", "chip supply chain", "Samsung", "partnerships", "Yoon Suk Yeol"):
        assert [s.slug for s in await stories.search(query, None)] == [seed_story.slug], query
    assert await stories.search("bananas", None) == []
    assert await stories.search("   ", None) == []


async def test_autocomplete_offers_the_seed(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story)
    for text in ("zuck", "ZUCK", "  zuck ", "zuckerberg-visits", "korea", "meta"):
        choices = await stories.autocomplete(text, None)
        assert [c.slug for c in choices] == [seed_story.slug], text
        assert choices[0].title == seed_story.title
    assert await stories.autocomplete("bananas", None) == []
    assert [c.slug for c in await stories.autocomplete("", None)] == [seed_story.slug]


async def test_autocomplete_returns_at_most_25(stories: StoryRepository) -> None:
    items = [
        ImportItem(f"file:{n}", _md(title=f"Zucchini Harvest Report {n}", body=f"Report number {n} on zucchini.\n"))
        for n in range(30)
    ]
    outcomes = await stories.import_stories(items)
    assert all(o.status is ImportStatus.CREATED for o in outcomes)
    assert len(await stories.autocomplete("zucchini", None)) == 25
    assert len(await stories.autocomplete("harvest", None)) == 25
    assert len(await stories.autocomplete("", None)) == 25
    assert len(await stories.autocomplete("zucchini", None, limit=5)) == 5
    assert len({c.slug for c in await stories.autocomplete("zucchini", None)}) == 25


async def test_autocomplete_own_only_leaves_out_the_global_stories(stories: StoryRepository) -> None:
    server = "discord:42"
    await _import_one(stories, _md(title="Zucchini Global Report", body="Everyone sees it.\n"), "file:global")
    await _import_one(stories, _md(title="Zucchini Local Report", body="One server's.\n"), "file:own", server)
    await _import_one(stories, _md(title="Zucchini Other Report", body="Another's.\n"), "file:other", "slack:T1")
    for text in ("zucchini", "zucchini-", ""):
        visible = {c.title for c in await stories.autocomplete(text, server)}
        own = {c.title for c in await stories.autocomplete(text, server, own_only=True)}
        assert visible == {"Zucchini Global Report", "Zucchini Local Report"}, text
        assert own == {"Zucchini Local Report"}, text


async def test_recent_pages_in_activity_order(stories: StoryRepository) -> None:
    for day in (1, 3, 2):
        story = _md(title=f"Day {day} News", date=f"2024-03-0{day} 10:00 UTC", body=f"News from day {day}.\n")
        await _import_one(stories, story, origin=f"file:{day}")
    assert [s.title for s in await stories.recent(None)] == ["Day 3 News", "Day 2 News", "Day 1 News"]
    assert [s.title for s in await stories.recent(None, limit=1, offset=1)] == ["Day 2 News"]
    assert await stories.count(None) == 3


async def test_search_ranks_within_the_newest_matches_and_still_finds_common_words(
    stories: StoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import stories as stories_module

    monkeypatch.setattr(stories_module, "SEARCH_WINDOW", 3)
    items = [
        ImportItem(f"file:{n}", _md(title=f"Harbour Report {n}", body="Harbour " * (1 + n % 3) + f"news {n}.\n"))
        for n in range(8)
    ]
    await stories.import_stories(items)
    found = await stories.search("harbour", None, limit=10)
    assert {s.title for s in found} == {"Harbour Report 5", "Harbour Report 6", "Harbour Report 7"}
    assert [s.title for s in await stories.search("harbour news 1", None)] == ["Harbour Report 1"]


async def test_autocomplete_ignores_a_trailing_one_letter_word(stories: StoryRepository, seed_story: Story) -> None:
    await _import_one(stories, seed_story)
    assert [c.slug for c in await stories.autocomplete("korea s", None)] == [seed_story.slug]
    assert [c.slug for c in await stories.autocomplete("z", None)] == [seed_story.slug]  # the slug index
    assert await stories.autocomplete("q", None) == []
