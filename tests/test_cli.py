"""The ``paperboy`` command as a user runs it: a real process, a real SQLite file, a real fake upstream."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.render import validate_message
from tests.fakes.hf_server import FakeHF

ROOT = Path(__file__).resolve().parents[1]


def paperboy(*args: str, db: Path, env: dict | None = None, timeout: float = 60):
    """Run ``python -m bot`` in a subprocess; returns (exit code, stdout, stderr)."""
    import subprocess

    full_env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    proc = subprocess.run([sys.executable, "-m", "bot", "--db", str(db), *args], capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=db.parent)
    return proc.returncode, proc.stdout, proc.stderr


async def apaperboy(*args: str, db: Path, env: dict | None = None, timeout: float = 60):
    """The same, without blocking the event loop that serves the fake upstream."""
    full_env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--db", str(db), *args, env=full_env, cwd=db.parent,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


def seed_ids_tagged(seed: Path, tag: str) -> set[str]:
    """The seed's own answer, read independently of our parser: rows whose classification has ``tag``."""
    ids = set()
    for line in seed.read_text().splitlines():
        m = re.match(r"\| \[.*?\]\(https://arxiv\.org/abs/([\d.]+)\)", line)
        if m and re.search(rf"\[[^\]]*'{tag}'[^\]]*\] \|", line):
            ids.add(m.group(1))
    return ids


def test_seed_day_multimodal_query_returns_exactly_the_seed_papers(seed_file, db_path):
    code, out, err = paperboy("import", str(seed_file), db=db_path)
    assert code == 0, err
    assert "8 new" in out
    code, out, err = paperboy("papers", "--tag", "Multimodal", "--date", "2025-01-24", "--json", db=db_path)
    assert code == 0, err
    papers = json.loads(out)
    expected = seed_ids_tagged(seed_file, "Multimodal")
    assert len(expected) == 4
    assert {p["arxiv_id"] for p in papers} == expected and len(papers) == 4
    for p in papers:
        assert "Multimodal" in p["tags"] and p["dates"] == ["2025-01-24"]
        assert p["url"] == f"https://arxiv.org/abs/{p['arxiv_id']}"
        assert {"title", "authors", "summary", "github_urls", "huggingface_urls", "upvotes"} <= set(p)
    video = next(p for p in papers if p["arxiv_id"] == "2501.13918")
    assert video["github_urls"] == ["https://gongyeliu.github.io/videoalign"]
    assert video["summary"].startswith("- This paper introduces a new framework")


def test_tag_names_are_case_insensitive_and_unknown_ones_get_suggestions(seed_file, db_path):
    paperboy("import", str(seed_file), db=db_path)
    code, out, _ = paperboy("papers", "--tag", "multimodal", "--date", "2025-01-24", "--json", db=db_path)
    assert code == 0 and len(json.loads(out)) == 4
    code, out, err = paperboy("papers", "--tag", "Multimodel", db=db_path)
    assert code != 0 and out == ""
    assert "Unknown tag 'Multimodel'" in err and "Multimodal" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("bad", ["2025-02-30", "24/01/2025", "tomorrowish"])
def test_a_bad_date_is_one_sentence_and_a_non_zero_exit(bad, db_path):
    code, out, err = paperboy("papers", "--date", bad, db=db_path)
    assert code != 0 and out == ""
    assert "is not a date" in err and len(err.strip().splitlines()) == 1


