"""The delivery core's :class:`~bot.delivery.Sender`, implemented over discord.py.

Only translation lives here: payload dicts become ``discord.Embed`` objects, discord.py exceptions
become :class:`~bot.delivery.SendError` kinds the ledger understands. Rate limits (429) are left to
discord.py, which waits and retries on its own.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.delivery import SendError
from bot.discord.more_like_this import payload_view

NO_MENTIONS = discord.AllowedMentions.none()


def classify(exc: BaseException) -> SendError:
    """discord.py's exceptions → the kinds the ledger acts on (see :class:`~bot.delivery.SendError`)."""
    if isinstance(exc, discord.Forbidden):
        return SendError("forbidden", f"Discord said 403 Forbidden: {exc.text or 'missing permissions'}", exc.code)
    if isinstance(exc, discord.NotFound):
        return SendError("not_found", f"Discord said 404 Not Found: {exc.text or 'unknown channel'}", exc.code)
    if isinstance(exc, discord.HTTPException):
        kind = "invalid" if 400 <= exc.status < 500 and exc.status != 429 else "transient"
        return SendError(kind, f"Discord said {exc.status}: {exc.text or 'error'}", exc.code)
    return SendError("transient", f"{type(exc).__name__}: {exc}")


def allowed(payload: dict) -> discord.AllowedMentions:
    """The payload's own allowed_mentions: nothing, except the exact role/user ids a ping message names."""
    am = payload.get("allowed_mentions") or {}
    return discord.AllowedMentions(everyone=False, replied_user=False,
                                   roles=[discord.Object(int(r)) for r in am.get("roles") or []] or False,
                                   users=[discord.Object(int(u)) for u in am.get("users") or []] or False)


_ERRORS = (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError, OSError)


class RateLimiter:
    """A token bucket shared by every send: stays under Discord's global limit (about 50 requests/s).

    discord.py learns per-channel buckets from response headers and waits on its own, but it only
    discovers the global limit by hitting it; a fan-out to hundreds of channels would collect 429s,
    and many invalid requests get a bot's IP banned. Pacing ourselves avoids them.
    """

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or 2)
        self.tokens = self.capacity
        self.updated: float | None = None
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                if self.updated is None:
                    self.updated = now
                # Credit all the time that passed, oversleep included, or the pace drifts below the rate.
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


class DiscordSender:
    def __init__(self, client: discord.Client, *, requests_per_second: float = 48.0) -> None:
        self.client = client
        self.limiter = RateLimiter(requests_per_second)

    async def send(self, channel_id: str, payload: dict, *, nonce: str) -> str:
        channel = self.client.get_partial_messageable(int(channel_id))
        embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds", [])]
        view = payload_view(payload)  # "More like this" buttons; presses go to the DynamicItem, not to a view
        await self.limiter.acquire()
        try:
            message = await channel.send(content=payload.get("content") or None, embeds=embeds,
                                         allowed_mentions=allowed(payload), nonce=nonce,
                                         **({"view": view} if view else {}))
        except _ERRORS as exc:
            raise classify(exc) from exc
        return str(message.id)

    async def create_thread(self, channel_id: str, message_id: str, name: str) -> str:
        # The REST call itself: a partial message (no cache needed after a restart) has no guild attached,
        # which discord.py's Message.create_thread insists on.
        await self.limiter.acquire()
        try:
            thread = await self.client.http.start_thread_with_message(
                int(channel_id), int(message_id), name=name, auto_archive_duration=1440)
        except _ERRORS as exc:
            raise classify(exc) from exc
        return str(thread["id"])

    async def messages_after(self, channel_id: str, after: str, limit: int = 100) -> list[dict]:
        """One history request (``limit`` ≤ 100): the oldest messages newer than ``after``, oldest first."""
        channel = self.client.get_partial_messageable(int(channel_id))
        me = self.client.user.id if self.client.user else None
        await self.limiter.acquire()
        try:
            return [{"id": str(m.id), "mine": m.author.id == me, "content": m.content, "nonce": m.nonce,
                     "embeds": [e.to_dict() for e in m.embeds]}
                    async for m in channel.history(limit=min(limit, 100), after=discord.Object(int(after)),
                                                   oldest_first=True)]
        except _ERRORS as exc:
            raise classify(exc) from exc

    async def notify_admin(self, user_id: str, text: str) -> None:
        await self.send(await self.open_dm(user_id), {"content": text}, nonce=f"admin{abs(hash(text)) % 10**18}")

    async def open_dm(self, user_id: str) -> str:
        await self.limiter.acquire()
        try:
            channel = await self.client.http.start_private_message(int(user_id))
        except _ERRORS as exc:
            raise classify(exc) from exc
        return str(channel["id"])

