"""How good and how fast is ``paperboy similar``? Relevance on the real tagged days, latency at a million.

Run: ``PAPERBOY_SHARED=../shared .venv/bin/python benchmarks/bench_similar.py [--scale 1000000] [--queries 200]
[--skip-relevance]``

Relevance. The 156 real days of ``digests/train`` go into a fresh store with the digests' tags taken
off and replaced by OUR tagger's (``bot.tagging.Tagger``, which in the bot learns from digest-tagged
papers). So that no paper's own reference tags leak into its guess, the tagging is cross-fitted: the
papers are split in two halves by day (even / odd day index), and each half is tagged by the shipped
tagger's code with weights trained by ``scripts/train_tagger.py`` on the other half only (so this part
needs ``pip install -e '.[train]'``). The digest tags stay aside as the ground truth. For every paper with
at least one reference task tag (a taxonomy task, not a modality, not "Other"), each method's top 10
(the query paper itself excluded) is scored by the share of those 10 that have a reference task tag in
common with it (fewer than 10 answers count as misses). Three methods, same run, same store:

- ``similar``: :func:`bot.similar.similar_papers`;
- ``fts rarest words``: the plain full-text "more like this" — the query paper's 10 rarest words
  (seen in at least one other paper) OR-ed through FTS5, best BM25 first;
- ``random``: 10 other papers drawn at random (seeded);
- and, to show what each half of the score brings, ``similar`` re-ranked by its words alone and by its
  tags alone (same candidates).

Latency. ``--scale N`` times ``similar_papers`` for ``--queries`` random papers of the synthetic
N-paper store of ``benchmarks/synth.py`` (built and cached on first use: ~6-16 min and 6.65 GB for a
million), after one warm-up pass over as many other papers, and prints p50/p95/max over all of them
and over those that found an answer (on synthetic text most papers have no word rare enough, and
those answers are quick), the same queries again (their pages now cached by the OS: the first pass
reads much of the 6.65 GB file from disk), the FTS baseline on the first 40, and the RSS growth of the process over
the queries (the index stays on disk; what is kept between queries is at most the 50,000 words found
too common to count again).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import similar  # noqa: E402
from bot.models import Paper  # noqa: E402
from bot.similar import TASK_TAGS, similar_papers  # noqa: E402
from bot.sources.digest import load_file  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.tag_model import LinearTagModel  # noqa: E402
from bot.tagging import Tagger  # noqa: E402

TOP = 10
BASELINE_QUERIES = 40  # the plain FTS baseline takes seconds a query at a million papers


def shared_dir() -> Path:
    return Path(os.environ.get("PAPERBOY_SHARED", ROOT.parent / "shared"))


def load_days(folder: Path) -> list[tuple[str, list[Paper]]]:
    days = []
    for path in sorted(folder.glob("*.json")):
        days.append((path.stem, load_file(path).papers))
    return days


def fold_taggers(other_halves: list[list[Paper]]) -> list[Tagger]:
    """One tagger per fold that has seen only the other half: the shipped model's code with weights
    trained on that half (``scripts/train_tagger.py``, needs the ``[train]`` extra, ~1 min a half).

    Why not the shipped weights: they were trained on every one of these papers, so their tags here
    would be in-sample (they share a reference task tag for 98.5% of the papers, against ~80% on
    unseen ones) and would flatter the tag half of the score.
    """
    try:
        import sklearn  # noqa: F401
    except ImportError:
        sys.exit("bench_similar.py relevance trains the tagger on each half: pip install -e '.[train]' first "
                 "(or pass --skip-relevance).")
    spec = importlib.util.spec_from_file_location("train_tagger", ROOT / "scripts" / "train_tagger.py")
    assert spec and spec.loader
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    taggers = []
    for half in other_halves:
        tagger = Tagger(LinearTagModel(trainer.train(half)))
        tagger.learn(half)  # skips them all (the weights were trained on them): kept for the bot's path
        taggers.append(tagger)
    return taggers


def build_store(path: Path, days: list[tuple[str, list[Paper]]]) -> dict[str, set[str]]:
    """Store the days with cross-fitted tagger tags; return the reference task tags per paper."""
    truth: dict[str, set[str]] = defaultdict(set)
    fold_of: dict[str, int] = {}
    for i, (_, papers) in enumerate(days):
        for p in papers:
            truth[p.arxiv_id].update(t for t in p.tags if t in TASK_TAGS)
            fold_of.setdefault(p.arxiv_id, i % 2)
    taggers = fold_taggers([[p for _, ps in days for p in ps if fold_of[p.arxiv_id] != fold and p.tags]
                            for fold in (0, 1)])
    with Store(path) as store:
        for _, papers in days:
            stripped = [replace(p, tags=[], tags_source="") for p in papers]
            tagged = [replace(p, tags=taggers[fold_of[p.arxiv_id]].tag(p), tags_source="auto") for p in stripped]
            store.upsert_papers(tagged)
    return truth


def fts_baseline(store: Store, paper: Paper, limit: int = TOP) -> list[str]:
    """The plain full-text "more like this": the paper's rarest words, OR-ed, best BM25 first."""
    index = store.similar
    words_of = set(index.tokenizer.surface_words([paper.title, paper.summary, paper.abstract]).values())
    dfs = index.capped_doc_freqs(sorted(words_of), similar.df_cap(index.paper_count()))
    words = [w for _, w in sorted((df, w) for w, df in dfs.items() if df > 1)[:10]]
    if not words:
        return []
    found = index.matches(" OR ".join(f'"{w}"' for w in words), limit + 1)
    return [aid for aid, _ in found if aid != paper.arxiv_id][:limit]


