"""Property-based tests of every parser: any input gives papers the store can hold, or our own error.

Inputs are text, bytes, JSON values, digest-shaped Markdown and HF/arXiv-shaped payloads, plus short
units repeated thousands of times (the shape that exposes catastrophic backtracking). The seed is
fixed (``derandomize``) and examples are bounded so the file runs in a few seconds in CI; the deadline
is the time bound for one example.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import PaperboyError, SourceError, UpstreamError
from bot.models import ARXIV_ID_RE, MAX_UPVOTES, OLD_ARXIV_ID_RE, Paper, valid_day
from bot.sources import digest
from bot.sources.arxiv import parse_atom_report
from bot.sources.hf import loads, parse_daily_papers_report
from bot.sources.http import fold_paragraphs

BOUNDED = settings(
    derandomize=True,
    database=None,
    max_examples=60,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------------------- invariants


def assert_storable(papers: list[Paper]) -> None:
    """What the store relies on: a real id, real days, text SQLite can encode, counts in range."""
    for p in papers:
        assert ARXIV_ID_RE.fullmatch(p.arxiv_id) or OLD_ARXIV_ID_RE.fullmatch(p.arxiv_id), p.arxiv_id
        assert p.dates and all(valid_day(d) == d for d in p.dates), p.dates
        for text in (p.title, p.abstract, p.summary, p.project_page, p.published_at, *p.authors, *p.tags,
                     *p.github_urls, *p.huggingface_urls, *p.keywords):
            assert isinstance(text, str)
            text.encode("utf-8")  # raises on a lone surrogate
        assert isinstance(p.upvotes, int) and 0 <= p.upvotes <= MAX_UPVOTES


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def load_bytes(folder: Path, name: str, data: bytes) -> digest.LoadResult | None:
    """``load_file`` on ``data`` saved as ``name``: a result, or None for our own one-sentence error."""
    path = folder / name
    path.write_bytes(data)
    try:
        result = digest.load_file(path)
    except PaperboyError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    assert_storable(result.papers)
    assert set(result.days) >= {d for p in result.papers for d in p.dates}
    return result


# ----------------------------------------------------------------------------------------- strategies

FRAGMENTS = [
    "|", "| ", " | ", "||", "\\|", "[", "]", "](", ")", "(", "<", ">", "#", "## ", "\n", "\n\n", " ", "\t", "-", "- ",
    "•", ".", ",", "'", '"', "`", "*", "_", "\\", "&#124;", "Read more on ", "(Read more on ", "Papers for ",
    "## Papers for 2025-01-24", "## Papers for 2025-13-45", "## Papers for January 24, 2025", "2025-01-24",
    "2024-02-30", "https://", "http://", "arxiv.org/abs/", "https://arxiv.org/abs/2501.00001",
    "https://huggingface.co/papers/2501.00002", "[arXiv](https://arxiv.org/abs/2501.00003)", "hep-th/9901001",
    "[Link](null)", "N/A", "['Multimodal', 'Text Generation']", "['Nope']", "github.com/a/b", "a-", "a.",
    "| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |", "|---|---|---|", "\r\n",
    "\u2028", "\ufeff", "\x00", "é", "😀",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=60).map("".join)
# Units that meet a quantifier in some pattern: blanks, brackets, dashes, cell bars, the old title cell.
UNITS = [" ", "\t", "\n", " \n", "|", "-", "a-", "a.", "[", "](", "[]", "(Read more on a) ", ". - a", "jan 1 ", "'"]
# prefix + unit x n + suffix, 2-30 KB: the shape that makes a backtracking pattern rescan (a heading then
# 3,000 blanks, a row then 8,000 "(Read more on a)") and so takes seconds instead of milliseconds.
repeated = st.builds(
    lambda prefix, unit, size, suffix: prefix + unit * max(1, size // len(unit)) + suffix,
    st.sampled_from(["", "| ", "# a", "## Papers for 2025-01-24\n| x", "| [T](https://arxiv.org/abs/2501.00001) | "]),
    st.sampled_from(UNITS) | st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3).map("".join).filter(bool),
    st.integers(2_000, 30_000),
    st.sampled_from(["", "b", "zz\n", " |", ")"]),
)


@st.composite
def digest_markdown(draw: st.DrawFn) -> str:
    """A README-like file: day headings (real and impossible days), header rows, rows, prose."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["heading", "header", "sep", "row", "prose", "blank"]))
        if kind == "heading":
            y, m, d = draw(st.integers(1985, 2205)), draw(st.integers(0, 13)), draw(st.integers(0, 32))
            lines.append(f"{draw(st.sampled_from(['#', '##', '###']))} Papers for {y:04d}-{m:02d}-{d:02d}")
        elif kind == "header":
            lines.append(FRAGMENTS[FRAGMENTS.index("|---|---|---|") - 1])
        elif kind == "sep":
            lines.append("|---|---|---|---|---|---|")
        elif kind == "row":
            cells = draw(st.lists(fragment_text, min_size=1, max_size=7))
            lines.append("| " + " | ".join(cells) + " |")
        elif kind == "prose":
            lines.append(draw(fragment_text))
        else:
            lines.append("")
    return "\n".join(lines)


