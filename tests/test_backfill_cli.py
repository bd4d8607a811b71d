"""``paperboy backfill`` interrupted by Ctrl-C (SIGINT) in a real process, then run again to the end."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import Store
from tests.fakes.hf_server import FakeHF
from tests.test_backfill import SINCE, days_of

ROOT = Path(__file__).resolve().parents[1]


async def start_backfill(db: Path, url: str, until: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update({"PYTHONPATH": str(ROOT), "PAPERBOY_HF_BASE_URL": url})
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--db", str(db), "backfill", "--since", SINCE.isoformat(), "--until", until,
        env=env, cwd=db.parent, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def until_true(condition, timeout: float = 30.0) -> None:
    """Wait for ``condition()`` to hold, checking every 20 ms; fail after ``timeout`` seconds."""
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(poll(), timeout)


def recorded(db: Path) -> set[str]:
    """The days the store records as fetched, read beside the writing process (none before it exists)."""
    if not db.exists():
        return set()
    try:
        with Store(db, readonly=True) as store:
            return store.fetched_days("hf")
    except StoreError:  # created but not yet migrated
        return set()


@pytest.mark.timeout(120)
async def test_ctrl_c_then_rerun_stores_every_day_once(data_dir: Path, db_path: Path) -> None:
    served = days_of(data_dir, 30)
    until = max(served)
    async with FakeHF(served, latency=0.3) as fake:
        proc = await start_backfill(db_path, fake.url, until)
        await until_true(lambda: bool(recorded(db_path)))  # some days stored, more under way
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert (proc.returncode, err.decode().strip().splitlines()[-1]) == (
            130, "paperboy: interrupted; what was stored so far is kept.")
        first = recorded(db_path)
        asked_first = len(fake.requests)

        proc = await start_backfill(db_path, fake.url, until)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert f"{len(first)} day(s) already done" in out.decode()
        again = [r.query["date"] for r in fake.requests[asked_first:]]
    with Store(db_path, readonly=True) as store:
        assert store.fetched_days("hf") == set(served)
        ids = [r[0] for r in store.db.execute("SELECT arxiv_id FROM papers")]
    assert 0 < len(first) < len(served)
    # No day finished before Ctrl-C asked again (the first run's last requests may be counted late).
    assert (set(again) & first, set(again) | first) == (set(), set(served))
    assert len(ids) == len(set(ids)) == 90
