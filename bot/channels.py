"""Channels that receive a daily digest: their settings, validation, and when they post next.

Plain Python over the store, so `/digest setup` in Discord and any future CLI twin share one set of
rules and one set of error sentences.
"""

from __future__ import annotations

import difflib
import json
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.clock import format_hhmm, parse_hhmm
from bot.store import Store, now_iso
from bot.taxonomy import require_tag

LAYOUTS = ("thread", "channel")


@dataclass(slots=True)
class Channel:
    channel_id: str
    guild_id: str
    post_time: str
    timezone: str
    tags: list[str] = field(default_factory=list)
    layout: str = "thread"
    enabled: bool = True
    disabled_reason: str = ""
    paused: bool = False
    set_up_by: str = ""
    last_day: str = ""
    last_delivered_at: str = ""

    @property
    def active(self) -> bool:
        return self.enabled and not self.paused

    def local_now(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.timezone))

    def post_at(self, day: date) -> datetime:
        """The aware moment this channel posts on ``day`` (its local calendar day), DST-correct."""
        return datetime.combine(day, parse_hhmm(self.post_time), ZoneInfo(self.timezone))

    def next_post(self, now: datetime) -> datetime:
        local = self.local_now(now)
        today_post = self.post_at(local.date())
        return today_post if today_post > now else self.post_at(local.date() + timedelta(days=1))


def parse_post_time(text: str) -> str:
    """``HH:MM`` (24-hour; ``9:5``, ``09.05`` and ``9am``-style forms are refused with the right form)."""
    return format_hhmm(parse_hhmm(text))


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.casefold(): z for z in zoneinfo.available_timezones()}


def parse_timezone(text: str) -> str:
    """An IANA time zone name, case-insensitive; unknown names get the closest real ones."""
    name = (text or "").strip()
    zones = _zones()
    if name.casefold() in zones:
        return zones[name.casefold()]
    close = difflib.get_close_matches(name.casefold(), list(zones), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(zones[c] for c in close)}?" if close else ""
    raise ValueError(f"Unknown time zone {name!r}: use a name like Europe/Berlin, America/New_York or UTC.{hint}")


def parse_tags(text: str | list[str] | None) -> list[str]:
    """Comma-separated tag names → taxonomy spellings; UnknownTagError names the first bad one."""
    if not text:
        return []
    items = text if isinstance(text, list) else text.split(",")
    return list(dict.fromkeys(require_tag(t) for t in items if t.strip()))


class Channels:
    """Channel settings with their rules, over the store's ``channels`` rows (:mod:`bot.store.channels`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows = store.channels

    def _from_row(self, r: dict) -> Channel:
        return Channel(
            channel_id=r["channel_id"], guild_id=r["guild_id"], post_time=r["post_time"], timezone=r["timezone"],
            tags=json.loads(r["tags"]), layout=r["layout"], enabled=bool(r["enabled"]),
            disabled_reason=r["disabled_reason"], paused=bool(r["paused"]), set_up_by=r["set_up_by"],
            last_day=r["last_day"], last_delivered_at=r["last_delivered_at"],
        )

    def get(self, channel_id: str | int) -> Channel | None:
        row = self.rows.get(channel_id)
        return self._from_row(row) if row else None

    def all(self, guild_id: str | int | None = None) -> list[Channel]:
        return [self._from_row(r) for r in self.rows.all(guild_id)]

    def setup(self, *, channel_id: str | int, guild_id: str | int, post_time: str, timezone: str,
              tags: str | list[str] | None = None, layout: str = "thread", user_id: str | int = "") -> Channel:
        """Create or replace a channel's digest settings; a disabled channel is enabled again."""
        if layout not in LAYOUTS:
            raise ValueError(f"Unknown layout {layout!r}: use 'thread' or 'channel'.")
        row = {
            "channel_id": str(channel_id), "guild_id": str(guild_id), "post_time": parse_post_time(post_time),
            "timezone": parse_timezone(timezone), "tags": json.dumps(parse_tags(tags)), "layout": layout,
            "enabled": 1, "disabled_reason": "", "paused": 0, "set_up_by": str(user_id),
        }
        existing = self.get(channel_id)
        if existing is None:
            self.rows.insert(row)
        else:
            self.rows.update(channel_id, row)
        return self.get(channel_id)  # type: ignore[return-value]

    def _set(self, channel_id: str | int, **values: object) -> Channel | None:
        if self.get(channel_id) is None:
            return None
        self.rows.update(channel_id, values)
        return self.get(channel_id)

    def pause(self, channel_id: str | int) -> Channel | None:
        return self._set(channel_id, paused=1)

    def resume(self, channel_id: str | int) -> Channel | None:
        """Resume a paused channel; a disabled one is re-enabled too (the admin says it is fixed)."""
        return self._set(channel_id, paused=0, enabled=1, disabled_reason="")

    def disable(self, channel_id: str | int, reason: str) -> Channel | None:
        return self._set(channel_id, enabled=0, disabled_reason=reason)

    def remove(self, channel_id: str | int) -> bool:
        if self.get(channel_id) is None:
            return False
        self.rows.delete(channel_id)
        return True

    def mark_delivered(self, channel_id: str | int, day: str) -> None:
        self._set(channel_id, last_day=max(day, (self.get(channel_id) or Channel("", "", "", "")).last_day),
                  last_delivered_at=now_iso(self.store.clock))
