"""A store made by today's schema (m001-m005, as on main) opens in this version with its data intact.

The old store is built the way main builds it: only the migrations main has, then rows as main's code
writes them, including the impossible day main let in from a saved Hugging Face file (issue 8, B3).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from bot.pipeline import import_paths
from bot.store import Query, Store, migrations
from tests.test_cli import paperboy
from tests.test_store_merge import dump

MAIN = ["m001_papers", "m002_channels_and_deliveries", "m003_fts_newest_first", "m004_subscriptions",
        "m005_fts_tags"]
#: m010's columns with their defaults: main has none of them, so its rows read back with these.
EXTRAS = {"thumbnail": "''", "organization": "''", "github_repo": "''", "github_stars": "0"}


def old_store(path: Path, seed_file: Path) -> None:
    """The seed day, a channel, a delivery and a subscription, and a paper featured on 2025-13-45."""
    db = Database(sqlite3.connect(path))
    db.execute("PRAGMA journal_mode=WAL")
    migrations.apply(db, stop_before="m006_drop_invalid_days")
    db.close()
    with Store(path, migrate=False) as store:  # main's schema: write its rows with our write path
        # Our write path writes m010's columns too; the seed's papers leave them empty, so add them for
        # the import and drop them again: the rows are exactly those main writes.
        for name, default in EXTRAS.items():
            store.db.execute(f"ALTER TABLE papers ADD COLUMN {name} NOT NULL DEFAULT {default}")
        import_paths(store, [seed_file])
        for name in EXTRAS:
            store.db.execute(f"ALTER TABLE papers DROP COLUMN {name}")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO papers (arxiv_id, title, last_day, tags_source, tags_text, source) VALUES "
                     "('2501.99999', 'Poisoned', '2025-13-45', 'auto', 'tagaudio', 'hf-api')")
        conn.executemany("INSERT INTO appearances (arxiv_id, day, source, upvotes) VALUES (?, ?, 'hf-api', 3)",
                         [("2501.99999", "2025-13-45"), ("2501.99999", "2025-01-24")])
        conn.execute("INSERT INTO paper_tags VALUES ('2501.99999', 'Audio', 0)")
        conn.executemany("INSERT INTO tag_days VALUES ('Audio', ?, 3, '2501.99999')",
                         [("2025-13-45",), ("2025-01-24",)])
        conn.execute("INSERT INTO fetch_log VALUES ('2025-13-45', 'hf', 1, '2025-01-25T00:00:00+00:00')")
        conn.execute("INSERT INTO channels (channel_id, guild_id, post_time, timezone, layout) "
                     "VALUES ('42', '7', '08:00', 'Europe/Paris', 'channel')")
        conn.execute("INSERT INTO deliveries (target, day, seq, kind, paper_ids, payload, status, message_id) VALUES "
                     "('channel:42', '2025-01-24', 0, 'paper', '[\"2501.13918\"]', '{}', 'sent', '1001')")
        conn.execute("INSERT INTO subscriptions (user_id, tag, guild_id) VALUES ('5', 'Audio', '7')")
    conn.close()


def test_a_store_made_by_main_upgrades_with_its_data_intact(seed_file, db_path):
    old_store(db_path, seed_file)
    with sqlite3.connect(db_path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")] == MAIN
        before = dump(conn)
        others = [conn.execute(f"SELECT * FROM {t}").fetchall() for t in ("channels", "deliveries", "subscriptions")]
    with Store(db_path) as store:
        applied = [r[0] for r in store.db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert applied == [m.name for m in migrations.pending(Database(memory=True))]
        assert store.get("2501.99999").dates == ["2025-01-24"]
        assert store.tag_counts(since="2025-01-01") == [
            ("Multimodal", 4), ("Natural Language Processing", 4), ("Question Answering", 3),
            ("Reinforcement Learning", 2), ("Video-Text-to-Text", 2), ("Audio", 1), ("Text Generation", 1),
            ("Text-to-Image", 1), ("Text-to-Video", 1)]
        # The full-text index followed the paper's new last day (FTS5 raises if index and papers disagree).
        check = "INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)"
        assert store.db.execute(check).fetchall() == []
        assert [p.arxiv_id for p in store.query(Query(text="poisoned"))] == ["2501.99999"]
    with sqlite3.connect(db_path) as conn:
        after = dump(conn)
        # The rows are kept as they were; delivery rows gain m007's sent_after column, empty.
        channels, deliveries, subscriptions = others
        assert [conn.execute(f"SELECT * FROM {t}").fetchall() for t in ("channels", "deliveries", "subscriptions")] \
            == [channels, [(*row, "") for row in deliveries], subscriptions]
        assert conn.execute("SELECT * FROM fetch_log").fetchall() == []
    # Exactly the rows of the impossible day are gone, and the paper's last day moved back.
    assert after["appearances"] == [r for r in before["appearances"] if r[1] != "2025-13-45"]
    assert after["tag_days"] == [r for r in before["tag_days"] if r[1] != "2025-13-45"]
    extras = len(EXTRAS)  # m010 appends its columns, empty for every old row
    assert {r[-extras:] for r in after["papers"]} == {("", "", "", 0)}
    changed = [(a, b) for a, b in zip(before["papers"], [r[:-extras] for r in after["papers"]], strict=True)
               if a != b]
    assert [(a[0], b[0]) for a, b in changed] == [("2501.99999", "2501.99999")]
    assert after["paper_tags"] == before["paper_tags"]


def test_the_poisoned_store_of_the_issue_lists_its_tags_again(seed_file, db_path):
    """Before: `paperboy tags` failed with "ValueError: month must be in 1..12" on this store."""
    old_store(db_path, seed_file)
    code, out, err = paperboy("tags", "--json", db=db_path)
    assert (code, err) == (0, "")
    rows = {r["tag"]: (r["papers"], r["last_7_days"]) for r in json.loads(out)}
    assert rows["Audio"] == (1, 1)
    assert rows["Multimodal"] == (4, 4)
