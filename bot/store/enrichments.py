"""The ``llm_enrichments`` rows: which papers were asked of which model, under which prompt, and how it went.

:mod:`bot.llm.enrich` decides what to ask and checks the answers; this module only reads and writes the
cache table (m009) and picks the papers a run should ask about. The answer itself is written to
``papers`` through the ordinary merge (``Store.upsert_papers``), so an imported digest still wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.store.papers import now_iso

if TYPE_CHECKING:
    from bot.store.core import Store

#: Summary sources an LLM answer never replaces (the merge rule says so too): nothing to ask for.
DIGEST_SUMMARY_SOURCES = ("digest-md", "digest-json")


@dataclass(slots=True, frozen=True)
class Candidates:
    """The papers of a range split by what a run does with them."""

    ask: list[str]  # arXiv ids to ask about, most upvoted first within each day, oldest day first
    digest: list[str]  # summary from an imported digest: never asked
    cached: list[str]  # a good answer for this model and prompt version is stored already


class EnrichmentRows:
    """Reads and writes of ``llm_enrichments``; a row per (paper, model, prompt version)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def candidates(self, since: str, until: str, model: str, prompt_version: str, *,
                   force: bool = False) -> Candidates:
        """The featured papers of [since, until] split into to-ask, digest-summarised and already-done.

        ``force`` asks again about papers with a good cached answer (never about digest-summarised ones).
        """
        rows = self.store.db.execute(
            "SELECT p.arxiv_id, p.summary_source, "
            "EXISTS (SELECT 1 FROM llm_enrichments e WHERE e.arxiv_id = p.arxiv_id AND e.model = ? "
            "        AND e.prompt_version = ? AND e.status = 'ok') AS good, "
            "min(a.day) AS first_day, max(a.upvotes) AS ups "
            "FROM appearances a JOIN papers p ON p.arxiv_id = a.arxiv_id "
            "WHERE a.day BETWEEN ? AND ? AND a.source != 'arxiv' "
            "GROUP BY p.arxiv_id ORDER BY first_day, ups DESC, p.arxiv_id",
            [model, prompt_version, since, until]).fetchall()
        ask, digest, cached = [], [], []
        for aid, summary_source, good, _day, _ups in rows:
            if summary_source in DIGEST_SUMMARY_SOURCES:
                digest.append(aid)
            elif good and not force:
                cached.append(aid)
            else:
                ask.append(aid)
        return Candidates(ask, digest, cached)

    def newest_day(self) -> str | None:
        """The newest day with featured papers (arXiv listings aside: they are never enriched), or None."""
        row = self.store.db.execute("SELECT max(day) FROM appearances WHERE source != 'arxiv'").fetchone()
        return row[0] if row and row[0] else None

    def record(self, arxiv_id: str, model: str, prompt_version: str, *, ok: bool, prompt_tokens: int = 0,
               completion_tokens: int = 0, error: str = "") -> None:
        """Write the outcome of one request (a retry overwrites the row and counts the attempt)."""
        now = now_iso(self.store.clock)
        # One statement: the store's execute() makes it an IMMEDIATE transaction of its own.
        self.store.db.execute(
            "INSERT INTO llm_enrichments (arxiv_id, model, prompt_version, status, prompt_tokens, "
            "completion_tokens, error, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (arxiv_id, model, prompt_version) DO UPDATE SET status = excluded.status, "
            "prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, "
            "error = excluded.error, attempts = llm_enrichments.attempts + 1, updated_at = excluded.updated_at",
            [arxiv_id, model, prompt_version, "ok" if ok else "failed", int(prompt_tokens),
             int(completion_tokens), error[:500], now, now])

    def rows(self, arxiv_id: str | None = None) -> list[dict]:
        """Every row (of one paper), for reports and tests."""
        where, args = ("WHERE arxiv_id = ?", [arxiv_id]) if arxiv_id else ("", [])
        return list(self.store.db.query(
            f"SELECT * FROM llm_enrichments {where} ORDER BY arxiv_id, model, prompt_version", args))

    def summary_source(self, arxiv_id: str) -> tuple[str, str]:
        """(summary_source, tags_source) as stored for one paper, ('', '') when unknown."""
        row = self.store.db.execute("SELECT summary_source, tags_source FROM papers WHERE arxiv_id = ?",
                                    [arxiv_id]).fetchone()
        return (row[0], row[1]) if row else ("", "")
