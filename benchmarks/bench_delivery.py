"""Delivery benchmark: packing every sample day, then one digest to many channels through the fake Discord.

Run: .venv/bin/python benchmarks/bench_delivery.py [--part all|packing|fanout] [--channels 200] [--papers 30]
     [--layout channel|thread]

Packing (``--part packing``, a few seconds): every day of every sample digest file in ``data/digests``
(seed-format, older-formats and the 156 train days), rendered in the channel layout exactly as the bot
sends it. Printed per day and in total, from the same run: papers; messages by next-fit in rank order
(the old packer, the baseline); messages by the exact packer; the lower bound no packing can beat;
the ratio greedy / packed; whether the minimum is proven; the packed order's inversions; time to pack.

Fan-out (``--part fanout``):

The real bot (PaperboyBot, scheduler catch-up, delivery ledger, DiscordSender over discord.py) posts to
the fake Discord with Discord's limits enforced by the fake: 50 requests/s globally and 5 messages per
5 s per channel. Printed next to each other, from the same run:
- wall time vs the minimum those limits allow (max of total requests / 50 and each channel's
  5-per-5-s schedule);
- messages sent vs the fewest the embed limits allow (≤ 10 embeds and ≤ 6000 characters per message);
- 429s served (each one is an invalid request Discord counts towards an IP ban).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.channels import Channels  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.discord.client import PaperboyBot  # noqa: E402
from bot.packing import lower_bound, next_fit, pack  # noqa: E402
from bot.render import LIMITS, digest_messages, embed_chars, paper_embed, validate_message  # noqa: E402
from bot.sources.digest import find_files, load_file  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.fakes.discord_server import FakeDiscord, run_bot  # noqa: E402

DAY = "2025-05-30"


def fewest_messages(embeds: list[dict]) -> int:
    """The fewest messages these embeds fit in (the exact packer's count; proven on every sample day)."""
    return len(pack([embed_chars(e) for e in embeds], max_chars=LIMITS["total"],
                    max_count=LIMITS["embeds_per_message"]).groups)


def packing_rows(data: Path) -> list[dict]:
    """One row per (digest file, day): the channel-layout digest the bot would send for that day."""
    rows = []
    for path in find_files([data / "digests"]):
        papers_by_day: dict[str, list] = {}
        for paper in load_file(path).papers:
            for day in paper.dates:
                papers_by_day.setdefault(day, []).append(paper)
        for day, papers in sorted(papers_by_day.items()):
            embeds = [paper_embed(p, day=day) for p in papers]
            sizes = [embed_chars(e) for e in embeds]
            t0 = time.perf_counter()
            messages = digest_messages(day, papers)
            ms = (time.perf_counter() - t0) * 1000
            packed = pack(sizes, max_chars=LIMITS["total"], max_count=LIMITS["embeds_per_message"])
            assert [ids for _, ids in messages] == [tuple(papers[i].arxiv_id for i in g) for g in packed.groups]
            cap, most = LIMITS["total"], LIMITS["embeds_per_message"]
            rows.append({
                "file": str(path.relative_to(data / "digests")), "day": day, "papers": len(papers),
                "greedy": len(next_fit(sizes, cap, most)), "packed": len(messages),
                "lower_bound": lower_bound(sizes, cap, most),
                "proven": packed.optimal, "inversions": packed.inversions, "render_ms": round(ms, 1),
                "invalid": sum(bool(validate_message(m)) for m, _ in messages),
            })
    return rows


def print_packing(rows: list[dict]) -> None:
    print(f"{'file':<28} {'day':<10} {'papers':>6} {'greedy':>6} {'packed':>6} {'bound':>5} {'ratio':>6} "
          f"{'proven':>6} {'inv':>4} {'ms':>6}")
    for r in rows:
        print(f"{r['file']:<28} {r['day']:<10} {r['papers']:>6} {r['greedy']:>6} {r['packed']:>6} "
              f"{r['lower_bound']:>5} {r['greedy'] / r['packed']:>6.3f} {'yes' if r['proven'] else 'NO':>6} "
              f"{r['inversions']:>4} {r['render_ms']:>6.1f}")
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["file"].split("/")[0], []).append(r)
    print(f"\n{'folder':<15} {'days':>5} {'papers':>6} {'greedy':>6} {'packed':>6} {'bound':>5} {'ratio':>6} "
          f"{'fewer':>5} {'=bound':>6} {'proven':>6} {'worst':>6} {'max ms':>7} {'invalid':>7}")
    for name, rs in [*sorted(groups.items()), ("all", rows)]:
        greedy, packed = sum(r["greedy"] for r in rs), sum(r["packed"] for r in rs)
        worst = max((r["greedy"] / r["packed"] for r in rs if r["packed"]), default=1.0)
        print(f"{name:<15} {len(rs):>5} {sum(r['papers'] for r in rs):>6} {greedy:>6} {packed:>6} "
              f"{sum(r['lower_bound'] for r in rs):>5} {greedy / packed:>6.3f} "
              f"{sum(r['packed'] < r['greedy'] for r in rs):>5} {sum(r['packed'] == r['lower_bound'] for r in rs):>6} "
              f"{sum(r['proven'] for r in rs):>6} {worst:>6.3f} {max(r['render_ms'] for r in rs):>7.1f} "
              f"{sum(r['invalid'] for r in rs):>7}")
    print("greedy = next-fit in rank order (the old packer); packed = exact packer; bound = lower bound no "
          "packing beats;\nfewer = days packed in fewer messages than greedy; =bound = days at the bound; "
          "proven = minimum proven;\nworst = largest greedy/packed on one day; ms = rendering the whole day "
          "(embeds + packing).")


