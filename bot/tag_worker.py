"""Worker processes that parse and tag a backfill's Hugging Face days beside the event loop.

Why processes: parsing and tagging a day are mostly pure-Python CPU work (~0.6 ms a paper), and
a backfill also downloads and stores on the event loop's thread; in processes of their own they run
on the other cores instead of taking turns for the one GIL.

How they start matters as much as how many there are: a backfill of 60 days takes about a second,
and a worker that imports the tagger and reads its weights takes a few hundred milliseconds.

- **fork**, when this process has a single thread (``paperboy backfill`` at the start of its work):
  this process reads the weights first (~0.2 s with numpy's import), and a forked worker starts in
  milliseconds with them in memory. Forking is unsafe only when another thread could hold a lock at that moment, and
  with one thread there is none.
- **forkserver** otherwise (a process that already runs threads, like the bot): a fresh
  single-threaded server process imports the tagger and reads its weights once
  (:mod:`bot._tag_worker_preload`) and forks the workers; it is started on a thread, and later
  backfills in the same process reuse it.

Until a worker is up (and for good if the workers cannot start or die), :class:`TagWorkers` parses
and tags in this process, so no day waits for a process to start. Either way a day gets the same
papers, warnings and tags: every job carries the caller's :class:`~bot.tagging.Tagger` (a few bytes:
its threshold shifts; the weights are the shipped ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal

from bot.models import Paper
from bot.sources.hf_parse import parse_day_pages
from bot.tag_model import load_model
from bot.tagging import Tagger, tag_missing

log = logging.getLogger(__name__)

# Two workers: one parses and tags a day while the other's result is being stored; on the 60-day
# benchmark one worker was the bottleneck and two keep up.
TAG_WORKERS = 2
#: What the fork server imports before forking: the parent's main module, which every worker would
#: otherwise import again (``paperboy``'s is the whole CLI), and the tagger with its weights.
FORKSERVER_PRELOAD = ["__main__", "bot._tag_worker_preload"]

StartMethod = Literal["fork", "forkserver"]


def _warm_up() -> None:
    load_model().warm()


def _parse_and_tag(pages: list[list], day: str, capped: bool, tagger: Tagger) -> tuple[list[Paper], list[str]]:
    papers, warnings = parse_day_pages(pages, day, capped=capped)
    return tag_missing(papers, tagger), warnings


class TagWorkers:
    """``workers`` processes that parse and tag, started at once; this process stands in for them
    until one is up, and for good once they broke. Make it inside a running event loop, before the
    backfill starts any thread, so that it can fork.

    ``method`` picks the start method; by default fork when this process has one thread, else a
    fork server (see the module's docstring).
    """

    def __init__(self, workers: int = TAG_WORKERS, *, method: StartMethod | None = None) -> None:
        self.workers = workers
        self.method: StartMethod = method or ("fork" if threading.active_count() == 1 else "forkserver")
        self.broken = False
        self.in_worker = 0  # jobs the workers did (for tests and benchmarks)
        self.here = 0  # jobs this process did instead
        self._pool: ProcessPoolExecutor | None = None
        self._started: list[Future[None]] = []
        self._starting: asyncio.Future[None] | None = None
        log.debug("%d parse-and-tag worker processes, started by %s", workers, self.method)
        if self.method == "fork":
            load_model().warm()  # ~0.2 s: read and built here once, every forked worker has them
            try:
                self._start()  # forks now, from this thread, before anything starts another
            except OSError as exc:
                self._break(exc)
        else:  # starting the server takes ~0.5 s: on a thread, while the first days download
            self._starting = asyncio.get_running_loop().run_in_executor(None, self._start)
            self._starting.add_done_callback(self._start_failed)

    def _start(self) -> None:
        """Start the workers (and, for forkserver, the server if this process has none yet)."""
        context = multiprocessing.get_context(self.method)
        if self.method == "forkserver":
            context.set_forkserver_preload(FORKSERVER_PRELOAD)
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        # One warm-up job each: the workers start now (and have the weights once it is done).
        self._started = [pool.submit(_warm_up) for _ in range(self.workers)]
        self._pool = pool

    def _start_failed(self, starting: asyncio.Future[None]) -> None:
        if not starting.cancelled() and starting.exception() is not None:
            self._break(starting.exception())

    def _break(self, exc: BaseException | None) -> None:
        if not self.broken:
            log.warning("the tagging worker processes failed (%s); parsing and tagging in this process",
                        type(exc).__name__ if exc else "unknown")
        self.broken = True

    def _up(self) -> bool:
        """Has a worker started (it ran its warm-up)? A start that failed marks the workers broken."""
        if self.broken or self._pool is None:
            return False
        for started in self._started:
            if started.done():
                if started.exception() is None:
                    return True
                self._break(started.exception())
                return False
        return False

    async def up(self) -> bool:
        """Wait until a worker is up or the start failed; whether one is up (for tests)."""
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._starting)
        if self._started:
            await asyncio.wait([asyncio.wrap_future(f) for f in self._started], return_when=asyncio.FIRST_COMPLETED)
        return self._up()

    async def _run(self, func: Any, *args: Any) -> Any:
        """``func(*args)`` in a worker, or None when none is up (the caller does the work here)."""
        if not self._up():
            return None
        assert self._pool is not None
        try:
            out = await asyncio.get_running_loop().run_in_executor(self._pool, func, *args)
        except BrokenProcessPool as exc:  # a worker died: this process takes over
            self._break(exc)
            return None
        self.in_worker += 1
        return out

    async def parse_and_tag(self, pages: list[list], day: str, capped: bool,
                            tagger: Tagger) -> tuple[list[Paper], list[str]]:
        """A Hugging Face day's raw pages → its papers, tagged by ``tagger`` where untagged, and warnings."""
        done = await self._run(_parse_and_tag, pages, day, capped, tagger)
        if done is not None:
            return done
        self.here += 1
        return _parse_and_tag(pages, day, capped, tagger)

    async def tag(self, papers: list[Paper], tagger: Tagger) -> list[Paper]:
        """``papers`` with tags filled in by ``tagger`` where they had none."""
        done = await self._run(tag_missing, papers, tagger)
        if done is not None:
            return done
        self.here += 1
        return tag_missing(papers, tagger)

    async def shutdown(self) -> None:
        """Stop the workers (jobs not started are cancelled; a running one is waited for)."""
        if self._starting is not None:
            with contextlib.suppress(Exception):  # a start that failed was logged by _start_failed
                await asyncio.shield(self._starting)
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
