"""Idle memory of the bot in 1,000 and 10,000 servers, through the fake Discord.

Run: .venv/bin/python benchmarks/bench_memory.py [--guilds 1000 10000] [--channels 5] [--roles 0] [--json]

The fake Discord runs in its own process (it keeps every guild's payload and every event it sent, which
is not the bot's memory) and recommends one shard per 1,000 guilds in ``GET /gateway/bot``, as Discord
does; each guild has ``--channels`` text channels, ``--roles`` roles besides ``@everyone`` and the bot's,
the owner and the bot as members. Each client then runs in a fresh process of its own (memory a process freed is not
always returned to the system, so one process per figure keeps them independent), logs in, waits until
every shard is ready and every guild is cached, runs ``gc.collect()`` and reads its RSS. Printed from
the same run, per guild count:

- ``imports``: the same process before login — Python, discord.py, aiohttp, APScheduler and our modules
  imported, the bot built and its store opened; the floor no guild count changes;
- ``discord.py defaults``: a bare ``AutoShardedClient`` with discord.py's default intents and caches
  (message cache of 1,000, voice members) — what any discord.py bot in that many servers holds;
- ``discord.py lean``: the same bare client with PaperboyBot's options (``guilds`` intent only, no message
  cache, no member cache, no chunking) — what those options save;
- ``PaperboyBot``: the real bot, cogs loaded, commands synced, scheduler running, on its SQLite store.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import discord

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GUILDS_PER_SHARD = 1000  # Discord's recommendation grows by about one shard per 1,000 guilds
VARIANTS = ("discord.py defaults", "discord.py lean", "PaperboyBot")
GOALS_MB = {1000: 100.0, 10_000: 250.0}


def rss_mb() -> float:
    """This process's resident set size in MB (from /proc; 0 where there is none)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# ---- the fake, in its own process ------------------------------------------------------------------------


async def serve(guilds: int, channels: int, roles: int) -> None:
    """``--serve``: the fake with ``guilds`` guilds; prints its address, runs until stdin closes."""
    from tests.fakes.discord_server import FakeDiscord

    shards = max(1, math.ceil(guilds / GUILDS_PER_SHARD))
    async with FakeDiscord(shard_count=shards, echo_events=False) as fake:
        for c in range(channels - 2):  # the default guild comes with two channels
            fake.add_text_channel(fake.guild_id, f"extra-{c}")
        for r in range(roles):
            fake.add_role(fake.guild_id, f"extra-{r}")
        fake.add_guilds(guilds - 1, channels=channels, roles=roles)
        print(json.dumps({"host": fake.host, "port": fake.port, "shards": shards}), flush=True)
        await asyncio.to_thread(sys.stdin.read)


