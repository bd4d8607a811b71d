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

NO_MENTIONS = discord.AllowedMentions.none()


def classify(exc: BaseException) -> SendError:
    if isinstance(exc, discord.Forbidden):
        return SendError("forbidden", f"Discord said 403 Forbidden: {exc.text or 'missing permissions'}")
    if isinstance(exc, discord.NotFound):
        return SendError("not_found", f"Discord said 404 Not Found: {exc.text or 'unknown channel'}")
    if isinstance(exc, discord.HTTPException):
        return SendError("transient", f"Discord said {exc.status}: {exc.text or 'error'}")
    return SendError("transient", f"{type(exc).__name__}: {exc}")


_ERRORS = (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError, OSError)


class DiscordSender:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send(self, channel_id: str, payload: dict, *, nonce: str) -> str:
        channel = self.client.get_partial_messageable(int(channel_id))
        embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds", [])]
        try:
            message = await channel.send(content=payload.get("content") or None, embeds=embeds,
                                         allowed_mentions=NO_MENTIONS, nonce=nonce)
        except _ERRORS as exc:
            raise classify(exc) from exc
        return str(message.id)

    async def create_thread(self, channel_id: str, message_id: str, name: str) -> str:
        message = self.client.get_partial_messageable(int(channel_id)).get_partial_message(int(message_id))
        try:
            thread = await message.create_thread(name=name, auto_archive_duration=1440)
        except _ERRORS as exc:
            raise classify(exc) from exc
        return str(thread.id)

    async def recent_messages(self, channel_id: str, limit: int = 20) -> list[dict]:
        channel = self.client.get_partial_messageable(int(channel_id))
        me = self.client.user.id if self.client.user else None
        out = []
        try:
            async for m in channel.history(limit=limit):
                if m.author.id == me:
                    out.append({"id": str(m.id), "content": m.content, "embeds": [e.to_dict() for e in m.embeds]})
        except _ERRORS as exc:
            raise classify(exc) from exc
        return out

    async def notify_admin(self, user_id: str, text: str) -> None:
        try:
            user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
            await user.send(text, allowed_mentions=NO_MENTIONS)
        except _ERRORS as exc:
            raise classify(exc) from exc
