"""The daily fetch of the running bot refreshes the last 7 days' upvotes, once a day, through the fakes."""

from __future__ import annotations

import pytest

from bot.models import Paper
from bot.store import Store
from tests.discord.conftest import started
from tests.fakes.hf_server import Fault
from tests.test_upvotes import week_data

pytestmark = pytest.mark.timeout(60)


async def test_the_daily_fetch_refreshes_once_and_a_failure_keeps_the_fetch(seeded, fake_discord, fake_hf):
    for day, entries in week_data().items():
        fake_hf.add_entries(entries, day=day)
    with Store(seeded.database) as s:
        s.upsert_papers([Paper(arxiv_id="2501.00003", title="t", dates=["2025-01-23"], upvotes=1)])
    async with started(seeded, fake_discord, now="2025-01-27T06:30:00") as bot:
        assert await bot.digests.daily_fetch() == 2
        weeks = [r.query.get("week") for r in fake_hf.requests_to("daily_papers") if "week" in r.query]
        assert weeks == ["2025-W04", "2025-W04", "2025-W05"]
        assert bot.store.get("2501.00003").upvotes == 1003
        assert await bot.digests.daily_fetch(recheck=True) == 2  # a re-check does not refresh again
        assert len([r for r in fake_hf.requests_to("daily_papers") if "week" in r.query]) == 3
        fake_hf.script("daily_papers", Fault.error(500))
        assert await bot.digests.daily_fetch() == 2  # the refresh failed (500), the fetch still ran
