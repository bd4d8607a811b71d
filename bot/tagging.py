"""Offline, deterministic tags for papers that arrive without any (the HF API gives none).

Most users run without an LLM, so these tags are what ``/papers tag:`` and subscriptions run on.
Three signals vote, all offline: the hand-written rule table (``bot.tag_rules``), a linear model
trained on 2,165 digest-tagged papers and shipped as weights inside the package
(``bot.tag_model``, trained by ``scripts/train_tagger.py``), and Hugging Face's ``ai_keywords``,
which reach both as words and, weighted like a title, through the rules. The rule evidence is an
input of the model, so the model learned how far to trust each rule.

Learning from the store (:meth:`Tagger.learn`): digest-tagged papers the model was not trained on
may shift each tag's threshold (the labelling's habits drift: later months name fewer tags), but
only when the shift, fitted on the older part of those papers, scores better on the newest part
than no shift at all — so learning from the store never lowers the score it can measure, and with
too few new papers it changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from bot.models import Paper
from bot.tag_model import LinearTagModel, decide, features, load_model
from bot.tag_rules import CUES, RuleTagger, rule_scores
from bot.taxonomy import ALL_TAGS

__all__ = ["CUES", "RuleTagger", "Tagger", "rule_scores", "tag_missing"]

#: Fewer new labelled papers than this teach nothing (a third of them checks the other two thirds).
LEARN_MIN = 60
#: Threshold shifts tried per tag, and the positives a tag needs among the fitting papers to move.
OFFSETS = (-0.15, -0.1, -0.05, 0.0, 0.05, 0.1, 0.15)
OFFSET_MIN_POSITIVES = 5

_VALID = frozenset(ALL_TAGS)


def _micro_f1(pairs: Iterable[tuple[Sequence[str], Sequence[str]]]) -> float:
    tp = n = 0
    for pred, gold in pairs:
        p, g = set(pred), set(gold)
        tp += len(p & g)
        n += len(p) + len(g)
    return 2 * tp / n if n else 0.0


class Tagger:
    """Tags a paper from its text with the shipped model (plus the rules and keywords inside it)."""

    def __init__(self, model: LinearTagModel | None = None) -> None:
        self._own_model = model
        self._model = model or load_model()
        self._offsets: dict[str, float] = {}
        self.learned = 0

    # A worker process re-reads the shipped weights instead of receiving megabytes through a pipe.
    def __getstate__(self) -> dict[str, Any]:
        return {"model": self._own_model, "offsets": self._offsets, "learned": self.learned}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["model"])  # type: ignore[misc]
        self._offsets = state["offsets"]
        self.learned = state["learned"]

    @property
    def offsets(self) -> dict[str, float]:
        """The threshold shifts store learning kept (empty when it kept none)."""
        return dict(self._offsets)

    def tag(self, paper: Paper) -> list[str]:
        """1 or more taxonomy tags, the main modality's first (see :func:`bot.tag_model.decide`)."""
        return self._model.tag(paper, self._offsets)

    def learn(self, papers: Iterable[Paper]) -> int:
        """Shift tag thresholds towards the store's digest tags, only if that measurably helps.

        Only ``tags_source == "digest"`` papers with valid tags that the shipped model was not
        trained on count (its own training papers would vouch for it). Replaces anything learned
        before; papers are ordered by their last day and id, so input order changes nothing.
        Returns how many labelled papers were considered.
        """
        trained = set(self._model.meta.get("trained_ids") or ())
        labelled = sorted(
            (p for p in papers
             if p.tags_source == "digest" and p.arxiv_id not in trained and any(t in _VALID for t in p.tags)),
            key=lambda p: (max(p.dates, default=""), p.arxiv_id, p.title),
        )
        self._offsets = {}
        self.learned = len(labelled)
        if len(labelled) < LEARN_MIN:
            return self.learned
        scored = []
        for p in labelled:
            probs, modality = self._model.probabilities(features(replace(p, tags=[]), self._model.idf))
            scored.append((probs, modality, [t for t in p.tags if t in _VALID]))
        cut = len(scored) * 2 // 3
        fit, check = scored[:cut], scored[cut:]
        offsets: dict[str, float] = {}
        for tag in self._model.labels:
            if sum(tag in gold for _, _, gold in fit) < OFFSET_MIN_POSITIVES:
                continue
            base = self._model.thresholds[tag]

            def f1(off: float, tag: str = tag, base: float = base) -> float:
                pairs = [([tag] if probs[tag] >= base + off else [], [tag] if tag in gold else [])
                         for probs, _, gold in fit]
                return _micro_f1(pairs)

            best = max(OFFSETS, key=lambda o: (f1(o), -abs(o)))
            if best:
                offsets[tag] = best
        if offsets and self._score(check, offsets) > self._score(check, {}):
            self._offsets = offsets
        return self.learned

    def _score(self, scored: list[tuple[dict[str, float], dict[str, float], list[str]]],
               offsets: dict[str, float]) -> float:
        m = self._model
        return _micro_f1((decide(p, mod, m.thresholds, m.cross_margin, offsets), gold) for p, mod, gold in scored)


def tag_missing(papers: Iterable[Paper], tagger: Tagger | None = None) -> list[Paper]:
    """Papers with tags filled in (``tags_source="auto"``) where they had none; others unchanged.

    Digest tags are the reference and are never overwritten; new Paper objects are returned for
    the tagged ones so callers' originals are not mutated behind their back.
    """
    tagger = tagger or Tagger()
    out: list[Paper] = []
    for paper in papers:
        if paper.tags:
            out.append(paper)
        else:
            out.append(replace(paper, tags=tagger.tag(paper), tags_source="auto"))
    return out
