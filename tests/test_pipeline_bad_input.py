"""Bad input through the real ``paperboy`` process: one warning or one sentence, and nothing else lost.

Each hostile value of issue 8 (B2, B3) goes once through ``paperboy import bad.json good.md`` and once
through ``paperboy fetch`` against the fake Hugging Face; the endless server (B4) through ``fetch``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.hf_server import FakeHF, Fault
from tests.test_cli import apaperboy, paperboy

SEED_DAY = "2025-01-24"
SEED_PAPERS = 8  # rows in the seed-format digest of 2025-01-24
ENTRY = {
    "paper": {"id": "2501.00001", "title": "Hostile values", "upvotes": 7,
              "publishedAt": "2025-01-22T10:00:00.000Z", "submittedOnDailyAt": "2025-01-24T00:00:00.000Z"},
}
HOSTILE = {
    # name: (field, raw JSON text of its value, what the stored paper holds there, the warning)
    "5,000 digits": ("upvotes", "9" * 5000, 0, "dropped its upvotes <a 5000-digit number>, not a count"),
    "1e999": ("upvotes", "1e999", 0, "dropped its upvotes inf, not a count"),
    "SQLite overflow": ("upvotes", "100000000000000000000", 0,
                        "dropped its upvotes 100000000000000000000, not a count"),
    "lone surrogate": ("title", '"A \\ud800 title"', "A \ufffd title",
                       "its title had invalid characters (lone surrogates); replaced them"),
}


def hostile_json(field: str, raw: str) -> str:
    entry = json.loads(json.dumps(ENTRY))
    entry["paper"][field] = "@@"
    return json.dumps([entry]).replace('"@@"', raw)


def stored(db: Path, day: str) -> dict[str, dict]:
    code, out, err = paperboy("papers", "--date", day, "--limit", "1000", "--json", db=db)
    assert code == 0, err
    return {p["arxiv_id"]: p for p in json.loads(out)}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_import_drops_the_bad_value_and_imports_the_file_after_it(name, data_dir, tmp_path, db_path):
    field, raw, kept, warning = HOSTILE[name]
    bad = tmp_path / "bad.json"
    bad.write_text(hostile_json(field, raw), encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_bytes((data_dir / "digests" / "seed-format" / f"{SEED_DAY}.md").read_bytes())

    code, out, err = paperboy("-v", "import", str(bad), str(good), db=db_path)
    assert code == 0, err
    assert "Traceback" not in err
    assert out == (f"Imported {SEED_PAPERS + 1} paper entries from 2 file(s) covering 1 day(s): "
                   f"{SEED_PAPERS + 1} new, 0 updated, 0 unchanged.\n")
    assert f"warning: {bad}: Hugging Face paper 2501.00001: {warning}." in err
    papers = stored(db_path, SEED_DAY)
    assert len(papers) == SEED_PAPERS + 1
    assert papers["2501.00001"][field] == kept


async def test_an_impossible_day_never_reaches_the_store_and_tags_still_work(data_dir, tmp_path, db_path):
    bad = tmp_path / "saved.json"  # no day in the name: the entry's publishedAt is the fallback
    bad.write_text(hostile_json("submittedOnDailyAt", '"2025-13-45T00:00:00.000Z"'), encoding="utf-8")
    code, out, err = paperboy("-v", "import", str(bad), db=db_path)
    assert code == 0, err
    assert out == "Imported 1 paper entries from 1 file(s) covering 1 day(s): 1 new, 0 updated, 0 unchanged.\n"
    assert (f"warning: {bad}: Hugging Face paper 2501.00001: its submittedOnDailyAt "
            "'2025-13-45T00:00:00.000Z' is not a real day; using 2025-01-22.") in err
    assert stored(db_path, "2025-01-22")["2501.00001"]["dates"] == ["2025-01-22"]
    code, out, err = paperboy("tags", "--json", db=db_path)
    assert code == 0, err
    assert "Traceback" not in err


def test_a_file_that_breaks_a_parser_is_named_and_the_next_file_still_imports(data_dir, tmp_path, db_path):
    nested = tmp_path / "deep.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    good = tmp_path / "good.md"
    good.write_bytes((data_dir / "digests" / "seed-format" / f"{SEED_DAY}.md").read_bytes())
    code, out, err = paperboy("import", str(nested), str(good), db=db_path)
    assert code == 1
    assert out == (f"Imported {SEED_PAPERS} paper entries from 1 file(s) covering 1 day(s): "
                   f"{SEED_PAPERS} new, 0 updated, 0 unchanged.\n")
    assert err.splitlines()[-1] == f"paperboy: {nested} is not valid JSON."
    assert "Traceback" not in err
    assert len(stored(db_path, SEED_DAY)) == SEED_PAPERS


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_fetch_drops_the_bad_value_and_stores_the_rest(name, db_path):
    field, raw, kept, warning = HOSTILE[name]
    good = {"paper": {"id": "2501.00002", "title": "Good", "upvotes": 3}}
    body = json.dumps([json.loads(hostile_json(field, '"@@"'))[0], good]).replace('"@@"', raw)
    async with FakeHF() as fake:
        fake.script("daily_papers", Fault(body=body, headers={"Content-Type": "application/json"}))
        code, out, err = await apaperboy("fetch", "--date", SEED_DAY, db=db_path,
                                         env={"PAPERBOY_HF_BASE_URL": fake.url})
    assert code == 0, err
    assert out == f"Fetched 2 papers for {SEED_DAY} from hf: 2 new, 0 updated, 0 unchanged.\n"
    assert err == f"paperboy: warning: page 0, paper 2501.00001: {warning}.\n"
    papers = stored(db_path, SEED_DAY)
    assert sorted(papers) == ["2501.00001", "2501.00002"]
    assert papers["2501.00001"][field] == kept and papers["2501.00002"]["upvotes"] == 3


async def test_fetch_stops_an_endless_server_after_five_pages_and_keeps_what_came(db_path):
    async with FakeHF(endless=True) as fake:
        code, out, err = await apaperboy("fetch", "--date", SEED_DAY, db=db_path,
                                         env={"PAPERBOY_HF_BASE_URL": fake.url}, timeout=120)
        assert len(fake.requests_to("daily_papers")) == 5
    assert code == 0, err
    assert out == f"Fetched 500 papers for {SEED_DAY} from hf: 500 new, 0 updated, 0 unchanged.\n"
    assert err == (f"paperboy: warning: Hugging Face still had more papers for {SEED_DAY} after 5 pages of 100; "
                   "kept the first 500 (no real day has that many, so the server is misbehaving).\n")
    assert len(stored(db_path, SEED_DAY)) == 500
