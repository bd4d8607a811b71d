"""Who follows which tag, each person's DM state, roles pinged per tag, and per-server options.

The tables ``subscriptions``, ``dm_users``, ``role_mentions`` and ``guild_settings``. Tag validation and
what a DM contains stay in :mod:`bot.subscriptions`; this module only reads and writes rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.papers import now_iso

if TYPE_CHECKING:
    from bot.store.core import Store


class SubscriptionRows:
    """Reads and writes of the subscription tables; ids are stored as text (Discord snowflakes)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- subscriptions ------------------------------------------------------------------------------

    def add(self, user_id: str | int, tag: str, guild_id: str | int | None = None) -> None:
        """Follow ``tag`` (already validated) from ``guild_id`` ('' or None: from DMs)."""
        self.store.db["subscriptions"].insert({"user_id": str(user_id), "tag": tag, "guild_id": str(guild_id or ""),
                                               "created_at": now_iso(self.store.clock)})

    def remove(self, user_id: str | int, tag: str) -> None:
        self.store.db.execute("DELETE FROM subscriptions WHERE user_id = ? AND tag = ?", [str(user_id), tag])

    def tags_of(self, user_id: str | int) -> list[str]:
        return [r[0] for r in self.store.db.execute(
            "SELECT tag FROM subscriptions WHERE user_id = ? ORDER BY tag", [str(user_id)])]

    def guild_of(self, user_id: str | int) -> str:
        """The server a person last subscribed from ('' if only from DMs)."""
        row = self.store.db.execute("SELECT guild_id FROM subscriptions WHERE user_id = ? AND guild_id != '' "
                                    "ORDER BY created_at DESC LIMIT 1", [str(user_id)]).fetchone()
        return row[0] if row else ""

    def pairs(self) -> list[tuple[str, str]]:
        """Every (user, tag), by user then tag."""
        return [(r[0], r[1]) for r in self.store.db.execute(
            "SELECT user_id, tag FROM subscriptions ORDER BY user_id, tag")]

    # ---- DM state -----------------------------------------------------------------------------------

    def dm_channel(self, user_id: str | int) -> str:
        row = self.store.db.execute("SELECT dm_channel_id FROM dm_users WHERE user_id = ?", [str(user_id)]).fetchone()
        return row[0] if row else ""

    def remember_dm_channel(self, user_id: str | int, channel_id: str) -> None:
        self.store.db["dm_users"].upsert({"user_id": str(user_id), "dm_channel_id": str(channel_id)}, pk="user_id")

    def mark_dms_closed(self, user_id: str | int, day: str) -> None:
        self.store.db["dm_users"].upsert(
            {"user_id": str(user_id), "closed_day": day, "closed_at": now_iso(self.store.clock)}, pk="user_id")

    def dms_closed_on(self, user_id: str | int) -> str:
        """The last day a DM to this person was refused ('' if never)."""
        row = self.store.db.execute("SELECT closed_day FROM dm_users WHERE user_id = ?", [str(user_id)]).fetchone()
        return row[0] if row else ""

    def closed_on(self, day: str) -> list[str]:
        """The people whose DMs were refused on ``day`` (in the table's order)."""
        return [r[0] for r in self.store.db.execute("SELECT user_id FROM dm_users WHERE closed_day = ?", [day])]

    # ---- roles and server options -------------------------------------------------------------------

    def set_role(self, guild_id: str | int, tag: str, role_id: str | int) -> None:
        self.store.db["role_mentions"].upsert({"guild_id": str(guild_id), "tag": tag, "role_id": str(role_id)},
                                              pk=("guild_id", "tag"))

    def remove_role(self, guild_id: str | int, tag: str) -> None:
        self.store.db.execute("DELETE FROM role_mentions WHERE guild_id = ? AND tag = ?", [str(guild_id), tag])

    def roles_of(self, guild_id: str | int) -> list[tuple[str, str, str]]:
        """(guild, tag, role) rows of one server, by tag."""
        return [(r[0], r[1], r[2]) for r in self.store.db.execute(
            "SELECT guild_id, tag, role_id FROM role_mentions WHERE guild_id = ? ORDER BY tag", [str(guild_id)])]

    def set_dm_fallback(self, guild_id: str | int, enabled: bool) -> None:
        self.store.db["guild_settings"].upsert({"guild_id": str(guild_id), "dm_fallback": int(enabled)},
                                               pk="guild_id")

    def dm_fallback(self, guild_id: str | int) -> bool:
        row = self.store.db.execute("SELECT dm_fallback FROM guild_settings WHERE guild_id = ?",
                                    [str(guild_id)]).fetchone()
        return bool(row and row[0])
