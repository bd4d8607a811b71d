"""``paperboy export``: the seed's own files from the store, and ``import`` of them giving the same papers back.

The text is checked line by line against the seed's own files; the round trip runs over every real
sample day (all of ../shared/data/digests, train included) through real SQLite files.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.export import (
    ExportError,
    archived_days,
    escape_cell,
    export_configured,
    export_days,
    json_day,
    markdown_day,
    markdown_row,
)
from bot.models import Paper
from bot.pipeline import import_paths
from bot.sources.digest import parse_markdown
from bot.store import Store

HEAD = ["", "", "## Papers for 2025-02-03", "",
        "| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |",
        "|-------|---------|---------|----------------|-------------|-----------------|"]


def small_day() -> list[Paper]:
    """Three papers with what a table must survive: bullets, a '|', a backslash, no links, two links."""
    return [
        Paper("2502.00001", "Pipes | and \\_ escapes", authors=["Ada Lovelace", "bob"],
              summary="- First bullet with a | pipe.\n- Second bullet.", tags=["Multimodal", "Any-to-Any"],
              github_urls=["https://github.com/a/b", "https://x.github.io/p"],
              huggingface_urls=["https://huggingface.co/datasets/a/b"], dates=["2025-02-03"]),
        Paper("2502.00002", "Plain", authors=[], summary="", abstract="The abstract,\nwrapped.",
              tags=["Robotics"], dates=["2025-02-03"]),
        Paper("2502.00003", "Text only", authors=["C. D."], summary="One line from Hugging Face.",
              tags=["Natural Language Processing", "Text Generation"], dates=["2025-02-03"]),
    ]


ROWS = [
    "| [Pipes \\| and \\\\_ escapes](https://arxiv.org/abs/2502.00001) | Ada Lovelace, bob | - First bullet with a "
    "\\| pipe. - Second bullet. | ['Multimodal', 'Any-to-Any'] | [Link](https://github.com/a/b), "
    "[Link](https://x.github.io/p) | [Link](https://huggingface.co/datasets/a/b) |",
    "| [Plain](https://arxiv.org/abs/2502.00002) |  | The abstract, wrapped. | ['Robotics'] | N/A | N/A |",
    "| [Text only](https://arxiv.org/abs/2502.00003) | C. D. | One line from Hugging Face. | "
    "['Natural Language Processing', 'Text Generation'] | N/A | N/A |",
]


def test_a_small_day_is_the_seeds_table_line_by_line():
    assert markdown_day("2025-02-03", small_day()).split("\n") == [*HEAD, *ROWS, ""]


def test_categories_limit_the_table_and_a_day_left_empty_is_header_only():
    text = markdown_day("2025-02-03", small_day(), ["Multimodal", "Text Generation"])
    assert text.split("\n") == [*HEAD, ROWS[0], ROWS[2], ""]
    assert markdown_day("2025-02-03", small_day(), ["Audio"]).split("\n") == [*HEAD, ""]


def test_the_table_reads_back_as_the_same_papers():
    back = {p.arxiv_id: p for p in parse_markdown(markdown_day("2025-02-03", small_day())).papers}
    first = back["2502.00001"]
    assert first.title == "Pipes | and \\_ escapes"
    assert first.authors == ["Ada Lovelace", "bob"]
    assert first.summary == "- First bullet with a | pipe.\n- Second bullet."
    assert first.tags == ["Multimodal", "Any-to-Any"]
    assert first.github_urls == ["https://github.com/a/b", "https://x.github.io/p"]
    assert first.huggingface_urls == ["https://huggingface.co/datasets/a/b"]
    assert back["2502.00002"].summary == "The abstract, wrapped."  # no summary: the abstract, on one line
    assert back["2502.00002"].authors == [] and back["2502.00002"].github_urls == []
    assert first.dates == ["2025-02-03"]


def test_json_has_the_seeds_keys_in_the_seeds_layout():
    text = json_day("2025-02-03", small_day()[:2])
    assert text.startswith('[\n    {\n        "title": "Pipes | and \\\\_ escapes",\n        "authors": ')
    assert json.loads(text) == [
        {"title": "Pipes | and \\_ escapes", "authors": "Ada Lovelace, bob", "link": "https://arxiv.org/abs/2502.00001",
         "github_repo": "https://github.com/a/b", "summary": "- First bullet with a | pipe.\n- Second bullet.",
         "classification": ["Multimodal", "Any-to-Any"],
         "github_urls": ["https://github.com/a/b", "https://x.github.io/p"],
         "huggingface_urls": ["https://huggingface.co/datasets/a/b"], "date": "2025-02-03"},
        {"title": "Plain", "authors": "", "link": "https://arxiv.org/abs/2502.00002", "github_repo": None,
         "summary": "The abstract,\nwrapped.", "classification": ["Robotics"], "github_urls": [],
         "huggingface_urls": [], "date": "2025-02-03"},
    ]
    assert json_day("2025-09-26", []) == "[]"  # the seed's quiet day, byte for byte


def test_the_seed_day_comes_back_as_the_seeds_own_table(data_dir, tmp_path):
    """The seed's JSON twin → store → export: the seed's own Markdown, rows in our order (most upvoted,
    then id; the digests carry no upvotes), with the categories its table was limited to."""
    folder = data_dir / "digests" / "seed-format"
    with Store(tmp_path / "a.db") as store:
        import_paths(store, [folder / "2025-01-24.json"])
        report = export_days(store, tmp_path / "out", ["2025-01-24"],
                             categories=["Multimodal", "Natural Language Processing"])
    ours = (tmp_path / "out" / "archive" / "2025" / "01" / "24.md").read_text(encoding="utf-8").split("\n")
    seed = (folder / "2025-01-24.md").read_text(encoding="utf-8").split("\n")
    assert ours[:6] == seed[:6] and ours[-1] == seed[-1] == ""
    assert len(ours) == len(seed) == 8 + 7
    # The store keeps bullets trimmed, so the seed's "algorithm).  - Flow" (its JSON bullet ended in a blank)
    # comes out with one blank: that is the only difference, on exactly two rows.
    assert sorted(re.sub(" {2,}", " ", line) for line in seed) == sorted(ours)
    assert sum(line not in ours for line in seed) == 2
    assert report.days == ["2025-01-24"] and report.papers == 13
    assert json.loads((tmp_path / "out" / "daily_results" / "2025" / "01" / "24.json").read_text()) == \
        [json.loads(json_day("2025-01-24", [p]))[0] for p in Store(tmp_path / "a.db").papers_on("2025-01-24")]


FIELDS = ("title", "authors", "summary", "tags", "github_urls", "huggingface_urls", "dates")


def all_papers(store: Store) -> dict[str, Paper]:
    ids = [r[0] for r in store.db.execute("SELECT arxiv_id FROM papers")]
    return {i: store.get(i) for i in ids}  # type: ignore[misc]


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    """Every real sample day (seed-format, older-formats and the 156 train days) in one store."""
    from tests.conftest import DATA

    if not DATA.exists():
        pytest.skip(f"needs the shared sample data at {DATA} (set PAPERBOY_SHARED to its folder)")
    path = tmp_path_factory.mktemp("samples") / "a.db"
    with Store(path) as store:
        report = import_paths(store, [DATA / "digests"])
        assert report.errors == [] and report.files == 169
    return path


@pytest.mark.timeout(300)
@pytest.mark.parametrize("categories", [[], ["Multimodal"]])
def test_import_of_an_export_gives_back_every_sample_day(sample_store, tmp_path, categories):
    with Store(sample_store, readonly=True) as a:
        days = a.days_with_papers()
        report = export_days(a, tmp_path / "out", days, categories=categories)
        before = all_papers(a)
    assert len(days) == 158 and len(before) == 2214 and report.days == days
    assert len(report.written) == 2 * 158 + 1 and archived_days(tmp_path / "out") == sorted(days, reverse=True)
    with Store(tmp_path / "b.db") as b:
        back = import_paths(b, [tmp_path / "out"])
        assert back.errors == [] and back.warnings == []
        after = all_papers(b)
        assert b.days_with_papers() == days
    assert set(after) == set(before)
    for aid, paper in before.items():
        for name in FIELDS:
            assert getattr(after[aid], name) == getattr(paper, name), (aid, name)
    # Tags paperboy guessed (older digests had none) are published as the day's classification, so they
    # come back as digest tags: the same tags, a different provenance, on exactly these papers.
    moved = {aid for aid, p in before.items() if after[aid].tags_source != p.tags_source}
    assert moved == {aid for aid, p in before.items() if p.tags_source == "auto"} and len(moved) == 32


@pytest.mark.timeout(300)
def test_the_markdown_alone_gives_back_everything_but_line_breaks_inside_a_summary(sample_store, tmp_path):
    """The seed's table holds a summary on one line: bullets come back one per line, but a break the
    summary had elsewhere (a heading line, '**-**' marks) only comes back from the JSON."""
    with Store(sample_store, readonly=True) as a:
        export_days(a, tmp_path / "out", a.days_with_papers(), formats="markdown")
        before = all_papers(a)
    assert not (tmp_path / "out" / "daily_results").exists()
    with Store(tmp_path / "b.db") as b:
        import_paths(b, [tmp_path / "out" / "archive"])
        after = all_papers(b)
    assert set(after) == set(before)
    for aid, paper in before.items():
        for name in FIELDS:
            got, want = getattr(after[aid], name), getattr(paper, name)
            if name == "summary":
                got, want = " ".join(got.split()), " ".join(want.split())
            assert got == want, (aid, name)
    assert sum(after[a].summary != p.summary for a, p in before.items()) == 19


def test_exporting_again_rewrites_only_what_changed_and_the_readme_keeps_every_day(tmp_path):
    out = tmp_path / "out"
    with Store(tmp_path / "a.db") as store:
        store.upsert_papers([*small_day(), Paper("2502.00009", "Earlier", summary="- Old.", tags=["Audio"],
                                                 dates=["2025-01-31"], source="digest-json", tags_source="digest")])
        first = export_days(store, out, ["2025-01-31"])
        second = export_days(store, out, ["2025-02-03"])
        assert [p.relative_to(out).as_posix() for p in second.written] == [
            "archive/2025/02/03.md", "daily_results/2025/02/03.json", "README.md"]
        again = export_days(store, out, ["2025-01-31", "2025-02-03"])
        assert again.written == [] and len(again.unchanged) == 5
        # An enrichment later in the day: richer bullets for one paper, then the same call again.
        store.upsert_papers([Paper("2502.00003", "Text only", summary="- Better one.\n- Better two.",
                                   dates=["2025-02-03"], source="digest-json")])
        third = export_days(store, out, ["2025-02-03"])
    assert [p.relative_to(out).as_posix() for p in third.written] == [
        "archive/2025/02/03.md", "daily_results/2025/02/03.json", "README.md"]
    assert first.days == ["2025-01-31"]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert readme.index("## Papers for 2025-02-03") < readme.index("## Papers for 2025-01-31")  # newest first
    assert "| - Better one. - Better two. |" in readme
    day_files = [(out / "archive/2025/02/03.md").read_text(), (out / "archive/2025/01/31.md").read_text()]
    assert readme.endswith("".join(day_files))
    assert sorted(p.name for p in out.rglob(".*")) == []  # no temporary file left behind


def test_a_crash_mid_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with Store(tmp_path / "a.db") as store:
        store.upsert_papers(small_day())
        export_days(store, out, ["2025-02-03"], formats="json")
        before = (out / "daily_results/2025/02/03.json").read_text()
        store.upsert_papers([Paper("2502.00004", "New", dates=["2025-02-03"], tags=["Audio"], source="hf-api")])

        def crash(src, dst):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", crash)
        with pytest.raises(ExportError) as err:
            export_days(store, out, ["2025-02-03"], formats="json")
    assert str(err.value) == f"Cannot write {out / 'daily_results/2025/02/03.json'}: no space left on device."
    assert (out / "daily_results/2025/02/03.json").read_text() == before
    assert [p.name for p in (out / "daily_results/2025/02").iterdir()] == ["03.json"]


def test_a_day_without_papers_gets_no_files_and_json_alone_skips_the_readme(tmp_path):
    with Store(tmp_path / "a.db") as store:
        store.upsert_papers(small_day())
        report = export_days(store, tmp_path / "out", ["2025-02-01", "2025-02-03"], formats="json")
    assert report.empty_days == ["2025-02-01"] and report.days == ["2025-02-03"]
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.*")) == [
        "daily_results/2025/02/03.json"]


def test_an_output_that_is_a_file_is_one_sentence(tmp_path):
    (tmp_path / "out").write_text("x")
    with Store(tmp_path / "a.db") as store:
        store.upsert_papers(small_day())
        with pytest.raises(ExportError) as err:
            export_days(store, tmp_path / "out", ["2025-02-03"])
    assert str(err.value) == f"The export folder {tmp_path / 'out'} is a file, not a folder."


def test_the_bots_hook_writes_the_configured_folder_and_never_raises(tmp_path, caplog):
    from bot.config import Settings

    settings = Settings()
    with Store(tmp_path / "a.db") as store:
        store.upsert_papers(small_day())
        assert export_configured(store, settings, ["2025-02-03"]) is None  # [export] dir empty: off
        settings.export.dir = str(tmp_path / "site")
        settings.export.categories = ["Robotics"]
        report = export_configured(store, settings, ["2025-02-03"])
        assert report is not None and len(report.written) == 3
        assert (tmp_path / "site/archive/2025/02/03.md").read_text().split("\n") == [*HEAD, ROWS[1], ""]
        assert len(json.loads((tmp_path / "site/daily_results/2025/02/03.json").read_text())) == 3
        (tmp_path / "blocked").write_text("")
        settings.export.dir = str(tmp_path / "blocked")
        assert export_configured(store, settings, ["2025-02-03"]) is None
    assert f"export skipped: The export folder {tmp_path / 'blocked'} is a file, not a folder." in caplog.text


# ---- what any text becomes in a cell ------------------------------------------------------------------

_NULLS = {"", "null", "none", "n/a", "na", "nan", "-", "—", "undefined"}  # author cells the parser reads as blank
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("|\\_$*#~`[]()- "),
                min_size=1, max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, author=_TEXT, summary=_TEXT)
@example(title="a] (b) | c", author="x | y", summary="a | b \\| c \\_ d \\\\_")
@example(title="[x] y]", author="\\$5", summary="ends with a backslash \\")
def test_any_single_line_text_survives_a_table_cell(title, author, summary):
    title, author, summary = (" ".join(t.split()) for t in (title, author, summary))
    if not title or "](" in title:
        return  # "](" inside a title ends the title's link for any Markdown reader (no real title has it)
    author = author.replace(",", " ").strip()
    paper = Paper("2502.00001", title, authors=[author] if author else [], summary=summary, dates=["2025-02-03"])
    cell = escape_cell(summary)
    assert "\n" not in cell and re.search(r"(?<!\\)\|", cell) is None
    back = parse_markdown(markdown_day("2025-02-03", [paper])).papers
    assert len(back) == 1, markdown_row(paper)
    assert back[0].title == title
    assert back[0].authors == ([author] if author and author.casefold() not in _NULLS else [])
    if "- " not in summary and "•" not in summary and not summary.startswith("-"):
        assert back[0].summary == summary



# ---- the two fixes the round trip showed ----------------------------------------------------------------


def test_a_bullet_mark_alone_on_its_line_joins_its_text():
    """72 sample JSON entries write "-\\nText": that is one bullet, as its Markdown twin "- Text" says."""
    from bot.sources.digest import normalize_summary

    assert normalize_summary("-\nLLaVA-3D is new.\n- It works.") == "- LLaVA-3D is new.\n- It works."
    assert normalize_summary("•\n  One.\n•\nTwo.") == "• One.\n• Two."
    assert normalize_summary("- a.\n-") == "- a."  # a trailing mark with no text is dropped


def test_a_flattened_copy_never_beats_the_summary_that_kept_its_line_breaks(tmp_path):
    """A day's Markdown holds a summary on one line and its JSON twin keeps the breaks; same bullets, same
    length, so the merge ranks lines before length (the text alone would pick the flat one: " " > "\\n")."""
    kept = "**Key points:**\n**-** One.\n**-** Two."  # no "- " bullet lines, as 19 sample summaries have
    flat = "**Key points:** **-** One. **-** Two."
    assert len(kept) == len(flat)
    for order in ((kept, flat), (flat, kept)):
        with Store(tmp_path / f"{order[0][:3]}.db") as store:
            for text, source in zip(order, ("digest-json", "digest-md") if order[0] == kept
                                    else ("digest-md", "digest-json"), strict=True):
                store.upsert_papers([Paper("2502.00001", "T", summary=text, dates=["2025-02-03"], source=source)])
            assert store.get("2502.00001").summary == kept


# ---- [export] settings ------------------------------------------------------------------------------------


def test_export_settings_are_checked_when_loaded(tmp_path):
    from bot.config import load_settings
    from bot.errors import ConfigError

    path = tmp_path / "p.toml"
    path.write_text('[export]\ndir = "site"\ncategories = ["multimodal", "Multimodal", " text  generation "]\n')
    loaded = load_settings(path)
    assert (loaded.export.dir, loaded.export.categories) == ("site", ["Multimodal", "Text Generation"])
    assert load_settings(None).export.dir == "" and load_settings(None).export.categories == []
    path.write_text('[export]\ncategories = ["Quantum Knitting"]\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value) == ("Config key 'export.categories' names 'Quantum Knitting', which is not a Hugging Face "
                              "task tag; 'paperboy tags' lists them.")
    (tmp_path / "taken").write_text("")
    path.write_text(f'[export]\ndir = "{tmp_path / "taken"}"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value).startswith("Config key 'export.dir' names a file, ")
    path.write_text('[export]\nfolder = "site"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value) == "Unknown config key 'export.folder'; see config.example.toml for the keys there are."
