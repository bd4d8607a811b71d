from datetime import UTC, datetime, time, timedelta

import pytest

from bot.clock import FixedClock, format_hhmm, parse_hhmm, today_in


def test_today_follows_the_named_zone_not_the_host():
    clock = FixedClock(datetime(2025, 1, 24, 23, 30, tzinfo=UTC))
    assert today_in("UTC", clock).isoformat() == "2025-01-24"
    assert today_in("Pacific/Auckland", clock).isoformat() == "2025-01-25"
    assert today_in("America/Los_Angeles", clock).isoformat() == "2025-01-24"


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2025, 3, 30, 0, 59, tzinfo=UTC))
    clock.advance(timedelta(minutes=2))
    assert clock.now() == datetime(2025, 3, 30, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.set(datetime(2025, 1, 1))


@pytest.mark.parametrize("text,expected", [("09:00", time(9, 0)), ("9:05", time(9, 5)), (" 23:59 ", time(23, 59))])
def test_hhmm_accepts_24_hour_times(text, expected):
    assert parse_hhmm(text) == expected
    assert format_hhmm(parse_hhmm(text)) == f"{expected.hour:02d}:{expected.minute:02d}"


@pytest.mark.parametrize("text", ["9:5", "09.05", "9am", "24:00", "12:60", "", "noon"])
def test_hhmm_refuses_other_forms_in_one_sentence(text):
    with pytest.raises(ValueError) as e:
        parse_hhmm(text)
    assert str(e.value) == f"{text!r} is not a time: use 24-hour HH:MM, for example 09:00 or 17:30."
