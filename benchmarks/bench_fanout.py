"""DM fan-out benchmark: 10,000 subscribers across 50 tags through the rate-limited fake Discord.

Run: .venv/bin/python benchmarks/bench_fanout.py [--subscribers 10000] [--json]
     (``--subscribers 500`` to iterate: the full run takes about 10 minutes at Discord's 50 requests/s)

The real bot (PaperboyBot, the delivery ledger, DiscordSender over discord.py) fans out one day's DMs
to every subscriber (``bot.digests.fan_out(day)``), against the fake Discord with Discord's limits
enforced (50 requests/s globally, 5 messages per 5 s per channel, 429s with Retry-After). The fake runs
in a child process (``--serve``), so its own bookkeeping (it keeps every message and request) is not
counted in the bot's memory and does not take the bot's CPU. Printed from the same run:

- wall time of the fan-out vs the minimum Discord's limits allow: the REST requests the bot made / 50
  per second, and the floor for the DMs that were due (a first DM costs two requests, opening the DM
  channel and the message; a later day one, as the channel id is remembered);
- requests and 429s served (every 429 is an invalid request Discord counts towards an IP ban);
- exactly one DM per subscriber with matches, checked on the fake's side;
- memory: peak RSS of the bot's process (``getrusage``) and the peak of Python allocations made during
  the fan-out (``tracemalloc``, started just before it); and the bot's CPU time (headroom: the fan-out
  is bound by the rate limit, not by the bot). tracemalloc slows allocation-heavy code a little.

Day 1 is a real day (``digests/seed-format/2025-05-30.json``, 51 papers); day 2 the 28 papers of
``2025-03-14.json`` featured on the next working day. The 50 tags are the 50 most used across the
sample digests (taxonomy order breaks ties); a tag with no paper that day is added to one of the day's
papers, so every tag has papers. Subscribers follow 1–3 tags (60/30/10 %) drawn with a Zipf skew:
the most used tag is the most followed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.discord.client import PaperboyBot  # noqa: E402
from bot.models import Paper  # noqa: E402
from bot.sources.digest import load_file  # noqa: E402
from bot.store import Store, now_iso  # noqa: E402
from bot.taxonomy import ALL_TAGS  # noqa: E402
from tests.fakes.discord_server import DM, FakeDiscord, run_bot  # noqa: E402

DAY, DAY_FILE = "2025-05-30", "2025-05-30.json"  # a Friday
NEXT_DAY, NEXT_FILE = "2025-06-02", "2025-03-14.json"  # the next working day, with another day's papers
TAGS = 50
GLOBAL_LIMIT = 50.0  # Discord's global limit, requests per second


# ---- the fake, in its own process -----------------------------------------------------------------------


def dm_stats(fake: FakeDiscord) -> dict:
    """Counters a parent asks for between fan-outs: requests by kind, 429s, bot messages per DM channel."""
    per_dm: Counter[str] = Counter()
    for m in fake.messages.values():
        if m["author"]["id"] == str(fake.bot_id):
            per_dm[m["channel_id"]] += 1
    dms = {str(cid) for cid, c in fake.channels.items() if c["type"] == DM}
    counts = Counter(n for cid, n in per_dm.items() if cid in dms)
    return {
        "requests": len(fake.requests),
        "dm_opens": len(fake.calls("POST", "/users/@me/channels")),
        "message_posts": len(fake.calls("POST", "/channels/{id}/messages")),
        "served_429": fake.served_429, "served_429_global": fake.served_429_global,
        "dm_channels": len(dms), "messages_per_dm": {str(k): v for k, v in sorted(counts.items())},
    }


async def serve(users: int) -> None:
    """``--serve``: run the fake, print its address and users, answer 'stats' lines on stdin until 'quit'."""
    async with FakeDiscord(enforce_rate_limits=True, echo_events=False) as fake:
        ids = [fake.add_user(f"reader{i}") for i in range(users)]
        print(json.dumps({"host": fake.host, "port": fake.port, "users": ids}), flush=True)
        while True:
            line = (await asyncio.to_thread(sys.stdin.readline)).strip()
            if line in ("", "quit"):
                return
            stats = dm_stats(fake) if line == "stats" else {"error": line}
            print(json.dumps(stats), flush=True)


class RemoteFake:
    """What ``run_bot`` needs of a FakeDiscord that runs in another process: its address."""

    def __init__(self, host: str, port: int, proc: subprocess.Popen) -> None:
        self.host, self.port, self.proc = host, port, proc

    url = FakeDiscord.url
    api_base = FakeDiscord.api_base
    gateway_url = FakeDiscord.gateway_url
    patch_discord = FakeDiscord.patch_discord

    def _debug_tail(self) -> str:
        return " (the fake runs in a child process)"

    async def stats(self) -> dict:
        def ask() -> dict:
            assert self.proc.stdin and self.proc.stdout
            self.proc.stdin.write("stats\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())
        return await asyncio.to_thread(ask)


@contextlib.contextmanager
def fake_process(users: int):
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(users)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout
        hello = json.loads(proc.stdout.readline())
        yield RemoteFake(hello["host"], hello["port"], proc), hello["users"]
    finally:
        with contextlib.suppress(Exception):
            assert proc.stdin
            proc.stdin.write("quit\n")
            proc.stdin.flush()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---- the world: papers, tags, subscribers ---------------------------------------------------------------


def top_tags(digests: Path, n: int) -> list[str]:
    """The ``n`` tags most used across the sample digests; taxonomy order breaks ties (and fills up)."""
    counts: Counter[str] = Counter()
    for f in sorted(digests.glob("*.json")):
        counts.update(t for p in load_file(f).papers for t in p.tags)
    rank = {t: i for i, t in enumerate(ALL_TAGS)}
    return sorted(ALL_TAGS, key=lambda t: (-counts[t], rank[t]))[:n]


def day_papers(path: Path, day: str, tags: list[str]) -> tuple[list[Paper], list[str]]:
    """A real day's papers featured on ``day``; each of ``tags`` no paper carries is added to one paper."""
    papers = load_file(path).papers
    for p in papers:
        p.dates = [day]
    have = {t for p in papers for t in p.tags}
    added = [t for t in tags if t not in have]
    for i, tag in enumerate(added):
        papers[i % len(papers)].tags.append(tag)
    return papers, added


