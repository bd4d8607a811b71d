"""The daily post through the fake Discord: layouts, exactly-once across restarts, and every failure."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.channels import Channels
from bot.clock import FixedClock
from bot.delivery import CLOCK_SKEW, LOOKUP_PAGES, OutcomeKind, exhaustive, plan_channel, target_of
from bot.discord.cogs.admin import NOW_REPLIES
from bot.pipeline import import_paths
from bot.render import validate_message
from bot.store import Store
from tests.discord.conftest import SEED_DAY, arxiv_ids, started
from tests.fakes.discord_server import FakeDiscord, Fault

pytestmark = pytest.mark.timeout(60)

BUSY_DAY = "2025-03-11"  # 36 papers (digests/train/2025-03-11.json)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def setup_channel(settings, channel_id, guild_id, *, layout="thread", time="09:00", tz="UTC", tags=None, user=None):
    with Store(settings.database) as store:
        Channels(store).setup(channel_id=channel_id, guild_id=guild_id, post_time=time, timezone=tz, tags=tags,
                              layout=layout, user_id=user or "")


def thread_of(fake, channel_id):
    threads = [t for t in fake.threads.values() if int(t["parent_id"]) == int(channel_id)]
    assert len(threads) == 1, threads
    return threads[0]


async def run_post_job(bot, channel_id):
    """Fire the channel's real APScheduler job now, as the clock reaching its post time would."""
    job = bot.digests.scheduler.get_job(f"post:{channel_id}")
    assert job is not None
    return await job.func(*job.args)


async def caught_up(fake, bot):
    """Wait until the start-up catch-up (resume and scheduled catch-up) has finished."""
    await fake.wait_for(lambda: bot.catch_up_task is not None and bot.catch_up_task.done(), timeout=15,
                        what="the start-up catch-up to finish")
    assert bot.catch_up_task.exception() is None


async def test_scheduled_thread_post_header_thread_one_embed_per_paper(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id)
    async with started(seeded, fake_discord, now=f"{SEED_DAY}T07:00:00") as bot:
        outcome = await run_post_job(bot, str(cid))
        assert outcome.status == "delivered"
        header = fake_discord.messages_in(cid)
        assert len(header) == 1 and "Papers for Friday 2025-01-24" in header[0]["content"]
        assert "8 papers" in header[0]["content"] and "Multimodal (4)" in header[0]["content"]
        thread = thread_of(fake_discord, cid)
        assert thread["id"] == header[0]["id"]  # the thread hangs under the header message
        posts = fake_discord.messages_in(thread["id"])
        assert len(posts) == 8 and all(len(m["embeds"]) == 1 for m in posts)
        assert len(set(arxiv_ids(posts))) == 8
        for m in [*header, *posts]:
            assert validate_message({"content": m.get("content", ""), "embeds": m.get("embeds", []),
                                     "allowed_mentions": m["allowed_mentions"]}) == []
            assert m["allowed_mentions"]["parse"] == []
        status = Channels(bot.store).get(cid)
        assert status.last_day == SEED_DAY


async def test_a_day_sent_in_full_but_not_recorded_as_delivered_is_recorded_on_the_next_run(seeded, fake_discord):
    # The process died after the last message went out but before the channel's last day was written.
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id)
    async with started(seeded, fake_discord, now=f"{SEED_DAY}T07:00:00") as bot:
        assert (await run_post_job(bot, str(cid))).status == "delivered"
        bot.store.db.execute("UPDATE channels SET last_day = '2025-01-23' WHERE channel_id = ?", [str(cid)])
        posted = len(fake_discord.messages_in(thread_of(fake_discord, cid)["id"]))
        outcome = await run_post_job(bot, str(cid))
        assert (outcome.status, outcome.sent) == ("already", 0)
        assert Channels(bot.store).get(cid).last_day == SEED_DAY
        assert len(fake_discord.messages_in(thread_of(fake_discord, cid)["id"])) == posted == 8