def share(query: str, answer: list[str], truth: dict[str, set[str]]) -> float:
    hits = sum(1 for other in answer[:TOP] if truth.get(other, set()) & truth[query])
    return hits / TOP


@contextlib.contextmanager
def reweighted(text: float, tags: float) -> Iterator[None]:
    """The ablation rows: the same candidates, re-ranked by words alone or by tags alone."""
    saved = similar.TEXT_WEIGHT, similar.TAG_WEIGHT
    similar.TEXT_WEIGHT, similar.TAG_WEIGHT = text, tags
    try:
        yield
    finally:
        similar.TEXT_WEIGHT, similar.TAG_WEIGHT = saved


def relevance(data: Path) -> None:
    days = load_days(data / "digests" / "train")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "similar.db"
        t0 = time.perf_counter()
        truth = build_store(path, days)
        build = time.perf_counter() - t0
        rng = random.Random(11)
        with Store(path, readonly=True) as store:
            ids = sorted(truth)
            queries = [a for a in ids if truth[a]]
            tagger_ok = sum(1 for a in queries if set(store.tags_of(a)) & truth[a]) / len(queries)
            rows = {"similar": [], "  words only": [], "  tags only": [], "fts rarest words": [], "random": []}
            for aid in queries:
                paper, matches = similar_papers(store, aid, TOP)
                rows["similar"].append(share(aid, [m.paper.arxiv_id for m in matches], truth))
                for name, weights in (("  words only", (1.0, 0.0)), ("  tags only", (0.0, 1.0))):
                    with reweighted(*weights):
                        _, matches = similar_papers(store, aid, TOP)
                    rows[name].append(share(aid, [m.paper.arxiv_id for m in matches], truth))
                rows["fts rarest words"].append(share(aid, fts_baseline(store, paper), truth))
                others = [o for o in rng.sample(ids, TOP + 1) if o != aid][:TOP]
                rows["random"].append(share(aid, others, truth))
    print(f"relevance: {len(ids):,} papers from {len(days)} real days, {len(queries):,} queries with a reference "
          f"task tag; store built and cross-fit tagged in {build:.1f}s; our tagger's tags share a reference task "
          f"tag for {tagger_ok:.1%} of them")
    base = statistics.fmean(rows["random"])
    print(f"{'method':<20}{'share of top 10 sharing a task tag':>38}{'x random':>10}")
    for name, values in rows.items():
        mean = statistics.fmean(values)
        print(f"{name:<20}{mean:>38.3f}{mean / base:>10.2f}")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def latency(n: int, queries: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synth import build_db

    path = build_db(None, n)
    rng = random.Random(5)
    with Store(path, readonly=True) as store:
        total = store.similar.paper_count()
        picks = rng.sample(range(1, total + 1), 2 * queries)
        ids = store.similar.ids_at(picks)
        warm, timed = ids[:queries], ids[queries:]
        for aid in warm:
            similar_papers(store, aid, TOP)
        before = rss_mb()
        times: dict[str, list[float]] = {"similar": [], "similar, answers found": [], "fts rarest words": []}
        answered = 0
        for k, aid in enumerate(timed):
            t0 = time.perf_counter()
            paper, found = similar_papers(store, aid, TOP)
            took = (time.perf_counter() - t0) * 1000
            times["similar"].append(took)
            if found:  # on synthetic text most papers have no word rare enough: those answers are quick
                answered += 1
                times["similar, answers found"].append(took)
            if k < BASELINE_QUERIES:  # seconds a query: a sample is enough
                t0 = time.perf_counter()
                fts_baseline(store, paper)
                times["fts rarest words"].append((time.perf_counter() - t0) * 1000)
        grew = rss_mb() - before
        for aid in timed:  # the same queries again: their pages are now in the OS cache
            t0 = time.perf_counter()
            _, found = similar_papers(store, aid, TOP)
            took = (time.perf_counter() - t0) * 1000
            times.setdefault("similar, 2nd pass", []).append(took)
            if found:
                times.setdefault("similar, 2nd, answers", []).append(took)
    print(f"latency at {total:,} papers, {len(timed)} queries (after {len(warm)} warm-up queries), "
          f"{answered} with an answer; RSS grew {grew:+.1f} MB over them")
    print(f"{'method':<24}{'queries':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, values in times.items():
        if values:
            print(f"{name:<24}{len(values):>8}{pct(values, 0.5):>10.1f}{pct(values, 0.95):>10.1f}{max(values):>10.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder (default: $PAPERBOY_SHARED/data)")
    ap.add_argument("--scale", type=int, default=0, help="also time queries on a synthetic store of this many papers")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--skip-relevance", action="store_true")
    args = ap.parse_args()
    if not args.skip_relevance:
        relevance(args.data or shared_dir() / "data")
    if args.scale:
        latency(args.scale, args.queries)


if __name__ == "__main__":
    main()
