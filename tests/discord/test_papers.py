"""/papers, /paper and /tags as a reader uses them, through the fake Discord, on the real sample days."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from bot.pipeline import import_paths
from bot.store import Store
from tests.discord.conftest import started
from tests.test_cli import paperboy

pytestmark = pytest.mark.timeout(60)
EPHEMERAL = 64
SEED_MULTIMODAL = {"2501.13826", "2501.13918", "2501.13919", "2501.13920"}


@pytest.fixture
def library(settings, seed_file, data_dir):
    """Every sample digest day in one store, as a reader's server would have after a few months."""
    with Store(settings.database) as store:
        report = import_paths(store, [seed_file, data_dir / "digests"])
        assert not report.errors
    return settings


def ids_in(message) -> list[str]:
    return [re.search(r"arXiv:(\S+)", e["footer"]["text"]).group(1) for e in message.get("embeds", [])]


async def ask(fake, name, options, *, user_id=None):
    itx = await fake.invoke_command(name, options, guild_id=fake.guild_id, channel_id=fake.channel_id,
                                    user_id=user_id)
    response = await itx
    return itx, response


async def test_seed_day_multimodal_returns_the_four_seed_papers(library, fake_discord):
    async with started(library, fake_discord):
        _, response = await ask(fake_discord, "papers", {"tag": "Multimodal", "date": "2025-01-24"})
        data = response["data"]
        assert response["type"] == 4 and not data.get("flags", 0) & EPHEMERAL
        assert set(ids_in(data)) == SEED_MULTIMODAL and len(data["embeds"]) == 4
        assert "Page 1/1" in data["content"] and "4 papers" in data["content"]
        assert data["allowed_mentions"]["parse"] == []
        assert not data.get("components")  # one page: no buttons


async def test_results_match_the_cli_twin_in_order_across_pages(library, fake_discord, db_path):
    async with started(library, fake_discord):
        itx, response = await ask(fake_discord, "papers", {"since": "2024-09-01", "until": "2025-12-31",
                                                           "query": "video", "limit": 12})
        seen = ids_in(response["data"])
        assert "Page 1/3" in response["data"]["content"]
        message_id = itx.original_message_id
        for page in (2, 3):
            turn = await fake_discord.press_button(message_id, "papers:next", user_id=fake_discord.user_id)
            update = await turn
            assert update["type"] == 7 and f"Page {page}/3" in update["data"]["content"]
            seen += ids_in(update["data"])
    code, out, _ = await asyncio.to_thread(paperboy, "papers", "--since", "2024-09-01", "--until", "2025-12-31",
                                           "--query", "video", "--limit", "12", "--json", db=db_path)
    assert code == 0 and seen == [p["arxiv_id"] for p in json.loads(out)] and len(seen) == 12


async def test_paging_back_and_forth_only_for_the_asker_and_buttons_die_on_timeout(library, fake_discord):
    async with started(library, fake_discord) as bot:
        bot.get_cog("Papers").page_timeout = 1.0
        itx, first = await ask(fake_discord, "papers", {"tag": "Natural Language Processing"})
        mid = itx.original_message_id
        page1 = ids_in(first["data"])
        nxt = await (await fake_discord.press_button(mid, "papers:next", user_id=fake_discord.user_id))
        assert ids_in(nxt["data"]) != page1
        back = await (await fake_discord.press_button(mid, "papers:previous", user_id=fake_discord.user_id))
        assert ids_in(back["data"]) == page1 and "Page 1/" in back["data"]["content"]
        stranger = fake_discord.add_user("bob")
        other = await (await fake_discord.press_button(mid, "papers:next", user_id=stranger))
        assert other["type"] == 4 and other["data"]["flags"] & EPHEMERAL and "belong" in other["data"]["content"]
        assert "Page 1/" in fake_discord.messages[mid]["content"]  # the stranger turned nothing
        await fake_discord.wait_for(lambda: all(
            c.get("disabled") for row in fake_discord.messages[mid].get("components", [])
            for c in row["components"]), timeout=5, what="buttons disabled after the timeout")
        with pytest.raises(Exception):  # noqa: B017 - a user cannot click a disabled button
            await fake_discord.press_button(mid, "papers:next", user_id=fake_discord.user_id)


