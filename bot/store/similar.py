"""The SQL behind "papers like this one" (:mod:`bot.similar` holds the scoring): word statistics read
from the full-text index itself, candidate retrieval through it, and the store's own tokenizer.

Why no table of its own: everything the ranking needs is already on disk. FTS5 ranks matches with
BM25, and how many papers contain a word is a count of its matches — capped, because FTS5 keeps no
document frequency and walking a common word's whole match list is what makes a query slow (its
``fts5vocab`` table does exactly that walk: 3-6 s for one paper's ~200 words at a million papers).
So the similar-papers index is the full-text index the store maintains anyway: nothing to build,
nothing to keep in step, nothing held in RAM between queries.

Words are cut and stemmed by SQLite's own ``porter unicode61`` tokenizer — the one ``papers_fts``
uses — run on a throw-away in-memory FTS5 table, so a query's terms are exactly the index's terms.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.store.migrations import _ROWID_MASK

if TYPE_CHECKING:
    from bot.store.core import Store

_WORD = re.compile(r"[^\W_]+")  # what unicode61 keeps as one token: letters and digits
#: The columns of ``papers_fts`` (m005), for bm25 weights: title counts double, authors not at all.
BM25_WEIGHTS = {"title": 2.0, "authors": 0.0, "summary": 1.0, "abstract": 1.0, "tags_text": 0.0}
TEXT_COLUMNS = ("title", "summary", "abstract")


class Tokenizer:
    """SQLite's ``porter unicode61`` on texts in memory: term counts per text, as ``papers_fts`` cuts them.

    One in-memory connection per instance, made when first used; a :class:`~bot.store.Store` keeps
    one (a few KB) rather than opening one per query.
    """

    def __init__(self) -> None:
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            conn.execute("CREATE VIRTUAL TABLE docs USING fts5(text, tokenize='porter unicode61')")
            conn.execute("CREATE VIRTUAL TABLE docs_vocab USING fts5vocab(docs, 'instance')")
            self._conn = conn
        return self._conn

    def counts(self, texts: Sequence[str]) -> list[Counter[str]]:
        """Term counts of each text (index-aligned with ``texts``)."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            conn.executemany("INSERT INTO docs (rowid, text) VALUES (?, ?)",
                             [(i + 1, t) for i, t in enumerate(texts)])
            out: list[Counter[str]] = [Counter() for _ in texts]
            for term, doc in conn.execute("SELECT term, doc FROM docs_vocab"):
                out[doc - 1][term] += 1
        finally:
            conn.execute("ROLLBACK")  # the table stays empty between calls
        return out

    def surface_words(self, texts: Sequence[str]) -> dict[str, str]:
        """Each term of ``texts`` → a word of the texts that the tokenizer turns into it (first seen wins).

        A query must name a term by such a word: FTS5 stems query words too, and Porter is not
        idempotent ("diffusion" → "diffus" → "diffu"), so a stem typed back would miss.
        """
        words = list(dict.fromkeys(w.casefold() for t in texts for w in _WORD.findall(t)))
        out: dict[str, str] = {}
        for word, counts in zip(words, self.counts(words), strict=True):
            if len(counts) == 1:
                out.setdefault(next(iter(counts)), word)
        return out

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


#: Words remembered as too common to count again (see :meth:`SimilarIndex.capped_doc_freqs`): ~5 MB at most.
COMMON_MEMORY = 50_000
#: Words counted per SQL statement: one statement of scalar subqueries instead of one per word.
COUNT_BATCH = 100


