"""When things happen: the daily fetch, each channel's post at its own local time, catch-up after downtime.

APScheduler 3.x (``AsyncIOScheduler``) with a ``CronTrigger`` per channel in the channel's own time
zone, so 09:00 Europe/Berlin stays 09:00 across DST changes. Jobs are re-synced from the
``channels`` table whenever an admin changes something, so no restart is needed. Posting twice is
impossible whatever the scheduler does (misfires, catch-up, manual /digest now): the delivery ledger
decides what still needs sending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.channels import Channel, Channels
from bot.clock import SYSTEM_CLOCK, Clock, parse_hhmm, today_in
from bot.config import Settings
from bot.delivery import Deliverer, Outcome, OutcomeKind
from bot.store import Store
from bot.weekly import WeeklyPoster

log = logging.getLogger(__name__)

FetchFn = Callable[[str], Awaitable[Any]]
LOOKBACK_DAYS = 3  # a post carries at most a day this old: a weekend, or a channel ahead of UTC
MAX_RETRIES = 12  # every 10 minutes: two hours of a Discord outage


def after(delay: timedelta) -> DateTrigger:
    """A one-off job ``delay`` from now. APScheduler's timer fires jobs by the host's clock, so this one
    "now" is the host's (``SYSTEM_CLOCK``): a timer set by the injected clock would fire at once, or
    be dropped as missed, whenever that clock is not the host's."""
    return DateTrigger(SYSTEM_CLOCK.now() + delay)


def post_trigger(channel: Channel) -> CronTrigger:
    at = parse_hhmm(channel.post_time)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=channel.timezone)


