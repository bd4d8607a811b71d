"""/digest admin commands, driven as interactions through the fake Discord."""

from __future__ import annotations

import pytest

from bot.channels import Channels
from bot.config import load_settings
from tests.discord.conftest import started

pytestmark = pytest.mark.timeout(30)
EPHEMERAL = 64


async def reply(fake, name, options, **kw):
    itx = await fake.invoke_command(name, options, guild_id=fake.guild_id, channel_id=fake.channel_id, **kw)
    response = await itx
    if response["type"] == 5:  # deferred: the answer is the first follow-up
        await itx.wait_followups(1)
        return itx.followups[0]["content"], itx.followups[0].get("flags", 0)
    return response["data"]["content"], response["data"].get("flags", 0)


async def test_login_syncs_the_digest_group(seeded, fake_discord):
    async with started(seeded, fake_discord):
        digest = fake_discord.command("digest")
        assert digest is not None
        subs = {o["name"] for o in digest["options"]}
        assert subs == {"setup", "status", "now", "pause", "resume", "remove", "role", "dm-fallback", "weekly"}
        assert digest.get("dm_permission") is False or digest.get("contexts") == [0]
        assert int(digest["default_member_permissions"]) == 1 << 5  # Manage Server


async def test_setup_status_pause_resume_remove(seeded, fake_discord):
    async with started(seeded, fake_discord) as bot:
        cid = fake_discord.channel_id
        text, flags = await reply(fake_discord, "digest setup",
                                  {"channel": cid, "time": "9:30", "timezone": "europe/berlin", "tags": "multimodal"})
        assert flags & EPHEMERAL and text.startswith("Saved.") and "09:30 Europe/Berlin" in text
        ch = Channels(bot.store).get(cid)
        assert (ch.post_time, ch.timezone, ch.tags, ch.layout) == ("09:30", "Europe/Berlin", ["Multimodal"], "thread")
        assert bot.digests.scheduler.get_job(f"post:{cid}") is not None

        text, _ = await reply(fake_discord, "digest status", {})
        assert f"<#{cid}>" in text and "Next post: <t:" in text
        text, _ = await reply(fake_discord, "digest pause", {})
        assert text.startswith("Paused") and bot.digests.scheduler.get_job(f"post:{cid}") is None
        text, _ = await reply(fake_discord, "digest resume", {})
        assert text.startswith("Resumed") and bot.digests.scheduler.get_job(f"post:{cid}") is not None
        text, _ = await reply(fake_discord, "digest remove", {})
        assert "no more digests" in text and Channels(bot.store).get(cid) is None


@pytest.mark.parametrize(("options", "needle"), [
    ({"time": "25:00"}, "'25:00' is not a time"),
    ({"time": "09:00", "timezone": "Mars/Olympus"}, "Unknown time zone 'Mars/Olympus'"),
    ({"time": "09:00", "tags": "Multimodel"}, "Did you mean 'Multimodal'"),
])
async def test_bad_setup_input_is_named_and_nothing_is_saved(seeded, fake_discord, options, needle):
    async with started(seeded, fake_discord) as bot:
        text, flags = await reply(fake_discord, "digest setup", {"channel": fake_discord.channel_id, **options})
        assert flags & EPHEMERAL and needle in text
        assert Channels(bot.store).get(fake_discord.channel_id) is None


async def test_members_without_manage_server_are_refused(seeded, fake_discord):
    async with started(seeded, fake_discord) as bot:
        text, flags = await reply(fake_discord, "digest setup", {"channel": fake_discord.channel_id, "time": "09:00"},
                                  permissions="0")
        assert (text, flags) == ("You need the Manage Server permission for this command.", EPHEMERAL)
        assert Channels(bot.store).get(fake_discord.channel_id) is None


async def test_setup_without_time_or_zone_uses_the_configured_defaults_then_keeps_the_channels_own(
        seeded, fake_discord, tmp_path):
    # [discord] default_post_time / default_timezone, read from a real config file.
    config = tmp_path / "paperboy.toml"
    config.write_text('[discord]\ndefault_post_time = "7:45"\ndefault_timezone = "Asia/Tokyo"\n')
    settings = load_settings(config, db=seeded.database)
    settings.hf = seeded.hf
    first, second = fake_discord.channel_id, fake_discord.add_text_channel(fake_discord.guild_id, "second")
    async with started(settings, fake_discord) as bot:
        channels = Channels(bot.store)
        text, _ = await reply(fake_discord, "digest setup", {"channel": first})
        assert text.startswith(f"Saved.\n<#{first}> — 07:45 Asia/Tokyo, thread layout, all tags.")
        assert (channels.get(first).post_time, channels.get(first).timezone) == ("07:45", "Asia/Tokyo")
        await reply(fake_discord, "digest setup", {"channel": second, "time": "18:00"})
        assert (channels.get(second).post_time, channels.get(second).timezone) == ("18:00", "Asia/Tokyo")
        # Re-running setup to change something else keeps the channel's own time and zone.
        await reply(fake_discord, "digest setup", {"channel": second, "timezone": "Europe/Berlin"})
        await reply(fake_discord, "digest setup", {"channel": second, "layout": "channel"})
        ch = channels.get(second)
        assert (ch.post_time, ch.timezone, ch.layout) == ("18:00", "Europe/Berlin", "channel")


async def test_timezone_autocomplete_offers_at_most_25(seeded, fake_discord):
    async with started(seeded, fake_discord):
        itx = await fake_discord.invoke_autocomplete("digest setup", {"channel": fake_discord.channel_id,
                                                                      "timezone": "europe"}, "timezone",
                                                     guild_id=fake_discord.guild_id)
        choices = (await itx)["data"]["choices"]
        assert 0 < len(choices) <= 25 and all("Europe" in c["value"] for c in choices)


async def test_digest_now_posts_once_and_says_so_the_second_time(seeded, fake_discord):
    async with started(seeded, fake_discord):
        cid = fake_discord.channel_id
        await reply(fake_discord, "digest setup", {"channel": cid, "time": "09:00", "layout": "channel"})
        text, flags = await reply(fake_discord, "digest now", {"date": "2025-01-24"})
        assert flags & EPHEMERAL and text.startswith("Posted the digest of 2025-01-24")
        posted = len(fake_discord.messages_in(cid))
        text, _ = await reply(fake_discord, "digest now", {"date": "2025-01-24"})
        assert "already posted" in text and len(fake_discord.messages_in(cid)) == posted
        text, _ = await reply(fake_discord, "digest now", {"date": "2025-13-01"})
        assert "is not a date" in text
        text, _ = await reply(fake_discord, "digest now", {"date": "2025-02-01"})
        assert "has not happened yet" in text


def test_the_invite_link_printed_by_the_cli_asks_for_what_the_bot_uses():
    from bot.cli import CONNECT_HELP
    from bot.discord.client import PERMISSIONS, invite_url

    assert f"permissions={PERMISSIONS.value}" in CONNECT_HELP
    query = invite_url(1).split("?")[1].replace("client_id=1&", "")
    assert query in CONNECT_HELP.replace("client_id=APPLICATION_ID&", "")
