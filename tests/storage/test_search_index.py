"""Tests for storage.search_index: what the contentless FTS5 index holds, that it stays in step with the stored
rows through updates, developments and removal, and that migration 005 rebuilds it from an existing database."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from bot.parser import parse_article
from bot.story_model import Story
from storage import migrations
from storage.database import Database
from storage.search_index import fts_prefix_query, fts_quote, index_text
from storage.stories import ImportItem, ImportStatus, StoryRepository
from tests.conftest import markdown_article

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def test_cjk_runs_are_indexed_as_bigrams_and_queried_as_their_phrase() -> None:
    assert index_text("Samsung and Meta") == "Samsung and Meta"  # no CJK: untouched
    assert index_text("AI반도체 협력") == "AI 반도 도체   협력 "
    assert index_text("東京で新型") == " 東京 京で で新 新型 "
    assert fts_quote("東京") == '"東京"'
    assert fts_quote("电池工厂 Tesla") == '"电池 池工 工厂" "Tesla"'
    assert fts_quote("메타와") == '"메타"'  # the particle "와" (and) is not part of the word
    assert fts_prefix_query("삼 tesla x") == '"삼"* "tesla"*'  # one CJK character is a word start; "x" is not


async def test_a_possessive_finds_the_name(stories: StoryRepository) -> None:
    assert fts_quote("Meta's push") == '"Meta" "push"'  # not the phrase "meta s": "s" is in nearly every story
    story = parse_article(markdown_article(title="Meta Opens a Lab", body="The lab hires researchers.\n"), "m.md")
    await stories.import_stories([ImportItem("file:m.md", story)])
    assert await _search(stories, "Meta's lab") == [story.slug]


def _fts_tables(db_path: Path) -> dict[str, str]:
    with sqlite3.connect(db_path) as raw:
        return dict(raw.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'story_t%'").fetchall())


async def test_the_index_keeps_no_copy_of_the_text_and_prefixes_only_titles(db: Database, db_path: Path) -> None:
    tables = _fts_tables(db_path)
    assert "story_text_content" not in tables and "story_titles_content" not in tables
    assert "content = ''" in tables["story_text"] and "prefix" not in tables["story_text"]
    assert "prefix = '2 3 4'" in tables["story_titles"]


async def _search(stories: StoryRepository, text: str) -> list[str]:
    return [s.slug for s in await stories.search(text, None)]


def _check_integrity(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        for table in ("story_text", "story_titles"):
            raw.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


async def test_an_edit_takes_the_old_words_out_of_the_index(
    stories: StoryRepository, seed_story: Story, seed_text: str, db_path: Path
) -> None:
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=NOW)
    assert await _search(stories, "Telecom") == [seed_story.slug]
    edited = parse_article(
        seed_text.replace("SK Telecom", "Hanwha Ocean").replace("Zuckerberg Visits", "Zuckerberg Tours"), "seed.txt"
    )
    [outcome] = await stories.import_stories([ImportItem("file:seed", edited)], now=NOW)
    assert outcome.status is ImportStatus.UPDATED
    assert await _search(stories, "Telecom") == []
    assert await _search(stories, "Hanwha") == [seed_story.slug]
    assert [c.slug for c in await stories.autocomplete("tours", None)] == [seed_story.slug]
    assert await stories.autocomplete("visits", None) == []
    _check_integrity(db_path)


async def test_developments_join_the_index_and_an_edited_follow_up_replaces_its_words(
    stories: StoryRepository, seed_story: Story, db_path: Path
) -> None:
    await stories.import_stories([ImportItem("file:seed", seed_story)], now=NOW)
    story = await stories.get(seed_story.slug, None)
    assert story is not None
    await stories.add_development(story.id, "Met Yoon.", "Met Yoon.\n- LG Deal: XR headsets", content_hash="h1")
    assert await _search(stories, "headsets") == [seed_story.slug]

    def follow_up(body: str) -> Story:
        text = markdown_article(title="Zuckerberg Meets Chipmakers", follows=seed_story.slug, body=body)
        return parse_article(text, "follow.md")

    await stories.import_stories([ImportItem("file:follow.md", follow_up("Hynix pledged wafers.\n"))], now=NOW)
    assert await _search(stories, "wafers") == [seed_story.slug]
    assert await _search(stories, "chipmakers") == [seed_story.slug]  # the follow-up's title
    [edited] = await stories.import_stories([ImportItem("file:follow.md", follow_up("Hynix pledged memory.\n"))])
    assert edited.status is ImportStatus.DEVELOPMENT_UPDATED
    assert await _search(stories, "wafers") == []
    assert await _search(stories, "memory Hynix") == [seed_story.slug]
    assert await _search(stories, "headsets") == [seed_story.slug]
    _check_integrity(db_path)


async def test_a_removed_story_leaves_the_index(stories: StoryRepository, db_path: Path) -> None:
    guild = 111111111111111111
    story = parse_article(markdown_article(title="Zucchini Fair Opens", body="Growers gathered.\n"), "z.md")
    await stories.import_stories([ImportItem("file:z.md", story, guild)])
    stored = await stories.get(story.slug, guild)
    assert stored is not None
    await stories.add_development(stored.id, "More growers came.", "More growers came.", content_hash="h")
    assert await stories.remove(stored.id, guild)
    assert await stories.search("growers", guild) == []
    assert await stories.autocomplete("zucchini", guild) == []
    assert (await stories.totals()).indexed == 0
    _check_integrity(db_path)


# --- migration 005 -------------------------------------------------------------------------------------


def _version_4_database(path: Path) -> None:
    """A database as briefbot left it before 005: one English story with a development, one Japanese story."""
    with sqlite3.connect(path) as raw:
        for number in range(1, 5):
            [sql] = [
                f.read_text(encoding="utf-8")
                for f in resources.files(migrations).iterdir()
                if f.name.startswith(f"{number:03d}_")
            ]
            raw.executescript(sql)
        raw.execute("PRAGMA user_version = 4")
        at = "2024-03-01T09:00:00.000000Z"
        for story_id, slug, title, dek, heading, bullets in (
            (1, "harbour", "Harbour Bridge Approved", "The council voted.", "Cost", [["Budget", "40 million"]]),
            (2, "toyota", "トヨタ、東京で新型電池工場を発表", "電池工場を建設する。", "規模", [["生産", "年間十万台"]]),
        ):
            raw.execute(
                "INSERT INTO stories (id, slug, title, dek, summary, published_at, created_at, updated_at, "
                "last_development_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (story_id, slug, title, dek, dek, at, at, at, at),
            )
            raw.execute(
                "INSERT INTO sections VALUES (?, 0, ?, 'other', '[]', ?)", (story_id, heading, json.dumps(bullets))
            )
            raw.execute(
                "INSERT INTO story_search (rowid, title, sections, key_points) VALUES (?, ?, ?, '')",
                (story_id, title, dek),
            )
        raw.execute(
            "INSERT INTO developments (story_id, headline, body, published_at, created_at, content_hash) "
            "VALUES (1, 'Steel ordered', 'The builders ordered steel.', ?, ?, 'h')",
            (at, at),
        )


async def test_migration_005_indexes_the_stories_already_stored(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _version_4_database(path)
    async with Database.open(path) as db:
        stories = StoryRepository(db)
        assert await db.schema_version() >= 5
        assert (await stories.totals()).indexed == 2
        assert await _search(stories, "council") == ["harbour"]
        assert await _search(stories, "budget") == ["harbour"]  # a section's bullet
        assert await _search(stories, "steel") == ["harbour"]  # a development
        assert await _search(stories, "東京") == ["toyota"]
        assert [c.slug for c in await stories.autocomplete("トヨ", None)] == ["toyota"]
        # The rebuilt entries are exactly what later changes remove: an update leaves no stale word.
        await stories.add_development(1, "Opened", "The bridge opened.", content_hash="h2", now=NOW)
        assert await _search(stories, "steel opened") == ["harbour"]
    assert "story_search" not in _fts_tables(path)
    _check_integrity(path)
