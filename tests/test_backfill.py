"""Concurrent backfill: every day once, under the upstreams' rate limits as the fake counts them, resumable.

The fake Hugging Face counts every request against a sliding window (scaled down here so a test runs in
seconds) and records each one over the limit; the assertions are on its counts, never on wall time.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiolimiter import AsyncLimiter

from bot.clock import FixedClock
from bot.config import Settings
from bot.errors import UpstreamError
from bot.pipeline import BACKFILL_CONCURRENCY, TAG_WORKER_MIN_DAYS, Fetcher
from bot.sources.arxiv import ArxivClient, arxiv_limiter
from bot.sources.hf import RATE_LIMIT, RATE_WINDOW, HFClient, hf_limiter
from bot.store import Store
from tests.fakes.hf_server import FakeHF, Fault, RateWindow

SINCE = date(2026, 3, 1)
LATER = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))  # every backfilled day is settled


def days_of(data_dir: Path, n: int) -> dict[str, list[dict]]:
    """``n`` days from SINCE, each three real entries under ids of its own."""
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())[:3]
    served: dict[str, list[dict]] = {}
    for i in range(n):
        day = (SINCE + timedelta(days=i)).isoformat()
        served[day] = []
        for j, entry in enumerate(entries):
            e = copy.deepcopy(entry)
            e["paper"]["id"] = f"2603.{i * 10 + j + 10000:05d}"
            e["paper"]["submittedOnDailyAt"] = f"{day}T00:00:00.000Z"
            served[day].append(e)
    return served


def settings_for(fake: FakeHF, db_path: Path) -> Settings:
    s = Settings(database=str(db_path))
    s.hf.base_url = fake.url
    s.hf.retries = 0
    return s


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


# ---------------------------------------------------------------------------------------- the limiters


def test_hf_limiter_leaves_no_window_over_the_limit() -> None:
    limiter = hf_limiter()
    rate = limiter.max_rate / limiter.time_period
    # burst + steady rate over the window: the most any 5-minute window can hold
    assert limiter.max_rate + rate * RATE_WINDOW == pytest.approx(RATE_LIMIT - 30)
    with pytest.raises(ValueError):
        hf_limiter(burst=480)


def test_the_fakes_window_counts_what_is_over() -> None:
    window = RateWindow(limit=2, window=1.0)
    for at in (0.0, 0.5, 0.9, 1.5, 2.0, 2.05):
        window.arrive(at)
        window.leave()
    # 0.9 is the third in (-0.1, 0.9]; 2.05 the third in (1.05, 2.05]; 1.5 and 2.0 have one other each
    assert window.over == [0.9, 2.05]


async def test_hf_limiter_holds_a_burst_well_over_the_limit(session: aiohttp.ClientSession) -> None:
    async with FakeHF({"2026-03-01": []}, hf_limit=(20, 0.5)) as fake:
        client = HFClient(session, base_url=fake.url, retries=0, limiter=hf_limiter(20, 0.5, burst=4, safety=2))
        await asyncio.gather(*(client.fetch_page("2026-03-01", 0) for _ in range(45)))
        assert (len(fake.requests), fake.hf_limit.over) == (45, [])


async def test_without_a_limiter_the_fake_sees_the_breach(session: aiohttp.ClientSession) -> None:
    async with FakeHF({"2026-03-01": []}, hf_limit=(20, 60.0)) as fake:
        client = HFClient(session, base_url=fake.url, retries=0, limiter=AsyncLimiter(10**6, 1))
        await asyncio.gather(*(client.fetch_page("2026-03-01", 0) for _ in range(45)))
        assert (len(fake.requests), len(fake.hf_limit.over)) == (45, 25)


async def test_arxiv_one_request_per_interval_one_connection(session: aiohttp.ClientSession, data_dir: Path) -> None:
    atom = (data_dir / "upstream" / "ai-weekly-radar_arxiv_feed.xml").read_text(encoding="utf-8")
    async with FakeHF(atom=atom, arxiv_limit=(1, 0.2)) as fake:
        shared = arxiv_limiter(0.2)
        one = ArxivClient(session, base_url=fake.url, retries=0, min_interval=0.2, page_size=25, limiter=shared)
        days = ("2026-07-10", "2026-07-11", "2026-07-10")
        found = await asyncio.gather(*(one.fetch_day(d) for d in days))
        assert [len(p) for p in found] == [50, 0, 50]
        assert (len(fake.requests), fake.arxiv_limit.over, fake.arxiv_limit.most_in_flight) == (5, [], 1)


def test_a_fetcher_shares_one_limiter_per_upstream(db_path: Path) -> None:
    fetcher = Fetcher(Settings(database=str(db_path)))

    async def clients() -> tuple[object, object]:
        async with fetcher:
            return fetcher._client("hf").limiter, fetcher._client("arxiv").limiter

    hf, arxiv = asyncio.run(clients())
    assert (hf is fetcher.hf_rate, arxiv is fetcher.arxiv_rate) == (True, True)


# ---------------------------------------------------------------------------------------- backfill


async def test_concurrent_backfill_every_day_once_under_the_limit(data_dir: Path, db_path: Path) -> None:
    served = days_of(data_dir, 12)
    async with FakeHF(served, latency=0.3, hf_limit=(RATE_LIMIT, RATE_WINDOW)) as fake:
        completed: list[tuple[str, int]] = []
        with Store(db_path) as store:
            store.record_fetch("2026-03-02", "hf", 3)  # done before: skipped, reported as -1
            fetcher = Fetcher(settings_for(fake, db_path))
            fetcher.clock = LATER
            async with fetcher:
                results = await fetcher.backfill(store, SINCE, SINCE + timedelta(days=11), "hf",
                                                 progress=lambda d, n: completed.append((d, n)))
            assert store.fetched_days("hf") == set(served)
            stored = store.db.execute("SELECT count(*) FROM papers").fetchone()[0]
        asked = sorted(r.query["date"] for r in fake.requests)
    assert [r.day for r in results] == sorted(set(served) - {"2026-03-02"})
    assert sorted(completed) == sorted((d, -1 if d == "2026-03-02" else 3) for d in served)
    assert asked == sorted(set(served) - {"2026-03-02"})  # each day asked once, the finished one never
    assert stored == 33
    assert (fake.hf_limit.over, fake.hf_limit.most_in_flight) == ([], min(BACKFILL_CONCURRENCY, 11))  # 11 days to do


async def test_an_interrupted_backfill_resumes_without_refetching(data_dir: Path, db_path: Path) -> None:
    served = days_of(data_dir, 24)
    until = SINCE + timedelta(days=23)
    async with FakeHF(served, latency=0.1) as fake:
        with Store(db_path) as store:
            fetcher = Fetcher(settings_for(fake, db_path))
            fetcher.clock = LATER
            async with fetcher:
                finished: list[str] = []
                run: asyncio.Task | None = None

                def progress(day: str, n: int) -> None:
                    finished.append(day)
                    if len(finished) == 3 and run is not None:
                        run.cancel()  # as Ctrl-C does to the CLI's backfill

                run = asyncio.create_task(fetcher.backfill(store, SINCE, until, "hf", progress=progress))
                with pytest.raises(asyncio.CancelledError):
                    await run
                first = store.fetched_days("hf")
                first_asked = len(fake.requests)
                await fetcher.backfill(store, SINCE, until, "hf")
            again = [r.query["date"] for r in fake.requests[first_asked:]]
            assert store.fetched_days("hf") == set(served)
            ids = [r[0] for r in store.db.execute("SELECT arxiv_id FROM papers")]
    # Stopped part-way: days whose answers were already in hand when the cancel landed may have finished
    # too (each is stored whole before the next await), but 24 days at 16 in flight cannot all have.
    assert 3 <= len(first) < len(served)
    assert set(finished) == first  # progress only ever reported days stored and recorded
    # No finished day asked again (requests the first run sent just before it stopped may reach the fake
    # after its count was read, so they are not told apart from the second run's).
    assert (set(again) & first, set(again) | first) == (set(), set(served))
    assert len(ids) == len(set(ids)) == 72


async def test_a_failing_day_stops_the_backfill_and_keeps_the_days_done(data_dir: Path, db_path: Path) -> None:
    served = days_of(data_dir, 12)
    until = SINCE + timedelta(days=11)
    async with FakeHF(served, latency=0.05) as fake:
        fake.script("daily_papers", Fault.error(500))  # the first request, whichever day it is for
        with Store(db_path) as store:
            fetcher = Fetcher(settings_for(fake, db_path))  # no retries
            fetcher.clock = LATER
            async with fetcher:
                with pytest.raises(UpstreamError, match="kept failing"):
                    await fetcher.backfill(store, SINCE, until, "hf")
                failed = fake.requests[0].query["date"]
                first = store.fetched_days("hf")
                asked_first = len(fake.requests)
                await fetcher.backfill(store, SINCE, until, "hf")
            again = [r.query["date"] for r in fake.requests[asked_first:]]
            assert store.fetched_days("hf") == set(served)
    assert failed not in first
    assert (set(again) & first, set(again) | first) == (set(), set(served))


async def test_parsing_in_the_worker_gives_what_parsing_here_gives(data_dir: Path, tmp_path: Path) -> None:
    """From TAG_WORKER_MIN_DAYS days on, a Hugging Face day is parsed and tagged in worker processes: the
    papers, tags and warnings of every day are those of the one-day-at-a-time path, which parses here."""
    served = days_of(data_dir, TAG_WORKER_MIN_DAYS + 1)
    first = next(iter(served))
    served[first].append({"paper": {"title": "no id"}})  # skipped, with a warning
    served[first][0]["paper"]["upvotes"] = "many"  # costs that field, with a warning
    until = SINCE + timedelta(days=len(served) - 1)
    outcomes = []
    async with FakeHF(served) as fake:
        for concurrency in (1, BACKFILL_CONCURRENCY):
            db = tmp_path / f"c{concurrency}.db"
            with Store(db) as store:
                fetcher = Fetcher(settings_for(fake, db))
                fetcher.clock = LATER
                async with fetcher:
                    results = await fetcher.backfill(store, SINCE, until, "hf", concurrency=concurrency)
                tags = store.db.execute("SELECT arxiv_id, tag FROM paper_tags ORDER BY 1, 2").fetchall()
            # The returned papers as parsed (the worker hands them back tagged; here store_papers tags a copy).
            parsed = [(r.day, [{k: v for k, v in p.to_dict().items() if k not in ("tags", "tags_source")}
                               for p in r.papers], r.warnings) for r in results]
            outcomes.append((parsed, tags))
    assert outcomes[0] == outcomes[1]
    day_warnings = outcomes[1][0][0][2]
    assert len(outcomes[1][0]) == TAG_WORKER_MIN_DAYS + 1
    assert len(outcomes[1][1]) > 0
    assert [w.split(",")[0] for w in day_warnings] == ["page 0", "page 0"]
