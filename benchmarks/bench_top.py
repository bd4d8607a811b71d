"""How fast is ``paperboy top`` / ``/top`` at a million papers, against the query one writes without the day index?

Why: the period's ranking (:meth:`bot.store.top.TopRows.ranked` plus its count, i.e. :func:`bot.top.run_top`)
is meant to read only the period's rows, through ``idx_appearances_day`` (or ``tag_days``' key with a tag),
whatever the size of the store. On a synthetic store from ``synth.py`` (calibrated on the real digests:
~13 papers a featured weekday) it times, per kind of period, in the same run:

- ours: ``run_top`` end to end (ranking, papers hydrated, the count), what ``/top`` does per command;
- baseline: the obvious query without a day index — every ``papers`` row ordered by upvotes, each probed
  for an appearance in the period (by primary key), stopped at the page — with its answer checked
  against ours (same ids, same order);
- the SQLite plan of ours (it must search an index, never scan a table).

Cost grows with the rows *in the period*, so a year and ten years are timed too (a real Hugging Face
month today has ~100 papers a day, between our "month" and "year" rows here). It prints, asserts nothing.

    .venv/bin/python benchmarks/bench_top.py --papers 100000     # quick
    .venv/bin/python benchmarks/bench_top.py                     # 1,000,000 papers
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta

from synth import build_db

from bot.periods import Period, month_of, week_of
from bot.store import Store
from bot.top import build_top, run_top

LIMIT = 25


def say(text: str = "") -> None:
    print(text, flush=True)


def baseline(store: Store, period: Period, tag: str | None) -> list[str]:
    """Most upvoted papers first, each checked for a featured day in the period: no day index used."""
    tag_check = "AND EXISTS (SELECT 1 FROM paper_tags t WHERE t.arxiv_id = p.arxiv_id AND t.tag = ?)" if tag else ""
    sql = ("SELECT p.arxiv_id, (SELECT max(a.day) FROM appearances a WHERE a.arxiv_id = p.arxiv_id AND a.day "
           "BETWEEN ? AND ? AND a.source != 'arxiv') AS last_in FROM papers p NOT INDEXED "
           f"WHERE last_in IS NOT NULL {tag_check} ORDER BY p.upvotes DESC, last_in DESC, p.arxiv_id LIMIT ?")
    params = [period.since, period.until, *([tag] if tag else []), LIMIT]
    return [r[0] for r in store.db.execute(sql, params)]


def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--periods", type=int, default=30, help="periods of each kind (ours)")
    ap.add_argument("--baseline-periods", type=int, default=3, help="periods of each kind (the slow baseline)")
    args = ap.parse_args(argv)
    path = build_db(None, args.papers, args.seed)
    rng = random.Random(args.seed)
    with Store(path, readonly=True) as store:
        days = store.days_with_papers()
        first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
        say(f"{store.count_papers():,} papers, featured {first} to {last} ({len(days):,} days)")

        def pick(kind: str) -> Period:
            day = first + timedelta(days=rng.randrange((last - first).days - 3700))
            if kind == "week":
                return week_of(day)
            if kind == "month":
                return month_of(day)
            span = 365 if kind == "year" else 3652
            return Period(day.isoformat(), (day + timedelta(days=span - 1)).isoformat(), kind)

        cases = [("week", None), ("month", None), ("week", "Robotics"), ("month", "Natural Language Processing"),
                 ("year", None), ("10 years", None)]
        say(f"{'period':<10} {'tag':<28} {'rows':>7} {'ours p50':>9} {'ours p95':>9} {'baseline p50':>13} "
            f"{'speed-up':>9}")
        for kind, tag in cases:
            periods = [pick(kind) for _ in range(args.periods)]
            requests = [build_top(p, [tag] if tag else [], LIMIT) for p in periods]
            ours = [t for r in requests for t in timed(lambda r=r: run_top(store, r), 3)]
            rows = statistics.median(run_top(store, r).total for r in requests)
            slow = []
            for r in requests[:args.baseline_periods]:
                want = [e.paper.arxiv_id for e in run_top(store, r).entries]
                t0 = time.perf_counter()
                got = baseline(store, r.period, tag)
                slow.append((time.perf_counter() - t0) * 1000)
                if got != want:
                    say(f"MISMATCH {kind} {r.period.label}: {got[:5]} vs {want[:5]}")
            p50 = statistics.median(ours)
            say(f"{kind:<10} {tag or '-':<28} {rows:>7,.0f} {p50:>7.2f}ms {pct(ours, 0.95):>7.2f}ms "
                f"{statistics.median(slow):>11.1f}ms {statistics.median(slow) / p50:>8.0f}x")
        plan = store.top.explain("2020-01-01", "2020-01-31") + store.top.explain("2020-01-01", "2020-01-31",
                                                                                 ["Robotics", "Multimodal"])
        say("plan of ours: " + " | ".join(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
