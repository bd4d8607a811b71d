"""Writing papers: merging upserts in IMMEDIATE batches, the fetch log."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import StoreError
from bot.models import Paper
from bot.store.database import (
    BATCH_GAP_SECONDS,
)
from bot.store.merge import merge_row, pick_tags, source_key, valid_day
from bot.store.migrations import tag_token

log = logging.getLogger("bot.store")  # one logger for the whole store package

#: Papers per write transaction (see :meth:`Store.upsert_papers`); ~0.1 s of lock per batch.
BATCH_SIZE = 200


def now_iso(clock: Clock = SYSTEM_CLOCK) -> str:
    """A record-keeping timestamp (UTC, seconds) from ``clock``."""
    return clock.now().isoformat(timespec="seconds")


@dataclass(slots=True)
class UpsertStats:
    """What an import did, for the one-line report the CLI prints."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    appearances: int = 0
    skipped_days: int = 0  # impossible days (2025-13-45) refused by the store, each logged as a warning

    def __iadd__(self, other: UpsertStats) -> UpsertStats:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.appearances += other.appearances
        self.skipped_days += other.skipped_days
        return self



class PaperWrites:
    """The write half of :class:`bot.store.Store` (a mixin: it needs ``self.db`` and ``self.clock``)."""

    def upsert_papers(self, papers: Iterable[Paper]) -> UpsertStats:
        """Merge papers into the store, ``BATCH_SIZE`` papers per IMMEDIATE transaction.

        Batches keep each hold of the write lock short, so a long import beside the running bot
        delays its own writes (fetch, delivery ledger, channel settings) by one batch at most, not by
        the whole import. The merge rule (:mod:`bot.store.merge`) is order-free, so batches of two writers
        may interleave in any way and the store ends as if they had run one after the other.
        """
        stats = UpsertStats()
        batch: list[Paper] = []
        for paper in papers:
            if len(batch) >= BATCH_SIZE:
                stats += self._upsert_batch(batch)
                batch = []
                time.sleep(BATCH_GAP_SECONDS)  # the lock stays free long enough for a waiting writer to take it
            batch.append(paper)
        if batch:
            stats += self._upsert_batch(batch)
        return stats

    def _upsert_batch(self, papers: list[Paper]) -> UpsertStats:
        stats = UpsertStats()
        with self.db.atomic():
            for paper in papers:
                stats += self._upsert_one(paper)
        self.generation += 1
        return stats

    def _upsert_one(self, paper: Paper) -> UpsertStats:
        stats = UpsertStats()
        days = sorted({d for d in paper.dates if valid_day(d)})
        for bad in dict.fromkeys(d for d in paper.dates if not valid_day(d)):
            log.warning("%s: %r is not a real day (YYYY-MM-DD); that appearance was not stored", paper.arxiv_id, bad)
            stats.skipped_days += 1
        old = self._row(paper.arxiv_id)
        merged = merge_row(old, paper)
        if old is None:
            merged["created_at"] = merged["updated_at"] = now_iso(self.clock)
            self.db["papers"].insert(merged)
            stats.new = 1
        else:
            changes = {k: v for k, v in merged.items() if old.get(k) != v}
            if changes:
                changes["updated_at"] = now_iso(self.clock)
                self.db["papers"].update(paper.arxiv_id, changes)
                stats.updated = 1
        before = dict(self.db.execute(
            "SELECT day, source FROM appearances WHERE arxiv_id = ?", [paper.arxiv_id]).fetchall())
        for day in days:
            if day not in before:
                self.db.execute(
                    "INSERT INTO appearances (arxiv_id, day, source, upvotes) VALUES (?, ?, ?, ?)",
                    [paper.arxiv_id, day, paper.source, merged["upvotes"]],
                )
                stats.appearances += 1
            elif source_key(paper.source) > source_key(before[day]):
                self.db.execute("UPDATE appearances SET source = ? WHERE arxiv_id = ? AND day = ?",
                                [paper.source, paper.arxiv_id, day])
                stats.appearances += 1
        all_days = set(before) | set(days)
        last_day = max(all_days) if all_days else ""
        if last_day != merged["last_day"]:
            self.db.execute("UPDATE papers SET last_day = ? WHERE arxiv_id = ?", [last_day, paper.arxiv_id])
        upvotes_changed = old is not None and old["upvotes"] != merged["upvotes"]
        if upvotes_changed:
            self.db.execute("UPDATE appearances SET upvotes = ? WHERE arxiv_id = ?",
                            [merged["upvotes"], paper.arxiv_id])
        tags = self._apply_tags(merged.get("tags_source", ""), paper)
        if tags is not None or upvotes_changed or stats.appearances:
            self._reindex_tag_days(paper.arxiv_id)
        if old is not None and not stats.updated:
            stats.updated, stats.unchanged = (1, 0) if (stats.appearances or tags is not None) else (0, 1)
        return stats

    def _apply_tags(self, current_source: str, paper: Paper) -> list[str] | None:
        """Store the paper's tags if they beat the current ones under :func:`bot.store.merge.tags_key`."""
        if not paper.tags:
            return None
        picked = pick_tags(self.tags_of(paper.arxiv_id), current_source, paper)
        if picked is None:
            return None
        tags, source = picked
        self.db.execute("DELETE FROM paper_tags WHERE arxiv_id = ?", [paper.arxiv_id])
        self.db.conn.executemany(
            "INSERT INTO paper_tags (arxiv_id, tag, position) VALUES (?, ?, ?)",
            [(paper.arxiv_id, t, i) for i, t in enumerate(tags)],
        )
        self.db.execute(
            "UPDATE papers SET tags_source = ?, tags_text = ? WHERE arxiv_id = ?",
            [source, " ".join(tag_token(t) for t in tags), paper.arxiv_id],
        )
        return tags

    def _reindex_tag_days(self, arxiv_id: str) -> None:
        self.db.execute("DELETE FROM tag_days WHERE arxiv_id = ?", [arxiv_id])
        self.db.execute(
            """INSERT INTO tag_days (tag, day, upvotes, arxiv_id)
               SELECT t.tag, a.day, a.upvotes, a.arxiv_id
               FROM paper_tags t JOIN appearances a ON a.arxiv_id = t.arxiv_id
               WHERE t.arxiv_id = ?""",
            [arxiv_id],
        )

    def record_fetch(self, day: str, source: str, count: int) -> None:
        """Remember that ``day`` was fetched from ``source`` (what makes backfill resumable)."""
        if not valid_day(day):
            raise StoreError(f"{day!r} is not a real day (YYYY-MM-DD); the fetch of it was not recorded.")
        self.db["fetch_log"].upsert(
            {"day": day, "source": source, "papers": count, "fetched_at": now_iso(self.clock)}, pk=("day", "source")
        )

    def fetched_days(self, source: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT day FROM fetch_log WHERE source = ?", [source])}
