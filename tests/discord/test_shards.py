"""The bot sharded: two shards of the fake Discord, one guild on each, everything the bot does still works.

Discord refuses a bot in more than 2,500 servers that does not shard, so PaperboyBot is an
AutoShardedBot: it asks ``GET /gateway/bot`` how many shards to run and opens one gateway connection
per shard. These tests run the real bot against a fake that recommends 2 shards and routes each guild's
events by ``(guild_id >> 22) % 2``, DMs to shard 0.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.channels import Channels
from bot.clock import FixedClock
from bot.store import Store
from tests.discord.conftest import SEED_DAY, arxiv_ids, started
from tests.fakes.discord_server import FakeDiscord

pytestmark = pytest.mark.timeout(60)



def seed_papers(settings, tag: str | None = None) -> list[str]:
    """The seed day's papers (with ``tag``), most upvoted first: what a digest or a DM lists."""
    with Store(settings.database) as store:
        papers = [p for p in store.papers_on(SEED_DAY) if tag is None or tag in p.tags]
    return [p.arxiv_id for p in sorted(papers, key=lambda p: (-p.upvotes, p.arxiv_id))]


@pytest.fixture
async def two_shards() -> AsyncIterator[FakeDiscord]:
    """A fake Discord recommending 2 shards: the default guild on shard 0, "Second Guild" on shard 1."""
    clock = FixedClock(datetime.fromisoformat(f"{SEED_DAY}T08:00:00+00:00"))
    async with FakeDiscord(clock=clock, shard_count=2) as fake:
        fake.second_guild_id = fake.add_guild("Second Guild", shard=1)  # type: ignore[attr-defined]
        fake.second_channel_id = fake.add_text_channel(fake.second_guild_id, "papers")  # type: ignore[attr-defined]
        yield fake


def guilds_in_ready(fake: FakeDiscord) -> dict[int, list[int]]:
    """The guild ids each shard's READY announced, by shard id."""
    return {d["shard"][0]: [int(g["id"]) for g in d["guilds"]] for event, d in fake.events_sent if event == "READY"}


def itx_on(fake: FakeDiscord, shard: int) -> list[int]:
    """The interactions that came on ``shard``'s gateway connection."""
    return [int(d["id"]) for event, d in fake.events_on(shard) if event == "INTERACTION_CREATE"]


async def test_two_shards_log_in_and_see_the_guilds_of_both(seeded, two_shards):
    fake = two_shards
    assert fake.shard_of(fake.guild_id, 2) == 0 and fake.shard_of(fake.second_guild_id, 2) == 1
    async with started(seeded, fake) as bot:
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        assert len(fake.calls("GET", "/gateway/bot")) == 1
        assert sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]
        assert guilds_in_ready(fake) == {0: [fake.guild_id], 1: [fake.second_guild_id]}
        assert fake.live_shards == [0, 1]
        assert sorted(g.id for g in bot.guilds) == sorted([fake.guild_id, fake.second_guild_id])
        assert bot.get_guild(fake.guild_id).shard_id == 0
        second = bot.get_guild(fake.second_guild_id)
        assert second.shard_id == 1 and second.me is not None and second.me.id == fake.bot_id
        assert second.get_channel(fake.second_channel_id).name == "papers"
        assert all(not shard.is_closed() for shard in bot.shards.values())


async def test_a_digest_reaches_a_channel_in_each_shards_guild(seeded, two_shards):
    fake = two_shards
    with Store(seeded.database) as store:
        for cid, gid in ((fake.channel_id, fake.guild_id), (fake.second_channel_id, fake.second_guild_id)):
            Channels(store).setup(channel_id=cid, guild_id=gid, post_time="09:00", timezone="UTC", tags=None,
                                  layout="channel", user_id="")
    everything = sorted(seed_papers(seeded))
    assert len(everything) == 8
    async with started(seeded, fake, now=f"{SEED_DAY}T07:00:00") as bot:
        for cid in (fake.channel_id, fake.second_channel_id):
            job = bot.digests.scheduler.get_job(f"post:{cid}")
            outcome = await job.func(*job.args)
            assert outcome.status == "delivered"
            messages = fake.messages_in(cid)
            assert sorted(arxiv_ids(messages)) == everything
            assert "Papers for Friday 2025-01-24" in messages[0]["content"]
            assert Channels(bot.store).get(cid).last_day == SEED_DAY


async def test_commands_in_either_shard_dms_and_the_daily_dm_work(seeded, two_shards):
    fake = two_shards
    reader = fake.add_user("reader")
    multimodal = seed_papers(seeded, "Multimodal")
    assert len(multimodal) == 4
    async with started(seeded, fake) as bot:
        # A slash command in the guild on shard 1 (its INTERACTION_CREATE comes on shard 1's connection) that
        # needs the guild cached from that shard: /digest setup checks the bot's own permissions there.
        itx = await fake.invoke_command("digest setup", {"channel": fake.second_channel_id, "time": "09:30"},
                                        guild_id=fake.second_guild_id, channel_id=fake.second_channel_id)
        response = await itx
        assert response["type"] == 4 and response["data"]["content"].startswith("Saved.")
        assert Channels(bot.store).get(fake.second_channel_id).post_time == "09:30"
        assert itx_on(fake, 1) == [itx.id] and itx_on(fake, 0) == []

        # In DMs (shard 0): subscribe, then the day's fan-out sends the reader one DM with their papers.
        itx = await fake.invoke_command("subscribe", {"tag": "Multimodal"}, user_id=reader, dm=True)
        response = await itx
        assert response["type"] == 4 and response["data"]["content"].startswith("You now follow")
        assert itx_on(fake, 0) == [itx.id]
        outcomes = await bot.digests.fan_out(SEED_DAY)
        assert [o.status for o in outcomes] == ["delivered"]
        dm = next(cid for cid, c in fake.dm_channels.items() if c["recipients"][0]["id"] == str(reader))
        sent = [m for m in fake.messages_in(dm) if m["author"]["id"] == str(fake.bot_id)]
        assert len(sent) == 1 and arxiv_ids(sent) == multimodal

        # A command in the shard-0 guild still answers too.
        itx = await fake.invoke_command("paper", {"id": multimodal[0]}, guild_id=fake.guild_id,
                                        channel_id=fake.channel_id)
        response = await itx
        assert response["type"] == 4 and arxiv_ids([response["data"]]) == [multimodal[0]]
        assert itx_on(fake, 0)[-1] == itx.id and len(itx_on(fake, 1)) == 1
