"""Train the offline tagger's shipped weights (``bot/tagger_model.json.gz``) from the tagged digests.

Run: ``.venv/bin/pip install -e '.[train]' && .venv/bin/python scripts/train_tagger.py [--data ../shared/data]``
(``--eval`` prints the time-split evaluation instead of writing the shipped file).

Why here and not in the bot: scikit-learn fits the weights; the bot only reads them
(``bot/tag_model.py``), so scikit-learn is an optional ``[train]`` extra, never a runtime dependency.
Everything is reproducible: papers are sorted before fitting, liblinear/lbfgs get fixed seeds,
weights are rounded to integers of 1/``scale``, the JSON is written with sorted keys and the gzip
header carries no time, so the same data and configuration give the same bytes.

What it learns from: the title and the digest's bullet summary of each paper of
``digests/train`` (the only labelled text there is); at run time the tagger sees the title, the
abstract, Hugging Face's one-line ``ai_summary`` and ``ai_keywords`` instead. Tag thresholds are tuned
per tag on out-of-fold predictions (folds are contiguous blocks of days, so a fold is scored by a
model that did not see its days), never as a fixed number of tags per paper.

The time split (``--eval`` and ``benchmarks/bench_tagging.py``): the model is trained on the days
before ``SPLIT_DAY`` only and scored on the days from it on (March and April 2025), minus papers
already featured on a training day. The shipped file is then trained on every day of the folder.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.models import Paper, arxiv_id_from  # noqa: E402
from bot.tag_model import (  # noqa: E402
    FEATURES_VERSION,
    FORMAT_VERSION,
    MODEL_PATH,
    TITLE_PREFIX,
    LinearTagModel,
    decide,
    features,
    text_terms,
)
from bot.tag_rules import _fields  # noqa: E402
from bot.taxonomy import ALL_TAGS, modalities_of, modality_of  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("PAPERBOY_SHARED", ROOT.parent / "shared")) / "data"
#: Bumped with any change to how the weights are fitted (the file records it; a test compares).
TRAINER_VERSION = 2
#: First day of the held-out months of the time split.
SPLIT_DAY = "2025-03-01"
CONFIG: dict[str, Any] = {
    "min_df": 2,  # a term seen in one paper is noise at this size
    "C": 4.0,  # inverse L2 strength of each tag's logistic regression
    "modality_C": 1.0,  # the same for the main-modality model (1 vs 4 vs 16: 5-fold CV on the early months)
    "min_positives": 3,  # a tag with fewer labelled papers is never predicted by the model
    "folds": 5,  # contiguous blocks of days for out-of-fold threshold tuning
    "grid": [round(0.05 + 0.025 * i, 3) for i in range(27)],  # thresholds tried: 0.05 .. 0.70
    "shrink": 20,  # a tag's threshold is pulled to the global one with the weight of this many positives
    "cross_margins": [0.0, 0.05, 0.1, 0.15, 0.2, 0.3],
    "scale": 10000,  # weights are stored as integers of 1/scale
    "prune": 0.05,  # weights smaller than this are dropped: 5x fewer, 1.4x faster, same tags on a later day
}


def config_sha256(config: dict[str, Any] = CONFIG) -> str:
    """Hash of what decides the weights besides the data: trainer, features and configuration."""
    blob = json.dumps({"trainer": TRAINER_VERSION, "features": FEATURES_VERSION, "config": config}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def data_sha256(folder: Path) -> str:
    """Hash of the training folder: file names and bytes, in name order."""
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.json")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def load_train(folder: Path) -> list[Paper]:
    """One digest-tagged Paper per entry of each day file (entries without valid tags dropped)."""
    valid = set(ALL_TAGS)
    out: list[Paper] = []
    for path in sorted(folder.glob("*.json")):
        for i, e in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            tags = list(dict.fromkeys(t for t in e.get("classification") or [] if t in valid))
            if not tags:
                continue
            out.append(Paper(
                arxiv_id=arxiv_id_from(e.get("link") or "") or f"{path.stem}-{i}",
                title=" ".join((e.get("title") or "").split()),
                summary=e.get("summary") or "",
                tags=tags,
                tags_source="digest",
                dates=[path.stem],
            ))
    return out


def time_split(papers: Sequence[Paper], split_day: str = SPLIT_DAY) -> tuple[list[Paper], list[Paper]]:
    """(days before ``split_day``, days from it on minus papers already seen on an earlier day)."""
    train = [p for p in papers if p.dates[0] < split_day]
    seen = {p.arxiv_id for p in train}
    test = [p for p in papers if p.dates[0] >= split_day and p.arxiv_id not in seen]
    return train, test


# ---- fitting ------------------------------------------------------------------------------------


def _idf(papers: Sequence[Paper], min_df: int) -> dict[str, float]:
    import math

    df: Counter[str] = Counter()
    for p in papers:
        df.update(text_terms(_fields(p)).keys())
    n = len(papers)
    return {t: round(math.log((1 + n) / (1 + c)) + 1.0, 6) for t, c in sorted(df.items()) if c >= min_df}


def fit(papers: Sequence[Paper], config: dict[str, Any] = CONFIG) -> dict[str, Any]:
    """Weights of every tag model and of the modality model (thresholds not tuned yet)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    papers = sorted(papers, key=lambda p: (p.dates, p.arxiv_id, p.tags))
    idf = _idf(papers, config["min_df"])
    rows = [features(p, idf) for p in papers]
    names = sorted({f for r in rows for f in r})
    index = {f: i for i, f in enumerate(names)}
    data, indices, indptr = [], [], [0]
    for r in rows:
        for f in sorted(r, key=index.__getitem__):
            indices.append(index[f])
            data.append(r[f])
        indptr.append(len(indices))
    x = csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=(len(rows), len(names)))
    # The tag models read every feature but the title words (those are the modality model's alone).
    x_tags = x[:, [i for i, f in enumerate(names) if not f.startswith(TITLE_PREFIX)]]
    tag_names = [f for f in names if not f.startswith(TITLE_PREFIX)]
    counts = Counter(t for p in papers for t in p.tags)
    labels = [t for t in ALL_TAGS if counts[t] >= config["min_positives"]]
    scale = config["scale"]
    weights: dict[str, list[int]] = {}  # feature -> [label index, weight, label index, weight, ...]
    bias: list[float] = []
    for li, tag in enumerate(labels):
        y = np.array([tag in p.tags for p in papers], dtype=int)
        clf = LogisticRegression(C=config["C"], solver="liblinear", random_state=0, max_iter=1000)
        clf.fit(x_tags, y)
        bias.append(round(float(clf.intercept_[0]), 6))
        for fi in np.flatnonzero(np.abs(clf.coef_[0]) >= config["prune"]):
            weights.setdefault(tag_names[fi], []).extend([li, int(np.rint(clf.coef_[0][fi] * scale))])
    y_mod = [modality_of(p.tags) for p in papers]
    classes = [m for m in ALL_TAGS if m in set(y_mod)]
    mclf = LogisticRegression(C=config["modality_C"], solver="lbfgs", max_iter=2000, random_state=0)
    mclf.fit(x, np.array([classes.index(m) for m in y_mod]))
    mweights: dict[str, list[int]] = {}
    coef = mclf.coef_ if len(classes) > 2 else np.vstack([-mclf.coef_[0] / 2, mclf.coef_[0] / 2])
    intercept = mclf.intercept_ if len(classes) > 2 else np.array([-mclf.intercept_[0] / 2, mclf.intercept_[0] / 2])
    for fi in range(len(names)):
        pairs = [[ci, int(np.rint(coef[ci][fi] * scale))] for ci in range(len(classes))]
        pairs = [pr for pr in pairs if abs(pr[1]) >= config["prune"] * scale]
        if pairs:
            mweights[names[fi]] = [x for pair in pairs for x in pair]
    return {
        "format": FORMAT_VERSION,
        "features_version": FEATURES_VERSION,
        "trainer_version": TRAINER_VERSION,
        "config_sha256": config_sha256(config),
        "scale": scale,
        "idf": idf,  # every term, used or not: the unit length of a paper's vector counts them all
        "labels": labels,
        "bias": bias,
        "weights": weights,
        "modality": {"classes": classes, "bias": [round(float(b), 6) for b in intercept], "weights": mweights},
        "thresholds": {t: 0.5 for t in labels},
        "cross_margin": 0.0,
    }


