"""Automatic tags: the shipped model loads and is used, tags valid, never empty, deterministic, sensible on
clear cases, better than the rules on a day after every training day; store learning never hurts."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from bot.models import Paper
from bot.tag_model import FEATURES_VERSION, FORMAT_VERSION, MODEL_PATH, LinearTagModel, features, load_model
from bot.tagging import CUES, RuleTagger, Tagger, rule_scores, tag_missing
from bot.taxonomy import ALL_TAGS, MODALITIES, modalities_of, modality_of

ROOT = Path(__file__).resolve().parents[1]

TTS = Paper(
    arxiv_id="2501.00001",
    title="FastVoice: Zero-Shot Text-to-Speech with Expressive Prosody",
    abstract=(
        "We present a text-to-speech system that synthesizes natural speech for unseen speakers from a "
        "three-second voice prompt. A neural vocoder turns predicted mel spectrograms into waveforms, "
        "and listening tests show higher naturalness than prior TTS models."
    ),
)
ROBOT = Paper(
    arxiv_id="2501.00002",
    title="Learning Dexterous Robot Manipulation from Human Videos",
    abstract=(
        "We train a robotic arm to grasp and manipulate household objects. A policy learned by "
        "imitation learning from human demonstrations transfers sim-to-real and succeeds on 80% of "
        "real-world manipulation trials with a parallel gripper."
    ),
)
VIDEO = Paper(
    arxiv_id="2501.00003",
    title="MotionFlow: Long Text-to-Video Generation with Diffusion Transformers",
    abstract=(
        "We propose a video diffusion model that generates minute-long videos from text prompts. "
        "Temporal attention keeps motion consistent across frames, and our video generation results "
        "beat open text-to-video baselines on VBench."
    ),
)
LLM = Paper(
    arxiv_id="2501.00004",
    title="Faster Decoding for Large Language Models",
    abstract=(
        "Large language models (LLMs) are slow at inference. We propose a speculative decoding scheme "
        "with a small draft model and a compressed KV cache, speeding up text generation by 2x."
    ),
)
VLM = Paper(
    arxiv_id="2501.00005",
    title="Seeing Clearly: Visual Question Answering with Vision-Language Models",
    abstract="We study how vision-language models (VLMs) answer questions about images (VQA).",
)
ASR = Paper(
    arxiv_id="2501.00006",
    title="Robust Speech Recognition for Noisy Call Centres",
    summary="- The paper fine-tunes Whisper for automatic speech recognition (ASR) and lowers word error rate.",
)
SYNTHETIC = [TTS, ROBOT, VIDEO, LLM, VLM, ASR]


@functools.cache
def _bench() -> ModuleType:
    """The benchmark script as a module, so the test and the table share one metric."""
    spec = importlib.util.spec_from_file_location("bench_tagging", ROOT / "benchmarks" / "bench_tagging.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    return module


@functools.cache
def _trainer() -> ModuleType:
    """The training script as a module: its declarations, data loading and split (no scikit-learn needed)."""
    return _bench().trainer()


def _labelled(data_dir: Path) -> list[Paper]:
    return _trainer().load_train(data_dir / "digests" / "train")


# ---- the shipped weights -----------------------------------------------------------------------


def test_shipped_weights_match_what_the_training_script_declares() -> None:
    model = load_model()
    tt = _trainer()
    assert model.meta["format"] == FORMAT_VERSION == 2
    assert model.meta["features_version"] == FEATURES_VERSION == 2
    assert model.meta["trainer_version"] == tt.TRAINER_VERSION
    assert model.meta["config_sha256"] == tt.config_sha256()
    assert set(model.labels) <= set(ALL_TAGS) and set(model.modality_classes) <= set(MODALITIES)
    assert MODEL_PATH.stat().st_size < 3_000_000  # shipped in the wheel: a few MB at most


def test_shipped_weights_were_trained_on_the_shared_train_folder(data_dir: Path) -> None:
    folder = data_dir / "digests" / "train"
    model = load_model()
    assert model.meta["data_sha256"] == _trainer().data_sha256(folder)
    papers = _labelled(data_dir)
    assert model.meta["trained_on"] == {"first_day": "2024-09-27", "last_day": "2025-04-30", "papers": len(papers)}
    assert model.meta["trained_ids"] == sorted({p.arxiv_id for p in papers})


def test_the_tagger_uses_the_shipped_model() -> None:
    tagger = Tagger()
    assert tagger._model is load_model()
    assert [tagger.tag(p) for p in SYNTHETIC] == [load_model().tag(p) for p in SYNTHETIC]
    assert [tagger.tag(p) for p in SYNTHETIC] != [RuleTagger().tag(p) for p in SYNTHETIC]


def test_a_weights_file_for_other_features_is_refused() -> None:
    with pytest.raises(ValueError, match=r"run scripts/train_tagger\.py again"):
        LinearTagModel({"format": FORMAT_VERSION, "features_version": FEATURES_VERSION + 1})


def test_a_tagger_survives_pickling_for_the_worker_process() -> None:
    import pickle

    tagger = Tagger()
    clone = pickle.loads(pickle.dumps(tagger))
    assert len(pickle.dumps(tagger)) < 1000  # the worker re-reads the shipped file instead
    assert [clone.tag(p) for p in SYNTHETIC] == [tagger.tag(p) for p in SYNTHETIC]


# ---- shape and validity ------------------------------------------------------------------------


def test_rule_table_names_only_taxonomy_tags_with_positive_weights() -> None:
    assert set(CUES) <= set(ALL_TAGS)
    assert all(w > 0 for table in CUES.values() for w in table.values())


@pytest.mark.parametrize("paper", SYNTHETIC, ids=lambda p: p.title[:30])
def test_tags_are_valid_few_and_main_modality_first(paper: Paper) -> None:
    tags = Tagger().tag(paper)
    assert 1 <= len(tags) <= 5
    assert len(set(tags)) == len(tags)
    assert all(t in ALL_TAGS for t in tags)
    # The first modality tag, if any, is the paper's main modality by taxonomy.modality_of.
    mods = [t for t in tags if t in MODALITIES and t != "Other"]
    if mods:
        assert modality_of(tags) == mods[0]


@pytest.mark.parametrize(
    "paper",
    [
        Paper(arxiv_id="x", title=""),
        Paper(arxiv_id="x", title="On Things", abstract="We study stuff and report numbers."),
        Paper(arxiv_id="x", title="§§§ ---", abstract="123 456 ... !!!", keywords=["", " "]),
    ],
    ids=["empty", "no-cues", "punctuation"],
)
def test_never_empty_even_without_evidence(paper: Paper) -> None:
    tags = Tagger().tag(paper)
    assert tags and all(t in ALL_TAGS for t in tags)


def test_nothing_at_all_falls_back_to_other() -> None:
    assert Tagger().tag(Paper(arxiv_id="x", title="")) == ["Other"]


# ---- clear-cut cases ---------------------------------------------------------------------------


def test_text_to_speech_paper() -> None:
    # The model names more audio tasks than the rules did (["Audio", "Text-to-Speech"]): its thresholds
    # for rare audio tags are low, tuned on few examples.
    tags = Tagger().tag(TTS)
    assert tags == ["Audio", "Text-to-Speech", "Audio-to-Audio", "Text-to-Audio", "Any-to-Any"]
    assert modality_of(tags) == "Audio"


def test_robot_manipulation_paper() -> None:
    assert Tagger().tag(ROBOT) == ["Reinforcement Learning", "Robotics", "Computer Vision"]


def test_video_generation_paper() -> None:
    tags = Tagger().tag(VIDEO)
    assert tags == ["Computer Vision", "Text-to-Video", "Image-to-Video", "Video Classification"]


def test_llm_paper_gets_the_house_style_pair() -> None:
    assert Tagger().tag(LLM) == ["Natural Language Processing", "Text Generation"]


def test_vlm_paper_is_multimodal() -> None:
    assert Tagger().tag(VLM) == ["Multimodal", "Visual Question Answering", "Computer Vision"]


def test_digest_summary_text_is_used_when_there_is_no_abstract() -> None:
    assert Tagger().tag(ASR) == ["Audio", "Automatic Speech Recognition"]


def test_keywords_count() -> None:
    paper = Paper(arxiv_id="x", title="A Study", keywords=["time series forecasting", "transformers"])
    assert Tagger().tag(paper) == ["Time Series Forecasting"]


def test_acronyms_match_case_sensitively() -> None:
    assert rule_scores(Paper(arxiv_id="x", title="QA", abstract="We use RL.")).get("Question Answering")
    lower = rule_scores(Paper(arxiv_id="x", title="qa", abstract="an rl sam clip"))
    assert "Question Answering" not in lower
    assert "Reinforcement Learning" not in lower
    assert "Image Segmentation" not in lower


def test_hyphens_spaces_and_plurals_are_folded() -> None:
    a = Tagger().tag(Paper(arxiv_id="x", title="Text-to-Video Generation with LLMs"))
    b = Tagger().tag(Paper(arxiv_id="x", title="text to video generation with LLM"))
    assert a == b == ["Multimodal", "Text-to-Video"]


def test_title_outweighs_a_passing_mention_in_the_abstract() -> None:
    paper = Paper(
        arxiv_id="x",
        title="Streaming Speech Recognition on Phones",
        abstract="Unlike image classification, speech recognition must run in real time.",
    )
    assert Tagger().tag(paper) == ["Audio", "Automatic Speech Recognition", "Computer Vision"]


def test_longest_cue_wins_so_mllm_papers_are_not_also_plain_llm_papers() -> None:
    scores = rule_scores(Paper(arxiv_id="x", title="A Multimodal Large Language Model"))
    assert scores.get("Multimodal", 0) > 0
    assert "Natural Language Processing" not in scores


# ---- determinism -------------------------------------------------------------------------------


def test_same_output_twice_and_across_fresh_taggers() -> None:
    tagger = Tagger()
    first = [tagger.tag(p) for p in SYNTHETIC]
    assert [tagger.tag(p) for p in SYNTHETIC] == first
    assert [Tagger().tag(p) for p in SYNTHETIC] == first


def test_same_output_across_processes_with_different_hash_seeds() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the tags must not."""
    code = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from tests.test_tagging import SYNTHETIC\n"
        "from bot.tagging import Tagger\n"
        "print(json.dumps([Tagger().tag(p) for p in SYNTHETIC]))\n"
    )
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, env=env, cwd=ROOT, check=True
        )
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1] == [Tagger().tag(p) for p in SYNTHETIC]


