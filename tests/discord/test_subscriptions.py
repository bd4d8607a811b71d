"""Subscriptions as readers and admins use them: /subscribe, /unsubscribe, /subscriptions, the daily DMs,
closed DMs, role pings and the daily cap — through the fake Discord, the real bot and a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from datetime import datetime

import pytest

from bot.channels import Channels
from bot.clock import FixedClock
from bot.models import Paper
from bot.render import validate_message
from bot.store import Store
from bot.subscriptions import Subscriptions
from tests.discord.conftest import SEED_DAY, arxiv_ids, started
from tests.fakes.discord_server import FakeDiscord

pytestmark = pytest.mark.timeout(30)
EPHEMERAL = 64

# A day of our own, with distinct upvotes so "ordered by upvotes" means something (the seed day has none).
DAY = "2025-01-27"
NEXT_DAY = "2025-01-28"
DAY_PAPERS = [  # (arXiv id, upvotes, tags)
    ("2501.20001", 5, ["Multimodal", "Text-to-Image"]),
    ("2501.20002", 40, ["Reinforcement Learning"]),
    ("2501.20003", 25, ["Multimodal", "Reinforcement Learning"]),
    ("2501.20004", 12, ["Text Generation", "Natural Language Processing"]),
    ("2501.20005", 60, ["Multimodal"]),
    ("2501.20006", 3, ["Text-to-Speech", "Audio"]),
]
NEXT_DAY_PAPERS = [
    ("2501.21001", 9, ["Multimodal"]),
    ("2501.21002", 30, ["Reinforcement Learning", "Robotics"]),
]


def make_papers(day: str, rows) -> list[Paper]:
    return [Paper(arxiv_id=aid, title=f"Paper {aid} on {' and '.join(tags)}", authors=["Ada Lovelace"],
                  summary=f"What {aid} found.", tags=tags, upvotes=votes, dates=[day], source="digest-json",
                  tags_source="digest") for aid, votes, tags in rows]


@pytest.fixture
def days(seeded):
    """The seed day plus two days of our own (distinct upvotes) in the store."""
    with Store(seeded.database) as store:
        store.upsert_papers(make_papers(DAY, DAY_PAPERS))
        store.upsert_papers(make_papers(NEXT_DAY, NEXT_DAY_PAPERS))
    return seeded


def expected(store: Store, day: str, tags: list[str]) -> list[str]:
    """What a follower of ``tags`` should get for ``day``: matching papers, most upvoted first."""
    papers = [p for p in store.papers_on(day) if set(p.tags) & set(tags)]
    return [p.arxiv_id for p in sorted(papers, key=lambda p: (-p.upvotes, p.arxiv_id))]


def dm_channel_of(fake: FakeDiscord, uid: int) -> int | None:
    return next((cid for cid, c in fake.dm_channels.items() if c["recipients"][0]["id"] == str(uid)), None)


def dms_to(fake: FakeDiscord, uid: int) -> list[dict]:
    """The (non-ephemeral) messages the bot sent in its DM with ``uid``."""
    cid = dm_channel_of(fake, uid)
    return [] if cid is None else [m for m in fake.messages_in(cid) if m["author"]["id"] == str(fake.bot_id)]


def dm_requests(fake: FakeDiscord, uid: int) -> list:
    """Every request the bot made to reach ``uid`` by DM: opening the channel and posting in it."""
    opens = [r for r in fake.calls("POST", "/users/@me/channels")
             if str((r.json or {}).get("recipient_id")) == str(uid)]
    cid = dm_channel_of(fake, uid)
    return opens + ([] if cid is None else fake.calls("POST", f"/channels/{cid}/messages"))


def mentions_of(m: dict) -> dict:
    """A message's allowed_mentions as Discord reads it (snowflakes may travel as ints or strings)."""
    am = dict(m["allowed_mentions"])
    for kind in ("users", "roles"):
        if kind in am:
            am[kind] = [str(x) for x in am[kind]]
    return am


def sent_payload(m: dict) -> dict:
    return {"content": m.get("content", ""), "embeds": m.get("embeds", []), "allowed_mentions": mentions_of(m)}


