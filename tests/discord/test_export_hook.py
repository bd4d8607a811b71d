"""With ``[export] dir`` set, the real bot writes the day's archive files right after its daily fetch."""

from __future__ import annotations

import json

import pytest

from tests.discord.conftest import started

pytestmark = pytest.mark.timeout(30)


async def test_the_daily_fetch_writes_the_days_files(seeded, fake_discord, fake_hf, data_dir, tmp_path):
    day = "2025-01-27"  # the bot's clock's day
    seeded.export.dir = str(tmp_path / "site")
    seeded.export.categories = ["Multimodal"]
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    async with started(seeded, fake_discord, now=f"{day}T06:30:00") as bot:
        fake_hf.add_entries(entries[:4], day=day)
        assert await bot.digests.daily_fetch() == 4
        stored = bot.store.papers_on(day)
    site = tmp_path / "site"
    written = json.loads((site / "daily_results/2025/01/27.json").read_text())
    assert [e["link"] for e in written] == [p.url for p in stored]
    rows = [r for r in (site / "archive/2025/01/27.md").read_text().split("\n") if r.startswith("| [")]
    assert len(rows) == sum("Multimodal" in p.tags for p in stored)
    assert (site / "README.md").read_text().count("## Papers for ") == 1
