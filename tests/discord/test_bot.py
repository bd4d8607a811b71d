"""The bot as a whole, through the fake Discord: which cogs it loads, how every cog's errors reach the user,
and that closing it stops the work it started."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.channels import Channels
from bot.discord.client import extensions
from bot.discord.tree import GENERIC
from bot.store import Store
from bot.subscriptions import Subscriptions
from tests.discord.conftest import arxiv_ids, started
from tests.fakes.hf_server import Fault

pytestmark = pytest.mark.timeout(30)
EPHEMERAL = 64
COGS_DIR = Path(__file__).resolve().parents[2] / "bot" / "discord" / "cogs"


async def answer(fake, name: str, options: dict, **kw) -> dict:
    """The callback data of a slash command that the bot answers at once."""
    itx = await fake.invoke_command(name, options, guild_id=fake.guild_id, channel_id=fake.channel_id, **kw)
    response = await itx
    assert response["type"] == 4, response
    return response["data"]


def logged_failures(caplog) -> list[tuple[str, str]]:
    """(message, exception type) of every error the tree's handler logged with a traceback."""
    return [(r.getMessage(), r.exc_info[0].__name__) for r in caplog.records
            if r.name == "bot.discord.tree" and r.levelno == logging.ERROR and r.exc_info]


# ---- extensions ------------------------------------------------------------------------------------------


def test_extensions_are_every_module_in_the_cogs_folder():
    files = sorted(p.stem for p in COGS_DIR.glob("*.py") if not p.stem.startswith("_"))
    assert files == ["admin", "papers", "schedule", "similar", "subscriptions", "top", "trends"]
    assert extensions() == [f"bot.discord.cogs.{f}" for f in files]


async def test_every_extension_loads_in_the_real_bot(seeded, fake_discord):
    async with started(seeded, fake_discord) as bot:
        assert sorted(bot.extensions) == extensions()
        assert sorted(bot.cogs) == ["Admin", "Papers", "Schedule", "Similar", "Subscriptions", "Top", "Trends"]
        assert sorted(c["name"] for c in fake_discord.global_commands) == [
            "digest", "paper", "papers", "similar", "subscribe", "subscriptions", "tags", "top", "trends",
            "unsubscribe"]


# ---- one error handler for every cog ---------------------------------------------------------------------


async def test_an_unexpected_error_in_admin_is_logged_and_the_user_gets_one_private_sentence(
        seeded, fake_discord, caplog):
    cid = fake_discord.channel_id
    async with started(seeded, fake_discord) as bot:
        Channels(bot.store).setup(channel_id=cid, guild_id=fake_discord.guild_id, post_time="09:00", timezone="UTC")
        bot.store.db.execute("UPDATE channels SET tags = '[broken' WHERE channel_id = ?", [str(cid)])
        bot.store.db.conn.commit()
        data = await answer(fake_discord, "digest status", {})
    assert (data["content"], data["flags"] & EPHEMERAL) == (GENERIC, EPHEMERAL)
    assert data["allowed_mentions"]["parse"] == []
    assert logged_failures(caplog) == [(f"/digest status failed for user {fake_discord.user_id}",
                                        "JSONDecodeError")]


async def test_an_unexpected_error_in_papers_is_logged_and_the_user_gets_one_private_sentence(
        seeded, fake_discord, caplog):
    async with started(seeded, fake_discord) as bot:
        bot.store.db.execute("UPDATE papers SET authors = '[broken' WHERE arxiv_id = '2501.13918'")
        bot.store.db.conn.commit()
        data = await answer(fake_discord, "paper", {"id": "2501.13918"})
    assert (data["content"], data["flags"] & EPHEMERAL) == (GENERIC, EPHEMERAL)
    assert logged_failures(caplog) == [(f"/paper failed for user {fake_discord.user_id}", "JSONDecodeError")]


