"""``paperboy run`` / ``paperboy config`` as real processes: start against the fake Discord, post, SIGTERM;
and every way the token or the connection can be wrong ends in one sentence that never shows the token."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot.channels import Channels
from bot.store import Store
from tests.fakes.discord_server import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)

#: The shape of a real bot token (not a working one); its segments must appear in no output.
TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"


def leaks(*texts: str) -> list[str]:
    parts = (TOKEN, *TOKEN.split(".")[::2])  # the whole, the bot-id segment, the secret HMAC segment
    return [p for p in parts for t in texts if p in t]


def write_config(tmp_path: Path, settings, extra: str = "") -> Path:
    config = tmp_path / "paperboy.toml"
    config.write_text(f'[paperboy]\ntimezone = "UTC"\n{extra}[sources.huggingface]\n'
                      f'base_url = "{settings.hf.base_url}"\nretries = 0\n')
    return config


async def start_paperboy(discord_url: str, *args: str, token: str | None) -> asyncio.subprocess.Process:
    """``paperboy ARGS`` with Discord's base URLs pointed at ``discord_url`` (tests/fakes/run_bot_process.py)."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    if token is not None:
        env["DISCORD_TOKEN"] = token
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.run_bot_process", discord_url, "--", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def finish(proc: asyncio.subprocess.Process) -> tuple[int, str, str]:
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    return proc.returncode, out.decode(), err.decode()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_run_with_a_token_logs_in_syncs_catches_up_and_stops_cleanly_on_sigterm(seeded, tmp_path):
    # The token arrives with the line break of the file it was copied from: it is stripped, and the fake
    # Discord only lets the exact token in. DEBUG logging, so every library's chatter is checked for it.
    async with FakeDiscord(token=TOKEN) as fake:
        cid = fake.channel_id
        with Store(seeded.database) as store:
            Channels(store).setup(channel_id=cid, guild_id=fake.guild_id, post_time="00:00", timezone="UTC",
                                  layout="channel")
        config = write_config(tmp_path, seeded, 'log_level = "DEBUG"\n')
        proc = await start_paperboy(fake.url, "--config", str(config), "--db", seeded.database, "run",
                                    token=f"{TOKEN}\r\n")
        try:
            await fake.wait_for(lambda: fake.command("digest") is not None, timeout=20,
                                what="commands synced by the real process")
            # Today's post time (00:00 UTC) has passed: catch-up posts today's digest (an empty-day note here,
            # since the seed day is in the past) exactly once.
            await fake.wait_for(lambda: len(fake.messages_in(cid)) >= 1, timeout=20, what="the catch-up post")
            proc.send_signal(signal.SIGTERM)
        finally:
            code, out, log = await finish(proc)
        assert code == 0, log[-2000:]
        assert leaks(out, log) == []
        assert "invite link: https://discord.com/oauth2/authorize?client_id=" in log
        assert len(fake.messages_in(cid)) == 1
    with Store(seeded.database) as store:
        pending = store.db.execute("SELECT count(*) FROM deliveries WHERE status != 'sent'").fetchone()[0]
    assert pending == 0


@pytest.mark.parametrize("token", [f"{TOKEN[:30]}\n{TOKEN[30:]}", f"{TOKEN[:30]} {TOKEN[30:]}",
                                   f"{TOKEN}\x1b[31m", f"Bot {TOKEN}"])
async def test_a_token_with_inner_whitespace_or_control_characters_is_one_sentence(seeded, tmp_path, token):
    proc = await start_paperboy(f"http://127.0.0.1:{closed_port()}", "--db", seeded.database, "run", token=token)
    code, out, err = await finish(proc)
    assert (code, out) == (1, "")
    assert err == ("paperboy: DISCORD_TOKEN holds spaces, line breaks or other characters a Discord token never "
                   "has; copy the token again from the developer portal (Bot → Reset Token).\n")


async def test_discord_out_of_reach_names_the_host_and_the_reason(seeded, tmp_path):
    port = closed_port()
    proc = await start_paperboy(f"http://127.0.0.1:{port}", "--config", str(write_config(tmp_path, seeded)),
                                "--db", seeded.database, "run", token=TOKEN)
    code, out, err = await finish(proc)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == f"paperboy: Cannot reach Discord at 127.0.0.1:{port}: the connection was refused."
    assert "Traceback" not in err and "ClientConnectorError" not in err and leaks(err) == []


async def test_a_refused_token_is_one_sentence_without_the_token(seeded, tmp_path):
    async with FakeDiscord(token="the-right-token-is-another-one") as fake:
        proc = await start_paperboy(fake.url, "--config", str(write_config(tmp_path, seeded)),
                                    "--db", seeded.database, "run", token=TOKEN)
        code, out, err = await finish(proc)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == ("paperboy: Discord refused the token in DISCORD_TOKEN (login failed); "
                                    "copy it again from the developer portal.")
    assert "Traceback" not in err and leaks(err) == []


async def test_config_shows_whether_a_token_is_set_never_the_token(seeded, tmp_path):
    # Even pasted into a key that takes any text, the token is not printed back.
    config = write_config(tmp_path, seeded, f'database = "{TOKEN}"\n')
    runs = {}
    for name, token in (("set", f" {TOKEN}\n"), ("unusable", f"{TOKEN}\n{TOKEN}"), ("unset", None)):
        proc = await start_paperboy("http://127.0.0.1:9", "--config", str(config), "config", token=token)
        runs[name] = await finish(proc)
    assert [(code, err) for code, _, err in runs.values()] == [(0, "")] * 3
    assert leaks(runs["set"][1], runs["unusable"][1]) == []
    shown = {name: json.loads(out)["discord"]["token"] for name, (_, out, _) in runs.items()}
    assert shown == {"set": "set (hidden)", "unset": "not set",
                     "unusable": "set but unusable: it has spaces, line breaks or other characters (hidden)"}
    assert json.loads(runs["set"][1])["database"] == "[token]"
    assert json.loads(runs["unusable"][1])["database"] == "[token]"


async def test_a_token_pasted_into_a_typed_key_is_not_echoed_by_the_cli(seeded, tmp_path):
    config = tmp_path / "paperboy.toml"
    config.write_text(f'[discord]\ntest_guild_id = "{TOKEN}"\n')
    proc = await start_paperboy("http://127.0.0.1:9", "--config", str(config), "run", token=None)
    code, out, err = await finish(proc)
    assert (code, out) == (1, "")
    assert err == "paperboy: Config key 'discord.test_guild_id' should be a whole number, not text.\n"
