"""Two writers at once: real processes on one SQLite file, as a user runs `paperboy import` beside the bot.

Two `paperboy import` processes, a `paperboy fetch` against the fake Hugging Face server and a process
writing the delivery ledger and a channel's settings run together; every one must succeed, and the
papers, tags and appearances must equal those of the same imports and fetch run one after another.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.sources import digest as digest_files
from tests.fakes.hf_server import FakeHF
from tests.test_store_merge import dump

ROOT = Path(__file__).resolve().parents[1]
DAY = "2025-03-14"

# The bot's own writes, from another process, until the test says stop: each ledger plan and each
# "sent" mark is a transaction of its own, as in delivery. Prints how many it made and its longest wait.
LEDGER_WRITER = r"""
import json, sys, time
from pathlib import Path
from bot.channels import Channels
from bot.store import Ledger
from bot.store import Store

db, stop = sys.argv[1], Path(sys.argv[2])
done, longest = 0, 0.0
with Store(db) as store:
    ledger, channels = Ledger(store), Channels(store)
    while not stop.exists():
        start = time.perf_counter()
        target = f"channel:{done}"
        ledger.record_plan(target, "2025-03-14", [{"kind": "paper", "paper_ids": ["2503.00001"],
                                                   "payload": {"content": f"message {done}"}}])
        ledger.mark(target, "2025-03-14", 0, status="sent", message_id=str(1000 + done))
        channels.setup(channel_id=42, guild_id=7, post_time="08:00", timezone="UTC", tags=None,
                       layout="channel" if done % 2 else "thread")
        longest = max(longest, time.perf_counter() - start)
        done += 1
        time.sleep(0.02)  # pacing, like a bot posting; not a wait for anything
print(json.dumps({"writes": done, "longest_ms": round(longest * 1000)}))
"""


def hf_entries(data_dir: Path) -> list[dict]:
    """Daily Papers entries (the real upstream shape) for the papers a digest featured on DAY.

    Papers that the digests also carry, so their tags are the digests' in any order: a paper only HF
    brings gets the tagger's guess, which depends on what the store held at that moment.
    """
    template = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())[0]
    day_papers = digest_files.load_file(data_dir / "digests" / "seed-format" / f"{DAY}.json").papers
    entries = []
    for i, p in enumerate(day_papers[:12]):
        e = copy.deepcopy(template)
        e["paper"].update(id=p.arxiv_id, title=p.title, summary=f"Abstract of {p.title}.", upvotes=100 + i,
                          submittedOnDailyAt=f"{DAY}T12:00:00.000Z",
                          authors=[{"name": f"{a} (full name)", "hidden": False} for a in p.authors[:3]])
        e["title"] = p.title
        entries.append(e)
    return entries


async def run(*args: str, env: dict) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 240)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.timeout(480)
async def test_two_imports_a_fetch_and_the_ledger_at_once_equal_the_same_work_in_sequence(data_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    async with FakeHF() as fake:
        fake.add_entries(hf_entries(data_dir))
        env.update(PYTHONPATH=str(ROOT), PAPERBOY_HF_BASE_URL=fake.url)
        jobs = [("import", str(data_dir / "digests" / "train")),
                ("import", str(data_dir / "digests" / "seed-format")),
                ("fetch", "--date", DAY)]

        together, stop = tmp_path / "together.db", tmp_path / "stop"
        writer = asyncio.ensure_future(run("-c", LEDGER_WRITER, str(together), str(stop), env=env))
        results = await asyncio.gather(*(run("-m", "bot", "--db", str(together), *job, env=env) for job in jobs))
        stop.touch()
        writer_code, writer_out, writer_err = await writer

        alone = tmp_path / "alone.db"
        in_turn = [await run("-m", "bot", "--db", str(alone), *job, env=env) for job in jobs]

    # Each succeeds, and says on stderr exactly what it says when run alone (the rows the parser skips).
    assert [(code, err) for code, _, err in results] == [(0, err) for _, _, err in in_turn]
    assert [code for code, _, _ in in_turn] == [0, 0, 0]
    assert results[0][1].startswith("Imported 2165 paper entries from 156 file(s)")
    assert results[2][1].startswith(f"Fetched 12 papers for {DAY} from hf")
    assert (writer_code, writer_err) == (0, "")
    writes = json.loads(writer_out)["writes"]
    with sqlite3.connect(together) as db:
        sent = db.execute("SELECT target, status, message_id FROM deliveries ORDER BY CAST(substr(target, 9) "
                          "AS INTEGER)").fetchall()
        channel = db.execute("SELECT channel_id, layout FROM channels").fetchall()
        got = dump(db)
    assert sent == [(f"channel:{i}", "sent", str(1000 + i)) for i in range(writes)]
    assert channel == [("42", "channel" if (writes - 1) % 2 else "thread")]
    with sqlite3.connect(alone) as db:
        expected = dump(db)
    assert [len(expected[t]) for t in ("papers", "appearances", "paper_tags")] == [2182, 2216, 5252]
    for table in expected:
        assert got[table] == expected[table], table
