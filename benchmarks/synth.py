"""Deterministic synthetic papers calibrated on the real digests, and a fast way to fill a store with them.

Why this exists: the query benchmark must run the real ``Store.query`` against a database of the size
paperboy could reach, and nobody has a million real papers. So the *shape* is taken from the real
data (``shared/data/digests/train``: 156 days, 2,131 distinct papers), measured once into
``real_profile.json`` (``--calibrate`` re-measures it) and drawn from:

- papers per featured weekday, from the real days' counts (median 13); a paper is featured on a
  second or third day as often as in the real data (~1 %);
- tag sets drawn whole from the real papers' tag sets (taxonomy names only), so the share of each tag,
  the tags per paper and which tags go together (co-occurrence) are the real ones;
- title and bullet-summary lengths from the real length distributions (percentiles), five bullets;
- text is word salad with a Zipf vocabulary whose size and exponent make the number of distinct words
  grow with the number of papers as in the real titles + summaries (lower-cased words, as the
  full-text index sees them), plus a per-paper method name ("OmniFlux") for the very rare terms.
  Real digests carry no abstract; Hugging Face papers do, so each paper also gets a 900-1300
  character abstract of the same vocabulary (rows and the full-text index are as large as real ones).

``python benchmarks/synth.py --compare`` prints the real figures next to a synthetic sample's.
At the real rate a million papers span ~270 years of weekdays: the dates are synthetic, only the
papers per day are real. Everything is seeded per chunk, so the same (n, seed) always gives the same
database, whatever the number of worker processes.

``build_db`` opens ``Store`` (so the schema is the real, migrated one), then bulk-inserts rows of
exactly the shape ``Store.upsert_papers`` would leave (``--verify`` proves it on 1,000 papers), with
the FTS triggers dropped during the load and the index rebuilt in one pass afterwards, then the very
same trigger SQL restored. Going through ``upsert_papers`` for a million papers would take an hour.

Run ``python benchmarks/synth.py --papers 50000`` to build (cached under benchmarks/out/),
``--verify`` to check the bulk rows against the store's own upsert, ``--compare`` to check the
calibration.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import glob
import hashlib
import itertools
import json
import multiprocessing
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from bot.models import Paper
from bot.store import Store, tag_token
from bot.store import migrations as store_migrations
from bot.taxonomy import canonical_tag

OUT = Path(__file__).resolve().parent / "out"
CHUNK = 20_000  # papers per generated chunk: part of the determinism contract, and bounds memory
LAST_DAY = date(2025, 11, 21)  # a Friday; the history runs back from here
SOURCE = "digest-md"
PROFILE_PATH = Path(__file__).resolve().parent / "real_profile.json"
VOCAB_SIZE = 12_000  # with VOCAB_EXPONENT: distinct words per paper count near the real ones (--compare)
VOCAB_EXPONENT = 1.0

# ---- vocabulary ---------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Word lists are written as running text: easier to read and edit than quoted literals."""
    return text.split()


FUNCTION_WORDS = _words("""the of and a to in we is for that on with by as an are this our from at which be can
it its these their both more than into while such using across over between two three under without
based each also only not new how when where one other has have been most""")

# The head of the content vocabulary, most frequent first: what "common" searches look like.
TOP_WORDS = _words("""model models language learning training data large performance tasks method results
approach image video generation framework text network benchmark reasoning neural propose existing
diffusion evaluation multimodal visual quality information dataset agents state methods""")

DOMAIN_WORDS = _words("""attention transformer transformers encoder decoder embedding embeddings token tokens
tokenizer pretraining finetuning alignment preference reward policy agent planning retrieval
augmented generative discriminative adversarial contrastive supervised unsupervised semi
selfsupervised representation representations latent space manifold gradient descent optimizer
optimization convergence regularization dropout normalization batch layer layers residual
convolutional recurrent sequence sequences autoregressive masked denoising score matching flow
flows sampling sampler inference decoding beam search speculative distillation teacher student
compression quantization pruning sparse sparsity mixture experts routing scaling laws compute
efficient efficiency throughput latency memory cache context window length long short horizon
instruction instructions following chat dialogue conversation assistant prompt prompting
chain thought reflection verification verifier critic judge rubric annotation annotators human
feedback reinforcement exploration exploitation trajectory trajectories rollout rollouts environment
simulation simulator robot robotic manipulation navigation locomotion grasping embodied perception
segmentation detection classification recognition tracking depth estimation reconstruction
rendering radiance gaussian splatting mesh geometry scene scenes camera pose motion temporal spatial
spatiotemporal frame frames resolution upsampling editing inpainting synthesis stylization
controllable conditioning guidance classifier free prior posterior variational bayesian
probabilistic uncertainty calibration robustness adversarial attack attacks defense jailbreak safety
harmful toxicity bias fairness privacy watermark watermarking detection hallucination factuality
grounding grounded citation knowledge graph graphs entity relation extraction question answering
summarization translation multilingual lowresource speech audio music sound speaker voice acoustic
waveform spectrogram vocoder asr transcription caption captioning vision vlm llm mllm omni
document documents table tables chart charts code coding program programs synthesis repository
software bug math mathematical theorem proof proofs solver arithmetic symbolic logic logical
commonsense causal counterfactual tool tools api calling web browser search engine recommendation
user users personalization ranking reranking query queries corpus corpora curation filtering
synthetic augmentation scaling pretrained foundation checkpoint open source weights release
leaderboard evaluation metric metrics accuracy precision recall score baseline baselines ablation
ablations analysis empirical theoretical bound bounds guarantee generalization transfer domain
adaptation continual lifelong federated distributed parallel hardware gpu kernel kernels
throughput serving deployment edge mobile device medical clinical biomedical protein molecule
molecular chemistry materials climate weather forecasting financial legal education scientific
discovery hypothesis experiment experiments""")

