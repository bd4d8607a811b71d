"""The delivery ledger: every planned message of a (target, day), and how far its sending got.

:mod:`bot.delivery` decides what to send and when; this module is the ``deliveries`` table it writes
each step to, so a restart continues where the last run stopped (the module docstring there says how).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.clock import SYSTEM_CLOCK, Clock
from bot.store.papers import now_iso

if TYPE_CHECKING:
    from bot.store.core import Store


class Ledger:
    """Rows of ``deliveries`` for one (target, day): the plan, and how far it got."""

    def __init__(self, store: Store, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        #: Its own clock, not the store's: a Deliverer's sends and stamps share one (tests move it).
        self.clock = clock

    def stamp(self) -> str:
        """Now, as the ledger writes times (UTC, seconds)."""
        return now_iso(self.clock)

    def rows(self, target: str, day: str) -> list[dict]:
        return list(self.store.db.query(
            "SELECT * FROM deliveries WHERE target = ? AND day = ? ORDER BY seq", [target, day]))

    def record_plan(self, target: str, day: str, plan: list[dict]) -> list[dict]:
        """Write the whole plan before the first send; a plan already there wins (restarts reuse it)."""
        with self.store.db.atomic():
            if not self.rows(target, day):
                self._insert(target, day, plan, 0)
        return self.rows(target, day)

    def append_plan(self, target: str, day: str, plan: list[dict]) -> list[dict]:
        """Add rows after the existing ones (a day's short note followed by the papers that came later)."""
        with self.store.db.atomic():
            self._insert(target, day, plan, len(self.rows(target, day)))
        return self.rows(target, day)

    def _insert(self, target: str, day: str, plan: list[dict], start: int) -> None:
        now = self.stamp()
        for seq, item in enumerate(plan, start):
            self.store.db["deliveries"].insert({
                "target": target, "day": day, "seq": seq, "kind": item["kind"],
                "paper_ids": json.dumps(item["paper_ids"]), "payload": json.dumps(item["payload"]),
                "status": "pending", "created_at": now,
            })

    def mark(self, target: str, day: str, seq: int, **values: object) -> None:
        self.store.db["deliveries"].update((target, day, seq), values)

    def unfinished(self) -> list[tuple[str, str]]:
        """Every (target, day) with planned messages not yet sent: oldest day first, then oldest plan."""
        return [(r[0], r[1]) for r in self.store.db.execute(
            "SELECT target, day FROM deliveries WHERE status IN ('pending', 'sending') "
            "GROUP BY target, day ORDER BY day, min(created_at), target")]
