"""The bot enriches the day right after its fetch, in the background: a post never waits for it."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.channels import Channels
from bot.store import Store
from tests.discord.conftest import SEED_DAY, arxiv_ids, started
from tests.fakes.llm_server import FakeLLM, Fault

pytestmark = pytest.mark.timeout(60)

DAY = "2025-01-27"  # a Monday after the seed day


async def test_the_daily_fetch_starts_enrichment_and_the_post_goes_out_with_fallbacks_meanwhile(
        seeded, fake_discord, fake_hf, data_dir, tmp_path):
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    fake_hf.add_entries(entries[:3], day=DAY)
    cid = fake_discord.channel_id
    with Store(seeded.database) as store:
        Channels(store).setup(channel_id=cid, guild_id=fake_discord.guild_id, post_time="23:00", timezone="UTC",
                              tags=None, layout="channel", user_id="")
        Channels(store).mark_delivered(cid, SEED_DAY)
    async with FakeLLM() as llm:
        seeded.llm.base_url, seeded.llm.model, seeded.llm.timeout_seconds = llm.url, "fake-model", 30.0
        seeded.llm.requests_per_minute = 6000
        llm.script(None, *[Fault.hang(60)] * 3)  # the LLM is slow today
        async with started(seeded, fake_discord, now=f"{DAY}T06:30:00") as bot:
            assert await bot.digests.daily_fetch() == 3
            await fake_discord.wait_for(lambda: llm.in_flight == 3, timeout=10, what="three LLM requests")
            outcome = await bot.digests.post(str(cid), DAY)  # the post does not wait for the LLM
            assert outcome.status == "delivered"
            ids = arxiv_ids(fake_discord.messages_in(cid))
            assert len(ids) == 3 and llm.in_flight == 3
            descriptions = [e.get("description", "") for m in fake_discord.messages_in(cid) for e in m["embeds"]]
            assert not any("point 1 of paper" in d for d in descriptions)
            schedule = bot.get_cog("Schedule")
        # closing the bot cancelled the hanging enrichment before the store closed
        assert schedule.enrichment.last_report is None
        with Store(seeded.database) as store:
            assert store.enrichments.rows() == []
        seeded.export.dir = str(tmp_path / "site")  # the day's files follow the enrichment
        async with started(seeded, fake_discord, now=f"{DAY}T07:00:00") as bot:
            await bot.digests.fetch(DAY)  # a re-check fetch of the day: this time the LLM answers
            schedule = bot.get_cog("Schedule")
            await asyncio.wait_for(schedule.enrichment.wait(), 10)
            assert (schedule.enrichment.last_report.done, schedule.enrichment.last_report.failed) == (3, 0)
            for paper in bot.store.papers_on(DAY):
                assert paper.summary.splitlines()[0] == f"- {paper.title}: point 1 of paper {paper.arxiv_id}."
                assert bot.store.enrichments.summary_source(paper.arxiv_id) == ("llm", "llm")
            exported = json.loads((tmp_path / "site/daily_results/2025/01/27.json").read_text())
            assert sorted(e["summary"].splitlines()[0] for e in exported) == sorted(
                f"- {p.title}: point 1 of paper {p.arxiv_id}." for p in bot.store.papers_on(DAY))


async def test_without_llm_settings_the_fetch_asks_nothing(seeded, fake_discord, fake_hf, data_dir):
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    fake_hf.add_entries(entries[:2], day=DAY)
    async with started(seeded, fake_discord, now=f"{DAY}T06:30:00") as bot:
        assert await bot.digests.daily_fetch() == 2
        schedule = bot.get_cog("Schedule")
        await asyncio.wait_for(schedule.enrichment.wait(), 5)
        assert schedule.enrichment.last_report is None
        assert bot.store.enrichments.rows() == []
