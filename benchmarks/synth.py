"""Deterministic synthetic papers, and a fast way to fill a real store with a million of them.

Why this exists: the query benchmark must run the real ``Store.query`` against a database of the size
and shape paperboy will reach (years of Hugging Face daily papers), and nobody has that data. So:

- Text is word salad, but its *statistics* are what matter to the indexes: a Zipf-distributed
  vocabulary (function words on top, then ML words, then a long tail of rarer coined words) gives
  full-text terms at every document frequency, and per-paper method names ("OmniFlux") give the very
  rare ones a search for a specific paper hits. Sizes (title, 3-12 authors, 4-6 bullet summary,
  abstract) match real digests, so rows and the FTS index are about as large as real ones.
- Tags follow the taxonomy with the skew Daily Papers shows (NLP/Text Generation/Multimodal common,
  Tabular rare), papers are spread over ~10 years of weekdays (~380 a day), ~3% featured twice.
- Everything is seeded per chunk, so the same (n, seed) always gives the same database, whatever the
  number of worker processes.
- ``build_db`` opens ``Store`` (so the schema is the real, migrated one), then bulk-inserts rows of
  exactly the shape ``Store.upsert_papers`` would leave (``--verify`` proves it on 1,000 papers), with
  the FTS triggers dropped during the load and the index rebuilt in one pass afterwards, then the very
  same trigger SQL restored. Going through ``upsert_papers`` for a million papers would take an hour.

Run ``python benchmarks/synth.py --papers 50000`` to build (cached under benchmarks/out/) or
``python benchmarks/synth.py --verify`` to check the bulk rows against the store's own upsert.
"""

from __future__ import annotations

import argparse
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
from bot.taxonomy import TASKS

OUT = Path(__file__).resolve().parent / "out"
CHUNK = 20_000  # papers per generated chunk: part of the determinism contract, and bounds memory
PER_DAY = 380  # papers featured per weekday, about what Daily Papers would reach at scale
LAST_DAY = date(2025, 11, 21)  # a Friday; the history runs back from here
SOURCE = "digest-md"
TWICE = 0.03  # share of papers featured on a second day

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

# Tag skew: a paper's main modality, then 0-3 tasks of it; weights are rough Daily Papers shares.
MODALITY_WEIGHTS = {
    "Natural Language Processing": 38, "Multimodal": 27, "Computer Vision": 20,
    "Reinforcement Learning": 6, "Audio": 5, "Other": 3, "Tabular": 1,
}
TASK_BOOST = {
    "Text Generation": 14, "Question Answering": 4, "Summarization": 1.5, "Translation": 1.5,
    "Text Classification": 1.5, "Feature Extraction": 1.5, "Text Retrieval": 2,
    "Image-Text-to-Text": 8, "Visual Question Answering": 4, "Video-Text-to-Text": 3, "Any-to-Any": 2,
    "Text-to-Image": 5, "Text-to-Video": 4, "Image-to-Image": 2.5, "Image Segmentation": 2,
    "Object Detection": 2, "Image-to-3D": 1.5, "Text-to-3D": 1.5, "Depth Estimation": 1.5,
    "Text-to-Speech": 3, "Automatic Speech Recognition": 3, "Text-to-Audio": 2,
    "Reinforcement Learning": 5, "Robotics": 4, "Graph Machine Learning": 2, "Other": 3,
    "Time Series Forecasting": 3,
}


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
def vocabulary(seed: int, size: int = 8000, exponent: float = 1.1) -> Vocab:
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


# ---- calendar -------------------------------------------------------------------------------------


