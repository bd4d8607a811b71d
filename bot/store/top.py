"""The most upvoted papers of a period, and raising stored upvotes to what Hugging Face says now.

Why these shapes:
- A paper counts in a period if any of its *featured* days (an appearance from Hugging Face or a digest,
  not arXiv's list of every submission) falls inside it. Papers are ranked by upvotes, ties going to
  the latest featured day inside the period, then the id (so the order is total and pages never overlap).
- Without tags the driving index is ``idx_appearances_day`` (day range scan); with tags it is
  ``tag_days``' key (tag, day), each row checked against its appearance by primary key. Either way the
  work is the period's rows, not the store's: a week is a few hundred rows at any store size.
- Upvotes only grow: :meth:`TopRows.raise_upvotes` writes a count only where it is higher than the
  stored one (the merge rule of :mod:`bot.store.merge` is the maximum), and keeps the copies in
  ``appearances`` and ``tag_days`` equal to the paper's, as the upsert does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.models import Paper
from bot.store.papers import now_iso

if TYPE_CHECKING:
    from bot.store.core import Store

#: Ids per statement in :meth:`TopRows.raise_upvotes`: far below SQLite's bound-parameter limit.
_CHUNK = 400


class TopRows:
    """Reads for ``top`` and the weekly recap; the upvote refresh's one write."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _ranked_sql(self, since: str, until: str, tags: list[str]) -> tuple[str, list]:
        """(arxiv_id, last featured day in range, score) of every paper in the period, unordered."""
        if not tags:
            return ("SELECT a.arxiv_id, max(a.day) AS last_in, max(a.upvotes) AS score FROM appearances a "
                    "WHERE a.day BETWEEN ? AND ? AND a.source != 'arxiv' GROUP BY a.arxiv_id", [since, until])
        where = ["d.tag = ?", "d.day BETWEEN ? AND ?",
                 "EXISTS (SELECT 1 FROM appearances a WHERE a.arxiv_id = d.arxiv_id AND a.day = d.day "
                 "AND a.source != 'arxiv')"]
        params: list = [tags[0], since, until]
        for tag in tags[1:]:
            where.append("EXISTS (SELECT 1 FROM paper_tags t WHERE t.arxiv_id = d.arxiv_id AND t.tag = ?)")
            params.append(tag)
        return (f"SELECT d.arxiv_id, max(d.day) AS last_in, max(d.upvotes) AS score FROM tag_days d "
                f"WHERE {' AND '.join(where)} GROUP BY d.arxiv_id", params)

    def explain(self, since: str, until: str, tags: Iterable[str] = ()) -> list[str]:
        """SQLite's plan for :meth:`ranked` (the benchmark and a test check it searches an index)."""
        sql, params = self._ranked_sql(since, until, list(dict.fromkeys(tags)))
        return [r[3] for r in self.store.db.execute(f"EXPLAIN QUERY PLAN {sql} ORDER BY score DESC", params)]

    def ranked(self, since: str, until: str, tags: Iterable[str] = (), *, limit: int = 20,
               offset: int = 0) -> list[tuple[Paper, int, str]]:
        """(paper, score, latest featured day inside the period) for the period's most upvoted papers.

        ``tags``: papers carrying all of them (as ``papers --tag``). Score is the paper's upvote count.
        """
        sql, params = self._ranked_sql(since, until, list(dict.fromkeys(tags)))
        rows = self.store.db.execute(
            f"{sql} ORDER BY score DESC, last_in DESC, arxiv_id LIMIT ? OFFSET ?", [*params, limit, offset]
        ).fetchall()
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        found = {r["arxiv_id"]: r
                 for r in self.store.db.query(f"SELECT * FROM papers WHERE arxiv_id IN ({marks})", ids)}
        papers = {p.arxiv_id: p for p in self.store._papers([found[i] for i in ids if i in found])}
        return [(papers[aid], score, last_in) for aid, last_in, score in rows if aid in papers]

    def count(self, since: str, until: str, tags: Iterable[str] = ()) -> int:
        """How many papers the period has (with those tags): the "of N" of a page."""
        sql, params = self._ranked_sql(since, until, list(dict.fromkeys(tags)))
        return self.store.db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]

    def raise_upvotes(self, counts: dict[str, int]) -> int:
        """Raise each stored paper's upvotes to ``counts[id]`` where that is higher; unknown ids are ignored.

        Returns how many papers changed. One IMMEDIATE transaction; ``appearances`` and ``tag_days``
        carry the same count as the paper (indexes: their primary key and ``idx_tag_days_paper``).
        """
        pairs = [(aid, int(n)) for aid, n in counts.items() if int(n) > 0]
        changed = 0
        conn = self.store.db.conn
        now = now_iso(self.store.clock)
        with self.store.db.atomic():
            for i in range(0, len(pairs), _CHUNK):
                chunk = pairs[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                stored = dict(conn.execute(
                    f"SELECT arxiv_id, upvotes FROM papers WHERE arxiv_id IN ({marks})", [a for a, _ in chunk]))
                higher = [(n, aid) for aid, n in chunk if aid in stored and n > stored[aid]]
                conn.executemany("UPDATE papers SET upvotes = ?, updated_at = ? WHERE arxiv_id = ?",
                                 [(n, now, aid) for n, aid in higher])
                conn.executemany("UPDATE appearances SET upvotes = ? WHERE arxiv_id = ?", higher)
                conn.executemany("UPDATE tag_days SET upvotes = ? WHERE arxiv_id = ?", higher)
                changed += len(higher)
        if changed:
            self.store.generation += 1
        return changed
