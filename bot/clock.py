"""The one clock, the one "today" and the one "HH:MM" of paperboy.

Every part of the core that needs the time takes a :class:`Clock` instead of calling
``datetime.now()``, so tests can pin the moment (a DST morning, midnight in Auckland) and the
scheduler, delivery, search and CLI all agree on what "today" is: the calendar date in a named
time zone, never the host's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Something that says what time it is (aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock: the only place in the core that reads the host's time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK: Clock = SystemClock()


@dataclass
class FixedClock:
    """A clock that stands still until moved; for tests and replays."""

    at: datetime = field(default_factory=lambda: datetime(2025, 1, 24, 12, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")

    def now(self) -> datetime:
        return self.at.astimezone(UTC)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


def today_in(tz: str, clock: Clock = SYSTEM_CLOCK) -> date:
    """Today's date where the time zone ``tz`` says it is (not the host's zone)."""
    return clock.now().astimezone(ZoneInfo(tz)).date()


_HHMM = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")


def parse_hhmm(text: str) -> time:
    """A 24-hour ``HH:MM`` time; ``ValueError`` (with the right form in the message) otherwise.

    ``9:05`` is accepted as 09:05; ``9:5``, ``09.05``, ``9am`` and ``24:00`` are refused.
    """
    m = _HHMM.fullmatch(text or "") if isinstance(text, str) else None
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time: use 24-hour HH:MM, for example 09:00 or 17:30.")
    return time(int(m.group(1)), int(m.group(2)))


def format_hhmm(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"
