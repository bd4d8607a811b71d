"""/trends as a reader uses it, through the fake Discord: the summary, the chart arriving as an attachment,
refusals in one private sentence, and the tag list completed item by item."""

from __future__ import annotations

import pytest

from bot.store import Store
from tests.discord.conftest import started
from tests.test_trends import PAPERS, png_size

pytestmark = pytest.mark.timeout(60)
EPHEMERAL = 64
CB_MESSAGE, CB_DEFER = 4, 5


@pytest.fixture
def known(settings):
    with Store(settings.database) as store:
        store.upsert_papers(PAPERS)
    return settings


async def trends(fake, options):
    itx = await fake.invoke_command("trends", options, guild_id=fake.guild_id, channel_id=fake.channel_id)
    return itx, await itx


async def test_the_chart_arrives_with_a_summary_of_the_asked_tags(known, fake_discord):
    async with started(known, fake_discord):
        itx, response = await trends(fake_discord, {"tags": "text generation, Robotics", "weeks": 106})
        assert response["type"] == CB_DEFER and not response["data"].get("flags", 0) & EPHEMERAL
        [message] = await itx.wait_followups(1, timeout=30)
    assert message["id"] == str(itx.original_message_id)  # the deferred "thinking" message, filled in
    assert message["content"] == (
        "**Papers per tag per ISO week**, 2024-W52 to 2026-W53 (2024-12-23 to 2027-01-03)\n"
        "Tags: Text Generation, Robotics.\n"
        "• **Text Generation**: 4 papers; 2 in 2026-W53, 0 the week before\n"
        "• **Robotics**: 1 paper; 0 in 2026-W53, 0 the week before\n"
        "-# Distinct papers featured each week; the last week holds the newest stored day, 2027-01-02, "
        "and may still be filling.")
    assert message["allowed_mentions"]["parse"] == []
    [attachment] = message["attachments"]
    assert attachment["filename"] == "trends.png"  # discord.py uploads it as octet-stream; Discord sniffs PNG
    data = fake_discord.attachment_data[attachment["id"]]
    assert attachment["size"] == len(data) and png_size(data) == (1200, 675)


async def test_without_tags_the_most_active_are_shown(known, fake_discord):
    async with started(known, fake_discord):
        itx, response = await trends(fake_discord, {"weeks": 3})
        assert response["type"] == CB_DEFER
        [message] = await itx.wait_followups(1, timeout=30)
    assert message["content"].splitlines()[:3] == [
        "**Papers per tag per ISO week**, 2026-W51 to 2026-W53 (2026-12-14 to 2027-01-03)",
        "Tags: every tag with papers in these weeks (1) (choose with `tags`).",
        "• **Text Generation**: 2 papers; 2 in 2026-W53, 0 the week before",
    ]
    assert png_size(fake_discord.attachment_data[message["attachments"][0]["id"]]) == (1200, 675)


@pytest.mark.parametrize(("options", "sentence"), [
    ({"tags": "robotcs"}, "No such tag 'robotcs' — did you mean Robotics?"),
    ({"tags": "Audio, Tabular, Other, Robotics, Translation, Summarization, Fill-Mask"},
     "One chart holds at most 6 tags, and 7 were given."),
])
async def test_refusals_are_one_private_sentence(known, fake_discord, options, sentence):
    async with started(known, fake_discord):
        itx, response = await trends(fake_discord, options)
    assert response["type"] == CB_MESSAGE and response["data"]["flags"] & EPHEMERAL
    assert response["data"]["content"] == sentence and not itx.followups


async def test_an_empty_store_is_refused_privately(settings, fake_discord):
    async with started(settings, fake_discord):
        _, response = await trends(fake_discord, {})
    assert response["type"] == CB_MESSAGE and response["data"]["flags"] & EPHEMERAL
    assert response["data"]["content"] == ("No featured papers are stored yet, so there is nothing to count; "
                                           "fetch or import some days first.")


async def test_autocomplete_completes_the_last_tag_of_the_list(known, fake_discord):
    async with started(known, fake_discord):
        itx = await fake_discord.invoke_autocomplete("trends", {"tags": "robotics,  text gen"}, "tags",
                                                     guild_id=fake_discord.guild_id)
        choices = (await itx)["data"]["choices"]
    assert choices == [{"name": "robotics, Text Generation (5)", "value": "robotics, Text Generation"},
                       {"name": "robotics, Text2Text Generation (0)", "value": "robotics, Text2Text Generation"}]
