"""/top as a reader uses it, through the fake Discord: the week's and month's best, paged like /papers."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.pipeline import import_paths
from bot.store import Store
from tests.discord.conftest import started
from tests.discord.test_papers import EPHEMERAL, ask, ids_in
from tests.test_cli import paperboy

pytestmark = pytest.mark.timeout(60)
#: Upvotes given to some of week 2025-W04's papers (the digests carry none), so the ranking is known.
VOTES = {"2501.13918": 90, "2501.13826": 40, "2501.13919": 40, "2501.10018": 7}


@pytest.fixture
def voted(settings, data_dir, seed_file):
    with Store(settings.database) as store:
        assert not import_paths(store, [seed_file, data_dir / "digests"]).errors
        assert store.top.raise_upvotes(VOTES) == 4
    return settings


async def test_default_week_is_the_bots_current_week_and_pages_match_the_cli(voted, fake_discord, db_path):
    async with started(voted, fake_discord):  # the fake's clock: 2025-01-24 08:00 UTC, in 2025-W04
        itx, response = await ask(fake_discord, "top", {"period": "week", "limit": 12})
        data = response["data"]
        assert response["type"] == 4 and not data.get("flags", 0) & EPHEMERAL
        assert data["content"] == "Page 1/3 · 46 papers · top of 2025-W04 (2025-01-20 to 2025-01-26)"
        seen = ids_in(data)
        assert seen[:4] == ["2501.13918", "2501.13826", "2501.13919", "2501.10018"]  # 40/40, same day: by id
        for page in (2, 3):
            turn = await fake_discord.press_button(itx.original_message_id, "papers:next",
                                                   user_id=fake_discord.user_id)
            update = await turn
            assert update["type"] == 7 and update["data"]["content"].startswith(f"Page {page}/3 · 46 papers")
            seen += ids_in(update["data"])
        stranger = fake_discord.add_user("bob")
        other = await (await fake_discord.press_button(itx.original_message_id, "papers:previous", user_id=stranger))
        assert other["data"]["content"] == "These buttons belong to whoever asked; run /top yourself to page."
    code, out, err = await asyncio.to_thread(paperboy, "top", "--week", "2025-W04", "--limit", "12", "--json",
                                             db=db_path)
    assert code == 0, err
    assert seen == [p["arxiv_id"] for p in json.loads(out)]
    assert [p["score"] for p in json.loads(out)][:4] == [90, 40, 40, 7]


async def test_a_month_by_a_day_inside_it_with_a_tag(voted, fake_discord, db_path):
    async with started(voted, fake_discord):
        _, response = await ask(fake_discord, "top", {"period": "month", "when": "2025-01-03", "tag": "multimodal",
                                                      "limit": 3})
        data = response["data"]
        assert data["content"].startswith("Page 1/1 · ") and data["content"].endswith(
            " · top of 2025-01 (2025-01-01 to 2025-01-31) · tag Multimodal")
    code, out, _ = await asyncio.to_thread(paperboy, "top", "--month", "2025-01", "--tag", "Multimodal", "--limit", "3",
                                           "--json", db=db_path)
    assert code == 0
    assert ids_in(data) == [p["arxiv_id"] for p in json.loads(out)] and len(ids_in(data)) == 3
    assert ids_in(data)[0] == "2501.13918"


@pytest.mark.parametrize(("options", "reply"), [
    ({"period": "week", "when": "2025-W99"}, "'2025-W99' is not a week: 2025 has weeks W01 to W52."),
    ({"period": "month", "when": "2025-13"}, "'2025-13' is not a month: months go from 01 to 12."),
    ({"period": "week", "when": "2025-01"},
     "'2025-01' is a month; for period week give a week (2025-W04) or a day in it."),
    ({"period": "week", "when": "2030-W02"}, "No papers were featured in 2030-W02 (2030-01-07 to 2030-01-13)."),
    ({"period": "week", "tag": "Robotcs"}, "No such tag 'Robotcs' — did you mean Robotics?"),
])
async def test_refusals_are_one_private_sentence(voted, fake_discord, options, reply):
    async with started(voted, fake_discord):
        _, response = await ask(fake_discord, "top", options)
        assert response["data"]["flags"] & EPHEMERAL
        assert response["data"]["content"] == reply


async def test_tag_autocomplete_offers_tags_with_counts(voted, fake_discord):
    async with started(voted, fake_discord):
        itx = await fake_discord.invoke_autocomplete("top", {"period": "week", "tag": "robot"}, "tag",
                                                     guild_id=fake_discord.guild_id)
        choices = (await itx)["data"]["choices"]
        assert [c["value"] for c in choices] == ["Robotics"]
        assert choices[0]["name"].startswith("Robotics (")
