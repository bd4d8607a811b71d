"""The schema of every table, as sqlite-utils migrations applied on open.

Migrations are history: a released one is never edited, a change is a new one at the end.
"""

from __future__ import annotations

import functools
import logging
import sqlite3

from sqlite_utils import Database, Migrations

from bot.store.database import (
    schema_of,
)
from bot.store.merge import valid_day

log = logging.getLogger("bot.store")  # one logger for the whole store package

migrations = Migrations("paperboy")


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


@migrations()
def m008_tag_days_by_paper(db: Database) -> None:
    """Index ``tag_days`` by paper, so re-deriving one paper's rows is a range, not a table scan.

    Why: ``tag_days`` is keyed (tag, day, arxiv_id) for the tag queries, so "the rows of paper P" (what
    an upsert replaces when P's tags, days or upvotes change) had no index to use and scanned the whole
    table per paper: 3.6-5.1 s for one 20-paper day into a million-paper store, against 0.37 s into an
    empty one (issue 9). Another index on the same three columns costs about as much as the table's
    own key; reads by tag keep using the primary key.
    """
    db.execute("CREATE INDEX IF NOT EXISTS idx_tag_days_paper ON tag_days (arxiv_id)")


@migrations()
def m009_llm_enrichments(db: Database) -> None:
    """One row per (paper, model, prompt version) asked of the LLM endpoint: its outcome and its cost.

    Why a table of its own and not columns of ``papers``: a good answer is never asked again for the
    same model and prompt (``paperboy enrich`` is resumable and an LLM costs money), a failed one is
    retried next run, and a new model or prompt version asks again without losing what the old one
    said. ``status`` is ``ok`` or ``failed``; tokens come from the answer's ``usage``.
    """
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS llm_enrichments (
            arxiv_id TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            status TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (arxiv_id, model, prompt_version)
        )
        """
    )


@migrations()
def m010_paper_extras(db: Database) -> None:
    """What a Hugging Face entry adds for the richer embed: thumbnail, organisation, code stars.

    Why columns of ``papers`` and not a table: each is one value per paper, merged by the same
    order-free rule as the others (:mod:`bot.store.merge`) in the same row write. Older rows get the
    empty defaults, which render exactly as before.
    """
    db.execute("ALTER TABLE papers ADD COLUMN thumbnail TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE papers ADD COLUMN organization TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE papers ADD COLUMN github_repo TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE papers ADD COLUMN github_stars INTEGER NOT NULL DEFAULT 0")


@migrations()
def m011_weekly_recaps(db: Database) -> None:
    """Channels that opted in to a weekly recap (``/digest weekly``): when, how many papers, what was sent.

    Its own table, not columns of ``channels``: a channel may take the recap without the daily digest,
    and removing one must not touch the other. ``last_week`` (``2025-W04``) is the newest recap sent;
    the messages themselves go through the delivery ledger (target ``weekly:<channel>``, day = the week).
    """
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS weekly_recaps (
            channel_id TEXT PRIMARY KEY,
            guild_id TEXT NOT NULL DEFAULT '',
            weekday INTEGER NOT NULL,
            post_time TEXT NOT NULL,
            timezone TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 10,
            enabled INTEGER NOT NULL DEFAULT 1,
            disabled_reason TEXT NOT NULL DEFAULT '',
            set_up_by TEXT NOT NULL DEFAULT '',
            last_week TEXT NOT NULL DEFAULT '',
            last_sent_at TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT ''
        )
        """
    )


@functools.cache
def _expected_schema(stop_before: str | None) -> dict[str, set[str]]:
    """Tables and columns of a store migrated up to (not including) ``stop_before``, or fully."""
    db = Database(sqlite3.connect(":memory:"))
    migrations.apply(db, stop_before=stop_before)
    schema = schema_of(db)
    db.close()
    return schema

