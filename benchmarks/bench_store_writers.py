"""How long the bot's own writes wait while `paperboy import` runs beside it, by import batch size.

One big file (every day of ../shared/data/digests/train in one JSON list, 2,165 entries, like the 3 MB
upstream README) is imported into a fresh store by a real `paperboy import` process, while another
process writes a delivery-ledger row every 20 ms (one transaction each, as delivery does) and times
each write. The baseline is one transaction for the whole file (what the store did before batching).

    PAPERBOY_SHARED=../shared .venv/bin/python benchmarks/bench_store_writers.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PAPERBOY_SHARED", ROOT.parent / "shared"))

IMPORTER = """
import sys
import bot.store.papers
bot.store.papers.BATCH_SIZE = int(sys.argv[1])
from bot.cli import main
sys.exit(main(["--db", sys.argv[2], "import", sys.argv[3]]))
"""

WRITER = r"""
import json, sys, time
from pathlib import Path
from bot.delivery import Ledger
from bot.store import Store

db, stop = sys.argv[1], Path(sys.argv[2])
waits = []
with Store(db) as store:
    ledger = Ledger(store)
    while not stop.exists():
        start = time.perf_counter()
        ledger.record_plan(f"t{len(waits)}", "2025-01-24", [{"kind": "paper", "paper_ids": [], "payload": {}}])
        waits.append(time.perf_counter() - start)
        time.sleep(0.02)
print(json.dumps(waits))
"""


def one_file(folder: Path) -> Path:
    entries = []
    for f in sorted((SHARED / "data" / "digests" / "train").glob("*.json")):
        entries += json.loads(f.read_text())
    path = folder / "all-days.json"
    path.write_text(json.dumps(entries))
    return path


def run(batch: int, big: Path, folder: Path) -> dict:
    db, stop = folder / f"b{batch}.db", folder / f"stop{batch}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(  # an empty store first, so neither process pays for creating it
        [sys.executable, "-c", "import sys; from bot.store import Store; Store(sys.argv[1]).close()",
         str(db)], env=env, check=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop)], env=env, stdout=subprocess.PIPE,
                              text=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTER, str(batch), str(db), str(big)], env=env, check=True,
                   capture_output=True)
    took = time.perf_counter() - start
    stop.touch()
    waits = sorted(json.loads(writer.communicate()[0]))
    return {"batch": batch, "import_s": took, "writes": len(waits), "p50_ms": statistics.median(waits) * 1000,
            "p99_ms": waits[int(len(waits) * 0.99)] * 1000, "max_ms": waits[-1] * 1000}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = one_file(folder)
        print(f"{'batch (papers/transaction)':>28} {'import s':>9} {'writes':>7} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'max ms':>7}")
        for batch in (10**9, 1000, 200, 50):
            r = run(batch, big, folder)
            label = "whole file (baseline)" if batch == 10**9 else str(batch)
            print(f"{label:>28} {r['import_s']:>9.2f} {r['writes']:>7} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
                  f"{r['max_ms']:>7.1f}")


if __name__ == "__main__":
    main()
