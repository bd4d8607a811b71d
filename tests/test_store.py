"""The store against real SQLite files: merging, idempotent imports, queries and their order."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from bot.errors import StoreError
from bot.models import Paper
from bot.store import Query, Store, fts_expression, migrations


def paper(aid: str, **kw) -> Paper:
    base = {"title": f"Paper {aid}", "dates": ["2025-01-24"], "source": "digest-md"}
    base.update(kw)
    return Paper(arxiv_id=aid, **base)


@pytest.fixture
def store(db_path):
    with Store(db_path) as s:
        yield s


OURS = ["m001_papers", "m002_channels_and_deliveries", "m003_fts_newest_first", "m004_subscriptions",
        "m005_fts_tags", "m006_drop_invalid_days", "m007_ledger_sent_after", "m008_tag_days_by_paper",
        "m009_llm_enrichments", "m010_paper_extras",
        "m011_weekly_recaps"]
TABLES = {"_sqlite_migrations", "papers", "appearances", "paper_tags", "tag_days", "fetch_log", "channels",
          "deliveries", "subscriptions", "dm_users", "role_mentions", "guild_settings", "papers_fts",
          "papers_fts_config", "papers_fts_data", "papers_fts_docsize", "papers_fts_idx", "llm_enrichments",
          "weekly_recaps"}


def test_schema_is_migrated_in_wal_mode_and_reopening_applies_nothing_twice(db_path):
    every = [m.name for m in migrations.pending(Database(memory=True))]  # all registered, in order
    assert every == OURS
    Store(db_path).close()
    with Store(db_path) as again:
        assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        applied = [r[0] for r in again.db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert applied == every
        assert set(again.db.table_names()) == TABLES


def test_importing_the_same_papers_twice_changes_nothing(store, db_path):
    papers = [paper("2501.00001", tags=["Multimodal"], tags_source="digest"), paper("2501.00002")]
    first = store.upsert_papers(papers)
    dump = list(sqlite3.connect(db_path).iterdump())
    second = store.upsert_papers(papers)
    assert (first.new, second.new, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert list(sqlite3.connect(db_path).iterdump()) == dump


def test_a_poorer_source_never_blanks_or_overrides_what_a_richer_one_filled(store):
    store.upsert_papers([paper(
        "2501.00001", title="Sigma", authors=["hanglics"], summary="- bullet one\n- bullet two",
        tags=["Natural Language Processing", "Text Generation"], tags_source="digest",
        github_urls=["https://github.com/a/b"], upvotes=5)])
    store.upsert_papers([paper(
        "2501.00001", title="Sigma", authors=["Hang Li", "Ye Gong"], abstract="We present Sigma.",
        summary="An AI summary.", tags=["Computer Vision"], tags_source="auto", source="hf-api",
        github_urls=[], project_page="https://sigma.example", upvotes=3, dates=["2025-01-25"])])
    p = store.get("2501.00001")
    assert p.summary == "- bullet one\n- bullet two"          # digest summary beats HF's ai_summary
    assert p.authors == ["Hang Li", "Ye Gong"]                # HF's full names beat digest user names
    assert p.tags == ["Natural Language Processing", "Text Generation"]  # auto tags never replace digest
    assert p.abstract == "We present Sigma."                  # filled where it was empty
    assert p.github_urls == ["https://github.com/a/b"]        # an empty list blanks nothing
    assert p.project_page == "https://sigma.example"
    assert p.upvotes == 5
    assert p.dates == ["2025-01-24", "2025-01-25"]            # featured on two days


def test_digest_tags_replace_automatic_ones(store):
    store.upsert_papers([paper("2501.00001", tags=["Other"], tags_source="auto", source="hf-api")])
    store.upsert_papers([paper("2501.00001", tags=["Audio", "Text-to-Speech"], tags_source="digest")])
    assert store.get("2501.00001").tags == ["Audio", "Text-to-Speech"]
    assert store.query(Query(tags=["Other"])) == []


def test_query_filters_combine_and_results_are_newest_first_then_most_upvoted(store):
    store.upsert_papers([
        paper("2501.00001", tags=["Multimodal"], upvotes=1, dates=["2025-01-23"], title="Video models"),
        paper("2501.00002", tags=["Multimodal"], upvotes=9, dates=["2025-01-24"]),
        paper("2501.00003", tags=["Multimodal", "Text-to-Video"], upvotes=50, dates=["2025-01-24"]),
        paper("2501.00004", tags=["Audio"], upvotes=99, dates=["2025-01-24"], summary="- speech synthesis"),
    ])
    ids = lambda q: [p.arxiv_id for p in store.query(q)]  # noqa: E731
    assert ids(Query(tags=["Multimodal"])) == ["2501.00003", "2501.00002", "2501.00001"]
    assert ids(Query(day="2025-01-24")) == ["2501.00004", "2501.00003", "2501.00002"]
    assert ids(Query(tags=["Multimodal", "Text-to-Video"])) == ["2501.00003"]
    assert ids(Query(tags=["Multimodal"], day="2025-01-23")) == ["2501.00001"]
    assert ids(Query(text="speech")) == ["2501.00004"]
    assert ids(Query(text="video", since="2025-01-20", until="2025-01-23")) == ["2501.00001"]
    assert ids(Query(tags=["Multimodal"], limit=1, offset=1)) == ["2501.00002"]
    assert store.count(Query(tags=["Multimodal"])) == 3


def test_a_paper_featured_twice_is_listed_once_at_its_latest_day_in_range(store):
    store.upsert_papers([paper("2501.00001", tags=["Audio"], dates=["2025-01-20", "2025-01-24"]),
                         paper("2501.00002", tags=["Audio"], dates=["2025-01-22"])])
    ids = lambda q: [p.arxiv_id for p in store.query(q)]  # noqa: E731
    assert ids(Query(tags=["Audio"])) == ["2501.00001", "2501.00002"]
    assert ids(Query(since="2025-01-19", until="2025-01-23")) == ["2501.00002", "2501.00001"]
    assert ids(Query(tags=["Audio"], since="2025-01-19", until="2025-01-30")) == ["2501.00001", "2501.00002"]


def test_text_search_ignores_fts_syntax_in_user_input(store):
    store.upsert_papers([paper("2501.00001", title='Attention "is" all -you NEAR need')])
    assert [p.arxiv_id for p in store.query(Query(text='"attention" NEAR( -you'))] == ["2501.00001"]
    with pytest.raises(ValueError, match=r"^The search text has no words to look for\.$"):
        fts_expression("  \"  ")


def test_tag_counts_nearest_day_and_digest_selection(store):
    store.upsert_papers([
        paper("2501.00001", tags=["Audio"], dates=["2025-01-17"]),
        paper("2501.00002", tags=["Audio", "Multimodal"], dates=["2025-01-24"], upvotes=3),
        paper("2501.00003", tags=["Tabular"], dates=["2025-01-24"], upvotes=7),
    ])
    assert store.tag_counts() == [("Audio", 2), ("Multimodal", 1), ("Tabular", 1)]
    assert store.tag_counts(since="2025-01-20") == [("Audio", 1), ("Multimodal", 1), ("Tabular", 1)]
    assert store.nearest_day_with_papers("2025-01-25") == "2025-01-24"   # a Saturday
    assert store.nearest_day_with_papers("2025-01-20") == "2025-01-17"
    assert [p.arxiv_id for p in store.papers_on("2025-01-24")] == ["2501.00003", "2501.00002"]
    assert [p.arxiv_id for p in store.papers_on("2025-01-24", ["Multimodal", "Audio"])] == ["2501.00002"]


def test_backfill_bookkeeping_survives_reopening(db_path):
    with Store(db_path) as s:
        s.record_fetch("2025-01-24", "hf", 13)
    with Store(db_path) as s:
        assert s.fetched_days("hf") == {"2025-01-24"}
        assert s.fetched_days("arxiv") == set()


def test_text_with_tags_filters_inside_the_index_and_follows_tag_changes(store):
    store.upsert_papers([
        paper("2501.00001", title="Video diffusion", tags=["Text-to-Video"], dates=["2025-01-24"]),
        paper("2501.00002", title="Video understanding", tags=["Video-Text-to-Text", "Multimodal"]),
        paper("2501.00003", title="Speech diffusion", tags=["Text-to-Speech"], dates=["2025-01-23"]),
    ])
    ids = lambda q: [p.arxiv_id for p in store.query(q)]  # noqa: E731
    assert ids(Query(text="video", tags=["Text-to-Video"])) == ["2501.00001"]
    assert ids(Query(text="diffusion", tags=["Text-to-Speech"])) == ["2501.00003"]
    assert ids(Query(text="video", tags=["Multimodal", "Video-Text-to-Text"])) == ["2501.00002"]
    assert store.count(Query(text="video", tags=["Text-to-Video"])) == 1
    # Digest tags replacing automatic ones re-key the index: the old tag no longer matches.
    store.upsert_papers([paper("2501.00003", title="Speech diffusion", tags=["Audio", "Text-to-Audio"],
                               tags_source="digest", dates=["2025-01-23"])])
    assert ids(Query(text="diffusion", tags=["Text-to-Speech"])) == []
    assert ids(Query(text="diffusion", tags=["Text-to-Audio"])) == ["2501.00003"]


def test_a_paper_featured_again_moves_to_the_top_of_text_results(store):
    store.upsert_papers([paper("2501.00001", title="Graph models", dates=["2025-01-20"]),
                         paper("2501.00002", title="Graph learning", dates=["2025-01-22"])])
    assert [p.arxiv_id for p in store.query(Query(text="graph"))] == ["2501.00002", "2501.00001"]
    store.upsert_papers([paper("2501.00001", title="Graph models", dates=["2025-01-24"])])
    assert [p.arxiv_id for p in store.query(Query(text="graph"))] == ["2501.00001", "2501.00002"]
    # FTS5's integrity check raises "database disk image is malformed" if the index and papers disagree.
    assert store.db.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)").fetchall() == []


def test_tag_counts_cache_sees_writes_from_this_and_other_connections(db_path):
    from bot.search import TagCounts

    with Store(db_path) as mine, Store(db_path) as other:
        counts = TagCounts(mine)
        assert counts.counts() == []
        mine.upsert_papers([paper("2501.00001", tags=["Audio"])])
        assert counts.counts() == [("Audio", 1)]
        other.upsert_papers([paper("2501.00002", tags=["Audio"])])  # e.g. `paperboy import` beside the bot
        assert counts.counts() == [("Audio", 2)]
        assert counts.choices("aud")[0] == ("Audio (2)", "Audio")


def test_digests_leave_out_papers_only_listed_on_arxiv(store):
    store.upsert_papers([paper("2501.00001", tags=["Audio"], source="hf-api"),
                         paper("2501.00002", tags=["Audio"], source="arxiv")])
    assert [p.arxiv_id for p in store.papers_on("2025-01-24")] == ["2501.00001"]
    assert [p.arxiv_id for p in store.papers_on("2025-01-24", ["Audio"])] == ["2501.00001"]
    assert {p.arxiv_id for p in store.query(Query(day="2025-01-24"))} == {"2501.00001", "2501.00002"}


def test_an_impossible_day_is_never_stored_and_the_rest_of_the_paper_is(store, caplog):
    stats = store.upsert_papers([paper("2501.00001", tags=["Audio"], dates=["2025-13-45", "2025-01-24"]),
                                 paper("2501.00002", tags=["Audio"], dates=["2025-02-30"])])
    assert (stats.new, stats.appearances, stats.skipped_days) == (2, 1, 2)
    assert store.get("2501.00001").dates == ["2025-01-24"]
    assert store.get("2501.00002").dates == []
    assert store.get("2501.00002").tags == ["Audio"]
    assert store.days_with_papers() == ["2025-01-24"]
    assert store.tag_counts(since="2025-01-01") == [("Audio", 1)]
    assert [r.getMessage() for r in caplog.records if r.name == "bot.store"] == [
        "2501.00001: '2025-13-45' is not a real day (YYYY-MM-DD); that appearance was not stored",
        "2501.00002: '2025-02-30' is not a real day (YYYY-MM-DD); that appearance was not stored",
    ]
    with pytest.raises(StoreError, match=r"^'2025-13-45' is not a real day \(YYYY-MM-DD\); the fetch of it "
                       r"was not recorded\.$"):
        store.record_fetch("2025-13-45", "hf", 3)
    assert store.fetched_days("hf") == set()


def test_a_paper_listed_twice_on_one_day_is_one_appearance(store):
    stats = store.upsert_papers([paper("2501.00001", dates=["2025-01-24", "2025-01-24"])])
    assert (stats.new, stats.appearances) == (1, 1)
    assert store.get("2501.00001").dates == ["2025-01-24"]


def test_absurd_upvotes_are_capped_to_what_sqlite_holds(store):
    store.upsert_papers([paper("2501.00001", upvotes=10**20), paper("2501.00002", upvotes=-5)])
    assert [store.get(i).upvotes for i in ("2501.00001", "2501.00002")] == [2**63 - 1, 0]


def test_a_large_import_commits_in_batches_and_every_transaction_is_immediate(store):
    seen: list[str] = []

    def trace(sql: str) -> None:
        if sql.split()[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "END"):
            seen.append(sql.strip())

    store.db.conn.set_trace_callback(trace)
    stats = store.upsert_papers([paper(f"2501.{i:05d}") for i in range(450)])  # BATCH_SIZE = 200
    store.db.execute("DELETE FROM fetch_log")  # a lone write statement, as channels and subscriptions make
    store.db.query("SELECT count(*) FROM papers").__next__()  # reads take no write lock
    store.db.conn.set_trace_callback(None)
    assert stats.new == 450
    assert seen == ["BEGIN IMMEDIATE", "COMMIT"] * 4
