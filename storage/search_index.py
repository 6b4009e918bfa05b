"""The full-text index of stories: what it holds for a story, how it is kept in step, how user text queries it.

Two contentless FTS5 tables (migration 005), both keyed by the story's id:

- `story_text (title, body)`: the title, dek, lead, sections (headings, paragraphs, bullets) and every
  development's headline and body. Searched by `/story search`; no prefix index, since only autocomplete asks
  for prefixes. Key points are left out: they are bullets or sentences of the sections already.
- `story_titles (title)`: titles only, with 2-, 3- and 4-character prefix indexes, for autocomplete. Not stemmed,
  so that "visits" typed in full still finds "Visits".

Contentless means the index keeps no copy of the text (the old table stored every text a second time). The price:
removing a story's entry needs the exact text it was indexed with, so that text is always rebuilt from the stored
rows by `stored_document` (before a change) and by `document` from a parsed story (for a new one): one function
makes both. Changing what `document` produces therefore needs a migration that calls `rebuild`.

Chinese, Japanese and Korean runs are indexed as overlapping character bigrams (bot/cjk.py), with spaces between
them, because FTS5's unicode61 tokenizer makes a whole run one token. FTS5's trigram tokenizer was the other
option: it cannot match 2-character words (most Chinese words, many Korean ones) and it would index Latin text by
trigrams too. A query term with CJK characters becomes the phrase of its bigrams, which matches the word anywhere
in a run; Korean particles are taken off the query first ("삼성전자와" looks for 삼성전자).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import aiosqlite

from bot import cjk
from bot.story_model import Story

log = logging.getLogger(__name__)

MIN_PREFIX_CHARS = 2  # autocomplete leaves out one-letter Latin prefixes: they expand to most of the index
_REBUILD_CHUNK = 1000
_HAS_CJK = re.compile(f"[{cjk.ALL}]")

SectionText = tuple[str, Sequence[str], Sequence[Sequence[str]]]
"""A section as the index reads it: heading, paragraphs, bullets as (label, text)."""


class TextRow(NamedTuple):
    TABLE = "story_text"
    rowid: int  # the story's id
    title: str
    body: str


class TitleRow(NamedTuple):
    TABLE = "story_titles"
    rowid: int  # the story's id
    title: str


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What the index holds for one story, as given to FTS5."""

    title: str
    body: str

    def rows(self, story_id: int) -> tuple[TextRow, TitleRow]:
        return TextRow(story_id, self.title, self.body), TitleRow(story_id, self.title)


# --- text --------------------------------------------------------------------------------------------


def _spaced_bigrams(match: re.Match[str]) -> str:
    return " " + " ".join(cjk.bigrams(match.group())) + " "


def index_text(text: str) -> str:
    """The text as indexed: CJK runs become space-separated bigrams; everything else is left to the tokenizer."""
    if not _HAS_CJK.search(text):
        return text
    return cjk.RUN.sub(_spaced_bigrams, text)


def _bullet(label: str, text: str) -> str:
    return f"{label}: {text}" if label else text


def document(
    title: str,
    dek: str,
    lead: Iterable[str],
    sections: Iterable[SectionText],
    developments: Iterable[tuple[str, str]] = (),
) -> SearchDocument:
    """A story's index entry, from its stored values; `developments` are (headline, body), in id order."""
    parts = [dek, *lead]
    for heading, paragraphs, bullets in sections:
        parts.append(heading)
        parts.extend(paragraphs)
        parts.extend(_bullet(label, text) for label, text in bullets)
    for headline, body in developments:
        parts.append(headline)
        parts.append(body)
    return SearchDocument(index_text(title), index_text("\n".join(parts)))


def story_document(story: Story) -> SearchDocument:
    """The entry of a newly parsed story (it has no developments yet)."""
    sections = [(s.heading, s.paragraphs, [(b.label, b.text) for b in s.bullets]) for s in story.sections]
    return document(story.title, story.dek, story.lead, sections)


# --- queries -----------------------------------------------------------------------------------------


_POSSESSIVE = re.compile(r"(?<=\w)['’]s$", re.IGNORECASE)


def _terms(text: str) -> list[str]:
    """The query's terms; a possessive "'s" is left off: "Meta's" looks for Meta, not for the phrase "meta s",
    whose "s" is in nearly every story (it made such searches the slowest)."""
    terms = (_POSSESSIVE.sub("", t) for t in text.replace("\x00", " ").split())
    return [t for t in terms if t.strip('"')]


def _strip_particle(match: re.Match[str]) -> str:
    run = match.group()
    return cjk.without_particle(run) if cjk.is_hangul(run) else run


def _cjk_term(term: str) -> str:
    """A query term's text as it was indexed: bigrams of its CJK runs, Korean particles taken off first."""
    return index_text(cjk.RUN.sub(_strip_particle, term)).strip()


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_quote(text: str) -> str:
    """Each term in double quotes (inner quotes doubled), so user text can never break MATCH.

    A term with CJK characters becomes the phrase of its bigrams."""
    return " ".join(_phrase(_cjk_term(t) if _HAS_CJK.search(t) else t) for t in _terms(text))