async def test_channel_layout_tag_filter_and_packing(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel", tags="Multimodal")
    async with started(seeded, fake_discord) as bot:
        await run_post_job(bot, str(cid))
        messages = fake_discord.messages_in(cid)
        assert sorted(arxiv_ids(messages)) == ["2501.13826", "2501.13918", "2501.13919", "2501.13920"]
        assert len(messages) == 1 and len(messages[0]["embeds"]) == 4  # four embeds fit in one message
        assert not fake_discord.threads


async def test_a_day_with_nothing_for_the_channel_gets_one_short_note(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, tags="Tabular Regression")
    async with started(seeded, fake_discord) as bot:
        await run_post_job(bot, str(cid))
        messages = fake_discord.messages_in(cid)
        assert len(messages) == 1 and messages[0]["embeds"] == [] and "No papers" in messages[0]["content"]
        await run_post_job(bot, str(cid))
        assert len(fake_discord.messages_in(cid)) == 1


async def test_an_empty_upstream_day_gets_the_note_after_asking_upstream(seeded, fake_discord, fake_hf):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id)
    with Store(seeded.database) as store:
        Channels(store).mark_delivered(cid, SEED_DAY)  # Friday's digest was posted on Friday
    async with started(seeded, fake_discord, now="2025-01-25T10:00:00") as bot:  # a Saturday
        await run_post_job(bot, str(cid))
        assert [r.query.get("date") for r in fake_hf.requests_to("daily_papers")] == ["2025-01-25"]
        messages = fake_discord.messages_in(cid)
        assert len(messages) == 1 and "No papers for Saturday 2025-01-25" in messages[0]["content"]


async def test_restart_mid_digest_posts_every_paper_exactly_once(seeded):
    # Discord's per-channel limit (5 messages per window) makes the digest pause after 5 papers: the bot
    # is stopped right there, mid-digest, and started again after the post time.
    clock = FixedClock(utc(f"{SEED_DAY}T08:00:00"))
    async with FakeDiscord(enforce_rate_limits=True, message_window=3.0, clock=clock) as fake:
        cid = fake.channel_id
        setup_channel(seeded, cid, fake.guild_id)
        async with started(seeded, fake) as bot:
            task = asyncio.create_task(run_post_job(bot, str(cid)))
            await fake.wait_for(lambda: fake.threads and len(fake.messages_in(next(iter(fake.threads)))) >= 3,
                                timeout=10, what="3 papers")
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        thread_id = thread_of(fake, cid)["id"]
        assert 3 <= len(fake.messages_in(thread_id)) < 8
        async with started(seeded, fake, now=f"{SEED_DAY}T10:00:00") as bot:
            await caught_up(fake, bot)
        posts = fake.messages_in(thread_id)
        assert len(posts) == 8 and sorted(Counter(arxiv_ids(posts)).values()) == [1] * 8
        assert len(fake.messages_in(cid)) == 1 and len(fake.threads) == 1  # one header, one thread