async def run(args: argparse.Namespace) -> dict:
    data = args.data / "digests" / "seed-format" / f"{DAY}.json"
    papers = load_file(data).papers[: args.papers]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database=str(Path(tmp) / "bench.db"))
        settings.hf.base_url = "http://127.0.0.1:9"  # never asked: the day is already stored
        with Store(settings.database) as store:
            store.upsert_papers(papers)
            stored = store.papers_on(DAY)
        async with FakeDiscord(enforce_rate_limits=True, echo_events=False) as fake:
            channel_ids = [fake.add_text_channel(fake.guild_id, f"papers-{i}") for i in range(args.channels)]
            with Store(settings.database) as store:
                for cid in channel_ids:
                    Channels(store).setup(channel_id=cid, guild_id=fake.guild_id, post_time="00:00",
                                          timezone="UTC", layout=args.layout)
            bot = PaperboyBot(settings, sync_commands=False)
            bot.digests.clock = bot.deliverer.clock = FixedClock(datetime.fromisoformat(f"{DAY}T12:00:00+00:00"))
            async with run_bot(bot, fake, timeout=20):
                # on_ready starts the catch-up: every channel's post time has passed today.
                requests_before = len(fake.requests)
                t0 = time.perf_counter()
                await bot.catch_up_task
                wall = time.perf_counter() - t0
            sent = [m for cid in channel_ids for m in fake.messages_in(cid)]
            thread_msgs = [m for t in fake.threads for m in fake.messages_in(t)]
            rest_calls = [r for r in fake.requests[requests_before:] if r.method == "POST"]
            ledger_sent = 0
            with Store(settings.database) as store:
                ledger_sent = store.db.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone()[0]
                delivered = sum(1 for c in Channels(store).all() if c.last_day == DAY)
    per_channel_msgs = (len(sent) + len(thread_msgs)) / args.channels
    embeds = [paper_embed(p, day=DAY) for p in stored]
    # Thread layout: a header, then one message per paper by design. Channel layout: the header line
    # rides in the first message, so the floor is the embed limits alone.
    fewest = 1 + len(embeds) if args.layout == "thread" else fewest_messages(embeds)
    total_requests = len(rest_calls)
    # The floor: the global limit over all requests, or one channel's 5-per-5-s schedule, whichever is longer.
    per_bucket = len(embeds) if args.layout == "thread" else max(1, round(per_channel_msgs))
    channel_floor = 5.0 * (math.ceil(per_bucket / 5) - 1)
    minimum = max(total_requests / 50.0, channel_floor)
    return {
        "channels": args.channels, "papers": len(stored), "layout": args.layout,
        "channels_delivered": delivered, "requests": total_requests, "wall_s": round(wall, 2),
        "minimum_s": round(minimum, 2), "wall_vs_minimum": round(wall / minimum, 3) if minimum else None,
        "messages_per_channel": round(per_channel_msgs, 2), "fewest_messages_per_channel": fewest,
        "messages_vs_fewest": round(per_channel_msgs / fewest, 3), "ledger_rows_sent": ledger_sent,
        "served_429": fake.served_429, "served_429_global": fake.served_429_global,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("all", "packing", "fanout"), default="all")
    ap.add_argument("--channels", type=int, default=200)
    ap.add_argument("--papers", type=int, default=30)
    ap.add_argument("--layout", choices=("channel", "thread"), default="channel")
    shared = Path(os.environ.get("PAPERBOY_SHARED", ROOT.parent / "shared"))
    ap.add_argument("--data", type=Path, default=shared / "data")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not (args.data / "digests").exists():
        print(f"No sample data at {args.data}; pass --data.", file=sys.stderr)
        return 2
    out: dict = {}
    if args.part in ("all", "packing"):
        out["packing"] = packing_rows(args.data)
        if not args.json:
            print_packing(out["packing"])
    if args.part in ("all", "fanout"):
        out["fanout"] = asyncio.run(run(args))
        if not args.json:
            print_fanout(out["fanout"])
    if args.json:
        print(json.dumps(out, indent=2))
    return 0


def print_fanout(r: dict) -> None:
    print(f"\n{r['papers']}-paper digest ({r['layout']} layout) to {r['channels']} channels; "
          f"{r['channels_delivered']} delivered")
    print(f"  wall time       {r['wall_s']:8.2f} s   minimum the limits allow {r['minimum_s']:8.2f} s"
          f"   ratio {r['wall_vs_minimum']}")
    print(f"  messages/channel {r['messages_per_channel']:7.2f}     fewest the embed limits allow "
          f"{r['fewest_messages_per_channel']:5d}     ratio {r['messages_vs_fewest']}")
    print(f"  REST requests   {r['requests']:8d}     429s served {r['served_429']} "
          f"(global {r['served_429_global']})")


if __name__ == "__main__":
    raise SystemExit(main())
