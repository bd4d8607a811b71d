"""Periods of featured days: an ISO week, a calendar month or a range, as an inclusive day range.

Shared by ``paperboy top``, ``/top`` and the weekly recap, so a week means the same days everywhere and
every refusal is the same one sentence. Weeks are ISO 8601 (Monday to Sunday, written ``2025-W04``,
week 01 holds the year's first Thursday), months are calendar months (``2025-01``). Days go by the day
a paper was featured, never arXiv's publication date. No Discord, no store here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.models import FIRST_DAY, LAST_DAY, parse_day

_WEEK_RE = re.compile(r"(\d{4})-?[Ww](\d{1,2})")
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})")
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}|today|yesterday", re.IGNORECASE)
KINDS = ("week", "month")


class PeriodError(ValueError):
    """A period we refuse, with the one sentence to show."""


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of days (``YYYY-MM-DD``) and how to name it (``2025-W04``, ``2025-01``, a range)."""

    since: str
    until: str
    label: str

    @property
    def days(self) -> int:
        return (date.fromisoformat(self.until) - date.fromisoformat(self.since)).days + 1

    def describe(self) -> str:
        """``2025-W04 (2025-01-20 to 2025-01-26)``: the label with the days it covers."""
        span = f"{self.since} to {self.until}"
        return self.label if self.label == span else f"{self.label} ({span})"


def weeks_in(year: int) -> int:
    """52 or 53: the ISO week of 28 December is always the year's last."""
    return date(year, 12, 28).isocalendar().week


def _check_year(year: int, text: str) -> None:
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise PeriodError(f"{text!r} is out of range: use a year from {FIRST_DAY.year} to {LAST_DAY.year}.")


def week(year: int, number: int) -> Period:
    """ISO week ``number`` of ``year`` (its Monday to its Sunday)."""
    monday = date.fromisocalendar(year, number, 1)
    return Period(monday.isoformat(), (monday + timedelta(days=6)).isoformat(), f"{year}-W{number:02d}")


def week_of(day: date) -> Period:
    iso = day.isocalendar()
    return week(iso.year, iso.week)


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    nxt = date(year + (number == 12), number % 12 + 1, 1)
    return Period(first.isoformat(), (nxt - timedelta(days=1)).isoformat(), f"{year}-{number:02d}")


def parse_week(text: str) -> Period:
    """``YYYY-Www`` (``2025-W04``; ``2025W04`` and ``2025-w4`` too) → the week's seven days."""
    t = (text or "").strip()
    m = _WEEK_RE.fullmatch(t)
    if not m:
        raise PeriodError(f"{t[:40]!r} is not a week: write it YYYY-Www, e.g. 2025-W04.")
    year, number = int(m[1]), int(m[2])
    _check_year(year, t)
    last = weeks_in(year)
    if not 1 <= number <= last:
        raise PeriodError(f"{t!r} is not a week: {year} has weeks W01 to W{last}.")
    return week(year, number)


def parse_month(text: str) -> Period:
    """``YYYY-MM`` (``2025-01``) → the month's days."""
    t = (text or "").strip()
    m = _MONTH_RE.fullmatch(t)
    if not m:
        raise PeriodError(f"{t[:40]!r} is not a month: write it YYYY-MM, e.g. 2025-01.")
    year, number = int(m[1]), int(m[2])
    _check_year(year, t)
    if not 1 <= number <= 12:
        raise PeriodError(f"{t!r} is not a month: months go from 01 to 12.")
    return month(year, number)


def parse_range(since: str, until: str, today: date | None = None) -> Period:
    """``since``..``until`` inclusive (``YYYY-MM-DD``, ``today`` or ``yesterday``); since must not be after until."""
    try:
        lo, hi = parse_day(since, today), parse_day(until, today)
    except ValueError as exc:
        raise PeriodError(str(exc)) from None
    for d in (lo, hi):
        if not FIRST_DAY.isoformat() <= d <= LAST_DAY.isoformat():
            raise PeriodError(f"{d} is out of range: use a day from {FIRST_DAY} to {LAST_DAY}.")
    if lo > hi:
        raise PeriodError(f"--since {lo} is after --until {hi}.")
    return Period(lo, hi, f"{lo} to {hi}")


def period_containing(kind: str, when: str | None, today: date) -> Period:
    """The ``kind`` ("week" or "month") that holds ``when``: that period itself (``2025-W04``, ``2025-01``),
    or a day inside it (``2025-01-22``, ``today``, ``yesterday``). No ``when``: the one holding ``today``."""
    if kind not in KINDS:
        raise PeriodError(f"Unknown period {kind!r}: use week or month.")
    text = (when or "").strip()
    if not text:
        return week_of(today) if kind == "week" else month_of(today)
    if _DAY_RE.fullmatch(text):
        try:
            day = date.fromisoformat(parse_day(text, today))
        except ValueError as exc:
            raise PeriodError(str(exc)) from None
        _check_year(day.year, text)
        return week_of(day) if kind == "week" else month_of(day)
    if kind == "week":
        if _MONTH_RE.fullmatch(text):
            raise PeriodError(f"{text!r} is a month; for period week give a week (2025-W04) or a day in it.")
        return parse_week(text)
    if _WEEK_RE.fullmatch(text):
        raise PeriodError(f"{text!r} is a week; for period month give a month (2025-01) or a day in it.")
    return parse_month(text)


def last_full_week(today: date) -> Period:
    """The ISO week before the one ``today`` is in: what a weekly recap sent during this week covers."""
    return week_of(today - timedelta(days=7))


def weeks_covering(since: date, until: date) -> list[str]:
    """Labels of the ISO weeks that the days ``since``..``until`` touch, oldest first (``["2025-W03", ...]``)."""
    labels: list[str] = []
    day = since
    while day <= until:
        label = week_of(day).label
        if label not in labels:
            labels.append(label)
        day += timedelta(days=1)
    return labels
