"""The weekly recap: a channel opts in (``/digest weekly``) and gets the last ISO week's most upvoted papers.

Plain Python over the store and the delivery ledger, no Discord types:
- settings live in ``weekly_recaps`` (:mod:`bot.store.weekly`), validated here with the same rules and
  sentences as the daily digest's (``HH:MM``, IANA zones);
- a recap is posted on its weekday at its local time (an APScheduler ``CronTrigger`` in its time zone,
  so DST never moves it) and carries the ISO week *before* the one it is posted in, however late it
  goes out (a catch-up on Tuesday still posts last week, not this one);
- its messages go through the delivery ledger as target ``weekly:<channel>`` and day ``2025-W04``, so it
  is posted exactly once across restarts, a message caught mid-send is looked up before sending again,
  and a plan cut short is finished on the next start (:meth:`bot.delivery.Deliverer.deliver_plan`);
- the content is :func:`bot.top.run_top` of that week, the ranking ``paperboy top --week`` prints.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.channels import parse_post_time, parse_timezone
from bot.clock import parse_hhmm
from bot.delivery import Deliverer, Outcome, OutcomeKind
from bot.periods import Period, last_full_week, parse_week
from bot.render import NO_MENTIONS, pack_embed_groups, paper_embed, truncate
from bot.store import Store, now_iso
from bot.top import build_top, run_top

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_COUNT = 10
MAX_COUNT = 25


def target_of(channel_id: str | int) -> str:
    """The ledger target of a channel's weekly recap (its daily digest is ``channel:<id>``)."""
    return f"weekly:{channel_id}"


