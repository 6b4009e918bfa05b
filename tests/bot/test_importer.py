"""Tests for bot.importer: folders of article files into a real SQLite store."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC
from pathlib import Path

import pytest

from bot import importer
from bot.importer import import_paths, import_seed_folder, not_a_file, scan_paths
from bot.parser import MAX_ARTICLE_BYTES
from bot.story_model import Story
from storage.stories import ImportStatus, StoryRepository
from tests.conftest import SEED_PATH, markdown_article

BAD_DATE_LINE = 4


def _numbered_stories(folder: Path, count: int) -> None:
    for n in range(count):
        (folder / f"{n}.md").write_text(markdown_article(title=f"Story Number {n}", body=f"Body {n}.\n"))


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
    _numbered_stories(tmp_path, 5)
    report = await import_paths(stories, [tmp_path], UTC, scope_id="discord:42")
    assert report.count(ImportStatus.CREATED) == 5
    assert await stories.count("discord:42") == 5
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
    _numbered_stories(tmp_path, 5)
    (tmp_path / "9-bad.txt").write_text(seed_text.replace("February 28, 2024 07:12", "Febtember 40, 2024 07:12"))
    report = await import_paths(stories, [tmp_path], UTC)
    assert len(spawned) == 1, "the worker process was not used"
    assert report.count(ImportStatus.CREATED) == 5
    assert [o.slug for o in report.outcomes] == [f"story-number-{n}" for n in range(5)]
    assert len(report.errors) == 1 and f"9-bad.txt:{BAD_DATE_LINE}:" in report.errors[0]


async def test_paths_that_are_not_files_say_what_they_are(stories: StoryRepository, tmp_path: Path) -> None:
    loop = tmp_path / "loop.txt"
    loop.symlink_to(tmp_path / "other.txt")
    (tmp_path / "other.txt").symlink_to(loop)
    broken = tmp_path / "broken.md"
    broken.symlink_to(tmp_path / "gone.md")
    device = Path(os.devnull)
    report = await import_paths(stories, [loop, broken, device, SEED_PATH], UTC)
    assert report.errors == [
        f"{loop}: is a symlink loop",
        f"{broken}: is a broken symlink (its target does not exist)",
        f"{device}: is a device, not a file",
    ]
    assert report.count(ImportStatus.CREATED) == 1


def test_a_fifo_is_named_as_one_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    # scan_paths only stats; were it to open the FIFO, this test would block instead of pass.
    assert not_a_file(fifo) == "is a FIFO/named pipe, not a file"
    assert scan_paths([fifo, tmp_path]).errors == [
        f"{fifo}: is a FIFO/named pipe, not a file",
        f"{fifo}: is a FIFO/named pipe, not a file",
    ]


async def test_skipped_subfolders_and_file_types_get_one_line_each(stories: StoryRepository, tmp_path: Path) -> None:
    articles = tmp_path / "articles"  # not tmp_path itself, which holds the database
    articles.mkdir()
    shutil.copy(SEED_PATH, articles / SEED_PATH.name)
    for name in ("2024", "archive"):
        (articles / name).mkdir()
        (articles / name / "inside.txt").write_text("not read")
    others = [f"{letter}.pdf" for letter in "abcdefg"]
    for name in others:
        (articles / name).write_bytes(b"%PDF")
    (articles / ".DS_Store").write_bytes(b"housekeeping")
    report = await import_paths(stories, [articles], UTC)
    assert report.ok and report.count(ImportStatus.CREATED) == 1
    assert report.skipped == [
        f"{articles}: skipped 2 subfolders (imports read one folder level; name them to import): 2024, archive",
        f"{articles}: skipped 7 files that are not .txt/.md/.markdown/.html/.htm: a.pdf, b.pdf, c.pdf, d.pdf, e.pdf, …",
    ]
    assert [line.split()[0] for line in report.lines()] == ["created", "skipped", "skipped"]


async def test_progress_is_reported_per_batch(
    stories: StoryRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    _numbered_stories(tmp_path, 5)
    seen: list[tuple[int, int]] = []
    await import_paths(stories, [tmp_path], UTC, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]


async def test_the_seed_import_logs_its_errors_since_nobody_prints_its_report(
    stories: StoryRepository, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.importer")
    report = await import_seed_folder(folder, stories, UTC)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"import: {report.errors[0]}"] and f"bad.txt:{BAD_DATE_LINE}:" in warnings[0]
    assert any("skipped 1 file that is not" in r.getMessage() for r in caplog.records)


async def test_import_paths_itself_logs_nothing(
    stories: StoryRepository, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.importer")
    report = await import_paths(stories, [folder], UTC)
    assert report.errors and report.skipped
    assert caplog.records == []  # the CLI prints the report; a log line would say each error twice


# --- copies and moves (issue 9, item 10) -----------------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def _import_folder(stories: StoryRepository, folder: Path) -> list[tuple[ImportStatus, str | None]]:
    report = await import_paths(stories, [folder], UTC)
    assert report.ok, report.lines()
    return [(o.status, o.slug) for o in report.outcomes]


@pytest.fixture
def one_seed(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED_PATH, articles / "zuck.txt")
    return articles


async def _assert_one_story_saying(stories: StoryRepository, slug: str, words: str) -> None:
    assert await stories.count(None) == 1
    assert [s.slug for s in await stories.search(words, None)] == [slug]


async def test_a_copied_then_edited_file_updates_the_same_story(
    stories: StoryRepository, one_seed: Path, seed_story: Story
) -> None:
    await _import_folder(stories, one_seed)
    shutil.copy(one_seed / "zuck.txt", one_seed / "zuck-copy.txt")
    _edit(one_seed / "zuck-copy.txt", "SK Telecom", "SK Telecom and LG Display")
    outcomes = await _import_folder(stories, one_seed)
    assert (ImportStatus.UPDATED, seed_story.slug) in outcomes
    assert all(slug == seed_story.slug for _, slug in outcomes)  # no "...-2"
    await _assert_one_story_saying(stories, seed_story.slug, "LG Display")
    # The copy is now one of the story's files: editing it again updates the story again.
    _edit(one_seed / "zuck-copy.txt", "LG Display", "Hanwha Ocean")
    assert (ImportStatus.UPDATED, seed_story.slug) in await _import_folder(stories, one_seed)
    await _assert_one_story_saying(stories, seed_story.slug, "Hanwha Ocean")


async def test_a_moved_then_edited_file_updates_the_same_story(
    stories: StoryRepository, one_seed: Path, seed_story: Story, tmp_path: Path
) -> None:
    await _import_folder(stories, one_seed)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (one_seed / "zuck.txt").rename(moved / "seoul-visit.txt")
    _edit(moved / "seoul-visit.txt", "SK Telecom", "SK Telecom and LG Display")
    assert await _import_folder(stories, moved) == [(ImportStatus.UPDATED, seed_story.slug)]
    await _assert_one_story_saying(stories, seed_story.slug, "LG Display")


async def test_a_moved_file_imported_unchanged_then_edited_updates_the_same_story(
    stories: StoryRepository, one_seed: Path, seed_story: Story
) -> None:
    await _import_folder(stories, one_seed)
    (one_seed / "zuck.txt").rename(one_seed / "renamed.txt")
    assert await _import_folder(stories, one_seed) == [(ImportStatus.UNCHANGED, seed_story.slug)]
    # Even a new title: the file's path is the story's now.
    _edit(one_seed / "renamed.txt", "Zuckerberg Visits South Korea", "Zuckerberg Tours Seoul")
    assert await _import_folder(stories, one_seed) == [(ImportStatus.UPDATED, seed_story.slug)]
    await _assert_one_story_saying(stories, seed_story.slug, "Tours Seoul")


async def test_a_moved_article_with_a_new_title_is_found_by_its_url(stories: StoryRepository, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    url = "https://news.example/chips"
    (first / "chips.md").write_text(markdown_article(url=url))
    [(created, slug)] = await _import_folder(stories, first)
    assert created is ImportStatus.CREATED
    retitled = markdown_article(title="Memory Makers Add Lines", url=url, body="Three new lines open in May.\n")
    (first / "chips.md").rename(second / "memory.md")
    (second / "memory.md").write_text(retitled)
    assert await _import_folder(stories, second) == [(ImportStatus.UPDATED, slug)]
    await _assert_one_story_saying(stories, str(slug), "lines May")


async def test_another_article_with_the_same_title_is_still_another_story(
    stories: StoryRepository, tmp_path: Path
) -> None:
    (tmp_path / "monday.md").write_text(markdown_article(title="Markets Rally", body="Stocks rose on Monday.\n"))
    (tmp_path / "later.md").write_text(
        markdown_article(title="Markets Rally", body="Bonds rallied too, a week later, as yields fell.\n")
    )
    outcomes = await _import_folder(stories, tmp_path)
    assert [status for status, _ in outcomes] == [ImportStatus.CREATED, ImportStatus.CREATED]
    assert len({slug for _, slug in outcomes}) == 2