async def ask(fake: FakeDiscord, name: str, options: dict | None = None, *, user_id=None, dm=False) -> dict:
    """Run a slash command; returns the callback's data (every subscription reply is immediate)."""
    if dm:
        itx = await fake.invoke_command(name, options or {}, user_id=user_id, dm=True)
    else:
        itx = await fake.invoke_command(name, options or {}, guild_id=fake.guild_id, channel_id=fake.channel_id,
                                        user_id=user_id)
    response = await itx
    assert response["type"] == 4, response
    return response["data"]


async def complete(fake: FakeDiscord, name: str, current: str, *, user_id=None, dm=False) -> list[dict]:
    itx = await fake.invoke_autocomplete(name, {"tag": current}, "tag", user_id=user_id, dm=dm,
                                         guild_id=None if dm else fake.guild_id)
    return (await itx)["data"]["choices"]


async def follow(fake: FakeDiscord, uid: int, *tags: str, dm: bool = False) -> None:
    for tag in tags:
        data = await ask(fake, "subscribe", {"tag": tag}, user_id=uid, dm=dm)
        assert re.match(r"You (now|already) follow", data["content"]), data["content"]


def setup_channel(settings, fake: FakeDiscord, *, layout: str = "thread", tags=None) -> int:
    cid = fake.channel_id
    with Store(settings.database) as store:
        Channels(store).setup(channel_id=cid, guild_id=fake.guild_id, post_time="09:00", timezone="UTC", tags=tags,
                              layout=layout, user_id="")
    return cid


def thread_of(fake: FakeDiscord, channel_id: int) -> int:
    threads = [tid for tid, t in fake.threads.items() if int(t["parent_id"]) == int(channel_id)]
    assert len(threads) == 1, threads
    return threads[0]


# ---- commands --------------------------------------------------------------------------------------------


async def test_subscribe_with_autocomplete_and_a_suggestion_for_an_unknown_tag(days, fake_discord):
    fake = fake_discord
    async with started(days, fake) as bot:
        choices = await complete(fake, "subscribe", "")
        assert 0 < len(choices) <= 25
        counts = dict(bot.store.tag_counts())
        assert choices[0]["value"] == max(counts, key=lambda t: (counts[t], -len(t)))  # most used first
        choices = await complete(fake, "subscribe", "multi")
        assert choices[0]["value"] == "Multimodal" and choices[0]["name"] == f"Multimodal ({counts['Multimodal']})"
        assert all("multi" in c["value"].lower() for c in choices)

        data = await ask(fake, "subscribe", {"tag": "Multimodel"})
        assert data["flags"] & EPHEMERAL and "No such tag 'Multimodel' — did you mean Multimodal" in data["content"]
        assert Subscriptions(bot.store).tags_of(fake.user_id) == []

        data = await ask(fake, "subscribe", {"tag": "  multimodal "})
        assert data["flags"] & EPHEMERAL and "You now follow **Multimodal**" in data["content"]
        assert data["allowed_mentions"]["parse"] == []
        data = await ask(fake, "subscribe", {"tag": "MULTIMODAL"})
        assert "You already follow **Multimodal**" in data["content"]
        await ask(fake, "subscribe", {"tag": "Audio"})
        assert Subscriptions(bot.store).tags_of(fake.user_id) == ["Audio", "Multimodal"]
        assert Subscriptions(bot.store).guild_of(fake.user_id) == str(fake.guild_id)
    with Store(days.database) as store:  # written to the file, not just held by the bot
        assert Subscriptions(store).subscribers() == {str(fake.user_id): ["Audio", "Multimodal"]}


async def test_unsubscribe_autocompletes_only_your_own_tags(days, fake_discord):
    fake = fake_discord
    bob = fake.add_user("bob")
    async with started(days, fake) as bot:
        await follow(fake, fake.user_id, "Multimodal", "Audio", "Text-to-Image")
        await follow(fake, bob, "Robotics")
        assert [c["value"] for c in await complete(fake, "unsubscribe", "")] == ["Audio", "Multimodal",
                                                                                  "Text-to-Image"]
        assert [c["value"] for c in await complete(fake, "unsubscribe", "TEXT")] == ["Text-to-Image"]
        assert [c["value"] for c in await complete(fake, "unsubscribe", "", user_id=bob)] == ["Robotics"]
        assert await complete(fake, "unsubscribe", "robo") == []  # bob's tag is not offered to alice

        data = await ask(fake, "unsubscribe", {"tag": "multimodal"})
        assert data["flags"] & EPHEMERAL and "You no longer follow **Multimodal**" in data["content"]
        assert "You follow: **Audio**, **Text-to-Image**" in data["content"]
        data = await ask(fake, "unsubscribe", {"tag": "Robotics"})
        assert "You did not follow 'Robotics'" in data["content"]
        assert Subscriptions(bot.store).tags_of(bob) == ["Robotics"]  # alice cannot remove bob's
        assert Subscriptions(bot.store).tags_of(fake.user_id) == ["Audio", "Text-to-Image"]


