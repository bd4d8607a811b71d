"""The most upvoted papers of a period: membership by featured day, ties, tags, the upvote raise, the CLI."""

from __future__ import annotations

import json

import pytest

from bot.models import Paper
from bot.periods import parse_week
from bot.store import Store
from bot.top import build_top, run_top
from tests.test_cli import paperboy


def paper(aid: str, days: list[str], upvotes: int, tags: list[str] | None = None, source: str = "hf-api") -> Paper:
    return Paper(arxiv_id=aid, title=f"Paper {aid}", dates=days, upvotes=upvotes, tags=tags or ["Robotics"],
                 source=source, tags_source="digest", summary="- a bullet")


@pytest.fixture
def store(db_path):
    s = Store(db_path)
    s.upsert_papers([
        paper("2501.00001", ["2025-01-20"], 50, ["Robotics", "Computer Vision"]),
        paper("2501.00002", ["2025-01-22"], 50, ["Robotics"]),           # same score, later day: ranks first
        paper("2501.00003", ["2025-01-13", "2025-01-26"], 80, ["Text Generation"]),  # featured twice
        paper("2501.00004", ["2025-01-19"], 999, ["Robotics"]),          # the Sunday before: not in W04
        paper("2501.00005", ["2025-01-27"], 999, ["Robotics"]),          # the Monday after: not in W04
        paper("2501.00006", ["2025-01-21"], 70, ["Robotics"], source="arxiv"),  # arXiv listing: not featured
        paper("2501.00007", ["2025-01-21"], 5, ["Computer Vision", "Robotics"]),
    ])
    yield s
    s.close()


def ids(store: Store, week: str, tags: tuple[str, ...] = (), limit: int = 20) -> list[tuple[str, int, str]]:
    result = run_top(store, build_top(parse_week(week), tags, limit))
    return [(e.paper.arxiv_id, e.score, e.day) for e in result.entries]


def test_a_week_ranks_by_upvotes_ties_to_the_latest_featured_day(store):
    assert ids(store, "2025-W04") == [
        ("2501.00003", 80, "2025-01-26"),
        ("2501.00002", 50, "2025-01-22"),
        ("2501.00001", 50, "2025-01-20"),
        ("2501.00007", 5, "2025-01-21"),
    ]
    assert ids(store, "2025-W03") == [("2501.00004", 999, "2025-01-19"), ("2501.00003", 80, "2025-01-13")]


def test_tags_narrow_like_papers_tag_and_limit_counts_the_rest(store):
    assert ids(store, "2025-W04", ("robotics",)) == [
        ("2501.00002", 50, "2025-01-22"), ("2501.00001", 50, "2025-01-20"), ("2501.00007", 5, "2025-01-21")]
    assert ids(store, "2025-W04", ("Robotics", "Computer Vision")) == [
        ("2501.00001", 50, "2025-01-20"), ("2501.00007", 5, "2025-01-21")]
    result = run_top(store, build_top(parse_week("2025-W04"), (), 2))
    assert (len(result.entries), result.total, result.pages()) == (2, 4, 1)


def test_raising_upvotes_only_grows_them_and_moves_the_ranking(store):
    changed = store.top.raise_upvotes({"2501.00007": 500, "2501.00003": 10, "2599.99999": 7})
    assert changed == 1  # 00003's 10 is lower than its 80; an unknown id is ignored
    assert store.get("2501.00003").upvotes == 80
    assert store.get("2501.00007").upvotes == 500
    assert ids(store, "2025-W04", ("Computer Vision",))[0] == ("2501.00007", 500, "2025-01-21")
    assert ids(store, "2025-W04")[0] == ("2501.00007", 500, "2025-01-21")


def test_the_query_searches_an_index_not_the_table(store):
    plain = store.top.explain("2025-01-20", "2025-01-26")
    tagged = store.top.explain("2025-01-20", "2025-01-26", ["Robotics", "Computer Vision"])
    assert any(line.startswith("SEARCH a USING") and "idx_appearances_day" in line for line in plain), plain
    assert not any(line.startswith("SCAN a") for line in plain), plain
    assert any(line.startswith("SEARCH d USING") and line.endswith("(tag=? AND day>? AND day<?)")
               for line in tagged), tagged
    assert not any(line.startswith("SCAN") for line in plain + tagged)


def test_cli_top_json_is_papers_json_plus_score(store, db_path):
    store.close()
    code, out, err = paperboy("top", "--week", "2025-W04", "--tag", "robotics", "--limit", "2", "--json", db=db_path)
    assert code == 0, err
    items = json.loads(out)
    assert [(i["arxiv_id"], i["score"], i["dates"]) for i in items] == [
        ("2501.00002", 50, ["2025-01-22"]), ("2501.00001", 50, ["2025-01-20"])]
    code, out, _ = paperboy("papers", "--date", "2025-01-22", "--json", db=db_path)
    assert set(items[0]) == set(json.loads(out)[0]) | {"score"}
    code, out, err = paperboy("top", "--since", "2025-01-13", "--until", "2025-01-19", db=db_path)
    assert code == 0, err
    assert out.splitlines()[0] == ("2 of 2 papers, most upvoted first — top of 2025-01-13 to 2025-01-19")
    code, out, err = paperboy("top", "--month", "2025-02", db=db_path)
    assert (code, out, err) == (0, "No papers were featured in 2025-02 (2025-02-01 to 2025-02-28).\n", "")


@pytest.mark.parametrize(("args", "message"), [
    (["--week", "2025-W99"], "paperboy: Argument --week: '2025-W99' is not a week: 2025 has weeks W01 to W52. "
                             "See 'paperboy top --help'.\n"),
    (["--month", "2025-13"], "paperboy: Argument --month: '2025-13' is not a month: months go from 01 to 12. "
                             "See 'paperboy top --help'.\n"),
    (["--until", "2025-01-01", "--week", "2025-W02"], "paperboy: --until needs --since (or use --week or --month).\n"),
    (["--week", "2025-W02", "--tag", "Robotcs"], None),
])
def test_cli_top_refuses_bad_periods_in_one_line(db_path, args, message):
    code, out, err = paperboy("top", *args, db=db_path)
    assert code != 0 and out == ""
    assert len(err.splitlines()) == 1
    if message:
        assert err == message
    else:
        assert err.startswith("paperboy: Argument --tag: Unknown tag 'Robotcs'")
