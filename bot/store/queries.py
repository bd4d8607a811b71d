"""Reading papers: lookups, filtered queries, full-text search, tag counts and days."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bot.models import Paper
from bot.store.migrations import _FTS_KEY, _ROWID_MASK, tag_token


@dataclass(slots=True)
class Query:
    """Filters for :meth:`Store.query`; they combine (AND). Several tags mean all of them."""

    tags: list[str] = field(default_factory=list)
    day: str | None = None
    since: str | None = None
    until: str | None = None
    text: str | None = None
    limit: int = 20
    offset: int = 0


def fts_expression(text: str) -> str:
    """Turn what a person typed into a safe FTS5 query: every word must match, prefixes allowed last.

    FTS5 syntax (quotes, NEAR, column filters, ``-``) in user input would raise errors or surprise;
    each word is quoted so the input is only ever a list of terms.
    """
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    if not words:
        raise ValueError("The search text has no words to look for.")
    quoted = [f'"{w}"' for w in words[:16]]
    quoted[-1] += "*"
    return " ".join(quoted)


class PaperQueries:
    """The read half of :class:`bot.store.Store` (a mixin: it needs ``self.db``)."""

    def _row(self, arxiv_id: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM papers WHERE arxiv_id = ?", [arxiv_id]))
        return rows[0] if rows else None

    def tags_of(self, arxiv_id: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT tag FROM paper_tags WHERE arxiv_id = ? ORDER BY position", [arxiv_id])]

    def get(self, arxiv_id: str) -> Paper | None:
        """One paper with its tags and days, or None."""
        row = self._row(arxiv_id)
        return self._papers([row])[0] if row else None

    def count_papers(self) -> int:
        return self.db.execute("SELECT count(*) FROM papers").fetchone()[0]

    def _papers(self, rows: list[dict]) -> list[Paper]:
        """Rows of ``papers`` → Paper objects, tags and days fetched in two batched queries."""
        if not rows:
            return []
        ids = [r["arxiv_id"] for r in rows]
        marks = ",".join("?" * len(ids))
        tags: dict[str, list[str]] = {i: [] for i in ids}
        for aid, tag in self.db.execute(
            f"SELECT arxiv_id, tag FROM paper_tags WHERE arxiv_id IN ({marks}) ORDER BY arxiv_id, position", ids
        ):
            tags[aid].append(tag)
        days: dict[str, list[str]] = {i: [] for i in ids}
        for aid, day in self.db.execute(
            f"SELECT arxiv_id, day FROM appearances WHERE arxiv_id IN ({marks}) ORDER BY arxiv_id, day", ids
        ):
            days[aid].append(day)
        out = []
        for r in rows:
            out.append(Paper(
                arxiv_id=r["arxiv_id"], title=r["title"], authors=json.loads(r["authors"]),
                abstract=r["abstract"], summary=r["summary"], tags=tags[r["arxiv_id"]],
                github_urls=json.loads(r["github_urls"]), huggingface_urls=json.loads(r["huggingface_urls"]),
                project_page=r["project_page"], upvotes=r["upvotes"], dates=days[r["arxiv_id"]],
                source=r["source"], keywords=json.loads(r["keywords"]), published_at=r["published_at"],
                tags_source=r["tags_source"], summary_source=r["summary_source"],
                thumbnail=r["thumbnail"], organization=r["organization"], github_repo=r["github_repo"],
                github_stars=r["github_stars"],
            ))
        return out

    def query(self, q: Query) -> list[Paper]:
        """Papers matching every filter, newest featured day first, then most upvoted."""
        sql, params = self._query_sql(q)
        sql += " LIMIT ? OFFSET ?"
        rows = list(self.db.query(sql, [*params, q.limit, q.offset]))
        return self._papers(rows)

    def count(self, q: Query, *, cap: int | None = None) -> int:
        """How many papers :meth:`query` would return without a limit (at most ``cap``, to bound the work)."""
        sql, params = self._query_sql(q, paged=False)
        if cap is not None:
            sql, params = f"{sql} LIMIT ?", [*params, cap]
        return self.db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]

    def _query_sql(self, q: Query, *, paged: bool = True) -> tuple[str, list]:
        """Pick the driving index by the filters given; every plan is an index range scan in order.

        With a day or range, each paper is listed once, at its latest appearance inside the range.
        ``paged=False`` is for counting: the same rows, without the work that only serves a page.
        """
        since, until = (q.day, q.day) if q.day else (q.since, q.until)
        has_range = bool(since or until)
        lo, hi = since or "0000-00-00", until or "9999-99-99"
        tags = list(dict.fromkeys(q.tags))
        if q.text and not has_range:
            return self._text_sql(q, tags, paged)
        where: list[str] = []
        params: list = []
        if tags:
            driver = "tag_days d"
            where.append("d.tag = ?")
            params.append(tags[0])
            extra_tags = tags[1:]
        else:
            driver = "appearances d"
            extra_tags = []
        if has_range:
            where.append("d.day BETWEEN ? AND ?")
            params += [lo, hi]
            where.append("NOT EXISTS (SELECT 1 FROM appearances a2 WHERE a2.arxiv_id = d.arxiv_id "
                         "AND a2.day > d.day AND a2.day <= ?)")
            params.append(hi)
        elif paged:
            where.append("d.day = p.last_day")
        else:  # the same rows, without reading each paper's (large) row to learn its last day
            where.append("NOT EXISTS (SELECT 1 FROM appearances a2 WHERE a2.arxiv_id = d.arxiv_id "
                         "AND a2.day > d.day)")
        for tag in extra_tags:
            where.append("EXISTS (SELECT 1 FROM paper_tags t2 WHERE t2.arxiv_id = d.arxiv_id AND t2.tag = ?)")
            params.append(tag)
        if q.text:
            where.append("EXISTS (SELECT 1 FROM papers_fts f WHERE papers_fts MATCH ? "
                         f"AND f.rowid = {_FTS_KEY.format(t='p')})")
            params.append(self._match_expression(q.text))
        elif not paged:
            return f"SELECT d.arxiv_id FROM {driver} WHERE {' AND '.join(where)}", params
        sql = (f"SELECT p.* FROM {driver} JOIN papers p ON p.arxiv_id = d.arxiv_id "
               f"WHERE {' AND '.join(where)} ORDER BY d.day DESC, d.upvotes DESC, d.arxiv_id")
        return sql, params

    def _text_sql(self, q: Query, tags: list[str], paged: bool) -> tuple[str, list]:
        """Text (and tags), no dates: walk the matches newest first in the FTS index itself.

        The FTS row id orders by last day only, so: take the first ``limit + offset`` matches, note
        the oldest day among them, then sort exactly (day, upvotes, id) just the matches from that day
        on — at most a page plus one day's matches, however common the words.
        """
        where = ["papers_fts MATCH ?"]
        expression = self._match_expression(q.text or "")
        if tags:  # m005: tags are tokens of the index, so FTS5 intersects words and tags itself
            expression = f"({expression}) AND tags_text : ({' AND '.join(tag_token(t) for t in tags)})"
        params: list = [expression]
        hits = f"SELECT f.rowid AS k FROM papers_fts f WHERE {' AND '.join(where)}"
        if not paged:
            return hits, params
        need = q.limit + q.offset if q.limit >= 0 else -1
        first_day = f"SELECT coalesce(min(k) >> 32 << 32, 0) FROM ({hits} ORDER BY f.rowid DESC LIMIT ?)"
        sql = (f"SELECT p.* FROM papers p WHERE p.rowid IN "
               f"(SELECT k & {_ROWID_MASK} FROM ({hits} AND f.rowid >= ({first_day}))) "
               "ORDER BY p.last_day DESC, p.upvotes DESC, p.arxiv_id")
        return sql, [*params, *params, need]

    def _match_expression(self, text: str) -> str:
        """:func:`fts_expression`, but the last word is a prefix only when it is not a word we have.

        A prefix query makes FTS5 merge the match lists of every word with that prefix, on every
        evaluation: 10-15 ms for a common word at a million papers, against 0.05 ms for the word
        itself. Porter stemming already matches "model" with "models" and "modeling", so the prefix
        only earns its cost for a word typed half-way ("transf"), which is not in the index.
        """
        expr = fts_expression(text)
        whole = expr.removesuffix("*")
        last = whole.rsplit(" ", 1)[-1]
        found = self.db.execute("SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? LIMIT 1", [last]).fetchone()
        return whole if found else expr

    def papers_on(self, day: str, tags_any: Iterable[str] = ()) -> list[Paper]:
        """The papers featured on ``day`` (any of ``tags_any`` if given), most upvoted first.

        Used for digests, where a channel follows several tags and wants a paper carrying any of them.
        Appearances from the arXiv listing are left out: a digest is the day's featured papers, not every
        submission of the day (those stay findable with /papers).
        """
        tags = list(tags_any)
        if tags:
            marks = ",".join("?" * len(tags))
            sql = (f"SELECT p.* FROM appearances a JOIN papers p ON p.arxiv_id = a.arxiv_id "
                   f"WHERE a.day = ? AND a.source != 'arxiv' AND EXISTS (SELECT 1 FROM paper_tags t "
                   f"WHERE t.arxiv_id = a.arxiv_id "
                   f"AND t.tag IN ({marks})) ORDER BY a.upvotes DESC, a.arxiv_id")
            rows = list(self.db.query(sql, [day, *tags]))
        else:
            rows = list(self.db.query(
                "SELECT p.* FROM appearances a JOIN papers p ON p.arxiv_id = a.arxiv_id "
                "WHERE a.day = ? AND a.source != 'arxiv' ORDER BY a.upvotes DESC, a.arxiv_id", [day]))
        return self._papers(rows)

    def tag_counts(self, since: str | None = None) -> list[tuple[str, int]]:
        """(tag, papers) pairs, most used first; ``since`` counts only papers featured from that day on."""
        if since:
            sql = ("SELECT tag, count(DISTINCT arxiv_id) AS n FROM tag_days WHERE day >= ? "
                   "GROUP BY tag ORDER BY n DESC, tag")
            return [(r[0], r[1]) for r in self.db.execute(sql, [since])]
        sql = "SELECT tag, count(*) AS n FROM paper_tags GROUP BY tag ORDER BY n DESC, tag"
        return [(r[0], r[1]) for r in self.db.execute(sql)]

    def days_with_papers(self, since: str | None = None, until: str | None = None) -> list[str]:
        sql = "SELECT DISTINCT day FROM appearances WHERE day BETWEEN ? AND ? ORDER BY day"
        return [r[0] for r in self.db.execute(sql, [since or "0000", until or "9999"])]

    def nearest_day_with_papers(self, day: str) -> str | None:
        """The closest day to ``day`` that has papers (earlier wins a tie): for 'nothing on a weekend'."""
        before = self.db.execute(
            "SELECT day FROM appearances WHERE day <= ? ORDER BY day DESC LIMIT 1", [day]).fetchone()
        after = self.db.execute(
            "SELECT day FROM appearances WHERE day >= ? ORDER BY day ASC LIMIT 1", [day]).fetchone()
        options = [r[0] for r in (before, after) if r]
        if not options:
            return None
        from datetime import date as _d

        target = _d.fromisoformat(day)
        return min(options, key=lambda d: (abs((_d.fromisoformat(d) - target).days), d))

    def labelled_papers(self, limit: int = 20000) -> Iterator[Paper]:
        """Papers whose tags came from a digest: what the tagger learns from."""
        rows = list(self.db.query(
            "SELECT * FROM papers WHERE tags_source = 'digest' ORDER BY last_day DESC LIMIT ?", [limit]))
        for i in range(0, len(rows), 500):
            yield from self._papers(rows[i:i + 500])