async def test_subscriptions_lists_tags_and_the_select_removes_them(days, fake_discord):
    fake = fake_discord
    async with started(days, fake) as bot:
        data = await ask(fake, "subscriptions")
        assert data["flags"] & EPHEMERAL and "You follow no tags" in data["content"] and not data.get("components")
        await follow(fake, fake.user_id, "Multimodal", "Audio", "Robotics")
        data = await ask(fake, "subscriptions")
        assert "You follow: **Audio**, **Multimodal**, **Robotics**" in data["content"]
        select = data["components"][0]["components"][0]
        assert select["custom_id"] == "subscriptions:remove" and select["max_values"] == 3
        assert [o["value"] for o in select["options"]] == ["Audio", "Multimodal", "Robotics"]

        message_id = fake.last_interaction.original_message_id  # the ephemeral reply holding the select
        update = await (await fake.press_button(message_id, "subscriptions:remove", values=["Audio", "Robotics"]))
        assert update["type"] == 7  # the same ephemeral message is updated in place
        assert "Stopped following Audio, Robotics" in update["data"]["content"]
        assert "You follow: **Multimodal**" in update["data"]["content"]
        options = update["data"]["components"][0]["components"][0]["options"]
        assert [o["value"] for o in options] == ["Multimodal"]
        assert Subscriptions(bot.store).tags_of(fake.user_id) == ["Multimodal"]

        update = await (await fake.press_button(message_id, "subscriptions:remove", values=["Multimodal"]))
        assert "You follow no tags" in update["data"]["content"] and not update["data"].get("components")
        assert Subscriptions(bot.store).tags_of(fake.user_id) == []


async def test_the_commands_work_in_a_dm_with_the_bot(days, fake_discord):
    fake = fake_discord
    loner = fake.add_user("loner")  # shares no server with the bot's guild: DMs only
    async with started(days, fake) as bot:
        assert [c["value"] for c in await complete(fake, "subscribe", "robot", user_id=loner, dm=True)] == ["Robotics"]
        data = await ask(fake, "subscribe", {"tag": "robotics"}, user_id=loner, dm=True)
        assert "You now follow **Robotics**" in data["content"]
        await ask(fake, "subscribe", {"tag": "Audio"}, user_id=loner, dm=True)
        data = await ask(fake, "subscriptions", user_id=loner, dm=True)
        assert "**Audio**, **Robotics**" in data["content"]
        choices = await complete(fake, "unsubscribe", "", user_id=loner, dm=True)
        assert [c["value"] for c in choices] == ["Audio", "Robotics"]
        data = await ask(fake, "unsubscribe", {"tag": "Audio"}, user_id=loner, dm=True)
        assert "You no longer follow **Audio**" in data["content"]
        subs = Subscriptions(bot.store)
        assert subs.tags_of(loner) == ["Robotics"] and subs.guild_of(loner) == ""  # no server to mention them in
        assert loner not in fake.members[fake.guild_id]


# ---- the daily DM ----------------------------------------------------------------------------------------