@dataclass(slots=True)
class Recap:
    channel_id: str
    guild_id: str
    weekday: int  # 0 = Monday
    post_time: str
    timezone: str
    count: int = DEFAULT_COUNT
    enabled: bool = True
    disabled_reason: str = ""
    set_up_by: str = ""
    last_week: str = ""
    last_sent_at: str = ""
    created_at: str = ""

    @property
    def day_name(self) -> str:
        return WEEKDAYS[self.weekday].capitalize()

    def trigger(self) -> CronTrigger:
        at = parse_hhmm(self.post_time)
        return CronTrigger(day_of_week=self.weekday, hour=at.hour, minute=at.minute, timezone=self.timezone)

    def local_date(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def post_at(self, now: datetime) -> datetime:
        """This ISO week's post moment (local weekday and time, DST-correct), as an aware datetime."""
        local = self.local_date(now)
        day = local - timedelta(days=local.weekday() - self.weekday)
        return datetime.combine(day, parse_hhmm(self.post_time), ZoneInfo(self.timezone))

    def week_at(self, now: datetime) -> Period:
        """The week a recap sent at ``now`` carries: the ISO week before the local one."""
        return last_full_week(self.local_date(now))


def parse_weekday(text: str) -> int:
    name = (text or "").strip().casefold()
    for i, day in enumerate(WEEKDAYS):
        if name in (day, day[:3]):
            return i
    raise ValueError(f"{text!r} is not a weekday: use monday, tuesday, ... or sunday.")


class WeeklyRecaps:
    """Recap settings with their rules, over the store's ``weekly_recaps`` rows."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows = store.weekly

    @staticmethod
    def _from_row(r: dict) -> Recap:
        return Recap(channel_id=r["channel_id"], guild_id=r["guild_id"], weekday=r["weekday"],
                     post_time=r["post_time"], timezone=r["timezone"], count=r["count"],
                     enabled=bool(r["enabled"]), disabled_reason=r["disabled_reason"], set_up_by=r["set_up_by"],
                     last_week=r["last_week"], last_sent_at=r["last_sent_at"], created_at=r["created_at"])

    def get(self, channel_id: str | int) -> Recap | None:
        row = self.rows.get(channel_id)
        return self._from_row(row) if row else None

    def all(self, guild_id: str | int | None = None) -> list[Recap]:
        return [self._from_row(r) for r in self.rows.all(guild_id)]

    def setup(self, *, channel_id: str | int, guild_id: str | int, day: str, post_time: str, timezone: str,
              count: int = DEFAULT_COUNT, user_id: str | int = "") -> Recap:
        """Create or change a channel's recap (re-enabling it); ValueError names the first bad value."""
        if not 1 <= count <= MAX_COUNT:
            raise ValueError(f"count must be between 1 and {MAX_COUNT}.")
        self.rows.put({"channel_id": str(channel_id), "guild_id": str(guild_id), "weekday": parse_weekday(day),
                       "post_time": parse_post_time(post_time), "timezone": parse_timezone(timezone),
                       "count": count, "enabled": 1, "disabled_reason": "", "set_up_by": str(user_id)})
        return self.get(channel_id)  # type: ignore[return-value]

    def remove(self, channel_id: str | int) -> bool:
        return self.rows.delete(channel_id)

    def disable(self, channel_id: str | int, reason: str) -> None:
        self.rows.update(channel_id, {"enabled": 0, "disabled_reason": reason})

    def mark_sent(self, channel_id: str | int, week: str) -> None:
        recap = self.get(channel_id)
        if recap is not None:
            self.rows.update(channel_id, {"last_week": max(week, recap.last_week),
                                          "last_sent_at": now_iso(self.store.clock)})


def recap_header(period: Period, shown: int, total: int) -> str:
    """The recap's own opening line (only our text: the week label and numbers, nothing untrusted)."""
    return truncate(f"🏆 **The week's best, {period.label}** ({period.since} to {period.until}) — the "
                    f"{shown} most upvoted of {total} paper{'s' if total != 1 else ''} featured that week", 2000)


def plan_recap(store: Store, period: Period, count: int) -> list[dict]:
    """The recap's messages: the header on the first, the top ``count`` papers packed into the fewest
    messages Discord allows (ranked order kept as far as packing allows), or one note for an empty week."""
    result = run_top(store, build_top(period, (), count, max_results=MAX_COUNT))
    if not result.entries:
        text = f"📭 No papers were featured in {period.label} ({period.since} to {period.until})."
        payload = {"content": text, "embeds": [], "allowed_mentions": copy.deepcopy(NO_MENTIONS)}
        return [{"kind": "note", "paper_ids": [], "payload": payload}]
    embeds = [paper_embed(e.paper, day=e.day) for e in result.entries]
    header = recap_header(period, len(result.entries), result.total)
    return [{"kind": "recap", "paper_ids": [result.entries[i].paper.arxiv_id for i in group], "payload": message}
            for message, group in pack_embed_groups(embeds, content=header)]


class WeeklyPoster:
    """Posts recaps over a :class:`Deliverer` and says which are due; the scheduler owns the timing."""

    def __init__(self, store: Store, deliverer: Deliverer) -> None:
        self.store = store
        self.deliverer = deliverer
        self.recaps = WeeklyRecaps(store)

    def jobs(self) -> dict[str, Recap]:
        """Job id → recap for every enabled recap (the scheduler syncs its jobs to this)."""
        return {target_of(r.channel_id): r for r in self.recaps.all() if r.enabled}

    def is_done(self, channel_id: str, week: str) -> bool:
        rows = self.deliverer.ledger.rows(target_of(channel_id), week)
        return bool(rows) and all(r["status"] in ("sent", "failed") for r in rows)

    def due(self, now: datetime) -> list[tuple[str, str]]:
        """(channel, week) of each recap whose post moment this week passed (after it was set up) unsent."""
        out = []
        for recap in self.jobs().values():
            moment = recap.post_at(now)
            set_up = datetime.fromisoformat(recap.created_at) if recap.created_at else None
            if moment > now or (set_up is not None and set_up > moment):
                continue
            week = recap.week_at(now).label
            if not self.is_done(recap.channel_id, week):
                out.append((recap.channel_id, week))
        return out

    async def post(self, channel_id: str, week: str, now: datetime) -> Outcome:
        """Post (or finish posting) ``week``'s recap to the channel; safe to call any number of times."""
        recap = self.recaps.get(channel_id)
        if recap is None or not recap.enabled:
            return Outcome(channel_id, week, OutcomeKind.SKIPPED,
                           detail="no weekly recap" if recap is None else recap.disabled_reason)
        period = parse_week(week)
        outcome = await self.deliverer.deliver_plan(target_of(channel_id), week, channel_id,
                                                    lambda: plan_recap(self.store, period, recap.count))
        if outcome.status == OutcomeKind.DISABLED:
            reason = (f"Disabled on {now.date()}: the bot cannot post here any more ({outcome.detail}). "
                      "Fix it, then run /digest weekly again.")
            self.recaps.disable(channel_id, reason)
            outcome.detail = reason
        elif outcome.status in (OutcomeKind.DELIVERED, OutcomeKind.ALREADY):
            self.recaps.mark_sent(channel_id, week)
        log.info("weekly recap %s to %s: %s (%d sent) %s", week, channel_id, outcome.status, outcome.sent,
                 outcome.detail)
        return outcome
