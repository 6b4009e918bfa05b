"""Writing stories: the import unit of work (new stories, updates, follow-up developments), developments, removal.

`StoryRepository` (storage/stories.py) keeps the reads and search and hands its writes to `StoryWriter`.
Every row written is a named row below: a NamedTuple, which sqlite3 binds as it is (a frozen dataclass
costs twice as much to build, and an import builds about ten rows per story). Its fields are the table's
columns, and the INSERT names them from there."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import NamedTuple

import aiosqlite

from bot.story_model import Bullet, SectionKind, Story
from storage import search_index
from storage.database import Database
from storage.records import to_db_time

_LOOKUP_CHUNK = 500
# An unknown file is an edited copy of a story with its title when this share of its 3-word runs is in the story.
SAME_ARTICLE_SHARE = 0.5
_SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")
# json.dumps(value, ensure_ascii=False), without building a new encoder for every call.
_to_json = json.JSONEncoder(ensure_ascii=False).encode
_json_string = encode_basestring  # one string as json.dumps(..., ensure_ascii=False) writes it (C)
_KIND_VALUES = {kind: kind.value for kind in SectionKind}


class ImportStatus(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DEVELOPMENT_ADDED = "development added"
    DEVELOPMENT_UPDATED = "development updated"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ImportItem:
    origin: str
    story: Story
    scope_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    origin: str
    status: ImportStatus
    slug: str | None
    message: str = ""
    development_id: int | None = None


# --- named rows: one per table written; field names are column names, TABLE the table's ---------------


class StoryRow(NamedTuple):
    TABLE = "stories"
    id: int
    slug: str
    scope_id: str | None
    title: str
    dek: str
    summary: str
    lead_json: str
    published_at: str
    timezone_assumed: int
    reading_minutes: int | None
    source: str | None
    url: str | None
    tags_json: str
    created_at: str
    updated_at: str
    last_development_at: str
    date_assumed: int
    published_zone: str
    author: str | None
    extra_json: str


class SectionRow(NamedTuple):
    TABLE = "sections"
    story_id: int
    position: int
    heading: str
    kind: str
    paragraphs_json: str
    bullets_json: str


class KeyPointRow(NamedTuple):
    TABLE = "key_points"
    story_id: int
    position: int
    label: str
    text: str


class SourceRow(NamedTuple):
    TABLE = "sources"
    origin: str
    content_hash: str
    story_id: int | None
    development_id: int | None
    imported_at: str


class DevelopmentRow(NamedTuple):
    TABLE = "developments"
    story_id: int
    headline: str
    body: str
    key_points_json: str
    url: str | None
    source: str | None
    published_at: str
    created_at: str
    content_hash: str


Row = StoryRow | SectionRow | KeyPointRow | SourceRow | DevelopmentRow


@dataclass(frozen=True, slots=True)
class KnownSource:
    """What `sources` holds for an origin: its text's hash, and the story or development made from it."""

    content_hash: str
    story_id: int | None
    development_id: int | None


@dataclass(frozen=True, slots=True)
class NewStory:
    """A story created in this batch, given its id and slug, waiting to be written with the next flush."""

    story_id: int
    item: ImportItem
    slug: str


@cache
def insert_sql(row_type: type[Row]) -> str:
    names = row_type._fields
    return f"INSERT INTO {row_type.TABLE} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


async def insert_rows(conn: aiosqlite.Connection, row_type: type[Row], rows: Iterable[Row]) -> None:
    await conn.executemany(insert_sql(row_type), rows)


def strings_json(strings: Iterable[str]) -> str:
    """`_to_json(list(strings))`, a few times faster: a 1 MiB article of 20,000 sections encodes 40,000 lists, on the
    event loop, so its import would hold the loop for a fifth of a second. The same text: json's own C string
    encoder, and its default ", " between items."""
    return "[" + ", ".join(map(_json_string, strings)) + "]"


def bullets_json(bullets: Iterable[Bullet]) -> str:
    return "[" + ", ".join(f"[{_json_string(b.label)}, {_json_string(b.text)}]" for b in bullets) + "]"


