"""One real day into a million-paper store against the same day into an empty one (issue 9, goal 3).

Run: .venv/bin/python benchmarks/bench_import_scale.py [--papers 1000000] [--reps 5] [--data $PAPERBOY_SHARED/data]

This is the bot's daily fetch at scale: ~20 new papers stored beside years of history. Each rep takes
another real day of ``digests/train`` (17-23 papers, all digest-tagged, so no tagger is learned in
the timing — the bot keeps its tagger for hours), moved two years on (arXiv ids ``2412.x`` →
``2612.x``, dates 2024 → 2026) so its papers are new and newest, as a fetched day's are, and times
:func:`bot.pipeline.import_paths` (the ``paperboy import`` path: parse, check, merge, write, full-text
index, ``tag_days``) on it:

- into an empty store (a fresh file, opened before the clock starts), and
- into the cached synthetic store of ``--papers`` papers (``benchmarks/synth.py``; built on first
  use, ~5 GB for a million), opened once and kept open as the bot does. After each rep the day's
  rows are deleted again (the full-text trigger takes them out of the index), so every rep meets
  the same million papers and the cached file stays as built.

One unmeasured round first warms both (page cache, imports). Goal: median into the big store
≤ 2× the median into the empty one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_import import default_data, shift_years, shifted_entries  # noqa: E402
from synth import build_db  # noqa: E402

from bot.pipeline import import_paths  # noqa: E402
from bot.sources.digest import load_file  # noqa: E402
from bot.store import Store  # noqa: E402

YEARS = 2  # past the synthetic history (it ends 2025-11-21, ids up to 2511.x)


def real_days(train: Path, count: int) -> list[Path]:
    """``count`` days of 17-23 papers, every one tagged by the digest, spread over the archive."""
    fit = []
    for f in sorted(train.glob("*.json")):
        entries = json.loads(f.read_text(encoding="utf-8"))
        if 17 <= len(entries) <= 23 and all(e.get("classification") for e in entries):
            fit.append(f)
    if len(fit) < count:
        raise SystemExit(f"only {len(fit)} days of 17-23 tagged papers in {train}; ask for fewer --reps")
    step = len(fit) / count
    return [fit[int(i * step)] for i in range(count)]


def shifted_day(src: Path, out: Path) -> Path:
    dest = out / (shift_years(src.stem, YEARS) + ".json")
    entries = shifted_entries(json.loads(src.read_text(encoding="utf-8")), YEARS)
    dest.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return dest


def timed_import(store: Store, day_file: Path) -> float:
    """Seconds to import ``day_file`` into ``store`` (all of whose papers must be new to it)."""
    t = time.perf_counter()
    report = import_paths(store, [day_file])
    elapsed = time.perf_counter() - t
    if report.errors or report.stats.new != report.papers:
        raise SystemExit(f"{day_file}: expected only new papers, got {report.stats} {report.errors}")
    return elapsed


def _ids(day_file: Path) -> list[str]:
    return sorted({p.arxiv_id for p in load_file(day_file).papers})


def undo(store: Store, ids: list[str], expected: int) -> None:
    """Delete the rows a rep added (the delete trigger takes them out of the full-text index)."""
    marks = ",".join("?" * len(ids))
    with store.db.atomic():
        for table in ("tag_days", "paper_tags", "appearances", "papers"):
            store.db.conn.execute(f"DELETE FROM {table} WHERE arxiv_id IN ({marks})", ids)
    if store.count_papers() != expected:
        raise SystemExit(f"undo left {store.count_papers()} papers, expected {expected}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    train = args.data / "digests" / "train"
    if not train.exists():
        print(f"No sample data at {train}; pass --data.", file=sys.stderr)
        return 2
    big_path = build_db(None, args.papers, args.seed)
    with tempfile.TemporaryDirectory() as tmpdir, Store(big_path) as big:
        tmp = Path(tmpdir)
        n = big.count_papers()
        days = [shifted_day(f, tmp) for f in real_days(train, args.reps + 1)]
        taken = [i for d in days for i in _ids(d) if big.get(i) is not None]
        if taken:
            raise SystemExit(f"the shifted ids {taken[:3]} are already in {big_path}; it is not the store expected")
        empty_s, big_s = [], []
        for i, day in enumerate(days):  # day 0 warms up, unmeasured
            with Store(tmp / f"empty-{i}.db") as empty:
                e = timed_import(empty, day)
            b = timed_import(big, day)
            ids = _ids(day)
            undo(big, ids, n)
            if i:
                empty_s.append(e)
                big_s.append(b)
            print(f"  {day.stem}: {len(ids)} papers  empty store {e * 1000:7.1f} ms   "
                  f"{n:,}-paper store {b * 1000:7.1f} ms{'   (warm-up)' if not i else ''}")
        big.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    e_med, b_med = statistics.median(empty_s), statistics.median(big_s)
    print(f"median of {args.reps} days: empty {e_med * 1000:.1f} ms (min {min(empty_s) * 1000:.1f}, "
          f"max {max(empty_s) * 1000:.1f}); {n:,} papers {b_med * 1000:.1f} ms (min {min(big_s) * 1000:.1f}, "
          f"max {max(big_s) * 1000:.1f})")
    print(f"goal 3: one day into {n:,} papers ≤ 2× into an empty store → {b_med / e_med:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
