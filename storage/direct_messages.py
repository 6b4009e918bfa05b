"""DM channels the bot opened, and users whose DMs are closed to the bot."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.records import to_db_time


class DirectMessageRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def channel_for(self, user_id: str) -> str | None:
        async with self.db.reader.execute("SELECT channel_id FROM dm_channels WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def remember_channel(self, user_id: str, channel_id: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO dm_channels (user_id, channel_id) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET channel_id = excluded.channel_id",
                (user_id, channel_id),
            )

    async def mark_closed(self, user_id: str, now: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO closed_dms (user_id, closed_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
                (user_id, to_db_time(now)),
            )

    async def is_closed(self, user_id: str) -> bool:
        async with self.db.reader.execute("SELECT 1 FROM closed_dms WHERE user_id = ?", (user_id,)) as cur:
            return await cur.fetchone() is not None

    async def take_closed_notice(self, user_id: str) -> bool:
        """True once per closure: the first command after DMs were found closed gets told.

        Asked after every command: a read first, so the write (and its lock) is only for a user still to be told."""
        sql = "SELECT 1 FROM closed_dms WHERE user_id = ? AND notified = 0"
        async with self.db.reader.execute(sql, (user_id,)) as cur:
            if await cur.fetchone() is None:
                return False
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE closed_dms SET notified = 1 WHERE user_id = ? AND notified = 0", (user_id,)
            )
            return cursor.rowcount > 0

    async def reopen(self, user_id: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM closed_dms WHERE user_id = ?", (user_id,))
