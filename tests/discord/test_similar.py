"""``/similar`` and the "More like this" buttons, through the fake Discord on the real sample days."""

from __future__ import annotations

import pytest

from bot.pipeline import import_paths
from bot.similar import similar_papers
from bot.store import Store
from tests.discord.conftest import SEED_DAY, started
from tests.discord.test_delivery import run_post_job, setup_channel, thread_of
from tests.discord.test_papers import EPHEMERAL, ask, ids_in

pytestmark = pytest.mark.timeout(60)
PAPER = "2501.13918"


@pytest.fixture
def library(settings, seed_file, data_dir):
    with Store(settings.database) as store:
        assert not import_paths(store, [seed_file, data_dir / "digests"]).errors
    return settings


def expected(settings, ref: str, limit: int) -> list[str]:
    with Store(settings.database, readonly=True) as store:
        return [m.paper.arxiv_id for m in similar_papers(store, ref, limit)[1]]


def button_ids(data: dict) -> list[str]:
    return [b["custom_id"] for row in data.get("components") or [] for b in row["components"]]


async def test_similar_answers_in_public_with_a_button_under_each_paper(library, fake_discord):
    want = expected(library, PAPER, 5)
    assert len(want) == 5 and PAPER not in want
    async with started(library, fake_discord):
        _, response = await ask(fake_discord, "similar", {"paper": f"https://huggingface.co/papers/{PAPER}"})
        data = response["data"]
        assert response["type"] == 4 and not data.get("flags", 0) & EPHEMERAL
        assert ids_in(data) == want
        assert button_ids(data) == [f"paperboy:similar:{i}" for i in want]
        assert data["content"].startswith("🔎 **Papers like Improving Video Generation with Human Feedback** "
                                          f"(arXiv:{PAPER}), most similar first · scores ")
        assert data["allowed_mentions"]["parse"] == []
        _, response = await ask(fake_discord, "similar", {"paper": PAPER, "limit": 10, "private": True})
        assert response["data"]["flags"] & EPHEMERAL and ids_in(response["data"]) == expected(library, PAPER, 10)


@pytest.mark.parametrize(("ref", "sentence"), [
    ("not a paper", "'not a paper' is not an arXiv id or an arXiv/Hugging Face paper link."),
    ("2501.99999", "Paper 2501.99999 is not in the store; import or fetch the day it was featured first."),
])
async def test_a_bad_or_unknown_paper_is_refused_privately_in_one_sentence(library, fake_discord, ref, sentence):
    async with started(library, fake_discord):
        _, response = await ask(fake_discord, "similar", {"paper": ref})
        assert response["data"]["flags"] & EPHEMERAL and response["data"]["content"] == sentence


async def test_paper_has_the_button_and_pressing_it_answers_only_the_presser(library, fake_discord):
    async with started(library, fake_discord):
        itx, response = await ask(fake_discord, "paper", {"id": PAPER})
        buttons = [b for row in response["data"]["components"] for b in row["components"]]
        assert [(b["label"], b["custom_id"]) for b in buttons] == [("More like this", f"paperboy:similar:{PAPER}")]
        stranger = fake_discord.add_user("bob")
        pressed = await (await fake_discord.press_button(itx.original_message_id, f"paperboy:similar:{PAPER}",
                                                        user_id=stranger))
        assert pressed["type"] == 4 and pressed["data"]["flags"] & EPHEMERAL
        assert ids_in(pressed["data"]) == expected(library, PAPER, 5)


async def test_digest_buttons_still_answer_after_a_restart(seeded, fake_discord):
    library = seeded  # the seed day alone: the day the channel gets is the seed day
    cid = fake_discord.channel_id
    setup_channel(library, cid, fake_discord.guild_id)  # thread layout: one message per paper
    async with started(library, fake_discord, now=f"{SEED_DAY}T07:00:00") as bot:
        assert (await run_post_job(bot, str(cid))).status == "delivered"
    posts = fake_discord.messages_in(thread_of(fake_discord, cid)["id"])
    assert len(posts) == 8
    for post in posts:
        assert button_ids(post) == [f"paperboy:similar:{ids_in(post)[0]}"]
        assert post["components"][0]["components"][0]["label"] == "More like this"
    post = next(p for p in posts if ids_in(p) == [PAPER])
    async with started(library, fake_discord):  # a new process: nothing but the custom id is left
        reader = fake_discord.add_user("carol")
        pressed = await (await fake_discord.press_button(int(post["id"]), f"paperboy:similar:{PAPER}",
                                                        user_id=reader))
    data = pressed["data"]
    assert pressed["type"] == 4 and data["flags"] & EPHEMERAL
    assert ids_in(data) == expected(library, PAPER, 5)
    assert button_ids(data) == [f"paperboy:similar:{i}" for i in ids_in(data)]


async def test_channel_layout_digest_has_one_button_per_embed(seeded, fake_discord):
    library = seeded
    cid = fake_discord.channel_id
    setup_channel(library, cid, fake_discord.guild_id, layout="channel")
    async with started(library, fake_discord) as bot:
        await run_post_job(bot, str(cid))
    messages = [m for m in fake_discord.messages_in(cid) if m.get("embeds")]
    assert sum(len(m["embeds"]) for m in messages) == 8
    for m in messages:
        assert button_ids(m) == [f"paperboy:similar:{i}" for i in ids_in(m)]
        assert all(len(row["components"]) <= 5 for row in m["components"]) and len(m["components"]) <= 5
