"""Opening and closing the store: the file, its migrations, read-only opens, schema checks."""

from __future__ import annotations

import logging
import sqlite3
from functools import cached_property
from pathlib import Path

from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import StoreError
from bot.store.channels import ChannelRows
from bot.store.database import (
    ImmediateDatabase,
    changed_outside,
    connect,
    describe,
    schema_of,
    schema_problem,
)
from bot.store.enrichments import EnrichmentRows
from bot.store.ledger import Ledger
from bot.store.migrations import _expected_schema, migrations
from bot.store.papers import PaperWrites
from bot.store.queries import PaperQueries
from bot.store.similar import SimilarIndex
from bot.store.subscriptions import SubscriptionRows
from bot.store.top import TopRows
from bot.store.trends import TrendRows
from bot.store.weekly import WeeklyRows

log = logging.getLogger("bot.store")  # one logger for the whole store package


class Store(PaperWrites, PaperQueries):
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

    # ---- the repositories: every table outside papers has its SQL in one module of this package --------

    @cached_property
    def channels(self) -> ChannelRows:
        """The ``channels`` rows (digest settings); :class:`bot.channels.Channels` holds their rules."""
        return ChannelRows(self)

    @cached_property
    def subscriptions(self) -> SubscriptionRows:
        """Subscriptions, DM state, role mentions and server options; rules in :mod:`bot.subscriptions`."""
        return SubscriptionRows(self)

    @cached_property
    def enrichments(self) -> EnrichmentRows:
        """The LLM answer cache (m009) and which papers an ``enrich`` run asks about; rules in :mod:`bot.llm`."""
        return EnrichmentRows(self)

    @cached_property
    def top(self) -> TopRows:
        """The most upvoted papers of a period, and the upvote refresh (:mod:`bot.store.top`)."""
        return TopRows(self)

    @cached_property
    def weekly(self) -> WeeklyRows:
        """The ``weekly_recaps`` rows; :mod:`bot.weekly` holds their rules."""
        return WeeklyRows(self)

    @cached_property
    def trends(self) -> TrendRows:
        """Distinct papers per tag per week (featured days only); weeks and labels in :mod:`bot.trends`."""
        return TrendRows(self)

    @cached_property
    def similar(self) -> SimilarIndex:
        """Term statistics and candidate retrieval for "papers like this one" (scoring in :mod:`bot.similar`)."""
        return SimilarIndex(self)

    @property
    def ledger(self) -> Ledger:
        """The delivery ledger stamped with the store's clock (a Deliverer makes its own with its clock)."""
        return Ledger(self, self.clock)

    def data_version(self) -> int:
        """SQLite's ``data_version``: it moves when another connection commits, so caches know to refresh."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        if "similar" in self.__dict__:
            self.similar.close()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
