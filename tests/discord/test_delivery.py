"""The daily post through the fake Discord: layouts, exactly-once across restarts, and every failure."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.channels import Channels
from bot.render import validate_message
from bot.store import Store
from tests.discord.conftest import SEED_DAY, arxiv_ids, started
from tests.fakes.discord_server import FakeDiscord

pytestmark = pytest.mark.timeout(60)


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
    async with FakeDiscord(enforce_rate_limits=True, message_window=3.0) as fake:
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
        async with started(seeded, fake, now=f"{SEED_DAY}T10:00:00"):
            await fake.wait_for(lambda: len(fake.messages_in(thread_id)) >= 8, timeout=15, what="all 8 papers")
            await asyncio.sleep(0.2)
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
        await asyncio.sleep(0.3)
        assert bot._catch_up_task is not None and bot._catch_up_task.done()
    assert len(fake_discord.messages_in(cid)) == count


async def test_before_the_post_time_nothing_is_caught_up(seeded, fake_discord):
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, time="15:00")
    async with started(seeded, fake_discord, now=f"{SEED_DAY}T12:00:00") as bot:
        await asyncio.sleep(0.3)
        assert bot._catch_up_task.done()
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


@pytest.mark.parametrize(("now", "posted"), [("2025-03-30T06:30:00", False), ("2025-03-30T07:30:00", True)])
async def test_dst_change_day_posts_at_local_time(seeded, fake_discord, now, posted):
    # 2025-03-30 Berlin springs forward at 01:00 UTC: 09:00 local is 07:00 UTC that day (08:00 the day before).
    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, tz="Europe/Berlin")
    async with started(seeded, fake_discord, now=now) as bot:
        await asyncio.sleep(0.3)
        assert bot._catch_up_task.done()
        next_post = bot.digests.next_post(str(cid))
        assert next_post.utcoffset().total_seconds() in (3600, 7200) and next_post.hour == 9
    messages = fake_discord.messages_in(cid)
    assert bool(messages) is posted
    if posted:
        assert "2025-03-30" in messages[0]["content"]


async def test_daily_fetch_rechecks_an_empty_day_then_stops(seeded, fake_discord, fake_hf, data_dir):
    import json
    from datetime import date

    async with started(seeded, fake_discord) as bot:
        assert await bot.digests.daily_fetch() == 0
        assert bot.digests.scheduler.get_job("fetch-recheck") is not None
        entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
        fake_hf.add_entries(entries[:3], day=date.today().isoformat())
        assert await bot.digests.daily_fetch(recheck=True) == 3
        assert bot.digests.scheduler.get_job("fetch-recheck") is None  # found: no more re-checks
        assert len(bot.store.papers_on(date.today().isoformat())) == 3


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
    async with started(seeded, fake_discord) as bot:
        calls = {"n": 0}

        original = bot.deliverer.sender.send

        async def send_then_delete(channel_id, payload, *, nonce):
            calls["n"] += 1
            if calls["n"] == 4:  # header, then two papers in the thread, then the thread is deleted
                fake_discord.delete_channel(int(channel_id))
            return await original(channel_id, payload, nonce=nonce)

        bot.deliverer.sender.send = send_then_delete
        outcome = await run_post_job(bot, str(cid))
        assert outcome.status == "thread_gone"
        channel = Channels(bot.store).get(cid)
        assert channel.enabled and not channel.disabled_reason
        rows = bot.deliverer.ledger.rows(f"channel:{cid}", SEED_DAY)
        assert all(r["status"] in ("sent", "failed") for r in rows) and any(r["status"] == "failed" for r in rows)
        assert bot.deliverer.is_done(channel, SEED_DAY)


async def test_the_fetch_that_finds_late_papers_posts_them_after_the_note(seeded, fake_discord, fake_hf, data_dir):
    import json
    from datetime import UTC, datetime

    cid = fake_discord.channel_id
    setup_channel(seeded, cid, fake_discord.guild_id, layout="channel", time="00:00")
    today = datetime.now(UTC).date().isoformat()
    async with started(seeded, fake_discord, now=datetime.now(UTC).isoformat()[:19]) as bot:
        await fake_discord.wait_for(lambda: fake_discord.messages_in(cid), timeout=10, what="the catch-up note")
        assert "No papers for" in fake_discord.messages_in(cid)[0]["content"]
        entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
        fake_hf.add_entries(entries[:4], day=today)
        assert await bot.digests.daily_fetch(recheck=True) == 4
        messages = fake_discord.messages_in(cid)
        assert len(arxiv_ids(messages)) == 4 and "No papers for" in messages[0]["content"]
