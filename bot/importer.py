"""Import article files into the store: parse each, keep going past bad ones, write in batches."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from bot.parser import MAX_ARTICLE_BYTES, ParseError, parse_article
from bot.story_model import Story
from storage.stories import ImportItem, ImportOutcome, ImportStatus, StoryRepository

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")  # web pages go through bot.extract
BATCH_SIZE = 500
PARALLEL_MIN_FILES = 1000  # below this a worker process costs more to start than it saves


@dataclass(slots=True)
class ImportReport:
    outcomes: list[ImportOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(o.status is not ImportStatus.FAILED for o in self.outcomes)

    def lines(self) -> list[str]:
        rows = [f"{o.status.value:<20} {o.slug or '-':<44} {o.origin}" for o in self.outcomes]
        rows += [f"{'error':<20} {o.message}" for o in self.outcomes if o.status is ImportStatus.FAILED]
        rows += [f"{'error':<20} {message}" for message in self.errors]
        return rows

    def count(self, status: ImportStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


def article_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Expands folders to their article files (sorted); returns (files, errors for missing paths)."""
    files: list[Path] = []
    errors: list[str] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(f"{path}: no such file or folder")
    return files, errors


def origin_for(path: Path) -> str:
    return f"file:{path.resolve()}"


def read_article_file(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_ARTICLE_BYTES + 1)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    path: Path
    story: Story | None
    error: str | None


def parse_files(paths: Sequence[Path], default_tz: tzinfo) -> list[ParsedFile]:
    """Reads and parses files; plain data in and out, so it can run in a worker process."""
    parsed: list[ParsedFile] = []
    for path in paths:
        try:
            parsed.append(ParsedFile(path, parse_article(read_article_file(path), str(path), default_tz), None))
        except ParseError as exc:
            parsed.append(ParsedFile(path, None, str(exc)))
        except OSError as exc:
            parsed.append(ParsedFile(path, None, f"{path}: cannot read: {exc.strerror or exc}"))
    return parsed


async def _parsed_batches(files: list[Path], default_tz: tzinfo) -> AsyncIterator[list[ParsedFile]]:
    """Batches of parsed files. Large imports parse in a worker process while this one writes."""
    batches = [files[start : start + BATCH_SIZE] for start in range(0, len(files), BATCH_SIZE)]
    if len(files) < PARALLEL_MIN_FILES or (os.cpu_count() or 1) < 2:
        for batch in batches:
            yield parse_files(batch, default_tz)
        return
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = [loop.run_in_executor(pool, parse_files, batch, default_tz) for batch in batches]
        for future in pending:
            yield await future


async def import_paths(
    stories: StoryRepository, paths: Sequence[Path], default_tz: tzinfo, guild_id: int | None = None
) -> ImportReport:
    files, errors = article_files(paths)
    report = ImportReport(errors=errors)
    async for batch in _parsed_batches(files, default_tz):
        report.errors.extend(p.error for p in batch if p.error)
        items = [ImportItem(origin_for(p.path), p.story, guild_id) for p in batch if p.story is not None]
        if items:
            report.outcomes.extend(await stories.import_stories(items))
    for message in report.errors:
        log.warning("import: %s", message)
    return report


async def import_seed_folder(seeds_dir: Path, stories: StoryRepository, default_tz: tzinfo) -> ImportReport:
    """The import done at every start; a missing folder is a warning, not a failure."""
    if not seeds_dir.is_dir():
        log.warning("seeds folder %s does not exist; nothing imported", seeds_dir)
        return ImportReport()
    report = await import_paths(stories, [seeds_dir], default_tz)
    log.info(
        "seeds: %d new, %d updated, %d unchanged, %d developments, %d errors",
        report.count(ImportStatus.CREATED),
        report.count(ImportStatus.UPDATED),
        report.count(ImportStatus.UNCHANGED),
        report.count(ImportStatus.DEVELOPMENT_ADDED),
        len(report.errors) + report.count(ImportStatus.FAILED),
    )
    return report


class SeedWatcher:
    """Re-imports the seeds folder's new or changed files; unchanged files are not even re-read."""

    def __init__(self, seeds_dir: Path, stories: StoryRepository, default_tz: tzinfo) -> None:
        self.seeds_dir = seeds_dir
        self.stories = stories
        self.default_tz = default_tz
        self._seen: dict[Path, tuple[int, int]] = {}

    async def check(self) -> ImportReport:
        files, _ = article_files([self.seeds_dir]) if self.seeds_dir.is_dir() else ([], [])
        changed: list[Path] = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                continue
            signature = (stat.st_mtime_ns, stat.st_size)
            if self._seen.get(path) != signature:
                changed.append(path)
                self._seen[path] = signature
        if not changed:
            return ImportReport()
        report = await import_paths(self.stories, changed, self.default_tz)
        for outcome in report.outcomes:
            if outcome.status is not ImportStatus.UNCHANGED:
                log.info("seeds: %s %s (%s)", outcome.status.value, outcome.slug, outcome.origin)
        return report
