"""How fast is ``Store.query`` at a million papers, and how much do its indexes buy over a full scan?

Why: the store's schema (``tag_days``, FTS5, ``_query_sql`` picking a driving index) exists so a
Discord command answers in milliseconds however large the archive grows. The issue's target is p95
≤ 5 ms for tag+date and full-text queries, at ≥ 100x a full scan. This runs the real code path
(``Store.query`` with a page of 10, hydration into ``Paper`` objects included) on a synthetic store
built by ``synth.py``, and in the same run computes the same answers by a full scan of ``papers``
(``NOT INDEXED``; tags and days looked up per row, text by ``LIKE '%term%'``) to get the speed-up
and to check that both return the same ids. It prints figures and asserts nothing.

Full-text terms are measured per document-frequency band, because cost depends on it: "rare" are
per-paper method names, "common" are in a quarter or more of all papers. Every term is checked to
mean the same thing to FTS5 (porter stemming, prefix) and to ``LIKE`` over everything the generator
can write, so baseline and index must agree exactly.

    .venv/bin/python benchmarks/bench_query.py --papers 50000           # quick
    .venv/bin/python benchmarks/bench_query.py                          # 1,000,000 papers
    .venv/bin/python benchmarks/bench_query.py --json > out.json        # machine-readable
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from synth import FUNCTION_WORDS, build_db, method_names, name_parts, vocabulary

from bot.store import Query, Store, fts_expression

PAGE = 10
TARGET_MS = 5.0
TARGET_SPEEDUP = 100.0
BANDS = ("rare", "uncommon", "medium", "common")
# Share of papers a term appears in, per band (bounds on the *measured* document frequency).
BAND_RANGES = {"rare": (0.0, 0.0002), "uncommon": (0.0005, 0.004), "medium": (0.005, 0.03),
               "common": (0.2, 1.0)}
TARGETED = ("tag+day", "text", "text two words")  # the mixes the issue sets the 5 ms target for


def say(text: str = "") -> None:
    print(text, file=sys.stderr, flush=True)


# ---- picking realistic parameters ---------------------------------------------------------------


class TermPicker:
    """Query terms whose FTS5 meaning equals ``LIKE '%term%'`` over every token the generator writes.

    FTS5 with the porter tokenizer matches stems and (last word) prefixes; LIKE matches substrings.
    They agree for a term exactly when, over all possible tokens, the tokens each one accepts are the
    same. Checking that in a small in-memory FTS table of every token is exact and takes milliseconds.
    """

    def __init__(self, seed: int) -> None:
        vocab = vocabulary(seed)
        tokens = list(dict.fromkeys([*vocab.words, *method_names(), *name_parts()]))
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE t USING fts5(w, tokenize='porter unicode61')")
        self.db.executemany("INSERT INTO t (w) VALUES (?)", [(w,) for w in tokens])

    def safe(self, term: str) -> bool:
        like = {r[0] for r in self.db.execute("SELECT rowid FROM t WHERE w LIKE ?", [f"%{term}%"])}
        for expr in (f'"{term}"', f'"{term}"*'):
            if like != {r[0] for r in self.db.execute("SELECT rowid FROM t WHERE t MATCH ?", [expr])}:
                return False
        return True


def pick_terms(store: Store, seed: int, per_band: int = 8) -> dict[str, list[tuple[str, int]]]:
    """``per_band`` safe terms per frequency band, with their measured document frequency."""
    n = store.count_papers()
    vocab = vocabulary(seed)
    picker = TermPicker(seed)
    rng = random.Random(f"terms:{seed}")
    doc_len = 300  # words per paper (title + summary + abstract), near enough to rank candidates
    expected = {w: 1 - (1 - vocab.probability(r)) ** doc_len for r, w in enumerate(vocab.words)}
    function = set(FUNCTION_WORDS)
    out: dict[str, list[tuple[str, int]]] = {}
    for band in BANDS:
        lo, hi = BAND_RANGES[band]
        if band == "rare":
            candidates = method_names()
        else:
            candidates = [w for w, f in expected.items() if lo * 0.5 <= f <= min(1.0, hi * 2) and w not in function]
        rng.shuffle(candidates)
        chosen: list[tuple[str, int]] = []
        for term in candidates:
            if len(chosen) >= per_band:
                break
            if not term.isalnum() or not picker.safe(term):
                continue
            df = store.db.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?",
                                  [fts_expression(term)]).fetchone()[0]
            if df and lo <= df / n <= hi:
                chosen.append((term, df))
        out[band] = chosen
    return out


@dataclass
class World:
    """What random queries are drawn from: the days that exist, tags by frequency, terms by band."""

    days: list[str]
    tags: list[str]
    tag_cum: list[int]
    terms: dict[str, list[tuple[str, int]]]

    def tag(self, rng: random.Random) -> str:
        return rng.choices(self.tags, cum_weights=self.tag_cum)[0]

    def term(self, rng: random.Random, band: str) -> str:
        return rng.choice(self.terms[band])[0]


# ---- the mixes ------------------------------------------------------------------------------------


@dataclass
class Mix:
    """A named family of queries; ``make`` draws one from the world with the mix's own RNG."""

    name: str
    make: Callable[[World, random.Random], Query]
    band: str = ""
    count: bool = False  # time Store.count instead of Store.query

    @property
    def label(self) -> str:
        return f"{self.name} [{self.band}]" if self.band else self.name


