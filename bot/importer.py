"""Import article files into the store: parse each, keep going past bad ones, write in batches."""

from __future__ import annotations

import asyncio
import errno
import logging
import multiprocessing
import os
import stat
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import UserError
from bot.intake import ArticleParser, fetch_story, link_origin
from bot.parser import MAX_ARTICLE_BYTES, ParseError, parse_article
from bot.story_model import Story
from storage.stories import ImportItem, ImportOutcome, ImportStatus, StoryRepository

if TYPE_CHECKING:
    from bot.fetch import Fetcher  # aiohttp: loaded only where a Fetcher is opened

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")  # web pages go through bot.extract
BATCH_SIZE = 500
PARALLEL_MIN_FILES = 1000  # below this a worker process costs more to start than it saves
NAMES_SHOWN = 5  # a skip line names this many entries, then "…"

ProgressCallback = Callable[[int, int], None]
"""Called with (files done, files in all) as an import goes."""


@dataclass(slots=True)
class ImportReport:
    outcomes: list[ImportOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(o.status is not ImportStatus.FAILED for o in self.outcomes)

    def lines(self) -> list[str]:
        rows = [f"{o.status.value:<20} {o.slug or '-':<44} {o.origin}" for o in self.outcomes]
        rows += [f"{'skipped':<20} {message}" for message in self.skipped]
        rows += [f"{'error':<20} {o.message}" for o in self.outcomes if o.status is ImportStatus.FAILED]
        rows += [f"{'error':<20} {message}" for message in self.errors]
        return rows

    def count(self, status: ImportStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    def merge(self, other: ImportReport) -> None:
        self.outcomes.extend(other.outcomes)
        self.errors.extend(other.errors)
        self.skipped.extend(other.skipped)


@dataclass(frozen=True, slots=True)
class FileScan:
    """What the given paths hold: the article files, why some paths cannot be read, and what was passed over."""

    files: list[Path]
    errors: list[str]
    skipped: list[str]


def not_a_file(path: Path) -> str:
    """Why a path that is neither a regular file nor a folder cannot be imported.

    Only stats the path: opening a FIFO would block until something writes to it."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symlink loop"
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            return f"cannot be read: {exc.strerror or exc}"
        return "is a broken symlink (its target does not exist)" if path.is_symlink() else "no such file or folder"
    if stat.S_ISFIFO(mode):
        return "is a FIFO/named pipe, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    return "is not a regular file"


def _names(names: list[str]) -> str:
    return ", ".join(names[:NAMES_SHOWN]) + (", …" if len(names) > NAMES_SHOWN else "")


def _scan_folder(folder: Path, scan: FileScan) -> None:
    articles: list[Path] = []
    subfolders: list[str] = []
    other_types: list[str] = []
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue  # housekeeping such as .git or .DS_Store, not a skipped article
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:  # a symlink loop, for one: described below
            is_dir = is_file = False
        if is_dir:
            subfolders.append(entry.name)
        elif Path(entry.name).suffix.lower() not in ARTICLE_SUFFIXES:
            other_types.append(entry.name)
        elif is_file:
            articles.append(Path(entry.path))
        else:
            scan.errors.append(f"{entry.path}: {not_a_file(Path(entry.path))}")
    scan.files.extend(articles)
    if subfolders:
        noun = "subfolder" if len(subfolders) == 1 else "subfolders"
        scan.skipped.append(
            f"{folder}: skipped {len(subfolders)} {noun} (imports read one folder level; name them to import): "
            + _names(subfolders)
        )
    if other_types:
        noun = "file that is" if len(other_types) == 1 else "files that are"
        suffixes = "/".join(ARTICLE_SUFFIXES)
        scan.skipped.append(f"{folder}: skipped {len(other_types)} {noun} not {suffixes}: {_names(other_types)}")


def scan_paths(paths: Iterable[Path]) -> FileScan:
    """Named files as they are, folders to their article files (sorted, one level), the rest as errors."""
    scan = FileScan([], [], [])
    for path in paths:
        if path.is_dir():
            try:
                _scan_folder(path, scan)
            except OSError as exc:
                scan.errors.append(f"{path}: cannot list the folder: {exc.strerror or exc}")
        elif path.is_file():
            scan.files.append(path)
        else:
            scan.errors.append(f"{path}: {not_a_file(path)}")
    return scan


def article_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """The article files and the errors of `scan_paths`, for callers that do not report what was skipped."""
    scan = scan_paths(paths)
    return scan.files, scan.errors


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


def parse_files(paths: Sequence[Path], default_tz: tzinfo, now: datetime | None = None) -> list[ParsedFile]:
    """Reads and parses files; plain data in and out, so it can run in a worker process. `now`: the import time."""
    parsed: list[ParsedFile] = []
    for path in paths:
        try:
            story = parse_article(read_article_file(path), str(path), default_tz, now=now)
            parsed.append(ParsedFile(path, story, None))
        except ParseError as exc:
            parsed.append(ParsedFile(path, None, str(exc)))
        except OSError as exc:
            parsed.append(ParsedFile(path, None, f"{path}: cannot read: {exc.strerror or exc}"))
    return parsed


async def _parsed_batches(
    files: list[Path], default_tz: tzinfo, pool: Executor | None, now: datetime | None
) -> AsyncIterator[list[ParsedFile]]:
    """Batches of parsed files. In the bot, `pool` parses them all off the event loop (see bot.intake); else
    large imports parse in a worker process of their own while this one writes."""
    batches = [files[start : start + BATCH_SIZE] for start in range(0, len(files), BATCH_SIZE)]
    loop = asyncio.get_running_loop()
    if pool is not None:
        for batch in batches:
            yield await loop.run_in_executor(pool, parse_files, batch, default_tz, now)
        return
    if len(files) < PARALLEL_MIN_FILES or (os.cpu_count() or 1) < 2:
        for batch in batches:
            yield parse_files(batch, default_tz, now)
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = [loop.run_in_executor(pool, parse_files, batch, default_tz, now) for batch in batches]
        for future in pending:
            yield await future


async def import_paths(
    stories: StoryRepository,
    paths: Sequence[Path],
    default_tz: tzinfo,
    scope_id: str | None = None,
    on_progress: ProgressCallback | None = None,
    pool: Executor | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Imports and reports; logs nothing, so a caller that prints the report does not show an error twice.

    `now` is the import time (the date of an article that gives none); the clock's when None."""
    scan = scan_paths(paths)
    report = ImportReport(errors=scan.errors, skipped=scan.skipped)
    done = 0
    if on_progress is not None:
        on_progress(done, len(scan.files))
    async for batch in _parsed_batches(scan.files, default_tz, pool, now):
        report.errors.extend(p.error for p in batch if p.error)
        items = [ImportItem(origin_for(p.path), p.story, scope_id) for p in batch if p.story is not None]
        if items:
            report.outcomes.extend(await stories.import_stories(items))
        done += len(batch)
        if on_progress is not None:
            on_progress(done, len(scan.files))
    return report


def is_link(target: str) -> bool:
    """An import target that is a web address rather than a path."""
    return target.lower().startswith(("http://", "https://"))


async def import_links(
    stories: StoryRepository, fetcher: Fetcher, parser: ArticleParser, urls: Sequence[str], scope_id: str | None = None
) -> ImportReport:
    """Fetches each page and imports it as a story (see bot.intake); a link that fails is an error line."""
    report = ImportReport()
    items: list[ImportItem] = []
    for url in urls:
        try:
            story = await fetch_story(fetcher, parser, url)
        except (UserError, ParseError) as exc:  # FetchError is a UserError
            report.errors.append(f"{url}: {exc}")
            continue
        assert story.url is not None  # the final URL, after redirects
        items.append(ImportItem(link_origin(story.url, scope_id), story, scope_id))
    if items:
        report.outcomes.extend(await stories.import_stories(items))
    return report


def _log_problems(report: ImportReport) -> None:
    """For imports nobody sees the report of: the seeds at start and the seeds watcher."""
    for message in report.errors:
        log.warning("import: %s", message)
    for outcome in report.outcomes:
        if outcome.status is ImportStatus.FAILED:
            log.warning("import: %s", outcome.message)
    for message in report.skipped:
        log.info("import: %s", message)


async def import_seed_folder(
    seeds_dir: Path, stories: StoryRepository, default_tz: tzinfo, *, pool: Executor | None = None
) -> ImportReport:
    """The import done at every start; a missing folder is a warning, not a failure."""
    if not seeds_dir.is_dir():
        log.warning("seeds folder %s does not exist; nothing imported", seeds_dir)
        return ImportReport()
    report = await import_paths(stories, [seeds_dir], default_tz, pool=pool)
    _log_problems(report)
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

    def __init__(
        self, seeds_dir: Path, stories: StoryRepository, default_tz: tzinfo, *, pool: Executor | None = None
    ) -> None:
        self.seeds_dir = seeds_dir
        self.stories = stories
        self.default_tz = default_tz
        self.pool = pool
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
        report = await import_paths(self.stories, changed, self.default_tz, pool=self.pool)
        _log_problems(report)
        for outcome in report.outcomes:
            if outcome.status is not ImportStatus.UNCHANGED:
                log.info("seeds: %s %s (%s)", outcome.status.value, outcome.slug, outcome.origin)
        return report
