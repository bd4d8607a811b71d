"""Posting a day's digest to a channel exactly once, whatever fails: the delivery ledger.

Every message the bot intends to send is written to ``deliveries`` (with its exact payload and the
ids of the papers it carries) before anything is sent, then marked with its Discord message id after.
A restart re-reads the plan and continues after the last sent message. Just before a send the row
records a snowflake for "now, less the clock skew we allow" (``sent_after``); a message caught
mid-send (status ``sending``) is looked for in the channel's history *after* that snowflake, page by
page, until past the send — so it is found however many messages came after it — and only sent again
if it is not there. Retries within a few minutes also carry a nonce Discord itself de-duplicates.

The Discord side is a :class:`Sender`: the bot implements it over discord.py, tests over the fake.
A 403 or 404 disables the channel with its reason (a broken channel must not be retried forever:
Discord bans bots that keep making invalid requests) and tells the admin; 5xx and timeouts are
retried with backoff and then left for the next run. One channel never holds up another.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.channels import Channel, Channels
from bot.clock import SYSTEM_CLOCK, Clock
from bot.render import digest_messages, escape_markdown, mention_message, neutralize_mentions, thread_name
from bot.store import Ledger, Store
from bot.subscriptions import Subscriptions, plan_dm, role_mention_plan

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000
#: How far our clock may be off Discord's (NTP keeps real hosts within a second or two).
CLOCK_SKEW = timedelta(minutes=2)
#: A message Discord creates for a send was created within this time after the send began (discord.py
#: waits out rate limits and retries 5xx inside one send, so this is minutes, not seconds).
SEND_WINDOW = timedelta(minutes=15)
#: History requests one lookup may make (100 messages each): the bound on a lookup's cost.
LOOKUP_PAGES = 10
PAGE_SIZE = 100


def snowflake_at(moment: datetime) -> int:
    """The smallest Discord snowflake of ``moment`` (ids sort by creation time)."""
    return max(0, int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


class SendError(Exception):
    """A failed Discord call, classified: ``forbidden`` (403), ``not_found`` (404), ``invalid`` (another
    4xx: retrying cannot help), ``transient`` (5xx, timeouts). ``code`` is Discord's JSON error code."""

    def __init__(self, kind: str, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


THREAD_ALREADY_CREATED = 160004  # Discord: a thread already exists under this message


class Sender(Protocol):
    """What delivery needs from Discord; raise :class:`SendError` on failure."""

    async def send(self, channel_id: str, payload: dict, *, nonce: str) -> str:
        """Post a message; returns its id."""

    async def create_thread(self, channel_id: str, message_id: str, name: str) -> str:
        """Start a public thread under a message; returns the thread's id."""

    async def messages_after(self, channel_id: str, after: str, limit: int = PAGE_SIZE) -> list[dict]:
        """One history request: the ``limit`` oldest messages newer than the snowflake ``after``, oldest
        first, as ``{"id", "mine", "content", "embeds", "nonce"}`` dicts (``mine``: sent by this bot)."""

    async def notify_admin(self, user_id: str, text: str) -> None:
        """Tell the admin who set up a channel that something needs them (DM; may fail silently)."""

    async def open_dm(self, user_id: str) -> str:
        """The id of the DM channel with a user (opening it if needed)."""


class OutcomeKind(StrEnum):
    """How one delivery call ended. Every table keyed by it must cover it all (see :func:`exhaustive`)."""

    DELIVERED = "delivered"  # everything planned is in Discord now (``sent`` of it by this call)
    ALREADY = "already"  # everything was, before this call
    SKIPPED = "skipped"  # not set up, paused, disabled earlier, or nothing matched (DMs)
    DISABLED = "disabled"  # a 403/404 just disabled the channel; the admin was told
    THREAD_GONE = "thread_gone"  # the day's thread was deleted or locked: the rest of that day is lost
    RETRY_LATER = "retry_later"  # Discord trouble: paused, tried again later
    DM_CLOSED = "dm_closed"  # the subscriber does not accept DMs (not retried that day)


T = TypeVar("T")


def exhaustive(table: Mapping[OutcomeKind, T], what: str) -> Mapping[OutcomeKind, T]:
    """``table`` if it has an entry for every :class:`OutcomeKind`; raises at import time otherwise, so a
    new outcome cannot reach a user as a ``KeyError``."""
    missing = [k.value for k in OutcomeKind if k not in table]
    if missing:
        raise TypeError(f"{what} has no entry for {', '.join(missing)}")
    return table


@dataclass(slots=True)
class Outcome:
    channel_id: str
    day: str
    status: OutcomeKind
    sent: int = 0
    detail: str = ""


def target_of(channel_id: str) -> str:
    return f"channel:{channel_id}"


def nonce_for(target: str, day: str, seq: int) -> str:
    """≤ 25 characters, the same for the same planned message across restarts."""
    return hashlib.sha1(f"{target}|{day}|{seq}".encode()).hexdigest()[:25]


def _fingerprint(message: dict) -> tuple:
    """What identifies a planned message in the channel: Discord keeps no nonce, but content, titles and
    footers (each paper's footer names it) are unique to one message of one day's plan."""
    embeds = message.get("embeds") or []
    return (message.get("content") or "", tuple((e.get("title"), (e.get("footer") or {}).get("text")) for e in embeds))


def plan_channel(store: Store, channel: Channel, day: str) -> list[dict]:
    """The messages ``channel`` gets for ``day``: its tag filter, its layout, one note if nothing matched.

    When the server maps tags to roles (``/digest role``), one message right after the header pings
    each role whose tag is among the day's papers, once; it is the only message allowed to ping.
    Each message carries the ids of its papers as data, from the renderer.
    """
    papers = store.papers_on(day, channel.tags)
    messages = digest_messages(day, papers, layout=channel.layout, highlight_tags=channel.tags)
    roles = role_mention_plan(store, channel.guild_id, day, [p.tags for p in papers]) if papers else None
    if not papers:
        return [{"kind": "note", "paper_ids": [], "payload": messages[0][0]}]
    plan: list[dict] = []
    for i, (message, ids) in enumerate(messages):
        if i == 0:
            item = {"kind": "header", "paper_ids": list(ids), "payload": message}
            if channel.layout == "thread":
                item["thread_name"] = thread_name(day, len(papers))
            plan.append(item)
            if roles:
                plan.append({"kind": "roles", "paper_ids": [], "payload": roles})
        else:
            plan.append({"kind": "paper" if channel.layout == "thread" else "pack", "paper_ids": list(ids),
                         "payload": message})
    return plan


class Deliverer:
    """Runs a channel's plan against a :class:`Sender`, writing every step to the ledger."""

    def __init__(self, store: Store, sender: Sender, *, clock: Clock = SYSTEM_CLOCK, retries: int = 3,
                 backoff: float = 2.0) -> None:
        self.store = store
        self.sender = sender
        self.channels = Channels(store)
        self.ledger = Ledger(store, clock)
        self.retries = retries
        self.backoff = backoff
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def clock(self) -> Clock:
        """The time every ledger stamp and every send's snowflake comes from (one clock for both)."""
        return self.ledger.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.ledger.clock = clock

    async def deliver(self, channel_id: str | int, day: str) -> Outcome:
        """Deliver (or finish delivering) ``day`` to a channel. Safe to call any number of times."""
        cid = str(channel_id)
        lock = self._locks.setdefault(cid, asyncio.Lock())
        async with lock:
            return await self._deliver(cid, day)

    def _only_a_note(self, rows: list[dict], channel: Channel, day: str) -> bool:
        """The day got just the short "no papers" note, but papers for it are stored now."""
        return bool(rows) and all(r["kind"] == "note" for r in rows) and bool(self.store.papers_on(day, channel.tags))

    def is_done(self, channel: Channel, day: str) -> bool:
        """Everything planned for the day was sent (or failed for good), and no papers came after a note."""
        rows = self.ledger.rows(target_of(channel.channel_id), day)
        return bool(rows) and all(r["status"] in ("sent", "failed") for r in rows) and \
            not self._only_a_note(rows, channel, day)

    async def _deliver(self, cid: str, day: str) -> Outcome:
        channel = self.channels.get(cid)
        if channel is None or not channel.active:
            reason = "not set up" if channel is None else (channel.disabled_reason or "paused")
            return Outcome(cid, day, OutcomeKind.SKIPPED, detail=reason)
        target = target_of(cid)
        rows = self.ledger.rows(target, day)
        if not rows or self._only_a_note(rows, channel, day):
            # A note posted before the day's papers arrived is provisional: the papers follow it.
            plan = [p for p in plan_channel(self.store, channel, day) if p["kind"] != "note" or not rows]
            names = {p.get("thread_name", "") for p in plan} - {""}
            rows = self.ledger.append_plan(target, day, plan)
            for row in rows:
                row["thread_name"] = next(iter(names), "") if row["kind"] == "header" else ""
        if all(r["status"] in ("sent", "failed") for r in rows):
            if any(r["kind"] != "note" and r["status"] == "sent" for r in rows) and channel.last_day < day:
                # Cut off after the last send but before it was recorded: the day is done, say so, or
                # the channel would be offered this day again instead of the next one.
                self.channels.mark_delivered(cid, day)
            return Outcome(cid, day, OutcomeKind.ALREADY)
        thread_id = next((r["thread_id"] for r in rows if r["kind"] == "header" and r["thread_id"]), "")
        sent = 0
        for row in rows:
            if row["status"] == "failed":
                continue
            in_thread = channel.layout == "thread" and row["kind"] in ("paper", "roles")
            try:
                if row["status"] != "sent":
                    dest = thread_id if in_thread else cid
                    if in_thread and not thread_id:
                        raise SendError("transient", "the day's thread could not be created yet")
                    message_id = await self._send_once(target, day, row, dest, json.loads(row["payload"]))
                    self.ledger.mark(target, day, row["seq"], status="sent", message_id=message_id,
                                     sent_at=self.ledger.stamp(), error="")
                    row["status"], row["message_id"] = "sent", message_id
                    sent += 1
                if row["kind"] == "header" and channel.layout == "thread" and not thread_id and \
                        any(r["kind"] == "paper" for r in rows):
                    thread_id = await self._start_thread(cid, day, row, rows)
            except SendError as exc:
                self.ledger.mark(target, day, row["seq"], error=str(exc)[:500])
                if in_thread and thread_id and exc.kind in ("forbidden", "not_found"):
                    # The thread was deleted or locked, not the channel: the rest of the day is lost
                    # there, so say so in the ledger and the log instead of disabling the channel.
                    self._fail_rest(target, day, rows, f"the day's thread is gone or locked ({exc})")
                    log.error("digest %s for %s: thread %s unusable, %d messages not sent: %s", day, cid,
                              thread_id, sum(r["status"] != "sent" for r in rows), exc)
                    return Outcome(cid, day, OutcomeKind.THREAD_GONE, sent, str(exc))
                if exc.kind in ("forbidden", "not_found"):
                    return await self._disable(channel, day, exc, sent)
                if exc.kind == "invalid":  # Discord refused this message for good; the others still go
                    log.error("digest %s for %s: message %d refused: %s", day, cid, row["seq"], exc)
                    self.ledger.mark(target, day, row["seq"], status="failed")
                    row["status"] = "failed"
                    continue
                log.warning("digest %s for channel %s paused after %d messages: %s", day, cid, sent, exc)
                return Outcome(cid, day, OutcomeKind.RETRY_LATER, sent, str(exc))
        if any(r["kind"] != "note" for r in rows):
            self.channels.mark_delivered(cid, day)
        return Outcome(cid, day, OutcomeKind.DELIVERED, sent)

    async def _start_thread(self, cid: str, day: str, header: dict, rows: list[dict]) -> str:
        name = header.get("thread_name") or thread_name(day, sum(r["kind"] == "paper" for r in rows))
        try:
            thread_id = await self._retrying(self.sender.create_thread, cid, header["message_id"], name)
        except SendError as exc:
            if exc.code != THREAD_ALREADY_CREATED:
                raise
            thread_id = header["message_id"]  # created before a crash: a message's thread has its id
        self.ledger.mark(target_of(cid), day, header["seq"], thread_id=thread_id)
        return thread_id

    def _fail_rest(self, target: str, day: str, rows: list[dict], reason: str) -> None:
        for r in rows:
            if r["status"] != "sent":
                self.ledger.mark(target, day, r["seq"], status="failed", error=reason[:500])
                r["status"] = "failed"

    async def _send_once(self, target: str, day: str, row: dict, dest: str, payload: dict) -> str:
        """Send a planned message unless it is already in the channel (a crash between send and mark).

        A row left ``sending`` by a crash is looked up first; if Discord cannot be asked right now the
        send waits (a ``transient`` error) rather than risk a second copy.
        """
        if row["status"] == "sending":
            found = await self._find_sent(dest, row, payload)
            if found:
                log.info("message %s/%s/%d was already sent before a restart", target, day, row["seq"])
                return found
        sent_after = str(snowflake_at(self.clock.now() - CLOCK_SKEW))
        self.ledger.mark(target, day, row["seq"], status="sending", attempts=row["attempts"] + 1,
                         sent_after=sent_after)
        row["status"], row["sent_after"] = "sending", sent_after
        # Retries within _retrying come seconds apart: the nonce (enforced by Discord for a few minutes)
        # makes a retried send that did land return that message instead of a second one.
        nonce = nonce_for(target, day, row["seq"])
        return await self._retrying(self.sender.send, dest, payload, nonce=nonce)

    async def _find_sent(self, dest: str, row: dict, payload: dict) -> str | None:
        """The id of ``row``'s message if Discord created it, else None; at most ``LOOKUP_PAGES`` requests.

        Pages forward (oldest first) from the snowflake recorded before the send, so the message is on
        the first page unless a hundred messages arrived within moments of it, and stops once the
        history passes the send's window: messages after that cannot be it.
        """
        wanted, nonce = _fingerprint(payload), nonce_for(row["target"], row["day"], row["seq"])
        if row.get("sent_after"):
            after = int(row["sent_after"])
            until: int | None = snowflake_at(snowflake_time(after) + 2 * CLOCK_SKEW + SEND_WINDOW)
        else:  # a row from before sent_after existed: from its plan's time on, bounded by pages only
            planned = datetime.fromisoformat(row["created_at"]) if row.get("created_at") else None
            after, until = (snowflake_at(planned - CLOCK_SKEW) if planned else 0), None
        for _ in range(LOOKUP_PAGES):
            page = sorted(await self.sender.messages_after(dest, str(after), PAGE_SIZE), key=lambda m: int(m["id"]))
            for message in page:
                if until is not None and int(message["id"]) > until:
                    return None
                if message.get("mine") and (message.get("nonce") == nonce or _fingerprint(message) == wanted):
                    return str(message["id"])
            if len(page) < PAGE_SIZE:
                return None
            after = int(page[-1]["id"])
        log.warning("message %s/%s/%d: not among the %d messages after its send; sending it again", row["target"],
                    row["day"], row["seq"], LOOKUP_PAGES * PAGE_SIZE)
        return None

    async def _retrying(self, fn: Callable[..., Awaitable[str]], *args: object, **kwargs: object) -> str:
        """5xx and timeouts get a few tries with backoff; anything else is for the caller to judge."""
        for attempt in range(self.retries + 1):
            try:
                return await fn(*args, **kwargs)
            except SendError as exc:
                if exc.kind != "transient" or attempt == self.retries:
                    raise
                await asyncio.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    async def _disable(self, channel: Channel, day: str, exc: SendError, sent: int) -> Outcome:
        what = "lost a permission it needs" if exc.kind == "forbidden" else "cannot find the channel any more"
        reason = f"Disabled on {day}: the bot {what} ({exc}). Fix it, then run /digest resume."
        self.channels.disable(channel.channel_id, reason)
        log.warning("channel %s disabled: %s", channel.channel_id, exc)
        if channel.set_up_by:
            try:
                await self.sender.notify_admin(
                    channel.set_up_by, f"paperboy stopped posting to <#{channel.channel_id}>: {reason}")
            except SendError as notify_exc:  # DMs closed: /digest status still says why
                log.info("could not tell admin %s: %s", channel.set_up_by, notify_exc)
        return Outcome(channel.channel_id, day, OutcomeKind.DISABLED, sent, reason)

    async def deliver_plan(self, target: str, day: str, dest: str, plan: Callable[[], list[dict]]) -> Outcome:
        """Send a plan of whole messages to ``dest`` exactly once, over the ledger (the weekly recap).

        ``plan()`` is called only when the ledger has no plan for (``target``, ``day``) yet; a later call
        finishes that plan, looking up a message caught mid-send first, like a channel's digest. A 403 or
        404 comes back as DISABLED for the caller to record; another 4xx fails that message only.
        """
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:
            rows = self.ledger.rows(target, day) or self.ledger.record_plan(target, day, plan())
            if all(r["status"] in ("sent", "failed") for r in rows):
                return Outcome(dest, day, OutcomeKind.ALREADY)
            sent = 0
            for row in rows:
                if row["status"] in ("sent", "failed"):
                    continue
                try:
                    message_id = await self._send_once(target, day, row, dest, json.loads(row["payload"]))
                except SendError as exc:
                    self.ledger.mark(target, day, row["seq"], error=str(exc)[:500])
                    if exc.kind in ("forbidden", "not_found"):
                        return Outcome(dest, day, OutcomeKind.DISABLED, sent, str(exc))
                    if exc.kind == "invalid":
                        log.error("%s %s: message %d refused: %s", target, day, row["seq"], exc)
                        self.ledger.mark(target, day, row["seq"], status="failed")
                        continue
                    return Outcome(dest, day, OutcomeKind.RETRY_LATER, sent, str(exc))
                self.ledger.mark(target, day, row["seq"], status="sent", message_id=message_id,
                                 sent_at=self.ledger.stamp(), error="")
                sent += 1
            return Outcome(dest, day, OutcomeKind.DELIVERED, sent)

    # ---- subscriber DMs ---------------------------------------------------------------------------

    async def deliver_dm(self, user_id: str | int, tags: list[str], day: str, *, cap: int = 10) -> Outcome:
        """A subscriber's one DM for ``day`` (nothing when nothing matched). Safe to call repeatedly."""
        uid = str(user_id)
        lock = self._locks.setdefault(f"dm:{uid}", asyncio.Lock())
        async with lock:
            return await self._deliver_dm(uid, tags, day, cap)

    async def _deliver_dm(self, uid: str, tags: list[str], day: str, cap: int) -> Outcome:
        subs = Subscriptions(self.store)
        target = f"dm:{uid}"
        if subs.dms_closed_on(uid) == day:
            # No DM request again today; but the day's thread may exist only now (the fan-out follows the
            # fetch, which usually comes before the post), so the fallback mention gets another chance.
            rows = self.ledger.rows(target, day)
            note = await self._fallback_mention(uid, day, json.loads(rows[0]["paper_ids"])) if rows else ""
            detail = "DMs closed; not retried today" + (f"; {note}" if note else "")
            return Outcome(uid, day, OutcomeKind.DM_CLOSED, detail=detail)
        rows = self.ledger.rows(target, day)
        if not rows:
            plan = plan_dm(self.store, tags, day, cap)
            if not plan:
                return Outcome(uid, day, OutcomeKind.SKIPPED, detail="nothing matched")
            rows = self.ledger.record_plan(target, day, plan)
        if all(r["status"] == "sent" for r in rows):
            return Outcome(uid, day, OutcomeKind.ALREADY)
        sent = 0
        try:
            dest = subs.dm_channel(uid)
            if not dest:
                dest = await self._retrying(self.sender.open_dm, uid)
                subs.remember_dm_channel(uid, dest)
            for row in rows:
                if row["status"] == "sent":
                    continue
                message_id = await self._send_once(target, day, row, dest, json.loads(row["payload"]))
                self.ledger.mark(target, day, row["seq"], status="sent", message_id=message_id,
                                 sent_at=self.ledger.stamp(), error="")
                sent += 1
        except SendError as exc:
            self.ledger.mark(target, day, rows[0]["seq"], error=str(exc)[:500])
            if exc.kind in ("forbidden", "not_found"):
                subs.mark_dms_closed(uid, day)
                self.ledger.mark(target, day, rows[0]["seq"], status="failed")
                note = await self._fallback_mention(uid, day, json.loads(rows[0]["paper_ids"]))
                return Outcome(uid, day, OutcomeKind.DM_CLOSED, sent, f"{exc}; {note}")
            return Outcome(uid, day, OutcomeKind.RETRY_LATER, sent, str(exc))
        return Outcome(uid, day, OutcomeKind.DELIVERED, sent)

    async def _fallback_mention(self, uid: str, day: str, paper_ids: list[str]) -> str:
        """DMs closed: if their server allows it, mention them once in that day's digest thread."""
        subs = Subscriptions(self.store)
        guild = subs.guild_of(uid)
        if not guild or not subs.dm_fallback(guild):
            return "no fallback (the server has not enabled it)"
        thread = ""
        for channel in self.channels.all(guild):
            header = next((r for r in self.ledger.rows(target_of(channel.channel_id), day)
                           if r["kind"] == "header" and r["thread_id"]), None)
            if header:
                thread = header["thread_id"]
                break
        if not thread:
            return "no digest thread today to mention them in"
        titles = [p.title for p in (self.store.get(i) for i in paper_ids) if p]
        text = (f"<@{uid}> your DMs are closed, so here are today's papers for you: "
                + "; ".join(neutralize_mentions(escape_markdown(t[:120])) for t in titles[:10]))
        target = f"fallback:{uid}"
        rows = self.ledger.record_plan(target, day, [{"kind": "mention", "paper_ids": paper_ids,
                                                      "payload": mention_message(text, users=[uid])}])
        if rows[0]["status"] == "sent":
            return "mentioned in the digest thread"
        try:
            message_id = await self._send_once(target, day, rows[0], thread, json.loads(rows[0]["payload"]))
        except SendError as exc:
            return f"the fallback mention failed too ({exc})"
        self.ledger.mark(target, day, 0, status="sent", message_id=message_id, sent_at=self.ledger.stamp())
        return "mentioned in the digest thread"

    async def fan_out(self, day: str, *, cap: int = 10, concurrency: int = 50) -> list[Outcome]:
        """Every subscriber's DM for ``day``, concurrently (the sender paces requests under Discord's limit)."""
        gate = asyncio.Semaphore(concurrency)

        async def one(uid: str, tags: list[str]) -> Outcome:
            async with gate:
                try:
                    return await self.deliver_dm(uid, tags, day, cap=cap)
                except Exception as exc:  # one person's failure never stops the others
                    log.exception("DM to %s failed", uid)
                    return Outcome(uid, day, OutcomeKind.RETRY_LATER, detail=str(exc))

        subs = Subscriptions(self.store).subscribers()
        return list(await asyncio.gather(*(one(u, t) for u, t in subs.items())))

    async def retry_fallbacks(self, day: str) -> int:
        """Mention, in the day's now-posted thread, the subscribers whose DMs were closed earlier today."""
        subs = Subscriptions(self.store)
        mentioned = 0
        closed = subs.closed_on(day)
        for uid in closed:
            rows = self.ledger.rows(f"dm:{uid}", day)
            if rows and subs.guild_of(uid):
                note = await self._fallback_mention(uid, day, json.loads(rows[0]["paper_ids"]))
                mentioned += note.startswith("mentioned")
        return mentioned