def _range(w: World, rng: random.Random) -> tuple[str, str]:
    i = rng.randrange(len(w.days))
    return w.days[i], w.days[min(len(w.days) - 1, i + rng.randint(4, 60))]


def mixes() -> list[Mix]:
    """The query families a reader's ``/papers`` produces; text mixes split by term frequency, because
    a plan that is fast for a rare word can be slow for a common one and the reverse."""
    def two_words(w: World, r: random.Random) -> Query:
        a, b = w.term(r, r.choice(("medium", "common"))), w.term(r, r.choice(("medium", "common")))
        return Query(text=f"{a} {b}", limit=PAGE)

    out = [
        Mix("tag+day", lambda w, r: Query(tags=[w.tag(r)], day=r.choice(w.days), limit=PAGE)),
        Mix("tag", lambda w, r: Query(tags=[w.tag(r)], limit=PAGE)),
        Mix("day", lambda w, r: Query(day=r.choice(w.days), limit=PAGE)),
    ]
    for band in BANDS:
        out.append(Mix("text", lambda w, r, b=band: Query(text=w.term(r, b), limit=PAGE), band))
    out.append(Mix("text two words", two_words))
    for band in BANDS:
        out.append(Mix("text+tag", lambda w, r, b=band: Query(text=w.term(r, b), tags=[w.tag(r)], limit=PAGE),
                       band))
    out.append(Mix("text+day", lambda w, r: Query(text=w.term(r, r.choice(BANDS)), day=r.choice(w.days),
                                                  limit=PAGE)))
    out.append(Mix("range+tag", _range_tag))
    out.append(Mix("count(tag)", lambda w, r: Query(tags=[w.tag(r)]), count=True))
    return out


def _range_tag(w: World, r: random.Random) -> Query:
    since, until = _range(w, r)
    return Query(tags=[w.tag(r)], since=since, until=until, limit=PAGE)


# ---- the baseline: same answers, no purpose-built index ------------------------------------------


def baseline_sql(q: Query) -> tuple[str, list]:
    """The answer to ``q`` by one pass over every paper row (``papers NOT INDEXED``).

    Tags are matched with LIKE on the paper's joined tag string and days looked up per row, so the
    cost is the scan whatever the filters; text is ``LIKE '%word%'`` on any searchable column per word.
    Ordered and limited like ``Store.query`` (latest day in range, upvotes, id).
    """
    since, until = (q.day, q.day) if q.day else (q.since, q.until)
    conds: list[str] = []
    params: list = []
    for tag in dict.fromkeys(q.tags):
        conds.append("(SELECT '|' || group_concat(t.tag, '|') || '|' FROM paper_tags t "
                     "WHERE t.arxiv_id = p.arxiv_id) LIKE ?")
        params.append(f"%|{tag}|%")
    if q.text:
        for word in "".join(c if c.isalnum() else " " for c in q.text).split():
            conds.append("(p.title LIKE ? OR p.authors LIKE ? OR p.summary LIKE ? OR p.abstract LIKE ?)")
            params += [f"%{word}%"] * 4
    day_params: list = []
    if since or until:
        day = ("(SELECT max(a.day) FROM appearances a WHERE a.arxiv_id = p.arxiv_id "
               "AND a.day BETWEEN ? AND ?)")
        day_params = [since or "0000-00-00", until or "9999-99-99"]
    else:
        day = "p.last_day"
    where = " AND ".join(conds) or "1"
    inner = f"SELECT p.arxiv_id, p.upvotes, {day} AS d FROM papers AS p NOT INDEXED WHERE {where}"
    sql = f"SELECT arxiv_id FROM ({inner}) WHERE d IS NOT NULL AND d != '' ORDER BY d DESC, upvotes DESC, arxiv_id"
    return sql, [*day_params, *params]