async def test_an_unexpected_error_in_subscriptions_is_logged_and_the_user_gets_one_private_sentence(
        seeded, fake_discord, caplog):
    # The subscriptions cog had no handler at all: Discord showed "The application did not respond".
    async with started(seeded, fake_discord) as bot:
        bot.store.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON subscriptions "
                             "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        data = await answer(fake_discord, "subscribe", {"tag": "Audio"})
        assert (data["content"], data["flags"] & EPHEMERAL) == (GENERIC, EPHEMERAL)
        assert logged_failures(caplog) == [(f"/subscribe failed for user {fake_discord.user_id}",
                                            "IntegrityError")]
        # The same for its select menu (a view, not a command): one sentence, not "This interaction failed".
        bot.store.db.execute("DROP TRIGGER refuse")
        Subscriptions(bot.store).subscribe(fake_discord.user_id, "Audio")
        bot.store.db.execute("CREATE TRIGGER keep BEFORE DELETE ON subscriptions "
                             "BEGIN SELECT RAISE(ABORT, 'kept by a trigger'); END")
        await answer(fake_discord, "subscriptions", {})
        message_id = fake_discord.last_interaction.original_message_id
        pressed = await (await fake_discord.press_button(message_id, "subscriptions:remove", values=["Audio"]))
    assert pressed["type"] == 4 and (pressed["data"]["content"], pressed["data"]["flags"]) == (GENERIC, EPHEMERAL)
    assert logged_failures(caplog)[1:] == [(f"a button or select failed for user {fake_discord.user_id}",
                                            "IntegrityError")]


async def test_expected_errors_in_each_cog_are_named_in_one_private_sentence(seeded, fake_discord, caplog):
    fake = fake_discord
    async with started(seeded, fake):
        refused = await answer(fake, "digest setup", {"channel": fake.channel_id}, permissions="0")
        for _ in range(5):
            await answer(fake, "tags", {})
        slowed = await answer(fake, "tags", {})
    assert (refused["content"], refused["flags"]) == ("You need the Manage Server permission for this command.",
                                                      EPHEMERAL)
    assert re.fullmatch(r"Slow down a little: try again in \d+ s\.", slowed["content"]), slowed["content"]
    assert slowed["flags"] == EPHEMERAL
    assert logged_failures(caplog) == []  # expected errors are not bugs: no tracebacks in the log


# ---- closing stops what was started ----------------------------------------------------------------------


async def test_close_cancels_a_catch_up_in_flight(seeded, fake_discord, fake_hf):
    # A Monday the store does not have: catch-up asks Hugging Face first, which hangs.
    cid = fake_discord.channel_id
    with Store(seeded.database) as store:
        Channels(store).setup(channel_id=cid, guild_id=fake_discord.guild_id, post_time="00:00", timezone="UTC")
    fake_hf.script("daily_papers", Fault.stall(30))
    async with started(seeded, fake_discord, now="2025-01-27T12:00:00") as bot:
        task = bot.catch_up_task
        await fake_discord.wait_for(lambda: fake_hf.requests_to("daily_papers"), timeout=10,
                                    what="the catch-up asking Hugging Face")
        assert not task.done()
    assert task.cancelled()
    assert bot.digests.scheduler.running is False
    assert bot.catch_up_task is None  # the Schedule cog, its owner, is unloaded
    assert fake_discord.messages_in(cid) == []
    with Store(seeded.database) as store:
        assert store.db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0


async def test_close_after_the_catch_up_finished_is_clean(seeded, fake_discord):
    cid = fake_discord.channel_id
    with Store(seeded.database) as store:
        Channels(store).setup(channel_id=cid, guild_id=fake_discord.guild_id, post_time="00:00", timezone="UTC",
                              layout="channel")
        seed_papers = store.papers_on("2025-01-24")
    async with started(seeded, fake_discord, now="2025-01-24T12:00:00") as bot:
        task = bot.catch_up_task
        await task
    assert not task.cancelled() and task.exception() is None
    assert sorted(arxiv_ids(fake_discord.messages_in(cid))) == sorted(p.arxiv_id for p in seed_papers)


async def test_close_stops_the_buttons_still_listening(seeded, fake_discord):
    async with started(seeded, fake_discord) as bot:
        papers, subscriptions = bot.get_cog("Papers"), bot.get_cog("Subscriptions")
        first = await answer(fake_discord, "papers", {"date": "2025-01-24"})  # 8 papers: two pages, buttons
        assert "Page 1/2" in first["content"]
        await answer(fake_discord, "subscribe", {"tag": "Audio"})
        await answer(fake_discord, "subscriptions", {})  # the Unfollow menu
        assert (len(papers.views), len(subscriptions.views)) == (1, 1)
    assert (len(papers.views), len(subscriptions.views)) == (0, 0)  # stopped: no timeout task outlives the bot
