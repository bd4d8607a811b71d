"""``paperboy run`` with a token, as a real process against the fake Discord: start, post, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.channels import Channels
from bot.store import Store

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)


async def test_run_with_a_token_logs_in_syncs_catches_up_and_stops_cleanly_on_sigterm(seeded, fake_discord, tmp_path):
    cid = fake_discord.channel_id
    with Store(seeded.database) as store:
        Channels(store).setup(channel_id=cid, guild_id=fake_discord.guild_id, post_time="00:00", timezone="UTC",
                              layout="channel")
    config = tmp_path / "paperboy.toml"
    config.write_text(f'[paperboy]\ntimezone = "UTC"\n[sources.huggingface]\nbase_url = "{seeded.hf.base_url}"\n'
                      "retries = 0\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": "fake.token.value"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.run_bot_process", fake_discord.url, "--", "--config", str(config),
        "--db", seeded.database, "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake_discord.wait_for(lambda: fake_discord.command("digest") is not None, timeout=20,
                                    what="commands synced by the real process")
        # Today's post time (00:00 UTC) has passed: catch-up posts today's digest (an empty-day note here,
        # since the seed day is in the past) exactly once.
        await fake_discord.wait_for(lambda: len(fake_discord.messages_in(cid)) >= 1, timeout=20,
                                    what="the catch-up post")
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
    log = err.decode()
    assert proc.returncode == 0, log[-2000:]
    assert "fake.token.value" not in log and "fake.token.value" not in out.decode()
    assert "invite link: https://discord.com/oauth2/authorize?client_id=" in log
    assert len(fake_discord.messages_in(cid)) == 1
    with Store(seeded.database) as store:
        pending = store.db.execute("SELECT count(*) FROM deliveries WHERE status != 'sent'").fetchone()[0]
    assert pending == 0
