"""Opening the SQLite file safely, writing to it beside other processes, and naming what went wrong.

Why this exists apart from the store: these are facts about SQLite and the file system, not about
papers. Three promises rest on them:

- Two writers at once (the bot, ``paperboy import``, ``paperboy fetch``) wait for each other instead
  of failing: every write transaction begins ``IMMEDIATE``, so it takes the write lock before it reads
  and the busy timeout applies. A ``DEFERRED`` transaction that reads first and writes later cannot
  wait for the lock (its snapshot may be stale), and SQLite fails it at once with "database is locked".
- Read-only commands never write: they open the file with ``mode=ro``, so they work on a file or in a
  folder the user may not write, and cannot damage anything.
- Every database fault ends in one sentence that says what is wrong and what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from bot.errors import StoreError

#: How long a write waits for another process's write transaction before giving up.
BUSY_TIMEOUT_SECONDS = 30.0


class ImmediateDatabase(Database):
    """sqlite-utils' Database whose transactions all begin ``IMMEDIATE``.

    Overriding :meth:`atomic` covers every write path at once: our own batches, sqlite-utils' table
    methods (insert, update, upsert use ``atomic`` inside), migrations, and other modules' ``atomic``
    blocks (the delivery ledger), so no code path can open a read-then-write deferred transaction.
    The connection runs with ``isolation_level=None``, so the sqlite3 driver never opens a deferred
    transaction behind our back either, and a lone write statement (:meth:`execute`) is an IMMEDIATE
    transaction of its own.
    """

    @contextlib.contextmanager
    def atomic(self) -> Generator[Database, None, None]:
        if self.conn.in_transaction:  # nested: a savepoint inside the IMMEDIATE transaction
            with super().atomic():
                yield self
            return
        begin_immediate(self.conn)
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    def begin(self) -> None:
        begin_immediate(self.conn)

    def execute(self, sql: str, parameters: Sequence | dict[str, Any] | None = None) -> sqlite3.Cursor:
        """A lone write statement is an IMMEDIATE transaction too, so it waits for the lock the same way."""
        words = sql.split(None, 1)
        if words and words[0].upper() in _WRITE_KEYWORDS and not self.conn.in_transaction:
            with self.atomic():
                return super().execute(sql, parameters)
        return super().execute(sql, parameters)


_WRITE_KEYWORDS = {"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"}


#: How often a writer waiting for the lock tries again. SQLite's own busy handler backs off to 100 ms
#: between tries, so a writer waiting behind an import that commits and begins again at once almost never
#: catches the lock free (measured: 2.4 s of waiting behind 200-paper batches of 0.15 s each).
LOCK_POLL_SECONDS = 0.002
#: How long a batched writer leaves the lock free between two batches: more than one poll, so every
#: waiting writer gets its turn (benchmarks/bench_store_writers.py).
BATCH_GAP_SECONDS = 0.005


def begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, trying again every ``LOCK_POLL_SECONDS`` for up to ``BUSY_TIMEOUT_SECONDS``."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(LOCK_POLL_SECONDS)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection to ``path`` (read-write, or read-only through a ``mode=ro`` URI), not yet used.

    Read-only and a WAL database in a folder we cannot write: SQLite must create the ``-shm`` file
    beside it even to read, and fails with "attempt to write a readonly database". When no ``-wal``
    file is there, every committed page is in the main file, so it can be read as ``immutable``
    instead (a snapshot: without locks, a writer with more rights than us could change it meanwhile).
    """
    if not readonly:
        return _tuned(sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False,
                                      isolation_level=None))
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = _tuned(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False,
                                  isolation_level=None))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        wal = Path(f"{path}-wal")
        if (wal.exists() and wal.stat().st_size > 0) or os.access(path.parent, os.W_OK):
            raise
    return _tuned(sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False,
                                  isolation_level=None))


def _tuned(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return conn


def schema_of(db: Database) -> dict[str, set[str]]:
    """Table → column names, for every table and virtual table (SQLite's own left out)."""
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {n: {r[1] for r in db.execute(f'PRAGMA table_info("{n}")')} for n in names}


def schema_problem(actual: dict[str, set[str]], expected: dict[str, set[str]]) -> str | None:
    """What is missing from ``actual`` (``table 'x'`` or ``column x.y``), or None when nothing is."""
    for table in sorted(expected):
        if table not in actual:
            return f"no table '{table}'"
        missing = sorted(expected[table] - actual[table])
        if missing:
            return f"no column '{table}.{missing[0]}'"
    return None


_DAMAGE = "restore a backup or move it aside to start a new one"


def describe(path: Path | str, exc: BaseException) -> StoreError:
    """One sentence for a database fault: what is wrong with which file, and what to do about it."""
    reason = str(exc).strip().rstrip(".") or type(exc).__name__
    low = reason.lower()
    if "malformed" in low:
        return StoreError(f"The database {path} is damaged ({reason}); {_DAMAGE}.")
    if "file is not a database" in low:
        return StoreError(f"{path} is not a paperboy database ({reason}); point --db at the right file, "
                          "or move this one aside to start a new one.")
    m = re.match(r"no such (table|column): (\S+)", reason)
    if m:
        return changed_outside(path, f"no {m.group(1)} '{m.group(2)}'")
    if "readonly database" in low or "read-only" in low:
        return _read_only(Path(path), reason)
    if "unable to open" in low:
        return StoreError(f"Cannot open the database {path} ({reason}); check that its folder exists and "
                          "that this user may read and write there.")
    if "locked" in low or "busy" in low:
        return StoreError(f"The database {path} stayed locked by another writer for "
                          f"{BUSY_TIMEOUT_SECONDS:.0f} s ({reason}); try again once it has finished.")
    return StoreError(f"The database {path} failed ({reason}); if this persists, {_DAMAGE}.")


def _read_only(path: Path, reason: str) -> StoreError:
    """Which of the two is read-only for this user: the file, or the folder SQLite writes ``-wal`` in."""
    if path.exists() and not os.access(path, os.W_OK):
        return StoreError(f"The database {path} is a read-only file ({reason}); make it writable for this "
                          "user, or point --db at a writable copy.")
    if not os.access(path.parent, os.W_OK):
        return StoreError(f"The database {path} cannot be written because its folder is read-only and SQLite "
                          f"keeps {path.name}-wal beside it ({reason}); make the folder writable for this user, "
                          "or point --db at a copy in a writable folder.")
    return StoreError(f"The database {path} cannot be written ({reason}); make the file and its folder "
                      "writable for this user, or point --db at a writable copy.")


def changed_outside(path: Path | str, problem: str) -> StoreError:
    return StoreError(f"The database {path} has {problem}, so it was changed outside paperboy; {_DAMAGE}.")
