"""Digest files: every real sample day is read completely, and each quirk seen in 560 days is repaired.

Counts and ids are checked against simple, independent readings of the files (regexes over the raw
text and the raw JSON), not against the parser's own output, so a parser bug cannot hide itself.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.errors import SourceError
from bot.sources.digest import (
    LoadResult,
    day_from_path,
    find_files,
    load_file,
    normalize_summary,
    parse_digest_json,
    parse_markdown,
)
from bot.taxonomy import canonical_tag

SEED_DAYS = ["2024-09-27", "2025-01-24", "2025-03-14", "2025-05-30", "2025-09-26"]
OLDER_DAYS = ["2024-09-05", "2025-01-24", "2025-10-30"]
ARXIV_RE = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")


# --- independent readings of the raw files -----------------------------------------------------------


def _row_chunks(text: str) -> list[str]:
    """Table rows of a digest, wrapped lines joined back: every chunk starts at a line beginning '|'."""
    chunks: list[str] = []
    for line in text.split("\n"):
        if line.startswith("|"):
            chunks.append(line)
        elif line.strip() and chunks and not line.startswith("#"):
            chunks[-1] += " " + line.strip()
        elif not line.strip():
            chunks.append("")  # a blank line ends a row
    return [c for c in chunks if ARXIV_RE.search(c)]


def _row_ids(text: str) -> list[str]:
    return [ARXIV_RE.search(c).group(1) for c in _row_chunks(text)]  # type: ignore[union-attr]


def _ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _clean_urls(urls: list[str]) -> list[str]:
    out: list[str] = []
    for u in urls:
        if u in ("null", "None", ""):
            continue
        u = u if u.startswith("http") else "https://" + u
        if u not in out:
            out.append(u)
    return out


@pytest.fixture
def digests(data_dir: Path) -> Path:
    return data_dir / "digests"


# --- seed format: the Markdown table against its JSON twin -------------------------------------------


@pytest.mark.parametrize("day", SEED_DAYS)
def test_seed_format_markdown_rows_match_the_json_twin(digests: Path, day: str) -> None:
    md_path = digests / "seed-format" / f"{day}.md"
    raw = json.loads((digests / "seed-format" / f"{day}.json").read_text())
    by_id: dict[str, dict] = {}
    for entry in raw:
        by_id.setdefault(ARXIV_RE.search(entry["link"]).group(1), entry)  # type: ignore[union-attr]

    md = load_file(md_path)
    twin = {p.arxiv_id: p for p in reversed(load_file(md_path.with_suffix(".json")).papers)}

    text = md_path.read_text()
    assert len(md.papers) == len(re.findall(r"^\| \[", text, re.M)) == len(_row_ids(text))
    assert [p.arxiv_id for p in md.papers] == _row_ids(text)
    assert md.days == [day] and md.skipped == 0 and md.warnings == []
    for paper in md.papers:
        entry = by_id[paper.arxiv_id]  # the table is the JSON filtered to a few categories: md ⊆ json
        assert paper.title == " ".join(entry["title"].split())
        assert paper.authors == [a.strip() for a in entry["authors"].split(",") if a.strip()]
        assert _ws(paper.summary) == _ws(entry["summary"])  # nothing lost, only whitespace moved
        raw_lines = [" ".join(x.split()) for x in entry["summary"].split("\n") if x.strip()]
        assert len(paper.summary.split("\n")) >= len(raw_lines)
        for line in raw_lines:  # every bullet the JSON has on its own line is one line here too
            if line.startswith("- ") and not re.search(r"[.!?] -", line):
                assert line in paper.summary.split("\n")
        assert paper.tags == list(dict.fromkeys(entry["classification"]))
        assert paper.github_urls == _clean_urls(entry["github_urls"])
        assert paper.huggingface_urls == _clean_urls(entry["huggingface_urls"])
        assert paper.dates == [entry["date"]] == [day]
        assert paper.source == "digest-md" and paper.tags_source == "digest"
        # and the two parsers agree exactly on every shared field
        other = twin[paper.arxiv_id]
        for name in ("title", "authors", "summary", "tags", "github_urls", "huggingface_urls", "dates"):
            assert getattr(paper, name) == getattr(other, name), name


@pytest.mark.parametrize("day", SEED_DAYS)
def test_seed_format_json_gives_one_paper_per_entry(digests: Path, day: str) -> None:
    path = digests / "seed-format" / f"{day}.json"
    raw = json.loads(path.read_text())
    result = load_file(path)
    assert result.kind == "digest-json"
    assert [p.arxiv_id for p in result.papers] == [ARXIV_RE.search(e["link"]).group(1) for e in raw]  # type: ignore[union-attr]
    assert result.days == [day] and result.skipped == 0
    assert all(p.source == "digest-json" and p.dates == [day] for p in result.papers)
    for p in result.papers:
        assert all(u.startswith(("https://", "http://")) for u in p.github_urls + p.huggingface_urls)
        assert all(canonical_tag(t) == t for t in p.tags)


def test_json_twin_links_are_repaired(digests: Path) -> None:
    """2025-05-30 has "null", "None" and scheme-less links; 2025-03-14 a github_repo ending in .git."""
    papers = {p.arxiv_id: p for p in load_file(digests / "seed-format" / "2025-05-30.json").papers}
    assert papers["2505.23621"].github_urls == ["https://github.com/Table-R1"]
    assert papers["2505.23621"].huggingface_urls == ["https://huggingface.co/Table-R1"]
    assert papers["2505.23735"].github_urls == [] and papers["2505.23735"].huggingface_urls == []
    assert papers["2505.23604"].huggingface_urls == []
    march = {p.arxiv_id: p for p in load_file(digests / "seed-format" / "2025-03-14.json").papers}
    assert march["2503.10636"].github_urls == ["https://hkchengrex.github.io/C2OT"]
    whisper = [p for p in march.values() if any("WhisperQuantization" in u for u in p.github_urls)]
    assert [p.github_urls for p in whisper] == [["https://github.com/allisonandreyev/WhisperQuantization"]]


def test_flattened_bullets_in_json_are_split_like_the_markdown(digests: Path) -> None:
    """One 2024-09-27 JSON summary is itself flattened (' - ' inside one line); it is split too."""
    md = {p.arxiv_id: p for p in load_file(digests / "seed-format" / "2024-09-27.md").papers}
    js = {p.arxiv_id: p for p in load_file(digests / "seed-format" / "2024-09-27.json").papers}
    flattened = [p for p in js.values() if p.summary.startswith("- This paper presents a comprehensive review")]
    assert len(flattened) == 1 and flattened[0].summary.count("\n- ") >= 4
    if flattened[0].arxiv_id in md:
        assert md[flattened[0].arxiv_id].summary == flattened[0].summary


def test_seed_file_has_exactly_the_expected_papers(seed_file: Path) -> None:
    result = load_file(seed_file)
    assert [p.arxiv_id for p in result.papers] == [
        "2501.13918", "2501.13629", "2501.13919", "2501.13920",
        "2501.10799", "2501.13124", "2501.13075", "2501.13826",
    ]  # fmt: skip
    assert result.days == ["2025-01-24"] and result.warnings == []
    multimodal = [p.arxiv_id for p in result.papers if "Multimodal" in p.tags]
    assert multimodal == ["2501.13918", "2501.13919", "2501.13920", "2501.13826"]
    first = result.papers[0]
    assert first.title == "Improving Video Generation with Human Feedback"
    assert first.authors == ["Ziyang Yuan", "Jiajun Liang", "Gongye Liu", "Xintao", "jieliu"]
    assert first.tags == ["Text-to-Video", "Reinforcement Learning", "Multimodal"]
    assert first.github_urls == ["https://gongyeliu.github.io/videoalign"] and first.huggingface_urls == []
    assert first.summary.count("\n") == 4 and all(line.startswith("- ") for line in first.summary.split("\n"))
    assert r"\(\beta\)" in first.summary  # LaTeX is kept verbatim
    assert all(p.dates == ["2025-01-24"] and p.tags_source == "digest" for p in result.papers)


@pytest.mark.parametrize("kind", ["md", "json"])
def test_empty_day_gives_no_papers_but_lists_the_day(digests: Path, kind: str) -> None:
    result = load_file(digests / "seed-format" / f"2025-09-26.{kind}")
    assert result.papers == [] and result.days == ["2025-09-26"] and result.warnings == []


# --- older Markdown formats --------------------------------------------------------------------------


@pytest.mark.parametrize("day", OLDER_DAYS)
def test_older_formats_recover_every_row(digests: Path, day: str) -> None:
    path = digests / "older-formats" / f"{day}.md"
    text = path.read_text()
    result = load_file(path)
    header_rows = len(re.findall(r"^\| Title \|", text, re.M))
    assert len(result.papers) == len(re.findall(r"^\| ", text, re.M)) - header_rows
    assert [p.arxiv_id for p in result.papers] == _row_ids(text)
    assert result.days == [day] and result.skipped == 0 and result.warnings == []
    for p in result.papers:
        assert p.title and "\n" not in p.title and "Read more" not in p.title and "](" not in p.title
        assert p.summary and p.dates == [day] and p.source == "digest-md"
        assert p.tags == [] and p.tags_source == ""
        assert p.huggingface_urls == [] and p.github_urls == []  # the HF papers page is not a resource


def test_older_format_titles_are_joined_and_empty_authors_are_empty(digests: Path) -> None:
    papers = {p.arxiv_id: p for p in load_file(digests / "older-formats" / "2025-10-30.md").papers}
    janus = papers["2510.23538"]
    assert janus.title == "JanusCoder: Towards a Foundational Visual-Programmatic Interface for Code Intelligence"
    assert janus.authors == []
    assert papers["2510.23473"].title == 'Video-Thinker: Sparking "Thinking with Videos" via Reinforcement Learning'
    assert "`<think>`" in papers["2510.23473"].summary  # tags in text stay text
    assert papers["2510.23473"].authors[:2] == ["Runhao Fu", "Linxin Song"]


def test_link_column_format(digests: Path) -> None:
    papers = load_file(digests / "older-formats" / "2024-09-05.md").papers
    assert papers[0].arxiv_id == "2409.02889"
    assert papers[0].title.startswith("LongLLaVA: Scaling Multi-modal LLMs")
    assert papers[0].authors[-1] == "songdj"


# --- synthetic quirks ---------------------------------------------------------------------------------

README_ROW = (
    r"  Three Lines](https://arxiv.org/abs/2502.00001) | Ann Lee, Bob\_Ross, , "
    r"| - First uses a | b pipe. - Second costs \$5, has <think> tags and $\alpha - \beta$.  -Third. "
    r"""| ['Text Generation', 'Quantum Vibes', "Natural Language Processing"] """
    r"| [Link](https://github.com/a/b), [Link](null), [Link](github.com/c/d), [Link](not a link) "
    r"| [Link](https://huggingface.co/datasets/x/y,z), [Link](https://huggingface.co/datasets/x/y,z), "
    r"[Link](https://huggingface.co/m) |"
)

README = r"""# Daily papers

