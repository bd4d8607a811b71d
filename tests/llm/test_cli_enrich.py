"""``paperboy enrich`` as a user runs it: a real process, a real SQLite file, the fake LLM server."""

from __future__ import annotations

import json
from pathlib import Path

from bot.clock import FixedClock
from bot.store import Store
from tests.fakes.llm_server import COMPLETION_TOKENS, PROMPT_TOKENS, FakeLLM, Fault
from tests.llm.conftest import DAY, HF_IDS, digest_paper, hf_paper
from tests.test_cli import apaperboy, paperboy

KEY = "sk-proj-Abc123SecretValue987xyz"
PER_ANSWER = PROMPT_TOKENS + COMPLETION_TOKENS


def seeded(db: Path) -> Path:
    with Store(db, clock=FixedClock()) as store:
        store.upsert_papers([hf_paper(aid, 30 - i) for i, aid in enumerate(HF_IDS)] + [digest_paper()])
    (db.parent / "paperboy.toml").write_text('[llm]\nmodel = "fake-model"\nrequests_per_minute = 6000\n'
                                             'timeout_seconds = 5\n')
    return db


def test_without_a_base_url_enrich_says_so_in_one_sentence(db_path):
    code, out, err = paperboy("enrich", db=seeded(db_path))
    assert (code, out) == (1, "")
    assert err == ("paperboy: LLM enrichment is not configured: set [llm] base_url (or PAPERBOY_LLM_BASE_URL) "
                   "and model in the config file.\n")


def test_conflicting_dates_are_one_sentence(db_path):
    env = {"PAPERBOY_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    code, out, err = paperboy("enrich", "--date", DAY, "--since", DAY, db=seeded(db_path), env=env)
    assert (code, out, err) == (1, "", "paperboy: Give either --date or --since/--until, not both.\n")


async def test_enrich_json_reports_done_failed_and_tokens_and_resumes(db_path):
    db = seeded(db_path)
    async with FakeLLM() as fake:
        env = {"PAPERBOY_LLM_BASE_URL": fake.url, "PAPERBOY_LLM_API_KEY": KEY}
        fake.script("2501.00002", Fault.malformed())
        code, out, err = await apaperboy("-v", "enrich", "--json", db=db, env=env)  # no date: the newest day
        assert code == 1
        report = json.loads(out)
        assert {k: report[k] for k in ("since", "until", "done", "failed", "skipped", "tokens")} == {
            "since": DAY, "until": DAY, "done": 2, "failed": 1, "skipped": 1, "tokens": 3 * PER_ANSWER}
        assert report["failures"] == ["2501.00002: the answer is not valid JSON"]
        assert "paperboy: failed: 2501.00002: the answer is not valid JSON.\n" in err
        assert KEY not in out + err
        code, out, err = await apaperboy("enrich", "--date", DAY, "--json", db=db, env=env)
        assert code == 0, err
        assert {k: json.loads(out)[k] for k in ("done", "failed", "skipped", "tokens")} == {
            "done": 1, "failed": 0, "skipped": 3, "tokens": PER_ANSWER}
        assert [r["headers"]["Authorization"] for r in fake.requests] == [f"Bearer {KEY}"] * 4
        code, out, err = await apaperboy("enrich", "--date", DAY, db=db, env=env)
        assert (code, out) == (0, f"{DAY}: Enriched 0 paper(s), 0 failed, 4 skipped (1 with digest summaries, "
                                  "3 already done); 0 tokens used.\n")
        code, out, _ = await apaperboy("papers", "--date", DAY, "--json", db=db, env=env)
    papers = {p["arxiv_id"]: p for p in json.loads(out)}
    assert papers["2501.00002"]["summary"] == "\n".join(
        f"- Paper 2501.00002: point {i} of paper 2501.00002." for i in range(1, 5))
    assert papers["2501.00002"]["tags"] == ["Natural Language Processing", "Text Generation"]


async def test_the_key_is_in_no_output_even_when_the_server_echoes_it(db_path):
    db = seeded(db_path)
    async with FakeLLM() as fake:
        env = {"PAPERBOY_LLM_BASE_URL": fake.url, "PAPERBOY_LLM_API_KEY": KEY}
        fake.script(None, Fault.echo_key())
        code, out, err = await apaperboy("-v", "enrich", "--date", DAY, db=db, env=env)
        assert code == 1 and out == "" and KEY not in err
        assert err.endswith(f"paperboy: The LLM server at {fake.url} refused the API key in PAPERBOY_LLM_API_KEY "
                            "(HTTP 401: Incorrect API key provided: Bearer [key]).\n")
        code, out, err = await apaperboy("-v", "config", db=db, env=env)
    assert code == 0 and KEY not in out + err
    assert json.loads(out)["llm"] == {"base_url": fake.url, "model": "fake-model", "max_concurrency": 4,
                                      "requests_per_minute": 6000, "timeout_seconds": 5.0, "language": "English",
                                      "input": "abstract", "api_key": "set (hidden)"}


async def test_run_without_a_token_enriches_the_day_before_printing_it(data_dir, db_path):
    from datetime import UTC, datetime

    from tests.fakes.hf_server import FakeHF

    today = datetime.now(UTC).date().isoformat()  # the subprocess's "today" (UTC): it cannot take our clock
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    (db_path.parent / "paperboy.toml").write_text('[llm]\nmodel = "fake-model"\nrequests_per_minute = 6000\n')
    async with FakeHF() as hf, FakeLLM() as llm:
        hf.add_entries(entries[:3], day=today)
        env = {"PAPERBOY_HF_BASE_URL": hf.url, "PAPERBOY_LLM_BASE_URL": llm.url}
        code, out, err = await apaperboy("run", db=db_path, env=env)
    assert code == 0, err
    assert f"Enriched 3 paper(s), 0 failed, 0 skipped (0 with digest summaries, 0 already done); " \
           f"{3 * PER_ANSWER} tokens used." in err
    flat = " ".join(out.split())  # the terminal digest wraps long bullets
    for entry in entries[:3]:
        assert f"• {entry['paper']['title']}: point 1 of paper {entry['paper']['id']}." in flat
