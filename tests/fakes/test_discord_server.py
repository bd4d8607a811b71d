"""The Discord fake, exercised by the real discord.py client: if these pass, bot tests built on the fake
run discord.py's real login, gateway, command sync, interaction, rate-limit and error paths."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.clock import FixedClock
from tests.fakes.discord_server import FakeDiscord, Fault, run_bot

pytestmark = pytest.mark.timeout(10)

TOPICS = ["Computer Vision", "Natural Language Processing", "Reinforcement Learning", "Audio"]


class Confirm(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.green)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Confirm]) -> None:
        await interaction.response.edit_message(content="Confirmed", view=None)
        self.stop()


def make_bot() -> commands.Bot:
    """A minimal bot with the shapes paperboy uses: an ephemeral reply, a defer + follow-up with an
    autocompleted option, and a message with a button View."""
    bot = commands.Bot(command_prefix=commands.when_mentioned, intents=discord.Intents.default(), help_command=None)

    @bot.tree.command(name="ping", description="Check that the bot is alive")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    async def topic_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if current.lower() in t.lower()][:25]

    @bot.tree.command(name="papers", description="Papers on a topic")
    @app_commands.autocomplete(topic=topic_choices)
    async def papers(interaction: discord.Interaction, topic: str, limit: int = 3) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"{limit} papers on {topic}")

    @bot.tree.command(name="confirm", description="Ask for a confirmation")
    async def confirm(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Sure?", view=Confirm())

    return bot


class Pick(discord.ui.View):
    @discord.ui.select(custom_id="pick", options=[discord.SelectOption(label=t) for t in TOPICS])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Pick]) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}")


class Feedback(discord.ui.Modal, title="Feedback"):
    comment: discord.ui.TextInput[Feedback] = discord.ui.TextInput(label="Comment", custom_id="comment")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.comment.value}", ephemeral=True)


def add_more_commands(bot: commands.Bot, guild_id: int) -> None:
    """A guild-scoped group with a user option answered by defer + edit_original_response, and a modal."""
    config = app_commands.Group(name="config", description="Configure", guild_ids=[guild_id])

    @config.command(name="mute", description="Mute a user")
    async def mute(interaction: discord.Interaction, user: discord.User, days: int = 1) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=f"muted {user.name} for {days}d")

    bot.tree.add_command(config)

    @bot.tree.command(name="feedback", description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[commands.Bot]:
    client = make_bot()
    async with run_bot(client, fake):
        yield client


@pytest.fixture
async def synced(fake: FakeDiscord, bot: commands.Bot) -> commands.Bot:
    await bot.tree.sync()
    return bot


async def test_login_and_ready_under_two_seconds(fake: FakeDiscord) -> None:
    client = make_bot()
    started = time.monotonic()
    async with run_bot(client, fake):
        assert time.monotonic() - started < 2.0
        assert client.user is not None and client.user.id == fake.bot_id
        assert client.application_id == fake.app_id
        guild = client.get_guild(fake.guild_id)
        assert guild is not None and guild.me is not None
        channel = guild.get_channel(fake.channel_id)
        assert isinstance(channel, discord.TextChannel) and channel.name == "general"
    assert len(fake.calls("GET", "/users/@me")) == 1
    assert len(fake.calls("GET", "/oauth2/applications/@me")) == 1
    assert fake.identify_count == 1 and fake.ready_count == 1
    assert fake.identify_payloads[0]["intents"] == discord.Intents.default().value
    assert fake.gateway_connections[0]["path"] == "/gateway"
    assert fake.heartbeat_count >= 1
    assert not fake.unknown_routes


async def test_tree_sync_registers_commands(fake: FakeDiscord, bot: commands.Bot) -> None:
    synced = await bot.tree.sync()
    assert len(fake.calls("PUT", "/applications/{app}/commands")) == 1
    assert sorted(c["name"] for c in fake.global_commands) == ["confirm", "papers", "ping"]
    assert {c.name: c.id for c in synced} == {c["name"]: int(c["id"]) for c in fake.global_commands}
    papers = fake.command("papers")
    assert papers is not None
    assert [(o["name"], o.get("required", False), o.get("autocomplete", False)) for o in papers["options"]] == [
        ("topic", True, True),
        ("limit", False, False),
    ]
    ids = {c["name"]: c["id"] for c in fake.global_commands}
    await bot.tree.sync()
    assert {c["name"]: c["id"] for c in fake.global_commands} == ids  # a re-sync keeps command ids

    guild = discord.Object(fake.guild_id)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    assert sorted(c["name"] for c in fake.guild_commands[fake.guild_id]) == ["confirm", "papers", "ping"]
    assert [s["guild_id"] for s in fake.command_syncs] == [None, None, fake.guild_id]


async def test_ping_answers_ephemerally(fake: FakeDiscord, synced: commands.Bot) -> None:
    itx = await fake.invoke_command("ping")
    response = await itx.wait_response(timeout=5)
    assert response["type"] == 4
    assert response["data"]["content"] == "pong"
    assert response["data"]["flags"] & 64
    assert itx.original is not None and itx.original["flags"] & 64
    assert fake.messages_in(fake.channel_id) == []  # ephemeral: not in the channel for others


async def test_interactions_in_dms(fake: FakeDiscord, synced: commands.Bot) -> None:
    itx = await fake.invoke_command("ping", dm=True)
    assert (await itx)["data"]["content"] == "pong"
    assert itx.guild_id is None and fake.channels[itx.channel_id]["type"] == 1


async def test_autocomplete_returns_choices(fake: FakeDiscord, synced: commands.Bot) -> None:
    itx = await fake.invoke_autocomplete("papers", {"topic": "vis"}, focused="topic")
    response = await itx
    assert response["type"] == 8
    assert response["data"]["choices"] == [{"name": "Computer Vision", "value": "Computer Vision"}]


async def test_defer_then_followup_fills_the_loading_message(fake: FakeDiscord, synced: commands.Bot) -> None:
    itx = await fake.invoke_command("papers", {"topic": "Audio", "limit": 2})
    assert (await itx)["type"] == 5
    [followup] = await itx.wait_followups(1)
    assert followup["content"] == "2 papers on Audio"
    assert followup["id"] == str(itx.original_message_id)
    assert not followup["flags"] & 128  # no longer "thinking"
    assert [m["content"] for m in fake.messages_in(fake.channel_id)] == ["2 papers on Audio"]


async def test_button_on_a_reply_updates_the_message(fake: FakeDiscord, synced: commands.Bot) -> None:
    itx = await fake.invoke_command("confirm")
    response = await itx
    assert response["data"]["components"][0]["components"][0]["custom_id"] == "confirm"
    assert itx.original_message_id is not None
    click = await fake.press_button(itx.original_message_id, "confirm")
    assert (await click)["type"] == 7
    message = fake.messages[itx.original_message_id]
    assert message["content"] == "Confirmed" and message["components"] == []
    with pytest.raises(LookupError):
        await fake.press_button(itx.original_message_id, "confirm")  # the button is gone


async def test_send_embeds_and_files_land_as_sent(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    first = discord.Embed(title="Paper one", description="Abstract", url="https://arxiv.org/abs/2501.00001")
    first.add_field(name="Tags", value="Computer Vision")
    second = discord.Embed(title="Paper two", description="Another abstract")
    allowed = discord.AllowedMentions.none()
    sent = await channel.send("Today's papers", embeds=[first, second], allowed_mentions=allowed)
    stored = fake.messages[sent.id]
    assert stored["content"] == "Today's papers"
    assert [e["title"] for e in stored["embeds"]] == ["Paper one", "Paper two"]
    assert stored["embeds"][0]["fields"] == [{"name": "Tags", "value": "Computer Vision", "inline": True}]
    assert stored["allowed_mentions"] == allowed.to_dict()
    assert stored["author"]["id"] == str(fake.bot_id)
    assert sent.embeds[1].title == "Paper two"  # discord.py parsed the fake's answer

    with_file = await channel.send("digest", file=discord.File(io.BytesIO(b"# papers"), "digest.md"))
    assert [a["filename"] for a in fake.messages[with_file.id]["attachments"]] == ["digest.md"]
    assert fake.calls("POST", f"/channels/{fake.channel_id}/messages")[-1].files == ["digest.md"]

    too_long = discord.Embed(title="x", description="y" * 4097)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embed=too_long)
    assert info.value.status == 400 and info.value.code == 50035
    assert len(fake.messages_in(fake.channel_id)) == 2


async def test_thread_from_a_message(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("Digest for 2025-01-24")
    thread = await message.create_thread(name="Discuss 2025-01-24")
    assert thread.id == message.id  # as on Discord
    assert fake.channels[thread.id]["parent_id"] == str(fake.channel_id)
    assert fake.messages[message.id]["flags"] & 32  # HAS_THREAD
    await thread.send("first paper")
    assert [m["content"] for m in fake.messages_in(thread.id)] == ["first paper"]
    await fake.wait_for(lambda: bot.get_channel(thread.id), what="THREAD_CREATE to reach the bot's cache")

    standalone = await channel.create_thread(name="Standalone", type=discord.ChannelType.public_thread)
    assert fake.channels[standalone.id]["type"] == 11
    with pytest.raises(discord.HTTPException) as info:
        await channel.create_thread(name="n" * 101, type=discord.ChannelType.public_thread)
    assert info.value.code == 50035


async def test_dm_a_user(fake: FakeDiscord, bot: commands.Bot) -> None:
    user = await bot.fetch_user(fake.user_id)
    sent = await user.send("Your subscription is active")
    [dm_id] = fake.dm_channels
    assert fake.messages[sent.id]["channel_id"] == str(dm_id)
    assert fake.channels[dm_id]["recipients"][0]["id"] == str(fake.user_id)

    closed = fake.add_user("bob")
    fake.close_dms(closed)
    with pytest.raises(discord.Forbidden) as info:
        await (await bot.fetch_user(closed)).send("hello")
    assert info.value.code == 50007


async def test_429_is_retried_and_the_message_lands_once(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next("POST", "/channels/{id}/messages", status=429, retry_after=0.05)
    await channel.send("after a rate limit")
    assert [r.status for r in fake.calls("POST", "/channels/{id}/messages")] == [429, 200]
    assert [m["content"] for m in fake.messages_in(fake.channel_id)] == ["after a rate limit"]
    assert fake.served_429 == 1


async def test_500_then_success(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next("POST", f"/channels/{fake.channel_id}/messages", status=500)
    await channel.send("after a 500")  # discord.py sleeps 1 s before its retry
    assert [r.status for r in fake.calls("POST", "/channels/{id}/messages")] == [500, 200]
    assert len(fake.messages_in(fake.channel_id)) == 1


async def test_errors_raise_the_right_exceptions(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next("POST", "/channels/{id}/messages", status=403)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("x")
    assert forbidden.value.code == 50013

    fake.script("POST", "/channels/{id}/messages", Fault.cloudflare_ban())
    with pytest.raises(discord.HTTPException) as banned:
        await channel.send("x")
    assert banned.value.status == 429  # no Via header: not retried

    papers = fake.add_text_channel(fake.guild_id, "locked")
    fake.forbid_channel(papers)
    with pytest.raises(discord.Forbidden):
        await bot.get_partial_messageable(papers).send("x")

    fake.delete_channel(fake.channel_id)
    with pytest.raises(discord.NotFound) as gone:
        await channel.send("x")
    assert gone.value.code == 10003
    assert fake.messages == {}


async def test_gateway_close_4000_resumes(fake: FakeDiscord, synced: commands.Bot) -> None:
    await fake.close_gateway(4000)
    await fake.wait_for(lambda: fake.resumed_count == 1, what="RESUMED")
    assert fake.resume_count == 1 and fake.identify_count == 1
    assert fake.gateway_connections[-1]["path"] == "/gateway-resume"  # READY's resume_gateway_url
    itx = await fake.invoke_command("ping")
    assert (await itx)["type"] == 4


async def test_events_sent_while_disconnected_are_replayed(fake: FakeDiscord, synced: commands.Bot) -> None:
    fake.stall_gateway()
    itx = await fake.invoke_command("ping")  # kept in the session log, not delivered
    await asyncio.sleep(0.1)
    assert itx.callback is None
    await fake.close_gateway(4000)
    assert (await itx.wait_response(timeout=5))["type"] == 4  # replayed after RESUME
    assert fake.resumed_count == 1 and fake.identify_count == 1


async def test_op7_reconnect_resumes(fake: FakeDiscord, bot: commands.Bot) -> None:
    await fake.send_op(7)
    await fake.wait_for(lambda: fake.resumed_count == 1, what="RESUMED after op 7")
    assert fake.identify_count == 1


async def test_op9_invalid_session_reidentifies(fake: FakeDiscord, synced: commands.Bot) -> None:
    await fake.send_op(9, d=False)
    await fake.wait_for(lambda: fake.identify_count == 2 and fake.ready_count == 2, what="a second READY")
    assert fake.resume_count == 0
    itx = await fake.invoke_command("ping")
    assert (await itx)["type"] == 4


async def test_late_callback_is_rejected(fake: FakeDiscord, synced: commands.Bot) -> None:
    fake.interaction_timeout = 0.0  # every answer is too late
    itx = await fake.invoke_command("ping")
    await fake.wait_for(lambda: fake.calls("POST", "/interactions/{id}/{token}/callback"), what="a callback")
    assert [r.status for r in fake.calls("POST", "/interactions/{id}/{token}/callback")] == [404]
    assert itx.callback is None


async def test_raw_protocol_details(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake.api_base}/users/@me") as resp:
            assert resp.headers["Content-Type"] == "application/json"  # exactly, or discord.py sees a str
        async with session.get(f"{fake.api_base}/channels/{fake.channel_id}/pins") as resp:
            assert resp.status == 404
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["message"].startswith("Unknown route")
    assert [r.path for r in fake.unknown_routes] == [f"/channels/{fake.channel_id}/pins"]
    with pytest.raises(ValueError):
        fake.fail_next("POST", "/channels/{id}/pins")  # a fault on a route the fake lacks would never fire


async def test_rate_limit_mode(fake: FakeDiscord) -> None:
    async with FakeDiscord(enforce_rate_limits=True, message_limit=2, message_window=0.3) as limited:
        client = make_bot()
        async with run_bot(client, limited):
            channel = client.get_channel(limited.channel_id)
            assert isinstance(channel, discord.TextChannel)
            await asyncio.gather(*(channel.send(f"paper {i}") for i in range(6)))
            assert len(limited.messages_in(limited.channel_id)) == 6
            assert limited.served_429 == 0  # discord.py waited on the bucket headers instead

        async with aiohttp.ClientSession() as session:
            url = f"{limited.api_base}/channels/{limited.channel_id}/messages"
            statuses = []
            for i in range(3):
                async with session.post(url, json={"content": f"raw {i}"}) as resp:
                    statuses.append(resp.status)
                    assert resp.headers["X-RateLimit-Bucket"]
                    last_headers, last_body = resp.headers, await resp.json()
        assert statuses == [200, 200, 429]
        assert last_headers["Via"] and last_headers["X-RateLimit-Remaining"] == "0"
        assert last_body["global"] is False and 0 < last_body["retry_after"] <= 0.3
        assert limited.served_429 == 1


async def test_more_interaction_shapes(fake: FakeDiscord) -> None:
    client = make_bot()
    add_more_commands(client, fake.guild_id)
    async with run_bot(client, fake):
        await client.tree.sync()
        await client.tree.sync(guild=discord.Object(fake.guild_id))
        assert fake.command("config", guild_id=fake.guild_id) is not None
        assert fake.command("config") is None  # guild-only

        mute = await fake.invoke_command("config mute", {"user": fake.user_id, "days": 3})
        assert (await mute)["type"] == 5
        [edit] = await mute.wait_edits(1)
        assert edit["json"]["content"] == "muted alice for 3d"
        assert mute.original is not None and mute.original["flags"] == 64

        shown = await fake.invoke_command("feedback")
        modal = await shown
        assert modal["type"] == 9 and modal["data"]["title"] == "Feedback"
        submitted = await fake.submit_modal(shown, {"comment": "great digest"})
        assert (await submitted)["data"]["content"] == "thanks: great digest"

        channel = client.get_channel(fake.channel_id)
        assert isinstance(channel, discord.TextChannel)
        menu = await channel.send("Pick a topic", view=Pick())
        picked = await fake.press_button(menu.id, "pick", values=["Audio"])
        assert (await picked)["data"]["content"] == "picked Audio"

        seed = fake.add_message(fake.channel_id, "what's new?")
        reply = await channel.get_partial_message(seed).reply("today's digest", mention_author=False)
        stored = fake.messages[reply.id]
        assert stored["type"] == 19 and stored["message_reference"]["message_id"] == str(seed)
        assert stored["allowed_mentions"]["replied_user"] is False
        edited = await reply.edit(content="today's digest (edited)")
        assert edited.content == fake.messages[reply.id]["content"] == "today's digest (edited)"
        await reply.delete()
        assert reply.id in fake.deleted_messages and reply.id not in fake.messages
        with pytest.raises(discord.NotFound):
            await channel.fetch_message(reply.id)
        fetched = await channel.fetch_message(seed)
        assert fetched.author.id == fake.user_id


async def test_history_pages_like_discord(fake: FakeDiscord, bot: commands.Bot) -> None:
    ids = [fake.add_message(fake.channel_id, f"m{i}") for i in range(250)]
    channel = bot.get_partial_messageable(fake.channel_id)
    base = f"{fake.api_base}/channels/{fake.channel_id}/messages"
    async with aiohttp.ClientSession() as session:
        async with session.get(base, params={"after": str(ids[9]), "limit": "3"}) as resp:
            # after=: the three oldest newer than the id, answered newest first, as Discord does
            assert [m["content"] for m in await resp.json()] == ["m12", "m11", "m10"]
        async with session.get(base, params={"before": str(ids[9]), "limit": "3"}) as resp:
            assert [m["content"] for m in await resp.json()] == ["m8", "m7", "m6"]
        async with session.get(base, params={"around": str(ids[9]), "limit": "4"}) as resp:
            assert [m["content"] for m in await resp.json()] == ["m10", "m9", "m8", "m7"]
        async with session.get(base) as resp:
            assert len(await resp.json()) == 50  # Discord's default page
        for query in ({"limit": "101"}, {"limit": "0"}, {"after": "1", "before": "2"}, {"after": "x"}):
            async with session.get(base, params=query) as resp:
                assert resp.status == 400 and (await resp.json())["code"] == 50035, query
    # discord.py's own paging over the fake: oldest first with after=, every message once
    forward = [m.content async for m in channel.history(limit=None, after=discord.Object(ids[0]))]
    assert forward == [f"m{i}" for i in range(1, 250)]
    backward = [m.content async for m in channel.history(limit=120)]
    assert backward == [f"m{i}" for i in range(249, 129, -1)]
    after_requests = [r for r in fake.calls("GET", "/channels/{id}/messages") if "after" in r.query]
    assert [r.query["limit"] for r in after_requests[-3:]] == ["100", "100", "100"]


async def test_nonce_is_enforced_for_a_few_minutes_and_never_stored() -> None:
    clock = FixedClock()
    async with FakeDiscord(clock=clock, nonce_window=300) as timed:
        client = make_bot()
        async with run_bot(client, timed):
            channel = client.get_partial_messageable(timed.channel_id)
            first = await channel.send("digest", nonce="n1")
            again = await channel.send("digest", nonce="n1")
            assert again.id == first.id and len(timed.messages_in(timed.channel_id)) == 1
            assert first.created_at == clock.now()  # snowflakes follow the fake's clock
            clock.advance(timedelta(seconds=301))
            later = await channel.send("digest", nonce="n1")
            assert later.id != first.id and len(timed.messages_in(timed.channel_id)) == 2
            fetched = await channel.fetch_message(first.id)
            assert fetched.nonce is None  # the nonce is echoed on creation only
            assert [m.nonce async for m in channel.history(limit=5)] == [None, None]


async def test_held_answers_model_a_crash_mid_request(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_partial_messageable(fake.channel_id)
    fake.script("POST", "/channels/{id}/messages", Fault.passed(), Fault.answer_lost(), Fault.never_handled())
    await channel.send("one")
    lost = asyncio.create_task(channel.send("two"))
    await fake.wait_for(lambda: fake.held == 1, what="the answer to 'two' held back")
    assert [m["content"] for m in fake.messages_in(fake.channel_id)] == ["one", "two"]  # created all the same
    lost.cancel()
    never = asyncio.create_task(channel.send("three"))
    await fake.wait_for(lambda: fake.held == 2, what="'three' held before it is handled")
    never.cancel()
    await asyncio.gather(lost, never, return_exceptions=True)
    fake.release_held()
    await fake.wait_for(lambda: fake.held == 0, what="held answers released")
    assert [m["content"] for m in fake.messages_in(fake.channel_id)] == ["one", "two"]


# ---- shards ----------------------------------------------------------------------------------------------


def test_add_guilds_spreads_new_guilds_round_robin_over_the_shards() -> None:
    fake = FakeDiscord(shard_count=3)  # world building needs no running server
    ids = fake.add_guilds(6, channels=2)
    assert [fake.shard_of(g, 3) for g in [fake.guild_id, *ids]] == [0, 1, 2, 0, 1, 2, 0]
    assert len(set(ids)) == 6 and all(g >> 22 <= fake.snowflake() >> 22 for g in ids)  # never ahead of the clock
    assert [c["name"] for c in fake._guild_channels(ids[0])] == ["channel-0", "channel-1"]
    assert [c["position"] for c in fake._guild_channels(ids[0])] == [0, 1]
    assert fake.shard_of(fake.add_guild("pinned", shard=2), 3) == 2


async def test_an_auto_sharded_client_gets_one_session_per_shard_with_that_shards_guilds() -> None:
    async with FakeDiscord(shard_count=2) as fake:
        second = fake.add_guild("Second", shard=1)
        fake.add_text_channel(second, "general")
        client = commands.AutoShardedBot(command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
                                         help_command=None)
        async with run_bot(client, fake):
            assert client.shard_count == 2 and fake.live_shards == [0, 1]
            assert sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]
            assert {g.id: g.shard_id for g in client.guilds} == {fake.guild_id: 0, second: 1}
            await fake.dispatch("CHANNEL_DELETE", fake._guild_channels(second)[0])  # routed to shard 1
            await fake.wait_for(lambda: not client.get_guild(second).channels, what="the channel gone on shard 1")
            assert [e for e, _ in fake.events_on(1)][-1] == "CHANNEL_DELETE"
            assert "CHANNEL_DELETE" not in [e for e, _ in fake.events_on(0)]
            await fake.close_gateway(4000, shard=1)  # shard 1 resumes on its own session
            await fake.wait_for(lambda: fake.resumed_count == 1 and fake.live_shards == [0, 1], what="shard 1 resumed")
            assert fake.identify_count == 2


async def test_a_bot_that_does_not_shard_past_the_guild_limit_is_refused_with_4011() -> None:
    async with FakeDiscord(max_guilds_per_shard=2) as fake:
        fake.add_guilds(2)  # 3 guilds on the only shard
        client = make_bot()
        with pytest.raises(discord.ConnectionClosed) as caught:
            async with run_bot(client, fake):
                pass
        assert caught.value.code == 4011 and fake.ready_count == 0