_ONSETS = _words("b c d f g h j k l m n p r s t v w z br cr dr fl gl gr kl pl pr sk sl sp st tr str ch sh th")
_VOWELS = _words("a e i o u a e i o ai ea io ou")
_CODAS = ["", "", "", "n", "r", "s", "l", "x", "m", "nt", "rd", "st"]
_MORPH_A = _words("""neuro hyper meta omni poly quanto graph visio lingu spectro morpho chrono cortex astro
geo bio cyber nano holo terra aero hydro photo sono proto auto""")
_MORPH_B = _words("""former net gen flow fusion mix bench scope tron lens forge craft mind sense path grid
loop core wave verse shift""")
_NAME_A = _words("""Omni Flux Sigma Aero Vid Nova Quill Astra Lumi Orion Zephyr Kairo Helio Vera Cosmo Pixel
Echo Mira Nexus Terra Vista Lyra Atlas Delta Gamma Kappa Theta Zeta Rho Tau Iris Onyx Pulse Spark
Blaze Frost Ember Halo Prism Quasar Raven Sol Tempo Umbra Vector Wisp Xeno Yotta Zen Arc Bolt
Cipher Drift Flare Glyph Hydra Ion Jade Koda Lux Mosaic Nimbus Opal Pico Quark Rune Sage Tide
Unity Volt Warp Apex Bloom Crest Dune Ether Fable Gale Haze Ivy Jolt Kite Lotus Mist Nook Oasis
Pivot Quest Ridge Shard Thorn Vapor Wren Yarrow Zinc Amber Beacon Comet Dawn Eon Fern""")
_NAME_B = _words("""Former Bench Gen Net Flow Mix Reward RL VLM LM Agent Coder Math Edit Diff Fusion Align
Tune Search Mind Vision Voice Sense Scope Forge Craft Lens Path Grid Loop Core Wave Verse Shift Pro
Max Lite Zero One X Plus Star Wing Nav Bot Sim World Dream Paint Draw Talk Chat Read Write Think
Plan Act Rank Judge Guard Probe Map Scene Pose Motion Depth Mesh Splat Tok Quant Prune Sparse
MoE Cache Attn Seq Graph Code Proof Chem Bio Med Geo Audio Music Speech Sing Dance Cam Shot""")
_FIRST = _words("""Wei Yang Jie Xin Hao Jun Yu Lei Chen Ming Hui Ying Jing Li Tao Feng Bo Qi Yi Zhi Kai Rui
Ananya Arjun Rohan Priya Vikram Aditya Neha Rahul Kavya Siddharth Maria Jose Carlos Ana Luis
Sofia Diego Lucia Pablo Elena Thomas Anna Lukas Julia Felix Laura Jonas Sarah Max Lea James Emily
Michael Olivia David Emma Daniel Sophia Matthew Hannah Andrew Grace Ryan Chloe Kevin Alice Jason
Rachel Eric Megan Brian Nina Samuel Clara Ivan Olga Dmitry Irina Sergei Natalia Alexei Tatiana
Hiroshi Yuki Takeshi Haruka Kenji Sakura Minjun Jiwoo Seoyeon Hyunwoo Jisoo Ahmed Fatima Omar
Layla Youssef Amira Kwame Amara Tunde Chidi Ngozi Pierre Camille Louis Manon Hugo Chloe Marco
Giulia Luca Francesca Matteo Chiara Noah Liam Ethan Mason Ava Mia Zoe Nora Isaac Leo""")
_LAST = _words("""Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Liang
Song Zheng Xie Han Tang Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng
Wei Su Lu Ding Ren Shen Yao Kumar Sharma Singh Patel Gupta Reddy Iyer Nair Rao Mehta Garcia
Rodriguez Martinez Lopez Gonzalez Hernandez Perez Sanchez Ramirez Torres Muller Schmidt Schneider
Fischer Weber Meyer Wagner Becker Hoffmann Smith Johnson Williams Brown Jones Miller Davis Wilson
Anderson Taylor Thomas Moore Jackson White Harris Martin Thompson Clark Lewis Walker Hall Allen
Young King Wright Scott Green Baker Adams Nelson Ivanov Petrov Smirnov Volkov Sokolov Tanaka
Suzuki Takahashi Watanabe Yamamoto Nakamura Kobayashi Kato Kim Lee Park Choi Jung Kang Cho Yoon
Hassan Ali Khan Ahmed Ibrahim Mensah Okafor Adeyemi Dubois Moreau Laurent Bernard Rossi Russo
Ferrari Esposito Bianchi Romano Cohen Levi Novak Kowalski Nowak Silva Santos Costa Oliveira""")

