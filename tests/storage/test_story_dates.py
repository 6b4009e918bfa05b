"""Migration 007: whether a story's date was assumed, the zone it was written in, its author and the front matter
briefbot does not use are stored and read back, on real SQLite files; older databases migrate with defaults."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.parser import parse_article
from storage.database import Database, _migrations, _statements
from storage.stories import ImportItem, ImportStatus, StoryRepository
from tests.conftest import markdown_article

IMPORTED = datetime(2024, 11, 30, 8, 15, tzinfo=UTC)
UNDATED = (
    "---\ntitle: Library Strike Enters Second Week\nauthor: Ana Ruiz\nimage: /img/library.jpg\n"
    "categories: [city, labour]\n---\n\nThe city's librarians stayed out for a second week.\n"
)


async def test_an_undated_article_is_stored_with_its_assumed_date_author_and_extra_keys(
    stories: StoryRepository,
) -> None:
    story = parse_article(UNDATED.encode(), "strike.md", now=IMPORTED)
    assert story.date_assumed and story.author == "Ana Ruiz" and story.extra
    [outcome] = await stories.import_stories([ImportItem("file:strike.md", story)])
    record = await stories.get(outcome.slug or "", None)
    assert record is not None
    assert record.date_assumed is True and record.published_at == IMPORTED
    assert record.published_zone == story.published_zone
    assert record.author == "Ana Ruiz"
    assert record.extra == story.extra == (("image", "/img/library.jpg"), ("categories", "city, labour"))


async def test_an_update_replaces_them(stories: StoryRepository) -> None:
    undated = parse_article(UNDATED.encode(), "strike.md", now=IMPORTED)
    [first] = await stories.import_stories([ImportItem("file:strike.md", undated)])
    dated = parse_article(
        markdown_article(title="Library Strike Enters Second Week", date="2024-11-29 18:00 America/New_York"),
        "strike.md",
    )
    [again] = await stories.import_stories([ImportItem("file:strike.md", replace(dated, author=None))])
    assert again.status is ImportStatus.UPDATED and again.slug == first.slug
    record = await stories.get(first.slug or "", None)
    assert record is not None
    assert (record.date_assumed, record.published_zone, record.author, record.extra) == (
        False,
        "America/New_York",
        None,
        (),
    )
    assert record.published_at == datetime(2024, 11, 29, 23, 0, tzinfo=UTC)


async def test_stories_stored_before_007_read_as_dated_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as raw:
        for number, _name, sql in _migrations():
            if number >= 7:
                break
            for statement in _statements(sql):
                raw.execute(statement)
            raw.execute(f"PRAGMA user_version = {number}")
        raw.execute(
            "INSERT INTO stories (id, slug, title, summary, published_at, created_at, updated_at, last_development_at) "
            "VALUES (1, 'old-story', 'Old Story', 'A summary.', ?, ?, ?, ?)",
            ["2024-03-01T09:00:00.000000Z"] * 4,
        )
    async with Database.open(path) as db:
        record = await StoryRepository(db).get("old-story", None)
    assert record is not None
    assert (record.date_assumed, record.published_zone, record.author, record.extra) == (False, "UTC", None, ())
