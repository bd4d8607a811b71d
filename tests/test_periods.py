"""Periods: ISO weeks, months and ranges as inclusive day ranges; one sentence for anything else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.periods import (
    Period,
    PeriodError,
    last_full_week,
    parse_month,
    parse_range,
    parse_week,
    period_containing,
    weeks_covering,
)

days = st.dates(min_value=date(1992, 1, 1), max_value=date(2198, 12, 1))


def test_known_weeks_and_months() -> None:
    assert parse_week("2025-W04") == Period("2025-01-20", "2025-01-26", "2025-W04")
    assert parse_week(" 2025w4 ") == Period("2025-01-20", "2025-01-26", "2025-W04")
    assert parse_week("2026-W53") == Period("2026-12-28", "2027-01-03", "2026-W53")  # 2026 has 53 weeks
    assert parse_week("2025-W01") == Period("2024-12-30", "2025-01-05", "2025-W01")  # starts in 2024
    assert parse_month("2024-02") == Period("2024-02-01", "2024-02-29", "2024-02")
    assert parse_month("2025-12") == Period("2025-12-01", "2025-12-31", "2025-12")
    assert parse_range("2025-01-01", "2025-01-01") == Period("2025-01-01", "2025-01-01", "2025-01-01 to 2025-01-01")
    assert parse_week("2025-W04").describe() == "2025-W04 (2025-01-20 to 2025-01-26)"


@pytest.mark.parametrize(("text", "message"), [
    ("2025-W99", "'2025-W99' is not a week: 2025 has weeks W01 to W52."),
    ("2025-W00", "'2025-W00' is not a week: 2025 has weeks W01 to W52."),
    ("2025-W53", "'2025-W53' is not a week: 2025 has weeks W01 to W52."),
    ("2025-04", "'2025-04' is not a week: write it YYYY-Www, e.g. 2025-W04."),
    ("", "'' is not a week: write it YYYY-Www, e.g. 2025-W04."),
    ("9999-W01", "'9999-W01' is out of range: use a year from 1991 to 2199."),
])
def test_bad_weeks_are_one_sentence(text: str, message: str) -> None:
    with pytest.raises(PeriodError) as err:
        parse_week(text)
    assert str(err.value) == message


@pytest.mark.parametrize(("text", "message"), [
    ("2025-13", "'2025-13' is not a month: months go from 01 to 12."),
    ("2025-00", "'2025-00' is not a month: months go from 01 to 12."),
    ("2025-W04", "'2025-W04' is not a month: write it YYYY-MM, e.g. 2025-01."),
    ("1990-05", "'1990-05' is out of range: use a year from 1991 to 2199."),
])
def test_bad_months_are_one_sentence(text: str, message: str) -> None:
    with pytest.raises(PeriodError) as err:
        parse_month(text)
    assert str(err.value) == message


def test_bad_ranges() -> None:
    with pytest.raises(PeriodError) as err:
        parse_range("2025-02-01", "2025-01-01")
    assert str(err.value) == "--since 2025-02-01 is after --until 2025-01-01."
    with pytest.raises(PeriodError):
        parse_range("2025-02-30", "2025-03-01")


def test_period_containing_a_day_a_label_or_nothing() -> None:
    today = date(2025, 1, 22)  # a Wednesday of 2025-W04
    assert period_containing("week", None, today).label == "2025-W04"
    assert period_containing("month", None, today).label == "2025-01"
    assert period_containing("week", "yesterday", today).label == "2025-W04"
    assert period_containing("week", "2025-01-19", today).label == "2025-W03"  # a Sunday
    assert period_containing("month", "2025-02-28", today) == Period("2025-02-01", "2025-02-28", "2025-02")
    assert period_containing("week", "2025-W10", today).since == "2025-03-03"
    with pytest.raises(PeriodError) as err:
        period_containing("week", "2025-01", today)
    assert str(err.value) == "'2025-01' is a month; for period week give a week (2025-W04) or a day in it."
    with pytest.raises(PeriodError) as err:
        period_containing("month", "2025-W04", today)
    assert str(err.value) == "'2025-W04' is a week; for period month give a month (2025-01) or a day in it."


def test_last_full_week_and_weeks_covering() -> None:
    assert last_full_week(date(2025, 1, 27)).label == "2025-W04"  # Monday: the week that just ended
    assert last_full_week(date(2025, 2, 2)).label == "2025-W04"  # Sunday: still the week before this one
    assert weeks_covering(date(2025, 1, 21), date(2025, 1, 27)) == ["2025-W04", "2025-W05"]
    assert weeks_covering(date(2025, 1, 20), date(2025, 1, 26)) == ["2025-W04"]


@given(days)
def test_a_day_is_inside_its_week_and_month(day: date) -> None:
    w = period_containing("week", day.isoformat(), day)
    m = period_containing("month", day.isoformat(), day)
    assert w.since <= day.isoformat() <= w.until and w.days == 7
    assert date.fromisoformat(w.since).weekday() == 0
    assert m.since <= day.isoformat() <= m.until and m.since[:7] == day.isoformat()[:7]
    assert parse_week(w.label) == w and parse_month(m.label) == m


@given(days)
def test_consecutive_weeks_tile_the_calendar(day: date) -> None:
    w = period_containing("week", day.isoformat(), day)
    nxt = period_containing("week", (date.fromisoformat(w.until) + timedelta(days=1)).isoformat(), day)
    assert date.fromisoformat(nxt.since) == date.fromisoformat(w.until) + timedelta(days=1)


@given(st.text(max_size=30))
def test_any_text_is_a_period_or_one_sentence(text: str) -> None:
    for parse in (parse_week, parse_month):
        try:
            p = parse(text)
        except PeriodError as exc:
            assert str(exc).endswith(".") and "\n" not in str(exc)
        else:
            assert p.since <= p.until