def run_baseline(store: Store, q: Query, count: bool) -> list[str] | int:
    sql, params = baseline_sql(q)
    if count:
        return store.db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    return [r[0] for r in store.db.execute(f"{sql} LIMIT ? OFFSET ?", [*params, q.limit, q.offset])]


def run_indexed(store: Store, q: Query, count: bool) -> list[str] | int:
    if count:
        return store.count(q)
    return [p.arxiv_id for p in store.query(q)]


# ---- measuring --------------------------------------------------------------------------------------


def percentile(xs: list[float], p: float) -> float:
    """Nearest-rank percentile (no interpolation: with few samples it reports a real observation)."""
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, math.ceil(p * len(s)) - 1))] if s else float("nan")


@dataclass
class Result:
    """Timings of one mix, indexed and baseline, and whether their answers agreed."""

    mix: str
    band: str
    indexed_ms: list[float] = field(default_factory=list)
    baseline_ms: list[float] = field(default_factory=list)
    compared: int = 0
    mismatches: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        p50 = percentile(self.indexed_ms, 0.5)
        b50 = percentile(self.baseline_ms, 0.5)
        return {
            "mix": self.mix, "band": self.band, "n": len(self.indexed_ms),
            "p50_ms": p50, "p95_ms": percentile(self.indexed_ms, 0.95),
            "p99_ms": percentile(self.indexed_ms, 0.99), "max_ms": max(self.indexed_ms, default=math.nan),
            "baseline_n": len(self.baseline_ms), "baseline_p50_ms": b50,
            "speedup": b50 / p50 if self.baseline_ms and p50 > 0 else None,
            "compared": self.compared, "mismatches": len(self.mismatches),
        }


def measure(store: Store, world: World, mix: Mix, seed: int, reps: int, base_reps: int,
            budget_s: float) -> Result:
    """``reps`` random queries of the mix (fewer if ``budget_s`` runs out, never under 5), then the
    first ``base_reps`` of the very same queries by full scan, comparing the ids."""
    rng = random.Random(f"{seed}:{mix.label}")
    queries = [mix.make(world, rng) for _ in range(reps)]
    res = Result(mix.name, mix.band)
    answers = []
    for q in queries[:3]:  # warm the connection's page cache and statement cache
        run_indexed(store, q, mix.count)
    start = time.perf_counter()
    for i, q in enumerate(queries):
        t = time.perf_counter_ns()
        answer = run_indexed(store, q, mix.count)
        res.indexed_ms.append((time.perf_counter_ns() - t) / 1e6)
        answers.append(answer)
        if i >= 4 and time.perf_counter() - start > budget_s:
            break
    for q, answer in zip(queries[:base_reps], answers, strict=False):
        t = time.perf_counter_ns()
        expected = run_baseline(store, q, mix.count)
        res.baseline_ms.append((time.perf_counter_ns() - t) / 1e6)
        res.compared += 1
        if expected != answer:
            res.mismatches.append({"query": _describe(q), "indexed": answer, "baseline": expected})
    return res


def _describe(q: Query) -> dict:
    return {k: v for k, v in {"tags": q.tags, "day": q.day, "since": q.since, "until": q.until,
                              "text": q.text}.items() if v}


def plans(store: Store, world: World, seed: int) -> list[dict]:
    """EXPLAIN QUERY PLAN of one query per mix: what SQLite actually does, for the report."""
    out = []
    for mix in mixes():
        q = mix.make(world, random.Random(f"{seed}:{mix.label}"))
        sql, params = store._query_sql(q)
        if mix.count:
            sql = f"SELECT count(*) FROM ({sql})"
        else:
            sql, params = sql + " LIMIT ? OFFSET ?", [*params, q.limit, q.offset]
        rows = store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        out.append({"mix": mix.label, "query": _describe(q), "plan": [r[3] for r in rows]})
    return out


def warm_file(path: Path) -> None:
    """Read the db once so timings are of a warm OS cache, as on a bot that has been running."""
    for p in (path, Path(str(path) + "-wal")):
        if p.exists():
            with p.open("rb") as f:
                while f.read(1 << 24):
                    pass


# ---- report -------------------------------------------------------------------------------------------