def _unseen(papers: list[Paper]) -> list[Paper]:
    """Labelled papers under ids the shipped model was not trained on (as newer digests would be)."""
    return [replace(p, arxiv_id=f"new-{p.arxiv_id}") for p in papers]


def test_learning_is_deterministic_and_independent_of_input_order(data_dir: Path) -> None:
    papers = _unseen(_labelled(data_dir)[-400:])
    shuffled = papers[:]
    random.Random(7).shuffle(shuffled)
    a, b = Tagger(), Tagger()
    assert a.learn(papers) == b.learn(shuffled) == 400
    assert a.offsets == b.offsets
    probe = [*SYNTHETIC, *(replace(p, tags=[], tags_source="") for p in papers[:20])]
    assert [a.tag(p) for p in probe] == [b.tag(p) for p in probe]


def test_learn_uses_only_digest_tagged_papers_the_model_was_not_trained_on() -> None:
    seen = load_model().meta["trained_ids"][0]
    papers = [
        replace(LLM, tags=["Natural Language Processing", "Text Generation"], tags_source="digest"),
        replace(VIDEO, tags=["Text-to-Video"], tags_source="digest"),
        replace(TTS, tags=["Audio"], tags_source="auto"),  # inferred tags would only echo the tagger
        replace(ROBOT, tags=[], tags_source="digest"),
        replace(ASR, tags=["Not A Tag"], tags_source="digest"),
        replace(VLM, arxiv_id=seen, tags=["Multimodal"], tags_source="digest"),  # the weights saw it
    ]
    tagger = Tagger()
    assert tagger.learn(papers) == 2
    assert tagger.offsets == {}  # far fewer than LEARN_MIN papers: nothing changes
    assert [tagger.tag(p) for p in SYNTHETIC] == [Tagger().tag(p) for p in SYNTHETIC]


