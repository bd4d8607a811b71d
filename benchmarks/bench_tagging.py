"""How good are paperboy's automatic tags? Scores them against the digests' reference tags.

Run: ``.venv/bin/python benchmarks/bench_tagging.py [--data ../shared/data]``

Why leave-one-day-out: the learner must never see the day it is scored on, or the "with learning"
row would flatter itself by recognising its training papers. Every labelled day is held out once;
the tagger learns from the other days only. The baseline (the single most frequent tag set of the
training days, e.g. NLP + Text Generation) is scored in the same run so the rows are comparable.

Caveat printed with the table: the labelled days' text is the digest's bullet summary, whereas HF
API papers carry the author abstract (and sometimes keywords), so these numbers measure the rules
on summaries; the HF sample is only checked for validity (it has no reference tags).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.models import Paper, arxiv_id_from  # noqa: E402
from bot.tagging import Tagger  # noqa: E402
from bot.taxonomy import modality_of  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"


def load_days(data: Path) -> dict[str, list[Paper]]:
    """Labelled papers per day from ``digests/seed-format/*.json`` (entries without tags dropped)."""
    days: dict[str, list[Paper]] = {}
    for path in sorted((data / "digests" / "seed-format").glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        papers = []
        for i, e in enumerate(entries):
            tags = [t for t in e.get("classification") or [] if isinstance(t, str)]
            if not tags:
                continue
            link = e.get("link") or ""
            papers.append(
                Paper(
                    arxiv_id=arxiv_id_from(link) or f"{path.stem}-{i}",
                    title=" ".join((e.get("title") or "").split()),
                    summary=e.get("summary") or "",
                    tags=tags,
                    tags_source="digest",
                    dates=[path.stem],
                )
            )
        if papers:
            days[path.stem] = papers
    return days


def load_hf_sample(data: Path) -> list[Paper]:
    """The recorded HF Daily Papers response as Papers without tags (abstract + ai_keywords)."""
    path = data / "upstream" / "ai-weekly-radar_huggingface_papers.json"
    if not path.exists():
        return []
    out = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        p = item.get("paper", item)
        out.append(
            Paper(
                arxiv_id=str(p.get("id", "")),
                title=" ".join((p.get("title") or "").split()),
                abstract=p.get("summary") or "",
                summary=p.get("ai_summary") or "",
                keywords=list(p.get("ai_keywords") or []),
            )
        )
    return out


@dataclass
class Score:
    """Micro-averaged tag scores plus main-modality accuracy over one set of predictions."""

    tp: int = 0
    n_pred: int = 0
    n_gold: int = 0
    modality_hits: int = 0
    papers: int = 0

    def add(self, pred: Sequence[str], gold: Sequence[str]) -> None:
        p, g = set(pred), set(gold)
        self.tp += len(p & g)
        self.n_pred += len(p)
        self.n_gold += len(g)
        self.modality_hits += modality_of(list(pred)) == modality_of(list(gold))
        self.papers += 1

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def modality_accuracy(self) -> float:
        return self.modality_hits / self.papers if self.papers else 0.0


def _blank(p: Paper) -> Paper:
    """The paper as the tagger must see it: no tags."""
    return replace(p, tags=[], tags_source="")


def leave_one_day_out(
    days: dict[str, list[Paper]], make: Callable[[list[Paper]], Callable[[Paper], list[str]]]
) -> Score:
    """Score ``make(training papers)`` on each day in turn, training on all the other days."""
    score = Score()
    for held_out in sorted(days):
        train = [p for d, ps in sorted(days.items()) if d != held_out for p in ps]
        predict = make(train)
        for paper in days[held_out]:
            score.add(predict(_blank(paper)), paper.tags)
    return score


def rules_only(_train: list[Paper]) -> Callable[[Paper], list[str]]:
    return Tagger().tag


def with_learning(train: list[Paper]) -> Callable[[Paper], list[str]]:
    tagger = Tagger()
    tagger.learn(train)
    return tagger.tag


def frequency_baseline(train: list[Paper]) -> Callable[[Paper], list[str]]:
    """Always the most frequent tag set of the training days (ties: alphabetical, for determinism)."""
    counts = Counter(tuple(p.tags) for p in train)
    best = min(counts, key=lambda s: (-counts[s], s)) if counts else ("Other",)
    return lambda _paper: list(best)


def fixed_baseline(_train: list[Paper]) -> Callable[[Paper], list[str]]:
    """Always ['Natural Language Processing', 'Text Generation'], the commonest shape overall."""
    return lambda _paper: ["Natural Language Processing", "Text Generation"]


def throughput(tagger: Tagger, papers: Sequence[Paper], n: int = 1000) -> float:
    """Papers tagged per second over ``n`` papers (the sample repeated)."""
    batch = [papers[i % len(papers)] for i in range(n)]
    start = time.perf_counter()
    for p in batch:
        tagger.tag(p)
    return n / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"shared data folder ({DEFAULT_DATA})")
    args = parser.parse_args(argv)
    if not (args.data / "digests" / "seed-format").is_dir():
        print(
            f"No labelled digests under {args.data / 'digests' / 'seed-format'}; "
            "pass --data pointing at the shared data folder.",
            file=sys.stderr,
        )
        return 2
    days = load_days(args.data)
    if not days:
        print(f"No labelled papers found under {args.data}.", file=sys.stderr)
        return 2
    n_papers = sum(len(ps) for ps in days.values())
    print(f"Labelled days: {len(days)} ({', '.join(f'{d}: {len(ps)}' for d, ps in sorted(days.items()))}),"
          f" {n_papers} papers, evaluated leave-one-day-out.\n")

    rows = [
        ("baseline: always NLP + Text Gen.", leave_one_day_out(days, fixed_baseline)),
        ("baseline: most frequent tag set", leave_one_day_out(days, frequency_baseline)),
        ("rules only", leave_one_day_out(days, rules_only)),
        ("rules + learning", leave_one_day_out(days, with_learning)),
    ]
    header = f"{'system':<34}{'P':>7}{'R':>7}{'F1':>7}{'modality acc':>14}"
    print(header)
    print("-" * len(header))
    for name, s in rows:
        print(f"{name:<34}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.modality_accuracy:>14.3f}")

    hf = load_hf_sample(args.data)
    all_papers = [p for ps in days.values() for p in ps]
    learned = Tagger()
    learned.learn(all_papers)
    sample = [_blank(p) for p in all_papers] + hf
    print()
    print(f"throughput, rules only:      {throughput(Tagger(), sample):>9,.0f} papers/s")
    print(f"throughput, rules + learned: {throughput(learned, sample):>9,.0f} papers/s")
    if hf:
        counts = Counter(len(learned.tag(p)) for p in hf)
        per_paper = dict(sorted(counts.items()))
        print(f"HF sample: {len(hf)} papers (abstracts, no reference tags); tags per paper {per_paper}")
    print("\nNote: labelled text is the digests' bullet summaries; HF API papers carry abstracts instead.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
