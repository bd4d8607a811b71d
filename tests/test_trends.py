"""Trends on a small store whose every count is known: ISO weeks across year ends, distinct papers per
week, featured days only, the CLI's --json, table and --png, and the chart's cost kept out of start-up."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import trends
from bot.models import Paper
from bot.store import Store
from bot.trends_chart import HEIGHT, WIDTH, render_png
from tests.test_cli import ROOT, paperboy

TG, NLP, CV, ROB = "Text Generation", "Natural Language Processing", "Computer Vision", "Robotics"


def paper(aid: str, tags: list[str], dates: list[str], source: str = "digest-md") -> Paper:
    return Paper(arxiv_id=aid, title=f"Paper {aid}", tags=tags, dates=dates, source=source, tags_source="digest")


#: 2024-W52 is 2024-12-23..29, 2025-W01 is 2024-12-30..2025-01-05, 2026-W53 is 2026-12-28..2027-01-03.
PAPERS = [
    paper("2412.00001", [TG, NLP], ["2024-12-23", "2024-12-27"]),  # featured twice in 2024-W52: once there
    paper("2412.00002", [TG], ["2024-12-29", "2024-12-30"]),  # Sunday of 2024-W52, Monday of 2025-W01
    paper("2501.00003", [CV], ["2025-01-05"]),  # the Sunday closing 2025-W01
    paper("2506.00004", [ROB], ["2025-06-10"]),  # 2025-W24
    paper("2612.00005", [TG], ["2026-12-31"]),  # 2026-W53
    paper("2701.00006", [TG], ["2027-01-02"]),  # 2026-W53 too: the newest featured day
    # Only in arXiv's listing, a day later than anything featured: neither counted nor ending the range.
    paper("2701.00007", [CV, TG], ["2027-01-04"], source="arxiv"),
]


@pytest.fixture
def known(db_path):
    with Store(db_path) as store:
        store.upsert_papers(PAPERS)
    return db_path


def test_week_labels_follow_iso_years():
    assert [trends.week_label(date.fromisoformat(d)) for d in
            ("2024-12-29", "2024-12-30", "2025-01-05", "2026-12-28", "2027-01-03", "2027-01-04")] == \
        ["2024-W52", "2025-W01", "2025-W01", "2026-W53", "2026-W53", "2027-W01"]


def test_counts_distinct_papers_per_week_over_106_weeks_and_picks_the_active_tags(known):
    with Store(known, readonly=True) as store:
        t = trends.compute(store, weeks=106)
    assert (t.since, t.until, t.newest_day) == ("2024-12-23", "2027-01-03", "2027-01-02")
    assert len(t.weeks) == 106
    assert t.weeks[:2] == ("2024-W52", "2025-W01") and t.weeks[-1] == "2026-W53"
    assert t.weeks[52:54] == ("2025-W52", "2026-W01")
    assert t.tags == (TG, CV, NLP, ROB) and t.picked is True
    assert t.totals == {TG: 4, CV: 1, NLP: 1, ROB: 1}
    expected_tg = [0] * 106
    expected_tg[0], expected_tg[1], expected_tg[105] = 2, 1, 2
    assert t.counts[TG] == expected_tg
    assert t.counts[NLP] == [1] + [0] * 105
    assert t.counts[CV] == [0, 1] + [0] * 104
    assert t.counts[ROB] == [0] * 24 + [1] + [0] * 81
    assert t.weeks[24] == "2025-W24"


def test_given_tags_only_and_weeks_without_papers_are_zero(known):
    with Store(known, readonly=True) as store:
        t = trends.compute(store, tags=[ROB, NLP], weeks=3)
    assert t.weeks == ("2026-W51", "2026-W52", "2026-W53")
    assert t.tags == (ROB, NLP) and t.picked is False
    assert t.counts == {ROB: [0, 0, 0], NLP: [0, 0, 0]} and t.totals == {ROB: 0, NLP: 0}


def test_refusals_are_one_sentence():
    for bad in ("0", "261", "-3", "abc", "1.5", ""):
        with pytest.raises(trends.TrendsError) as exc:
            trends.check_weeks(bad)
        assert str(exc.value) == f"weeks must be a whole number from 1 to 260, not {bad!r}."
    assert trends.check_weeks("104") == 104
    with pytest.raises(trends.TrendsError) as exc:
        trends.check_tags(["robotcs"])
    assert str(exc.value) == "No such tag 'robotcs' — did you mean Robotics?"
    assert trends.check_tags(trends.split_tags(" robotics, TEXT generation,robotics, ")) == [ROB, TG]
    with pytest.raises(trends.TrendsError) as exc:
        trends.check_tags(["Audio", "Tabular", "Other", "Robotics", "Translation", "Summarization", "Fill-Mask"])
    assert str(exc.value) == "One chart holds at most 6 tags, and 7 were given."


def test_empty_store_says_so(db_path):
    with Store(db_path) as store, pytest.raises(trends.TrendsError) as exc:
        trends.compute(store)
    assert str(exc.value) == ("No featured papers are stored yet, so there is nothing to count; "
                              "fetch or import some days first.")


def test_weekly_query_is_an_index_range_of_tag_days(known):
    with Store(known, readonly=True) as store:
        plan = store.trends.plan([TG, CV], "2024-12-23", "2027-01-03")
    assert plan[0].startswith("SEARCH t USING") and "(tag=? AND day>? AND day<?)" in plan[0]
    assert any("SEARCH a USING PRIMARY KEY (arxiv_id=? AND day=?)" in step for step in plan)
    assert not any(step.startswith("SCAN") for step in plan)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature and chunk type."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_chart_is_a_png_of_the_declared_size(known):
    with Store(known, readonly=True) as store:
        data = render_png(trends.compute(store, weeks=106))
    assert (WIDTH, HEIGHT) == (1200, 675)
    assert png_size(data) == (1200, 675) and data.endswith(b"IEND\xaeB`\x82")


def test_cli_json_table_and_png(known, tmp_path):
    code, out, err = paperboy("trends", "--weeks", "106", "--tag", "text generation", "--tag", "Robotics",
                              "--json", db=known)
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["range", "weeks", "tags", "selection", "counts", "totals"]
    assert data["range"] == {"first_week": "2024-W52", "last_week": "2026-W53", "since": "2024-12-23",
                             "until": "2027-01-03", "newest_day": "2027-01-02", "weeks": 106}
    assert data["tags"] == [TG, ROB] and data["selection"] == "given"
    assert data["totals"] == {TG: 4, ROB: 1} and len(data["weeks"]) == 106
    assert data["counts"][TG][:2] == [2, 1] and data["counts"][TG][-1] == 2 and sum(data["counts"][TG]) == 5

    chart = tmp_path / "trends.png"
    code, out, err = paperboy("trends", "--weeks", "106", "--png", str(chart), db=known)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:5] == [
        "week              Text      Computer       Natural      Robotics",
        "            Generation        Vision      Language",
        "                                        Processing",
        "2024-W52             2             0             1             0",
        "2025-W01             1             1             0             0",
    ]
    assert lines[108:] == [
        "2026-W53             2             0             0             0",
        "all                  4             1             1             1",
        "",
        "Distinct papers featured per ISO week (Monday to Sunday), 2024-W52 to 2026-W53 (2024-12-23 to "
        "2027-01-03); the last week is the one holding the newest stored day, 2027-01-02. 'all' counts each "
        "paper once.",
        "Tags: every tag with papers in these weeks (4); choose with --tag.",
        f"Chart written to {chart}.",
    ]
    assert png_size(chart.read_bytes()) == (1200, 675)


def test_cli_refuses_nonsense_in_one_line(known):
    for args, said in ((["--weeks", "0"], "weeks must be a whole number from 1 to 260, not '0'"),
                       (["--weeks", "many"], "weeks must be a whole number from 1 to 260, not 'many'"),
                       (["--tag", "robotcs"], "Unknown tag 'robotcs'. Did you mean 'Robotics'?")):
        code, out, err = paperboy("trends", *args, db=known)
        assert code == 2 and out == "" and said in err and len(err.strip().splitlines()) == 1
    code, out, err = paperboy("trends", "--png", str(known.parent / "no" / "such" / "dir.png"), db=known)
    assert code == 1 and err.startswith("paperboy: Cannot write the chart to ") and len(err.splitlines()) == 1


def test_importing_the_bot_and_its_cogs_does_not_import_matplotlib():
    """The chart's library is loaded when a chart is drawn, never at start-up (memory, start time)."""
    script = ("import importlib, sys\n"
              "import bot.cli, bot.trends, bot.trends_chart\n"
              "from bot.discord.client import extensions\n"
              "for name in extensions():\n"
              "    importlib.import_module(name)\n"
              "assert 'bot.discord.cogs.trends' in sys.modules\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy', 'PIL')))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@st.composite
def stores(draw):
    """Up to 12 papers, each on 1-3 days within six weeks around a year end, some only in arXiv's listing."""
    start = date(2026, 12, 7)
    papers = []
    for i in range(draw(st.integers(1, 12))):
        days = draw(st.lists(st.integers(0, 41), min_size=1, max_size=3, unique=True))
        papers.append(paper(f"2612.{i:05d}", draw(st.lists(st.sampled_from([TG, CV, ROB]), min_size=1, max_size=2,
                                                                            unique=True)),
                            [(start + timedelta(days=d)).isoformat() for d in days],
                            source=draw(st.sampled_from(["digest-md", "hf-api", "arxiv"]))))
    return papers


@settings(max_examples=40, deadline=None)
@given(stores(), st.integers(1, 8))
def test_counts_match_a_plain_model(papers, weeks):
    """Against a model written from the definition: distinct featured papers per (tag, ISO week label)."""
    featured = [(p, d) for p in papers if p.source != "arxiv" for d in p.dates]
    with Store(":memory:") as store:
        store.upsert_papers(papers)
        if not featured:
            with pytest.raises(trends.TrendsError):
                trends.compute(store, tags=[TG], weeks=weeks)
            return
        t = trends.compute(store, tags=[TG, CV, ROB], weeks=weeks)
    assert t.newest_day == max(d for _, d in featured)
    assert t.weeks[-1] == trends.week_label(date.fromisoformat(t.newest_day)) and len(t.weeks) == weeks
    for tag in (TG, CV, ROB):
        model = {w: {p.arxiv_id for p, d in featured if tag in p.tags
                     and trends.week_label(date.fromisoformat(d)) == w} for w in t.weeks}
        assert t.counts[tag] == [len(model[w]) for w in t.weeks]
        assert t.totals[tag] == len(set().union(*model.values()))