def weekdays(n_papers: int) -> list[str]:
    """The featured days, oldest first: enough weekdays ending on LAST_DAY for PER_DAY papers each."""
    count = max(1, -(-n_papers // PER_DAY))
    days: list[str] = []
    d = LAST_DAY
    while len(days) < count:
        if d.weekday() < 5:
            days.append(d.isoformat())
        d -= timedelta(days=1)
    return days[::-1]


@dataclass(frozen=True)
class Plan:
    """What every chunk needs to generate its papers independently: day of each paper, id numbering."""

    n: int
    seed: int
    days: tuple[str, ...]
    month_start: dict[str, int]  # "YYMM" → index of the first paper whose first day is in that month

    @classmethod
    def make(cls, n: int, seed: int) -> Plan:
        days = weekdays(n)
        starts: dict[str, int] = {}
        for i in range(n):
            starts.setdefault(_yymm(days[i * len(days) // n]), i)
        return cls(n, seed, tuple(days), starts)

    def day_index(self, i: int) -> int:
        return i * len(self.days) // self.n


def _yymm(day: str) -> str:
    return day[2:4] + day[5:7]


# ---- papers -----------------------------------------------------------------------------------------


class _Writer:
    """Generates one chunk's papers; one RNG per chunk keeps output independent of worker count."""

    def __init__(self, plan: Plan, chunk: int) -> None:
        self.plan = plan
        self.rng = random.Random(f"papers:{plan.seed}:{chunk}")
        self.vocab = vocabulary(plan.seed)
        self.modalities = list(MODALITY_WEIGHTS)
        self.modality_cum = list(itertools.accumulate(MODALITY_WEIGHTS.values()))
        self.tasks = {m: (list(ts), list(itertools.accumulate(TASK_BOOST.get(t, 0.6) for t in ts)))
                      for m, ts in TASKS.items()}

    def words(self, k: int) -> list[str]:
        return self.rng.choices(self.vocab.words, cum_weights=self.vocab.cum, k=k)

    def sentence(self, chars: int, method: str) -> str:
        """About ``chars`` characters of Zipf words, the method name dropped in now and then."""
        words = self.words(max(4, int(chars / self.vocab.mean_len)))
        if self.rng.random() < 0.5:
            words[self.rng.randrange(len(words))] = method
        return " ".join(words)

    def title(self, method: str) -> str:
        rng = self.rng
        k = rng.randint(6, 16)
        words = rng.choices(self.vocab.content, cum_weights=self.vocab.content_cum, k=k)
        for i in range(1, k - 1):
            if rng.random() < 0.15:
                words[i] = rng.choice(("for", "with", "of", "via", "and", "in"))
        text = " ".join(w if w in ("for", "with", "of", "via", "and", "in") else w.capitalize() for w in words)
        if rng.random() < 0.4:
            text = f"{method}: " + " ".join(text.split()[: max(5, k - 1)])
        return text

    def summary(self, method: str) -> str:
        """4-6 bullets, 500-800 characters, like a digest's."""
        rng = self.rng
        bullets = rng.randint(4, 6)
        total = rng.randint(480, 760)
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
        """A main modality plus 0-3 of its tasks; sometimes a second modality (multimodal papers)."""
        rng = self.rng
        modality = rng.choices(self.modalities, cum_weights=self.modality_cum)[0]
        tasks, cum = self.tasks[modality]
        chosen = list(dict.fromkeys(rng.choices(tasks, cum_weights=cum, k=rng.choice((0, 1, 1, 2, 2, 3)))))
        out = [*chosen, modality]
        if rng.random() < 0.12:
            other = rng.choices(self.modalities, cum_weights=self.modality_cum)[0]
            if other not in out:
                out.append(other)
        return list(dict.fromkeys(out))[:4]

    def upvotes(self) -> int:
        """Most papers get a handful, one in ten a few dozen, one in a hundred hundreds (capped at 500)."""
        return min(500, int(4 * self.rng.paretovariate(1.0)) - 4 + self.rng.randint(0, 3))

    def github(self, method: str) -> list[str]:
        rng = self.rng
        k = rng.choices((0, 1, 2), weights=(45, 45, 10))[0]
        return [f"https://github.com/{rng.choice(_LAST).lower()}{rng.randint(1, 99)}/{method.lower()}"
                + ("" if j == 0 else f"-{rng.choice(('data', 'eval', 'demo'))}") for j in range(k)]

    def paper(self, i: int, n_in_month: int) -> Paper:
        rng, plan = self.rng, self.plan
        di = plan.day_index(i)
        first = plan.days[di]
        dates = [first]
        if rng.random() < TWICE and di + 1 < len(plan.days):
            dates.append(plan.days[min(len(plan.days) - 1, di + rng.randint(1, 10))])
        method = rng.choice(_NAME_A) + rng.choice(_NAME_B)
        return Paper(
            arxiv_id=f"{_yymm(first)}.{n_in_month:05d}",
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
    out = []
    for i in range(chunk * CHUNK, min(plan.n, (chunk + 1) * CHUNK)):
        month = _yymm(plan.days[plan.day_index(i)])
        out.append(writer.paper(i, i - plan.month_start[month] + 1))
    return out


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
            json.dumps(p.github_urls, ensure_ascii=False), json.dumps(p.huggingface_urls, ensure_ascii=False),
            p.project_page, int(p.upvotes or 0), json.dumps(p.keywords, ensure_ascii=False), p.published_at,
            p.source, p.source if p.summary else "", p.source if p.authors else "",
            (p.tags_source or "auto") if tags else "", last_day, stamp, stamp,
            " ".join(tag_token(t) for t in tags),
        ))
        days = list(dict.fromkeys(p.dates))
        rows.appearances += [(p.arxiv_id, d, p.source, int(p.upvotes or 0)) for d in days]
        rows.paper_tags += [(p.arxiv_id, t, i) for i, t in enumerate(tags)]
        rows.tag_days += [(t, d, int(p.upvotes or 0), p.arxiv_id) for t in tags for d in days]
    return rows


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


GENERATOR_VERSION = 1  # bump when generated content changes, so cached dbs are rebuilt


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rebuild", action="store_true", help="build even if a cached db exists")
    ap.add_argument("--verify", action="store_true", help="compare bulk rows with Store.upsert_papers")
    args = ap.parse_args(argv)
    if args.verify:
        return 0 if verify(1000, args.seed) else 1
    build_db(None, args.papers, args.seed, rebuild=args.rebuild)
    return 0


if __name__ == "__main__":
    sys.exit(main())
