"""Tests for storage.database: migrations, pragmas, transactions, on real SQLite files."""

from __future__ import annotations

import logging
import sqlite3
from importlib import resources
from pathlib import Path

import pytest

from storage import migrations
from storage.database import LATEST_VERSION, Database, DatabaseError, DatabaseLocationError, _statements
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
    expected = {"stories", "sections", "key_points", "developments", "sources", "bot_state"}
    expected |= {"story_text", "story_titles"}
    assert expected <= tables


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


async def test_an_integrity_error_in_a_unit_of_work_propagates_as_itself(db_path: Path) -> None:
    # Raised inside the session, so it passes through Database.open on its way out, as it does in the bot.
    with pytest.raises(sqlite3.IntegrityError) as raised:
        async with Database.open(db_path) as db, db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'again')")
    assert not isinstance(raised.value, DatabaseError)
    async with Database.open(db_path) as db:
        assert await StateRepository(db).get_state("k") is None  # rolled back


async def test_a_folder_under_a_file_is_a_location_error_naming_both(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    for path in (blocker / "bot.db", blocker / "deeper" / "bot.db"):
        with pytest.raises(DatabaseLocationError) as raised:
            async with Database.open(path):
                pass
        assert str(path) in str(raised.value)
        assert f"{blocker} is a file, not a folder" in str(raised.value)


async def test_a_file_that_cannot_be_created_is_a_location_error(tmp_path: Path) -> None:
    for path in (Path("/proc/briefbot.db"), tmp_path):  # a filesystem that takes no new files; a folder
        with pytest.raises(DatabaseLocationError, match=str(path)):
            async with Database.open(path):
                pass


def test_the_migrations_are_a_package_found_by_importlib_resources() -> None:
    # A data folder that is not a package is left out of a non-editable install (and setuptools warns).
    assert migrations.__file__ is not None, "storage.migrations must be a regular package"
    found = sorted(entry.name for entry in resources.files("storage.migrations").iterdir() if entry.name[:3].isdigit())
    assert found == sorted(p.name for p in Path(migrations.__file__).parent.glob("*.sql"))
    assert len(found) == LATEST_VERSION