def test_learning_from_the_models_own_training_papers_changes_nothing(data_dir: Path) -> None:
    tagger = Tagger()
    assert tagger.learn(_labelled(data_dir)) == 0
    assert tagger.offsets == {}


def test_store_learning_keeps_offsets_only_when_they_score_better(data_dir: Path) -> None:
    """The guard behind "learning from the store never lowers the score": offsets fitted on the older
    two thirds are kept only if the newest third scores better with them than without."""
    papers = sorted(_unseen(_labelled(data_dir)[-600:]), key=lambda p: (p.dates, p.arxiv_id, p.title))
    tagger = Tagger()
    assert tagger.learn(papers) == 600
    model = load_model()
    check = []
    for p in papers[400:]:
        probs, modality = model.probabilities(features(replace(p, tags=[]), model.idf))
        check.append((probs, modality, p.tags))
    if tagger.offsets:
        assert tagger._score(check, tagger.offsets) > tagger._score(check, {})
    empty = Tagger()
    empty.learn(list(reversed(papers)))
    assert empty.offsets == tagger.offsets


def test_learned_tagger_still_gives_valid_tags(data_dir: Path) -> None:
    tagger = Tagger()
    tagger.learn(_unseen(_labelled(data_dir)[-300:]))
    for paper in SYNTHETIC:
        tags = tagger.tag(paper)
        assert 1 <= len(tags) <= 5 and all(t in ALL_TAGS for t in tags)