@dataclass(frozen=True)
class Vocab:
    """Words by Zipf rank with cumulative weights, plus the name pools. Same seed, same vocabulary."""

    words: tuple[str, ...]
    cum: tuple[float, ...]
    content: tuple[str, ...]  # for titles: no function words
    content_cum: tuple[float, ...]
    exponent: float
    mean_len: float  # expected characters per drawn word, with its space: sizes text without a loop

    def probability(self, rank: int) -> float:
        """Chance that one drawn word is the word at ``rank`` (0-based): to predict document frequency."""
        return (1.0 / (rank + 1) ** self.exponent) / self.cum[-1]


def _coined(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    """``n`` new pronounceable words ("strivonex"), none in ``taken``: the vocabulary's long tail."""
    out: list[str] = []
    while len(out) < n:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 3)))
        word += rng.choice(_CODAS)
        if 5 <= len(word) <= 12 and word not in taken:
            taken.add(word)
            out.append(word)
    return out


@lru_cache(maxsize=4)
def vocabulary(seed: int, size: int = VOCAB_SIZE, exponent: float = VOCAB_EXPONENT) -> Vocab:
    """Function words first, then common ML words, other ML words and compounds, then coined words."""
    rng = random.Random(f"vocab:{seed}")
    head = list(dict.fromkeys([*FUNCTION_WORDS, *TOP_WORDS]))
    middle = [w for w in dict.fromkeys(DOMAIN_WORDS) if w not in head]
    rng.shuffle(middle)
    compounds = [a + b for a in _MORPH_A for b in _MORPH_B]
    rng.shuffle(compounds)
    taken = {*head, *middle, *compounds}
    tail = compounds + _coined(rng, max(0, size - len(head) - len(middle) - len(compounds)), taken)
    rng.shuffle(tail)
    words = tuple((head + middle + tail)[:size])
    weights = [1.0 / (r + 1) ** exponent for r in range(len(words))]
    function = set(FUNCTION_WORDS)
    content = [(w, x) for w, x in zip(words, weights, strict=True) if w not in function]
    return Vocab(
        words=words, cum=tuple(itertools.accumulate(weights)),
        content=tuple(w for w, _ in content), content_cum=tuple(itertools.accumulate(x for _, x in content)),
        exponent=exponent,
        mean_len=sum((len(w) + 1) * x for w, x in zip(words, weights, strict=True)) / sum(weights),
    )


def method_names() -> list[str]:
    """Every possible per-paper method name: the rarest full-text terms (a search for one paper)."""
    return [a + b for a in _NAME_A for b in _NAME_B]


def name_parts() -> list[str]:
    """First and last names authors are made of (query terms must not hide inside them)."""
    return [*_FIRST, *_LAST]


# ---- the real data's shape ---------------------------------------------------------------------------

PERCENTILES = tuple(range(0, 101, 5))


def _real_dir() -> Path:
    shared = os.environ.get("PAPERBOY_SHARED") or str(Path(__file__).resolve().parents[2] / "shared")
    return Path(shared) / "data" / "digests" / "train"


def real_papers(folder: Path | None = None) -> tuple[list[dict], list[int]]:
    """The real digests' distinct papers (first entry of each, plus how many days it was featured)
    and the number of entries on each weekday file: what the profile and ``--compare`` measure."""
    by_id: dict[str, dict] = {}
    per_day: list[int] = []
    for f in sorted(glob.glob(str((folder or _real_dir()) / "*.json"))):
        entries = json.loads(Path(f).read_text(encoding="utf-8"))
        if date.fromisoformat(Path(f).stem).weekday() < 5:
            per_day.append(len(entries))
        for e in entries:
            aid = str(e.get("link", "")).rstrip("/").rsplit("/", 1)[-1]
            if aid in by_id:
                by_id[aid]["featured"] += 1
                continue
            tags = list(dict.fromkeys(t for t in (canonical_tag(x) for x in e.get("classification") or []) if t))
            by_id[aid] = {"title": e.get("title") or "", "summary": (e.get("summary") or "").strip(),
                          "tags": tags, "featured": 1}
    return list(by_id.values()), per_day