async def test_fan_out_sends_each_subscriber_one_dm_with_exactly_their_papers(days, fake_discord):
    fake = fake_discord
    bob, carol, dave = fake.add_user("bob"), fake.add_user("carol"), fake.add_user("dave")
    follows = {bob: ["Multimodal"], carol: ["Reinforcement Learning", "Text Generation"], dave: ["Robotics"]}
    async with started(days, fake) as bot:
        for uid, tags in follows.items():
            await follow(fake, uid, *tags)
        outcomes = await bot.digests.fan_out(DAY)
        assert sorted(o.status for o in outcomes) == ["delivered", "delivered", "skipped"]
        for uid, tags in follows.items():
            want = expected(bot.store, DAY, tags)
            messages = dms_to(fake, uid)
            if not want:  # nothing matched: no DM at all (and no DM channel opened)
                assert messages == [] and dm_requests(fake, uid) == []
                continue
            assert len(messages) == 1, messages
            m = messages[0]
            assert arxiv_ids(messages) == want  # exactly their papers, most upvoted first
            assert want == (["2501.20005", "2501.20003", "2501.20001"] if uid == bob
                            else ["2501.20002", "2501.20003", "2501.20004"])
            upvotes = [int(f["value"].removeprefix("▲ ")) for e in m["embeds"] for f in e["fields"]
                       if f["name"] == "Upvotes"]
            assert upvotes == sorted(upvotes, reverse=True)
            for e in m["embeds"]:  # the matched tags are marked in each paper's Tags field
                tags_field = next(f["value"] for f in e["fields"] if f["name"] == "Tags")
                assert any(f"**★ {t}**" in tags_field for t in tags)
                assert all(f"**★ {t}**" not in tags_field for t in ("Text-to-Image", "Audio", "Robotics"))
            assert f"Your papers for {DAY}" in m["content"] and f"{len(want)} matched" in m["content"]
            assert "/unsubscribe" in m["content"] and "/subscriptions" in m["content"]
            assert m["allowed_mentions"]["parse"] == [] and not m["allowed_mentions"].get("users")
            assert validate_message(sent_payload(m)) == []

        before = len(fake.requests)
        again = await bot.digests.fan_out(DAY)
        assert sorted(o.status for o in again) == ["already", "already", "skipped"]
        assert [r for r in fake.requests[before:] if r.method == "POST"] == []  # nothing sent, nothing opened
    with Store(days.database) as store:
        rows = list(store.db.query("SELECT target, status FROM deliveries WHERE day = ?", [DAY]))
        assert sorted(rows, key=str) == sorted([{"target": f"dm:{bob}", "status": "sent"},
                                                {"target": f"dm:{carol}", "status": "sent"}], key=str)


async def test_the_daily_fetch_fans_out_todays_papers(seeded, fake_discord, fake_hf, data_dir):
    fake = fake_discord
    today = "2025-01-27"  # the day daily_fetch fetches: the bot's clock's, not the host's
    follows = {fake.add_user("bob"): ["Multimodal", "Reinforcement Learning"],
               fake.add_user("carol"): ["Natural Language Processing"],
               fake.add_user("dave"): ["Robotics"]}
    async with started(seeded, fake, now=f"{today}T06:30:00") as bot:
        for uid, tags in follows.items():
            await follow(fake, uid, *tags)
        entries = json.loads((data_dir / "upstream" / "ai-weekly-radar_huggingface_papers.json").read_text())
        fake_hf.add_entries(entries, day=today)  # Hugging Face now lists today's papers
        count = await bot.digests.daily_fetch()  # what the 06:30 job runs: fetch, store, then the DMs
        assert count == len(bot.store.papers_on(today)) > 0
        reached = 0
        for uid, tags in follows.items():
            want = expected(bot.store, today, tags)
            messages = dms_to(fake, uid)
            assert len(messages) == (1 if want else 0), (tags, messages)
            assert arxiv_ids(messages) == want[:10]
            if want:
                reached += 1
                assert f"{len(want)} matched" in messages[0]["content"]
                upvotes = [p.upvotes for p in map(bot.store.get, arxiv_ids(messages))]
                assert upvotes == sorted(upvotes, reverse=True)
        # The shipped tagger (issue 10) also tags one agent paper of the sample day Robotics: dave too.
        assert reached == 3, "the sample day no longer matches bob's, carol's and dave's tags"
        sends = len(fake.calls("POST", "/channels/{id}/messages"))
        await bot.digests.daily_fetch()  # a second run the same day sends nobody anything
        assert len(fake.calls("POST", "/channels/{id}/messages")) == sends