def _story_row(story_id: int, slug: str, item: ImportItem, now: str) -> StoryRow:
    story = item.story
    published = to_db_time(story.published_at)
    return StoryRow(
        id=story_id,
        slug=slug,
        scope_id=item.scope_id,
        title=story.title,
        dek=story.dek,
        summary=story.summary,
        lead_json=strings_json(story.lead),
        published_at=published,
        timezone_assumed=int(story.timezone_assumed),
        reading_minutes=story.reading_minutes,
        source=story.source,
        url=story.url,
        tags_json=_to_json(list(story.tags)),
        created_at=now,
        updated_at=now,
        last_development_at=published,
        date_assumed=int(story.date_assumed),
        published_zone=story.published_zone,
        author=story.author,
        extra_json=_to_json([list(pair) for pair in story.extra]),
    )


def _section_rows(story_id: int, story: Story) -> list[SectionRow]:
    # Positional and with the kind's value from a dict: keywords and the enum's `.value` cost more than the rest.
    return [
        SectionRow(story_id, i, s.heading, _KIND_VALUES[s.kind], strings_json(s.paragraphs), bullets_json(s.bullets))
        for i, s in enumerate(story.sections)
    ]


def _key_point_rows(story_id: int, story: Story) -> list[KeyPointRow]:
    return [KeyPointRow(story_id, i, b.label, b.text) for i, b in enumerate(story.key_points)]


def _development_body(story: Story) -> str:
    """A follow-up document's text, headings kept: they say what the paragraphs under them answer."""
    parts = [story.dek, *story.lead, *(f"{s.heading}\n{s.plain_text()}".strip() for s in story.sections)]
    return "\n\n".join(part for part in parts if part).strip()


def _development_points(story: Story) -> tuple[Bullet, ...]:
    """A follow-up's key points: its key points section, else its labelled bullets, else the parser's choice."""
    if any(s.kind is SectionKind.KEY_POINTS and s.bullets for s in story.sections):
        return story.key_points
    labelled = tuple(b for s in story.sections for b in s.bullets if b.label)
    return labelled or story.key_points


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + _SHINGLE_WORDS]) for i in range(max(1, len(words) - _SHINGLE_WORDS + 1))}


def mostly_the_same(new: str, old: str) -> bool:
    """Whether most of `new` (its 3-word runs) is in `old`: an edited copy, not another article."""
    runs = _shingles(new)
    return bool(runs) and len(runs & _shingles(old)) >= SAME_ARTICLE_SHARE * len(runs)


NewRows = tuple[
    list[StoryRow], list[SectionRow], list[KeyPointRow], list[tuple[int, search_index.SearchDocument]], list[SourceRow]
]


def _new_rows(new: Sequence[NewStory], now: str) -> NewRows:
    """Every row of new stories, by table; plain work on parsed stories, so it may run in a thread."""
    rows: NewRows = ([], [], [], [], [])
    stories, sections, points, search, sources = rows
    for row in new:
        story = row.item.story
        stories.append(_story_row(row.story_id, row.slug, row.item, now))
        sections.extend(_section_rows(row.story_id, story))
        points.extend(_key_point_rows(row.story_id, story))
        search.append((row.story_id, search_index.story_document(story)))
        sources.append(SourceRow(row.item.origin, story.content_hash, row.story_id, None, now))
    return rows


