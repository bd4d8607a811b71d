"""The weekly recap through the fake Discord: /digest weekly, its schedule, status, and exactly-once posting."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from bot.periods import parse_week
from bot.render import validate_message
from bot.store import Store
from bot.top import build_top, run_top
from bot.weekly import WeeklyRecaps, plan_recap, target_of
from tests.discord.conftest import arxiv_ids, started
from tests.discord.test_admin import EPHEMERAL, reply
from tests.discord.test_delivery import caught_up, import_busy_day, utc
from tests.fakes.discord_server import Fault

pytestmark = pytest.mark.timeout(60)

WEEK = "2025-W11"  # 2025-03-10 to 2025-03-16: holds BUSY_DAY (36 papers)
MONDAY = "2025-03-17"  # the Monday after: the recap of 2025-W11 goes out then
HEADER = ("🏆 **The week's best, 2025-W11** (2025-03-10 to 2025-03-16) — the 25 most upvoted of 36 papers "
          "featured that week")


def opt_in(settings, cid, guild_id, *, day="monday", time="09:00", tz="UTC", count=25) -> None:
    with Store(settings.database) as store:
        WeeklyRecaps(store).setup(channel_id=cid, guild_id=guild_id, day=day, post_time=time, timezone=tz,
                                  count=count)


async def run_weekly_job(bot, cid):
    """Fire the recap's real APScheduler job now, as the clock reaching its moment would."""
    job = bot.digests.scheduler.get_job(f"weekly:{cid}")
    assert job is not None
    return await job.func(*job.args)


def ours(fake, cid) -> list[dict]:
    return [m for m in fake.messages_in(cid) if m["author"]["id"] == str(fake.bot_id)]


@pytest.fixture
def busy(seeded, data_dir):
    import_busy_day(seeded, data_dir)
    with Store(seeded.database) as store:  # known upvotes, so the top is known
        store.top.raise_upvotes({"2503.07365": 300, "2503.07002": 200})
    return seeded


async def test_digest_weekly_schedules_posts_the_last_week_once_and_status_shows_it(busy, fake_discord):
    fake, cid = fake_discord, fake_discord.channel_id
    async with started(busy, fake, now="2025-03-12T10:00:00") as bot:
        text, flags = await reply(fake, "digest weekly", {"day": "monday", "time": "9:00", "count": 25})
        assert flags & EPHEMERAL
        assert text == (f"Saved.\n<#{cid}> — weekly recap: the last week's top 25, Mondays at 09:00 UTC.\n"
                        "  Next recap: <t:1742202000:F> (<t:1742202000:R>).")  # 2025-03-17 09:00 UTC
        assert bot.digests.next_weekly(str(cid)) == utc(f"{MONDAY}T09:00:00")
        bot.clock.set(utc(f"{MONDAY}T09:00:00"))
        outcome = await run_weekly_job(bot, str(cid))
        assert (outcome.status, outcome.day) == ("delivered", WEEK)
        posted = ours(fake, cid)
        assert posted[0]["content"] == HEADER and all(m["content"] == "" for m in posted[1:])
        ids = arxiv_ids(posted)
        top = run_top(bot.store, build_top(parse_week(WEEK), (), 25))
        assert [e.score for e in top.entries[:2]] == [300, 200]
        assert ids[0] == "2503.07365"  # the first message holds the best paper, under the header
        assert len(ids) == 25 and set(ids) == {e.paper.arxiv_id for e in top.entries}
        plan = plan_recap(bot.store, parse_week(WEEK), 25)
        assert [validate_message(m["payload"]) for m in plan] == [[]] * len(plan) == [[]] * len(posted)
        assert plan_recap(bot.store, parse_week("2025-W20"), 25)[0]["payload"]["content"] == (
            "📭 No papers were featured in 2025-W20 (2025-05-12 to 2025-05-18).")
        again = await run_weekly_job(bot, str(cid))
        assert again.status == "already" and len(ours(fake, cid)) == len(posted)
        bot.clock.advance(timedelta(minutes=1))
        text, _ = await reply(fake, "digest status", {})
        assert text == (f"<#{cid}> — weekly recap: the last week's top 25, Mondays at 09:00 UTC.\n"
                        "  Next recap: <t:1742806800:F> (<t:1742806800:R>).\n"  # the Monday after
                        "  Last sent: the recap of 2025-W11.")
        text, _ = await reply(fake, "digest weekly", {"day": "off"})
        assert text == f"<#{cid}> will get no more weekly recaps."
        assert bot.digests.scheduler.get_job(f"weekly:{cid}") is None
        text, _ = await reply(fake, "digest status", {})
        assert text == "No digest channels yet: use /digest setup."


@pytest.mark.parametrize(("options", "answer"), [
    ({"day": "friday", "time": "25:00"}, "'25:00' is not a time: use 24-hour HH:MM, for example 09:00 or 17:30."),
    ({"day": "off"}, "<#{cid}> had no weekly recap."),
])
async def test_bad_weekly_input_is_one_private_sentence(seeded, fake_discord, options, answer):
    async with started(seeded, fake_discord) as bot:
        text, flags = await reply(fake_discord, "digest weekly", options)
        assert flags & EPHEMERAL and text == answer.format(cid=fake_discord.channel_id)
        assert WeeklyRecaps(bot.store).get(fake_discord.channel_id) is None