SENTINEL = 987654321987  # a number json.dumps can write, swapped for a hostile one json.dumps cannot write
json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | fragment_text
                | st.just(SENTINEL)
                | st.sampled_from(["2025-13-45T00:00:00.000Z", "2025-01-24T00:00:00.000Z", "\ud800", "1e999"]))
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(fragment_text, kids, max_size=4), max_leaves=20)
HF_KEYS = ["id", "title", "summary", "ai_summary", "ai_keywords", "authors", "upvotes", "publishedAt",
           "submittedOnDailyAt", "githubRepo", "projectPage"]
DIGEST_KEYS = ["title", "authors", "link", "url", "summary", "classification", "github_urls", "huggingface_urls",
               "github_repo", "date", "arxiv_id", "id"]
hf_papers = st.dictionaries(st.sampled_from(HF_KEYS), json_values | st.just("2501.00001"), max_size=11)
hf_entries = st.lists(st.one_of(hf_papers, st.builds(lambda p, e: {"paper": p, **e}, hf_papers,
                                                     st.dictionaries(st.sampled_from(["title", "publishedAt"]),
                                                                     json_values, max_size=2)), json_values),
                      max_size=6)
digest_entries = st.lists(st.dictionaries(st.sampled_from(DIGEST_KEYS), json_values
                                          | st.just("https://arxiv.org/abs/2501.00001"), max_size=12)
                          | json_values, max_size=6)
# Raw JSON number texts that Python's json cannot turn into values the store can hold.
HOSTILE_NUMBERS = ["9" * 5000, "-" + "9" * 5000, "1e999", "100000000000000000000", "-1", "2.5"]


def with_hostile_numbers(text: str, data: st.DataObject) -> str:
    """Put raw hostile numbers where json.dumps wrote the sentinel (lone surrogates it writes itself)."""
    return text.replace(str(SENTINEL), data.draw(st.sampled_from(HOSTILE_NUMBERS)))


# ------------------------------------------------------------------------------------- the properties


@BOUNDED
@given(text=digest_markdown() | fragment_text | repeated)
def test_markdown_gives_storable_papers_in_bounded_time(text: str) -> None:
    result = digest.parse_markdown(text, default_day="2025-01-24")
    assert_storable(result.papers)


@BOUNDED
@given(text=digest_markdown())
def test_a_multi_day_readme_files_every_paper_under_a_heading_it_listed(text: str) -> None:
    result = digest.parse_markdown(text)
    assert_storable(result.papers)
    assert {d for p in result.papers for d in p.dates} <= set(result.days)


