"""The numbered SQL migrations (`NNN_name.sql`), read with importlib.resources by storage.database.

A migration whose data only briefbot's own code can compute names a step in STEPS: it runs right after that
migration's SQL, in the same transaction. 005 indexes the stored stories again by storage/search_index.py's rules
(CJK bigrams cannot be written in SQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiosqlite

from storage import search_index

STEPS: dict[int, Callable[[aiosqlite.Connection], Awaitable[None]]] = {5: search_index.rebuild}
