"""The merge rule does not depend on order: every import order of the same sources gives the same store.

Two kinds of evidence: every permutation of small conflicting sets (seeded, so a failure reproduces),
and the real archive in ``../shared/data`` imported forwards and backwards.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from pathlib import Path

from bot.models import Paper
from bot.pipeline import import_paths
from bot.sources import digest as digest_files
from bot.store import Store

TIMESTAMPS = {"created_at", "updated_at"}


def dump(db: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Everything an import decides, in a canonical order: papers (but when they were written),
    their tags with positions, appearances with source and upvotes, and the tag/day index."""
    cols = [r[1] for r in db.execute("PRAGMA table_info(papers)") if r[1] not in TIMESTAMPS]
    return {
        "papers": db.execute(f"SELECT {', '.join(cols)} FROM papers ORDER BY arxiv_id").fetchall(),
        "paper_tags": db.execute("SELECT * FROM paper_tags ORDER BY arxiv_id, tag").fetchall(),
        "appearances": db.execute("SELECT * FROM appearances ORDER BY arxiv_id, day").fetchall(),
        "tag_days": db.execute("SELECT * FROM tag_days ORDER BY tag, day, arxiv_id").fetchall(),
    }


SOURCES = ["digest-md", "digest-json", "hf-api", "arxiv"]
GUESS = {"2501.00001": ["Other"], "2501.00002": ["Audio", "Text-to-Speech"]}


def variant(rng: random.Random, aid: str) -> Paper:
    """One source's (conflicting) view of paper ``aid``: every field drawn from a small pool."""
    source = rng.choice(SOURCES)
    tags_source = rng.choice(["digest", "auto"])
    if tags_source == "digest":
        tags = rng.choice([[], ["Audio"], ["Audio", "Text-to-Speech"], ["Text-to-Speech", "Audio"], ["Other"]])
    else:  # the tagger's guess for this paper; the one exception to order-freedom is two different guesses
        tags = rng.choice([[], GUESS[aid]])
    return Paper(
        arxiv_id=aid,
        title=rng.choice(["Sigma", "Sigma: a study", "Sigma: a study…", "sigma", ""]),
        authors=rng.choice([[], ["hanglics"], ["Hang Li", "Ye Gong"], ["Ye Gong", "Hang Li"]]),
        abstract=rng.choice(["", "We present Sigma.", "We present Sigma, a model."]),
        summary=rng.choice(["", "An AI summary.", "- one\n- two", "- two\n- one", "- one"]),
        tags=tags,
        tags_source=rng.choice([tags_source, ""]) if tags and tags_source == "auto" else tags_source,
        github_urls=rng.choice([[], ["https://github.com/a/b"], ["https://github.com/z/y", "https://github.com/a/b"]]),
        huggingface_urls=rng.choice([[], ["https://huggingface.co/m"], ["https://huggingface.co/d"]]),
        project_page=rng.choice(["", "https://sigma.example", "https://sigma.example/x"]),
        upvotes=rng.choice([0, 3, 5]),
        dates=rng.choice([[], ["2025-01-24"], ["2025-01-23", "2025-01-24"], ["2025-01-27"]]),
        source=source,
        keywords=rng.choice([[], ["speech"], ["tts", "speech"]]),
        published_at=rng.choice(["", "2025-01-23T17:00:00.000Z", "2025-01-23T17:00:00Z"]),
    )


def state_after(papers: list[Paper], batches: list[int] | None = None) -> dict[str, list[tuple]]:
    with Store(":memory:") as store:
        i = 0
        for size in batches or [len(papers)]:
            store.upsert_papers(papers[i:i + size])
            i += size
        return dump(store.db.conn)


def test_every_order_of_conflicting_sources_ends_in_the_same_store():
    """24 orders x 15 seeded sets of four views (two papers, so batches mix papers); plus a re-import
    of any view changes nothing (idempotent)."""
    for seed in range(15):
        rng = random.Random(seed)
        views = [variant(rng, rng.choice(["2501.00001", "2501.00002"])) for _ in range(4)]
        reference = state_after(views)
        for order in itertools.permutations(views):
            assert state_after(list(order)) == reference, f"seed {seed}"
        # Any grouping into transactions, and any view seen twice, lands the same.
        assert state_after([*views, *views[:2]], batches=[1, 2, 3]) == reference, f"seed {seed}"


