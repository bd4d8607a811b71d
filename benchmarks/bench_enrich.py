"""LLM enrichment benchmark: 50 papers through the fake OpenAI-compatible server at 500 ms a request.

Run: .venv/bin/python benchmarks/bench_enrich.py [--papers 50] [--latency 0.5] [--json]

For each setting of ``max_concurrency`` and ``requests_per_minute`` the real ``Enricher`` (the code path of
``paperboy enrich``: store lookups, the rate limiter and semaphore, HTTP to the fake, answer checks, merged
writes into a fresh SQLite store) enriches one day of ``--papers`` papers. Printed against the minimum
those two settings allow, computed in the same run: requests start at least ``60 / requests_per_minute``
seconds apart (how the limiter keeps every minute under the limit) and at most ``max_concurrency`` are in
flight, so request ``i`` can start no earlier than ``max(i · 60/rpm, end of request i − concurrency)``;
the minimum is the last end. The goal: wall time ≤ 1.2× that minimum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.llm.enrich import Enricher  # noqa: E402
from bot.models import Paper  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.fakes.llm_server import FakeLLM  # noqa: E402

DAY = "2025-01-24"
SETTINGS = [(4, 6000), (16, 600), (8, 1200)]  # (max_concurrency, requests_per_minute)


def minimum(n: int, concurrency: int, rpm: int, latency: float) -> float:
    """The earliest the last of ``n`` requests can end under both limits (greedy is optimal here)."""
    gap = 60.0 / rpm
    ends: list[float] = []
    for i in range(n):
        start = max(i * gap, ends[i - concurrency] if i >= concurrency else 0.0)
        ends.append(start + latency)
    return max(ends) if ends else 0.0


def papers(n: int) -> list[Paper]:
    return [Paper(arxiv_id=f"2501.{i:05d}", title=f"Paper {i}", authors=["A"], abstract=f"Abstract {i}. " * 40,
                  summary=f"HF one-liner {i}.", dates=[DAY], source="hf-api", upvotes=n - i,
                  tags=["Other"], tags_source="auto") for i in range(n)]


async def one(n: int, concurrency: int, rpm: int, latency: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        store.upsert_papers(papers(n))
        async with FakeLLM(latency=latency) as fake:
            settings = Settings()
            settings.llm.base_url, settings.llm.model = fake.url, "bench-model"
            settings.llm.max_concurrency, settings.llm.requests_per_minute = concurrency, rpm
            async with Enricher(settings) as enricher:
                t0 = time.perf_counter()
                report = await enricher.enrich(store, DAY, DAY)
                wall = time.perf_counter() - t0
            in_flight = fake.max_in_flight
        store.close()
    floor = minimum(n, concurrency, rpm, latency)
    return {"max_concurrency": concurrency, "requests_per_minute": rpm, "papers": n, "done": report.done,
            "failed": report.failed, "max_in_flight": in_flight, "wall_s": round(wall, 3),
            "minimum_s": round(floor, 3), "ratio": round(wall / floor, 3)}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [await one(args.papers, c, rpm, args.latency) for c, rpm in SETTINGS]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{args.papers} papers, {args.latency * 1000:g} ms a request (goal: wall ≤ 1.2× the minimum)")
    print(f"{'concurrency':>11} {'req/min':>8} {'done':>5} {'in flight':>9} {'minimum':>8} {'wall':>7} {'ratio':>6}")
    for r in rows:
        print(f"{r['max_concurrency']:>11} {r['requests_per_minute']:>8} {r['done']:>5} {r['max_in_flight']:>9} "
              f"{r['minimum_s']:>7.2f}s {r['wall_s']:>6.2f}s {r['ratio']:>5.2f}×")


if __name__ == "__main__":
    asyncio.run(main())
