"""Import speed on the real digest days, against the floor measured in the same run, and its linearity.

Run: .venv/bin/python benchmarks/bench_import.py [--data $PAPERBOY_SHARED/data] [--reps 3] [--scales 1,2,4]

What it measures (issue 9, goals 1 and 2), each the median of ``--reps`` runs:

- the floor: a minimal parse (``json.loads`` and picking the fields) of every day in
  ``digests/train``, then sqlite-utils ``insert_all`` of the same rows (papers with every column,
  appearances, paper_tags, tag_days) into plain tables without keys, indexes or full-text search —
  what storing these rows cannot beat;
- our import: :func:`bot.pipeline.import_paths` (the ``paperboy import`` code path: parse, check,
  tag, merge, upsert with full-text index and ``tag_days``) into a fresh store. Goal: ≤ 4× the floor;
- linearity: the same at 2× and 4× the data, made of copies of the days shifted back by two years
  each (arXiv ids ``2410.x`` → ``2210.x``, dates 2024 → 2022), so every copy is new papers on new
  days. Goal: 4× the data in ≤ 5× the time of 1×.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlite_utils import Database  # noqa: E402

from bot.pipeline import ImportReport, import_paths  # noqa: E402
from bot.store import Store  # noqa: E402

_ID_RE = re.compile(r"(\d\d)(\d\d\.\d{4,5})")


def default_data() -> Path:
    shared = os.environ.get("PAPERBOY_SHARED")
    return Path(shared) / "data" if shared else ROOT.parent / "shared" / "data"


def shift_years(day: str, years: int) -> str:
    """``day`` moved by ``years`` (29 February becomes the 28th in a year without one)."""
    y, m, d = int(day[:4]) + years, day[5:7], day[8:10]
    if (m, d) == ("02", "29") and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        d = "28"
    return f"{y:04d}-{m}-{d}{day[10:]}"


def shifted_entries(entries: list[dict], years: int) -> list[dict]:
    """Digest entries as if published ``years`` later: arXiv ids (YYMM) and dates moved alike."""
    out = []
    for e in entries:
        e = dict(e)
        e["link"] = _ID_RE.sub(lambda m: f"{int(m[1]) + years:02d}{m[2]}", e.get("link") or "")
        if isinstance(e.get("date"), str):
            e["date"] = shift_years(e["date"], years)
        out.append(e)
    return out


def write_copies(train: Path, out: Path, copies: int, step_years: int = -2) -> list[Path]:
    """``copies`` folders of every day in ``train``, copy k shifted by ``k * step_years`` years."""
    folders = []
    for k in range(copies):
        folder = out / f"copy{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in sorted(train.glob("*.json")):
            entries = shifted_entries(json.loads(f.read_text(encoding="utf-8")), k * step_years)
            name = shift_years(f.stem, k * step_years) + ".json"
            (folder / name).write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
        folders.append(folder)
    return folders


def floor(folders: list[Path], db_file: Path) -> float:
    """Seconds for the minimal import: parse the JSON, pick the fields, ``insert_all`` into plain tables.

    The same rows as the store's four paper tables (``papers`` with all its columns, appearances,
    paper_tags, tag_days), but no keys, indexes, full-text index, merging or checks.
    """
    t = time.perf_counter()
    papers, appearances, tags, tag_days = [], [], [], []
    for folder in folders:
        for f in sorted(folder.glob("*.json")):
            for e in json.loads(f.read_text(encoding="utf-8")):
                m = _ID_RE.search(e.get("link") or "")
                if not m:
                    continue
                aid, day, classes = m[0], e.get("date") or f.stem, e.get("classification") or []
                authors = [a.strip() for a in (e.get("authors") or "").split(",")]
                papers.append({
                    "arxiv_id": aid, "title": e.get("title") or "", "authors": json.dumps(authors), "abstract": "",
                    "summary": e.get("summary") or "", "github_urls": json.dumps(e.get("github_urls") or []),
                    "huggingface_urls": json.dumps(e.get("huggingface_urls") or []), "project_page": "",
                    "upvotes": 0, "keywords": "[]", "published_at": "", "source": "digest-json",
                    "summary_source": "digest-json", "authors_source": "digest-json", "tags_source": "digest",
                    "last_day": day, "created_at": "", "updated_at": "", "tags_text": " ".join(classes)})
                appearances.append({"arxiv_id": aid, "day": day, "source": "digest-json", "upvotes": 0})
                tags += [{"arxiv_id": aid, "tag": c, "position": i} for i, c in enumerate(classes)]
                tag_days += [{"tag": c, "day": day, "upvotes": 0, "arxiv_id": aid} for c in classes]
    db = Database(sqlite3.connect(str(db_file), isolation_level=None))
    db.execute("PRAGMA journal_mode=WAL")  # the store's settings, so only the work differs
    db.execute("PRAGMA synchronous=NORMAL")
    for name, rows in (("papers", papers), ("appearances", appearances), ("paper_tags", tags),
                       ("tag_days", tag_days)):
        db[name].insert_all(rows)
    db.close()
    return time.perf_counter() - t


def ours(folders: list[Path], db_file: Path) -> tuple[float, ImportReport]:
    """Seconds for the real import into a fresh store (opened, so migrated, before the clock starts)."""
    with Store(db_file) as store:
        t = time.perf_counter()
        report = import_paths(store, folders)
        elapsed = time.perf_counter() - t
    if report.errors:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    return elapsed, report


def _fresh(tmp: Path) -> Path:
    """A database path in ``tmp`` with nothing at it (nor its -wal/-shm)."""
    db_file = tmp / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    return db_file


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scales", default="1,2,4", help="multiples of the data for the linearity check")
    args = ap.parse_args()
    train = args.data / "digests" / "train"
    if not train.exists():
        print(f"No sample data at {train}; pass --data.", file=sys.stderr)
        return 2
    scales = [int(s) for s in args.scales.split(",")]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        copies = write_copies(train, tmp / "data", max(scales))
        days = len(list(train.glob("*.json")))
        print(f"{days} real days from {train}; {args.reps} rounds, each running every size in turn "
              "(so a slower moment of the machine hits all sizes alike); median and fastest of the rounds")
        floor_s: dict[int, list[float]] = {k: [] for k in scales}
        ours_s: dict[int, list[float]] = {k: [] for k in scales}
        reports: dict[int, ImportReport] = {}
        for _ in range(args.reps):
            for k in scales:
                floor_s[k].append(floor(copies[:k], _fresh(tmp)))
                elapsed, reports[k] = ours(copies[:k], _fresh(tmp))
                ours_s[k].append(elapsed)
        print(f"{'data':>5} {'entries':>8} {'papers':>7} {'floor':>16} {'import':>16} {'import/floor':>16}")
        for k in scales:
            f_med, f_min = statistics.median(floor_s[k]), min(floor_s[k])
            o_med, o_min = statistics.median(ours_s[k]), min(ours_s[k])
            print(f"{k:>4}× {reports[k].papers:>8,} {reports[k].stats.new:>7,} "
                  f"{f_med:>7.3f}s/{f_min:.3f}s {o_med:>7.3f}s/{o_min:.3f}s "
                  f"{o_med / f_med:>7.2f}×/{o_min / f_min:.2f}×")
        k0, kn = scales[0], scales[-1]
        for k in scales[1:]:
            print(f"linearity: {k}× the data took {_grow(ours_s, k0, k)} the time of {k0}× "
                  f"(the floor: {_grow(floor_s, k0, k)})")
        print(f"goal 1: import ≤ 4× the floor → {statistics.median(ours_s[k0]) / statistics.median(floor_s[k0]):.2f}× "
              f"(fastest runs {min(ours_s[k0]) / min(floor_s[k0]):.2f}×); goal 2: {kn}× the data in ≤ 5× the time → "
              f"{_grow(ours_s, k0, kn)}")
    return 0


def _grow(times: dict[int, list[float]], small: int, big: int) -> str:
    """How many times longer ``big`` took than ``small``: medians, then fastest runs."""
    med = statistics.median(times[big]) / statistics.median(times[small])
    return f"{med:.2f}× (fastest runs {min(times[big]) / min(times[small]):.2f}×)"


if __name__ == "__main__":
    raise SystemExit(main())
