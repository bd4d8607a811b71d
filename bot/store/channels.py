"""The ``channels`` table: one row of digest settings per Discord channel.

Rows in, rows out: validation, post times and the :class:`bot.channels.Channel` object live in
:mod:`bot.channels`; this module only knows the table, so its SQL is here and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.papers import now_iso

if TYPE_CHECKING:
    from bot.store.core import Store


class ChannelRows:
    """Reads and writes of ``channels``; every write stamps ``updated_at`` with the store's clock."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, channel_id: str | int) -> dict[str, Any] | None:
        rows = list(self.store.db.query("SELECT * FROM channels WHERE channel_id = ?", [str(channel_id)]))
        return rows[0] if rows else None

    def all(self, guild_id: str | int | None = None) -> list[dict[str, Any]]:
        """Every channel (by server, then channel), or one server's channels."""
        if guild_id is None:
            return list(self.store.db.query("SELECT * FROM channels ORDER BY guild_id, channel_id"))
        return list(self.store.db.query("SELECT * FROM channels WHERE guild_id = ? ORDER BY channel_id",
                                        [str(guild_id)]))

    def insert(self, row: dict[str, Any]) -> None:
        """A new channel's row; ``created_at`` and ``updated_at`` are the same moment."""
        now = now_iso(self.store.clock)
        self.store.db["channels"].insert({**row, "created_at": now, "updated_at": now})

    def update(self, channel_id: str | int, values: dict[str, Any]) -> None:
        self.store.db["channels"].update(str(channel_id), {**values, "updated_at": now_iso(self.store.clock)})

    def delete(self, channel_id: str | int) -> None:
        self.store.db.execute("DELETE FROM channels WHERE channel_id = ?", [str(channel_id)])