def draw_follows(users: list[int], tags: list[str], seed: int) -> dict[int, list[str]]:
    """1–3 tags each (60/30/10 %), tags drawn by a Zipf law over their rank (s = 1)."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(tags))]
    follows: dict[int, list[str]] = {}
    for uid in users:
        k = rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
        picked: list[str] = []
        while len(picked) < k:
            tag = rng.choices(tags, weights=weights)[0]
            if tag not in picked:
                picked.append(tag)
        follows[uid] = picked
    return follows


def seed_store(path: str, papers: list[Paper], follows: dict[int, list[str]], guild_id: str) -> None:
    with Store(path) as store:
        store.upsert_papers(papers)
        now = now_iso()
        with store.db.atomic():
            store.db["subscriptions"].insert_all(
                ({"user_id": str(uid), "tag": t, "guild_id": guild_id, "created_at": now}
                 for uid, tags in follows.items() for t in tags), batch_size=1000)


# ---- the measurement -------------------------------------------------------------------------------------


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    current = 0.0
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return round(current, 1), round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def measure(bot: PaperboyBot, fake: RemoteFake, day: str, due: int, new_dms: int,
                  expected_per_dm: dict[str, int], *, trace: bool = True) -> dict:
    """One fan-out: wall time, requests, 429s, DMs per subscriber and memory, from the same run."""
    before = await fake.stats()
    rss_before, _ = rss_mb()
    if trace:
        tracemalloc.start()
    t0, cpu0 = time.perf_counter(), time.process_time()
    outcomes = await bot.digests.fan_out(day)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    rss_after, rss_peak = rss_mb()
    after = await fake.stats()
    requests = after["requests"] - before["requests"]
    ideal_requests = due + new_dms  # one message per DM due, one channel opening per new DM channel
    minimum = requests / GLOBAL_LIMIT
    statuses = Counter(o.status for o in outcomes)
    return {
        "day": day, "subscribers": len(outcomes), "dms_due": due, "statuses": dict(statuses),
        "wall_s": round(wall, 2), "minimum_s": round(minimum, 2),
        "wall_vs_minimum": round(wall / minimum, 3) if minimum else None,
        "floor_s": round(ideal_requests / GLOBAL_LIMIT, 2),
        "requests": requests, "ideal_requests": ideal_requests,
        "dm_opens": after["dm_opens"] - before["dm_opens"],
        "dm_messages": after["message_posts"] - before["message_posts"],
        "served_429": after["served_429"] - before["served_429"],
        "served_429_global": after["served_429_global"] - before["served_429_global"],
        "dm_channels": after["dm_channels"], "messages_per_dm": after["messages_per_dm"],
        "expected_messages_per_dm": expected_per_dm,
        "exactly_once": after["messages_per_dm"] == expected_per_dm,
        "rss_before_mb": rss_before, "rss_after_mb": rss_after, "peak_rss_mb": rss_peak,
        "tracemalloc_peak_mb": round(traced_peak / 2**20, 1) if trace else None,
        "bot_cpu_s": round(cpu, 2), "bot_cpu_ms_per_dm": round(1000 * cpu / max(1, due), 2),
    }


def hist(counts: Counter[int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(counts.items())}


async def run(args: argparse.Namespace) -> dict:
    digests = args.data / "digests" / "seed-format"
    tags = top_tags(digests, TAGS)
    papers1, added1 = day_papers(digests / DAY_FILE, DAY, tags)
    papers2, added2 = day_papers(digests / NEXT_FILE, NEXT_DAY, tags)
    results: dict = {"subscribers": args.subscribers, "tags": len(tags), "seed": args.seed,
                     "papers": {DAY: len(papers1), NEXT_DAY: len(papers2)},
                     "synthetic_tags_added": {DAY: len(added1), NEXT_DAY: len(added2)}}
    with tempfile.TemporaryDirectory() as tmp, fake_process(args.subscribers) as (fake, users):
        follows = draw_follows(users, tags, args.seed)
        settings = Settings(database=str(Path(tmp) / "bench.db"))
        settings.hf.base_url = "http://127.0.0.1:9"  # never asked: the days are already stored
        seed_store(settings.database, [*papers1, *papers2], follows, guild_id="")
        popularity = Counter(t for ts in follows.values() for t in ts)
        results["follows"] = {"total": sum(popularity.values()), "most_followed": popularity.most_common(3),
                              "least_followed": popularity.most_common()[-3:]}
        with Store(settings.database) as store:
            due1 = {uid for uid, ts in follows.items() if store.papers_on(DAY, ts)}
            due2 = {uid for uid, ts in follows.items() if store.papers_on(NEXT_DAY, ts)}
        # What the fake must hold afterwards: one message per subscriber per day with matches, no more.
        after1 = Counter(1 for _ in due1)
        after2 = Counter((uid in due1) + (uid in due2) for uid in due1 | due2)
        # The clock stands on the day before DAY, which has no papers: the start-up catch-up (which fans
        # out the DMs of "today") then has nothing to send, and the measured fan-out is the whole of it.
        the_day_before = datetime.fromisoformat(f"{DAY}T12:00:00+00:00") - timedelta(days=1)
        bot = PaperboyBot(settings, sync_commands=False, clock=FixedClock(the_day_before))
        async with run_bot(bot, fake, timeout=30):  # type: ignore[arg-type]
            await bot.catch_up_task  # nothing to catch up; let it finish before measuring
            results["rss_at_start_mb"] = rss_mb()[0]
            trace = not args.no_tracemalloc
            results["first_day"] = await measure(bot, fake, DAY, len(due1), len(due1), hist(after1), trace=trace)
            # Day 2: the DM channel of everyone reached on day 1 is remembered; only new ones are opened.
            results["next_day"] = await measure(bot, fake, NEXT_DAY, len(due2), len(due2 - due1), hist(after2),
                                                trace=trace)
    return results


def _429(d: dict) -> str:
    return f"{d['served_429']} ({d['served_429_global']})"


def table(r: dict) -> str:
    lines = [f"DM fan-out: {r['subscribers']:,} subscribers, {r['tags']} tags "
             f"({r['follows']['total']:,} follows; most followed {r['follows']['most_followed'][0]}), "
             f"Discord limit {GLOBAL_LIMIT:.0f} requests/s"]
    head = f"{'':26}{'day 1 (' + DAY + ')':>22}{'day 2 (' + NEXT_DAY + ')':>22}"
    lines.append(head)
    a, b = r["first_day"], r["next_day"]

    def row(label: str, key: str, fmt: str = "{}") -> None:
        lines.append(f"{label:26}{fmt.format(a[key]):>22}{fmt.format(b[key]):>22}")

    row("DMs due", "dms_due", "{:,}")
    row("wall time (s)", "wall_s", "{:.2f}")
    row("minimum: requests/50 (s)", "minimum_s", "{:.2f}")
    row("wall / minimum", "wall_vs_minimum", "{:.3f}")
    row("floor: 2 or 1 per DM (s)", "floor_s", "{:.2f}")
    row("REST requests", "requests", "{:,}")
    row("  DM channels opened", "dm_opens", "{:,}")
    row("  DM messages posted", "dm_messages", "{:,}")
    lines.append(f"{'429s served (global)':26}{_429(a):>22}{_429(b):>22}")
    row("bot CPU (s)", "bot_cpu_s", "{:.2f}")
    row("bot CPU per DM (ms)", "bot_cpu_ms_per_dm", "{:.2f}")
    row("peak RSS (MB)", "peak_rss_mb", "{:.1f}")
    row("RSS after (MB)", "rss_after_mb", "{:.1f}")
    if a["tracemalloc_peak_mb"] is not None:
        row("tracemalloc peak (MB)", "tracemalloc_peak_mb", "{:.1f}")
    lines.append(f"{'DMs per subscriber so far':26}{json.dumps(a['messages_per_dm']):>22}"
                 f"{json.dumps(b['messages_per_dm']):>22}")
    row("exactly one DM a day", "exactly_once", "{}")
    lines.append(f"{'outcomes':26}{json.dumps(a['statuses'])}  |  {json.dumps(b['statuses'])}")
    lines.append(f"RSS when the bot was ready: {r['rss_at_start_mb']} MB; synthetic tags added so all "
                 f"{r['tags']} tags have papers: {r['synthetic_tags_added']}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-tracemalloc", action="store_true", help="bot CPU without tracemalloc's overhead")
    ap.add_argument("--serve", type=int, metavar="USERS", help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve))
        return 0
    if not (args.data / "digests" / "seed-format" / DAY_FILE).exists():
        print(f"No sample data at {args.data}; pass --data.", file=sys.stderr)
        return 2
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0 if result["first_day"]["exactly_once"] and result["next_day"]["exactly_once"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
