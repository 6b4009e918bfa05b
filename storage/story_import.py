"""Writing stories: the import unit of work (new stories, updates, follow-up developments), developments, removal.

`StoryRepository` (storage/stories.py) keeps the reads and search and hands its writes to `StoryWriter`.
Every row written is a named row below: a NamedTuple, which sqlite3 binds as it is (a frozen dataclass
costs twice as much to build, and an import builds about ten rows per story). Its fields are the table's
columns, and the INSERT names them from there."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import NamedTuple

import aiosqlite

from bot.story_model import Bullet, Story
from storage.database import Database
from storage.records import to_db_time

_LOOKUP_CHUNK = 500
# json.dumps(value, ensure_ascii=False), without building a new encoder for every call.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


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
    guild_id: int | None = None


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
    guild_id: int | None
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


class SearchRow(NamedTuple):
    TABLE = "story_search"
    rowid: int  # the story's id
    title: str
    sections: str
    key_points: str


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


Row = StoryRow | SectionRow | KeyPointRow | SearchRow | SourceRow | DevelopmentRow


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


def bullets_json(bullets: Iterable[Bullet]) -> str:
    return _to_json([[b.label, b.text] for b in bullets])


def _story_row(story_id: int, slug: str, item: ImportItem, now: str) -> StoryRow:
    story = item.story
    published = to_db_time(story.published_at)
    return StoryRow(
        id=story_id,
        slug=slug,
        guild_id=item.guild_id,
        title=story.title,
        dek=story.dek,
        summary=story.summary,
        lead_json=_to_json(list(story.lead)),
        published_at=published,
        timezone_assumed=int(story.timezone_assumed),
        reading_minutes=story.reading_minutes,
        source=story.source,
        url=story.url,
        tags_json=_to_json(list(story.tags)),
        created_at=now,
        updated_at=now,
        last_development_at=published,
    )


def _section_rows(story_id: int, story: Story) -> list[SectionRow]:
    return [
        SectionRow(
            story_id=story_id,
            position=i,
            heading=s.heading,
            kind=s.kind.value,
            paragraphs_json=_to_json(list(s.paragraphs)),
            bullets_json=bullets_json(s.bullets),
        )
        for i, s in enumerate(story.sections)
    ]


def _key_point_rows(story_id: int, story: Story) -> list[KeyPointRow]:
    return [KeyPointRow(story_id, i, b.label, b.text) for i, b in enumerate(story.key_points)]


def _search_row(story_id: int, story: Story) -> SearchRow:
    return SearchRow(story_id, story.title, story.search_sections_text(), story.search_key_points_text())


def _development_body(story: Story) -> str:
    return "\n\n".join([story.dek, *story.lead, *(s.plain_text() for s in story.sections)]).strip()


class StoryImport:
    """One import batch, inside the caller's write transaction. Failures are outcomes, not raises.

    New stories are numbered here and written in bulk (`_flush`); an update, or a follow-up development,
    is written when it is met; follow-ups wait until the batch's new stories are written, since they may
    follow one of them."""

    def __init__(self, conn: aiosqlite.Connection, now: str) -> None:
        self.conn = conn
        self.now = now

    async def run(self, items: Sequence[ImportItem]) -> list[ImportOutcome]:
        conn = self.conn
        outcomes: list[ImportOutcome | None] = []
        known = await self._sources([item.origin for item in items])
        async with conn.execute("SELECT COALESCE(MAX(id), 0) FROM stories") as cursor:
            row = await cursor.fetchone()
        next_id = (row[0] if row else 0) + 1
        new_rows: list[NewStory] = []
        batch_slugs: set[str] = set()
        batch_hashes: dict[str, str] = {}
        follow_ups: list[tuple[int, ImportItem]] = []
        # One query per batch instead of one per new item: slugs and hashes already stored (see below).
        fresh = [item.story for item in items if not item.story.follows and item.origin not in known]
        taken_slugs = await self._present("stories", "slug", {story.slug for story in fresh})
        stored_hashes = await self._present("sources", "content_hash", {s.content_hash for s in fresh})
        for item in items:
            source = known.get(item.origin)
            if new_rows and source is not None and (source.story_id or 0) >= new_rows[0].story_id:
                # This origin was already created earlier in the batch: write it before reading it back.
                await self._flush(new_rows)
                new_rows = []
            if item.story.follows:
                # Resolved after the batch's new stories are written: it may follow one of them.
                follow_ups.append((len(outcomes), item))
                outcomes.append(None)
            elif source is None and (
                same := batch_hashes.get(item.story.content_hash)
                or await self._same_content_if_stored(item.story.content_hash, stored_hashes)
            ):
                # The same text under another path (a moved or copied file) is the same story.
                outcomes.append(ImportOutcome(item.origin, ImportStatus.UNCHANGED, same))
            elif source is None:
                slug = await self._free_slug(item.story.slug, batch_slugs, taken_slugs)
                batch_slugs.add(slug)
                batch_hashes[item.story.content_hash] = slug
                stored_hashes.add(item.story.content_hash)
                new_rows.append(NewStory(next_id, item, slug))
                known[item.origin] = KnownSource(item.story.content_hash, next_id, None)
                outcomes.append(ImportOutcome(item.origin, ImportStatus.CREATED, slug))
                next_id += 1
            elif source.content_hash == item.story.content_hash:
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
                stored_hashes.add(item.story.content_hash)
                known[item.origin] = KnownSource(item.story.content_hash, source.story_id, None)
                outcomes.append(ImportOutcome(item.origin, ImportStatus.UPDATED, await self._slug(source.story_id)))
        await self._flush(new_rows)
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

    async def _same_content_if_stored(self, content_hash: str, stored: set[str]) -> str | None:
        """`_same_content`, without the query when `stored` (a superset of the stored hashes) rules it out.

        `stored` comes from `_present` at the start of the batch; the loop adds every hash it writes (new
        stories, updated stories), so a hash missing from it is missing from `sources` too."""
        if content_hash not in stored:
            return None
        return await self._same_content(content_hash)

    async def _same_content(self, content_hash: str) -> str | None:
        async with self.conn.execute(
            "SELECT s.slug FROM sources JOIN stories s ON s.id = sources.story_id "
            "WHERE sources.content_hash = ? AND sources.development_id IS NULL LIMIT 1",
            (content_hash,),
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

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

    async def _flush(self, new: list[NewStory]) -> None:
        """Writes the batch's new stories so far: each table in one executemany."""
        if not new:
            return
        stories: list[StoryRow] = []
        sections: list[SectionRow] = []
        points: list[KeyPointRow] = []
        search: list[SearchRow] = []
        sources: list[SourceRow] = []
        for row in new:
            story = row.item.story
            stories.append(_story_row(row.story_id, row.slug, row.item, self.now))
            sections.extend(_section_rows(row.story_id, story))
            points.extend(_key_point_rows(row.story_id, story))
            search.append(_search_row(row.story_id, story))
            sources.append(SourceRow(row.item.origin, story.content_hash, row.story_id, None, self.now))
        await insert_rows(self.conn, StoryRow, stories)
        await insert_rows(self.conn, SectionRow, sections)
        await insert_rows(self.conn, KeyPointRow, points)
        await insert_rows(self.conn, SearchRow, search)
        await insert_rows(self.conn, SourceRow, sources)

    async def _update_story(self, story_id: int, item: ImportItem) -> None:
        story = item.story
        # The stored slug, owner and creation time stay; everything the document says is replaced.
        await self.conn.execute(
            "UPDATE stories SET title = :title, dek = :dek, summary = :summary, lead_json = :lead_json, "
            "published_at = :published_at, timezone_assumed = :timezone_assumed, "
            "reading_minutes = :reading_minutes, source = :source, url = :url, tags_json = :tags_json, "
            "updated_at = :updated_at, last_development_at = MAX(last_development_at, :published_at) "
            "WHERE id = :id",
            _story_row(story_id, "", item, self.now)._asdict(),
        )
        for table in ("sections", "key_points"):
            await self.conn.execute(f"DELETE FROM {table} WHERE story_id = ?", (story_id,))  # noqa: S608
        await self.conn.execute("DELETE FROM story_search WHERE rowid = ?", (story_id,))
        await insert_rows(self.conn, SectionRow, _section_rows(story_id, story))
        await insert_rows(self.conn, KeyPointRow, _key_point_rows(story_id, story))
        await insert_rows(self.conn, SearchRow, [_search_row(story_id, story)])
        await self.conn.execute(
            "UPDATE sources SET content_hash = ?, imported_at = ? WHERE origin = ?",
            (story.content_hash, self.now, item.origin),
        )

    async def _import_development(self, item: ImportItem, source: KnownSource | None) -> ImportOutcome:
        story = item.story
        # The story it follows, as the importing server sees it (its own and global ones: stories.py's rule).
        async with self.conn.execute(
            "SELECT id, slug FROM stories s WHERE s.slug = :slug AND (s.guild_id IS NULL OR s.guild_id = :viewer)",
            {"slug": story.follows, "viewer": item.guild_id},
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
            key_points_json=bullets_json(story.key_points),
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
            # created_at stays: it says when the development first arrived.
            await self.conn.execute(
                "UPDATE developments SET headline = :headline, body = :body, key_points_json = :key_points_json, "
                "url = :url, source = :source, published_at = :published_at, content_hash = :content_hash "
                "WHERE id = :id",
                {**row._asdict(), "id": source.development_id},
            )
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
    """Adds a development and moves its story's activity time; None when the same content is recorded."""
    async with conn.execute(
        insert_sql(DevelopmentRow) + " ON CONFLICT (story_id, content_hash) DO NOTHING RETURNING id", row
    ) as cursor:
        inserted = await cursor.fetchone()
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

    async def remove(self, story_id: int, guild_id: int) -> bool:
        """Removes a server's own story. Global stories and other servers' stories are refused."""
        async with self.db.transaction() as conn:
            return await delete_story(conn, story_id, guild_id)


async def delete_story(conn: aiosqlite.Connection, story_id: int, guild_id: int) -> bool:
    """Inside the caller's transaction: removes a server's own story (never a global or another server's one)."""
    cursor = await conn.execute("DELETE FROM stories WHERE id = ? AND guild_id = ?", (story_id, guild_id))
    removed = cursor.rowcount > 0
    if removed:
        await conn.execute("DELETE FROM story_search WHERE rowid = ?", (story_id,))
    return removed
