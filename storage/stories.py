"""Stories, their sections, key points, developments, sources and the FTS5 index."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import aiosqlite

from bot.story_model import Bullet, Section, SectionKind, Story
from storage.database import Database
from storage.records import (
    DevelopmentRecord,
    DigestEntry,
    DigestGroup,
    DigestOutline,
    DigestStory,
    StoryChoice,
    StoryDetail,
    StoryRecord,
    from_db_time,
    to_db_time,
)

_VISIBLE = "(s.guild_id IS NULL OR s.guild_id = :viewer)"
_STORY_COLUMNS = (
    "s.id, s.slug, s.guild_id, s.title, s.dek, s.summary, s.published_at, s.timezone_assumed, "
    "s.reading_minutes, s.source, s.url, s.tags_json, s.updated_at, s.last_development_at, s.created_at"
)
_LOOKUP_CHUNK = 500
MIN_PREFIX_CHARS = 2
SEARCH_WINDOW = 2000  # search ranks the newest matches only, so a word in every story costs the same
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


def fts_quote(text: str) -> str:
    """Each term in double quotes (inner quotes doubled), so user text can never break MATCH."""
    terms = [t for t in text.replace("\x00", " ").split() if t.strip('"')]
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def fts_prefix_query(text: str) -> str:
    """Prefix terms for autocomplete. One-letter prefixes are left out: they expand to most of the index."""
    terms = [t for t in text.replace("\x00", " ").split() if len(t.strip('"')) >= MIN_PREFIX_CHARS]
    return " ".join('"' + t.replace('"', '""') + '"*' for t in terms)


def _story(row: aiosqlite.Row) -> StoryRecord:
    return StoryRecord(
        id=row[0],
        slug=row[1],
        guild_id=row[2],
        title=row[3],
        dek=row[4],
        summary=row[5],
        published_at=from_db_time(row[6]),
        timezone_assumed=bool(row[7]),
        reading_minutes=row[8],
        source=row[9],
        url=row[10],
        tags=tuple(json.loads(row[11])),
        updated_at=from_db_time(row[12]),
        last_development_at=from_db_time(row[13]),
        created_at=from_db_time(row[14]),
    )


def _bullets_json(bullets: Iterable[Bullet]) -> str:
    return _to_json([[b.label, b.text] for b in bullets])


def _bullets(text: str) -> tuple[Bullet, ...]:
    return tuple(Bullet(label, body) for label, body in json.loads(text))


def _development(row: aiosqlite.Row) -> DevelopmentRecord:
    return DevelopmentRecord(
        id=row["id"],
        story_id=row["story_id"],
        headline=row["headline"],
        body=row["body"],
        key_points=_bullets(row["key_points_json"]),
        url=row["url"],
        source=row["source"],
        published_at=from_db_time(row["published_at"]),
        created_at=from_db_time(row["created_at"]),
    )


def _search_row(story_id: int, story: Story) -> tuple[int, str, str, str]:
    return (story_id, story.title, story.search_sections_text(), story.search_key_points_text())


def _development_body(story: Story) -> str:
    return "\n\n".join([story.dek, *story.lead, *(s.plain_text() for s in story.sections)]).strip()


class StoryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reads ---------------------------------------------------------------------------------

    async def get(self, slug: str, viewer: int | None) -> StoryRecord | None:
        sql = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.slug = :slug AND {_VISIBLE}"
        async with self.db.reader.execute(sql, {"slug": slug, "viewer": viewer}) as cursor:
            row = await cursor.fetchone()
        return _story(row) if row else None

    async def get_by_id(self, story_id: int) -> StoryRecord | None:
        sql = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = ?"
        async with self.db.reader.execute(sql, (story_id,)) as cursor:
            row = await cursor.fetchone()
        return _story(row) if row else None

    async def detail(self, slug: str, viewer: int | None) -> StoryDetail | None:
        story = await self.get(slug, viewer)
        if story is None:
            return None
        reader = self.db.reader
        async with reader.execute("SELECT lead_json FROM stories WHERE id = ?", (story.id,)) as cursor:
            lead_row = await cursor.fetchone()
        async with reader.execute(
            "SELECT heading, kind, paragraphs_json, bullets_json FROM sections WHERE story_id = ? ORDER BY position",
            (story.id,),
        ) as cursor:
            sections = tuple(
                Section(r[0], SectionKind(r[1]), tuple(json.loads(r[2])), _bullets(r[3]))
                for r in await cursor.fetchall()
            )
        return StoryDetail(
            story=story,
            lead=tuple(json.loads(lead_row[0])) if lead_row else (),
            sections=sections,
            key_points=await self.key_points(story.id),
            developments=tuple(await self.developments(story.id)),
        )

    async def key_points(self, story_id: int) -> tuple[Bullet, ...]:
        async with self.db.reader.execute(
            "SELECT label, text FROM key_points WHERE story_id = ? ORDER BY position", (story_id,)
        ) as cursor:
            return tuple(Bullet(r[0], r[1]) for r in await cursor.fetchall())

    async def developments(self, story_id: int, after_id: int = 0) -> list[DevelopmentRecord]:
        async with self.db.reader.execute(
            "SELECT * FROM developments WHERE story_id = ? AND id > ? ORDER BY published_at, id",
            (story_id, after_id),
        ) as cursor:
            return [_development(r) for r in await cursor.fetchall()]

    async def recent(self, viewer: int | None, limit: int = 10, offset: int = 0) -> list[StoryRecord]:
        """Visible stories, newest development first; the page is picked inside a covering index."""
        sql = (
            f"SELECT {_STORY_COLUMNS} FROM stories s JOIN ("
            "SELECT id, last_development_at AS at FROM stories INDEXED BY stories_by_activity_scope "
            "WHERE (guild_id IS NULL OR guild_id = :viewer) "
            "ORDER BY last_development_at DESC, id DESC LIMIT :limit OFFSET :offset"
            ") page ON s.id = page.id ORDER BY page.at DESC, page.id DESC"
        )
        params = {"viewer": viewer, "limit": limit, "offset": max(0, offset)}
        async with self.db.reader.execute(sql, params) as cursor:
            return [_story(r) for r in await cursor.fetchall()]

    async def digest_outline(
        self, viewer: int | None, since: datetime | None, quiet_before: datetime | None, limit: int
    ) -> DigestOutline:
        """Every visible story sorted into fresh / steady / quiet, with exact counts and the first `limit` of each
        (most recent activity first), in one statement.

        Fresh: developments recorded after `since`, or the story itself added after it (a first digest, `since`
        None, counts every development). Quiet: otherwise, no activity since `quiet_before`. Steady: the rest.
        Recording a development moves its story's activity to at least that moment, so only stories active since
        `since` can have news (an index range); steady and quiet stories come from walking the activity index."""
        if since is None:
            fresh = (
                "SELECT s.id, s.last_development_at AS at, COUNT(*) AS news FROM developments d "
                f"JOIN stories s ON s.id = d.story_id WHERE {_VISIBLE} GROUP BY s.id"
            )
        else:
            fresh = (
                "SELECT id, MAX(at) AS at, MAX(news) AS news FROM ("
                "SELECT * FROM (SELECT s.id, s.last_development_at AS at, (SELECT COUNT(*) FROM developments d "
                "WHERE d.story_id = s.id AND d.created_at > :since) AS news "
                f"FROM stories s WHERE s.last_development_at > :since AND {_VISIBLE}) WHERE news > 0 "
                # A story added since: there is no index on created_at, so this reads each story's row.
                f"UNION ALL SELECT s.id, s.last_development_at, 0 FROM stories s WHERE s.created_at > :since "
                f"AND {_VISIBLE}) GROUP BY id"
            )
        walk = (
            "SELECT {group}, id, 0 FROM stories INDEXED BY stories_by_activity_scope "
            "WHERE (guild_id IS NULL OR guild_id = :viewer) AND last_development_at {op} :quiet_before "
            "AND id NOT IN (SELECT id FROM fresh) ORDER BY last_development_at DESC, id DESC LIMIT :limit"
        )
        count = (
            "(SELECT COUNT(*) FROM stories WHERE guild_id IS NULL{0}) "
            "+ (SELECT COUNT(*) FROM stories WHERE guild_id = :viewer{0})"
        )
        quiet = " AND last_development_at < :quiet_before"
        sql = (
            f"WITH fresh AS ({fresh}), picked(grp, id, news) AS ("
            "SELECT * FROM (SELECT 0, id, news FROM fresh ORDER BY at DESC, id DESC LIMIT :limit) "
            f"UNION ALL SELECT * FROM ({walk.format(group=1, op='>=')}) "
            f"UNION ALL SELECT * FROM ({walk.format(group=2, op='<')})) "
            "SELECT p.grp, s.id, s.slug, s.title, p.news, s.last_development_at, COALESCE((SELECT MAX(d.published_at) "
            "FROM developments d WHERE d.story_id = s.id), s.published_at) FROM picked p JOIN stories s ON s.id = p.id "
            # The counts ride on one more row: every visible story, those quiet, those fresh, those both.
            f"UNION ALL SELECT 3, {count.format('')}, {count.format(quiet)}, (SELECT COUNT(*) FROM fresh), "
            "(SELECT COUNT(*) FROM fresh WHERE at < :quiet_before), NULL, NULL"
        )
        params = {
            "viewer": viewer,
            "since": to_db_time(since) if since else "",
            "quiet_before": to_db_time(quiet_before) if quiet_before else "",  # "": nothing is quiet
            "limit": limit,
        }
        async with self.db.reader.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        [totals] = [row for row in rows if row[0] == 3]
        total, quiet_all, fresh_count, fresh_and_quiet = totals[1:5]
        picked = sorted((row for row in rows if row[0] != 3), key=lambda r: (r[0], r[5], r[1]), reverse=True)
        groups: dict[int, list[DigestEntry]] = {0: [], 1: [], 2: []}
        for row in picked:
            groups[row[0]].append(
                DigestEntry(
                    story_id=row[1], slug=row[2], title=row[3], news=row[4], last_development=from_db_time(row[6])
                )
            )
        quiet_count = quiet_all - fresh_and_quiet
        return DigestOutline(
            fresh=DigestGroup(entries=tuple(groups[0]), count=fresh_count),
            steady=DigestGroup(entries=tuple(groups[1]), count=total - fresh_count - quiet_count),
            quiet=DigestGroup(entries=tuple(groups[2]), count=quiet_count),
        )

    async def digest_stories(self, story_ids: Sequence[int], since: datetime | None) -> list[DigestStory]:
        """These stories in this order, each with its key points and the developments recorded after `since`."""
        if not story_ids:
            return []
        marks = ",".join("?" * len(story_ids))
        sql = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id IN ({marks})"
        async with self.db.reader.execute(sql, list(story_ids)) as cursor:
            found = {row[0]: _story(row) for row in await cursor.fetchall()}
        points: dict[int, list[Bullet]] = {i: [] for i in found}
        async with self.db.reader.execute(
            f"SELECT story_id, label, text FROM key_points WHERE story_id IN ({marks}) ORDER BY story_id, position",
            list(story_ids),
        ) as cursor:
            for row in await cursor.fetchall():
                points[row[0]].append(Bullet(row[1], row[2]))
        news: dict[int, list[DevelopmentRecord]] = {i: [] for i in found}
        async with self.db.reader.execute(
            f"SELECT * FROM developments WHERE story_id IN ({marks}) AND created_at > ? ORDER BY published_at, id",
            [*story_ids, to_db_time(since) if since else ""],
        ) as cursor:
            for row in await cursor.fetchall():
                news[row["story_id"]].append(_development(row))
        return [
            DigestStory(story=found[i], key_points=tuple(points[i]), news=tuple(news[i]))
            for i in story_ids
            if i in found
        ]

    async def last_development_dates(self, story_ids: Sequence[int]) -> dict[int, datetime]:
        """Each story's newest development's own date (its `published_at`, not when it was imported)."""
        if not story_ids:
            return {}
        marks = ",".join("?" * len(story_ids))
        async with self.db.reader.execute(
            f"SELECT story_id, MAX(published_at) FROM developments WHERE story_id IN ({marks}) GROUP BY story_id",
            list(story_ids),
        ) as cursor:
            return {row[0]: from_db_time(row[1]) for row in await cursor.fetchall()}

    async def guilds_owning_stories(self, guild_ids: Collection[int]) -> set[int]:
        """Which of these servers own at least one story (the others' digests show only global stories)."""
        found: set[int] = set()
        unique = sorted(guild_ids)
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.db.reader.execute(
                f"SELECT DISTINCT guild_id FROM stories WHERE guild_id IN ({marks})", chunk
            ) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def count(self, viewer: int | None) -> int:
        # Two index counts (global, the viewer's own): the OR form built a row set to count it, ~5x slower.
        sql = (
            "SELECT (SELECT COUNT(*) FROM stories WHERE guild_id IS NULL) "
            "+ (SELECT COUNT(*) FROM stories WHERE guild_id = :viewer)"
        )
        async with self.db.reader.execute(sql, {"viewer": viewer}) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def autocomplete(self, text: str, viewer: int | None, limit: int = 25) -> list[StoryChoice]:
        """Slug prefix first (index range scan), then title/key-point word prefixes (FTS5)."""
        text = text.strip().lower()
        params = {"viewer": viewer, "limit": limit}
        if not text:  # the most active visible stories: merge the global and the viewer's index runs (see recent)
            sql = (
                "SELECT slug, title FROM ("
                "SELECT slug, title, at FROM (SELECT slug, title, last_development_at AS at FROM stories "
                "WHERE guild_id IS NULL ORDER BY last_development_at DESC LIMIT :limit) "
                "UNION ALL "
                "SELECT slug, title, at FROM (SELECT slug, title, last_development_at AS at FROM stories "
                "WHERE guild_id = :viewer ORDER BY last_development_at DESC LIMIT :limit) "
                "ORDER BY at DESC LIMIT :limit)"
            )
            async with self.db.reader.execute(sql, params) as cursor:
                return [StoryChoice(r[0], r[1]) for r in await cursor.fetchall()]
        # `+s.guild_id`: the visibility test must not use the guild index, or SQLite collects every visible
        # story and sorts them instead of walking the slug index and stopping after `limit` rows.
        slug_sql = (
            "SELECT s.slug, s.title FROM stories s WHERE s.slug >= :low AND s.slug < :high "
            "AND (+s.guild_id IS NULL OR +s.guild_id = :viewer) ORDER BY s.slug LIMIT :limit"
        )
        async with self.db.reader.execute(slug_sql, {**params, "low": text, "high": text + "\uffff"}) as cursor:
            choices = [StoryChoice(r[0], r[1]) for r in await cursor.fetchall()]
        query = fts_prefix_query(text)
        if len(choices) < limit and query:
            word_sql = (
                "SELECT s.slug, s.title FROM story_search f JOIN stories s ON s.id = f.rowid "
                # Newest first, not by rank: ranking scores every match, which a 3-letter prefix makes 100k.
                f"WHERE story_search MATCH :query AND {_VISIBLE} ORDER BY f.rowid DESC LIMIT :limit"
            )
            match = "{title key_points} : (" + query + ")"
            async with self.db.reader.execute(word_sql, {**params, "query": match}) as cursor:
                seen = {c.slug for c in choices}
                for row in await cursor.fetchall():
                    if row[0] not in seen and len(choices) < limit:
                        choices.append(StoryChoice(row[0], row[1]))
        return choices

    async def search(self, text: str, viewer: int | None, limit: int = 10) -> list[StoryRecord]:
        query = fts_quote(text)
        if not query:
            return []
        sql = (
            f"SELECT {_STORY_COLUMNS} FROM story_search f JOIN stories s ON s.id = f.rowid "
            "WHERE story_search MATCH :query AND f.rowid >= COALESCE((SELECT rowid FROM story_search "
            "WHERE story_search MATCH :query ORDER BY rowid DESC LIMIT 1 OFFSET :window), 0) "
            f"AND {_VISIBLE} ORDER BY f.rank LIMIT :limit"
        )
        params = {"query": query, "viewer": viewer, "limit": limit, "window": SEARCH_WINDOW - 1}
        async with self.db.reader.execute(sql, params) as cursor:
            return [_story(r) for r in await cursor.fetchall()]

    # --- writes --------------------------------------------------------------------------------

    async def import_stories(self, items: Sequence[ImportItem], now: datetime | None = None) -> list[ImportOutcome]:
        """Idempotent import of parsed documents in one transaction; failures are outcomes, not raises."""
        now_text = to_db_time(now or datetime.now(UTC))
        outcomes: list[ImportOutcome | None] = []
        async with self.db.transaction() as conn:
            known = await self._sources(conn, [item.origin for item in items])
            async with conn.execute("SELECT COALESCE(MAX(id), 0) FROM stories") as cursor:
                row = await cursor.fetchone()
            next_id = (row[0] if row else 0) + 1
            new_rows: list[tuple[int, ImportItem, str]] = []
            batch_slugs: set[str] = set()
            batch_hashes: dict[str, str] = {}
            follow_ups: list[tuple[int, ImportItem]] = []
            # One query per batch instead of one per new item: slugs and hashes already stored (see below).
            fresh = [item.story for item in items if not item.story.follows and item.origin not in known]
            taken_slugs = await self._present(conn, "stories", "slug", {story.slug for story in fresh})
            stored_hashes = await self._present(conn, "sources", "content_hash", {s.content_hash for s in fresh})
            for item in items:
                source = known.get(item.origin)
                if new_rows and source is not None and source[1] is not None and source[1] >= new_rows[0][0]:
                    # This origin was already created earlier in the batch: write it before reading it back.
                    await self._insert_new(conn, new_rows, now_text)
                    new_rows = []
                if item.story.follows:
                    # Resolved after the batch's new stories are written: it may follow one of them.
                    follow_ups.append((len(outcomes), item))
                    outcomes.append(None)
                elif source is None and (
                    same := batch_hashes.get(item.story.content_hash)
                    or await self._same_content_if_stored(conn, item.story.content_hash, stored_hashes)
                ):
                    # The same text under another path (a moved or copied file) is the same story.
                    outcomes.append(ImportOutcome(item.origin, ImportStatus.UNCHANGED, same))
                elif source is None:
                    slug = await self._free_slug(conn, item.story.slug, batch_slugs, taken_slugs)
                    batch_slugs.add(slug)
                    batch_hashes[item.story.content_hash] = slug
                    stored_hashes.add(item.story.content_hash)
                    new_rows.append((next_id, item, slug))
                    known[item.origin] = (item.story.content_hash, next_id, None)
                    outcomes.append(ImportOutcome(item.origin, ImportStatus.CREATED, slug))
                    next_id += 1
                elif source[0] == item.story.content_hash:
                    outcomes.append(
                        ImportOutcome(item.origin, ImportStatus.UNCHANGED, await self._slug(conn, source[1]))
                    )
                elif source[2] is not None:
                    outcomes.append(
                        ImportOutcome(
                            item.origin,
                            ImportStatus.FAILED,
                            None,
                            "this file was imported as a follow-up; it now has no 'follows:'",
                        )
                    )
                else:
                    await self._update_story(conn, source[1], item, now_text)
                    stored_hashes.add(item.story.content_hash)
                    known[item.origin] = (item.story.content_hash, source[1], None)
                    outcomes.append(ImportOutcome(item.origin, ImportStatus.UPDATED, await self._slug(conn, source[1])))
            await self._insert_new(conn, new_rows, now_text)
            for index, item in follow_ups:
                outcomes[index] = await self._import_development(conn, item, known.get(item.origin), now_text)
        return [outcome for outcome in outcomes if outcome is not None]

    async def _sources(
        self, conn: aiosqlite.Connection, origins: Sequence[str]
    ) -> dict[str, tuple[str, int | None, int | None]]:
        found: dict[str, tuple[str, int | None, int | None]] = {}
        unique = list(dict.fromkeys(origins))
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            async with conn.execute(
                f"SELECT origin, content_hash, story_id, development_id FROM sources WHERE origin IN ({marks})",
                chunk,
            ) as cursor:
                for row in await cursor.fetchall():
                    found[row[0]] = (row[1], row[2], row[3])
        return found

    async def _present(self, conn: aiosqlite.Connection, table: str, column: str, values: set[str]) -> set[str]:
        """Which of `values` are stored in `table.column` (an indexed column)."""
        found: set[str] = set()
        unique = sorted(values)
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            async with conn.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def _same_content_if_stored(
        self, conn: aiosqlite.Connection, content_hash: str, stored: set[str]
    ) -> str | None:
        """`_same_content`, without the query when `stored` (a superset of the stored hashes) rules it out.

        `stored` comes from `_present` at the start of the batch; the loop adds every hash it writes (new
        stories, updated stories), so a hash missing from it is missing from `sources` too."""
        if content_hash not in stored:
            return None
        return await self._same_content(conn, content_hash)

    async def _same_content(self, conn: aiosqlite.Connection, content_hash: str) -> str | None:
        async with conn.execute(
            "SELECT s.slug FROM sources JOIN stories s ON s.id = sources.story_id "
            "WHERE sources.content_hash = ? AND sources.development_id IS NULL LIMIT 1",
            (content_hash,),
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def _slug(self, conn: aiosqlite.Connection, story_id: int | None) -> str | None:
        async with conn.execute("SELECT slug FROM stories WHERE id = ?", (story_id,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def _free_slug(
        self, conn: aiosqlite.Connection, wanted: str, batch: set[str], taken: set[str] | None = None
    ) -> str:
        """`wanted`, else `wanted-2`, `wanted-3`, ...: the first slug neither stored nor used in `batch`.

        `taken`, when given, holds which batch slugs were stored when the batch started; stories are only
        added during a batch under slugs in `batch`, so a slug in neither is free without a query."""
        if taken is not None and wanted not in taken and wanted not in batch:
            return wanted
        candidate, number = wanted, 1
        while True:
            if candidate not in batch:
                async with conn.execute("SELECT 1 FROM stories WHERE slug = ?", (candidate,)) as cursor:
                    if await cursor.fetchone() is None:
                        return candidate
            number += 1
            candidate = f"{wanted}-{number}"

    async def _insert_new(self, conn: aiosqlite.Connection, rows: list[tuple[int, ImportItem, str]], now: str) -> None:
        if not rows:
            return
        story_rows, section_rows, point_rows, search_rows, source_rows = [], [], [], [], []
        for story_id, item, slug in rows:
            story = item.story
            story_rows.append(self._story_values(story_id, slug, item, now))
            section_rows.extend(self._section_values(story_id, story))
            point_rows.extend((story_id, i, b.label, b.text) for i, b in enumerate(story.key_points))
            search_rows.append(_search_row(story_id, story))
            source_rows.append((item.origin, story.content_hash, story_id, None, now))
        await conn.executemany(
            "INSERT INTO stories (id, slug, guild_id, title, dek, summary, lead_json, published_at, "
            "timezone_assumed, reading_minutes, source, url, tags_json, created_at, updated_at, "
            "last_development_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            story_rows,
        )
        await conn.executemany("INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?)", section_rows)
        await conn.executemany("INSERT INTO key_points VALUES (?, ?, ?, ?)", point_rows)
        await conn.executemany(
            "INSERT INTO story_search (rowid, title, sections, key_points) VALUES (?, ?, ?, ?)", search_rows
        )
        await conn.executemany(
            "INSERT INTO sources (origin, content_hash, story_id, development_id, imported_at) VALUES (?, ?, ?, ?, ?)",
            source_rows,
        )

    @staticmethod
    def _story_values(story_id: int, slug: str, item: ImportItem, now: str) -> tuple[object, ...]:
        story = item.story
        published = to_db_time(story.published_at)
        return (
            story_id,
            slug,
            item.guild_id,
            story.title,
            story.dek,
            story.summary,
            _to_json(list(story.lead)),
            published,
            int(story.timezone_assumed),
            story.reading_minutes,
            story.source,
            story.url,
            _to_json(list(story.tags)),
            now,
            now,
            published,
        )

    @staticmethod
    def _section_values(story_id: int, story: Story) -> list[tuple[object, ...]]:
        return [
            (
                story_id,
                i,
                s.heading,
                s.kind.value,
                _to_json(list(s.paragraphs)),
                _bullets_json(s.bullets),
            )
            for i, s in enumerate(story.sections)
        ]

    async def _update_story(self, conn: aiosqlite.Connection, story_id: int, item: ImportItem, now: str) -> None:
        story = item.story
        await conn.execute(
            "UPDATE stories SET title = ?, dek = ?, summary = ?, lead_json = ?, published_at = ?, "
            "timezone_assumed = ?, reading_minutes = ?, source = ?, url = ?, tags_json = ?, updated_at = ?, "
            "last_development_at = MAX(last_development_at, ?) WHERE id = ?",
            (
                story.title,
                story.dek,
                story.summary,
                _to_json(list(story.lead)),
                to_db_time(story.published_at),
                int(story.timezone_assumed),
                story.reading_minutes,
                story.source,
                story.url,
                _to_json(list(story.tags)),
                now,
                to_db_time(story.published_at),
                story_id,
            ),
        )
        for table in ("sections", "key_points"):
            await conn.execute(f"DELETE FROM {table} WHERE story_id = ?", (story_id,))  # noqa: S608
        await conn.execute("DELETE FROM story_search WHERE rowid = ?", (story_id,))
        await conn.executemany("INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?)", self._section_values(story_id, story))
        await conn.executemany(
            "INSERT INTO key_points VALUES (?, ?, ?, ?)",
            [(story_id, i, b.label, b.text) for i, b in enumerate(story.key_points)],
        )
        await conn.execute(
            "INSERT INTO story_search (rowid, title, sections, key_points) VALUES (?, ?, ?, ?)",
            _search_row(story_id, story),
        )
        await conn.execute(
            "UPDATE sources SET content_hash = ?, imported_at = ? WHERE origin = ?",
            (story.content_hash, now, item.origin),
        )

    async def _import_development(
        self,
        conn: aiosqlite.Connection,
        item: ImportItem,
        source: tuple[str, int | None, int | None] | None,
        now: str,
    ) -> ImportOutcome:
        story = item.story
        async with conn.execute(
            "SELECT id, slug FROM stories s WHERE s.slug = :slug AND " + _VISIBLE,
            {"slug": story.follows, "viewer": item.guild_id},
        ) as cursor:
            target = await cursor.fetchone()
        if target is None:
            return ImportOutcome(
                item.origin, ImportStatus.FAILED, None, f"'follows: {story.follows}' names no known story"
            )
        if source is not None and source[0] == story.content_hash:
            return ImportOutcome(item.origin, ImportStatus.UNCHANGED, target[1], development_id=source[2])
        values = (
            story.title,
            _development_body(story),
            _bullets_json(story.key_points),
            story.url,
            story.source,
            to_db_time(story.published_at),
        )
        if source is not None and source[2] is not None:
            async with conn.execute(
                "SELECT 1 FROM developments WHERE story_id = ? AND content_hash = ? AND id != ?",
                (target[0], story.content_hash, source[2]),
            ) as cursor:
                if await cursor.fetchone():
                    return ImportOutcome(
                        item.origin, ImportStatus.FAILED, target[1], "this text is already another development"
                    )
            await conn.execute(
                "UPDATE developments SET headline = ?, body = ?, key_points_json = ?, url = ?, source = ?, "
                "published_at = ?, content_hash = ? WHERE id = ?",
                (*values, story.content_hash, source[2]),
            )
            await conn.execute(
                "UPDATE sources SET content_hash = ?, imported_at = ? WHERE origin = ?",
                (story.content_hash, now, item.origin),
            )
            return ImportOutcome(item.origin, ImportStatus.DEVELOPMENT_UPDATED, target[1], development_id=source[2])
        development_id = await self._insert_development(conn, target[0], values, story.content_hash, now)
        if development_id is None:
            return ImportOutcome(item.origin, ImportStatus.UNCHANGED, target[1])
        await conn.execute(
            "INSERT INTO sources (origin, content_hash, story_id, development_id, imported_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (origin) DO UPDATE SET content_hash = excluded.content_hash, "
            "development_id = excluded.development_id, imported_at = excluded.imported_at",
            (item.origin, story.content_hash, target[0], development_id, now),
        )
        return ImportOutcome(item.origin, ImportStatus.DEVELOPMENT_ADDED, target[1], development_id=development_id)

    async def _insert_development(
        self, conn: aiosqlite.Connection, story_id: int, values: tuple[object, ...], content_hash: str, now: str
    ) -> int | None:
        async with conn.execute(
            "INSERT INTO developments (story_id, headline, body, key_points_json, url, source, published_at, "
            "created_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (story_id, content_hash) DO NOTHING RETURNING id",
            (story_id, *values, now, content_hash),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        await conn.execute(
            "UPDATE stories SET last_development_at = MAX(last_development_at, ?), updated_at = ? WHERE id = ?",
            (now, now, story_id),
        )
        return int(row[0])

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
        values = (
            headline,
            body,
            _bullets_json(key_points),
            url,
            source,
            to_db_time(published_at) if published_at else now_text,
        )
        async with self.db.transaction() as conn:
            return await self._insert_development(conn, story_id, values, content_hash, now_text)

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