class StoryImport:
    """One import batch, inside the caller's write transaction. Failures are outcomes, not raises.

    New stories are numbered here and written in bulk (`_flush`); an update, or a follow-up development,
    is written when it is met; follow-ups wait until the batch's new stories are written, since they may
    follow one of them.

    Which story a document is: its origin (a file's path) when that is known. A new origin is the story
    (1) whose stored text is exactly the same (a copied or moved file), else (2) whose `url` is the same (the
    article's own address), else (3) whose title is the same when most of the text is too (an edited copy, or a
    file moved and edited): the story is updated and remembers the new origin. Otherwise it is a new story."""

    def __init__(self, conn: aiosqlite.Connection, now: str) -> None:
        self.conn = conn
        self.now = now
        self._pending: list[NewStory] = []  # new stories not written yet
        self._batch_titles: set[str] = set()
        self._batch_urls: set[str] = set()
        self._copies: list[SourceRow] = []  # new origins of known texts, written after the new stories

    async def run(self, items: Sequence[ImportItem]) -> list[ImportOutcome]:
        conn = self.conn
        outcomes: list[ImportOutcome | None] = []
        known = await self._sources([item.origin for item in items])
        async with conn.execute("SELECT COALESCE(MAX(id), 0) FROM stories") as cursor:
            row = await cursor.fetchone()
        next_id = (row[0] if row else 0) + 1
        batch_slugs: set[str] = set()
        batch_hashes: dict[tuple[str | None, str], tuple[int, str]] = {}
        follow_ups: list[tuple[int, ImportItem]] = []
        # One query per batch instead of one per new item: what is already stored (see below).
        fresh = [item.story for item in items if not item.story.follows and item.origin not in known]
        taken_slugs = await self._present("stories", "slug", {story.slug for story in fresh})
        stored_hashes = await self._present("sources", "content_hash", {s.content_hash for s in fresh})
        stored_titles = await self._present("stories", "title", {story.title for story in fresh})
        stored_urls = await self._present("stories", "url", {story.url for story in fresh if story.url})
        for item in items:
            story = item.story
            source = known.get(item.origin)
            if self._pending and source is not None and (source.story_id or 0) >= self._pending[0].story_id:
                # This origin was already created earlier in the batch: write it before reading it back.
                await self._flush()
            if story.follows:
                # Resolved after the batch's new stories are written: it may follow one of them.
                follow_ups.append((len(outcomes), item))
                outcomes.append(None)
            elif source is None and (
                same := batch_hashes.get((item.scope_id, story.content_hash))
                or await self._same_content_if_stored(story.content_hash, stored_hashes, item.scope_id)
            ):
                # The same text under another path (a moved or copied file) is the same story, in its server: another
                # server's story of the same text is that server's own.
                story_id, slug = same
                self._copies.append(SourceRow(item.origin, story.content_hash, story_id, None, self.now))
                known[item.origin] = KnownSource(story.content_hash, story_id, None)
                outcomes.append(ImportOutcome(item.origin, ImportStatus.UNCHANGED, slug))
            elif source is None and (target := await self._same_article(item, stored_titles, stored_urls)):
                await self._update_story(target, item)
                stored_hashes.add(story.content_hash)
                known[item.origin] = KnownSource(story.content_hash, target, None)
                outcomes.append(ImportOutcome(item.origin, ImportStatus.UPDATED, await self._slug(target)))
            elif source is None:
                slug = await self._free_slug(story.slug, batch_slugs, taken_slugs)
                batch_slugs.add(slug)
                batch_hashes[(item.scope_id, story.content_hash)] = (next_id, slug)
                stored_hashes.add(story.content_hash)
                self._pending.append(NewStory(next_id, item, slug))
                self._batch_titles.add(story.title)
                if story.url:
                    self._batch_urls.add(story.url)
                known[item.origin] = KnownSource(story.content_hash, next_id, None)
                outcomes.append(ImportOutcome(item.origin, ImportStatus.CREATED, slug))
                next_id += 1
            elif source.content_hash == story.content_hash:
                outcomes.append(ImportOutcome(item.origin, ImportStatus.UNCHANGED, await self._slug(source.story_id)))
            elif source.development_id is not None:
                outcomes.append(
                    ImportOutcome(
                        item.origin,
                        ImportStatus.FAILED,
                        None,
                        "this file was imported as a follow-up; it now has no 'follows:'",
                    )
                )
            else:
                assert source.story_id is not None  # a source is a story's or a development's
                await self._update_story(source.story_id, item)
                stored_hashes.add(story.content_hash)
                known[item.origin] = KnownSource(story.content_hash, source.story_id, None)
                outcomes.append(ImportOutcome(item.origin, ImportStatus.UPDATED, await self._slug(source.story_id)))
        await self._flush()
        if self._copies:
            await self.conn.executemany(insert_sql(SourceRow) + " ON CONFLICT (origin) DO NOTHING", self._copies)
        for index, item in follow_ups:
            outcomes[index] = await self._import_development(item, known.get(item.origin))
        return [outcome for outcome in outcomes if outcome is not None]

    async def _sources(self, origins: Sequence[str]) -> dict[str, KnownSource]:
        found: dict[str, KnownSource] = {}
        unique = list(dict.fromkeys(origins))
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self.conn.execute(
                f"SELECT origin, content_hash, story_id, development_id FROM sources WHERE origin IN ({marks})",
                chunk,
            ) as cursor:
                for row in await cursor.fetchall():
                    found[row[0]] = KnownSource(content_hash=row[1], story_id=row[2], development_id=row[3])
        return found

    async def _present(self, table: str, column: str, wanted: set[str]) -> set[str]:
        """Which of `wanted` are stored in `table.column` (an indexed column)."""
        found: set[str] = set()
        unique = sorted(wanted)
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self.conn.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def _same_content_if_stored(
        self, content_hash: str, stored: set[str], scope_id: str | None
    ) -> tuple[int, str] | None:
        """`_same_content`, without the query when `stored` (a superset of the stored hashes) rules it out.

        `stored` comes from `_present` at the start of the batch; the loop adds every hash it writes (new
        stories, updated stories), so a hash missing from it is missing from `sources` too."""
        if content_hash not in stored:
            return None
        return await self._same_content(content_hash, scope_id)

    async def _same_content(self, content_hash: str, scope_id: str | None) -> tuple[int, str] | None:
        async with self.conn.execute(
            "SELECT s.id, s.slug FROM sources JOIN stories s ON s.id = sources.story_id "
            "WHERE sources.content_hash = ? AND sources.development_id IS NULL AND s.scope_id IS ? LIMIT 1",
            (content_hash, scope_id),
        ) as cursor:
            row = await cursor.fetchone()
        return (row[0], row[1]) if row else None

    async def _same_article(self, item: ImportItem, titles: set[str], urls: set[str]) -> int | None:
        """The story that a new origin's new text is an edited copy of (see the class docstring), if any.

        `titles` and `urls` are those of the batch's new documents that were stored when it started; with the
        batch's own new stories' (`_batch_titles`, `_batch_urls`), a document with neither costs no query."""
        story = item.story
        if story.url in urls or story.url in self._batch_urls:
            await self._flush()
            async with self.conn.execute(
                "SELECT id FROM stories WHERE url = ? AND scope_id IS ? ORDER BY id LIMIT 1", (story.url, item.scope_id)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                return int(row[0])
        if story.title not in titles and story.title not in self._batch_titles:
            return None
        await self._flush()
        async with self.conn.execute(
            "SELECT id FROM stories WHERE title = ? AND scope_id IS ? ORDER BY id", (story.title, item.scope_id)
        ) as cursor:
            candidates = [int(row[0]) for row in await cursor.fetchall()]
        body = search_index.story_document(story).body
        for candidate in candidates:
            stored = await search_index.stored_document(self.conn, candidate)
            # In a thread: comparing two 1 MiB texts takes a good part of a second.
            if stored is not None and await asyncio.to_thread(mostly_the_same, body, stored.body):
                return candidate
        return None

    async def _slug(self, story_id: int | None) -> str | None:
        async with self.conn.execute("SELECT slug FROM stories WHERE id = ?", (story_id,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def _free_slug(self, wanted: str, batch: set[str], taken: set[str] | None = None) -> str:
        """`wanted`, else `wanted-2`, `wanted-3`, ...: the first slug neither stored nor used in `batch`.

        `taken`, when given, holds which batch slugs were stored when the batch started; stories are only
        added during a batch under slugs in `batch`, so a slug in neither is free without a query."""
        if taken is not None and wanted not in taken and wanted not in batch:
            return wanted
        candidate, number = wanted, 1
        while True:
            if candidate not in batch:
                async with self.conn.execute("SELECT 1 FROM stories WHERE slug = ?", (candidate,)) as cursor:
                    if await cursor.fetchone() is None:
                        return candidate
            number += 1
            candidate = f"{wanted}-{number}"

    async def _flush(self) -> None:
        """Writes the batch's new stories so far: each table in one executemany."""
        new, self._pending = self._pending, []
        if not new:
            return
        # In a thread: the rows of a 1 MiB article (20,000 sections, say) take tens of milliseconds to build, which
        # would hold up every other command on the event loop (`python -m bench.add_latency`).
        stories, sections, points, search, sources = await asyncio.to_thread(_new_rows, new, self.now)
        await insert_rows(self.conn, StoryRow, stories)
        await insert_rows(self.conn, SectionRow, sections)
        await insert_rows(self.conn, KeyPointRow, points)
        await search_index.add(self.conn, search)
        await insert_rows(self.conn, SourceRow, sources)

    async def _update_story(self, story_id: int, item: ImportItem) -> None:
        story = item.story
        await search_index.remove(self.conn, story_id)  # while it still holds the text it was indexed with
        # The stored slug, owner and creation time stay; everything the document says is replaced.
        await self.conn.execute(
            "UPDATE stories SET title = :title, dek = :dek, summary = :summary, lead_json = :lead_json, "
            "published_at = :published_at, timezone_assumed = :timezone_assumed, "
            "reading_minutes = :reading_minutes, source = :source, url = :url, tags_json = :tags_json, "
            "updated_at = :updated_at, last_development_at = MAX(last_development_at, :published_at), "
            "date_assumed = :date_assumed, published_zone = :published_zone, author = :author, "
            "extra_json = :extra_json WHERE id = :id",
            _story_row(story_id, "", item, self.now)._asdict(),
        )
        for table in ("sections", "key_points"):
            await self.conn.execute(f"DELETE FROM {table} WHERE story_id = ?", (story_id,))  # noqa: S608
        await insert_rows(self.conn, SectionRow, _section_rows(story_id, story))
        await insert_rows(self.conn, KeyPointRow, _key_point_rows(story_id, story))
        await search_index.refresh(self.conn, story_id)
        # The origin may be new (an edited copy): it joins the story's sources.
        await self.conn.execute(
            insert_sql(SourceRow) + " ON CONFLICT (origin) DO UPDATE SET content_hash = excluded.content_hash, "
            "imported_at = excluded.imported_at",
            SourceRow(item.origin, story.content_hash, story_id, None, self.now),
        )

    async def _import_development(self, item: ImportItem, source: KnownSource | None) -> ImportOutcome:
        story = item.story
        # The story it follows, as the importing server sees it (its own and global ones: stories.py's rule).
        async with self.conn.execute(
            "SELECT id, slug FROM stories s WHERE s.slug = :slug AND (s.scope_id IS NULL OR s.scope_id = :viewer)",
            {"slug": story.follows, "viewer": item.scope_id},
        ) as cursor:
            target = await cursor.fetchone()
        if target is None:
            return ImportOutcome(
                item.origin, ImportStatus.FAILED, None, f"'follows: {story.follows}' names no known story"
            )
        target_id, target_slug = target[0], target[1]
        if source is not None and source.content_hash == story.content_hash:
            return ImportOutcome(item.origin, ImportStatus.UNCHANGED, target_slug, development_id=source.development_id)
        row = DevelopmentRow(
            story_id=target_id,
            headline=story.title,
            body=_development_body(story),
            key_points_json=bullets_json(_development_points(story)),
            url=story.url,
            source=story.source,
            published_at=to_db_time(story.published_at),
            created_at=self.now,
            content_hash=story.content_hash,
        )
        if source is not None and source.development_id is not None:
            async with self.conn.execute(
                "SELECT 1 FROM developments WHERE story_id = ? AND content_hash = ? AND id != ?",
                (target_id, story.content_hash, source.development_id),
            ) as cursor:
                if await cursor.fetchone():
                    return ImportOutcome(
                        item.origin, ImportStatus.FAILED, target_slug, "this text is already another development"
                    )
            await search_index.remove(self.conn, target_id)
            # created_at stays: it says when the development first arrived.
            await self.conn.execute(
                "UPDATE developments SET headline = :headline, body = :body, key_points_json = :key_points_json, "
                "url = :url, source = :source, published_at = :published_at, content_hash = :content_hash "
                "WHERE id = :id",
                {**row._asdict(), "id": source.development_id},
            )
            await search_index.refresh(self.conn, target_id)
            await self.conn.execute(
                "UPDATE sources SET content_hash = ?, imported_at = ? WHERE origin = ?",
                (story.content_hash, self.now, item.origin),
            )
            return ImportOutcome(
                item.origin, ImportStatus.DEVELOPMENT_UPDATED, target_slug, development_id=source.development_id
            )
        development_id = await insert_development(self.conn, row)
        if development_id is None:
            return ImportOutcome(item.origin, ImportStatus.UNCHANGED, target_slug)
        await self.conn.execute(
            insert_sql(SourceRow) + " ON CONFLICT (origin) DO UPDATE SET content_hash = excluded.content_hash, "
            "development_id = excluded.development_id, imported_at = excluded.imported_at",
            SourceRow(item.origin, story.content_hash, target_id, development_id, self.now),
        )
        return ImportOutcome(item.origin, ImportStatus.DEVELOPMENT_ADDED, target_slug, development_id=development_id)


async def insert_development(conn: aiosqlite.Connection, row: DevelopmentRow) -> int | None:
    """Adds a development, to the story's searchable text too, and moves the story's activity time; None when
    the same content is recorded."""
    await search_index.remove(conn, row.story_id)  # the entry as indexed, before the development joins it
    async with conn.execute(
        insert_sql(DevelopmentRow) + " ON CONFLICT (story_id, content_hash) DO NOTHING RETURNING id", row
    ) as cursor:
        inserted = await cursor.fetchone()
    await search_index.refresh(conn, row.story_id)
    if inserted is None:
        return None
    await conn.execute(
        "UPDATE stories SET last_development_at = MAX(last_development_at, ?), updated_at = ? WHERE id = ?",
        (row.created_at, row.created_at, row.story_id),
    )
    return int(inserted[0])


class StoryWriter:
    """Every write to stories and their developments, each in its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_stories(self, items: Sequence[ImportItem], now: datetime | None = None) -> list[ImportOutcome]:
        """Idempotent import of parsed documents in one transaction; failures are outcomes, not raises."""
        now_text = to_db_time(now or datetime.now(UTC))
        async with self.db.transaction() as conn:
            return await StoryImport(conn, now_text).run(items)

    async def add_development(
        self,
        story_id: int,
        headline: str,
        body: str,
        *,
        key_points: Sequence[Bullet] = (),
        url: str | None = None,
        source: str | None = None,
        published_at: datetime | None = None,
        content_hash: str,
        now: datetime | None = None,
    ) -> int | None:
        """Adds a development; returns its id, or None when the same content was already recorded."""
        now_text = to_db_time(now or datetime.now(UTC))
        row = DevelopmentRow(
            story_id=story_id,
            headline=headline,
            body=body,
            key_points_json=bullets_json(key_points),
            url=url,
            source=source,
            published_at=to_db_time(published_at) if published_at else now_text,
            created_at=now_text,
            content_hash=content_hash,
        )
        async with self.db.transaction() as conn:
            return await insert_development(conn, row)

    async def remove(self, story_id: int, scope_id: str) -> bool:
        """Removes a server's own story. Global stories and other servers' stories are refused."""
        async with self.db.transaction() as conn:
            return await delete_story(conn, story_id, scope_id)


async def delete_story(conn: aiosqlite.Connection, story_id: int, scope_id: str) -> bool:
    """Inside the caller's transaction: removes a server's own story (never a global or another server's one)."""
    async with conn.execute("SELECT 1 FROM stories WHERE id = ? AND scope_id = ?", (story_id, scope_id)) as cursor:
        if await cursor.fetchone() is None:
            return False
    await search_index.remove(conn, story_id)  # the index keeps no text: remove the entry before its rows go
    await conn.execute("DELETE FROM stories WHERE id = ?", (story_id,))
    return True
