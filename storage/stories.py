"""Stories, their sections, key points and developments: reads and search (FTS5).

Writes (the import unit of work, developments, removal) live in storage/story_import.py; the repository
hands them on, so callers keep one object. What the search index holds, and how a query is quoted for it, is
storage/search_index.py."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.story_model import Bullet, Section, SectionKind
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
from storage.search_index import fts_prefix_query, fts_quote
from storage.story_import import ImportItem, ImportOutcome, ImportStatus, StoryWriter

__all__ = [
    "ImportItem",
    "ImportOutcome",
    "ImportStatus",
    "StoreTotals",
    "StoryRef",
    "StoryRepository",
    "fts_prefix_query",
    "fts_quote",
]

_VISIBLE = "(s.scope_id IS NULL OR s.scope_id = :viewer)"
_STORY_COLUMNS = (
    "s.id, s.slug, s.scope_id, s.title, s.dek, s.summary, s.published_at, s.timezone_assumed, "
    "s.reading_minutes, s.source, s.url, s.tags_json, s.updated_at, s.last_development_at, s.created_at, "
    "s.date_assumed, s.published_zone, s.author, s.extra_json"
)
SEARCH_WINDOW = 2000  # search ranks the newest matches only, so a word in every story costs the same


@dataclass(frozen=True, slots=True)
class StoryRef:
    id: int
    slug: str
    title: str


@dataclass(frozen=True, slots=True)
class StoreTotals:
    stories: int
    indexed: int  # stories in the full-text index: one entry each
    key_points: int


def _story(row: aiosqlite.Row) -> StoryRecord:
    return StoryRecord(
        id=row[0],
        slug=row[1],
        scope_id=row[2],
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
        date_assumed=bool(row[15]),
        published_zone=row[16],
        author=row[17],
        extra=tuple((key, value) for key, value in json.loads(row[18])),
    )


def _bullets(text: str) -> tuple[Bullet, ...]:
    return tuple(Bullet(label, body) for label, body in json.loads(text))


# The outlets that reported a development again (a feed's duplicates), in the order they did, one per line.
_ALSO_REPORTED = (
    "(SELECT group_concat(outlet, char(10)) FROM (SELECT outlet FROM development_reports r "
    "WHERE r.development_id = developments.id ORDER BY r.reported_at, r.outlet)) AS also_reported_by"
)


def _development(row: aiosqlite.Row) -> DevelopmentRecord:
    also = row["also_reported_by"] if "also_reported_by" in row.keys() else None
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
        also_reported_by=tuple(also.split("\n")) if also else (),
    )


class StoryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.writer = StoryWriter(db)
        # The writes, handed on to the writer (see its docstrings).
        self.import_stories = self.writer.import_stories
        self.add_development = self.writer.add_development
        self.remove = self.writer.remove

    # --- reads ---------------------------------------------------------------------------------

    async def get(self, slug: str, viewer: str | None) -> StoryRecord | None:
        sql = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.slug = :slug AND {_VISIBLE}"
        async with self.db.reader.execute(sql, {"slug": slug, "viewer": viewer}) as cursor:
            row = await cursor.fetchone()
        return _story(row) if row else None

    async def get_by_id(self, story_id: int) -> StoryRecord | None:
        sql = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = ?"
        async with self.db.reader.execute(sql, (story_id,)) as cursor:
            row = await cursor.fetchone()
        return _story(row) if row else None

    async def detail(self, slug: str, viewer: str | None) -> StoryDetail | None:
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
            f"SELECT *, {_ALSO_REPORTED} FROM developments WHERE story_id = ? AND id > ? ORDER BY published_at, id",
            (story_id, after_id),
        ) as cursor:
            return [_development(r) for r in await cursor.fetchall()]

    async def recent(self, viewer: str | None, limit: int = 10, offset: int = 0) -> list[StoryRecord]:
        """Visible stories, newest development first; the page is picked inside a covering index."""
        sql = (
            f"SELECT {_STORY_COLUMNS} FROM stories s JOIN ("
            "SELECT id, last_development_at AS at FROM stories INDEXED BY stories_by_activity_scope "
            "WHERE (scope_id IS NULL OR scope_id = :viewer) "
            "ORDER BY last_development_at DESC, id DESC LIMIT :limit OFFSET :offset"
            ") page ON s.id = page.id ORDER BY page.at DESC, page.id DESC"
        )
        params = {"viewer": viewer, "limit": limit, "offset": max(0, offset)}
        async with self.db.reader.execute(sql, params) as cursor:
            return [_story(r) for r in await cursor.fetchall()]

    async def digest_outline(
        self, viewer: str | None, since: datetime | None, quiet_before: datetime | None, limit: int
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
            "WHERE (scope_id IS NULL OR scope_id = :viewer) AND last_development_at {op} :quiet_before "
            "AND id NOT IN (SELECT id FROM fresh) ORDER BY last_development_at DESC, id DESC LIMIT :limit"
        )
        count = (
            "(SELECT COUNT(*) FROM stories WHERE scope_id IS NULL{0}) "
            "+ (SELECT COUNT(*) FROM stories WHERE scope_id = :viewer{0})"
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

    async def scopes_owning_stories(self, scope_ids: Collection[str]) -> set[str]:
        """Which of these servers own at least one story (the others' digests show only global stories)."""
        found: set[str] = set()
        unique = sorted(scope_ids)
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.db.reader.execute(
                f"SELECT DISTINCT scope_id FROM stories WHERE scope_id IN ({marks})", chunk
            ) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def count(self, viewer: str | None) -> int:
        # Two index counts (global, the viewer's own): the OR form built a row set to count it, ~5x slower.
        sql = (
            "SELECT (SELECT COUNT(*) FROM stories WHERE scope_id IS NULL) "
            "+ (SELECT COUNT(*) FROM stories WHERE scope_id = :viewer)"
        )
        async with self.db.reader.execute(sql, {"viewer": viewer}) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def autocomplete(
        self, text: str, viewer: str | None, limit: int = 25, *, own_only: bool = False
    ) -> list[StoryChoice]:
        """Slug prefix first (index range scan), then title word prefixes (FTS5, CJK included).

        `own_only`: only the viewer's own stories, not the global ones (what a server's feed may develop)."""
        text = text.strip().lower()
        params = {"viewer": viewer, "limit": limit}
        visible = "s.scope_id = :viewer" if own_only else _VISIBLE
        if not text:  # the most active visible stories: merge the global and the viewer's index runs (see recent)
            global_run = "" if own_only else (
                "SELECT slug, title, at FROM (SELECT slug, title, last_development_at AS at FROM stories "
                "WHERE scope_id IS NULL ORDER BY last_development_at DESC LIMIT :limit) "
                "UNION ALL "
            )
            sql = (
                "SELECT slug, title FROM ("
                f"{global_run}"
                "SELECT slug, title, at FROM (SELECT slug, title, last_development_at AS at FROM stories "
                "WHERE scope_id = :viewer ORDER BY last_development_at DESC LIMIT :limit) "
                "ORDER BY at DESC LIMIT :limit)"
            )
            async with self.db.reader.execute(sql, params) as cursor:
                return [StoryChoice(r[0], r[1]) for r in await cursor.fetchall()]
        # `+s.scope_id`: the visibility test must not use the scope index, or SQLite collects every visible
        # story and sorts them instead of walking the slug index and stopping after `limit` rows.
        slug_sql = (
            "SELECT s.slug, s.title FROM stories s WHERE s.slug >= :low AND s.slug < :high "
            + ("AND +s.scope_id = :viewer " if own_only else "AND (+s.scope_id IS NULL OR +s.scope_id = :viewer) ")
            + "ORDER BY s.slug LIMIT :limit"
        )
        async with self.db.reader.execute(slug_sql, {**params, "low": text, "high": text + "\uffff"}) as cursor:
            choices = [StoryChoice(r[0], r[1]) for r in await cursor.fetchall()]
        query = fts_prefix_query(text)
        if len(choices) < limit and query:
            word_sql = (
                "SELECT s.slug, s.title FROM story_titles f JOIN stories s ON s.id = f.rowid "
                # Newest first, not by rank: ranking scores every match, which a 3-letter prefix makes 100k.
                f"WHERE story_titles MATCH :query AND {visible} ORDER BY f.rowid DESC LIMIT :limit"
            )
            async with self.db.reader.execute(word_sql, {**params, "query": query}) as cursor:
                seen = {c.slug for c in choices}
                for row in await cursor.fetchall():
                    if row[0] not in seen and len(choices) < limit:
                        choices.append(StoryChoice(row[0], row[1]))
        return choices

    async def search(self, text: str, viewer: str | None, limit: int = 10) -> list[StoryRecord]:
        query = fts_quote(text)
        if not query:
            return []
        sql = (
            f"SELECT {_STORY_COLUMNS} FROM story_text f JOIN stories s ON s.id = f.rowid "
            "WHERE story_text MATCH :query AND f.rowid >= COALESCE((SELECT rowid FROM story_text "
            "WHERE story_text MATCH :query ORDER BY rowid DESC LIMIT 1 OFFSET :window), 0) "
            f"AND {_VISIBLE} ORDER BY f.rank LIMIT :limit"
        )
        params = {"query": query, "viewer": viewer, "limit": limit, "window": SEARCH_WINDOW - 1}
        async with self.db.reader.execute(sql, params) as cursor:
            return [_story(r) for r in await cursor.fetchall()]

    async def refs(self, viewer: str | None) -> list[StoryRef]:
        """Every story `viewer` sees (the global ones and its own), oldest first: for tools that walk the
        whole store, like the benchmarks. Commands page through `recent` instead."""
        sql = f"SELECT s.id, s.slug, s.title FROM stories s WHERE {_VISIBLE} ORDER BY s.id"
        async with self.db.reader.execute(sql, {"viewer": viewer}) as cursor:
            return [StoryRef(r[0], r[1], r[2]) for r in await cursor.fetchall()]

    async def totals(self) -> StoreTotals:
        """Row counts over every server's stories (the benchmarks check an import with them)."""
        sql = (
            "SELECT (SELECT COUNT(*) FROM stories), (SELECT COUNT(*) FROM story_text), "
            "(SELECT COUNT(*) FROM key_points)"
        )
        async with self.db.reader.execute(sql) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return StoreTotals(row[0], row[1], row[2])
