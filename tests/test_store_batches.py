"""Batched writes (issue 9): the same store as one paper at a time, with far fewer writes.

What is checked, on a real SQLite file: m008's index serves the per-paper ``tag_days`` delete; a new
paper reaches the full-text index once and a changed one is re-keyed once (counted from FTS5's own
writes to its ``docsize`` table, seen through SQLite's statement trace, not from our code); and a
batched import of real digest days leaves exactly the store, and the counts, that storing each paper
on its own does.
"""

from __future__ import annotations

import sqlite3

from bot.models import Paper
from bot.pipeline import import_paths
from bot.sources import digest as digest_files
from bot.store import Store, UpsertStats
from tests.test_store_merge import dump


def fts_writes(store: Store) -> list[str]:
    """Start recording FTS5's writes of per-document rows: "insert" or "delete", one per document."""
    seen: list[str] = []

    def trace(sql: str) -> None:
        if "papers_fts_docsize" in sql:
            seen.append("delete" if sql.lstrip("- ").upper().startswith("DELETE") else "insert")

    store.db.conn.set_trace_callback(trace)
    return seen


def fts_state(conn: sqlite3.Connection) -> list[int]:
    """Run FTS5's integrity check (raises if the index disagrees with itself); the indexed row ids."""
    conn.execute("INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)")
    return [r[0] for r in conn.execute("SELECT id FROM papers_fts_docsize ORDER BY id")]


def newest_first_key(day: str, rowid: int) -> int:
    return (int(day.replace("-", "")) << 32) + rowid


def test_tag_days_is_indexed_by_paper_and_the_upsert_delete_uses_that_index(db_path):
    with Store(db_path) as store:
        indexes = {r[1]: r for r in store.db.execute("PRAGMA index_list(tag_days)")}
        assert [r[2] for r in store.db.execute("PRAGMA index_info(idx_tag_days_paper)")] == ["arxiv_id"]
        assert "idx_tag_days_paper" in indexes
        plan = " ".join(r[3] for r in store.db.execute(
            "EXPLAIN QUERY PLAN DELETE FROM tag_days WHERE arxiv_id IN (?, ?)", ["a", "b"]))
        assert plan == "SEARCH tag_days USING COVERING INDEX idx_tag_days_paper (arxiv_id=?)"


def test_a_new_paper_is_written_to_the_full_text_index_exactly_once(db_path):
    papers = [Paper(arxiv_id=f"2501.0000{i}", title=f"Sigma {i}", authors=["Hang Li"], summary="- one\n- two",
                    tags=["Audio", "Text-to-Speech"], tags_source="digest", upvotes=i,
                    dates=["2025-01-23", "2025-01-24"], source="digest-json") for i in range(1, 4)]
    with Store(db_path) as store:
        writes = fts_writes(store)
        stats = store.upsert_papers(papers)
        store.db.conn.set_trace_callback(None)
        assert stats == UpsertStats(new=3, appearances=6)
        assert writes == ["insert", "insert", "insert"]
        assert fts_state(store.db.conn) == [newest_first_key("2025-01-24", r) for r in (1, 2, 3)]
        hits = store.db.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'tagtexttospeech'").fetchall()
        assert [h[0] for h in hits] == [newest_first_key("2025-01-24", r) for r in (1, 2, 3)]


def test_a_changed_paper_is_rekeyed_once_and_an_unchanged_one_not_at_all(db_path):
    first = Paper(arxiv_id="2501.00001", title="Sigma", tags=["Audio"], tags_source="auto",
                  dates=["2025-01-23"], source="hf-api", upvotes=3)
    other = Paper(arxiv_id="2501.00002", title="Other", dates=["2025-01-23"], source="hf-api", tags=["Audio"])
    richer = Paper(arxiv_id="2501.00001", title="Sigma: a study", tags=["Audio", "Text-to-Speech"],
                   tags_source="digest", dates=["2025-01-24"], source="digest-json", upvotes=9)
    with Store(db_path) as store:
        store.upsert_papers([first, other])
        writes = fts_writes(store)
        # title, tags, last day and upvotes all move, and the same view comes twice in the batch
        stats = store.upsert_papers([richer, other, richer])
        store.db.conn.set_trace_callback(None)
        assert stats == UpsertStats(updated=1, unchanged=2, appearances=1)
        assert writes == ["delete", "insert"]
        assert fts_state(store.db.conn) == [newest_first_key("2025-01-23", 2), newest_first_key("2025-01-24", 1)]
        assert store.db.execute("SELECT * FROM tag_days ORDER BY tag, day, arxiv_id").fetchall() == [
            ("Audio", "2025-01-23", 9, "2501.00001"), ("Audio", "2025-01-23", 0, "2501.00002"),
            ("Audio", "2025-01-24", 9, "2501.00001"), ("Text-to-Speech", "2025-01-23", 9, "2501.00001"),
            ("Text-to-Speech", "2025-01-24", 9, "2501.00001")]
        got = store.get("2501.00001")
        assert (got.title, got.tags, got.dates, got.upvotes) == (
            "Sigma: a study", ["Audio", "Text-to-Speech"], ["2025-01-23", "2025-01-24"], 9)


def test_a_batched_import_of_real_days_equals_storing_each_paper_on_its_own(data_dir, tmp_path):
    """60 real days (papers featured on several days among them): the same rows, counts and index."""
    files = sorted((data_dir / "digests" / "train").glob("*.json"))[:60]
    days = tmp_path / "days"
    days.mkdir()
    for f in files:
        (days / f.name).write_bytes(f.read_bytes())
    with Store(tmp_path / "batched.db") as batched:
        report = import_paths(batched, [days])
        assert report.errors == []
        batched_dump, batched_fts = dump(batched.db.conn), fts_state(batched.db.conn)
    one_by_one = UpsertStats()
    with Store(tmp_path / "single.db") as single:
        for f in files:
            for paper in digest_files.load_file(f).papers:
                one_by_one += single.upsert_papers([paper])
        single_dump, single_fts = dump(single.db.conn), fts_state(single.db.conn)
    assert report.stats == one_by_one
    assert report.stats.updated > 0  # the data does meet the merge of a paper seen before
    assert batched_dump == single_dump
    assert batched_fts == single_fts
    assert len(batched_fts) == len(batched_dump["papers"])


def test_the_store_reads_the_same_after_a_batched_reimport(data_dir, tmp_path):
    """Importing the same days again changes nothing, and writes nothing to the full-text index."""
    days = tmp_path / "days"
    days.mkdir()
    for f in sorted((data_dir / "digests" / "train").glob("*.json"))[:20]:
        (days / f.name).write_bytes(f.read_bytes())
    with Store(tmp_path / "a.db") as store:
        import_paths(store, [days])
        before = list(store.db.conn.iterdump())
        writes = fts_writes(store)
        again = import_paths(store, [days])
        store.db.conn.set_trace_callback(None)
        assert (again.stats.new, again.stats.updated, again.stats.unchanged) == (0, 0, again.papers)
        assert writes == []
        assert list(store.db.conn.iterdump()) == before

