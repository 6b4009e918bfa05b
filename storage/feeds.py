"""Feeds, their items and "also reported by": every feed SQL statement (see migration 006)."""

from __future__ import annotations

from storage.database import Database


class FeedRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
