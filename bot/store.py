"""The SQLite store: papers, the days they were featured, their tags, and full-text search.

Why the shape it has:
- ``papers`` holds one row per arXiv id; a paper featured on several days has several ``appearances``.
- ``paper_tags`` is the truth about tags; ``tag_days`` repeats (tag, day, upvotes) per appearance so
  that "tag T, newest first" and "tag T on day D" are a single index range scan even at millions of
  papers (the query benchmark holds us to that).
- Upserts merge field by field by one order-free rule (:mod:`bot.merge`): a source that lacks a value
  never blanks what a richer source filled, the import order never matters, and a write happens only
  when something changed, so importing the same data twice changes nothing.
- Writes are IMMEDIATE transactions of at most ``BATCH_SIZE`` papers (:mod:`bot.database`), so the bot
  and ``paperboy import`` can write the same file at once; impossible days are refused here.
- Full-text search is a contentless FTS5 index whose row id is (last featured day, rowid), so "newest
  papers matching X" walks the index newest first and stops after a page (m003 says why).
- Schema changes are sqlite-utils migrations, applied on open.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database, Migrations

from bot.clock import SYSTEM_CLOCK, Clock
from bot.database import (
    BATCH_GAP_SECONDS,
    ImmediateDatabase,
    changed_outside,
    connect,
    describe,
    schema_of,
    schema_problem,
)
from bot.errors import StoreError
from bot.merge import merge_row, pick_tags, source_key, valid_day
from bot.models import Paper

log = logging.getLogger(__name__)

migrations = Migrations("paperboy")

#: Papers per write transaction (see :meth:`Store.upsert_papers`); ~0.1 s of lock per batch.
BATCH_SIZE = 200


@migrations()
def m001_papers(db: Database) -> None:
    """Papers, appearances, tags and FTS: what the core pipeline needs."""
    db.execute(
        """
        CREATE TABLE papers (
            arxiv_id TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            abstract TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            github_urls TEXT NOT NULL DEFAULT '[]',
            huggingface_urls TEXT NOT NULL DEFAULT '[]',
            project_page TEXT NOT NULL DEFAULT '',
            upvotes INTEGER NOT NULL DEFAULT 0,
            keywords TEXT NOT NULL DEFAULT '[]',
            published_at TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            summary_source TEXT NOT NULL DEFAULT '',
            authors_source TEXT NOT NULL DEFAULT '',
            tags_source TEXT NOT NULL DEFAULT '',
            last_day TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX idx_papers_recent ON papers (last_day DESC, upvotes DESC)")
    db.execute(
        """
        CREATE TABLE appearances (
            arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id),
            day TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            upvotes INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (arxiv_id, day)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX idx_appearances_day ON appearances (day DESC, upvotes DESC)")
    db.execute(
        """
        CREATE TABLE paper_tags (
            arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id),
            tag TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (arxiv_id, tag)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE tag_days (
            tag TEXT NOT NULL,
            day TEXT NOT NULL,
            upvotes INTEGER NOT NULL DEFAULT 0,
            arxiv_id TEXT NOT NULL,
            PRIMARY KEY (tag, day, arxiv_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX idx_tag_days_order ON tag_days (tag, day DESC, upvotes DESC)")
    db.execute(
        """
        CREATE TABLE fetch_log (
            day TEXT NOT NULL,
            source TEXT NOT NULL,
            papers INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (day, source)
        )
        """
    )
    db["papers"].enable_fts(
        ["title", "authors", "summary", "abstract"], create_triggers=True, tokenize="porter unicode61"
    )


@migrations()
def m002_channels_and_deliveries(db: Database) -> None:
    """Channels that get digests, and the delivery ledger that makes every post happen exactly once."""
    db.execute(
        """
        CREATE TABLE channels (
            channel_id TEXT PRIMARY KEY,
            guild_id TEXT NOT NULL DEFAULT '',
            post_time TEXT NOT NULL,
            timezone TEXT NOT NULL,
            tags TEXT NOT NULL DEFAULT '[]',
            layout TEXT NOT NULL DEFAULT 'thread',
            enabled INTEGER NOT NULL DEFAULT 1,
            disabled_reason TEXT NOT NULL DEFAULT '',
            paused INTEGER NOT NULL DEFAULT 0,
            set_up_by TEXT NOT NULL DEFAULT '',
            last_day TEXT NOT NULL DEFAULT '',
            last_delivered_at TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE TABLE deliveries (
            target TEXT NOT NULL,
            day TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            paper_ids TEXT NOT NULL DEFAULT '[]',
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            message_id TEXT NOT NULL DEFAULT '',
            thread_id TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT '',
            sent_at TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (target, day, seq)
        )
        """
    )
    db.execute("CREATE INDEX idx_deliveries_status ON deliveries (status, day)")


# The full-text row id of a paper: its last featured day (YYYYMMDD) in the high 32 bits, its papers
# rowid in the low 32. FTS5 walks a term's matches in row-id order, so in this order "newest matches
# first" is a walk that stops after a page, instead of fetching and sorting every match.
_FTS_KEY = "((CAST(replace({t}.last_day, '-', '') AS INTEGER) << 32) + {t}.rowid)"
_ROWID_MASK = (1 << 32) - 1  # FTS row id → papers rowid
_FTS_COLUMNS = ("title", "authors", "summary", "abstract")


def _build_fts(db: Database, columns: tuple[str, ...]) -> None:
    """(Re)build the contentless, recency-keyed ``papers_fts`` over ``columns`` and its three triggers.

    Each migration passes its own column list, so an old migration keeps doing what it always did.
    """
    cols = ", ".join(columns)

    def values(t: str) -> str:
        return ", ".join([_FTS_KEY.format(t=t), *(f"{t}.{c}" for c in columns)])

    for trigger in ("papers_ai", "papers_ad", "papers_au"):
        db.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
    db.execute("DROP TABLE IF EXISTS papers_fts")
    db.execute(f"CREATE VIRTUAL TABLE papers_fts USING fts5({cols}, content='', "
               "tokenize='porter unicode61')")
    db.execute(f"INSERT INTO papers_fts (rowid, {cols}) SELECT {values('papers')} FROM papers")
    delete = f"INSERT INTO papers_fts (papers_fts, rowid, {cols}) VALUES ('delete', {values('old')});"
    insert = f"INSERT INTO papers_fts (rowid, {cols}) VALUES ({values('new')});"
    db.execute(f"CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN {delete} END")
    db.execute(f"CREATE TRIGGER papers_au AFTER UPDATE OF {cols}, last_day ON papers "
               f"BEGIN {delete} {insert} END")


@migrations()
def m003_fts_newest_first(db: Database) -> None:
    """Re-key full-text search by recency: a contentless FTS5 table whose row id is ``_FTS_KEY``.

    Why: with the index keyed by ``papers.rowid``, "newest papers matching X" had to fetch and sort
    every match — 0.5 s for a common word at a million papers (benchmarks/bench_query.py). Keyed by
    (last day, rowid), FTS5 yields matches newest first and the query stops after a page. Contentless
    (the text stays only in ``papers``), so the index costs no more than before; the triggers give
    FTS5 the old values it needs to delete a row, and re-key a paper when its ``last_day`` moves.
    """
    _build_fts(db, _FTS_COLUMNS)


@migrations()
def m004_subscriptions(db: Database) -> None:
    """People following tags, their DM state, roles pinged for tags, and per-server options.

    IF NOT EXISTS: this migration was first named m003_subscriptions in a development build, and a
    database made then must open, not fail on tables it already has.
    """
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS subscriptions (
            user_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            guild_id TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (user_id, tag)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_subscriptions_tag ON subscriptions (tag)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS dm_users (
            user_id TEXT PRIMARY KEY,
            dm_channel_id TEXT NOT NULL DEFAULT '',
            closed_day TEXT NOT NULL DEFAULT '',
            closed_at TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS role_mentions (
            guild_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            role_id TEXT NOT NULL,
            PRIMARY KEY (guild_id, tag)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS guild_settings (
            guild_id TEXT PRIMARY KEY,
            dm_fallback INTEGER NOT NULL DEFAULT 0
        )
        """
    )


def tag_token(tag: str) -> str:
    """A tag as one full-text token ("Text-to-Video" → "tagtexttovideo"), so tags filter inside FTS5."""
    return "tag" + "".join(c for c in tag.lower() if c.isalnum())


# SQL twin of tag_token, for the migration that fills tags_text from paper_tags.
_TAG_TOKEN_SQL = "'tag' || lower(replace(replace(replace({t}, ' ', ''), '-', ''), '.', ''))"
_FTS_COLUMNS_V2 = ("title", "authors", "summary", "abstract", "tags_text")


@migrations()
def m005_fts_tags(db: Database) -> None:
    """Index each paper's tags as tokens in the full-text index (column ``tags_text``).

    Why: "words X with tag T" walked every match of X and probed the tag table for each — 75 ms p50 at
    a million papers for a common word and a narrow tag. With the tags in the index, FTS5 intersects
    the two match lists itself and still yields them newest first (the row id of m003).
    """
    db.execute("ALTER TABLE papers ADD COLUMN tags_text TEXT NOT NULL DEFAULT ''")
    token = _TAG_TOKEN_SQL.format(t="t.tag")
    db.execute(f"UPDATE papers SET tags_text = (SELECT group_concat({token}, ' ') FROM paper_tags t "
               "WHERE t.arxiv_id = papers.arxiv_id) "
               "WHERE EXISTS (SELECT 1 FROM paper_tags t WHERE t.arxiv_id = papers.arxiv_id)")
    _build_fts(db, _FTS_COLUMNS_V2)


@migrations()
def m006_drop_invalid_days(db: Database) -> None:
    """Remove the impossible days (``2025-13-45``) that older versions stored from unchecked files.

    Why drop and not move: such a day has no true reading (is ``2025-13-45`` a typo for the 13th of
    May, or for the 5th of April?), and one bad row made ``paperboy tags`` and ``/tags`` fail for every
    user. The paper itself stays, with its valid days; a paper left with no day keeps its text and tags
    and is found by id and search. The store refuses such days from now on (``Store.upsert_papers``).
    """
    bad: set[str] = set()
    for table in ("appearances", "tag_days", "fetch_log"):
        bad.update(r[0] for r in db.execute(f"SELECT DISTINCT day FROM {table}") if not valid_day(r[0]))
    bad.update(r[0] for r in db.execute("SELECT DISTINCT last_day FROM papers WHERE last_day != ''")
               if not valid_day(r[0]))
    if not bad:
        return
    days = sorted(bad)
    marks = ",".join("?" * len(days))
    affected = [r[0] for r in db.execute(
        f"SELECT DISTINCT arxiv_id FROM appearances WHERE day IN ({marks}) "
        f"UNION SELECT arxiv_id FROM papers WHERE last_day IN ({marks})", [*days, *days])]
    for table in ("appearances", "tag_days", "fetch_log"):
        db.execute(f"DELETE FROM {table} WHERE day IN ({marks})", days)
    for aid in affected:  # the trigger of m003 re-keys the paper in the full-text index
        db.execute("UPDATE papers SET last_day = coalesce((SELECT max(day) FROM appearances a "
                   "WHERE a.arxiv_id = papers.arxiv_id), '') WHERE arxiv_id = ?", [aid])
    log.warning("dropped %d impossible day(s) from the database: %s", len(days), ", ".join(days))


@migrations()
def m007_ledger_sent_after(db: Database) -> None:
    """Each delivery row remembers a snowflake taken just before its send (``sent_after``).

    Why: after a crash between Discord creating a message and the bot hearing back, the bot must find
    that message before sending again; history read ``after`` this id finds it however many messages
    came later (the last-20 lookup it replaces missed it in a busy channel and posted it twice).
    """
    db.execute("ALTER TABLE deliveries ADD COLUMN sent_after TEXT NOT NULL DEFAULT ''")


@functools.cache
def _expected_schema(stop_before: str | None) -> dict[str, set[str]]:
    """Tables and columns of a store migrated up to (not including) ``stop_before``, or fully."""
    db = Database(sqlite3.connect(":memory:"))
    migrations.apply(db, stop_before=stop_before)
    schema = schema_of(db)
    db.close()
    return schema


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


class Store:
    """All reads and writes of the SQLite file. Synchronous on purpose: each call is milliseconds."""

    def __init__(self, path: str | Path, *, migrate: bool = True, readonly: bool = False,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        """Open (and by default migrate) the store; every fault is a :class:`StoreError` sentence.

        ``readonly`` opens the file with ``mode=ro`` and never writes: for commands that only read.
        A file that does not exist yet reads as an empty store (nothing is created). A file made by an
        older version is migrated first when the file can be written, and read as it is otherwise.
        """
        self.path = Path(path)
        self.readonly = readonly
        #: The time written into created/updated/fetched stamps (tests pin it).
        self.clock = clock
        #: Bumped on every paper write, so caches of derived figures (tag counts) know to refresh.
        self.generation = 0
        try:
            self.db = self._open(migrate)
        except sqlite3.Error as exc:
            raise describe(self.path, exc) from None
        try:
            self._check_schema()
        except BaseException:
            self.db.close()
            raise

    def _open(self, migrate: bool) -> ImmediateDatabase:
        if str(self.path) == ":memory:" or (self.readonly and not self.path.exists()):
            db = ImmediateDatabase(sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None))
            migrations.apply(db)
            return db
        if self.readonly:
            db = ImmediateDatabase(connect(self.path, readonly=True))
            if migrate and migrations.pending(db):
                try:  # an older file: upgrade it once (the only write a read-only open makes), then read
                    Store(self.path).close()
                except StoreError as exc:
                    log.info("cannot upgrade %s: %s", self.path, exc)
                else:
                    db.close()
                    db = ImmediateDatabase(connect(self.path, readonly=True))
            db.execute("PRAGMA query_only = ON")
            return db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = ImmediateDatabase(connect(self.path, readonly=False))
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            if migrate and migrations.pending(db):
                # One IMMEDIATE transaction around the lot: two processes opening a new file at once
                # must not both apply m001; the second waits, then finds nothing pending.
                with db.atomic():
                    migrations.apply(db)
        except BaseException:
            db.close()
            raise
        return db

    def _check_schema(self) -> None:
        """Refuse, in one sentence, a file whose tables or columns were dropped or renamed by hand.

        Checked on open (a few PRAGMAs) so every command fails the same clear way, instead of each
        query failing later with "no such column" in the middle of its work. A file left older (read
        only, so not upgraded) is compared with the schema of its own version, and read as it is when
        the upgrades it lacks only repair data.
        """
        try:
            pending = [m.name for m in migrations.pending(self.db)]
            problem = schema_problem(schema_of(self.db), _expected_schema(pending[0] if pending else None))
        except sqlite3.Error as exc:
            raise describe(self.path, exc) from None
        if problem:
            raise changed_outside(self.path, problem)
        if not (pending and self.readonly):
            return
        if _expected_schema(pending[0]) != _expected_schema(None):
            raise StoreError(f"The database {self.path} was made by an older paperboy and needs an upgrade "
                             "that writes to it; make it writable and run any paperboy command once.")
        log.warning("reading %s as it is: it cannot be written, so %s did not run", self.path, ", ".join(pending))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writes -------------------------------------------------------------------------------

    def upsert_papers(self, papers: Iterable[Paper]) -> UpsertStats:
        """Merge papers into the store, ``BATCH_SIZE`` papers per IMMEDIATE transaction.

        Batches keep each hold of the write lock short, so a long import beside the running bot
        delays its own writes (fetch, delivery ledger, channel settings) by one batch at most, not by
        the whole import. The merge rule (:mod:`bot.merge`) is order-free, so batches of two writers
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
        """Store the paper's tags if they beat the current ones under :func:`bot.merge.tags_key`."""
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

    # ---- reads --------------------------------------------------------------------------------

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
                tags_source=r["tags_source"],
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
