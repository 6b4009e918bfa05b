"""Small key/value facts the bot keeps about itself (e.g. the synced command tree's hash)."""

from __future__ import annotations

from storage.database import Database


class StateRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_state(self, key: str) -> str | None:
        async with self.db.reader.execute("SELECT value FROM bot_state WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def set_state(self, key: str, value: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