def table(rows: list[dict]) -> str:
    head = (f"{'mix':<26}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
            f"{'scan n':>8}{'scan p50 ms':>13}{'speed-up':>10}{'same ids':>10}  target")
    lines = [head, "-" * len(head)]
    for r in rows:
        label = f"{r['mix']} [{r['band']}]" if r["band"] else r["mix"]
        speed = f"{r['speedup']:,.0f}x" if r["speedup"] else "-"
        same = f"{r['compared'] - r['mismatches']}/{r['compared']}"
        target = "-"
        if r["mix"] in TARGETED:
            ok = r["p95_ms"] <= TARGET_MS and (r["speedup"] or 0) >= TARGET_SPEEDUP
            target = "met" if ok else "MISSED"
        lines.append(f"{label:<26}{r['n']:>5}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['p99_ms']:>9.2f}"
                     f"{r['max_ms']:>9.1f}{r['baseline_n']:>8}{r['baseline_p50_ms']:>13,.0f}{speed:>10}"
                     f"{same:>10}  {target}")
    return "\n".join(lines)


def combined(results: list[Result], mix: str) -> dict:
    """One row over all bands of a mix: what a user typing arbitrary terms would see."""
    merged = Result(mix, "all bands")
    for r in results:
        if r.mix == mix:
            merged.indexed_ms += r.indexed_ms
            merged.baseline_ms += r.baseline_ms
            merged.compared += r.compared
            merged.mismatches += r.mismatches
    return merged.summary()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=200, help="indexed queries per mix")
    ap.add_argument("--baseline-reps", type=int, default=5, help="full-scan queries per mix")
    ap.add_argument("--budget", type=float, default=30.0, help="seconds of indexed queries per mix at most")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the synthetic db even if cached")
    ap.add_argument("--only", default="", help="run only mixes whose label contains this")
    ap.add_argument("--plans", action="store_true", help="also print EXPLAIN QUERY PLAN per mix")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    path = build_db(None, args.papers, args.seed, rebuild=args.rebuild)
    build_s = time.perf_counter() - t0
    warm_file(path)
    store = Store(path)
    n = store.count_papers()
    counts = store.tag_counts()
    days = store.days_with_papers()
    cum, total = [], 0
    for _, c in counts:
        total += c
        cum.append(total)
    say("picking query terms …")
    terms = pick_terms(store, args.seed)
    world = World(days, [t for t, _ in counts], cum, terms)
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())

    results: list[Result] = []
    for mix in mixes():
        if args.only and args.only not in mix.label:
            continue
        if mix.band and not terms.get(mix.band):
            say(f"{mix.label}: no terms in this band at this size, skipped")
            continue
        say(f"{mix.label} …")
        res = measure(store, world, mix, args.seed, args.reps, args.baseline_reps, args.budget)
        results.append(res)
        s = res.summary()
        say(f"  p50 {s['p50_ms']:.2f} ms  p95 {s['p95_ms']:.2f} ms  scan p50 {s['baseline_p50_ms']:,.0f} ms")
    rows = []
    for mix_name in dict.fromkeys(r.mix for r in results):
        group = [r for r in results if r.mix == mix_name]
        rows += [r.summary() for r in group]
        if len(group) > 1:
            rows.append(combined(results, mix_name))
    report = {
        "papers": n, "days": len(days), "db_bytes": size, "db_path": str(path),
        "build_or_open_s": round(build_s, 1), "sqlite": sqlite3.sqlite_version,
        "terms": {b: [{"term": t, "docs": df} for t, df in ts] for b, ts in terms.items()},
        "results": rows,
        "mismatches": [dict(m, mix=r.mix, band=r.band) for r in results for m in r.mismatches],
    }
    if args.plans:
        report["plans"] = plans(store, world, args.seed)
    store.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{n:,} papers over {len(days):,} days; db {size / 1e9:.2f} GB ({path.name}); "
          f"SQLite {sqlite3.sqlite_version}; build/open {build_s:.1f}s")
    for band, ts in terms.items():
        dfs = [df for _, df in ts]
        if dfs:
            print(f"  {band:<9} terms: {len(ts)}, in {min(dfs):,}-{max(dfs):,} papers "
                  f"({min(dfs) / n:.3%}-{max(dfs) / n:.2%}), e.g. {', '.join(t for t, _ in ts[:3])}")
    print(f"page of {PAGE}; target p95 ≤ {TARGET_MS:g} ms and ≥ {TARGET_SPEEDUP:g}x the scan for "
          f"{', '.join(TARGETED)}\n")
    print(table(rows))
    for m in report["mismatches"]:
        print(f"MISMATCH {m['mix']} {m['band']} {m['query']}: indexed {m['indexed']} baseline {m['baseline']}")
    for p in report.get("plans", []):
        print(f"\n{p['mix']}  {p['query']}")
        for line in p["plan"]:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