async def test_restart_mid_fan_out_still_gives_everyone_exactly_one_dm(days):
    # The fake and the bot share one clock (DAY, 08:00 UTC): the lookup of a DM caught mid-send reads
    # Discord's history after a snowflake taken from the bot's clock.
    clock = FixedClock(datetime.fromisoformat(f"{DAY}T08:00:00+00:00"))
    async with FakeDiscord(enforce_rate_limits=True, clock=clock) as fake:
        users = [fake.add_user(f"reader{i}") for i in range(16)]
        tags = ["Multimodal", "Reinforcement Learning", "Text Generation", "Audio"]
        async with started(days, fake) as bot:
            for i, uid in enumerate(users):
                await follow(fake, uid, tags[i % len(tags)])
            bot.deliverer.sender.limiter.rate = 8.0  # slow enough to stop it half-way
            task = asyncio.create_task(bot.digests.fan_out(DAY))
            await fake.wait_for(lambda: sum(bool(dms_to(fake, u)) for u in users) >= 4, timeout=10,
                                what="4 DMs")
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        first = [u for u in users if dms_to(fake, u)]
        assert 4 <= len(first) < len(users)
        # The worst moment to die: a DM went out but the ledger had not marked it yet (still 'sending').
        caught = first[0]
        with Store(days.database) as store:
            store.db.execute("UPDATE deliveries SET status = 'sending', message_id = '' WHERE target = ?",
                             [f"dm:{caught}"])
        async with started(days, fake) as bot:  # a new bot on the same file
            outcomes = await bot.digests.fan_out(DAY)
            assert {o.status for o in outcomes} <= {"delivered", "already"}
        assert fake.calls("GET", f"/channels/{dm_channel_of(fake, caught)}/messages")  # it looked before resending
        with Store(days.database) as store:
            for i, uid in enumerate(users):
                messages = dms_to(fake, uid)
                assert len(messages) == 1, (uid, messages)
                assert arxiv_ids(messages) == expected(store, DAY, [tags[i % len(tags)]])
        assert Counter(len(dms_to(fake, u)) for u in users) == {1: len(users)}


async def test_closed_dms_are_recorded_not_retried_and_shown_in_subscriptions(days, fake_discord):
    fake = fake_discord
    bob, carol = fake.add_user("bob"), fake.add_user("carol")
    async with started(days, fake, now=f"{DAY}T08:00:00") as bot:
        await follow(fake, bob, "Multimodal")
        await follow(fake, carol, "Multimodal")
        fake.close_dms(bob)
        outcomes = {o.channel_id: o for o in await bot.digests.fan_out(DAY)}
        assert outcomes[str(bob)].status == "dm_closed" and "403" in outcomes[str(bob)].detail
        assert outcomes[str(carol)].status == "delivered" and len(dms_to(fake, carol)) == 1
        subs = Subscriptions(bot.store)
        assert subs.dms_closed_on(bob) == DAY and subs.dms_closed_on(carol) == ""
        row = bot.deliverer.ledger.rows(f"dm:{bob}", DAY)[0]
        assert row["status"] == "failed" and "403" in row["error"]
        assert dms_to(fake, bob) == []
        attempts = len(dm_requests(fake, bob))
        assert attempts >= 1

        again = {o.channel_id: o.status for o in await bot.digests.fan_out(DAY)}
        assert again[str(bob)] == "dm_closed"
        assert len(dm_requests(fake, bob)) == attempts  # not retried the same day

        data = await ask(fake, "subscriptions", user_id=bob)
        assert f"Your DMs were closed when I tried on {DAY}" in data["content"]
        data = await ask(fake, "subscriptions", user_id=carol)
        assert "closed" not in data["content"]

        fake.dms_closed.discard(bob)  # bob opens his DMs: the next day he gets his DM again
        await bot.digests.fan_out(NEXT_DAY)
        assert arxiv_ids(dms_to(fake, bob)) == expected(bot.store, NEXT_DAY, ["Multimodal"])


