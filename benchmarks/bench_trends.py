"""``trends`` at a million stored papers: the counts, and drawing the chart.

Run: .venv/bin/python benchmarks/bench_trends.py [--papers 1000000] [--reps 20]

Times :func:`bot.trends.compute` (the store's range scans of a (tag, day) index of tag_days, one per tag) for 12, 104
and 260 weeks, with the most active tags picked (a scan per taxonomy tag) and with two tags given.
Baseline from the same run: the same counts from a plain scan of every tag_days row (what the query
costs without the index's ranges), checked equal. Then :func:`bot.trends_chart.render_png`: the first
call (importing matplotlib) and later ones. At the real rate of featured papers a million span
centuries (benchmarks/synth.py), so 104 weeks hold ~7,000 of them: the counts cost what the weeks hold,
not what the store holds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import synth  # noqa: E402
from bot import trends  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.trends import _FEATURED  # noqa: E402


def ms(fn, reps: int) -> tuple[float, float, object]:
    """Median and worst milliseconds of ``reps`` calls, and the last result."""
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), out


def plain_scan(store: Store, t: trends.Trends) -> dict[str, list[int]]:
    """The baseline: every tag_days row read, the weeks counted in Python."""
    first = date.fromisoformat(t.since)
    seen: dict[tuple[str, int], set[str]] = defaultdict(set)
    sql = f"SELECT t.tag, t.day, t.arxiv_id FROM tag_days t NOT INDEXED WHERE {_FEATURED}"
    for tag, day, aid in store.db.execute(sql):  # the baseline reads the file directly, on purpose
        if tag in t.counts and t.since <= day <= t.until:
            seen[(tag, (date.fromisoformat(day) - first).days // 7)].add(aid)
    counts = {tag: [0] * len(t.weeks) for tag in t.tags}
    for (tag, week), ids in seen.items():
        counts[tag][week] = len(ids)
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    path = synth.build_db(None, args.papers)
    with Store(path, readonly=True) as store:
        print(f"{store.count_papers():,} papers, newest featured day {store.trends.newest_featured_day()}")
        print(f"{'weeks':>5}  {'tags':<24} {'median ms':>9} {'max ms':>7}   {'plain scan ms':>13}")
        for weeks in (12, 104, 260):
            for given in ((), ("Text Generation", "Computer Vision")):
                med, worst, t = ms(lambda w=weeks, g=given: trends.compute(store, tags=list(g), weeks=w), args.reps)
                base_t0 = time.perf_counter()
                baseline = plain_scan(store, t)
                base_ms = (time.perf_counter() - base_t0) * 1000
                assert baseline == t.counts, "the plain scan disagrees with the store's counts"
                label = "2 given" if given else f"{len(t.tags)} most active"
                print(f"{weeks:>5}  {label:<24} {med:>9.2f} {worst:>7.2f}   {base_ms:>13.0f}")
        print("plan:", " | ".join(store.trends.plan(["Text Generation"], "2024-01-01", "2025-12-31")))
        t = trends.compute(store, weeks=104)
    from bot.trends_chart import render_png

    first, _, _ = ms(lambda: render_png(t), 1)
    med, worst, png = ms(lambda: render_png(t), max(3, args.reps // 4))
    print(f"chart (104 weeks, {len(t.tags)} lines): first {first:.0f} ms (imports matplotlib), then median "
          f"{med:.0f} ms, max {worst:.0f} ms; {len(png):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