def _percentiles(xs: list[float]) -> list[float]:
    s = sorted(xs)
    return [s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))] for q in PERCENTILES]


def measure_profile(folder: Path | None = None) -> dict:
    """The figures synth draws from, measured on the real digests (``--calibrate`` writes them)."""
    found, per_day = real_papers(folder)
    if not found:
        raise SystemExit(f"no real digests found under {folder or _real_dir()}; set PAPERBOY_SHARED")
    sets = collections.Counter(tuple(p["tags"]) for p in found if p["tags"])
    featured = collections.Counter(min(3, p["featured"]) for p in found)
    return {
        "source": "shared/data/digests/train", "papers": len(found), "days": len(per_day),
        "papers_per_weekday": sorted(per_day),
        "tag_sets": [[list(t), c] for t, c in sorted(sets.items(), key=lambda x: (-x[1], x[0]))],
        "featured_days": {str(k): v for k, v in sorted(featured.items())},
        "title_chars": _percentiles([len(p["title"]) for p in found]),
        "summary_chars": _percentiles([len(p["summary"]) for p in found]),
    }


@lru_cache(maxsize=1)
def profile() -> dict:
    return json.loads(PROFILE_PATH.read_text(encoding="utf-8"))


def from_percentiles(rng: random.Random, table: list[float]) -> int:
    """A draw from a distribution given by its percentiles (every 5 %), linear in between."""
    x = rng.random() * (len(table) - 1)
    i = int(x)
    j = min(i + 1, len(table) - 1)
    return round(table[i] + (table[j] - table[i]) * (x - i))


