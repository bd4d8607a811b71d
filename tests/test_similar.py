"""``paperboy similar`` and its core: papers like one paper, from the store alone.

A hand-made store of six papers whose answer a reader can check by eye (two video-generation papers,
an image one, a video-QA one, speech and tables), then the sample days for the properties that must
hold on real data, then the command line as a real process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.models import Paper
from bot.more_like_this import components
from bot.pipeline import import_paths
from bot.render import render_digest
from bot.similar import MAX_LIMIT, SimilarError, similar_message, similar_papers
from bot.store import Store
from tests.test_cli import paperboy

Q, A, B, C, D, E = (f"2501.0000{i}" for i in range(1, 7))
PAPERS = [
    (Q, "VideoForge: temporally consistent video diffusion",
     "We generate long videos with a diffusion transformer and temporal attention for consistent motion.",
     ["Computer Vision", "Text-to-Video"]),
    (A, "Temporal attention for long video diffusion",
     "A diffusion model that keeps motion consistent across long generated videos.",
     ["Computer Vision", "Text-to-Video"]),
    (B, "Image diffusion with transformers", "A diffusion transformer that generates images from text prompts.",
     ["Computer Vision", "Text-to-Image"]),
    (C, "Speech recognition for low resource languages",
     "We transcribe speech in many languages with a small acoustic model.", ["Audio", "Automatic Speech Recognition"]),
    (D, "Tabular forecasting with gradient boosting", "Boosted trees forecast sales from tables of past sales.",
     ["Tabular", "Time Series Forecasting"]),
    (E, "A video question answering benchmark", "A benchmark of questions about long videos.",
     ["Multimodal", "Video-Text-to-Text"]),
]

# Papers on other subjects, so that words like "long" or "a" are as common here as in a real store.
FILLER = ["Graph networks predict molecule properties", "Robots learn to grasp household objects",
          "Retrieval of passages for open domain questions", "Protein folding from sequence alone",
          "Translating legal contracts between languages", "Reward models for chess engines",
          "Compressing language models to four bits", "Detecting cracks in bridges from drone photos",
          "Weather nowcasting from radar maps", "Summaries of scientific articles", "Agents that browse a website",
          "Depth from one camera image"]


@pytest.fixture
def six(db_path: Path) -> Path:
    with Store(db_path) as store:
        store.upsert_papers([Paper(arxiv_id=i, title=t, summary=s, tags=tags, tags_source="digest",
                                   dates=["2025-01-24"], source="digest-json") for i, t, s, tags in PAPERS])
        store.upsert_papers([Paper(arxiv_id=f"2502.000{i:02d}", title=t,
                                   summary=f"We study {t.lower()} with a long experiment for a year.",
                                   tags=["Other"], dates=["2025-01-23"]) for i, t in enumerate(FILLER)])
    return db_path


def answer(store: Store, ref: str, limit: int = 10) -> list[tuple[str, float]]:
    return [(m.paper.arxiv_id, m.score) for m in similar_papers(store, ref, limit)[1]]


def test_the_video_papers_come_first_then_the_other_generator_then_the_rest(six):
    with Store(six, readonly=True) as store:
        # speech (C), tables (D) and the fillers share only common words: score 0, left out
        assert answer(store, Q) == [(A, 0.9268), (B, 0.3293), (E, 0.0859)]
        assert answer(store, Q, 2) == [(A, 0.9268), (B, 0.3293)]


@pytest.mark.parametrize("ref", [Q, f"https://arxiv.org/abs/{Q}v3", f"https://huggingface.co/papers/{Q}",
                                 f"  arxiv.org/pdf/{Q}.pdf "])
def test_an_id_and_every_kind_of_link_give_the_same_answer(six, ref):
    with Store(six, readonly=True) as store:
        assert answer(store, ref) == answer(store, Q)


@pytest.mark.parametrize(("ref", "limit", "sentence"), [
    ("not a paper", 10, "'not a paper' is not an arXiv id or an arXiv/Hugging Face paper link."),
    ("", 10, "'' is not an arXiv id or an arXiv/Hugging Face paper link."),
    ("2501.99999", 10, "Paper 2501.99999 is not in the store; import or fetch the day it was featured first."),
    (Q, 0, f"The limit must be a whole number from 1 to {MAX_LIMIT}, not 0."),
    (Q, MAX_LIMIT + 1, f"The limit must be a whole number from 1 to {MAX_LIMIT}, not {MAX_LIMIT + 1}."),
])
def test_a_bad_or_unknown_id_is_refused_in_one_sentence(six, ref, limit, sentence):
    with Store(six, readonly=True) as store, pytest.raises(SimilarError) as caught:
        similar_papers(store, ref, limit)
    assert str(caught.value) == sentence


def test_a_paper_sharing_no_word_with_any_other_has_no_answer(six):
    with Store(six) as store:
        store.upsert_papers([Paper(arxiv_id="2501.00099", title="Zyxt qwopv", dates=["2025-01-24"])])
        assert answer(store, "2501.00099") == []
        message = similar_message(*similar_papers(store, "2501.00099"))
        assert (message["content"], message["embeds"]) == ("No stored paper is like Zyxt qwopv (arXiv:2501.00099) yet.",
                                                           [])


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    from tests.conftest import DATA, SEED, _need

    path = tmp_path_factory.mktemp("library") / "paperboy.db"
    with Store(path) as store:
        assert not import_paths(store, [_need(SEED), _need(DATA) / "digests"]).errors
    return path


def test_on_the_sample_days_never_itself_never_twice_scores_never_rising(library):
    with Store(library, readonly=True) as store:
        ids = store.similar.ids_at(range(1, 2400, 40))
        assert len(ids) == 56
        for aid in ids:
            got = answer(store, aid, MAX_LIMIT)
            names = [g[0] for g in got]
            scores = [g[1] for g in got]
            assert aid not in names and len(set(names)) == len(names) == MAX_LIMIT
            assert scores == sorted(scores, reverse=True) and scores[-1] > 0 and scores[0] <= 1


def test_the_discord_answer_and_every_digest_message_carry_one_button_per_paper(library):
    with Store(library, readonly=True) as store:
        message = similar_message(*similar_papers(store, "2501.13918", 10))
        shown = [e["footer"]["text"].split("arXiv:")[1] for e in message["embeds"]]
        buttons = [b for row in message["components"] for b in row["components"]]
        assert len(message["embeds"]) == 10 and [len(r["components"]) for r in message["components"]] == [5, 5]
        assert [b["custom_id"] for b in buttons] == [f"paperboy:similar:{i}" for i in shown]
        busy = store.papers_on("2025-03-11")
        assert len(busy) == 36
        for layout in ("channel", "thread"):
            for msg in render_digest("2025-03-11", busy, layout=layout):
                ids = [e["footer"]["text"].split("arXiv:")[1] for e in msg["embeds"]]
                rows = msg.get("components", [])
                assert rows == components([p for i in ids for p in busy if p.arxiv_id == i])
                assert [b["custom_id"] for r in rows for b in r["components"]] == [f"paperboy:similar:{i}" for i in ids]
                assert len(rows) <= 5 and all(len(r["components"]) <= 5 for r in rows)
                labels = [b["label"] for r in rows for b in r["components"]]
                assert all(len(label) <= 80 for label in labels)
                if len(ids) == 1:
                    assert labels == ["More like this"]


def test_cli_json_is_papers_json_plus_score_and_errors_are_one_line(six):
    code, out, err = paperboy("similar", f"https://huggingface.co/papers/{Q}", "--limit", "3", "--json", db=six)
    assert (code, err) == (0, "")
    items = json.loads(out)
    assert [(i["arxiv_id"], i["score"]) for i in items] == [(A, 0.9268), (B, 0.3293), (E, 0.0859)]
    code, out, _ = paperboy("papers", "--json", db=six)
    papers = {p["arxiv_id"]: p for p in json.loads(out)}
    assert all({k: v for k, v in i.items() if k != "score"} == papers[i["arxiv_id"]] for i in items)
    code, out, _ = paperboy("similar", Q, "--limit", "1", db=six)
    assert code == 0 and out.splitlines()[0] == (
        "Papers like VideoForge: temporally consistent video diffusion (arXiv:2501.00001), most similar first:")
    assert out.splitlines()[2] == "1. Temporal attention for long video diffusion" and "score 0.9268" in out
    for args, sentence in [(["nope"], "'nope' is not an arXiv id or an arXiv/Hugging Face paper link."),
                           (["2501.99999"], "Paper 2501.99999 is not in the store; import or fetch the day it "
                                            "was featured first.")]:
        code, out, err = paperboy("similar", *args, db=six)
        assert (code, out, err) == (1, "", f"paperboy: {sentence}\n")


def test_words_are_named_by_a_word_of_the_text_and_counted_up_to_the_cap(six):
    with Store(six, readonly=True) as store:
        index = store.similar
        # Porter is not idempotent: "diffus" typed back into FTS5 would be stemmed again, to "diffu"
        assert index.tokenizer.surface_words(["Diffusion models", "diffusing"]) == {
            "diffus": "diffusion", "model": "models"}
        assert index.tokenizer.counts(["diffus"]) == [{"diffu": 1}]
        assert index.capped_doc_freqs(["diffusion", "video", "long", "zzz"], 100) == {
            "diffusion": 3, "video": 3, "long": 15, "zzz": 0}  # long: Q, A, E and the 12 fillers
        assert index.capped_doc_freqs(["long"], 5) == {"long": 5}


def test_a_word_found_at_the_cap_is_not_counted_again_until_the_cap_rises(six):
    with Store(six, readonly=True) as store:
        index = store.similar
        statements: list[str] = []
        store.db.conn.set_trace_callback(statements.append)
        assert index.capped_doc_freqs(["long", "video"], 5) == {"long": 5, "video": 3}
        assert index.capped_doc_freqs(["long", "video"], 5) == {"long": 5, "video": 3}
        assert index.capped_doc_freqs(["long"], 20) == {"long": 15}  # a higher cap: counted again
        store.db.conn.set_trace_callback(None)
    counts = [s for s in statements if s.startswith("SELECT (SELECT count(*)")]  # not FTS5's own SQL
    assert [s.count("MATCH") for s in counts] == [2, 1, 1]
    assert "'\"video\"'" in counts[1] and "'\"long\"'" in counts[2]
