"""Reading counts of distinct papers per tag per week, for ``paperboy trends`` and ``/trends``.

Every query here is a range scan, one per tag, of a ``tag_days`` index that starts (tag, day) — SQLite
picks the covering ``idx_tag_days_order`` — so its cost follows the rows inside the weeks asked for, not
the size of the store (benchmarks/bench_trends.py). Only featured
days count (the days Hugging Face or a digest listed a paper): a day a paper merely appeared in
arXiv's listing is left out, as digests leave it out, so a backfill from arXiv does not drown the trend
of what was featured. Week arithmetic (ISO weeks, labels) belongs to :mod:`bot.trends`; here a week
is a number counted from a Monday the caller gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store.core import Store

#: A ``tag_days`` row counts when its (paper, day) appearance was featured, not only listed by arXiv.
_FEATURED = ("EXISTS (SELECT 1 FROM appearances a WHERE a.arxiv_id = t.arxiv_id AND a.day = t.day "
             "AND a.source != 'arxiv')")


def _weekly_sql(n_tags: int) -> str:
    marks = ",".join("?" * n_tags)
    return (f"SELECT t.tag, CAST((julianday(t.day) - julianday(?)) / 7 AS INTEGER) AS week, "
            f"count(DISTINCT t.arxiv_id) FROM tag_days t "
            f"WHERE t.tag IN ({marks}) AND t.day BETWEEN ? AND ? AND {_FEATURED} GROUP BY t.tag, week")


class TrendRows:
    """The read queries behind trends; ``tags`` are always given, so each scan is a range of an index."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def newest_featured_day(self) -> str | None:
        """The newest day with a featured paper (idx_appearances_day, newest first), or None when empty."""
        row = self.store.db.execute(
            "SELECT day FROM appearances WHERE source != 'arxiv' ORDER BY day DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def totals(self, tags: Sequence[str], since: str, until: str) -> dict[str, int]:
        """Tag → distinct papers featured from ``since`` to ``until`` (inclusive); tags with none left out."""
        if not tags:
            return {}
        marks = ",".join("?" * len(tags))
        sql = (f"SELECT t.tag, count(DISTINCT t.arxiv_id) FROM tag_days t "
               f"WHERE t.tag IN ({marks}) AND t.day BETWEEN ? AND ? AND {_FEATURED} GROUP BY t.tag")
        return {tag: n for tag, n in self.store.db.execute(sql, [*tags, since, until])}

    def weekly(self, tags: Sequence[str], monday: str, until: str) -> list[tuple[str, int, int]]:
        """(tag, week number, distinct papers) for the weeks from ``monday`` (week 0) to ``until``.

        The week number is whole days since ``monday`` divided by 7, so a paper featured on two days
        of one week is one paper of that week (``count(DISTINCT)`` per tag and week). Weeks without
        papers have no row; the caller fills them with 0.
        """
        if not tags:
            return []
        rows = self.store.db.execute(_weekly_sql(len(tags)), [monday, *tags, monday, until])
        return [(tag, week, n) for tag, week, n in rows]

    def plan(self, tags: Sequence[str], monday: str, until: str) -> list[str]:
        """SQLite's plan for :meth:`weekly` (the benchmark and a test check it uses an index range, not a scan)."""
        rows = self.store.db.execute("EXPLAIN QUERY PLAN " + _weekly_sql(len(tags)), [monday, *tags, monday, until])
        return [row[3] for row in rows]