@pytest.mark.parametrize(("options", "needle"), [
    ({"tag": "Multimodel"}, "No such tag 'Multimodel' — did you mean Multimodal"),
    ({"date": "2025-02-30"}, "is not a date"),
    ({"date": "2025-01-25"}, "No papers for Saturday 2025-01-25 — a weekend"),
    ({"date": "2025-01-24", "since": "2025-01-01"}, "either date or since/until"),
    ({"query": "   !!! "}, "no words"),
    ({"query": "zzqqxx"}, "No papers match"),
])
async def test_refusals_and_empty_answers_are_private_and_plain(library, fake_discord, options, needle):
    async with started(library, fake_discord):
        _, response = await ask(fake_discord, "papers", options)
        assert response["data"]["flags"] & EPHEMERAL and needle in response["data"]["content"]


async def test_weekend_answer_offers_the_nearest_day(library, fake_discord):
    async with started(library, fake_discord):
        _, response = await ask(fake_discord, "papers", {"date": "2025-01-25"})
        assert "The nearest day with papers is 2025-01-24." in response["data"]["content"]


async def test_private_answers_are_ephemeral(library, fake_discord):
    async with started(library, fake_discord):
        _, response = await ask(fake_discord, "papers", {"tag": "Audio", "private": True})
        assert response["data"]["flags"] & EPHEMERAL and response["data"]["embeds"]


async def test_tag_autocomplete_is_ordered_by_use_with_counts(library, fake_discord):
    async with started(library, fake_discord) as bot:
        itx = await fake_discord.invoke_autocomplete("papers", {"tag": ""}, "tag", guild_id=fake_discord.guild_id)
        choices = (await itx)["data"]["choices"]
        assert 0 < len(choices) <= 25
        counts = dict(bot.store.tag_counts())
        shown = [counts.get(c["value"], 0) for c in choices]
        assert shown == sorted(shown, reverse=True) and shown[0] == max(counts.values())
        assert choices[0]["name"] == f"{choices[0]['value']} ({shown[0]})"
        itx = await fake_discord.invoke_autocomplete("papers", {"tag": "text-to"}, "tag",
                                                     guild_id=fake_discord.guild_id)
        assert all("text-to" in c["value"].lower() for c in (await itx)["data"]["choices"])


async def test_paper_by_id_or_link_and_tags(library, fake_discord):
    async with started(library, fake_discord):
        for ref in ("2501.13918", "https://arxiv.org/abs/2501.13918v2", "https://huggingface.co/papers/2501.13918"):
            _, response = await ask(fake_discord, "paper", {"id": ref})
            assert ids_in(response["data"]) == ["2501.13918"]
        _, response = await ask(fake_discord, "paper", {"id": "not a paper"})
        assert response["data"]["flags"] & EPHEMERAL and "not an arXiv id" in response["data"]["content"]
        _, response = await ask(fake_discord, "paper", {"id": "2501.99999"})
        assert "not in my store" in response["data"]["content"]
        _, response = await ask(fake_discord, "tags", {})
        description = response["data"]["embeds"][0]["description"]
        assert "Multimodal" in description and "7 days" in description


async def test_one_person_cannot_flood_the_bot(library, fake_discord):
    async with started(library, fake_discord):
        answers = [(await ask(fake_discord, "paper", {"id": "2501.13918"}))[1] for _ in range(6)]
        assert all(a["data"].get("embeds") for a in answers[:5])
        assert answers[5]["data"]["flags"] & EPHEMERAL and "Slow down" in answers[5]["data"]["content"]
        stranger = fake_discord.add_user("carol")
        _, response = await ask(fake_discord, "paper", {"id": "2501.13918"}, user_id=stranger)
        assert response["data"].get("embeds")  # the cooldown is per person