def test_a_bad_file_in_a_folder_does_not_stop_the_others(data_dir, tmp_path, db_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("2025-01-24.md", "2025-03-14.json"):
        (folder / name).write_bytes((data_dir / "digests" / "seed-format" / name).read_bytes())
    (folder / "broken.json").write_text("[{\"title\": ")
    (folder / "notes.md").write_text("just some notes, no table here\n")
    code, out, err = paperboy("import", str(folder), db=db_path)
    assert code == 1
    assert "broken.json" in err and "notes.md" in err
    assert "Traceback" not in err
    code, out, _ = paperboy("papers", "--since", "2025-01-01", "--until", "2025-12-31", "--limit", "1000",
                            "--json", db=db_path)
    assert len(json.loads(out)) == 8 + 28


def test_unreadable_and_unknown_inputs(tmp_path, db_path):
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4 \x00\x01")
    code, _, err = paperboy("import", str(tmp_path / "x.pdf"), db=db_path)
    assert code == 1 and "x.pdf" in err and "Traceback" not in err
    code, _, err = paperboy("import", str(tmp_path / "missing.md"), db=db_path)
    assert code == 1 and "missing.md" in err


def test_importing_everything_twice_changes_nothing(data_dir, seed_file, db_path):
    paperboy("import", str(seed_file), str(data_dir / "digests"), db=db_path)
    code, out, _ = paperboy("import", str(seed_file), str(data_dir / "digests"), db=db_path)
    assert code == 0 and " 0 new, 0 updated" in out


def test_digest_json_is_the_exact_payloads_and_every_message_is_within_limits(data_dir, db_path):
    paperboy("import", str(data_dir / "digests"), db=db_path)
    for day in ("2024-09-27", "2025-01-24", "2025-03-14", "2025-05-30", "2025-10-30", "2024-09-05"):
        for layout in ("channel", "thread"):
            code, out, err = paperboy("digest", "--date", day, "--layout", layout, "--json", db=db_path)
            assert code == 0, err
            messages = json.loads(out)
            assert messages and all(validate_message(m) == [] for m in messages), day
            assert all(m["allowed_mentions"]["parse"] == [] for m in messages)
            assert day in messages[0]["content"]
    code, out, _ = paperboy("digest", "--date", "2025-09-26", "--json", db=db_path)
    empty = json.loads(out)
    assert len(empty) == 1 and empty[0]["embeds"] == [] and "No papers" in empty[0]["content"]


def test_every_paper_carries_tags_even_from_untagged_sources(data_dir, db_path):
    paperboy("import", str(data_dir / "digests" / "older-formats"), db=db_path)
    code, out, _ = paperboy("papers", "--date", "2025-10-30", "--limit", "1000", "--json", db=db_path)
    papers = json.loads(out)
    assert code == 0 and papers and all(p["tags"] for p in papers)


def test_tags_lists_counts(seed_file, db_path):
    paperboy("import", str(seed_file), db=db_path)
    code, out, _ = paperboy("tags", "--json", db=db_path)
    assert code == 0
    rows = {r["tag"]: r for r in json.loads(out)}
    assert rows["Multimodal"]["papers"] == 4 and rows["Multimodal"]["last_7_days"] == 4


def test_config_never_shows_the_token(tmp_path, db_path):
    code, out, _ = paperboy("config", db=db_path, env={"DISCORD_TOKEN": "secret.token.value"})
    assert code == 0 and "secret.token.value" not in out and "set (hidden)" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[discord]\ntoken = "abc"\n')
    code, out, err = paperboy("--config", str(bad), "config", db=db_path)
    assert code == 1 and "DISCORD_TOKEN" in err and "abc" not in err


@pytest.mark.timeout(60)
async def test_run_without_a_token_fetches_today_and_prints_the_digest(data_dir, db_path):
    today = date.today().isoformat()
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    async with FakeHF() as fake:
        fake.add_entries(entries[:5], day=today)
        code, out, err = await apaperboy("run", db=db_path, env={"PAPERBOY_HF_BASE_URL": fake.url})
    assert code == 0, err
    assert f"Papers for {today} — 5 papers" in out
    assert entries[0]["paper"]["id"] in out
    assert "DISCORD_TOKEN" in out  # says how to connect it to Discord
    code, out, _ = await apaperboy("papers", "--date", today, "--json", db=db_path)
    assert all(p["tags"] for p in json.loads(out))  # HF papers arrive untagged and get tags


@pytest.mark.timeout(60)
async def test_run_with_no_network_says_so_in_one_sentence(tmp_path, db_path):
    quick = tmp_path / "quick.toml"
    quick.write_text("[sources.huggingface]\nbackoff_seconds = 0.01\n")
    code, out, err = await apaperboy("--config", str(quick), "run", db=db_path,
                                     env={"PAPERBOY_HF_BASE_URL": "http://127.0.0.1:9"})
    assert code == 1 and out == ""
    progress, error = err.strip().splitlines()  # what it is doing, then one sentence saying why it failed
    assert progress.startswith("Fetching the papers of") and error.startswith("paperboy: No network")


@pytest.mark.timeout(60)
async def test_fetch_and_a_resumable_backfill(data_dir, db_path):
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    async with FakeHF() as fake:
        fake.add_entries(entries)  # two real days: 2026-07-10 and 2026-07-13
        code, out, err = await apaperboy("fetch", "--date", "2026-07-13", db=db_path,
                                         env={"PAPERBOY_HF_BASE_URL": fake.url})
        assert code == 0, err
        assert "for 2026-07-13" in out
        env = {"PAPERBOY_HF_BASE_URL": fake.url}
        code, out, err = await apaperboy("backfill", "--since", "2026-07-09", "--until", "2026-07-13",
                                         db=db_path, env=env)
        assert code == 0, err
        assert "1 day(s) already done" in out
        asked = [r.query.get("date") for r in fake.requests_to("daily_papers")]
        assert asked.count("2026-07-13") == 1  # the day fetched before was not asked again
        code, out, err = await apaperboy("backfill", "--since", "2026-07-09", "--until", "2026-07-13",
                                         db=db_path, env=env)
        assert "5 day(s) already done" in out
    code, out, _ = await apaperboy("papers", "--since", "2026-07-09", "--until", "2026-07-13", "--limit", "100",
                                   "--json", db=db_path)
    assert len(json.loads(out)) == len({e["paper"]["id"] for e in entries})


def test_today_means_today_in_the_configured_time_zone(tmp_path, db_path):
    config = tmp_path / "kiritimati.toml"
    config.write_text('[paperboy]\ntimezone = "Pacific/Kiritimati"\n')
    code, out, _ = paperboy("--config", str(config), "digest", "--date", "today", "--json", db=db_path)
    _, default_out, _ = paperboy("--config", str(config), "digest", "--json", db=db_path)
    assert code == 0 and json.loads(out)[0]["content"] == json.loads(default_out)[0]["content"]


# ---- database faults: one sentence each, through a real process --------------------------------------

DAMAGE = "restore a backup or move it aside to start a new one."


def paperboy_as_user(*args: str, db: Path):
    """``paperboy`` without root's power to ignore file modes, so a read-only file or folder is one.

    As root, the process runs without CAP_DAC_OVERRIDE (setpriv), which is what makes modes bind root.
    """
    import shutil
    import subprocess

    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file modes would not bind this process")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([*prefix, sys.executable, "-m", "bot", "--db", str(db), *args], capture_output=True,
                          text=True, env=env, timeout=60, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def seeded_db(seed_file, tmp_path) -> Path:
    """A store holding the seed day, closed (so its WAL is folded into the file), in its own folder."""
    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "paperboy.db"
    code, _, err = paperboy("import", str(seed_file), db=db)
    assert (code, err) == (0, "")
    assert sorted(p.name for p in folder.iterdir()) == ["paperboy.db"]
    return db


def test_damaged_pages_are_named_in_one_sentence(seeded_db, seed_file):
    import sqlite3

    with sqlite3.connect(seeded_db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'paper_tags'").fetchone()[0]
    conn.close()
    data = bytearray(seeded_db.read_bytes())
    data[(root - 1) * page_size:root * page_size] = b"\xa5" * page_size  # the tag table's root page
    seeded_db.write_bytes(bytes(data))
    expected = f"paperboy: The database {seeded_db} is damaged (database disk image is malformed); {DAMAGE}\n"
    assert paperboy("tags", db=seeded_db) == (1, "", expected)
    assert paperboy("import", str(seed_file), db=seeded_db) == (1, "", expected)


def test_a_file_that_is_not_a_database_is_named_in_one_sentence(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 200)
    expected = (f"paperboy: {db} is not a paperboy database (file is not a database); point --db at the right "
                "file, or move this one aside to start a new one.\n")
    assert paperboy("papers", db=db) == (1, "", expected)
    assert paperboy("fetch", "--date", "2025-01-24", db=db) == (1, "", expected)


@pytest.mark.parametrize(("change", "problem"), [
    ("DROP TABLE paper_tags", "no table 'paper_tags'"),
    ("ALTER TABLE papers RENAME COLUMN title TO name", "no column 'papers.title'"),
])
def test_a_table_or_column_changed_by_hand_is_named_in_one_sentence(seeded_db, seed_file, change, problem):
    import sqlite3

    conn = sqlite3.connect(seeded_db)
    conn.execute(change)
    conn.commit()
    conn.close()
    expected = f"paperboy: The database {seeded_db} has {problem}, so it was changed outside paperboy; {DAMAGE}\n"
    assert paperboy("papers", "--tag", "Multimodal", db=seeded_db) == (1, "", expected)
    assert paperboy("import", str(seed_file), db=seeded_db) == (1, "", expected)


def test_a_read_only_file_is_still_read_and_a_write_says_what_to_do(seeded_db, data_dir):
    seeded_db.chmod(0o444)
    code, out, err = paperboy_as_user("papers", "--tag", "Multimodal", "--date", "2025-01-24", "--json", db=seeded_db)
    assert (code, err, len(json.loads(out))) == (0, "", 4)
    code, out, err = paperboy_as_user("import", str(data_dir / "digests" / "seed-format" / "2025-03-14.json"),
                                      db=seeded_db)
    assert (code, out) == (1, "")
    assert err == (f"paperboy: The database {seeded_db} is a read-only file (attempt to write a readonly "
                   "database); make it writable for this user, or point --db at a writable copy.\n")


def test_a_read_only_folder_is_still_read_and_a_write_says_what_to_do(seeded_db, data_dir):
    folder = seeded_db.parent
    folder.chmod(0o555)
    try:
        for command in (["papers", "--tag", "Multimodal", "--date", "2025-01-24", "--json"],
                        ["paper", "2501.13918", "--json"], ["tags", "--json"], ["digest", "--date", "2025-01-24"],
                        ["config"]):
            code, out, err = paperboy_as_user(*command, db=seeded_db)
            assert (code, err) == (0, ""), command
        assert len(json.loads(paperboy_as_user("papers", "--tag", "Multimodal", "--date", "2025-01-24", "--json",
                                               db=seeded_db)[1])) == 4
        code, out, err = paperboy_as_user("import", str(data_dir / "digests" / "seed-format" / "2025-03-14.json"),
                                          db=seeded_db)
        assert (code, out) == (1, "")
        assert err == (f"paperboy: The database {seeded_db} cannot be written because its folder is read-only "
                       "and SQLite keeps paperboy.db-wal beside it (attempt to write a readonly database); make "
                       "the folder writable for this user, or point --db at a copy in a writable folder.\n")
        assert sorted(p.name for p in folder.iterdir()) == ["paperboy.db"]  # nothing was created
    finally:
        folder.chmod(0o755)


def test_a_read_only_folder_with_a_live_wal_reads_the_newest_writes(seeded_db, data_dir):
    """The bot (here: this process) holds the store open with writes still in its -wal file."""
    from bot.models import Paper
    from bot.store import Store

    with Store(seeded_db) as bot_store:
        bot_store.db.execute("PRAGMA wal_autocheckpoint = 0")
        bot_store.upsert_papers([Paper("2501.99999", "Only in the WAL", tags=["Audio"], dates=["2025-01-24"],
                                       source="hf-api")])
        assert sorted(p.name for p in seeded_db.parent.iterdir()) == [
            "paperboy.db", "paperboy.db-shm", "paperboy.db-wal"]
        seeded_db.parent.chmod(0o555)
        try:
            code, out, err = paperboy_as_user("paper", "2501.99999", "--json", db=seeded_db)
        finally:
            seeded_db.parent.chmod(0o755)
    assert (code, err, json.loads(out)["title"]) == (0, "", "Only in the WAL")


def test_read_only_commands_on_a_missing_database_create_nothing(tmp_path):
    db = tmp_path / "paperboy.db"
    assert paperboy("tags", db=db) == (0, "No tagged papers yet: run 'paperboy fetch' or 'paperboy import PATH' "
                                          "first.\n", "")
    assert paperboy("papers", "--tag", "Audio", db=db) == (0, "No papers match tag Audio.\n", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_error_naming_a_hostile_file_name_reaches_the_terminal_without_escapes(tmp_path):
    bad = tmp_path / "evil\x1b[2J\u202egnp.json"
    bad.write_text("{", encoding="utf-8")
    code, _out, err = paperboy("import", str(bad), db=tmp_path / "p.db")
    assert code == 1
    assert "\x1b" not in err and "\u202e" not in err
    assert f"{tmp_path}/evil[2Jgnp.json" in err
