"""The learned half of the offline tagger: a sparse linear model shipped inside the package.

Why a linear model: the bot must tag with no network, no model hub and no heavy dependencies, and a
paper has only a few hundred distinct words, so scoring 54 one-vs-rest logistic regressions over
sparse features is a dictionary walk and one small matrix product with numpy (which the trends chart
needs anyway): about 0.4 ms a paper, features included. scikit-learn fits the weights once, in
``scripts/train_tagger.py``; this module only reads the weights file the script writes
(``bot/tagger_model.json.gz``) and must compute exactly the features the script trained on, which is
why the script imports :func:`features` from here.

Features: the paper's content words and adjacent word pairs (title words counted twice, plus
Hugging Face ``ai_keywords`` when present) as sublinear tf-idf with unit length, and the rule
table's evidence for each tag (``bot.tag_rules``) as ``log1p`` of its in-context score, so the
hand-written vocabulary and the learned weights vote together; the main-modality model also reads
the title's words on their own (:func:`title_features`).

Decision (``decide``): the main modality comes first, from a separate multinomial model of
:func:`bot.taxonomy.modality_of` of the reference tags; then each tag is kept when its own
probability reaches its own threshold (tuned by the script on out-of-fold predictions, so the
number of tags follows the evidence, never a fixed count); a task of another modality than the main
one needs a margin more. The list is ordered so ``modality_of`` of the answer is the main modality.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from functools import cache, cached_property
from itertools import chain
from pathlib import Path
from typing import Any

from bot.models import Paper
from bot.tag_rules import Fields, _fields, _in_context, _term, rule_scores
from bot.taxonomy import ALL_TAGS, MODALITIES, MODALITY_OF

#: Bumped whenever :func:`features` changes: a weights file trained on other features is refused.
FEATURES_VERSION = 2
#: The weights file's layout version (what :class:`LinearTagModel` reads). 2: each feature's weights
#: are one flat list ``[index, weight, index, weight, ...]``, which JSON reads 3x faster than pairs.
FORMAT_VERSION = 2
MODEL_PATH = Path(__file__).with_name("tagger_model.json.gz")
#: Name prefix of the title features, which only the main-modality model reads.
TITLE_PREFIX = "t:"

_ORDER = {t: i for i, t in enumerate(ALL_TAGS)}
#: The digests name at most 5–6 tags; beyond 5 the likeliest extra tag is usually wrong.
MAX_TAGS = 5


class ModelFileError(ValueError):
    """The weights file is missing, damaged or was written for other features."""


def text_terms(fields: Fields) -> Counter[str]:
    """Content words and adjacent pairs of one paper; title words count twice (titles name the task)."""
    title, keywords, body = fields
    bag: Counter[str] = Counter()
    for tokens, weight in ((title, 2), (keywords, 1), (body, 1)):
        prev = ""
        for tok in tokens:
            t = _term(tok)
            if not t:
                prev = ""  # a stopword, number or field border breaks a pair
                continue
            bag[t] += weight
            if prev:
                bag[f"{prev} {t}"] += weight
            prev = t
    return bag


def rule_features(fields: Fields, paper: Paper) -> dict[str, float]:
    """The rule table's in-context evidence per tag, log-scaled, as features named ``rule:TAG``."""
    scores = _in_context(rule_scores(paper, fields))
    return {f"rule:{tag}": math.log1p(s) for tag, s in sorted(scores.items()) if s > 0}


def features(paper: Paper, idf: dict[str, float]) -> dict[str, float]:
    """The model's input for one paper: unit-length tf-idf over ``idf``'s vocabulary, plus rule features."""
    fields = _fields(paper)
    text = {t: (1.0 + math.log(c)) * idf[t] for t, c in text_terms(fields).items() if t in idf}
    norm = math.sqrt(sum(v * v for v in text.values())) or 1.0
    out = {t: v / norm for t, v in text.items()}
    out.update(rule_features(fields, paper))
    out.update(title_features(fields))
    return out