def fts_prefix_query(text: str) -> str:
    """Prefix terms for autocomplete. One-letter Latin prefixes are left out: they expand to most of the index;
    one CJK character is a syllable or a word, so it stays."""
    found: list[str] = []
    for term in _terms(text):
        if _HAS_CJK.search(term):
            found.append(_phrase(_cjk_term(term)) + "*")
        elif len(term.strip('"')) >= MIN_PREFIX_CHARS:
            found.append(_phrase(term) + "*")
    return " ".join(found)


# --- keeping the index in step -----------------------------------------------------------------------


def _insert_sql(row_type: type[TextRow] | type[TitleRow]) -> str:
    names = row_type._fields
    return f"INSERT INTO {row_type.TABLE} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def _delete_sql(row_type: type[TextRow] | type[TitleRow]) -> str:
    # FTS5's delete command: the rowid and the values it was indexed with.
    names = row_type._fields
    columns = ", ".join([row_type.TABLE, *names])
    return f"INSERT INTO {row_type.TABLE} ({columns}) VALUES ('delete', {', '.join('?' * len(names))})"


async def add(conn: aiosqlite.Connection, entries: Sequence[tuple[int, SearchDocument]]) -> None:
    """Indexes stories that have no entry yet."""
    rows = [document.rows(story_id) for story_id, document in entries]
    await conn.executemany(_insert_sql(TextRow), [text for text, _ in rows])
    await conn.executemany(_insert_sql(TitleRow), [title for _, title in rows])


async def _remove_documents(conn: aiosqlite.Connection, entries: Sequence[tuple[int, SearchDocument]]) -> None:
    rows = [document.rows(story_id) for story_id, document in entries]
    await conn.executemany(_delete_sql(TextRow), [text for text, _ in rows])
    await conn.executemany(_delete_sql(TitleRow), [title for _, title in rows])


async def stored_document(conn: aiosqlite.Connection, story_id: int) -> SearchDocument | None:
    """The entry of a stored story, from its rows: exactly what `add` was given for it."""
    documents = await _stored_documents(conn, story_id, story_id)
    return documents[0][1] if documents else None


async def _stored_documents(conn: aiosqlite.Connection, first: int, last: int) -> list[tuple[int, SearchDocument]]:
    """Entries of the stored stories with ids in [first, last], in id order.

    Reads only columns that exist since migration 005, which runs `rebuild` with today's code."""
    sections: dict[int, list[SectionText]] = {}
    async with conn.execute(
        "SELECT story_id, heading, paragraphs_json, bullets_json FROM sections "
        "WHERE story_id BETWEEN ? AND ? ORDER BY story_id, position",
        (first, last),
    ) as cursor:
        for row in await cursor.fetchall():
            sections.setdefault(row[0], []).append((row[1], json.loads(row[2]), json.loads(row[3])))
    developments: dict[int, list[tuple[str, str]]] = {}
    async with conn.execute(
        "SELECT story_id, headline, body FROM developments WHERE story_id BETWEEN ? AND ? ORDER BY story_id, id",
        (first, last),
    ) as cursor:
        for row in await cursor.fetchall():
            developments.setdefault(row[0], []).append((row[1], row[2]))
    async with conn.execute(
        "SELECT id, title, dek, lead_json FROM stories WHERE id BETWEEN ? AND ? ORDER BY id", (first, last)
    ) as cursor:
        stories = await cursor.fetchall()
    return [
        (
            row[0],
            document(row[1], row[2], json.loads(row[3]), sections.get(row[0], ()), developments.get(row[0], ())),
        )
        for row in stories
    ]


async def remove(conn: aiosqlite.Connection, story_id: int) -> None:
    """Takes a story out of the index; call it before its rows change or go."""
    stored = await stored_document(conn, story_id)
    if stored is not None:
        await _remove_documents(conn, [(story_id, stored)])


async def refresh(conn: aiosqlite.Connection, story_id: int) -> None:
    """Indexes a story from its rows, after `remove` and the change."""
    stored = await stored_document(conn, story_id)
    if stored is not None:
        await add(conn, [(story_id, stored)])


async def rebuild(conn: aiosqlite.Connection) -> None:
    """Empties the index and indexes every stored story again (migration 005, or after `document` changes)."""
    for table in (TextRow.TABLE, TitleRow.TABLE):
        await conn.execute(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")
    async with conn.execute("SELECT COALESCE(MAX(id), 0), COUNT(*) FROM stories") as cursor:
        row = await cursor.fetchone()
    top, count = (row[0], row[1]) if row else (0, 0)
    if count:
        log.info("indexing %d stories for search", count)
    for first in range(1, top + 1, _REBUILD_CHUNK):
        await add(conn, await _stored_documents(conn, first, first + _REBUILD_CHUNK - 1))
