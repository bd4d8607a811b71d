"""Backfill against a far-away Hugging Face: sequential against concurrent, and the rate limit held.

Run: .venv/bin/python benchmarks/bench_backfill.py [--days 60] [--latency 0.1] [--burst-days 700] [--repeat 3]

Part 1 backfills ``--days`` days (each the 25 real entries of the upstream sample under fresh ids)
from the fake Hugging Face of the tests, run in a process of its own, which answers every request
after ``--latency`` seconds and counts requests against Hugging Face's 500 per sliding 5 minutes.
The same backfill runs with one day in flight (the sequential baseline) and with the default
concurrency, each into a fresh SQLite file with the real limiter; it prints both wall times, the
ratio, and the requests the fake counted and found over the limit. A third run without latency is
the floor concurrency can approach: the CPU work of parsing, tagging and storing the days.

Part 2 shows the limiter holding where it matters: ``--burst-days`` empty days (one request each),
against a fake whose window is scaled down to ``--window`` seconds (500 requests per window still),
with no latency. Without a limiter the backfill sends more than 500 requests inside one window; with
:func:`bot.sources.hf.hf_limiter` built for that window, none is over.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiolimiter import AsyncLimiter  # noqa: E402

from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.pipeline import BACKFILL_CONCURRENCY, Fetcher  # noqa: E402
from bot.sources.hf import RATE_LIMIT, hf_limiter  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.tag_model import load_model  # noqa: E402

SINCE = date(2026, 1, 1)


def sample_days(data: Path, days: int) -> dict[str, list[dict]]:
    """``days`` days from SINCE, each the upstream sample's entries under ids of its own."""
    entries = json.loads((data / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text("utf-8"))
    served: dict[str, list[dict]] = {}
    for i in range(days):
        day = (SINCE + timedelta(days=i)).isoformat()
        copies = []
        for j, entry in enumerate(entries):
            e = copy.deepcopy(entry)
            e["paper"]["id"] = f"{day[2:4]}{day[5:7]}.{(i % 31) * 1000 + j + 10000:05d}"
            e["paper"]["submittedOnDailyAt"] = f"{day}T00:00:00.000Z"
            copies.append(e)
        served[day] = copies
    return served


@contextlib.contextmanager
def fake_process(served: dict[str, list[dict]], latency: float, window: float) -> Iterator[str]:
    """The tests' fake Hugging Face in a process of its own (so its work does not share the
    backfill's interpreter, as a real server would not); yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "days.json"
        data.write_text(json.dumps([e for entries in served.values() for e in entries]), encoding="utf-8")
        args = [sys.executable, "-m", "tests.fakes.hf_server", "--port", "0", "--latency", str(latency),
                "--hf-limit", f"{RATE_LIMIT}/{window}", *(["--data", str(data)] if served else [])]
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            yield proc.stdout.readline().strip()
        finally:
            proc.terminate()
            proc.wait(10)


async def backfill(served: dict[str, list[dict]], days: int, *, concurrency: int, latency: float,
                   window: float = 300.0, rate: AsyncLimiter | None = None) -> tuple[float, dict, int]:
    """Wall time of one backfill into a fresh store, the fake's counts, and the days stored."""
    load_model.cache_clear()  # every run reads the tagger's weights, as a `paperboy backfill` process does
    with tempfile.TemporaryDirectory() as tmp, fake_process(served, latency, window) as url:
        settings = Settings(database=str(Path(tmp) / "bench.db"))
        settings.hf.base_url = url
        with Store(settings.database) as store:
            fetcher = Fetcher(settings, hf_rate=rate)
            fetcher.clock = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))  # every day settled
            async with fetcher:
                t0 = time.perf_counter()
                await fetcher.backfill(store, SINCE, SINCE + timedelta(days=days - 1), "hf",
                                       concurrency=concurrency)
                wall = time.perf_counter() - t0
            stored = len(store.fetched_days("hf"))
        async with aiohttp.ClientSession() as session, session.get(f"{url}/_stats") as resp:
            stats = await resp.json()
    return wall, stats, stored


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--burst-days", type=int, default=700)
    ap.add_argument("--window", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each part-1 setting; the median is reported")
    args = ap.parse_args()
    if not (args.data / "upstream").exists():
        print(f"No sample data at {args.data}; pass --data.", file=sys.stderr)
        return 2
    served = sample_days(args.data, args.days)

    print(f"Part 1: {args.days} days of 25 papers, {args.latency * 1000:g} ms latency, "
          f"limit {RATE_LIMIT} per 300 s (real limiter)")
    runs = (("sequential (1 day in flight)", 1, args.latency),
            (f"concurrent ({BACKFILL_CONCURRENCY} in flight)", BACKFILL_CONCURRENCY, args.latency),
            ("concurrent, no latency (floor)", BACKFILL_CONCURRENCY, 0.0))
    walls: list[list[float]] = [[] for _ in runs]
    last: list[tuple[dict, int]] = [({}, 0) for _ in runs]
    for _ in range(args.repeat):  # the settings take turns, so a slow spell of the machine hits them all alike
        for k, (_, n, latency) in enumerate(runs):
            wall, stats, stored = asyncio.run(backfill(served, args.days, concurrency=n, latency=latency))
            walls[k].append(wall)
            last[k] = (stats, stored)
    rows = [statistics.median(w) for w in walls]
    for (label, _, _), w, wall, (stats, stored) in zip(runs, walls, rows, last, strict=True):
        print(f"  {label:32} {wall:6.2f} s (median of {len(w)}: {min(w):.2f}-{max(w):.2f})  "
              f"{stats['requests']:5d} requests  {stats['hf_over']} over the limit  {stored} days stored")
    print(f"  speed-up: {rows[0] / rows[1]:.1f}x (concurrent within {rows[1] / rows[2]:.2f}x of its no-latency floor: "
          "the rest is parsing, tagging and storing)")

    print(f"Part 2: {args.burst_days} empty days, no latency, limit {RATE_LIMIT} per {args.window:g} s window")
    for label, rate in (("no limiter", AsyncLimiter(10**9, 1)), ("hf_limiter", hf_limiter(window=args.window))):
        wall, stats, stored = asyncio.run(backfill({}, args.burst_days, concurrency=BACKFILL_CONCURRENCY,
                                                   latency=0.0, window=args.window, rate=rate))
        print(f"  {label:32} {wall:6.2f} s  {stats['requests']:5d} requests  "
              f"{stats['hf_over']} over the limit  {stored} days stored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
