"""Import throughput: every sample digest day through the real import path, in papers per second.

Run: .venv/bin/python benchmarks/bench_import.py [--data ../shared/data] [--reps 5]
Prints the full import (parse + tag + upsert into a fresh SQLite file), and in the same run two
reference points: parsing alone, and re-importing into the already-filled file (the idempotent case).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.pipeline import import_paths  # noqa: E402
from bot.sources.digest import find_files, load_file  # noqa: E402
from bot.store import Store  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    digests = args.data / "digests"
    seed = args.data.parent / "seed" / "papers-2025-01-24.md"
    if not digests.exists():
        print(f"No sample data at {digests}; pass --data.", file=sys.stderr)
        return 2
    paths = [digests, *([seed] if seed.exists() else [])]
    files = find_files(paths)
    entries = sum(len(load_file(f).papers) for f in files)

    parse, fresh, again = [], [], []
    for _ in range(args.reps):
        t = time.perf_counter()
        for f in files:
            load_file(f)
        parse.append(time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
            t = time.perf_counter()
            report = import_paths(store, paths)
            fresh.append(time.perf_counter() - t)
            t = time.perf_counter()
            import_paths(store, paths)
            again.append(time.perf_counter() - t)
    assert not report.errors, report.errors

    def row(name: str, times: list[float]) -> str:
        med = statistics.median(times)
        return f"{name:<38} {med * 1000:9.1f} ms  {entries / med:10.0f} papers/s"

    print(f"{len(files)} files, {entries} paper entries ({report.stats.new} distinct papers), "
          f"median of {args.reps} runs")
    print(row("parse only (reference)", parse))
    print(row("import into a fresh SQLite file", fresh))
    print(row("re-import (nothing changes)", again))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