async def test_closed_dms_fall_back_to_one_mention_in_the_days_thread_when_enabled(days, fake_discord):
    fake = fake_discord
    bob, carol = fake.add_user("bob"), fake.add_user("carol")
    cid = setup_channel(days, fake, layout="thread")
    async with started(days, fake) as bot:
        await follow(fake, bob, "Multimodal")  # from the server: that is where he can be mentioned
        await follow(fake, carol, "Audio", dm=True)  # from DMs only: nowhere to mention her
        data = await ask(fake, "digest dm-fallback", {"enabled": True})
        assert "will be mentioned" in data["content"]
        assert (await bot.digests.post(str(cid), DAY)).status == "delivered"
        thread = thread_of(fake, cid)
        before = len(fake.messages_in(thread))
        fake.close_dms(bob)
        fake.close_dms(carol)
        outcomes = {o.channel_id: o for o in await bot.digests.fan_out(DAY)}
        assert outcomes[str(bob)].status == "dm_closed" and "mentioned" in outcomes[str(bob)].detail
        assert outcomes[str(carol)].status == "dm_closed" and "no fallback" in outcomes[str(carol)].detail

        posts = fake.messages_in(thread)
        assert len(posts) == before + 1
        mention = posts[-1]
        assert f"<@{bob}>" in mention["content"] and mention["embeds"] == []
        for title in ("Paper 2501.20005", "Paper 2501.20003", "Paper 2501.20001"):
            assert title in mention["content"]
        am = mentions_of(mention)
        assert am["parse"] == [] and am.get("users") == [str(bob)] and not am.get("roles")
        assert validate_message(sent_payload(mention), allow_users=[str(bob)]) == []
        for m in [*fake.messages_in(cid), *posts[:-1]]:  # the digest itself pings nobody
            assert m["allowed_mentions"]["parse"] == [] and not m["allowed_mentions"].get("users")

        await bot.digests.fan_out(DAY)
        assert len(fake.messages_in(thread)) == before + 1  # mentioned once


async def test_without_the_fallback_enabled_nobody_is_mentioned(days, fake_discord):
    fake = fake_discord
    bob = fake.add_user("bob")
    cid = setup_channel(days, fake, layout="thread")
    async with started(days, fake) as bot:
        await follow(fake, bob, "Multimodal")
        await bot.digests.post(str(cid), DAY)
        thread = thread_of(fake, cid)
        before = len(fake.messages_in(thread))
        fake.close_dms(bob)
        outcome = (await bot.digests.fan_out(DAY))[0]
        assert outcome.status == "dm_closed" and "not enabled" in outcome.detail
        assert len(fake.messages_in(thread)) == before
        assert not any(f"<@{bob}>" in (m.get("content") or "") for m in fake.messages.values())


async def test_the_fallback_also_reaches_a_thread_posted_after_the_fan_out(days, fake_discord):
    # The daily fetch (06:30) and so the fan-out usually come before the channel's post (09:00): the
    # closed DM is found before the day's thread exists. The next fan-out that day (catch-up) must
    # still mention them once the thread is there, without trying their DMs again.
    fake = fake_discord
    bob = fake.add_user("bob")
    cid = setup_channel(days, fake, layout="thread")
    async with started(days, fake) as bot:
        await follow(fake, bob, "Multimodal")
        await ask(fake, "digest dm-fallback", {"enabled": True})
        fake.close_dms(bob)
        outcome = (await bot.digests.fan_out(DAY))[0]
        assert outcome.status == "dm_closed" and "no digest thread" in outcome.detail
        attempts = len(dm_requests(fake, bob))
        await bot.digests.post(str(cid), DAY)  # posting the thread digest mentions them at once
        thread = thread_of(fake, cid)
        assert [m for m in fake.messages_in(thread) if f"<@{bob}>" in (m.get("content") or "")]
        await bot.digests.fan_out(DAY)
        await bot.digests.fan_out(DAY)
        mentions = [m for m in fake.messages_in(thread) if f"<@{bob}>" in (m.get("content") or "")]
        assert len(mentions) == 1 and mentions_of(mentions[0])["users"] == [str(bob)]
        assert len(dm_requests(fake, bob)) == attempts