# ---- calendar -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What every chunk needs to generate its papers independently: the featured weekdays, where
    each day's papers start, and how ids are numbered.

    Papers per day are drawn from the real days' counts, walking back from LAST_DAY over weekdays
    until ``n`` papers are placed. Ids are ``YYMM.NNNNN`` like arXiv's; a long history has many
    months with the same YYMM, so numbers continue across them (``month_offset``) and stay unique.
    """

    n: int
    seed: int
    days: tuple[str, ...]
    starts: tuple[int, ...]  # index of the first paper of each day (a day with no papers repeats it)
    month_start: dict[str, int]  # "YYYY-MM" → index of its first paper
    month_offset: dict[str, int]  # "YYYY-MM" → papers numbered before it in months of the same YYMM

    @classmethod
    def make(cls, n: int, seed: int) -> Plan:
        rng = random.Random(f"days:{seed}")
        counts_pool = profile()["papers_per_weekday"]
        days: list[str] = []
        counts: list[int] = []
        total, d = 0, LAST_DAY
        while total < n:
            if d.weekday() < 5:
                c = min(rng.choice(counts_pool), n - total)
                days.append(d.isoformat())
                counts.append(c)
                total += c
            d -= timedelta(days=1)
        days.reverse()
        counts.reverse()
        starts = list(itertools.accumulate([0, *counts[:-1]]))
        month_start: dict[str, int] = {}
        month_offset: dict[str, int] = {}
        used: collections.Counter[str] = collections.Counter()
        for day, start, c in zip(days, starts, counts, strict=True):
            if c and day[:7] not in month_start:
                month_start[day[:7]] = start
                month_offset[day[:7]] = used[_yymm(day)]
            used[_yymm(day)] += c
        if used and max(used.values()) > 99_999:
            raise ValueError(f"{n:,} papers overflow arXiv's five-digit numbers in one YYMM")
        return cls(n, seed, tuple(days), tuple(starts), month_start, month_offset)

    def day_index(self, i: int) -> int:
        return bisect.bisect_right(self.starts, i) - 1

    def arxiv_id(self, i: int) -> str:
        day = self.days[self.day_index(i)]
        return f"{_yymm(day)}.{self.month_offset[day[:7]] + i - self.month_start[day[:7]] + 1:05d}"


def weekdays(n_papers: int, seed: int = 1) -> list[str]:
    """The featured days, oldest first, of a store of ``n_papers``."""
    return list(Plan.make(n_papers, seed).days)


def _yymm(day: str) -> str:
    return day[2:4] + day[5:7]


# ---- papers -----------------------------------------------------------------------------------------


class _Writer:
    """Generates one chunk's papers; one RNG per chunk keeps output independent of worker count."""

    def __init__(self, plan: Plan, chunk: int) -> None:
        self.plan = plan
        self.rng = random.Random(f"papers:{plan.seed}:{chunk}")
        self.vocab = vocabulary(plan.seed)
        prof = profile()
        self.tag_sets = [list(t) for t, _ in prof["tag_sets"]]
        self.tag_cum = list(itertools.accumulate(c for _, c in prof["tag_sets"]))
        self.featured = [int(k) for k in prof["featured_days"]]
        self.featured_cum = list(itertools.accumulate(prof["featured_days"].values()))
        self.title_chars = prof["title_chars"]
        self.summary_chars = prof["summary_chars"]

    def words(self, k: int) -> list[str]:
        return self.rng.choices(self.vocab.words, cum_weights=self.vocab.cum, k=k)

    def sentence(self, chars: int, method: str) -> str:
        """About ``chars`` characters of Zipf words, the method name dropped in now and then."""
        words = self.words(max(4, int(chars / self.vocab.mean_len)))
        if self.rng.random() < 0.5:
            words[self.rng.randrange(len(words))] = method
        return " ".join(words)

    def title(self, method: str) -> str:
        """Capitalised content words (a few joiners) up to a real title's length; often "Method: ..."."""
        rng = self.rng
        target = from_percentiles(rng, self.title_chars)
        joiners = ("for", "with", "of", "via", "and", "in")
        text = f"{method}: " if rng.random() < 0.4 else ""
        first = True
        while len(text) < target - 3:
            if not first and rng.random() < 0.15:
                word = rng.choice(joiners)
            else:
                word = rng.choices(self.vocab.content, cum_weights=self.vocab.content_cum)[0].capitalize()
            text += ("" if first and not text else " ") + word
            first = False
        return text.strip()

    def summary(self, method: str) -> str:
        """Five bullets (as real digests have) of a real summary's total length."""
        total = from_percentiles(self.rng, self.summary_chars)
        bullets = 5
        lines = [f"- {self.sentence(total // bullets - 3, method).capitalize()}." for _ in range(bullets)]
        lines[0] = f"- {method}, " + lines[0][2:]
        return "\n".join(lines)

    def abstract(self, method: str) -> str:
        """900-1300 characters of sentences."""
        rng = self.rng
        total, parts, size = rng.randint(900, 1300), [], 0
        while size < total - 40:
            n = min(total - size, rng.randint(90, 200))
            s = self.sentence(n, method).capitalize() + "."
            parts.append(s)
            size += len(s) + 1
        return " ".join(parts)

    def authors(self) -> list[str]:
        rng = self.rng
        return [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rng.randint(3, 12))]

    def tags(self) -> list[str]:
        """A real paper's whole tag set: tag shares, tags per paper and co-occurrence as measured."""
        return list(self.rng.choices(self.tag_sets, cum_weights=self.tag_cum)[0])

    def upvotes(self) -> int:
        """Most papers get a handful, one in ten a few dozen, one in a hundred hundreds (capped at 500)."""
        return min(500, int(4 * self.rng.paretovariate(1.0)) - 4 + self.rng.randint(0, 3))

    def github(self, method: str) -> list[str]:
        rng = self.rng
        k = rng.choices((0, 1, 2), weights=(45, 45, 10))[0]
        return [f"https://github.com/{rng.choice(_LAST).lower()}{rng.randint(1, 99)}/{method.lower()}"
                + ("" if j == 0 else f"-{rng.choice(('data', 'eval', 'demo'))}") for j in range(k)]

    def paper(self, i: int) -> Paper:
        rng, plan = self.rng, self.plan
        di = plan.day_index(i)
        first = plan.days[di]
        times = rng.choices(self.featured, cum_weights=self.featured_cum)[0]
        later = {min(len(plan.days) - 1, di + rng.randint(1, 10)) for _ in range(times - 1)} - {di}
        dates = [first, *(plan.days[j] for j in sorted(later))]
        method = rng.choice(_NAME_A) + rng.choice(_NAME_B)
        return Paper(
            arxiv_id=plan.arxiv_id(i),
            title=self.title(method),
            authors=self.authors(),
            abstract=self.abstract(method),
            summary=self.summary(method),
            tags=self.tags(),
            github_urls=self.github(method),
            upvotes=self.upvotes(),
            dates=dates,
            source=SOURCE,
            published_at=f"{first}T00:00:00.000Z",
            tags_source="digest",
        )


def chunk_papers(plan: Plan, chunk: int) -> list[Paper]:
    """Papers ``chunk*CHUNK`` up to the next chunk (or n), chronological by first featured day."""
    writer = _Writer(plan, chunk)
    return [writer.paper(i) for i in range(chunk * CHUNK, min(plan.n, (chunk + 1) * CHUNK))]


