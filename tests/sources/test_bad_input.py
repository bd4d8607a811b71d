"""Hostile input through every parser: linear time, unusable values dropped with a warning, real days only.

Each reproduction from issue 8 (section B) is here as it was reported; the time bounds are generous
(catastrophic backtracking took 8-25 s on these inputs, a linear parser takes milliseconds).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.models import Paper, check_paper, valid_day
from bot.sources import digest
from bot.sources.arxiv import ArxivClient, parse_atom_report
from bot.sources.hf import MAX_PAGES, PAGE_SIZE, HFClient, parse_daily_papers_report
from tests.fakes.hf_server import FakeHF

BOUND = 2.0  # seconds for ~150 KB: a linear parser needs well under 0.2 s
ARXIV = "https://arxiv.org/abs/2501.00001"
SEED_HEADER = (
    "## Papers for 2025-01-24\n\n| Title | Authors | Summary | Classification | GitHub URLs | HuggingFace URLs |\n"
    "|-------|---------|---------|----------------|-------------|------------------|\n"
)


def timed(parse: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = parse()
    return result, time.perf_counter() - start


# ------------------------------------------------------------------------------------ B1: linear time


def test_a_heading_with_3000_blanks_parses_at_once() -> None:
    text = "## Papers for 2025-01-24\n\n# a" + " " * 3000 + "b\n"
    result, seconds = timed(lambda: digest.parse_markdown(text))
    assert seconds < BOUND
    assert result.papers == [] and result.days == ["2025-01-24"] and result.warnings == []


def test_a_136_kb_row_of_read_more_parses_at_once() -> None:
    text = "| x" + "(Read more on a) " * 8000 + "zz\n"
    assert len(text) == 136_006
    result, seconds = timed(lambda: digest.parse_markdown(text, default_day="2025-01-24"))
    assert seconds < BOUND
    assert result.papers == [] and result.skipped == 1
    assert result.warnings == [
        "Line 1: skipped a row ('x'): "
        "it has no arXiv or Hugging Face paper link, so it has no stable id."
    ]


def test_the_old_title_cell_is_still_read_after_the_rewrite() -> None:
    hf_page = "https://huggingface.co/papers/2501.00001"
    row = f"| Great Paper (Read more on [arXiv]({ARXIV}) or [HuggingFace]({hf_page})) | A, B | - One. - Two. |\n"
    result = digest.parse_markdown(row, default_day="2025-01-24")
    [paper] = result.papers
    assert (paper.arxiv_id, paper.title, paper.authors, paper.summary) == (
        "2501.00001", "Great Paper", ["A", "B"], "- One.\n- Two.")


# Every pattern the audit found super-linear, each as a ~150 KB input through the parser that uses it.
HOSTILE_MARKDOWN = {
    "link target of blanks": f"| [T]({ARXIV}) | a | s | [] | ](" + " " * 150_000 + "x |\n",
    "separator then blanks": "|--" + " " * 150_000 + "x\n",
    "blank lines before a table hint": "\n" * 150_000 + "x",
    "bracketed title then blanks": "| [" + "a" * 75_000 + "](" + " " * 75_000 + "x\n",
    "nested brackets": "| [" + "[]" * 75_000 + "\n",
    "link openers": f"| [T]({ARXIV}) | " + "[a](" * 40_000 + " |\n",
    "old arXiv id bait": f"| {'a-' * 75_000}/1 arxiv.org |\n",
    "domain bait": f"| [T]({ARXIV}) | a | s | [] | {'a.' * 75_000}! |\n",
    "hyphenated domain bait": f"| [T]({ARXIV}) | a | s | [] | {'a-' * 75_000}! |\n",
    "a row wrapped over 30,000 lines": f"| [T]({ARXIV}) | a | s" + "\nwrapped" * 30_000 + " | [] |\n",
    "flattened bullets": f"| [T]({ARXIV}) | a | " + ". - a" * 30_000 + " |\n",
    "month names": "# " + "jan 1 " * 25_000 + "\n",
    "many empty rows": "|\n" * 75_000,
}


@pytest.mark.parametrize("name", list(HOSTILE_MARKDOWN))
def test_hostile_markdown_parses_in_linear_time(name: str) -> None:
    text = SEED_HEADER + HOSTILE_MARKDOWN[name]
    result, seconds = timed(lambda: digest.parse_markdown(text))
    assert seconds < BOUND, f"{name}: {seconds:.2f} s"
    assert isinstance(result, digest.LoadResult)


def test_hostile_json_and_feeds_parse_in_linear_time() -> None:
    blanks = "a" + " " * 150_000 + "b"
    hf_entries = [{"paper": {"id": "2501.00001", "title": blanks, "summary": blanks, "ai_summary": blanks,
                             "submittedOnDailyAt": blanks}}]
    (papers, _), seconds = timed(lambda: parse_daily_papers_report(hf_entries, "2025-01-24"))
    assert seconds < BOUND and [p.abstract for p in papers] == ["a b"]

    entries = [{"title": blanks, "link": "](" + " " * 150_000, "summary": blanks, "classification": "'" * 150_000,
                "github_urls": ["a-" * 75_000], "authors": "a," * 75_000, "date": "1 " * 75_000}]
    result, seconds = timed(lambda: digest.parse_digest_json(entries, default_day="2025-01-24"))
    assert seconds < BOUND and result.papers == [] and result.skipped == 1

    feed = ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2501.00001v1</id>'
            f"<title>t</title><summary>{blanks}</summary><published>2025-01-24T00:00:00Z</published></entry></feed>")
    (papers, _), seconds = timed(lambda: parse_atom_report(feed))
    assert seconds < BOUND and [p.abstract for p in papers] == ["a b"]


# -------------------------------------------------------------------- B2: values a store cannot hold


HF_ENTRY = {
    "paper": {"id": "2501.00001", "title": "A title", "upvotes": 7, "publishedAt": "2025-01-22T10:00:00.000Z",
              "submittedOnDailyAt": "2025-01-24T00:00:00.000Z"},
    "title": "A title",
}
HOSTILE_VALUES = {
    # name: (JSON text of the value, the field it goes in, the warning, the value the paper keeps)
    "5,000 digits": ("9" * 5000, "upvotes", "dropped its upvotes <a 5000-digit number>, not a count", 0),
    "1e999": ("1e999", "upvotes", "dropped its upvotes inf, not a count", 0),
    "SQLite overflow": ("100000000000000000000", "upvotes",
                        "dropped its upvotes 100000000000000000000, not a count", 0),
    "lone surrogate": ('"A \\ud800 title"', "title",
                       "its title had invalid characters (lone surrogates); replaced them", "A \ufffd title"),
}


def hf_text(field: str, value_json: str) -> str:
    """A saved Daily Papers response whose one paper has ``value_json`` (raw JSON text) as ``field``."""
    entry = json.loads(json.dumps(HF_ENTRY))
    entry["paper"][field] = "@@"
    entry.pop("title")
    return json.dumps([entry]).replace('"@@"', value_json)


@pytest.mark.parametrize("name", list(HOSTILE_VALUES))
def test_a_bad_value_in_a_saved_hf_file_drops_that_field_with_a_warning(name: str, tmp_path: Path) -> None:
    value_json, field, warning, kept = HOSTILE_VALUES[name]
    path = tmp_path / "2025-01-24.json"
    path.write_text(hf_text(field, value_json), encoding="utf-8")
    result = digest.load_file(path)
    [paper] = result.papers
    assert getattr(paper, field) == kept
    assert paper.dates == ["2025-01-24"]
    assert result.warnings == [f"{path}: Hugging Face paper 2501.00001: {warning}."]


@pytest.mark.parametrize("name", list(HOSTILE_VALUES))
def test_a_bad_value_in_a_digest_json_file_never_escapes(name: str, tmp_path: Path) -> None:
    value_json, field, _, _ = HOSTILE_VALUES[name]
    path = tmp_path / "2025-01-24.json"
    entry = {"title": "@@" if field == "title" else "T", "link": ARXIV, "summary": "- s.", "upvotes": "@@"}
    path.write_text(json.dumps([entry]).replace('"@@"', value_json), encoding="utf-8")
    [paper] = digest.load_file(path).papers
    assert paper.title == ("A \ufffd title" if field == "title" else "T")
    assert (paper.arxiv_id, paper.upvotes, paper.dates) == ("2501.00001", 0, ["2025-01-24"])


def test_check_paper_is_the_last_gate_for_any_source() -> None:
    paper = Paper(arxiv_id="2501.00001", title="T\ud800", authors=["A\udfff", 3],  # type: ignore[list-item]
                  upvotes=10**30, dates=["2025-13-45", "2025-01-24", "2025-01-24"])
    checked, warnings = check_paper(paper)
    assert checked is paper
    assert (paper.title, paper.authors, paper.upvotes, paper.dates) == ("T\ufffd", ["A\ufffd"], 0, ["2025-01-24"])
    assert warnings == [
        "paper 2501.00001: its title had invalid characters (lone surrogates); replaced them.",
        "paper 2501.00001: its authors had values that are not valid text; dropped or replaced them.",
        "paper 2501.00001: dropped its upvotes 1000000000000000000000000000000: not a count.",
        "paper 2501.00001: dropped the day '2025-13-45': it is not a real date.",
    ]
    dayless, warnings = check_paper(Paper(arxiv_id="2501.00002", title="U", dates=["0000-00-00"]))
    assert dayless is None
    assert warnings == ["paper 2501.00002: dropped the day '0000-00-00': it is not a real date.",
                        "paper 2501.00002: skipped ('U'): it has no valid day it was featured on."]


# -------------------------------------------------------------------------- B3: impossible days


@pytest.mark.parametrize(
    ("text", "day"),
    [("2025-01-24", "2025-01-24"), ("2025-01-24T00:00:00.000Z", "2025-01-24"), ("2024-02-29 10:00", "2024-02-29"),
     ("2025-13-45T00:00:00.000Z", ""), ("2025-02-29", ""), ("0000-01-01", ""), ("9999-12-31", ""),
     ("1990-12-31", ""), ("2025-01-24x", ""), ("２０２５-01-24", ""), ("", ""), (20250124, "")],
)
def test_valid_day_accepts_only_real_plausible_days(text: object, day: str) -> None:
    assert valid_day(text) == day


def test_an_impossible_submitted_day_falls_back_to_the_file_day_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "hf-2025-01-24.json"
    path.write_text(hf_text("submittedOnDailyAt", '"2025-13-45T00:00:00.000Z"'), encoding="utf-8")
    result = digest.load_file(path)
    assert [p.dates for p in result.papers] == [["2025-01-24"]] and result.days == ["2025-01-24"]
    assert result.warnings == [f"{path}: Hugging Face paper 2501.00001: its submittedOnDailyAt "
                               "'2025-13-45T00:00:00.000Z' is not a real day; using 2025-01-24."]


def test_a_saved_hf_paper_with_no_real_day_anywhere_is_dropped_with_a_warning(tmp_path: Path) -> None:
    entry = {"paper": {"id": "2501.00001", "title": "T", "submittedOnDailyAt": "2025-13-45T00:00:00.000Z",
                       "publishedAt": "2025-02-30T00:00:00.000Z"}, "publishedAt": "2025-00-01T00:00:00Z"}
    path = tmp_path / "saved.json"
    path.write_text(json.dumps([entry]), encoding="utf-8")
    result = digest.load_file(path)
    assert result.papers == [] and result.days == [] and result.skipped == 1
    assert result.warnings == [
        f"{path}: Hugging Face paper 2501.00001: its submittedOnDailyAt '2025-13-45T00:00:00.000Z' is not a real "
        "day; and it has no other.",
        f"{path}: Hugging Face paper 2501.00001: dropped its publishedAt '2025-02-30T00:00:00.000Z', not a real date.",
        f"{path}: paper 2501.00001: skipped ('T'): it has no valid day it was featured on.",
    ]


def test_markdown_headings_and_file_names_with_impossible_days_give_no_day(tmp_path: Path) -> None:
    row = f"| [T]({ARXIV}) | A | - s. |\n"
    result = digest.parse_markdown("## Papers for 2025-13-45\n\n" + row)
    assert result.papers == [] and result.days == []
    assert result.warnings == [
        "Line 1: the heading 'Papers for 2025-13-45' has no date I can read; its rows are skipped.",
        "Line 3: skipped a row ('T'): no '## Papers for YYYY-MM-DD' heading above it and no date in the file name.",
    ]
    assert digest.day_from_path(tmp_path / "papers-2025-13-45.md") is None
    assert digest.day_from_path(tmp_path / "2025" / "02" / "30.json") is None
    assert digest.day_from_path(tmp_path / "1970-01-01.md") is None


def test_a_digest_json_entry_with_an_impossible_date_uses_the_file_day() -> None:
    result = digest.parse_digest_json([{"title": "T", "link": ARXIV, "date": "2025-13-45"}], default_day="2025-01-24")
    assert [p.dates for p in result.papers] == [["2025-01-24"]]
    assert result.warnings == ["Entry 1: the date '2025-13-45' is not a date; using the file's day instead."]


ATOM_BAD_DAY = (
    '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2501.00001v1</id><title>T</title>'
    "<summary>S</summary><published>2025-13-45T00:00:00Z</published></entry></feed>"
)


def test_an_arxiv_entry_with_an_impossible_date_is_dropped_on_import(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(ATOM_BAD_DAY, encoding="utf-8")
    result = digest.load_file(path)
    assert result.papers == [] and result.days == []
    assert result.warnings == [
        f"{path}: arXiv entry 2501.00001: its published date '2025-13-45T00:00:00Z' is not a real date.",
        f"{path}: paper 2501.00001: skipped ('T'): it has no valid day it was featured on.",
    ]


async def test_an_arxiv_entry_with_an_impossible_date_is_filed_under_the_day_fetched() -> None:
    async with FakeHF() as fake, aiohttp.ClientSession() as session:
        fake.set_atom(ATOM_BAD_DAY)
        fake._atom_entries = [(raw, "2025-01-24T10:00:00Z", cats) for raw, _, cats in fake._atom_entries]
        client = ArxivClient(session, base_url=fake.url, min_interval=0, retries=0)
        papers, warnings = await client.fetch_day_report("2025-01-24", categories=())
    assert [(p.arxiv_id, p.dates, p.published_at) for p in papers] == [("2501.00001", ["2025-01-24"], "")]
    assert warnings == ["entry 2501.00001: its published date '2025-13-45T00:00:00Z' is not a real date"]


# ------------------------------------------------------------------------------------ B4: endless paging


async def test_a_server_with_endless_new_papers_is_paged_at_most_five_times() -> None:
    async with FakeHF(endless=True) as fake, aiohttp.ClientSession() as session:
        client = HFClient(session, base_url=fake.url, retries=0)
        papers, warnings = await client.fetch_day_report("2025-01-24")
        assert len(fake.requests_to("daily_papers")) == MAX_PAGES == 5
    assert len(papers) == MAX_PAGES * PAGE_SIZE == 500
    assert len({p.arxiv_id for p in papers}) == 500 and {tuple(p.dates) for p in papers} == {("2025-01-24",)}
    assert warnings == [
        "Hugging Face still had more papers for 2025-01-24 after 5 pages of 100; kept the first 500 "
        "(no real day has that many, so the server is misbehaving)"
    ]


# Every opening a row or line can have, times every unit that meets a quantifier somewhere, repeated to
# 20 KB: the exhaustive form of the reproductions above (the old patterns took seconds to minutes here).
PREFIXES = ["", "# a", "## Papers for 2025-01-24 ", "| ", "| x", f"| [T]({ARXIV}) | ", "|--", "[", "](", "| a-"]
UNITS = [" ", "\t", "\n", " \n", "|", "-", "a-", "a.", "[", "](", "[]", "(Read more on a) ", ". - a", "jan 1 ",
         "'", "#", "\n|", "|\n", "•", "\\", "&#124;", "a/", "1"]
SUFFIXES = ["b", "zz\n"]


def test_every_opening_then_a_repeated_unit_parses_in_linear_time() -> None:
    slow = []
    for prefix in PREFIXES:
        for unit in UNITS:
            for suffix in SUFFIXES:
                text = prefix + unit * (20_000 // len(unit)) + suffix
                _, seconds = timed(lambda text=text: digest.parse_markdown(text, default_day="2025-01-24"))
                if seconds > BOUND / 2:
                    slow.append((prefix, unit, suffix, round(seconds, 2)))
    assert slow == []


def test_every_repeated_unit_in_every_json_and_feed_field_parses_in_linear_time() -> None:
    slow = []
    for unit in UNITS:
        text = "a" + unit * (20_000 // len(unit)) + "b"
        hf_entries = [{"paper": {k: text for k in ("id", "title", "summary", "ai_summary", "submittedOnDailyAt",
                                                   "publishedAt", "githubRepo", "projectPage")}, "title": text}]
        entries = [{k: text for k in ("title", "link", "summary", "classification", "github_urls", "authors",
                                      "huggingface_urls", "date", "github_repo", "arxiv_id")}]
        esc = text.replace("&", "&amp;").replace("<", "&lt;")
        feed = (f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>{esc}</id><title>{esc}</title>'
                f"<summary>{esc}</summary><published>{esc}</published><author><name>{esc}</name></author>"
                f"<arxiv:comment xmlns:arxiv='http://arxiv.org/schemas/atom'>{esc}</arxiv:comment></entry></feed>")
        parsers: list[tuple[str, Callable[[], object]]] = [
            ("hf", lambda e=hf_entries: parse_daily_papers_report(e, "2025-01-24")),
            ("digest json", lambda e=entries: digest.parse_digest_json(e, default_day="2025-01-24")),
            ("atom", lambda f=feed: parse_atom_report(f)),
        ]
        for name, parse in parsers:
            _, seconds = timed(parse)
            if seconds > BOUND / 2:
                slow.append((name, unit, round(seconds, 2)))
    assert slow == []