Intro text | not a table row

## Papers for 2025-02-03 (Monday)

| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |
|-------|---------|---------|----------------|-------------|-----------------|
| [A Very Long Title That Was
  Wrapped Over
{ROW}
| [Second](https://arxiv.org/abs/2502.00002v2) |  | plain summary - with a dash | N/A | N/A | N/A |
| [Not on arXiv](https://example.com/paper) | X | s | ['Multimodal'] | N/A | N/A |

## 📄 Papers for **2025-02-01**

| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |
|-------|---------|---------|----------------|-------------|-----------------|

## Papers for 2025-01-31

| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |
|-------|---------|---------|----------------|-------------|-----------------|
| [Second](https://arxiv.org/abs/2502.00002) | C | again | ['multimodal', 'Multimodal'] | N/A | N/A |
""".replace("{ROW}", README_ROW)


@pytest.fixture
def readme() -> LoadResult:
    return parse_markdown(README)


def test_synthetic_readme_days_and_rows(readme: LoadResult) -> None:
    assert readme.days == ["2025-02-03", "2025-02-01", "2025-01-31"]  # the empty day too
    assert [(p.arxiv_id, p.dates) for p in readme.papers] == [
        ("2502.00001", ["2025-02-03"]),
        ("2502.00002", ["2025-02-03"]),
        ("2502.00002", ["2025-01-31"]),  # the same paper on two days: one Paper per day
    ]
    assert readme.skipped == 1
    assert any("Not on arXiv" in w and "Line 13" in w for w in readme.warnings)


def test_synthetic_row_wrapped_over_three_lines(readme: LoadResult) -> None:
    first = readme.papers[0]
    assert first.title == "A Very Long Title That Was Wrapped Over Three Lines"
    assert first.authors == ["Ann Lee", "Bob_Ross"]  # \_ unescaped, empty names dropped


def test_synthetic_pipe_bullets_escapes_and_latex(readme: LoadResult) -> None:
    assert readme.papers[0].summary.split("\n") == [
        "- First uses a | b pipe.",
        r"- Second costs $5, has <think> tags and $\alpha - \beta$.",
        "- Third.",
    ]
    assert readme.papers[1].summary == "plain summary - with a dash"  # not a bullet list: left alone


def test_synthetic_links(readme: LoadResult) -> None:
    first = readme.papers[0]
    assert first.github_urls == ["https://github.com/a/b", "https://github.com/c/d"]
    assert first.huggingface_urls == ["https://huggingface.co/datasets/x/y,z", "https://huggingface.co/m"]
    assert any("'not a link'" in w for w in readme.warnings)
    assert not any("null" in w for w in readme.warnings)  # [Link](null) is just "no link"


def test_synthetic_tags_and_na_cells(readme: LoadResult) -> None:
    first, second, again = readme.papers
    assert first.tags == ["Text Generation", "Natural Language Processing"]
    assert first.tags_source == "digest"
    assert [w for w in readme.warnings if "Quantum Vibes" in w] == [
        "Ignored the classification 'Quantum Vibes' (1 row, e.g. 2502.00001): it is not a Hugging Face task tag."
    ]
    assert (second.tags, second.tags_source, second.authors) == ([], "", [])
    assert (second.github_urls, second.huggingface_urls) == ([], [])
    assert again.tags == ["Multimodal"]  # canonical spelling, deduplicated


def test_rows_before_any_heading_use_the_default_day() -> None:
    text = (
        "| Title | Authors | Summary | Link |\n|---|---|---|---|\n"
        "| Plain Title | A, B | Summary. | [Read more](https://arxiv.org/abs/2409.00001) |\n"
    )
    result = parse_markdown(text, default_day="2024-09-05")
    assert [(p.arxiv_id, p.title, p.dates) for p in result.papers] == [("2409.00001", "Plain Title", ["2024-09-05"])]
    assert result.days == ["2024-09-05"]
    orphan = parse_markdown(text)
    assert orphan.papers == [] and orphan.skipped == 1 and "no '## Papers for" in orphan.warnings[0]


def test_read_more_format_wrapped_title_and_hf_link() -> None:
    text = (
        "## Papers for 2025-10-30\n\n| Title | Authors | Summary |\n|---|---|---|\n"
        "| Split | Title: Part\n  Two (Read more on [arXiv](https://arxiv.org/abs/2510.00001) or "
        "[HuggingFace](https://huggingface.co/papers/2510.00001))|  | It | works. |\n"
        "| HF Only (Read more on [HuggingFace](https://huggingface.co/papers/2510.00002))| X | Y |\n"
    )
    result = parse_markdown(text)
    assert [(p.arxiv_id, p.title, p.authors, p.summary) for p in result.papers] == [
        ("2510.00001", "Split | Title: Part Two", [], "It | works."),
        ("2510.00002", "HF Only", ["X"], "Y"),
    ]
    assert all(p.huggingface_urls == [] for p in result.papers)


def test_heading_date_forms_and_heading_without_date() -> None:
    row = "| [T](https://arxiv.org/abs/2501.00001) | A | S | ['Audio'] | N/A | N/A |\n"
    text = f"## Papers for January 24, 2025\n\n{row}\n## Papers for someday\n\n{row}"
    result = parse_markdown(text)
    assert result.days == ["2025-01-24"] and [p.dates for p in result.papers] == [["2025-01-24"]]
    assert result.skipped == 1 and any("'Papers for someday'" in w for w in result.warnings)


def test_row_with_missing_cells_is_kept_with_a_warning() -> None:
    text = (
        "## Papers for 2025-01-24\n\n| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |\n"
    )
    text += "| [T](https://arxiv.org/abs/2501.00001) | A | S |\n"
    result = parse_markdown(text)
    assert [(p.arxiv_id, p.summary, p.tags) for p in result.papers] == [("2501.00001", "S", [])]
    assert any("3 cells" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a. - b.", "- a.\n- b."),
        ("  - a.  -  b!  - c", "- a.\n- b!\n- c"),
        ("- a (x). -B starts here.", "- a (x).\n- B starts here."),
        ("Intro. - a. - b.", "Intro.\n- a.\n- b."),
        ("One sentence - with a dash. And more.", "One sentence - with a dash. And more."),
        ("• a • b", "• a\n• b"),
        ("- a\n\n-  b", "- a\n- b"),
        ("", ""),
    ],
)
def test_normalize_summary(text: str, expected: str) -> None:
    assert normalize_summary(text) == expected


# --- JSON lists ---------------------------------------------------------------------------------------


def test_digest_json_quirks() -> None:
    data = [
        {
            "title": "Wrapped\n  Title",
            "authors": "A, , B ",
            "link": "https://arxiv.org/abs/2505.00001v3",
            "github_repo": "https://github.com/o/r.git",
            "summary": "- a. - b.",
            "classification": ["Text Generation", "Nonsense"],
            "github_urls": ["null", "github.com/o/r", "https://github.com/o/r"],
            "huggingface_urls": ["None", "huggingface.co/d/x"],
            "date": "2025-05-30",
        },
        {
            "title": "Repo only",
            "authors": "",
            "link": "https://arxiv.org/abs/2505.00002",
            "github_repo": "https://github.com/z/z",
        },
        {"title": "No link", "authors": "X", "link": ""},
        "not an object",
    ]
    result = parse_digest_json(data, default_day="2025-05-31")
    first, second = result.papers
    assert (first.arxiv_id, first.title, first.authors) == ("2505.00001", "Wrapped Title", ["A", "B"])
    assert first.summary == "- a.\n- b." and first.tags == ["Text Generation"]
    assert first.github_urls == ["https://github.com/o/r"]  # repo link already there (modulo .git)
    assert first.huggingface_urls == ["https://huggingface.co/d/x"]
    assert first.dates == ["2025-05-30"] and first.source == "digest-json"
    assert second.github_urls == ["https://github.com/z/z"] and second.dates == ["2025-05-31"]
    assert second.tags_source == "" and second.authors == []
    assert result.days == ["2025-05-30", "2025-05-31"]
    assert result.skipped == 2 and len([w for w in result.warnings if "skipped" in w]) == 2
    assert any("Nonsense" in w for w in result.warnings)


def test_empty_json_list_uses_the_default_day() -> None:
    assert parse_digest_json([], default_day="2025-09-26").days == ["2025-09-26"]
    assert parse_digest_json([]).days == []


# --- files --------------------------------------------------------------------------------------------


def test_hugging_face_api_files(data_dir: Path) -> None:
    daily = load_file(data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json")
    raw = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    assert daily.kind == "hf-api" and len(daily.papers) == len(raw) == 25
    assert [p.arxiv_id for p in daily.papers] == [e["paper"]["id"] for e in raw]
    assert set(daily.days) == {"2026-07-13", "2026-07-10"}
    assert all(p.source == "hf-api" for p in daily.papers)
    flat = load_file(data_dir / "upstream" / "fastpaper_huggingface_paper.json")
    assert flat.kind == "hf-api" and [p.arxiv_id for p in flat.papers] == ["2608.09888"]


def test_kind_is_told_by_content(tmp_path: Path, seed_file: Path) -> None:
    as_txt = tmp_path / "digest.txt"
    as_txt.write_text(seed_file.read_text())
    assert len(load_file(as_txt).papers) == 8
    json_md = tmp_path / "papers-2025-01-24.md"
    json_md.write_text('[{"title": "T", "authors": "A", "link": "https://arxiv.org/abs/2501.00001"}]')
    result = load_file(json_md)
    assert result.kind == "digest-json" and result.papers[0].dates == ["2025-01-24"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", "just some notes\n", "is not a digest file"),
        ("table.csv", "a,b,c\n1,2,3\n", "is not a digest file"),
        ("broken.json", '[{"title": ', "is not valid JSON"),
        ("shape.json", '{"hello": "world"}', "neither a digest list"),
        ("empty.md", "", "is empty"),
        ("binary.md", b"\xff\xfe\x00bad", "not a UTF-8 text file"),
    ],
)
def test_load_file_errors_name_the_file(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(SourceError) as err:
        load_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_load_file_unreadable_paths(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.md", tmp_path):
        with pytest.raises(SourceError, match=re.escape(str(path))):
            load_file(path)


def test_warnings_from_a_file_name_it(tmp_path: Path) -> None:
    path = tmp_path / "2025-02-03.md"
    path.write_text(README)
    assert all(w.startswith(f"{path}: ") for w in load_file(path).warnings)


def test_find_files_walks_folders_and_keeps_going_past_bad_files(tmp_path: Path, seed_file: Path) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    good = tmp_path / "b" / "deep" / "2025-01-24.md"
    good.write_text(seed_file.read_text())
    empty_day = tmp_path / "a-2025-09-26.json"
    empty_day.write_text("[]")
    bad = tmp_path / "b" / "broken.json"
    bad.write_text("{nope")
    (tmp_path / "ignored.txt").write_text("x")
    (tmp_path / ".git" / "HEAD.md").write_text("x")
    extra = tmp_path / "ignored.txt"

    found = find_files([tmp_path, extra, good])
    assert found == [empty_day, bad, good, extra]  # folder sorted, given files kept, no duplicates

    loaded, errors = [], []
    for path in found:
        try:
            loaded.append(load_file(path))
        except SourceError as err:
            errors.append(str(err))
    assert [len(r.papers) for r in loaded] == [0, 8]
    assert len(errors) == 2 and str(bad) in errors[0] and str(extra) in errors[1]


def test_find_files_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nothere"):
        find_files([tmp_path / "nothere"])


@pytest.mark.parametrize(
    ("path", "day"),
    [
        ("seed/papers-2025-01-24.md", "2025-01-24"),
        ("daily_results/2025/01/24.json", "2025-01-24"),
        ("archive/2024/9/5.md", "2024-09-05"),
        ("README.md", None),
        ("2025-02-30.md", None),
    ],
)
def test_day_from_path(path: str, day: str | None) -> None:
    assert day_from_path(Path(path)) == day


def test_three_megabyte_readme_parses_every_section(digests: Path) -> None:
    """The upstream README is ~3 MB of day sections, newest first; every row of every day comes back.

    (Its speed is measured in benchmarks/fuzz_parsers.py and bench_import.py, not timed here.)"""
    bodies = []
    for path in sorted(digests.rglob("*.md")):
        text = path.read_text()
        bodies.append(text[text.index("## Papers for") + len("## Papers for 2025-01-24") :])
    parts, day, expected = [], date(2025, 12, 31), 0
    while sum(map(len, parts)) < 3_000_000:
        body = bodies[len(parts) % len(bodies)]
        expected += len(_row_chunks(body))
        parts.append(f"\n\n## Papers for {day}{body}")
        day -= timedelta(days=1)
    text = "# Daily papers\n\nintro\n" + "".join(parts)
    result = parse_markdown(text)
    assert len(result.papers) == expected and len(result.days) == len(parts) and result.skipped == 0


def test_pipe_in_a_title_is_kept_but_a_broken_title_link_does_not_swallow_cells() -> None:
    text = (
        "## Papers for 2025-01-24\n\n"
        "| [A | B: Title](https://arxiv.org/abs/2501.00001) | X | S | ['Audio'] | N/A | N/A |\n"
        "| [Broken] title | Y | S2 [x](y) | ['Audio'] | [Link](https://github.com/a/b) | N/A |\n"
    )
    result = parse_markdown(text)
    assert [(p.title, p.authors) for p in result.papers] == [("A | B: Title", ["X"])]
    assert result.skipped == 1 and "'[Broken] title'" in result.warnings[0]


def test_saved_arxiv_feeds_import_every_entry(data_dir):
    import xml.etree.ElementTree as ET

    for name in ("ai-weekly-radar_arxiv_feed.xml", "fastpaper_arxiv_search_HEADe32e6cd.xml"):
        path = data_dir / "upstream" / name
        entries = ET.parse(path).getroot().findall("{http://www.w3.org/2005/Atom}entry")
        result = load_file(path)
        assert result.kind == "arxiv" and len(result.papers) == len(entries) > 0
        assert all(p.arxiv_id and p.title and p.dates for p in result.papers)
    assert data_dir / "upstream" / "ai-weekly-radar_arxiv_feed.xml" in find_files([data_dir / "upstream"])