class RemoteFake:
    """What ``run_bot`` needs of a FakeDiscord running in another process: its address."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    from tests.fakes.discord_server import FakeDiscord as _F

    url, api_base, gateway_url, patch_discord = _F.url, _F.api_base, _F.gateway_url, _F.patch_discord
    del _F

    def _debug_tail(self) -> str:
        return " (the fake runs in a child process)"


@contextlib.contextmanager
def fake_process(guilds: int, channels: int, roles: int) -> Iterator[dict]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(guilds), "--channels", str(channels),
                             "--roles", str(roles)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout
        yield json.loads(proc.stdout.readline())
    finally:
        with contextlib.suppress(Exception):
            assert proc.stdin
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---- one client, in its own process ------------------------------------------------------------------------


def make_client(variant: str, tmp: str) -> discord.Client:
    """The client of ``variant``, built (not logged in); imports happen here, inside the measured process."""
    import discord

    from bot.config import Settings
    from bot.discord.client import PaperboyBot, intents

    if variant == "PaperboyBot":
        settings = Settings(database=str(Path(tmp) / "bench.db"))
        settings.hf.base_url = "http://127.0.0.1:9"  # never asked: no channel is due
        return PaperboyBot(settings)
    if variant == "discord.py defaults":
        return discord.AutoShardedClient(intents=discord.Intents.default())
    return discord.AutoShardedClient(intents=intents(), max_messages=None, chunk_guilds_at_startup=False,
                                     member_cache_flags=discord.MemberCacheFlags.none())


async def measure(variant: str, host: str, port: int, guilds: int) -> dict:
    """Log in, wait for every guild, collect garbage, read RSS; the same before login as the baseline."""
    from tests.fakes.discord_server import run_bot

    with tempfile.TemporaryDirectory() as tmp:
        client = make_client(variant, tmp)
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        async with run_bot(client, RemoteFake(host, port), timeout=600):  # type: ignore[arg-type]
            deadline = time.monotonic() + 120
            while len(client.guilds) < guilds and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            ready_s = time.perf_counter() - started
            catch_up = getattr(client, "catch_up_task", None)
            if catch_up is not None:
                await catch_up
            gc.collect()
            after = rss_mb()
            seen = {"guilds": len(client.guilds), "channels": sum(len(g.channels) for g in client.guilds),
                    "members_cached": sum(len(g.members) for g in client.guilds),
                    "shards": len(client.shards)}
    return {"variant": variant, "rss_before_login_mb": before, "rss_ready_mb": after,
            "ready_s": round(ready_s, 1), **seen}


def measure_in_child(variant: str, fake: dict, guilds: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", variant, "--host", fake["host"],
                          "--port", str(fake["port"]), "--guilds", str(guilds)],
                         capture_output=True, text=True, cwd=ROOT, timeout=900, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{variant} failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the report --------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    results: dict = {"channels_per_guild": args.channels, "roles_per_guild": args.roles, "runs": []}
    for n in args.guilds:
        with fake_process(n, args.channels, args.roles) as fake:
            rows = [measure_in_child(v, fake, n) for v in VARIANTS]
        results["runs"].append({"guilds": n, "shards": fake["shards"], "rows": rows})
    return results


def table(r: dict) -> str:
    lines = [f"Idle memory after ready (RSS after gc.collect(), MB); a guild has {r['channels_per_guild']} text "
             f"channels and {r['roles_per_guild'] + 2} roles; one shard per {GUILDS_PER_SHARD:,} guilds"]
    for run_ in r["runs"]:
        n, rows = run_["guilds"], run_["rows"]
        bot = rows[-1]
        goal = GOALS_MB.get(n)
        verdict = f" — goal ≤ {goal:.0f} MB: {'met' if bot['rss_ready_mb'] <= goal else 'NOT met'}" if goal else ""
        lines.append(f"\n{n:,} guilds, {run_['shards']} shard(s){verdict}")
        lines.append(f"{'':22}{'before login':>13}{'ready':>9}{'growth':>9}{'KB/guild':>10}{'ready in':>10}"
                     f"{'members':>9}")
        for row in rows:
            growth = row["rss_ready_mb"] - row["rss_before_login_mb"]
            lines.append(f"{row['variant']:22}{row['rss_before_login_mb']:>13.1f}{row['rss_ready_mb']:>9.1f}"
                         f"{growth:>9.1f}{1024 * growth / n:>10.1f}{row['ready_s']:>9.1f}s{row['members_cached']:>9,}")
        lines.append(f"(every client saw {rows[0]['guilds']:,} guilds and {rows[0]['channels']:,} channels)")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--guilds", type=int, nargs="+", default=[1000, 10_000])
    ap.add_argument("--channels", type=int, default=5, help="text channels per guild (at least 2)")
    ap.add_argument("--roles", type=int, default=0, help="roles per guild besides @everyone and the bot's")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--serve", type=int, metavar="GUILDS", help=argparse.SUPPRESS)  # the fake's process
    ap.add_argument("--measure", choices=VARIANTS, help=argparse.SUPPRESS)  # one client's process
    ap.add_argument("--host", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve, max(2, args.channels), max(0, args.roles)))
        return 0
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.host, args.port, args.guilds[0]))))
        return 0
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else table(result))
    bad = [x for x in result["runs"] for row in x["rows"] if row["guilds"] != x["guilds"]]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