# ---- tag_missing -------------------------------------------------------------------------------


def test_tag_missing_fills_only_empty_tags_and_keeps_digest_tags() -> None:
    digest = replace(VIDEO, tags=["Computer Vision"], tags_source="digest")
    odd = replace(LLM, tags=["Translation"], tags_source="")  # tagged by someone: still not ours to change
    bare = replace(TTS, tags=[], tags_source="")
    out = tag_missing([digest, odd, bare])
    assert out[0] is digest and out[0].tags == ["Computer Vision"] and out[0].tags_source == "digest"
    assert out[1] is odd and out[1].tags == ["Translation"]
    assert out[2].tags == Tagger().tag(bare) and out[2].tags_source == "auto"
    assert bare.tags == [] and bare.tags_source == ""  # the caller's paper is not mutated


def test_tag_missing_uses_the_given_tagger(data_dir: Path) -> None:
    tagger = Tagger()
    tagger.learn(_unseen(_labelled(data_dir)[-300:]))
    papers = [replace(p, tags=[]) for p in SYNTHETIC]
    assert [p.tags for p in tag_missing(papers, tagger)] == [tagger.tag(p) for p in papers]


def test_modalities_of_names_every_modality_directly_or_through_its_tasks() -> None:
    # The seed's own ordering: a Multimodal task first, then two modality tags.
    assert modalities_of(["Image-to-Text", "Computer Vision", "Multimodal"]) == {"Computer Vision", "Multimodal"}
    assert modality_of(["Image-to-Text", "Computer Vision", "Multimodal"]) == "Computer Vision"
    assert modalities_of(["Text Generation", "Reinforcement Learning"]) == {"Natural Language Processing",
                                                                          "Reinforcement Learning"}
    assert modalities_of(["Text-to-Speech"]) == {"Audio"}
    assert modalities_of(["Other"]) == {"Other"}
    assert modalities_of([]) == {"Other"}
    assert modalities_of(["Graph Machine Learning", "Not A Tag"]) == {"Other"}


# ---- real data ---------------------------------------------------------------------------------


def test_hf_sample_papers_all_get_valid_tags(data_dir: Path) -> None:
    papers = _bench().load_hf_sample(data_dir)
    if not papers:
        pytest.skip("no recorded HF Daily Papers response in the shared data")
    tagged = tag_missing(papers)
    assert len(tagged) == len(papers) == 25
    for paper in tagged:
        assert paper.tags_source == "auto"
        assert 1 <= len(paper.tags) <= 5
        assert all(t in ALL_TAGS for t in paper.tags), paper.tags


def test_a_later_day_than_any_training_day_is_tagged_better_than_by_the_rules(data_dir: Path) -> None:
    """2025-05-30 comes after every day the weights were trained on (its labels average 1.96 tags)."""
    bench = _bench()
    day = bench.load_day(data_dir / "digests" / "seed-format" / "2025-05-30.json")
    model, rules = bench.score(Tagger().tag, day), bench.score(RuleTagger().tag, day)
    assert (model.papers, rules.papers) == (51, 51)
    assert (round(model.f1, 3), round(rules.f1, 3)) == (0.583, 0.554)
    assert (model.modality_hits, rules.modality_hits) == (48, 46)  # main modality among the reference's
    assert (model.first_modality_hits, rules.first_modality_hits) == (40, 36)  # the reference's first one