async def test_catch_up_after_downtime_posts_once_and_not_again(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel")
    async with started(seeded, fake_discord, now=f"{SEED_DAY}T12:00:00"):
        await fake_discord.wait_for(lambda: len(arxiv_ids(fake_discord.messages_in(cid))) == 8, timeout=10,
                                    what="catch-up")
    count = len(fake_discord.messages_in(cid))
    async with started(seeded, fake_discord, now=f"{SEED_DAY}T13:00:00") as bot:
        await caught_up(fake_discord, bot)
    assert len(fake_discord.messages_in(cid)) == count


async def test_before_the_post_time_nothing_is_caught_up(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, time="15:00")
    async with started(seeded, fake_discord, now=f"{SEED_DAY}T12:00:00") as bot:
        await caught_up(fake_discord, bot)
        assert bot.digests.next_post(str(cid)) == utc(f"{SEED_DAY}T15:00:00")
    assert fake_discord.messages_in(cid) == []


async def test_rate_limit_and_server_error_are_retried_and_nothing_is_doubled(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel")
    fake_discord.fail_next("POST", f"/channels/{cid}/messages", status=429, retry_after=0.05)
    async with started(seeded, fake_discord) as bot:
        fake_discord.fail_next("POST", f"/channels/{cid}/messages", status=500)
        outcome = await run_post_job(bot, str(cid))
        assert outcome.status == "delivered"
    assert sorted(Counter(arxiv_ids(fake_discord.messages_in(cid))).values()) == [1] * 8


@pytest.mark.parametrize("failure", ["forbidden", "deleted"])
async def test_a_broken_channel_is_disabled_admin_told_and_others_unaffected(seeded, fake_discord, failure):
    broken = fake_discord.channel_id
    other = next(c for c, ch in fake_discord.channels.items()
                 if ch.get("guild_id") and int(ch["guild_id"]) == fake_discord.guild_id and c != broken
                 and ch.get("type") == 0)
    setup_channel(seeded, broken, fake_discord.guild_id, layout="channel", user=fake_discord.user_id)
    setup_channel(seeded, other, fake_discord.guild_id, layout="channel")
    if failure == "forbidden":
        fake_discord.forbid_channel(broken)
    else:
        fake_discord.delete_channel(broken)
    async with started(seeded, fake_discord, now=f"{SEED_DAY}T12:00:00") as bot:
        await fake_discord.wait_for(lambda: len(arxiv_ids(fake_discord.messages_in(other))) == 8, timeout=10,
                                    what="the healthy channel's digest")
        await fake_discord.wait_for(lambda: not Channels(bot.store).get(broken).enabled, timeout=10,
                                    what="the broken channel disabled")
        reason = Channels(bot.store).get(broken).disabled_reason
        assert ("permission" in reason) if failure == "forbidden" else ("cannot find" in reason)
        await fake_discord.wait_for(lambda: any(
            "stopped posting" in (m.get("content") or "") for c in fake_discord.dm_channels
            for m in fake_discord.messages_in(c)), timeout=5, what="a DM to the admin")
        await fake_discord.wait_for(lambda: bot.digests.scheduler.get_job(f"post:{broken}") is None, timeout=5,
                                    what="the broken channel's job removed")
        sends = len(fake_discord.calls("POST", f"/channels/{broken}/messages"))
        await run_post_job_if_any(bot, broken)
        assert len(fake_discord.calls("POST", f"/channels/{broken}/messages")) == sends  # no retrying forever


async def run_post_job_if_any(bot, channel_id):
    outcome = await bot.digests.post(str(channel_id), SEED_DAY)
    assert outcome.status == "skipped"


async def test_gateway_resume_and_reidentify_keep_the_bot_working(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel")
    async with started(seeded, fake_discord) as bot:
        resumes, identifies = fake_discord.resume_count, fake_discord.identify_count
        await fake_discord.close_gateway(4000)
        await fake_discord.wait_for(lambda: fake_discord.resume_count == resumes + 1, timeout=10, what="RESUME")
        await fake_discord.send_op(9, d=False)
        await fake_discord.wait_for(lambda: fake_discord.identify_count == identifies + 1, timeout=10,
                                    what="re-IDENTIFY")
        await fake_discord.wait_for(lambda: bot.is_ready(), timeout=10, what="ready again")
        outcome = await run_post_job(bot, str(cid))
        assert outcome.status == "delivered" and len(arxiv_ids(fake_discord.messages_in(cid))) == 8


@pytest.mark.parametrize(("now", "posted", "next_post"), [
    ("2025-03-30T06:30:00", False, "2025-03-30T07:00:00"),  # 09:00 CEST that day, not yet
    ("2025-03-30T07:30:00", True, "2025-03-31T07:00:00"),  # just past it: caught up, next is tomorrow
])
async def test_dst_change_day_posts_at_local_time(seeded, fake_discord, now, posted, next_post):
    # 2025-03-30 Berlin springs forward at 01:00 UTC: 09:00 local is 07:00 UTC that day (08:00 the day before).
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, tz="Europe/Berlin")
    async with started(seeded, fake_discord, now=now) as bot:
        await caught_up(fake_discord, bot)
        upcoming = bot.digests.next_post(str(cid))
        assert upcoming == utc(next_post)
        assert upcoming.utcoffset() == timedelta(hours=2) and upcoming.tzinfo == ZoneInfo("Europe/Berlin")
        assert (upcoming.hour, upcoming.minute) == (9, 0)
    messages = fake_discord.messages_in(cid)
    assert len(messages) == (1 if posted else 0)
    if posted:  # nothing stored within three days: the day's short note, at 09:00 Berlin time
        assert messages[0]["content"] == "📭 No papers for Sunday 2025-03-30."


async def test_daily_fetch_rechecks_an_empty_day_then_stops(seeded, fake_discord, fake_hf, data_dir):
    day = "2025-01-27"  # the clock's day (UTC, the default schedule time zone), not the host's
    async with started(seeded, fake_discord, now=f"{day}T06:30:00") as bot:
        assert await bot.digests.daily_fetch() == 0
        assert [r.query.get("date") for r in fake_hf.requests_to("daily_papers")][-1] == day
        assert bot.digests.scheduler.get_job("fetch-recheck") is not None
        entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
        fake_hf.add_entries(entries[:3], day=day)
        assert await bot.digests.daily_fetch(recheck=True) == 3
        assert bot.digests.scheduler.get_job("fetch-recheck") is None  # found: no more re-checks
        assert len(bot.store.papers_on(day)) == 3


async def test_a_channel_ahead_of_utc_gets_the_newest_day_it_has_not_had(seeded, fake_discord):
    # 09:00 in Auckland is 20:00 UTC the day before: Hugging Face's 2025-01-25 has not started, so the
    # channel gets the newest day it has not seen (the seed Friday), not an empty note.
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, tz="Pacific/Auckland", layout="channel")
    async with started(seeded, fake_discord, now="2025-01-24T20:30:00") as bot:
        await bot.catch_up_task  # Friday's digest in Auckland on Saturday morning
    assert len(arxiv_ids(fake_discord.messages_in(cid))) == 8
    async with started(seeded, fake_discord, now="2025-01-25T20:30:00") as bot:  # Sunday morning there
        await bot.catch_up_task
    last = fake_discord.messages_in(cid)[-1]
    assert "No papers for Sunday 2025-01-26" in last["content"]


async def test_papers_arriving_after_the_short_note_are_still_posted(seeded, fake_discord):
    from bot.models import Paper

    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel", time="09:00")
    with Store(seeded.database) as store:
        Channels(store).mark_delivered(cid, SEED_DAY)
    async with started(seeded, fake_discord, now="2025-01-27T08:30:00") as bot:  # Monday, list still empty
        outcome = await run_post_job(bot, str(cid))
        assert outcome.status == "delivered" and "No papers for Monday" in fake_discord.messages_in(cid)[-1]["content"]
        bot.store.upsert_papers([Paper(f"2501.2000{i}", f"Late paper {i}", tags=["Audio"], dates=["2025-01-27"],
                                       source="hf-api") for i in range(3)])
        again = await bot.digests.post(str(cid), "2025-01-27")
        assert again.status == "delivered" and again.sent == 1
        assert sorted(arxiv_ids(fake_discord.messages_in(cid))) == ["2501.20000", "2501.20001", "2501.20002"]
        assert (await bot.digests.post(str(cid), "2025-01-27")).status == "already"
        assert Channels(bot.store).get(cid).last_day == "2025-01-27"


async def test_a_message_discord_refuses_for_good_is_skipped_not_retried_forever(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel", time="23:00")
    async with started(seeded, fake_discord) as bot:
        fake_discord.fail_next("POST", f"/channels/{cid}/messages", status=400, code=50035, message="Invalid Form Body")
        outcome = await run_post_job(bot, str(cid))
        assert outcome.status == "delivered" and Channels(bot.store).get(cid).enabled
        rows = bot.deliverer.ledger.rows(f"channel:{cid}", SEED_DAY)
        assert [r["status"] for r in rows].count("failed") == 1 and "400" in rows[0]["error"]
        assert (await run_post_job(bot, str(cid))).status == "already"  # no endless retries


async def test_a_deleted_thread_loses_that_day_but_not_the_channel(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, time="23:00")
    # The header and two papers land; then the thread answers 404 Unknown Channel: someone deleted it.
    fake_discord.script("POST", "/channels/{id}/messages", Fault.passed(), Fault.passed(), Fault.passed(),
                        Fault.for_status(404))
    async with started(seeded, fake_discord) as bot:
        outcome = await run_post_job(bot, str(cid))
        assert (outcome.status, outcome.sent) == (OutcomeKind.THREAD_GONE, 3)
        channel = Channels(bot.store).get(cid)
        assert channel.enabled and not channel.disabled_reason
        rows = bot.deliverer.ledger.rows(f"channel:{cid}", SEED_DAY)
        assert [r["status"] for r in rows] == ["sent"] * 3 + ["failed"] * 6
        assert bot.deliverer.is_done(channel, SEED_DAY)


async def test_digest_now_says_when_the_thread_is_gone(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, time="23:00")
    fake_discord.script("POST", "/channels/{id}/messages", Fault.passed(), Fault.passed(), Fault.for_status(404))
    async with started(seeded, fake_discord):
        itx = await fake_discord.invoke_command("digest now", {"date": SEED_DAY}, guild_id=fake_discord.guild_id,
                                                channel_id=cid)
        await itx.wait_followups(1, timeout=15)
        assert itx.followups[0]["content"] == (
            f"Posted 2 messages of the digest of {SEED_DAY}, then its thread was deleted or locked, so the rest "
            "of that day is not posted (Discord said 404 Not Found: Unknown Channel). The channel itself still "
            "gets its digests.")


def test_every_table_over_outcomes_covers_every_outcome():
    for table in (NOW_REPLIES,):
        assert set(table) == set(OutcomeKind)
        for kind in OutcomeKind:
            text = table[kind].format(day=SEED_DAY, cid="1", sent=2, detail="why")
            assert "{" not in text and text.strip() == text and text != ""
    with pytest.raises(TypeError, match=r"^the test table has no entry for thread_gone, dm_closed$"):
        exhaustive({k: "" for k in OutcomeKind if k not in ("thread_gone", "dm_closed")}, "the test table")


async def test_the_fetch_that_finds_late_papers_posts_them_after_the_note(seeded, fake_discord, fake_hf, data_dir):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel", time="00:00")
    with Store(seeded.database) as store:
        Channels(store).mark_delivered(cid, SEED_DAY)  # Friday's digest was posted on Friday
    today = "2025-01-27"  # a Monday whose list is still empty at 10:00 UTC
    async with started(seeded, fake_discord, now=f"{today}T10:00:00") as bot:
        await fake_discord.wait_for(lambda: fake_discord.messages_in(cid), timeout=10, what="the catch-up note")
        assert fake_discord.messages_in(cid)[0]["content"] == "📭 No papers for Monday 2025-01-27."
        entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
        fake_hf.add_entries(entries[:4], day=today)
        assert await bot.digests.daily_fetch(recheck=True) == 4
        messages = fake_discord.messages_in(cid)
        assert len(arxiv_ids(messages)) == 4 and messages[0]["content"] == "📭 No papers for Monday 2025-01-27."


# ---- exactly once after a crash in a busy channel (issue 8, A1), and resuming what a crash cut short (A2) --------


def import_busy_day(settings, data_dir):
    with Store(settings.database) as store:
        report = import_paths(store, [data_dir / "digests" / "train" / f"{BUSY_DAY}.json"])
        assert report.stats.new == 36


async def kill_the_command():
    """The process dies mid-command, as far as the ledger can tell: discord.py's task running the slash
    command is cancelled, so no line of the bot runs after this point (CancelledError passes through the
    delivery code untouched, exactly as a SIGKILL would leave the ledger)."""
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "CommandTree-invoker" and not t.done()]
    assert len(tasks) == 1, tasks
    tasks[0].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def digest_now(fake, cid, day):
    """/digest now date:<day> in <cid>; returns the interaction (its answer comes as a follow-up)."""
    return await fake.invoke_command("digest now", {"date": day}, guild_id=fake.guild_id, channel_id=cid)


def history_lookups(fake, channel_id):
    return [r for r in fake.calls("GET", f"/channels/{channel_id}/messages") if "after" in r.query]


@pytest.mark.parametrize(("chatter_before", "lookups"), [(0, 1), (150, 2)])
async def test_a_crash_after_discord_created_a_message_never_posts_it_twice(
        seeded, fake_discord, data_dir, chatter_before, lookups):
    # The reproduction: layout channel, /digest now date:2025-03-11 (36 papers packed into several
    # messages); the process dies after Discord created message 6 but before its answer arrived; 25 other
    # messages follow; the bot comes back after Discord's nonce window. With 150 messages in the minute
    # before the send as well, the lookup needs a second page of history to reach it.
    fake, clock, cid = fake_discord, fake_discord.clock, fake_discord.channel_id
    import_busy_day(seeded, data_dir)
    setup_channel(seeded, cid, fake.guild_id, layout="channel", time="23:00")
    start = utc("2025-03-12T10:00:00")
    clock.set(start - timedelta(minutes=1))
    for i in range(chatter_before):
        fake.add_message(cid, f"busy {i}")
    fake.script("POST", f"/channels/{cid}/messages", *[Fault.passed()] * 5, Fault.answer_lost())
    async with started(seeded, fake, now="2025-03-12T10:00:00") as bot:
        planned = len(plan_channel(bot.store, Channels(bot.store).get(cid), BUSY_DAY))
        await digest_now(fake, cid, BUSY_DAY)
        await fake.wait_for(lambda: fake.held == 1, timeout=15, what="message 6 created, its answer held back")
        await kill_the_command()
        rows = bot.deliverer.ledger.rows(target_of(cid), BUSY_DAY)
        assert [r["status"] for r in rows] == ["sent"] * 5 + ["sending"] + ["pending"] * (planned - 6)
    ours = [m for m in fake.messages_in(cid) if m["author"]["id"] == str(fake.bot_id)]
    assert len(ours) == 6 and len(arxiv_ids(ours)) == sum(len(json.loads(r["paper_ids"])) for r in rows[:6])
    clock.advance(timedelta(minutes=1))
    for i in range(25):
        fake.add_message(cid, f"chatter {i}")
    clock.advance(timedelta(minutes=9))  # past Discord's nonce window (five minutes here)
    async with started(seeded, fake) as bot:
        await caught_up(fake, bot)  # the restart finishes the cut-short digest on its own (A2)
        itx = await digest_now(fake, cid, BUSY_DAY)  # and running it again sends nothing twice
        await itx.wait_followups(1, timeout=15)
        assert itx.followups[0]["content"] == (f"The digest of {BUSY_DAY} was already posted in <#{cid}>; "
                                               "nothing was sent twice.")
        rows = bot.deliverer.ledger.rows(target_of(cid), BUSY_DAY)
    ids = arxiv_ids(fake.messages_in(cid))
    assert len(ids) == 36 and sorted(Counter(ids).values()) == [1] * 36
    assert [r["status"] for r in rows] == ["sent"] * planned
    assert rows[5]["message_id"] == ours[5]["id"]  # message 6 was found, not sent again
    assert len(history_lookups(fake, cid)) == lookups
    # Every row carries its papers as data, and they are exactly the papers its message shows.
    by_id = {m["id"]: m for m in fake.messages_in(cid)}
    assert all(json.loads(r["paper_ids"]) == arxiv_ids([by_id[r["message_id"]]]) for r in rows)


async def test_a_crash_in_a_day_thread_with_more_than_20_replies_never_posts_twice(seeded, fake_discord, data_dir):
    fake, clock, cid = fake_discord, fake_discord.clock, fake_discord.channel_id
    import_busy_day(seeded, data_dir)
    setup_channel(seeded, cid, fake.guild_id, layout="thread", time="23:00")
    # The header, then papers 1-29 in the thread; Discord creates paper 30, and the bot dies before the answer.
    fake.script("POST", "/channels/{id}/messages", *[Fault.passed()] * 30, Fault.answer_lost())
    async with started(seeded, fake, now="2025-03-12T10:00:00"):
        await digest_now(fake, cid, BUSY_DAY)
        await fake.wait_for(lambda: fake.held == 1, timeout=15, what="paper 30 created, its answer held back")
        await kill_the_command()
    thread_id = int(thread_of(fake, cid)["id"])
    assert len(fake.messages_in(thread_id)) == 30
    clock.advance(timedelta(minutes=1))
    for i in range(25):  # readers discuss the day in its thread
        fake.add_message(thread_id, f"reply {i}")
    clock.advance(timedelta(minutes=9))
    async with started(seeded, fake) as bot:
        await caught_up(fake, bot)
        itx = await digest_now(fake, cid, BUSY_DAY)
        await itx.wait_followups(1, timeout=15)
        assert itx.followups[0]["content"] == (f"The digest of {BUSY_DAY} was already posted in <#{cid}>; "
                                               "nothing was sent twice.")
        rows = bot.deliverer.ledger.rows(target_of(cid), BUSY_DAY)
    ids = arxiv_ids(fake.messages_in(thread_id))
    assert len(ids) == 36 and sorted(Counter(ids).values()) == [1] * 36
    assert [r["status"] for r in rows] == ["sent"] * 37 and len(fake.threads) == 1
    assert len(history_lookups(fake, thread_id)) == 1


@pytest.mark.parametrize(("chatter", "minutes_later", "lookups"), [
    (250, 1, 3),  # three pages of others within the send's window, then the end of the history
    (LOOKUP_PAGES * 100 + 200, 1, LOOKUP_PAGES),  # the bound: at most LOOKUP_PAGES requests
    (250, 30, 1),  # everything after is past the send's window: one page shows it is not there
])
async def test_a_message_discord_never_created_is_sent_once_after_a_bounded_lookup(
        seeded, fake_discord, chatter, minutes_later, lookups):
    fake, clock, cid = fake_discord, fake_discord.clock, fake_discord.channel_id
    setup_channel(seeded, cid, fake.guild_id, layout="thread", time="23:00")
    fake.script("POST", "/channels/{id}/messages", *[Fault.passed()] * 3, Fault.never_handled())
    async with started(seeded, fake, now=f"{SEED_DAY}T10:00:00"):
        await digest_now(fake, cid, SEED_DAY)
        await fake.wait_for(lambda: fake.held == 1, timeout=15, what="paper 3 sent, never handled")
        await kill_the_command()
    thread_id = int(thread_of(fake, cid)["id"])
    assert len(fake.messages_in(thread_id)) == 2
    clock.advance(timedelta(minutes=minutes_later))
    for i in range(chatter):
        fake.add_message(thread_id, f"reply {i}")
    clock.set(clock.now() + CLOCK_SKEW + timedelta(minutes=30))
    async with started(seeded, fake) as bot:
        await caught_up(fake, bot)
        rows = bot.deliverer.ledger.rows(target_of(cid), SEED_DAY)
    ids = arxiv_ids(fake.messages_in(thread_id))
    assert sorted(Counter(ids).values()) == [1] * 8
    assert [r["status"] for r in rows] == ["sent"] * 9 and rows[3]["attempts"] == 2
    assert len(history_lookups(fake, thread_id)) == lookups


async def test_a_digest_cut_short_is_finished_on_start_without_a_command(seeded, fake_discord, data_dir):
    fake, cid = fake_discord, fake_discord.channel_id
    import_busy_day(seeded, data_dir)
    setup_channel(seeded, cid, fake.guild_id, layout="channel", time="23:00")
    fake.script("POST", f"/channels/{cid}/messages", *[Fault.passed()] * 2, Fault.never_handled())
    async with started(seeded, fake, now="2025-03-12T10:00:00") as bot:
        planned = len(plan_channel(bot.store, Channels(bot.store).get(cid), BUSY_DAY))
        await digest_now(fake, cid, BUSY_DAY)
        await fake.wait_for(lambda: fake.held == 1, timeout=15, what="message 3 on its way")
        await kill_the_command()
    assert len(fake.messages_in(cid)) == 2
    commands = len(fake.interactions)
    async with started(seeded, fake, now="2025-03-12T10:05:00") as bot:  # 23:00 is hours away: no catch-up due
        await caught_up(fake, bot)
        rows = bot.deliverer.ledger.rows(target_of(cid), BUSY_DAY)
    assert len(fake.interactions) == commands  # nobody ran anything
    ids = arxiv_ids(fake.messages_in(cid))
    assert len(ids) == 36 and sorted(Counter(ids).values()) == [1] * 36
    assert [r["status"] for r in rows] == ["sent"] * planned


async def test_several_digests_cut_short_are_finished_oldest_day_first(seeded, fake_discord, data_dir):
    fake, cid = fake_discord, fake_discord.channel_id
    import_busy_day(seeded, data_dir)
    setup_channel(seeded, cid, fake.guild_id, layout="channel", time="23:00")
    async with started(seeded, fake, now="2025-03-12T10:00:00") as bot:
        channel = Channels(bot.store).get(cid)
        planned = {day: len(plan_channel(bot.store, channel, day)) for day in (SEED_DAY, BUSY_DAY)}
        assert planned[SEED_DAY] == 2
        # The newer day is started first and cut short after two messages ...
        fake.script("POST", f"/channels/{cid}/messages", *[Fault.passed()] * 2, Fault.never_handled())
        await digest_now(fake, cid, BUSY_DAY)
        await fake.wait_for(lambda: fake.held == 1, timeout=15, what="the busy day's third message on its way")
        await kill_the_command()
        # ... then the seed day (two messages), cut short after its first.
        fake.script("POST", f"/channels/{cid}/messages", Fault.passed(), Fault.never_handled())
        await digest_now(fake, cid, SEED_DAY)
        await fake.wait_for(lambda: fake.held == 2, timeout=15, what="the seed day's second message on its way")
        await kill_the_command()
    before = len(fake.messages_in(cid))
    async with started(seeded, fake, now="2025-03-12T10:05:00") as bot:
        await caught_up(fake, bot)
        day_of = {r["message_id"]: day for day in (SEED_DAY, BUSY_DAY)
                  for r in bot.deliverer.ledger.rows(target_of(cid), day)}
        assert bot.deliverer.ledger.unfinished() == []
    resumed = [day_of[m["id"]] for m in fake.messages_in(cid)[before:]]
    assert resumed == [SEED_DAY] + [BUSY_DAY] * (planned[BUSY_DAY] - 2)
