"""The ``weekly_recaps`` table: one row per channel that opted in to the weekly recap.

Rows in, rows out: the rules (weekday names, post times, counts) live in :mod:`bot.weekly`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.papers import now_iso

if TYPE_CHECKING:
    from bot.store.core import Store


class WeeklyRows:
    """Reads and writes of ``weekly_recaps``; every write stamps ``updated_at`` with the store's clock."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, channel_id: str | int) -> dict[str, Any] | None:
        rows = list(self.store.db.query("SELECT * FROM weekly_recaps WHERE channel_id = ?", [str(channel_id)]))
        return rows[0] if rows else None

    def all(self, guild_id: str | int | None = None) -> list[dict[str, Any]]:
        if guild_id is None:
            return list(self.store.db.query("SELECT * FROM weekly_recaps ORDER BY guild_id, channel_id"))
        return list(self.store.db.query("SELECT * FROM weekly_recaps WHERE guild_id = ? ORDER BY channel_id",
                                        [str(guild_id)]))

    def put(self, row: dict[str, Any]) -> None:
        """Insert or replace the settings of ``row['channel_id']``, keeping what it already sent."""
        now = now_iso(self.store.clock)
        if self.get(row["channel_id"]) is None:
            self.store.db["weekly_recaps"].insert({**row, "created_at": now, "updated_at": now})
        else:
            self.update(row["channel_id"], row)

    def update(self, channel_id: str | int, values: dict[str, Any]) -> None:
        self.store.db["weekly_recaps"].update(str(channel_id), {**values, "updated_at": now_iso(self.store.clock)})

    def delete(self, channel_id: str | int) -> bool:
        with self.store.db.atomic():
            found = self.get(channel_id) is not None
            self.store.db.execute("DELETE FROM weekly_recaps WHERE channel_id = ?", [str(channel_id)])
        return found