# ---- roles -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["thread", "channel"])
async def test_a_mapped_role_is_pinged_once_and_nothing_else_pings(days, fake_discord, layout):
    fake = fake_discord
    fans = fake.add_role(fake.guild_id, "multimodal-fans")
    other_role = fake.add_role(fake.guild_id, "robotics-fans")
    cid = setup_channel(days, fake, layout=layout)
    async with started(days, fake) as bot:
        data = await ask(fake, "digest role", {"tag": "multimodal", "role": fans})
        assert f"Papers tagged **Multimodal** will ping <@&{fans}>" in data["content"]
        assert data["allowed_mentions"]["parse"] == []  # the confirmation itself pings nobody
        await ask(fake, "digest role", {"tag": "Robotics", "role": other_role})  # no Robotics papers that day
        choices = await complete(fake, "digest role", "multimod")
        assert [c["value"] for c in choices] == ["Multimodal"]

        assert (await bot.digests.post(str(cid), DAY)).status == "delivered"
        where = [cid, thread_of(fake, cid)] if layout == "thread" else [cid]
        messages = [m for c in where for m in fake.messages_in(c)]
        pinging = [m for m in messages if m["allowed_mentions"].get("roles") or m["allowed_mentions"].get("users")]
        assert len(pinging) == 1
        ping = pinging[0]
        assert mentions_of(ping)["roles"] == [str(fans)]
        assert mentions_of(ping)["parse"] == [] and not mentions_of(ping).get("users")
        assert f"<@&{fans}>" in ping["content"] and "Multimodal (3)" in ping["content"]
        assert f"<@&{other_role}>" not in ping["content"]
        assert validate_message(sent_payload(ping), allow_roles=[str(fans)]) == []
        for m in messages:
            if m is not ping:
                assert validate_message(sent_payload(m)) == [], m
        if layout == "thread":  # right after the header, in the day's thread
            assert fake.messages_in(where[1])[0] is ping
        else:
            assert messages[1] is ping
        assert sorted(arxiv_ids(messages)) == sorted(p for p, _, _ in DAY_PAPERS)

        data = await ask(fake, "digest role", {"tag": "Multimodal"})  # no role: stop pinging
        assert "will ping no role" in data["content"]
        assert [r.tag for r in Subscriptions(bot.store).roles_of(fake.guild_id)] == ["Robotics"]


# ---- the cap, and unsubscribing ---------------------------------------------------------------------------


async def test_the_daily_cap_bounds_a_broad_tag_and_says_how_many_more(days, fake_discord):
    fake = fake_discord
    days.discord.dm_daily_cap = 2
    bob, carol = fake.add_user("bob"), fake.add_user("carol")
    async with started(days, fake) as bot:
        await follow(fake, bob, "Multimodal", "Reinforcement Learning")  # 4 papers match on DAY
        await follow(fake, carol, "Audio")  # 1 paper: under the cap
        await bot.digests.fan_out(DAY)
        m = dms_to(fake, bob)
        assert len(m) == 1 and arxiv_ids(m) == ["2501.20005", "2501.20002"]
        assert "4 matched" in m[0]["content"] and "2 more matched" in m[0]["content"]
        assert "top 2 by upvotes" in m[0]["content"]
        c = dms_to(fake, carol)
        assert arxiv_ids(c) == ["2501.20006"] and "more matched" not in c[0]["content"]

        await bot.digests.fan_out(SEED_DAY)  # the real seed day: 5 papers match, the top 2 are shown
        m = dms_to(fake, bob)
        want = expected(bot.store, SEED_DAY, ["Multimodal", "Reinforcement Learning"])
        assert len(want) == 5 and len(m) == 2 and arxiv_ids(m[1:]) == want[:2]
        assert "3 more matched" in m[1]["content"]


async def test_unsubscribing_stops_the_next_days_dm(days, fake_discord):
    fake = fake_discord
    bob, carol = fake.add_user("bob"), fake.add_user("carol")
    async with started(days, fake) as bot:
        await follow(fake, bob, "Multimodal")
        await follow(fake, carol, "Multimodal")
        await bot.digests.fan_out(DAY)
        assert len(dms_to(fake, bob)) == 1 and len(dms_to(fake, carol)) == 1
        data = await ask(fake, "unsubscribe", {"tag": "Multimodal"}, user_id=bob)
        assert "You no longer follow **Multimodal**" in data["content"]
    async with started(days, fake, now=f"{NEXT_DAY}T08:00:00") as bot:  # the next day, after a restart
        outcomes = await bot.digests.fan_out(NEXT_DAY)
        assert [o.channel_id for o in outcomes] == [str(carol)]
        assert len(dms_to(fake, bob)) == 1  # still only the first day's
        assert arxiv_ids(dms_to(fake, carol)[1:]) == ["2501.21001"]
