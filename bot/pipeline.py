"""The jobs the bot and the CLI share: import files, fetch a day, backfill a range.

Each is source → normalise → tag → store, with the failures a user can meet turned into plain
sentences (returned per file or raised as :class:`~bot.errors.PaperboyError`), never tracebacks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
from aiolimiter import AsyncLimiter

from bot.clock import SYSTEM_CLOCK, Clock, today_in
from bot.config import Settings
from bot.errors import PaperboyError
from bot.models import Paper, check_papers
from bot.sources import digest as digest_files
from bot.sources.arxiv import ArxivClient, arxiv_limiter
from bot.sources.hf import HFClient, hf_limiter
from bot.store import Store, UpsertStats
from bot.store import papers as paper_writes
from bot.tag_worker import TagWorkers
from bot.tagging import Tagger, tag_missing

log = logging.getLogger(__name__)

SOURCES = ("hf", "arxiv")


BACKFILL_CONCURRENCY = 16  # days in flight: 16 × 100 ms of latency hides behind the parse and store work of a day
TAG_WORKER_MIN_DAYS = 8  # from this many days on, a backfill also parses and tags in worker processes
LEARN_FROM = 5000  # most recent digest-tagged papers the tagger learns from: ~1 s of work, plenty of signal
TAGGER_MAX_AGE = timedelta(hours=6)


def learned_tagger(store: Store) -> Tagger:
    """A tagger that has also learned from the digest-tagged papers already in the store."""
    return _learned(store.labelled_papers(LEARN_FROM))


def _learned(labelled: Iterable[Paper]) -> Tagger:
    tagger = Tagger()
    tagger.learn(labelled)
    return tagger


def store_papers(store: Store, papers: list[Paper], tagger: Tagger | None = None, *,
                 checked: bool = False) -> UpsertStats:
    """Tag what came untagged, then upsert.

    Every paper passes :func:`bot.models.check_paper` first (the parsers already did; this keeps a
    future source from storing an impossible day or a value SQLite cannot hold). ``checked`` says the
    papers come straight from a parser that ran that very check (``digest.load_file``), so it is not
    run twice: it was a fifth of an import's time.
    """
    if not checked:
        papers, warnings = check_papers(papers)
        for w in warnings:
            log.warning("not stored as given: %s", w)
    if any(not p.tags for p in papers):
        papers = tag_missing(papers, tagger or learned_tagger(store))
    return store.upsert_papers(papers)


@dataclass(slots=True)
class ImportReport:
    files: int = 0
    papers: int = 0
    days: set[str] = field(default_factory=set)
    stats: UpsertStats = field(default_factory=UpsertStats)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_paths(store: Store, paths: Iterable[str | Path]) -> ImportReport:
    """Import every digest/HF file under ``paths``; a bad file is reported and the rest go on."""
    report = ImportReport()
    files: list[Path] = []
    for path in paths:
        try:
            files.extend(digest_files.find_files([Path(path)]))
        except PaperboyError as exc:
            report.errors.append(str(exc))
    tagger: Tagger | None = None
    pending: list[Paper] = []  # papers of several files, stored together in full batches

    def flush(whole_batches_only: bool = False) -> None:
        size = paper_writes.BATCH_SIZE  # read at each call: bench_store_writers.py varies it
        n = len(pending) - len(pending) % size if whole_batches_only else len(pending)
        if n:
            report.stats += store_papers(store, pending[:n], tagger, checked=True)
            del pending[:n]

    for file in files:
        try:
            loaded = digest_files.load_file(file)
        except PaperboyError as exc:
            report.errors.append(str(exc))
            continue
        except Exception as exc:  # a parser bug must cost this one file, never the files after it
            log.exception("reading %s failed", file)
            report.errors.append(f"{file} could not be read because of a bug in paperboy ({type(exc).__name__}); "
                                 "please report it with the file.")
            continue
        report.files += 1
        report.warnings.extend(loaded.warnings)  # each already names its file
        report.days.update(loaded.days)
        report.papers += len(loaded.papers)
        if loaded.papers and any(not p.tags for p in loaded.papers) and tagger is None:
            flush()  # the tagger learns from everything imported before this file, as it always did
            tagger = learned_tagger(store)
        pending.extend(loaded.papers)
        flush(whole_batches_only=True)  # a day is ~14 papers: a transaction per day was much of the cost
    flush()
    return report


@dataclass(slots=True)
class FetchResult:
    day: str
    source: str
    papers: list[Paper]
    stats: UpsertStats
    warnings: list[str] = field(default_factory=list)  # dropped values, a page cap hit: one sentence each


class Fetcher:
    """Holds the one aiohttp session a process uses for upstreams, the clients built on it, and one rate
    limiter per upstream, so the bot's daily fetch and a backfill in the same process share one budget.

    ``hf_rate``/``arxiv_rate`` replace the limiters (benchmarks scale Hugging Face's window down).
    """

    clock: Clock = SYSTEM_CLOCK  # "today" for settling empty days (Hugging Face's days follow UTC)

    def __init__(self, settings: Settings, *, hf_rate: AsyncLimiter | None = None,
                 arxiv_rate: AsyncLimiter | None = None) -> None:
        self.settings = settings
        self.hf_rate = hf_rate if hf_rate is not None else hf_limiter()
        self.arxiv_rate = arxiv_rate if arxiv_rate is not None else arxiv_limiter(settings.arxiv.min_interval_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._hf: HFClient | None = None
        self._arxiv: ArxivClient | None = None
        self._tagger: Tagger | None = None
        self._tagger_made = datetime.min.replace(tzinfo=UTC)

    async def tagger(self, store: Store) -> Tagger:
        """The learned tagger, rebuilt every few hours, learning off the event loop so a long-running
        bot keeps answering commands meanwhile (the labelled set only changes with digest imports)."""
        if self._tagger is None or self.clock.now() - self._tagger_made > TAGGER_MAX_AGE:
            labelled = list(store.labelled_papers(LEARN_FROM))
            tagger = await asyncio.to_thread(_learned, labelled)  # reading the weights takes ~0.1 s too
            self._tagger, self._tagger_made = tagger, self.clock.now()
        return self._tagger

    async def __aenter__(self) -> Fetcher:
        self._session = aiohttp.ClientSession(headers={"User-Agent": "paperboy/0.1"})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self, source: str) -> HFClient | ArxivClient:
        assert self._session is not None, "use 'async with Fetcher(...)'"
        s = self.settings
        if source == "hf":
            if self._hf is None:
                self._hf = HFClient(
                    self._session, base_url=s.hf.base_url,
                    timeout=aiohttp.ClientTimeout(total=s.hf.timeout_seconds, connect=s.hf.connect_timeout_seconds),
                    retries=s.hf.retries, backoff=s.hf.backoff_seconds,
                    max_wait=s.hf.max_rate_limit_wait_seconds, limiter=self.hf_rate,
                )
            return self._hf
        if source == "arxiv":
            if self._arxiv is None:
                self._arxiv = ArxivClient(
                    self._session, base_url=s.arxiv.base_url,
                    timeout=aiohttp.ClientTimeout(total=s.arxiv.timeout_seconds),
                    retries=s.arxiv.retries, min_interval=s.arxiv.min_interval_seconds, limiter=self.arxiv_rate,
                )
            return self._arxiv
        raise PaperboyError(f"Unknown source {source!r}: use one of {', '.join(SOURCES)}.")

    def hf_client(self) -> HFClient:
        """The process's Hugging Face client (its session and rate limiter), for requests beyond a day's list."""
        client = self._client("hf")
        assert isinstance(client, HFClient)
        return client

    async def _download(self, day: str, source: str) -> tuple[list[Paper], list[str]]:
        """One day's papers and warnings from upstream: network only, nothing stored."""
        client = self._client(source)
        if isinstance(client, ArxivClient):
            return await client.fetch_day_report(day, categories=tuple(self.settings.arxiv.categories))
        return await client.fetch_day_report(day)

    def _store_day(self, store: Store, day: str, source: str, papers: list[Paper], warnings: list[str],
                   tagger: Tagger | None) -> FetchResult:
        """Tag, store and record one downloaded day, with no await inside: a cancelled backfill either
        stored and recorded a day completely or left it for the next run."""
        for w in warnings:
            log.warning("fetching %s from %s: %s", day, source, w)
        stats = store_papers(store, papers, tagger, checked=True)  # both clients' parsers ran check_papers
        # An empty recent day may still fill up; an empty day older than two days is settled.
        if papers or date.fromisoformat(day) <= today_in("UTC", self.clock) - timedelta(days=2):
            store.record_fetch(day, source, len(papers))
        log.info("fetched %s from %s: %d papers (%d new)", day, source, len(papers), stats.new)
        return FetchResult(day, source, papers, stats, warnings)

    async def fetch_day(self, store: Store, day: str, source: str = "hf",
                        tagger: Tagger | None = None) -> FetchResult:
        """One day from upstream into the store; remembers the day as fetched unless it is empty."""
        papers, warnings = await self._download(day, source)
        if papers and any(not p.tags for p in papers):
            tagger = tagger or await self.tagger(store)
        return self._store_day(store, day, source, papers, warnings, tagger)

    async def backfill(self, store: Store, since: date, until: date, source: str = "hf", *,
                       force: bool = False, progress: Callable[[str, int], None] | None = None,
                       concurrency: int = BACKFILL_CONCURRENCY) -> list[FetchResult]:
        """Every day in [since, until] not fetched before, up to ``concurrency`` days in flight.

        Pacing is the upstream's limiter, shared with every other request of this process; the
        concurrency only hides latency. Each day is stored and recorded by its own task the moment its
        download completes (on the event loop's thread, between awaits, so the synchronous store is
        only ever used from one thread), so an interrupted backfill resumes where it stopped: days
        already recorded are skipped. ``progress(day, papers)`` is called as each day completes, in
        any order, and with ``-1`` for each day skipped. The first failing day cancels the days
        still in flight and its error is raised; the days completed before stay stored.
        Results come back in day order. From :data:`TAG_WORKER_MIN_DAYS` days on, parsing and
        tagging also run in :class:`~bot.tag_worker.TagWorkers`' processes, beside this loop's storing.
        """
        if concurrency < 1:
            raise PaperboyError(f"Backfill concurrency must be at least 1, not {concurrency}.")
        done = set() if force else store.fetched_days(source)
        days = [(since + timedelta(days=i)).isoformat() for i in range((until - since).days + 1)]
        todo = [d for d in days if d not in done]
        if progress:
            for day in days:
                if day in done:
                    progress(day, -1)
        if not todo:
            return []
        # The workers first: before self.tagger() starts a thread, this process can still fork them.
        workers = TagWorkers() if concurrency > 1 and len(todo) >= TAG_WORKER_MIN_DAYS else None
        gate = asyncio.Semaphore(concurrency)
        # The downloads start at once; the tagger (its weights read and its store learning done on a
        # thread) is needed only when the first day is in.
        learned = asyncio.ensure_future(self.tagger(store))

        async def one(day: str) -> FetchResult:
            # Only the network holds a slot of the gate: a day waiting for a worker lets the next download start.
            client = self._client(source)
            if workers is not None and isinstance(client, HFClient):
                async with gate:
                    pages, capped = await client.fetch_day_pages(day)
                papers, warnings = await workers.parse_and_tag(pages, day, capped, await learned)
            else:
                async with gate:
                    papers, warnings = await self._download(day, source)
                if workers is not None and papers and not all(p.tags for p in papers):
                    papers = await workers.tag(papers, await learned)
            result = self._store_day(store, day, source, papers, warnings, await learned)
            if progress:
                progress(day, len(result.papers))
            return result

        tasks: list[asyncio.Task[FetchResult]] = []
        results: list[FetchResult] = []
        try:
            tasks = [asyncio.create_task(one(day), name=f"backfill {day}") for day in todo]
            for next_done in asyncio.as_completed(tasks):
                results.append(await next_done)
        except BaseException:  # a failed day, or the backfill itself cancelled: stop the days in flight
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            if not learned.done():
                learned.cancel()
            await asyncio.gather(learned, return_exceptions=True)
            if workers is not None:
                await workers.shutdown()
        return sorted(results, key=lambda r: r.day)
