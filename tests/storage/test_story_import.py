"""Tests for storage.story_import's named rows: each one names real columns of its table."""

from __future__ import annotations

import pytest

from storage.database import Database
from storage.search_index import TextRow, TitleRow
from storage.story_import import (
    DevelopmentRow,
    KeyPointRow,
    Row,
    SectionRow,
    SourceRow,
    StoryRow,
)

ROW_TYPES = [StoryRow, SectionRow, KeyPointRow, TextRow, TitleRow, SourceRow, DevelopmentRow]


async def _columns(db: Database, table: str) -> dict[str, bool]:
    """Column name -> whether an insert must give it (NOT NULL, no default, not the rowid alias)."""
    async with db.reader.execute(f"PRAGMA table_xinfo({table})") as cursor:
        rows = await cursor.fetchall()
    return {r["name"]: bool(r["notnull"]) and r["dflt_value"] is None and not r["pk"] for r in rows}


@pytest.mark.parametrize("row_type", ROW_TYPES, ids=lambda t: t.__name__)
async def test_a_named_row_covers_its_tables_required_columns(
    db: Database, row_type: type[Row] | type[TextRow] | type[TitleRow]
) -> None:
    columns = await _columns(db, row_type.TABLE)
    names = list(row_type._fields)
    known = set(columns) | ({"rowid"} if row_type in (TextRow, TitleRow) else set())
    assert set(names) <= known, f"{row_type.__name__} names columns {row_type.TABLE} lacks"
    assert {c for c, required in columns.items() if required} <= set(names)