async def test_the_recap_follows_the_channels_time_zone_and_post_time(seeded, fake_discord):
    cid = fake_discord.channel_id
    async with started(seeded, fake_discord, now="2025-03-26T10:00:00") as bot:
        await reply(fake_discord, "digest setup", {"channel": cid, "time": "07:30", "timezone": "Europe/Berlin"})
        text, _ = await reply(fake_discord, "digest weekly", {"day": "sunday"})
        assert "Sundays at 07:30 Europe/Berlin" in text
        # Sunday 2025-03-30 is the day Berlin moves to summer time: 07:30 CEST is 05:30 UTC.
        assert bot.digests.next_weekly(str(cid)) == utc("2025-03-30T05:30:00")


async def test_restart_mid_recap_posts_every_paper_exactly_once(busy, fake_discord):
    # The recap is 25 papers in several messages; Discord creates message 2 but its answer never reaches the
    # bot, which dies there. Ten minutes later (past Discord's nonce window) it starts again and the ledger
    # finishes the recap on its own: message 2 is found in the history, not sent twice.
    fake, clock, cid = fake_discord, fake_discord.clock, fake_discord.channel_id
    opt_in(busy, cid, fake.guild_id)
    fake.script("POST", f"/channels/{cid}/messages", Fault.passed(), Fault.answer_lost())
    async with started(busy, fake, now=f"{MONDAY}T08:59:00") as bot:
        await caught_up(fake, bot)  # 09:00 has not come: nothing due
        assert ours(fake, cid) == []
        clock.set(utc(f"{MONDAY}T09:00:00"))
        task = asyncio.create_task(run_weekly_job(bot, str(cid)))
        await fake.wait_for(lambda: fake.held == 1, timeout=15, what="message 2 created, its answer held back")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        rows = bot.deliverer.ledger.rows(target_of(cid), WEEK)
        assert [r["status"] for r in rows][:3] == ["sent", "sending", "pending"]
    first = ours(fake, cid)
    assert len(first) == 2
    clock.advance(timedelta(minutes=10))
    async with started(busy, fake) as bot:
        await caught_up(fake, bot)
        rows = bot.deliverer.ledger.rows(target_of(cid), WEEK)
        recap = WeeklyRecaps(bot.store).get(cid)
    posted = ours(fake, cid)
    ids = arxiv_ids(posted)
    assert len(ids) == 25 and sorted(Counter(ids).values()) == [1] * 25
    assert [r["status"] for r in rows] == ["sent"] * len(rows) and len(posted) == len(rows)
    assert rows[1]["message_id"] == first[1]["id"]  # found, not sent again
    assert [m["content"] for m in posted].count(HEADER) == 1
    assert (recap.last_week, recap.last_sent_at) == (WEEK, f"{MONDAY}T09:10:00+00:00")


async def test_catch_up_after_downtime_posts_the_recap_once(busy, fake_discord):
    fake, cid = fake_discord, fake_discord.channel_id
    with Store(busy.database) as store:  # set up on the Friday before, by the store's clock then
        store.clock = fake.clock
        fake.clock.set(utc("2025-03-14T12:00:00"))
        WeeklyRecaps(store).setup(channel_id=cid, guild_id=fake.guild_id, day="monday", post_time="09:00",
                                  timezone="UTC", count=5)
    async with started(busy, fake, now="2025-03-18T12:00:00") as bot:  # down all Monday: caught up Tuesday
        await caught_up(fake, bot)
    posted = ours(fake, cid)
    assert len(arxiv_ids(posted)) == 5 and posted[0]["content"].startswith(
        "🏆 **The week's best, 2025-W11** (2025-03-10 to 2025-03-16) — the 5 most upvoted of 36")
    async with started(busy, fake, now="2025-03-18T13:00:00") as bot:
        await caught_up(fake, bot)
    assert len(ours(fake, cid)) == len(posted)


async def test_a_recap_set_up_after_this_weeks_moment_waits_for_next_week(busy, fake_discord):
    fake, cid = fake_discord, fake_discord.channel_id
    async with started(busy, fake, now="2025-03-18T12:00:00") as bot:  # Tuesday: Monday 09:00 has passed
        await reply(fake, "digest weekly", {"day": "monday"})
    async with started(busy, fake, now="2025-03-18T13:00:00") as bot:
        await caught_up(fake, bot)
        assert bot.digests.next_weekly(str(cid)) == utc("2025-03-24T09:00:00")
    assert ours(fake, cid) == []


async def test_a_channel_the_bot_cannot_post_to_disables_its_recap_with_the_reason(busy, fake_discord):
    fake, cid = fake_discord, fake_discord.channel_id
    opt_in(busy, cid, fake.guild_id)
    fake.forbid_channel(cid)
    async with started(busy, fake, now=f"{MONDAY}T08:00:00") as bot:
        await caught_up(fake, bot)
        bot.clock.set(utc(f"{MONDAY}T09:00:00"))
        outcome = await run_weekly_job(bot, str(cid))
        assert outcome.status == "disabled"
        recap = WeeklyRecaps(bot.store).get(cid)
        assert not recap.enabled and recap.disabled_reason.startswith(
            f"Disabled on {MONDAY}: the bot cannot post here any more (")
        assert bot.digests.scheduler.get_job(f"weekly:{cid}") is None  # no retrying forever
        sends = len(fake.calls("POST", f"/channels/{cid}/messages"))
        assert (await bot.digests.post_weekly(str(cid), WEEK)).status == "skipped"
        assert len(fake.calls("POST", f"/channels/{cid}/messages")) == sends
        text, _ = await reply(fake, "digest status", {})
        assert text.splitlines()[1] == f"  ⛔ {recap.disabled_reason}"
        await reply(fake, "digest weekly", {"day": "monday"})  # the admin fixed it: set it again
        assert WeeklyRecaps(bot.store).get(cid).enabled and bot.digests.scheduler.get_job(f"weekly:{cid}")
