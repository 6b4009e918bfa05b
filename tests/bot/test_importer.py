"""Tests for bot.importer: folders of article files into a real SQLite store."""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path

import pytest

from bot import importer
from bot.importer import import_paths
from bot.parser import MAX_ARTICLE_BYTES
from bot.story_model import Story
from storage.stories import ImportStatus, StoryRepository
from tests.conftest import SEED_PATH, markdown_article

BAD_DATE_LINE = 4


@pytest.fixture
def folder(tmp_path: Path, seed_text: str) -> Path:
    """A folder with the seed, a file with a bad date on line 4, and a file that is not an article."""
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED_PATH, articles / SEED_PATH.name)
    (articles / "bad.txt").write_text(seed_text.replace("February 28, 2024 07:12", "Febtember 40, 2024 07:12"))
    (articles / "notes.json").write_text("{}")
    return articles


async def test_a_folder_with_one_good_and_one_bad_file(
    stories: StoryRepository, folder: Path, seed_story: Story
) -> None:
    report = await import_paths(stories, [folder], UTC)
    assert [(o.status, o.slug) for o in report.outcomes] == [(ImportStatus.CREATED, seed_story.slug)]
    assert len(report.errors) == 1
    assert report.errors[0].startswith(f"{folder / 'bad.txt'}:{BAD_DATE_LINE}: ")
    assert not report.ok
    assert any(line.startswith("error") and f"bad.txt:{BAD_DATE_LINE}" in line for line in report.lines())
    assert await stories.get(seed_story.slug, None) is not None
    assert await stories.count(None) == 1


async def test_importing_the_folder_again_changes_nothing(
    stories: StoryRepository, folder: Path, seed_story: Story
) -> None:
    (folder / "bad.txt").unlink()
    first = await import_paths(stories, [folder], UTC)
    again = await import_paths(stories, [folder], UTC)
    assert first.ok and again.ok
    assert first.count(ImportStatus.CREATED) == 1
    assert again.count(ImportStatus.UNCHANGED) == 1
    assert again.count(ImportStatus.CREATED) == 0
    assert await stories.count(None) == 1


async def test_a_missing_path_is_reported(stories: StoryRepository, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "story.txt"
    report = await import_paths(stories, [missing, SEED_PATH], UTC)
    assert report.errors == [f"{missing}: no such file or folder"]
    assert report.count(ImportStatus.CREATED) == 1
    assert not report.ok


async def test_a_follow_up_in_the_same_folder_becomes_a_development(
    stories: StoryRepository, folder: Path, seed_story: Story
) -> None:
    (folder / "bad.txt").unlink()
    body = "Samsung agreed to supply AI chips to Meta.\n"
    follow_up = markdown_article(title="Samsung Deal Signed", follows=seed_story.slug, body=body)
    (folder / "001_follow_up.md").write_text(follow_up)
    report = await import_paths(stories, [folder], UTC)
    assert report.ok, report.lines()
    assert report.count(ImportStatus.CREATED) == 1
    assert report.count(ImportStatus.DEVELOPMENT_ADDED) == 1
    detail = await stories.detail(seed_story.slug, None)
    assert detail is not None and [d.headline for d in detail.developments] == ["Samsung Deal Signed"]


async def test_an_oversized_file_is_reported_and_the_rest_imports(
    stories: StoryRepository, folder: Path, seed_bytes: bytes
) -> None:
    (folder / "bad.txt").unlink()
    (folder / "huge.txt").write_bytes(seed_bytes + b"\n" + b"z" * MAX_ARTICLE_BYTES)
    report = await import_paths(stories, [folder], UTC)
    assert report.count(ImportStatus.CREATED) == 1
    assert len(report.errors) == 1 and report.errors[0].startswith(f"{folder / 'huge.txt'}:")
    assert "1 MiB" in report.errors[0]


async def test_files_are_imported_across_batches(
    stories: StoryRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    for n in range(5):
        (tmp_path / f"{n}.md").write_text(markdown_article(title=f"Story Number {n}", body=f"Body {n}.\n"))
    report = await import_paths(stories, [tmp_path], UTC, guild_id=42)
    assert report.count(ImportStatus.CREATED) == 5
    assert await stories.count(42) == 5
    assert await stories.count(None) == 0


async def test_a_large_import_parses_in_a_worker_process_with_the_same_result(
    stories: StoryRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_text: str
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    monkeypatch.setattr(importer, "PARALLEL_MIN_FILES", 3)
    spawned: list[object] = []
    real_pool = importer.ProcessPoolExecutor

    def counting_pool(*args: object, **kwargs: object) -> object:
        spawned.append(kwargs)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(importer, "ProcessPoolExecutor", counting_pool)
    for n in range(5):
        (tmp_path / f"{n}.md").write_text(markdown_article(title=f"Story Number {n}", body=f"Body {n}.\n"))
    (tmp_path / "9-bad.txt").write_text(seed_text.replace("February 28, 2024 07:12", "Febtember 40, 2024 07:12"))
    report = await import_paths(stories, [tmp_path], UTC)
    assert len(spawned) == 1, "the worker process was not used"
    assert report.count(ImportStatus.CREATED) == 5
    assert [o.slug for o in report.outcomes] == [f"story-number-{n}" for n in range(5)]
    assert len(report.errors) == 1 and f"9-bad.txt:{BAD_DATE_LINE}:" in report.errors[0]