def papers(n: int, seed: int) -> Iterator[Paper]:
    """All ``n`` papers in order (single process; for tests and ``--verify``)."""
    plan = Plan.make(n, seed)
    for c in range(-(-n // CHUNK)):
        yield from chunk_papers(plan, c)


# ---- rows in the store's shape -------------------------------------------------------------------

PAPER_COLUMNS = (
    "arxiv_id", "title", "authors", "abstract", "summary", "github_urls", "huggingface_urls",
    "project_page", "upvotes", "keywords", "published_at", "source", "summary_source", "authors_source",
    "tags_source", "last_day", "created_at", "updated_at", "tags_text",
)


@dataclass
class Rows:
    """One chunk as tuples for executemany, shaped like what ``Store.upsert_papers`` writes."""

    papers: list[tuple]
    appearances: list[tuple]
    paper_tags: list[tuple]
    tag_days: list[tuple]


def rows_of(batch: list[Paper]) -> Rows:
    """Rows of a new paper exactly as ``_merge``/``_upsert_one``/``_apply_tags`` would leave them."""
    rows = Rows([], [], [], [])
    for p in batch:
        last_day = max(p.dates) if p.dates else ""
        stamp = f"{p.dates[0]}T07:00:00+00:00"  # the store writes the import time; any fixed value will do
        tags = list(dict.fromkeys(p.tags))
        rows.papers.append((
            p.arxiv_id, p.title, json.dumps(p.authors, ensure_ascii=False), p.abstract, p.summary,
            _union(p.github_urls), _union(p.huggingface_urls),
            p.project_page, int(p.upvotes or 0), _union(p.keywords), p.published_at,
            p.source, p.source if p.summary else "", p.source if p.authors else "",
            (p.tags_source or "auto") if tags else "", last_day, stamp, stamp,
            " ".join(tag_token(t) for t in tags),
        ))
        days = list(dict.fromkeys(p.dates))
        rows.appearances += [(p.arxiv_id, d, p.source, int(p.upvotes or 0)) for d in days]
        rows.paper_tags += [(p.arxiv_id, t, i) for i, t in enumerate(tags)]
        rows.tag_days += [(t, d, int(p.upvotes or 0), p.arxiv_id) for t in tags for d in days]
    return rows


def _union(values: list[str]) -> str:
    """The store keeps URL and keyword lists as sorted sets (its merge rule), so the rows do too."""
    return json.dumps(sorted(set(values)), ensure_ascii=False)


def _chunk_rows(args: tuple[Plan, int]) -> Rows:
    plan, chunk = args
    return rows_of(chunk_papers(plan, chunk))


# ---- bulk load ----------------------------------------------------------------------------------------


def _insert(conn: sqlite3.Connection, rows: Rows) -> None:
    marks = ",".join("?" * len(PAPER_COLUMNS))
    conn.executemany(f"INSERT INTO papers ({','.join(PAPER_COLUMNS)}) VALUES ({marks})", rows.papers)
    conn.executemany("INSERT INTO appearances (arxiv_id, day, source, upvotes) VALUES (?,?,?,?)",
                     rows.appearances)
    conn.executemany("INSERT INTO paper_tags (arxiv_id, tag, position) VALUES (?,?,?)", rows.paper_tags)
    conn.executemany("INSERT INTO tag_days (tag, day, upvotes, arxiv_id) VALUES (?,?,?,?)", rows.tag_days)


def load(path: Path, chunks: Iterator[Rows], *, log: bool = False) -> None:
    """Create the real schema at ``path`` via ``Store`` and bulk-load ``chunks`` into it.

    The triggers on ``papers`` (they keep the full-text index in step) are dropped for the load;
    afterwards each AFTER INSERT trigger is replayed once as a set statement over all rows (its own
    SQL, ``new`` aliasing ``papers``), which fills the index far faster than a trigger per row, and
    then every trigger is recreated from the exact SQL it had. This works whatever the FTS layout,
    so the loader needs no change when the store's schema does. Journaling is off during the load
    (the file is a throwaway until the caller renames it) and WAL is restored after.
    """
    Store(path).close()
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("BEGIN")
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'papers' ORDER BY name"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    t0, total = time.perf_counter(), 0
    for rows in chunks:
        _insert(conn, rows)
        total += len(rows.papers)
        if log:
            _say(f"  {total:>9,} papers inserted  {time.perf_counter() - t0:6.1f}s")
    t1 = time.perf_counter()
    for _, sql in triggers:
        replay = _as_set_statement(sql)
        if replay:
            conn.execute(replay)
    if log:
        _say(f"  full-text index filled in {time.perf_counter() - t1:.1f}s")
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")  # no ANALYZE: the store never runs it, so neither do we
    conn.close()


def _as_set_statement(trigger_sql: str) -> str | None:
    """``AFTER INSERT ON papers BEGIN INSERT INTO x (...) VALUES (...); END`` → one INSERT … SELECT.

    None for other triggers; an error for an insert trigger of another shape, rather than a silently
    incomplete index.
    """
    head = re.match(r'(?is)\s*CREATE\s+TRIGGER\s+\S+\s+AFTER\s+INSERT\s+ON\s+"?papers"?\s+BEGIN\s+(.*)\bEND\s*$',
                    trigger_sql)
    if not head:
        return None
    body = head[1].strip().rstrip(";").strip()
    m = re.fullmatch(r"(?is)(INSERT\s+INTO\s+.*?\))\s*VALUES\s*\((.*)\)", body)
    if not m or ";" in body:
        raise ValueError(f"cannot replay this insert trigger as a bulk statement: {trigger_sql}")
    return f"{m[1]} SELECT {m[2]} FROM papers AS new"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


GENERATOR_VERSION = 2  # bump when generated content changes, so cached dbs are rebuilt


def schema_tag() -> str:
    """Short hash of the store's migrations and this generator: a cached db of another schema is
    never reused (opening it would run the new migrations on a million rows, and time that instead)."""
    names = [m.name for m in getattr(store_migrations, "_migrations", [])]
    return hashlib.sha1(repr((GENERATOR_VERSION, names)).encode()).hexdigest()[:8]


def db_path(n: int, seed: int) -> Path:
    return OUT / f"papers-{n}-s{seed}-{schema_tag()}.db"


def build_db(path: Path | None, n: int, seed: int = 1, *, rebuild: bool = False, log: bool = True) -> Path:
    """A store filled with ``n`` synthetic papers, cached: reused when the file already exists.

    Generation runs in a worker process while the main process inserts, so the two cores overlap.
    Built under a temporary name and renamed at the end, so an interrupted build is never reused.
    """
    path = Path(path) if path else db_path(n, seed)
    if path.exists() and not rebuild:
        if log:
            _say(f"reusing {path} ({path.stat().st_size / 1e9:.2f} GB)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for p in (path, tmp):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    plan = Plan.make(n, seed)
    jobs = [(plan, c) for c in range(-(-n // CHUNK))]
    t0 = time.perf_counter()
    if log:
        _say(f"building {n:,} papers (seed {seed}) over {len(plan.days):,} weekdays → {path}")
    ctx = multiprocessing.get_context("fork")
    workers = max(1, min(4, os.cpu_count() or 2))
    with ctx.Pool(workers) as pool:
        load(tmp, pool.imap(_chunk_rows, jobs), log=log)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.rename(path)
    if log:
        _say(f"built in {time.perf_counter() - t0:.1f}s, {path.stat().st_size / 1e9:.2f} GB")
    return path


# ---- verification -----------------------------------------------------------------------------------


def verify(n: int = 1000, seed: int = 1) -> bool:
    """Bulk rows == what ``Store.upsert_papers`` writes, on ``n`` papers; prints every difference.

    Compares the schema (including trigger SQL), every papers row but the two timestamps (rowids
    included), all appearances, paper_tags and tag_days, and full-text answers; runs FTS5's own
    integrity check on the bulk-built index.
    """
    batch = list(itertools.islice(papers(max(n, CHUNK), seed), n))
    ok = True
    with tempfile.TemporaryDirectory() as tmpdir:
        real, bulk = Path(tmpdir) / "upsert.db", Path(tmpdir) / "bulk.db"
        with Store(real) as store:
            store.upsert_papers(batch)
        load(bulk, iter([rows_of(batch)]))
        a, b = sqlite3.connect(real), sqlite3.connect(bulk)

        def check(what: str, sql: str, params: tuple = ()) -> None:
            nonlocal ok
            x, y = a.execute(sql, params).fetchall(), b.execute(sql, params).fetchall()
            if x != y:
                ok = False
                diff = [(r, s) for r, s in zip(x, y, strict=False) if r != s][:3]
                print(f"MISMATCH {what}: {len(x)} vs {len(y)} rows; first differences: {diff}")
            else:
                print(f"ok  {what}: {len(x)} rows identical")

        check("schema", "SELECT type, name, tbl_name, sql FROM sqlite_master "
              "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name")
        cols = ", ".join(c for c in PAPER_COLUMNS if c not in ("created_at", "updated_at"))
        check("papers", f"SELECT rowid, {cols} FROM papers ORDER BY rowid")
        check("appearances", "SELECT * FROM appearances ORDER BY arxiv_id, day")
        check("paper_tags", "SELECT * FROM paper_tags ORDER BY arxiv_id, tag")
        check("tag_days", "SELECT * FROM tag_days ORDER BY tag, day, arxiv_id")
        vocab = vocabulary(seed)
        for term in [*vocab.words[40:45], *vocab.words[500:503], *vocab.words[-3:], batch[7].title.split()[0]]:
            expr = f'"{term.strip(":")}"*'
            check(f"fts {expr}", "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rowid", (expr,))
        try:
            b.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")
            print("ok  FTS5 integrity-check of the bulk-built index")
        except sqlite3.DatabaseError as e:
            ok = False
            print(f"MISMATCH FTS5 integrity-check failed: {e}")
        with Store(bulk) as s:
            got = s.get(batch[0].arxiv_id)
            if got is None or got.title != batch[0].title or got.dates != batch[0].dates:
                ok = False
                print("MISMATCH Store.get on the bulk db")
        a.close()
        b.close()
    print("verify:", "OK" if ok else "FAILED")
    return ok


# ---- calibration: real vs synthetic ------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def shape(found: list[dict], per_day: list[int]) -> dict[str, float]:
    """The figures synth is calibrated on, for papers as dicts (title, summary, tags, featured)."""
    n = len(found)
    out: dict[str, float] = {}
    days = sorted(per_day)
    for q in (10, 50, 90):
        out[f"papers per weekday p{q}"] = days[min(len(days) - 1, q * len(days) // 100)]
    out["share featured on 2+ days"] = sum(p["featured"] > 1 for p in found) / n
    out["tags per paper, mean"] = sum(len(p["tags"]) for p in found) / n
    for k in (1, 2, 3):
        out[f"share with {k} tag{'s' * (k > 1)}"] = sum(len(p["tags"]) == k for p in found) / n
    out["share with 4+ tags"] = sum(len(p["tags"]) >= 4 for p in found) / n
    tags = collections.Counter(t for p in found for t in p["tags"])
    pairs = collections.Counter(pair for p in found for pair in itertools.combinations(sorted(p["tags"]), 2))
    for t in _SHOWN_TAGS:
        out[f"tag {t}"] = tags[t] / n
    for a, b in _SHOWN_PAIRS:
        out[f"pair {a} + {b}"] = pairs[(a, b)] / n
    for field_name in ("title", "summary"):
        lengths = sorted(len(p[field_name]) for p in found)
        for q in (10, 50, 90):
            out[f"{field_name} chars p{q}"] = lengths[q * n // 100]
    seen_words: set[str] = set()
    seen_tokens: set[str] = set()
    words = 0
    marks = {250, 1000, 2000, 4000, n}
    for i, p in enumerate(found, 1):
        text = f"{p['title']} {p['summary']}"
        found_words = _WORD.findall(text.lower())
        words += len(found_words)
        seen_words.update(found_words)
        seen_tokens.update(text.split())
        if i in marks:
            out[f"distinct words (index terms) in {i:,} papers"] = len(seen_words)
            out[f"distinct space-separated tokens in {i:,} papers"] = len(seen_tokens)
    out["words per title + summary"] = words / n
    return out


_SHOWN_TAGS = ("Natural Language Processing", "Multimodal", "Computer Vision", "Question Answering",
               "Text Generation", "Text-to-Image", "Visual Question Answering", "Reinforcement Learning",
               "Text2Text Generation", "Robotics", "Audio", "Tabular")
_SHOWN_PAIRS = (("Natural Language Processing", "Question Answering"),
                ("Natural Language Processing", "Text Generation"), ("Computer Vision", "Multimodal"),
                ("Multimodal", "Visual Question Answering"), ("Computer Vision", "Text-to-Image"))


def compare(seed: int = 1, folder: Path | None = None) -> int:
    """Print the real digests' figures next to those of as many synthetic papers (and of 4,000)."""
    real, real_days = real_papers(folder)
    if not real:
        print(f"no real digests under {folder or _real_dir()}; set PAPERBOY_SHARED")
        return 1
    n = max(4000, len(real))
    plan = Plan.make(n, seed)
    synth = [{"title": p.title, "summary": p.summary, "tags": p.tags, "featured": len(p.dates)}
             for p in papers(n, seed)]
    synth_days = [b - a for a, b in zip(plan.starts, [*plan.starts[1:], n], strict=True)][1:]
    left, right = shape(real, real_days), shape(synth[: len(real)], synth_days)
    right.update({k: v for k, v in shape(synth, synth_days).items() if "4,000" in k})
    print(f"real: {len(real):,} papers over {len(real_days)} weekdays ({folder or _real_dir()}); "
          f"synthetic: the first {len(real):,} (and {n:,}) papers of seed {seed}\n")
    print(f"{'figure':<52}{'real':>10}{'synthetic':>12}")
    for key in dict.fromkeys([*left, *right]):
        a, b = left.get(key), right.get(key)
        print(f"{key:<52}{_fmt(a):>10}{_fmt(b):>12}")
    return 0


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1%}" if isinstance(x, float) and x < 1 else f"{x:,.1f}" if isinstance(x, float) else f"{x:,}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rebuild", action="store_true", help="build even if a cached db exists")
    ap.add_argument("--verify", action="store_true", help="compare bulk rows with Store.upsert_papers")
    ap.add_argument("--compare", action="store_true", help="print real vs synthetic figures side by side")
    ap.add_argument("--calibrate", action="store_true", help=f"re-measure the real data into {PROFILE_PATH.name}")
    ap.add_argument("--real", type=Path, default=None, help="folder of real daily JSON digests")
    args = ap.parse_args(argv)
    if args.calibrate:
        PROFILE_PATH.write_text(json.dumps(measure_profile(args.real), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {PROFILE_PATH}")
        return 0
    if args.compare:
        return compare(args.seed, args.real)
    if args.verify:
        return 0 if verify(1000, args.seed) else 1
    build_db(None, args.papers, args.seed, rebuild=args.rebuild)
    return 0


if __name__ == "__main__":
    sys.exit(main())