def title_features(fields: Fields) -> dict[str, float]:
    """The title's distinct content words as unit-length binary features named ``t:WORD``.

    Why: which modality the reference lists first follows the title more than the body (a title
    naming video or speech decides it), and the body's tf-idf drowns the title's few words. Only the
    main-modality model is fitted on these (cross-validated on the training months: the reference's
    first modality named on 0.872 of papers against 0.864); the tag models ignore them.
    """
    words = sorted({t for t in map(_term, fields[0]) if t})
    return {f"{TITLE_PREFIX}{w}": 1.0 / math.sqrt(len(words)) for w in words}


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class LinearTagModel:
    """The shipped weights: one-vs-rest tag probabilities and the main-modality distribution."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT_VERSION or data.get("features_version") != FEATURES_VERSION:
            raise ModelFileError(
                f"the tagger weights are format {data.get('format')!r}/features {data.get('features_version')!r}, "
                f"this code reads {FORMAT_VERSION}/{FEATURES_VERSION}; run scripts/train_tagger.py again."
            )
        self.meta: dict[str, Any] = {k: v for k, v in data.items() if k not in ("idf", "weights", "modality")}
        self.idf: dict[str, float] = data["idf"]
        self.labels: list[str] = data["labels"]
        unknown = [t for t in self.labels if t not in _ORDER]
        if unknown:
            raise ModelFileError(f"the tagger weights name tags outside the taxonomy: {unknown[:3]}.")
        self.bias: list[float] = data["bias"]
        self.thresholds: dict[str, float] = data["thresholds"]
        self.cross_margin: float = data["cross_margin"]
        # Weights stay as the file has them: feature -> [output index, weight in 1/scale units, ...]
        # (turning 170,000 pairs into tuples of floats took as long as reading the file); scoring
        # divides each feature's value by the scale once instead.
        self.scale: float = data["scale"]
        self.postings: dict[str, list[int]] = data["weights"]
        mod = data["modality"]
        self.modality_classes: list[str] = mod["classes"]
        self.modality_bias: list[float] = mod["bias"]
        self.modality_postings: dict[str, list[int]] = mod["weights"]

    @cached_property
    def _matrix(self) -> tuple[dict[str, int], Any, Any]:
        """(feature → row, the weights as one dense ``features × (tags + modalities)`` array, the biases).

        Why numpy here: scoring is ~120 features × ~11 weights a paper, and the sum in Python was half
        of the tagger's time (0.35 of 0.8 ms a paper); one matrix product takes 0.06 ms. numpy is
        imported on the first paper tagged, not when the bot starts (see ``bot/store/_without_numpy.py``),
        and the array is 7.8 MB, built from the file's lists in ~30 ms.
        """
        import numpy as np

        names = sorted(self.postings.keys() | self.modality_postings.keys())
        row = {f: i for i, f in enumerate(names)}
        n = len(self.labels)
        matrix = np.zeros((len(names), n + len(self.modality_classes)))
        for postings, offset in ((self.postings, 0), (self.modality_postings, n)):
            count = sum(len(flat) for flat in postings.values())
            pairs = np.fromiter(chain.from_iterable(postings.values()), dtype=np.int64, count=count)
            rows = np.repeat([row[f] for f in postings], [len(flat) // 2 for flat in postings.values()])
            matrix[rows, pairs[0::2] + offset] = pairs[1::2] / self.scale
        return row, matrix, np.array([*self.bias, *self.modality_bias])

    def warm(self) -> LinearTagModel:
        """Build what scoring needs now rather than at the first paper (a forked worker then shares it)."""
        self._matrix  # noqa: B018  (the cached property is the point)
        return self

    def probabilities(self, x: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """(probability of each tag, probability of each main modality) for feature vector ``x``."""
        row, matrix, bias = self._matrix
        rows: list[int] = []
        values: list[float] = []
        for f, v in x.items():
            r = row.get(f)
            if r is not None:
                rows.append(r)
                values.append(v)
        z = (bias + values @ matrix[rows]).tolist() if rows else bias.tolist()
        n = len(self.labels)
        zm = z[n:]
        top = max(zm)
        exps = [math.exp(s - top) for s in zm]
        total = sum(exps)
        return (
            {t: _sigmoid(s) for t, s in zip(self.labels, z, strict=False)},
            {m: e / total for m, e in zip(self.modality_classes, exps, strict=True)},
        )

    def tag(self, paper: Paper, offsets: dict[str, float] | None = None) -> list[str]:
        """The tags of one paper; ``offsets`` shift tag thresholds (what store learning adjusts)."""
        x = features(paper, self.idf)
        if not x:  # no known word and no rule cue: nothing to judge by
            return ["Other"]
        probs, modality = self.probabilities(x)
        return decide(probs, modality, self.thresholds, self.cross_margin, offsets)


def decide(probs: dict[str, float], modality: dict[str, float], thresholds: dict[str, float],
           cross_margin: float, offsets: dict[str, float] | None = None) -> list[str]:
    """Tags from probabilities: main modality first, then every tag over its own threshold.

    Pure and deterministic (ties broken by taxonomy order). A task outside the main modality needs
    ``cross_margin`` more; the main modality's own tag (or its best task) leads the list so
    :func:`bot.taxonomy.modality_of` of the answer is the predicted main modality.
    """
    offsets = offsets or {}
    main = min(modality, key=lambda m: (-modality[m], _ORDER[m]))

    def over(tag: str) -> bool:
        need = thresholds.get(tag, 1.0) + offsets.get(tag, 0.0)
        if tag not in MODALITIES and MODALITY_OF[tag] != main and MODALITY_OF[tag] != "Other":
            need += cross_margin
        return probs.get(tag, 0.0) >= need

    chosen = sorted((t for t in probs if over(t)), key=lambda t: (-probs[t], _ORDER[t]))
    return _arrange(chosen, probs, main)[:MAX_TAGS]


def _arrange(chosen: list[str], probs: dict[str, float], main: str) -> list[str]:
    """``chosen`` (likeliest first) ordered so that :func:`modality_of` reads ``main`` first."""
    if main == "Other":  # nothing of another modality may be read first: keep only Other's tags
        pool = [t for t in chosen if MODALITY_OF[t] == "Other"]
        return pool or [max(("Graph Machine Learning", "Other"), key=lambda t: (probs.get(t, 0.0), -_ORDER[t]))]
    if main in chosen:
        return [main, *(t for t in chosen if t != main)]
    own = [t for t in chosen if MODALITY_OF[t] == main]
    rest = [t for t in chosen if MODALITY_OF[t] != main]
    if any(t in MODALITIES and t != "Other" for t in rest) or not own:
        # Another modality tag, or no task of the main one, would be read first: name the main
        # modality, by its tag or by its likeliest task when that is likelier (CV often stays implicit).
        pool = [t for t in probs if MODALITY_OF[t] == main and t not in MODALITIES and t not in own]
        best = min(pool, key=lambda t: (-probs[t], _ORDER[t])) if pool else None
        implicit = best is not None and probs[best] > probs.get(main, 0.0)
        if implicit and not any(t in MODALITIES and t != "Other" for t in rest):
            return [str(best), *own, *rest]
        return [main, *own, *rest]
    return [*own, *rest]


@cache
def load_model(path: Path = MODEL_PATH) -> LinearTagModel:
    """The shipped weights, read once per process (a second call returns the same object)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read the tagger weights {path}: {exc}") from exc
    return LinearTagModel(data)
