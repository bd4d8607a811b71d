"""Channel settings: validation sentences, DST-correct post times, pause/resume/disable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.channels import Channels, parse_post_time, parse_timezone
from bot.scheduler import post_trigger
from bot.store import Store
from bot.taxonomy import UnknownTagError


@pytest.fixture
def channels(db_path):
    with Store(db_path) as store:
        yield Channels(store)


def test_setup_validates_and_normalises(channels):
    ch = channels.setup(channel_id=1, guild_id=9, post_time="9:05", timezone="europe/berlin",
                        tags="multimodal, Text-to-Video", layout="channel", user_id=42)
    assert (ch.post_time, ch.timezone, ch.tags, ch.layout, ch.set_up_by) == (
        "09:05", "Europe/Berlin", ["Multimodal", "Text-to-Video"], "channel", "42")
    assert [c.channel_id for c in channels.all(9)] == ["1"]


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"post_time": "25:00"}, "'25:00' is not a time"),
    ({"post_time": "9am"}, "HH:MM"),
    ({"timezone": "Europe/Berln"}, "Did you mean Europe/Berlin"),
    ({"layout": "grid"}, "Unknown layout"),
])
def test_bad_settings_name_the_problem(channels, kwargs, needle):
    args = {"channel_id": 1, "guild_id": 9, "post_time": "09:00", "timezone": "UTC", **kwargs}
    with pytest.raises(ValueError, match=needle):
        channels.setup(**args)
    assert channels.get(1) is None


def test_unknown_tag_gets_suggestions(channels):
    with pytest.raises(UnknownTagError) as err:
        channels.setup(channel_id=1, guild_id=9, post_time="09:00", timezone="UTC", tags="Multimodel")
    assert "Multimodal" in str(err.value)


def test_pause_resume_disable_remove(channels):
    channels.setup(channel_id=1, guild_id=9, post_time="09:00", timezone="UTC")
    assert channels.pause(1).active is False
    assert channels.resume(1).active is True
    ch = channels.disable(1, "missing permission")
    assert (ch.enabled, ch.disabled_reason) == (False, "missing permission")
    assert channels.resume(1).enabled is True
    assert channels.remove(1) is True and channels.get(1) is None and channels.remove(1) is False
    assert channels.pause(1) is None


def test_post_times_follow_the_local_clock_across_dst(channels):
    ch = channels.setup(channel_id=1, guild_id=9, post_time="09:00", timezone="Europe/Berlin")
    # 2025-03-30: Berlin moves from UTC+1 to UTC+2, so 09:00 local is 08:00 UTC before and 07:00 UTC after.
    before = ch.next_post(datetime(2025, 3, 29, 12, 0, tzinfo=UTC))
    after = ch.next_post(before)
    assert before.astimezone(UTC) == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    trigger = post_trigger(ch)
    fire = trigger.get_next_fire_time(None, datetime(2025, 3, 29, 12, 0, tzinfo=UTC))
    assert fire.astimezone(UTC) == before.astimezone(UTC)
    fire_before_dst = trigger.get_next_fire_time(None, datetime(2025, 3, 28, 12, 0, tzinfo=UTC))
    assert fire_before_dst.astimezone(UTC) == datetime(2025, 3, 29, 8, 0, tzinfo=UTC)


def test_time_and_zone_parsers():
    assert parse_post_time(" 7:30 ") == "07:30"
    assert parse_timezone("utc") == "UTC"