def _day_folds(papers: Sequence[Paper], k: int) -> list[list[Paper]]:
    days = sorted({p.dates[0] for p in papers})
    size = -(-len(days) // k)
    blocks = [set(days[i:i + size]) for i in range(0, len(days), size)]
    return [[p for p in papers if p.dates[0] in b] for b in blocks]


def micro_f1(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float:
    tp = sum(len(set(p) & set(g)) for p, g in pairs)
    n_pred = sum(len(set(p)) for p, _ in pairs)
    n_gold = sum(len(set(g)) for _, g in pairs)
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


def tune(papers: Sequence[Paper], config: dict[str, Any] = CONFIG) -> tuple[dict[str, float], float]:
    """Per-tag thresholds and the cross-modality margin from out-of-fold probabilities."""
    oof: list[tuple[dict[str, float], dict[str, float], list[str]]] = []
    folds = _day_folds(papers, config["folds"])
    for i, held in enumerate(folds):
        print(f"fold {i + 1}/{len(folds)}: fitting on {len(papers) - len(held)} papers", file=sys.stderr)
        rest = [p for j, f in enumerate(folds) if j != i for p in f]
        model = LinearTagModel(fit(rest, config))
        for p in held:
            probs, mods = model.probabilities(features(_blank(p), model.idf))
            oof.append((probs, mods, p.tags))
    labels = sorted({t for probs, _, _ in oof for t in probs}, key=ALL_TAGS.index)
    grid = config["grid"]

    def f1_at(tag: str | None, thr: float) -> tuple[int, int, int]:
        tp = n_pred = n_gold = 0
        for probs, _, gold in oof:
            for t in ([tag] if tag else labels):
                pred = probs.get(t, 0.0) >= thr
                tp += pred and t in gold
                n_pred += pred
                n_gold += t in gold
        return tp, n_pred, n_gold

    def f1(c: tuple[int, int, int]) -> float:
        return 2 * c[0] / (c[1] + c[2]) if c[1] + c[2] else 0.0

    global_thr = max(grid, key=lambda thr: (f1(f1_at(None, thr)), -thr))
    thresholds: dict[str, float] = {}
    for t in labels:
        best = max(grid, key=lambda thr, t=t: (f1(f1_at(t, thr)), -abs(thr - global_thr)))
        pos = sum(t in gold for _, _, gold in oof)
        thresholds[t] = round((pos * best + config["shrink"] * global_thr) / (pos + config["shrink"]), 4)
    margin = max(
        config["cross_margins"],
        key=lambda m: (micro_f1([(decide(pr, mo, thresholds, m), g) for pr, mo, g in oof]), -m),
    )
    return thresholds, margin


def _blank(p: Paper) -> Paper:
    from dataclasses import replace

    return replace(p, tags=[], tags_source="")


def train(papers: Sequence[Paper], config: dict[str, Any] = CONFIG) -> dict[str, Any]:
    """The complete weights file's content: fitted on ``papers``, thresholds tuned out of fold."""
    thresholds, margin = tune(papers, config)
    print(f"final fit on {len(papers)} papers", file=sys.stderr)
    model = fit(papers, config)
    model["thresholds"] = {t: thresholds.get(t, 0.5) for t in model["labels"]}
    model["cross_margin"] = margin
    days = sorted({p.dates[0] for p in papers})
    model["trained_on"] = {"first_day": days[0], "last_day": days[-1], "papers": len(papers)}
    # Store learning must not be judged on the papers the weights were fitted on: it skips these.
    model["trained_ids"] = sorted({p.arxiv_id for p in papers})
    return model


def dump(model: dict[str, Any]) -> bytes:
    """The weights file's bytes: sorted-key JSON, gzip without a timestamp (same input, same bytes)."""
    raw = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    return buf.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"shared data folder ({DEFAULT_DATA})")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help=f"weights file to write ({MODEL_PATH})")
    parser.add_argument("--eval", action="store_true", help="train on the early months, score the later ones")
    args = parser.parse_args(argv)
    folder = args.data / "digests" / "train"
    papers = load_train(folder)
    if not papers:
        print(f"No tagged papers under {folder}; pass --data pointing at the shared data folder.", file=sys.stderr)
        return 2
    if args.eval:
        train_part, test_part = time_split(papers)
        model = LinearTagModel(train(train_part))
        pairs = [(model.tag(_blank(p)), p.tags) for p in test_part]
        acc = sum(modality_of(pr) in modalities_of(g) for pr, g in pairs) / len(pairs)
        first = sum(modality_of(pr) == modality_of(g) for pr, g in pairs) / len(pairs)
        per = sum(len(pr) for pr, _ in pairs) / len(pairs)
        print(f"train {len(train_part)} papers, test {len(test_part)}: micro-F1 {micro_f1(pairs):.3f}, "
              f"modality acc {acc:.3f} (first modality {first:.3f}), tags/paper {per:.2f}, "
              f"margin {model.cross_margin}")
        return 0
    model = train(papers)
    model["data_sha256"] = data_sha256(folder)
    blob = dump(model)
    args.out.write_bytes(blob)
    print(f"wrote {args.out} ({len(blob):,} bytes): {len(model['labels'])} tags, {len(model['idf']):,} terms, "
          f"trained on {model['trained_on']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
