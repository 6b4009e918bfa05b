"""Tests for storage.database: migrations, pragmas, transactions, on real SQLite files."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from storage.database import LATEST_VERSION, Database, DatabaseError, _statements
from storage.state import StateRepository


async def _pragma(conn, name: str) -> object:
    async with conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return row[0]


def _migration_count() -> int:
    folder = Path(__file__).resolve().parents[2] / "storage" / "migrations"
    return len([p for p in folder.iterdir() if p.suffix == ".sql"])


async def test_migrations_set_user_version_to_the_latest(db: Database, db_path: Path) -> None:
    assert LATEST_VERSION == _migration_count() >= 1
    assert await db.schema_version() == LATEST_VERSION
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"stories", "sections", "key_points", "developments", "sources", "story_search", "bot_state"} <= tables


async def test_wal_and_foreign_keys_are_on(db: Database, db_path: Path) -> None:
    assert str(await _pragma(db.reader, "journal_mode")).lower() == "wal"
    assert await _pragma(db.reader, "foreign_keys") == 1
    async with db.transaction() as conn:
        assert await _pragma(conn, "foreign_keys") == 1
    # WAL is a property of the file: a fresh connection sees it too.
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO key_points (story_id, position, label, text) VALUES (?, ?, ?, ?)", (12345, 0, "x", "y")
            )


async def test_reader_is_read_only(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await db.reader.execute("INSERT INTO bot_state (key, value) VALUES ('a', 'b')")


async def test_reopening_does_not_rerun_migrations(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="storage.database")
    async with Database.open(db_path) as db:
        await StateRepository(db).set_state("marker", "kept")
    assert any("applying migration" in r.getMessage() for r in caplog.records)
    caplog.clear()
    async with Database.open(db_path) as db:
        assert await db.schema_version() == LATEST_VERSION
        assert await StateRepository(db).get_state("marker") == "kept"
    assert not any("applying migration" in r.getMessage() for r in caplog.records)


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    state = StateRepository(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")
            raise RuntimeError("boom")
    assert await state.get_state("k") is None
    await state.set_state("k", "v1")
    await state.set_state("k", "v2")
    assert await state.get_state("k") == "v2"


async def test_creates_the_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "bot.db"
    async with Database.open(path) as db:
        assert await db.schema_version() == LATEST_VERSION
        assert await db.integrity_problems() == []
    assert path.is_file()


async def test_a_newer_schema_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(DatabaseError, match="newer"):
        async with Database.open(db_path):
            pass


async def test_a_file_that_is_not_a_database_is_a_database_error(tmp_path: Path) -> None:
    path = tmp_path / "not.db"
    path.write_bytes(b"this is not sqlite " * 400)
    with pytest.raises(DatabaseError, match=str(path)):
        async with Database.open(path):
            pass


def test_statement_splitting_keeps_semicolons_inside_strings() -> None:
    sql = "-- a comment\nCREATE TABLE t (a TEXT DEFAULT ';');\n\nINSERT INTO t VALUES ('x;y');\n"
    assert _statements(sql) == ["CREATE TABLE t (a TEXT DEFAULT ';');", "INSERT INTO t VALUES ('x;y');"]
