"""Papers like this one: the stored papers most like a given one, offline, from what the store holds.

How (the numbers are measured in ``benchmarks/bench_similar.py``):

1. The query paper's words — title (counted twice), summary and abstract, cut and stemmed exactly as
   the full-text index cuts them — weighted by tf-idf. How many papers have a word is counted in the
   index up to a cap (:func:`df_cap`); words at the cap are too common to say much and are dropped,
   so a common word costs no more than a rare one (:class:`bot.store.similar.SimilarIndex`; no
   table, no model, nothing kept in RAM).
2. Candidates: the papers the full-text index ranks best (BM25) for the query's most distinctive
   words (each with a short match list, under the cap), plus the best of those that also carry one
   of its task tags.
3. Re-rank: ``score = TEXT_WEIGHT × text + TAG_WEIGHT × tags``, in [0, 1]. ``text`` is a candidate's
   BM25 for those words divided by the query paper's own (1 = matches them as well as the paper
   itself); ``tags`` is the weighted Jaccard overlap of the two tag sets, a task tag weighing 1 and
   a modality 0.5 (a shared "Text-to-3D" says more than a shared "Computer Vision").

The query paper never appears in its own answer, no paper appears twice, scores never increase down
the list (ties: arXiv id), and a paper scoring 0 (after rounding to 4 places) is left out.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from bot.errors import PaperboyError
from bot.models import Paper, arxiv_id_from
from bot.more_like_this import short_title, with_buttons
from bot.render import escape_markdown, neutralize_mentions, render_papers_page, truncate
from bot.store import Store, tag_token
from bot.store.similar import TEXT_COLUMNS
from bot.taxonomy import TASKS

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_EMBEDS = 10  # one Discord message
QUERY_TERMS = 20  # distinctive words sent to the index
DF_CAP = 100  # words are counted up to this many papers (see df_cap): bounds the work per word
#: Words never worth counting: in every paper, whatever the store (each would cost a capped count).
_STOPWORD_TEXT = """a an and are as at be been by can for from has have in into is it its of on or our
that the their these this to was we were which while with without both each more most not than such
using use used also based via new how when where who what all any one two three over under between"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
CANDIDATES = 100  # best text matches re-ranked
TAG_CANDIDATES = 50  # best text matches that share a task tag, re-ranked too
RESOLVE_BATCH = 25  # candidates whose ids and tags are read at a time (see similar_papers)
FIELD_WEIGHTS = {"title": 2.0, "summary": 1.0, "abstract": 1.0}
TEXT_WEIGHT = 0.6
TAG_WEIGHT = 0.4
#: Task tags (not modalities, not the catch-all "Other"): what "about the same thing" means here.
TASK_TAGS = frozenset(t for tasks in TASKS.values() for t in tasks) - {"Other"}
SCORE_HELP = ("score: 0 to 1, higher is more alike; 0.6 x word overlap (BM25 over the paper's most distinctive "
              "words, relative to the paper matching itself) + 0.4 x tag overlap (weighted Jaccard; a task tag "
              "weighs 1, a modality 0.5)")


class SimilarError(PaperboyError):
    """A reference that is not a paper id, or a paper the store does not hold: one sentence."""


@dataclass(frozen=True, slots=True)
class Match:
    paper: Paper
    score: float