def test_two_digest_tag_sets_and_two_sources_of_a_day_do_not_depend_on_order():
    md = Paper("2501.00001", "T", tags=["Audio"], tags_source="digest", dates=["2025-01-24"], source="digest-md")
    js = Paper("2501.00001", "T", tags=["Text-to-Speech", "Audio"], tags_source="digest", dates=["2025-01-24"],
               source="digest-json", github_urls=["https://github.com/z/y", "https://github.com/a/b"])
    ax = Paper("2501.00001", "T", dates=["2025-01-24"], source="arxiv", github_urls=["https://github.com/c/d"])
    for order in itertools.permutations([md, js, ax]):
        with Store(":memory:") as store:
            for p in order:
                store.upsert_papers([p])
            got = store.get("2501.00001")
            source = store.db.execute("SELECT source FROM appearances").fetchall()
        assert got.tags == ["Text-to-Speech", "Audio"]          # the fuller digest set
        assert got.github_urls == ["https://github.com/a/b", "https://github.com/c/d", "https://github.com/z/y"]
        assert got.source == "digest-json"
        assert source == [("digest-json",)]                     # featured beats arXiv's listing


def test_an_automatic_guess_stays_until_digest_tags_come():
    with Store(":memory:") as store:
        store.upsert_papers([Paper("2501.00001", "T", tags=["Other"], tags_source="auto", source="hf-api")])
        stats = store.upsert_papers([Paper("2501.00001", "T", tags=["Audio", "Text-to-Speech"],
                                           tags_source="auto", source="hf-api")])
        assert (stats.updated, stats.unchanged, store.get("2501.00001").tags) == (0, 1, ["Other"])
        store.upsert_papers([Paper("2501.00001", "T", tags=["Audio"], tags_source="digest", source="digest-md")])
        assert store.get("2501.00001").tags == ["Audio"]


def test_every_real_digest_file_in_both_orders_gives_identical_stores(data_dir, tmp_path):
    """All 169 files of ../shared/data/digests (the archive's JSON days, Markdown twins, older layouts).

    Files whose papers come untagged are imported after the tagged ones in both orders: their tags
    are the tagger's guesses, and the tagger learns from the digest-tagged papers stored so far, so
    that one thing depends on what was imported before (README, "What holds with two writers").
    """
    files = digest_files.find_files([data_dir / "digests"])
    untagged = [f for f in files if any(not p.tags for p in digest_files.load_file(f).papers)]
    tagged = [f for f in files if f not in untagged]
    assert (len(files), len(tagged), len(untagged)) == (169, 166, 3)
    dumps = []
    for name, order in (("forward", tagged + untagged), ("backward", tagged[::-1] + untagged[::-1])):
        path = tmp_path / f"{name}.db"
        with Store(path) as store:
            report = import_paths(store, order)
        assert report.errors == []
        with sqlite3.connect(path) as db:
            dumps.append(dump(db))
    forward, backward = dumps
    assert len(forward["papers"]) == 2214
    for table in forward:
        assert backward[table] == forward[table], table


def test_the_markdown_and_json_twins_of_a_day_merge_the_same_either_way(data_dir, tmp_path):
    """The issue's case in small: one day's Markdown table and its JSON list, each imported first."""
    day = Path(data_dir / "digests" / "seed-format")
    dumps = []
    for order in ([day / "2025-03-14.md", day / "2025-03-14.json"], [day / "2025-03-14.json", day / "2025-03-14.md"]):
        path = tmp_path / f"{order[0].suffix[1:]}-first.db"
        with Store(path) as store:
            for file in order:  # two commands, as a user would run them
                import_paths(store, [file])
        with sqlite3.connect(path) as db:
            dumps.append(dump(db))
    assert dumps[0] == dumps[1]