class SimilarIndex:
    """Read-only queries for :mod:`bot.similar` over ``papers_fts`` and ``papers``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.tokenizer = Tokenizer()
        self._common: dict[str, int] = {}  # word -> the cap it was found to reach

    def paper_count(self) -> int:
        """About how many papers there are: the largest rowid (O(log n); papers are never deleted)."""
        return self.store.db.execute("SELECT coalesce(max(rowid), 0) FROM papers").fetchone()[0]

    def capped_doc_freqs(self, words: Iterable[str], cap: int) -> dict[str, int]:
        """How many papers match each word, counted up to ``cap`` (``cap`` means "at least that many").

        Why not ``fts5vocab``: FTS5 stores no document frequency; its vocabulary table counts a term's
        whole match list on every lookup (3-6 s for a paper's ~200 words at a million papers). A capped
        count stops after ``cap`` matches, so a common word costs no more than a rare one: ~70 µs,
        nearly all of it opening the word's match list.

        Why a word that reached the cap is remembered (up to :data:`COMMON_MEMORY` words, for the life
        of the process): most of a paper's words are common, so counting them again was most of a
        query's time, and the answer hardly ever changes — papers are never deleted, so a word's count
        falls only if stored texts are rewritten without it.
        """
        out: dict[str, int] = {}
        todo: list[str] = []
        for w in words:
            if self._common.get(w, 0) >= cap:
                out[w] = cap
            else:
                todo.append(w)
        one = "(SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?))"
        for i in range(0, len(todo), COUNT_BATCH):
            chunk = todo[i:i + COUNT_BATCH]
            row = self.store.db.execute("SELECT " + ", ".join([one] * len(chunk)),
                                        [x for w in chunk for x in (f'"{w}"', cap)]).fetchone()
            out.update(zip(chunk, row, strict=True))
        if len(self._common) >= COMMON_MEMORY:
            self._common.clear()  # bounded memory; the next queries learn the common words again
        self._common.update((w, cap) for w in todo if out[w] >= cap)
        return out

    def ranked(self, expression: str, limit: int) -> list[tuple[int, float]]:
        """(papers rowid, BM25 score ≥ 0, higher = better) of the best ``limit`` matches of an FTS5
        expression, best first (ties: older rowid first). Row ids, not arXiv ids: joining every match
        to ``papers`` cost more than ranking them; :meth:`ids_of` names the few that are kept."""
        weights = ", ".join(str(w) for w in BM25_WEIGHTS.values())
        sql = (f"SELECT rowid & {_ROWID_MASK}, -bm25(papers_fts, {weights}) AS s FROM papers_fts "
               f"WHERE papers_fts MATCH ? ORDER BY s DESC, rowid & {_ROWID_MASK} LIMIT ?")
        return [(k, float(score)) for k, score in self.store.db.execute(sql, [expression, limit])]

    def rowids_matching(self, expression: str) -> set[int]:
        """The papers rowids matching an FTS5 expression, unranked.

        Why no BM25 here: to rank, FTS5 counts every phrase's matches, and a tag token's are a good
        part of the store (10-20 ms at a million papers); filtering by it costs a millisecond."""
        sql = f"SELECT rowid & {_ROWID_MASK} FROM papers_fts WHERE papers_fts MATCH ?"
        return {k for (k,) in self.store.db.execute(sql, [expression])}

    def rowid_of(self, arxiv_id: str) -> int | None:
        row = self.store.db.execute("SELECT rowid FROM papers WHERE arxiv_id = ?", [arxiv_id]).fetchone()
        return row[0] if row else None

    def ids_of(self, rowids: Sequence[int]) -> dict[int, str]:
        """papers rowid → arXiv id, for those found."""
        out: dict[int, str] = {}
        for i in range(0, len(rowids), 500):
            chunk = list(rowids[i:i + 500])
            marks = ",".join("?" * len(chunk))
            out.update(self.store.db.execute(f"SELECT rowid, arxiv_id FROM papers WHERE rowid IN ({marks})", chunk))
        return out

    def tags(self, arxiv_ids: Sequence[str]) -> dict[str, list[str]]:
        """The tags of each paper, in their order (papers without tags are left out)."""
        if not arxiv_ids:
            return {}
        marks = ",".join("?" * len(arxiv_ids))
        out: dict[str, list[str]] = {}
        for aid, tag in self.store.db.execute(
                f"SELECT arxiv_id, tag FROM paper_tags WHERE arxiv_id IN ({marks}) ORDER BY arxiv_id, position",
                list(arxiv_ids)):
            out.setdefault(aid, []).append(tag)
        return out

    def matches(self, expression: str, limit: int) -> list[tuple[str, float]]:
        """(arxiv id, BM25 score ≥ 0, higher = better) of the best ``limit`` matches of an FTS5 expression."""
        weights = ", ".join(str(w) for w in BM25_WEIGHTS.values())
        sql = (f"SELECT p.arxiv_id, -m.score FROM (SELECT rowid AS k, bm25(papers_fts, {weights}) AS score "
               "FROM papers_fts WHERE papers_fts MATCH ? ORDER BY score LIMIT ?) m "
               f"JOIN papers p ON p.rowid = m.k & {_ROWID_MASK} ORDER BY m.score, p.arxiv_id")
        return [(aid, float(score)) for aid, score in self.store.db.execute(sql, [expression, limit])]

    def ids_at(self, rowids: Sequence[int]) -> list[str]:
        """The arXiv ids of papers by rowid, in the order given (missing rowids left out): for benchmarks."""
        out = []
        for rowid in rowids:
            row = self.store.db.execute("SELECT arxiv_id FROM papers WHERE rowid = ?", [rowid]).fetchone()
            if row:
                out.append(row[0])
        return out

    def close(self) -> None:
        self.tokenizer.close()