class DigestScheduler:
    """Owns the APScheduler instance; every job calls into the core (fetch, deliver)."""

    def __init__(self, store: Store, settings: Settings, deliverer: Deliverer, fetch: FetchFn,
                 *, clock: Clock = SYSTEM_CLOCK, refresh: FetchFn | None = None) -> None:
        self.store = store
        self.settings = settings
        self.deliverer = deliverer
        self.fetch = fetch
        #: Before the daily fetch: raise the upvotes of the last 7 days (bot.upvotes), given the day fetched.
        self.refresh = refresh
        self.channels = Channels(store)
        self.weekly = WeeklyPoster(store, deliverer)
        #: Every "now" of the scheduler (which day a post carries, whether a post time has passed, when
        #: to look again); APScheduler's own timer still fires the jobs by the host's time.
        self.clock = clock
        self.scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600})
        self._rechecks_left = 0
        self._fetching: dict[str, asyncio.Future] = {}
        self._fetched_at: dict[str, datetime] = {}
        self._retries: dict[str, int] = {}

    # ---- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        s = self.settings.schedule
        at = parse_hhmm(s.fetch_time)
        self.scheduler.add_job(self.daily_fetch, CronTrigger(hour=at.hour, minute=at.minute, timezone=s.timezone),
                               id="fetch", replace_existing=True)
        self.sync()
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def sync(self) -> None:
        """Make the per-channel jobs match the channels table (called after every admin change)."""
        wanted = {f"post:{c.channel_id}": c for c in self.channels.all() if c.active}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("post:") and job.id not in wanted:
                job.remove()
        for job_id, channel in wanted.items():
            self.scheduler.add_job(self.post, post_trigger(channel), args=[channel.channel_id], id=job_id,
                                   replace_existing=True)
        recaps = self.weekly.jobs()  # the weekly recaps (bot.weekly): one job each, in its own time zone
        for job in self.scheduler.get_jobs():
            if job.id.startswith("weekly:") and job.id not in recaps:
                job.remove()
        for job_id, recap in recaps.items():
            self.scheduler.add_job(self.post_weekly, recap.trigger(), args=[recap.channel_id], id=job_id,
                                   replace_existing=True)

    def now(self) -> datetime:
        return self.clock.now()

    def next_weekly(self, channel_id: str) -> datetime | None:
        job = self.scheduler.get_job(f"weekly:{channel_id}")
        return job.trigger.get_next_fire_time(None, self.now()) if job is not None else None

    async def post_weekly(self, channel_id: str, week: str | None = None) -> Outcome:
        """A channel's weekly recap: ``week`` (``2025-W04``), by default the ISO week before this one."""
        recap = self.weekly.recaps.get(channel_id)
        if week is None:
            if recap is None:
                return Outcome(channel_id, "", OutcomeKind.SKIPPED, detail="no weekly recap")
            week = recap.week_at(self.now()).label
        try:
            outcome = await self.weekly.post(channel_id, week, self.now())
        except Exception as exc:  # a bug in one recap must not stop the others
            log.exception("weekly recap %s to %s failed", week, channel_id)
            outcome = Outcome(channel_id, week, OutcomeKind.RETRY_LATER, detail=str(exc))
        if outcome.status == OutcomeKind.RETRY_LATER:
            self._retry_later(self.post_weekly, [channel_id, week], f"retry-weekly:{channel_id}:{week}")
        if outcome.status == OutcomeKind.DISABLED:
            self.sync()
        return outcome

    def next_post(self, channel_id: str) -> datetime | None:
        """When the channel's job fires next, by the scheduler's clock (in the channel's time zone)."""
        job = self.scheduler.get_job(f"post:{channel_id}")
        if job is None:
            return None
        return job.trigger.get_next_fire_time(None, self.now())

    # ---- jobs -----------------------------------------------------------------------------------

    def channel_day(self, channel: Channel, at: datetime | None = None) -> str:
        """The day a channel's post carries: the newest day with papers, from its local date back at most
        ``LOOKBACK_DAYS``, that it has not had yet; otherwise its local date (which gets the short note).

        Why not simply the local date: Hugging Face's day follows UTC, so a channel ahead of UTC (Tokyo,
        Auckland) posts before its local day has any papers; it gets the newest day it has not seen.
        """
        local = channel.local_now(at or self.now()).date()
        lo = (local - timedelta(days=LOOKBACK_DAYS)).isoformat()
        days = [d for d in self.store.days_with_papers(lo, local.isoformat()) if d > channel.last_day]
        return days[-1] if days else local.isoformat()

    async def ensure_fetched(self, day: str) -> None:
        """Fetch ``day`` unless the store has it (a post time earlier than the daily fetch).

        One fetch per day at a time, and not again within ten minutes: a hundred channels posting at
        09:00 on a weekend must not each ask Hugging Face for the same empty day.
        """
        if day in self.store.fetched_days("hf") or self.store.days_with_papers(day, day):
            return
        running = self._fetching.get(day)
        if running is None:
            last = self._fetched_at.get(day)
            if last is not None and (self.now() - last) < timedelta(minutes=10):
                return
            running = self._fetching[day] = asyncio.ensure_future(self._fetch_once(day))
        await asyncio.shield(running)

    async def _fetch_once(self, day: str) -> None:
        try:
            await self.fetch(day)
        except Exception as exc:  # upstream down: post what the store has, or the empty-day note
            log.warning("could not fetch %s before posting: %s", day, exc)
        finally:
            self._fetched_at[day] = self.now()
            self._fetching.pop(day, None)

    async def post(self, channel_id: str, day: str | None = None) -> Outcome:
        channel = self.channels.get(channel_id)
        if channel is None:
            return Outcome(channel_id, day or "", OutcomeKind.SKIPPED, detail="not set up")
        if day is None:
            await self.ensure_fetched(channel.local_now(self.now()).date().isoformat())
            day = self.channel_day(channel)
        else:
            await self.ensure_fetched(day)
        try:
            outcome = await self.deliverer.deliver(channel_id, day)
        except Exception as exc:  # a bug in one channel's delivery must not stop the others
            log.exception("delivery of %s to %s failed", day, channel_id)
            outcome = Outcome(channel_id, day, OutcomeKind.RETRY_LATER, detail=str(exc))
        log.info("post %s to %s: %s (%d sent) %s", day, channel_id, outcome.status, outcome.sent, outcome.detail)
        if outcome.status == OutcomeKind.RETRY_LATER:
            self._retry_later(self.post, [channel_id, day], f"retry:{channel_id}:{day}")
        if outcome.status == OutcomeKind.DISABLED:
            self.sync()
        if outcome.status == OutcomeKind.DELIVERED and channel.layout == "thread":
            # Subscribers whose DMs were closed at the morning fan-out can be mentioned now the thread exists.
            await self.deliverer.retry_fallbacks(day)
        return outcome

    def _retry_later(self, func: Callable[..., Awaitable[Any]], args: list, job_id: str) -> None:
        """Try again in ten minutes, at most ``MAX_RETRIES`` times a day per job: no endless loops."""
        tries = self._retries[job_id] = self._retries.get(job_id, 0) + 1
        if tries > MAX_RETRIES:
            log.error("%s gave up after %d retries; it is tried again at the next start or post", job_id,
                      MAX_RETRIES)
            return
        self.scheduler.add_job(func, after(timedelta(minutes=10)), args=args,
                               id=job_id, replace_existing=True)

    async def daily_fetch(self, *, recheck: bool = False) -> int:
        """Fetch today; if the list is still empty, look again a few times before giving up."""
        s = self.settings.schedule
        day = today_in(s.timezone, self.clock).isoformat()
        if not recheck:
            self._rechecks_left = s.recheck_times
            await self._refresh_upvotes(day)
        try:
            result = await self.fetch(day)
            count = len(result.papers)
        except Exception as exc:
            log.warning("daily fetch of %s failed: %s", day, exc)
            count = 0
        if count == 0 and self._rechecks_left > 0:
            self._rechecks_left -= 1
            when = after(timedelta(minutes=s.recheck_minutes))
            self.scheduler.add_job(self.daily_fetch, when, kwargs={"recheck": True},
                                   id="fetch-recheck", replace_existing=True)
            log.info("no papers for %s yet; looking again in %d minutes", day, s.recheck_minutes)
        elif count > 0:
            if self.scheduler.get_job("fetch-recheck") is not None:
                self.scheduler.remove_job("fetch-recheck")
            # Channels whose post time already passed (with only a short note, or nothing) get the papers
            # now, and subscribers their DMs: catch-up does both, and the ledger skips what was sent.
            await self.catch_up()
        elif count == 0:
            log.warning("no papers for %s after %d re-checks; channels get the empty-day note", day,
                        s.recheck_times)
        return count

    async def _refresh_upvotes(self, day: str) -> None:
        """Once a day, before the fetch (which stores the new day's counts itself): the recent days' upvotes."""
        if self.refresh is None:
            return
        try:
            await self.refresh(day)
        except Exception as exc:  # the counts stay as they were until tomorrow's refresh
            log.warning("refreshing the upvotes of the days before %s failed: %s", day, exc)

    async def resume_unfinished(self) -> list[Outcome]:
        """Finish every digest (and DM) the ledger shows planned but not all sent, whatever started it.

        A channel's unfinished days go oldest first, one after another, so its days stay in order;
        channels go concurrently, so one slow channel holds up no other.
        """
        pending: dict[str, list[str]] = {}
        for target, day in self.deliverer.ledger.unfinished():
            pending.setdefault(target, []).append(day)
        if pending:
            log.info("finishing %d digest(s) cut short: %s", sum(map(len, pending.values())),
                     ", ".join(f"{t} {d}" for t, days in pending.items() for d in days))

        async def one(target: str, days: list[str]) -> list[Outcome]:
            kind, _, ident = target.partition(":")
            done = []
            for day in days:
                if kind == "channel":
                    done.append(await self.post(ident, day))
                elif kind == "weekly":
                    done.append(await self.post_weekly(ident, day))
                elif kind == "dm":  # the plan is in the ledger, so the tags no longer matter
                    try:
                        done.append(await self.deliverer.deliver_dm(ident, [], day))
                    except Exception as exc:  # one person's failure never stops the others
                        log.exception("finishing the DM of %s to %s failed", day, ident)
                        done.append(Outcome(ident, day, OutcomeKind.RETRY_LATER, detail=str(exc)))
            return done  # "fallback:" mentions are retried with their thread (retry_fallbacks)

        results = await asyncio.gather(*(one(t, days) for t, days in pending.items()))
        return [o for outcomes in results for o in outcomes]

    async def catch_up(self) -> list[Outcome]:
        """After a start: digests cut short are finished first (oldest first), then each channel whose
        post time already passed today gets today's digest once."""
        resumed = await self.resume_unfinished()
        now = self.now()
        due: list[str] = []
        day_of: dict[str, str] = {}
        for channel in self.channels.all():
            if not channel.active:
                continue
            local = channel.local_now(now)
            if channel.post_at(local.date()) > now:
                continue
            await self.ensure_fetched(local.date().isoformat())
            day = self.channel_day(channel, now)
            if self.deliverer.is_done(channel, day):
                continue
            due.append(channel.channel_id)
            day_of[channel.channel_id] = day
        for day in sorted(set(day_of.values())):
            await self.ensure_fetched(day)
        if due:
            log.info("catching up %d channel(s) whose post time passed while the bot was down", len(due))
        # Concurrently: one slow or broken channel never holds up the others.
        outcomes = list(await asyncio.gather(*(self.post(cid, day_of[cid]) for cid in due)))
        # Weekly recaps whose moment this week passed while the bot was down (bot.weekly), once each.
        outcomes += await asyncio.gather(*(self.post_weekly(cid, week) for cid, week in self.weekly.due(now)))
        today = today_in(self.settings.schedule.timezone, self.clock).isoformat()
        if self.store.days_with_papers(today, today):
            await self.fan_out(today)  # DMs a restart may have cut short; the ledger skips those sent
        return resumed + outcomes

    async def fan_out(self, day: str) -> list[Outcome]:
        """Subscribers' DMs for ``day``, once the day's papers are stored."""
        outcomes = await self.deliverer.fan_out(day, cap=self.settings.discord.dm_daily_cap)
        if any(o.status == OutcomeKind.RETRY_LATER for o in outcomes):
            self._retry_later(self.fan_out, [day], f"fan-out:{day}")
        sent = sum(o.status == OutcomeKind.DELIVERED for o in outcomes)
        closed = sum(o.status == OutcomeKind.DM_CLOSED for o in outcomes)
        log.info("DMs for %s: %d sent, %d closed, %d other", day, sent, closed, len(outcomes) - sent - closed)
        return outcomes

