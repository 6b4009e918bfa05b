"""SQLite connections: one writer behind a lock, one reader, numbered migrations."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

from storage import migrations
from storage.migrations import STEPS

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class DatabaseError(RuntimeError):
    """The database file cannot be opened or migrated."""


class DatabaseLocationError(DatabaseError):
    """The database file or its folder cannot be created or opened where it was asked for."""


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files(migrations)
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise DatabaseError(f"migrations must be numbered 001, 002, ... without gaps; found {numbers}")
    return found


LATEST_VERSION = len(_migrations())


async def _configure(conn: aiosqlite.Connection) -> None:
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 5000")
    await conn.execute("PRAGMA synchronous = NORMAL")


class Database:
    """Owns the connections. Writes go through `transaction()`; reads through `reader`."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self.reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path | str) -> AsyncIterator[Database]:
        path = Path(path)
        writer, reader = await _connect(path)
        # Only opening and migrating are wrapped: an error from a unit of work propagates as itself.
        try:
            yield cls(path, writer, reader)
        finally:
            await reader.close()
            await writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """`BEGIN IMMEDIATE` on the single writer; commits on success, rolls back on error."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self.reader.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def integrity_problems(self) -> list[str]:
        async with self.reader.execute("PRAGMA quick_check") as cursor:
            rows = await cursor.fetchall()
        return [str(row[0]) for row in rows if str(row[0]) != "ok"]


def _check_location(path: Path) -> None:
    """Creates the database's folder and file; says plainly why when that cannot be done.

    SQLite would only say "unable to open database file", and a failed aiosqlite connect leaves its thread
    finishing after the caller's loop may be gone."""
    if path.is_dir():
        raise DatabaseLocationError(f"database {path} is a folder, not a file")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # "File exists" is what mkdir says when a file sits where a folder should be: name that file.
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker is not None else exc.strerror or str(exc)
        raise DatabaseLocationError(f"cannot create the folder of database {path}: {reason}") from exc
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o644))
    except OSError as exc:
        raise DatabaseLocationError(f"cannot create or open database file {path}: {exc.strerror or exc}") from exc


async def _connect(path: Path) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
    """Opens, configures and migrates the writer, then opens the reader; closes both if any step fails."""
    if str(path) != ":memory:":
        _check_location(path)
    async with AsyncExitStack() as opened:
        try:
            writer = await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseLocationError(f"cannot open database {path}: {exc}") from exc
        opened.push_async_callback(writer.close)
        try:
            await _configure(writer)
            await writer.execute("PRAGMA journal_mode = WAL")
            await _migrate(writer, path)
            reader = await aiosqlite.connect(path, isolation_level=None)
            opened.push_async_callback(reader.close)
            await _configure(reader)
            await reader.execute("PRAGMA query_only = ON")
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"database {path} is not usable: {exc}") from exc
        opened.pop_all()  # opened fine: the caller owns both connections now
    return writer, reader


async def _migrate(conn: aiosqlite.Connection, path: Path) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    migrations = _migrations()
    if current > len(migrations):
        raise DatabaseError(
            f"database {path} has schema version {current}, newer than this briefbot "
            f"({len(migrations)}); upgrade briefbot"
        )
    pending = migrations[current:]
    if not pending:
        return
    # A migration that rebuilds a table (new table, copy, drop, rename) must not let the drop cascade into the
    # rows that reference it: foreign keys are off while migrations run (the pragma is a no-op inside a
    # transaction), and every migration checks them itself before it commits.
    await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for number, name, sql in pending:
            log.info("applying migration %s", name)
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(sql):
                    await conn.execute(statement)
                if number in STEPS:
                    await STEPS[number](conn)
                await _check_foreign_keys(conn, name)
                await conn.execute(f"PRAGMA user_version = {number:d}")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
    finally:
        await conn.execute("PRAGMA foreign_keys = ON")


async def _check_foreign_keys(conn: aiosqlite.Connection, name: str) -> None:
    async with conn.execute("PRAGMA foreign_key_check") as cursor:
        broken = await cursor.fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise DatabaseError(f"migration {name} leaves {len(broken)} rows with a broken reference in {tables}")


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit behind our back)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
