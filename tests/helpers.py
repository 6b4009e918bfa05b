"""Small helpers shared by the service tests: a wake-up counter and the outbox read back in order."""

from __future__ import annotations

from storage.database import Database
from storage.outbox import OutboxItem, OutboxRepository


class WakeCounter:
    """Stands in for a wake-up callback (delivery, alerts) and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


async def outbox_items(db: Database) -> list[OutboxItem]:
    """Every outbox row, oldest first, read through the repository (by ref, as the bot reads them)."""
    outbox = OutboxRepository(db)
    async with db.reader.execute("SELECT DISTINCT ref FROM outbox") as cursor:
        refs = [row[0] for row in await cursor.fetchall()]
    items = [item for ref in refs for item in await outbox.latest_for_ref(ref, limit=1000)]
    return sorted(items, key=lambda item: item.id)
