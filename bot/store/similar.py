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

from bot.store.migrations import _FTS_KEY, _ROWID_MASK

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


class SimilarIndex:
    """Read-only queries for :mod:`bot.similar` over ``papers_fts`` and ``papers``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.tokenizer = Tokenizer()

    def paper_count(self) -> int:
        """About how many papers there are: the largest rowid (O(log n); papers are never deleted)."""
        return self.store.db.execute("SELECT coalesce(max(rowid), 0) FROM papers").fetchone()[0]

    def capped_doc_freqs(self, words: Iterable[str], cap: int) -> dict[str, int]:
        """How many papers match each word, counted up to ``cap`` (``cap`` means "at least that many").

        Why not ``fts5vocab``: FTS5 stores no document frequency; its vocabulary table counts a term's
        whole match list on every lookup (3-6 s for a paper's ~200 words at a million papers). A capped
        count stops after ``cap`` matches, so a common word costs no more than a rare one.
        """
        sql = "SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)"
        return {w: self.store.db.execute(sql, [f'"{w}"', cap]).fetchone()[0] for w in words}

    def texts(self, arxiv_ids: Sequence[str]) -> dict[str, tuple[str, str, str, list[str]]]:
        """(title, summary, abstract, tags) of each paper found."""
        if not arxiv_ids:
            return {}
        marks = ",".join("?" * len(arxiv_ids))
        out: dict[str, tuple[str, str, str, list[str]]] = {}
        for aid, title, summary, abstract in self.store.db.execute(
                f"SELECT arxiv_id, title, summary, abstract FROM papers WHERE arxiv_id IN ({marks})", list(arxiv_ids)):
            out[aid] = (title, summary, abstract, [])
        for aid, tag in self.store.db.execute(
                f"SELECT arxiv_id, tag FROM paper_tags WHERE arxiv_id IN ({marks}) ORDER BY arxiv_id, position",
                list(arxiv_ids)):
            if aid in out:
                out[aid][3].append(tag)
        return out

    def matches(self, expression: str, limit: int) -> list[tuple[str, float]]:
        """(arxiv id, BM25 score ≥ 0, higher = better) of the best ``limit`` matches of an FTS5 expression."""
        weights = ", ".join(str(w) for w in BM25_WEIGHTS.values())
        sql = (f"SELECT p.arxiv_id, -m.score FROM (SELECT rowid AS k, bm25(papers_fts, {weights}) AS score "
               "FROM papers_fts WHERE papers_fts MATCH ? ORDER BY score LIMIT ?) m "
               f"JOIN papers p ON p.rowid = m.k & {_ROWID_MASK} ORDER BY m.score, p.arxiv_id")
        return [(aid, float(score)) for aid, score in self.store.db.execute(sql, [expression, limit])]

    def self_match(self, expression: str, arxiv_id: str) -> float:
        """The BM25 score of ``arxiv_id`` itself for ``expression`` (0 when it does not match)."""
        weights = ", ".join(str(w) for w in BM25_WEIGHTS.values())
        key = _FTS_KEY.format(t="p")
        row = self.store.db.execute(
            f"SELECT -bm25(papers_fts, {weights}) FROM papers_fts WHERE papers_fts MATCH ? "
            f"AND rowid = (SELECT {key} FROM papers p WHERE p.arxiv_id = ?)", [expression, arxiv_id]).fetchone()
        return float(row[0]) if row else 0.0

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
