"""The richer embed as a channel sees it: fetched from the fake Hugging Face, posted by the real bot to the
fake Discord. A paper with a thumbnail, GitHub stars and an organisation shows them; one without looks
exactly as before. ``/paper`` names where the summary and tags came from."""

from __future__ import annotations

import copy
import json

import discord
import pytest

from bot.models import Paper
from bot.render import paper_embed
from bot.store import Store
from tests.discord.conftest import started
from tests.discord.test_delivery import run_post_job, setup_channel
from tests.golden_render import old_hf_entries

pytestmark = pytest.mark.timeout(60)

DAY = "2025-01-27"  # a Monday; the bot's clock is set to it, 06:30 UTC, before the 09:00 post
RICH, PLAIN = "2607.07673", "2607.09020"
THUMB = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{}.png"


def as_sent(embed: dict) -> dict:
    """An embed dict as discord.py sends it (what the fake Discord records)."""
    return discord.Embed.from_dict(embed).to_dict()


def by_id(messages: list[dict]) -> dict[str, dict]:
    return {e["footer"]["text"].rsplit("arXiv:", 1)[1]: e for m in messages for e in m["embeds"]}


async def test_a_fetched_day_posts_the_richer_embed_and_the_old_look(settings, fake_discord, fake_hf, data_dir):
    entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
    rich = next(e for e in entries if e["paper"]["id"] == RICH)
    plain = old_hf_entries([next(e for e in entries if e["paper"]["id"] == PLAIN)])[0]  # no thumbnail/stars/org
    fake_hf.add_entries([copy.deepcopy(rich), plain], day=DAY)
    cid = fake_discord.channel_id
    setup_channel(settings, cid, fake_discord.guild_id, layout="channel", time="09:00")
    async with started(settings, fake_discord, now=f"{DAY}T06:30:00") as bot:
        assert await bot.digests.daily_fetch() == 2
        await run_post_job(bot, str(cid))
        stored = {p.arxiv_id: p for p in bot.store.papers_on(DAY)}
    embeds = by_id(fake_discord.messages_in(cid))
    assert set(embeds) == {RICH, PLAIN}

    shown = embeds[RICH]
    assert shown["image"] == {"url": THUMB.format(RICH)}
    assert [(f["name"], f["value"]) for f in shown["fields"]] == [
        ("Tags", next(f["value"] for f in shown["fields"] if f["name"] == "Tags")),
        ("Organization", "Yale-BIDS-Chen-Lab"),
        ("Links", "[GitHub: Yale-BIDS-Chen-Lab/MedPMC](https://github.com/Yale-BIDS-Chen-Lab/MedPMC) ★ 1 · "
                  f"[🤗 Paper](https://huggingface.co/papers/{RICH})"),
    ]
    assert shown == as_sent(paper_embed(stored[RICH], day=DAY))

    old = embeds[PLAIN]
    assert "image" not in old and [f["name"] for f in old["fields"]] == ["Tags", "Upvotes", "Links"]
    assert old["fields"][-1]["value"] == ("[GitHub: stephenmac7/phone-metrics](https://github.com/stephenmac7/phone-metrics)"
                                          f" · [🤗 Paper](https://huggingface.co/papers/{PLAIN})")
    # exactly the embed a paper without extras always had (tests/test_paper_extras.py pins that renderer
    # byte for byte to the one before the extras existed)
    assert (stored[PLAIN].thumbnail, stored[PLAIN].github_stars, stored[PLAIN].organization) == ("", 0, "")
    assert old == as_sent(paper_embed(stored[PLAIN], day=DAY))


async def test_slash_paper_shows_the_extras_and_names_the_sources(settings, fake_discord):
    with Store(settings.database) as store:
        store.upsert_papers([
            Paper(RICH, "MedPMC", summary="- One.\n- Two.", tags=["Multimodal"], tags_source="llm", source="llm",
                  dates=["2025-01-24"], thumbnail=THUMB.format(RICH), github_repo="https://github.com/a/b",
                  github_urls=["https://github.com/a/b"], github_stars=42, organization="Lab"),
            Paper(PLAIN, "Plain", abstract="We study.", tags=["Audio"], tags_source="auto", source="hf-api",
                  dates=["2025-01-24"]),
        ])
    async with started(settings, fake_discord):
        itx = await fake_discord.invoke_command("paper", {"id": RICH}, guild_id=fake_discord.guild_id,
                                                channel_id=fake_discord.channel_id)
        rich = (await itx)["data"]["embeds"][0]
        itx = await fake_discord.invoke_command("paper", {"id": PLAIN}, guild_id=fake_discord.guild_id,
                                                channel_id=fake_discord.channel_id)
        plain = (await itx)["data"]["embeds"][0]
    assert rich["footer"]["text"] == f"2025-01-24 · arXiv:{RICH} · Summary: LLM · Tags: LLM"
    assert rich["image"] == {"url": THUMB.format(RICH)}
    assert {"name": "Organization", "value": "Lab", "inline": True} in rich["fields"]
    assert rich["fields"][-1]["value"] == ("[GitHub: a/b](https://github.com/a/b) ★ 42 · "
                                           f"[🤗 Paper](https://huggingface.co/papers/{RICH})")
    assert plain["footer"]["text"] == f"2025-01-24 · arXiv:{PLAIN} · Summary: abstract · Tags: model"
    assert "image" not in plain
