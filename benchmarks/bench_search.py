"""The /papers command path and tag autocomplete at a million stored papers.

Run: .venv/bin/python benchmarks/bench_search.py [--papers 1000000] [--reps 300]

Times what a slash command costs in the core, end to end: validate the options (bot.search), query
and count (Store), render one page of embeds (bot.render) — everything but the Discord round trip.
Autocomplete is TagCounts.choices. Baseline from the same run: autocomplete computing the counts
for every keystroke (no cache). The command path has no baseline here: what the store's indexes buy
over ordinary indexes and over a plain scan, query by query, is benchmarks/bench_query.py's job.
Targets from the issue: p95 ≤ 10 ms and ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import synth  # noqa: E402
from bot.render import render_papers_page  # noqa: E402
from bot.search import PAGE_SIZE, TagCounts, build_search, run_search  # noqa: E402
from bot.store import Store  # noqa: E402

PREFIXES = ["", "t", "te", "text", "image", "vid", "multi", "audio", "re", "ob", "seg", "to", "natural", "q"]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def command(store: Store, options: dict) -> int:
    """One /papers invocation in the core: returns the number of embeds rendered."""
    search = build_search(**options)
    results = run_search(store, search)
    if not results.papers:
        return 0
    page = render_papers_page(results.page(0), page=1, pages=results.pages(PAGE_SIZE),
                              total=results.total_label, heading=search.heading)
    return len(page["embeds"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    path = synth.build_db(None, args.papers)
    rng = random.Random(7)
    with Store(path) as store:
        days = store.days_with_papers()
        tags = [t for t, _ in store.tag_counts()]
        words = ["diffusion", "agents", "reasoning", "video", "speech", "robot", "benchmark", "retrieval"]

        def options() -> tuple[str, dict]:
            kind = rng.choice(["tag", "tag+date", "date", "query", "tag+query", "range+tag"])
            o: dict = {"limit": 25}
            if "tag" in kind:
                o["tags"] = [rng.choice(tags[:30])]
            if "date" in kind:
                o["day"] = rng.choice(days)
            if "query" in kind:
                o["text"] = rng.choice(words)
            if "range" in kind:
                i = rng.randrange(len(days) - 30)
                o["since"], o["until"] = days[i], days[i + 30]
            return kind, o

        cmd_times: list[float] = []
        by_kind: dict[str, list[float]] = {}
        for _ in range(args.reps):
            kind, o = options()
            t = time.perf_counter()
            command(store, o)
            ms = (time.perf_counter() - t) * 1000
            cmd_times.append(ms)
            by_kind.setdefault(kind, []).append(ms)

        counts = TagCounts(store)
        t = time.perf_counter()
        counts.choices("")
        cold = (time.perf_counter() - t) * 1000
        auto: list[float] = []
        for _ in range(args.reps * 3):
            prefix = rng.choice(PREFIXES)
            t = time.perf_counter()
            choices = counts.choices(prefix)
            auto.append((time.perf_counter() - t) * 1000)
            assert len(choices) <= 25
        uncached: list[float] = []
        for _ in range(5):
            t = time.perf_counter()
            store.tag_counts()
            uncached.append((time.perf_counter() - t) * 1000)

    result = {
        "papers": args.papers,
        "command_ms": {"p50": statistics.median(cmd_times), "p95": pct(cmd_times, 95), "p99": pct(cmd_times, 99)},
        "autocomplete_ms": {"p50": statistics.median(auto), "p95": pct(auto, 95), "cold": cold},
        "autocomplete_uncached_ms": {"p50": statistics.median(uncached)},
        "command_by_kind_ms": {k: {"p50": statistics.median(v), "p95": pct(v, 95), "n": len(v)}
                               for k, v in sorted(by_kind.items())},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    c, a = result["command_ms"], result["autocomplete_ms"]
    print(f"{args.papers:,} papers, {args.reps} commands (mixed tag/date/range/text options), "
          f"{args.reps * 3} autocompletes")
    print(f"  /papers core path (query + count + render a page): p50 {c['p50']:.2f} ms  p95 {c['p95']:.2f} ms  "
          f"p99 {c['p99']:.2f} ms   (target p95 ≤ 10 ms)")
    for kind, k in result["command_by_kind_ms"].items():
        print(f"      {kind:<10} p50 {k['p50']:6.2f} ms  p95 {k['p95']:6.2f} ms  ({k['n']} runs)")
    print(f"  tag autocomplete:  p50 {a['p50']:.3f} ms  p95 {a['p95']:.3f} ms   first call (fills the cache) "
          f"{a['cold']:.0f} ms   (target p95 ≤ 5 ms)")
    print(f"  baseline: counting tags on every keystroke  p50 "
          f"{result['autocomplete_uncached_ms']['p50']:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