@BOUNDED
@given(data=st.binary(max_size=400) | digest_markdown().map(str.encode) | repeated.map(str.encode),
       name=st.sampled_from(["2025-01-24.md", "x.json", "feed.xml", "2025-13-45.txt", "2024/02/30.json"]))
def test_any_bytes_in_any_file_give_papers_or_one_sentence(folder: Path, data: bytes, name: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    load_bytes(folder, name, data)


@BOUNDED
@given(entries=digest_entries, data=st.data())
def test_digest_json_gives_storable_papers_or_one_sentence(folder: Path, entries: object, data) -> None:
    text = with_hostile_numbers(json.dumps(entries), data)
    load_bytes(folder, "2025-01-24.json", text.encode("utf-8", "surrogatepass"))
    if isinstance(entries, list):
        assert_storable(digest.parse_digest_json(entries, default_day="2025-01-24").papers)
    else:
        with pytest.raises(SourceError):
            digest.parse_digest_json(entries)  # type: ignore[arg-type]


@BOUNDED
@given(entries=hf_entries | json_values, data=st.data())
def test_hf_json_gives_storable_papers_or_one_sentence(folder: Path, entries: object, data) -> None:
    text = with_hostile_numbers(json.dumps(entries), data)
    load_bytes(folder, "hf-2025-01-24.json", text.encode("utf-8", "surrogatepass"))
    papers, warnings = parse_daily_papers_report(loads(text), "2025-01-24")  # as a fetch reads a page
    assert_storable(papers)
    assert all(isinstance(w, str) and "\n" not in w for w in warnings)


@st.composite
def atom_feeds(draw: st.DrawFn) -> str:
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        pid = draw(st.sampled_from(["2501.00001v1", "hep-th/9901001", "nothing", ""]))
        published = draw(st.sampled_from(["2025-01-24T10:00:00Z", "2025-13-45T00:00:00Z", "", "junk"]))
        title, summary, author = (escape(draw(fragment_text)) for _ in range(3))
        entries.append(f"<entry><id>http://arxiv.org/abs/{pid}</id><title>{title}</title><summary>{summary}"
                       f"</summary><published>{published}</published><author><name>{author}</name></author></entry>")
    return '<feed xmlns="http://www.w3.org/2005/Atom">' + "".join(entries) + "</feed>"


@BOUNDED
@given(feed=atom_feeds() | fragment_text.map(lambda t: '<feed xmlns="http://www.w3.org/2005/Atom">' + t))
def test_arxiv_atom_gives_storable_papers_or_one_sentence(folder: Path, feed: str) -> None:
    load_bytes(folder, "feed.xml", feed.encode("utf-8", "surrogatepass"))
    try:
        papers, _ = parse_atom_report(feed)
    except UpstreamError as exc:
        assert "\n" not in str(exc)
        return
    assert_storable([p for p in papers if p.dates])  # dayless ones get the fetched day or are dropped


def _fold_paragraphs_by_definition(text: str, indent_is_paragraph: bool) -> str:
    """The paragraph rule written plainly: split at a blank line (and, for arXiv, at a line break followed
    by indentation), ``\\r\\n`` being a line break too, then fold each part to one line."""
    blank = r"[ \t]*(?:\r?\n[ \t]*){2,}"
    pattern = re.compile(blank + r"|\r?\n[ \t]+" if indent_is_paragraph else blank)
    parts = (" ".join(p.split()) for p in pattern.split(text))
    return "\n\n".join(p for p in parts if p)


@settings(max_examples=300, derandomize=True, database=None)
@given(text=st.lists(st.sampled_from(["a", "b", " ", "\t", "\n", "\r", "\r\n", "\u00a0", "\x0b"]),
                    max_size=40).map("".join), indent=st.booleans())
def test_fold_paragraphs_keeps_the_paragraph_rule(text: str, indent: bool) -> None:
    assert fold_paragraphs(text, indent_is_paragraph=indent) == _fold_paragraphs_by_definition(text, indent)