def resolve(ref: str) -> str:
    """The arXiv id in an id or an arXiv / Hugging Face link, or one sentence saying it is none."""
    aid = arxiv_id_from((ref or "").strip())
    if not aid:
        raise SimilarError(f"{(ref or '')[:100]!r} is not an arXiv id or an arXiv/Hugging Face paper link.")
    return aid


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def df_cap(n: int) -> int:
    """Words in more papers than this are too common to find anything by (5% of papers, 50 to 100)."""
    return max(50, min(DF_CAP, n // 20))


def query_terms(store: Store, paper: Paper) -> list[tuple[str, float, int, str]]:
    """(term, tf-idf weight, document frequency, a word of the paper that means it) of the paper's
    distinctive words, heaviest first.

    Left out: words no other paper has (document frequency ≤ 1: the paper itself), which cannot find
    anything, and words at least :func:`df_cap` papers have, which are counted only up to that cap
    (so that a common word costs no more than a rare one) and say little about the subject.
    """
    index = store.similar
    texts = [paper.title, paper.summary, paper.abstract]
    fields = dict(zip(TEXT_COLUMNS, index.tokenizer.counts(texts), strict=True))
    tf: Counter[str] = Counter()
    for name, counts in fields.items():
        for term, c in counts.items():
            tf[term] += FIELD_WEIGHTS[name] * c
    words = {t: w for t, w in index.tokenizer.surface_words(texts).items()
             if t in tf and w not in STOPWORDS and len(w) > 2 and not w.isdigit()}
    n = max(index.paper_count(), 1)
    cap = df_cap(n)
    counted = index.capped_doc_freqs(sorted(set(words.values())), cap)
    out = [(t, (1.0 + math.log(tf[t])) * _idf(n, counted[w]), counted[w], w) for t, w in words.items()
           if 1 < counted[w] < cap]
    return sorted(out, key=lambda x: (-x[1], x[0]))


def _pick(terms: list[tuple[str, float, int, str]]) -> list[str]:
    """The words of the heaviest terms (each one's match list is short: under the cap)."""
    return [word for _, _, _, word in terms[:QUERY_TERMS]]


def _text_part(bm25: float, own: float) -> float:
    """A candidate's BM25 for the query words relative to the paper's own (1 = as well as itself)."""
    return min(bm25 / own, 1.0) if own > 0 else 0.0


def _tag_weight(tag: str) -> float:
    """A shared task says more than a shared modality ("Text-to-3D" against "Computer Vision")."""
    return 1.0 if tag in TASK_TAGS else 0.5


def similar_papers(store: Store, ref: str, limit: int = DEFAULT_LIMIT) -> tuple[Paper, list[Match]]:
    """The query paper and up to ``limit`` stored papers most like it, most similar first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise SimilarError(f"The limit must be a whole number from 1 to {MAX_LIMIT}, not {limit}.")
    aid = resolve(ref)
    paper = store.get(aid)
    if paper is None:
        raise SimilarError(f"Paper {aid} is not in the store; import or fetch the day it was featured first.")
    terms = _pick(query_terms(store, paper))
    if not terms:
        return paper, []
    words = "{" + " ".join(TEXT_COLUMNS) + "} : (" + " OR ".join(f'"{t}"' for t in terms) + ")"
    index = store.similar
    # Every match, ranked: each word is in fewer than the cap's papers, so there are fewer than
    # QUERY_TERMS x cap of them, and BM25 scores them all anyway to find the best.
    ranked = index.ranked(words, QUERY_TERMS * df_cap(max(index.paper_count(), 1)))
    own_rowid = index.rowid_of(aid)
    own = next((score for k, score in ranked if k == own_rowid), 0.0)
    ranked = [(k, score) for k, score in ranked if k != own_rowid]
    if not ranked:
        return paper, []
    chosen = dict(ranked[:CANDIDATES])
    tasks = [t for t in paper.tags if t in TASK_TAGS]
    if tasks:  # the best matches that also share a task tag, wherever they rank
        tagged = index.rowids_matching(f"({words}) AND tags_text : ({' OR '.join(tag_token(t) for t in tasks)})")
        chosen.update([(k, score) for k, score in ranked if k in tagged][:TAG_CANDIDATES])
    own = own or max(chosen.values())
    # Best words first, a batch at a time: a candidate's tags are rows read from disk when the store
    # is not cached, and no candidate can score more than its words allow plus a perfect tag overlap.
    # Once that bound is under the limit-th best score so far, no later candidate can enter the
    # answer, nor tie its last place: the rest are not read (an exact cut, not an approximation).
    pool = sorted(chosen.items(), key=lambda kv: (-kv[1], kv[0]))
    query_tags = set(paper.tags)
    scored: list[tuple[float, str]] = []
    for start in range(0, len(pool), RESOLVE_BATCH):
        batch = pool[start:start + RESOLVE_BATCH]
        if len(scored) >= limit:
            kth = sorted(scored, key=lambda s: (-s[0], s[1]))[limit - 1][0]
            if round(TEXT_WEIGHT * _text_part(batch[0][1], own) + TAG_WEIGHT, 4) < kth:
                break
        names = index.ids_of([k for k, _ in batch])
        tags_of = index.tags(sorted(names.values()))
        for k, bm25 in batch:
            if k not in names:
                continue
            tags = set(tags_of.get(names[k], ()))
            union = sum(_tag_weight(t) for t in query_tags | tags)
            tag_part = sum(_tag_weight(t) for t in query_tags & tags) / union if union else 0.0
            score = round(TEXT_WEIGHT * _text_part(bm25, own) + TAG_WEIGHT * tag_part, 4)
            if score > 0:  # no evidence at all (rounded to 0) is not "like it"
                scored.append((score, names[k]))
    scored.sort(key=lambda s: (-s[0], s[1]))
    out = []
    for score, other in scored[:limit]:
        got = store.get(other)
        if got is not None:
            out.append(Match(got, score))
    return paper, out


def similar_message(paper: Paper, matches: list[Match]) -> dict:
    """The Discord answer: the matches as embeds (one message, ≤ 10), their scores in the header line,
    and a "More like this" button under each, so a reader can keep following the thread."""
    title = escape_markdown(neutralize_mentions(short_title(paper.title, 100) or paper.arxiv_id))
    aid = escape_markdown(neutralize_mentions(paper.arxiv_id))
    if not matches:
        msg = render_papers_page([], page=1, pages=1, total=0, heading="")
        msg["content"] = f"No stored paper is like {title} (arXiv:{aid}) yet."
        return msg
    papers = [m.paper for m in matches][:MAX_EMBEDS]
    msg = render_papers_page(papers, page=1, pages=1, total=len(papers), heading="")
    scores = ", ".join(f"{m.score:.2f}" for m in matches[:MAX_EMBEDS])
    msg["content"] = truncate(f"🔎 **Papers like {title}** (arXiv:{aid}), most similar first · scores {scores} "
                              "(0-1, 1 = as alike as the paper is to itself)", 2000)
    return with_buttons(msg, papers)
