"""The bot's background work as a cog: the scheduler's jobs and the catch-up after start.

No commands. It exists so the work has one owner with one life cycle (the RoboDanny pattern):
``cog_load`` starts the scheduler and the catch-up task, ``cog_unload`` cancels and awaits them. The
same goes for the LLM enrichment the bot's ``papers_fetched`` event starts after each daily fetch
(:class:`bot.llm.enrich.BackgroundEnrichment`; nothing when ``[llm]`` is off): it runs beside the
posts, which never wait for it.
``commands.Bot.close`` unloads every extension first, so closing the bot (SIGTERM, tests) never
leaves a catch-up running against a closed store or HTTP session.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.export import export_configured
from bot.llm.enrich import BackgroundEnrichment

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot

log = logging.getLogger(__name__)


class Schedule(commands.Cog):
    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot
        #: Delivers what was due while the bot was down, once the gateway is ready (first READY only).
        self.catch_up_task: asyncio.Task | None = None
        #: LLM bullets and tags for each day right after its fetch (off unless [llm] base_url is set).
        #: A day's [export] files are written again once its papers have their LLM bullets.
        self.enrichment = BackgroundEnrichment(
            bot.settings, bot.store, hf_rate=bot.fetcher.hf_rate,
            on_enriched=lambda day: export_configured(bot.store, bot.settings, [day]),
        )

    async def cog_load(self) -> None:
        self.bot.digests.start()
        self.catch_up_task = asyncio.create_task(self._catch_up_once_ready(), name="paperboy catch-up")

    async def cog_unload(self) -> None:
        task = self.catch_up_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])  # let it unwind; wait() does not re-raise its CancelledError
        self.bot.digests.shutdown()  # also cancels any job coroutine still running
        await self.enrichment.close()

    @commands.Cog.listener()
    async def on_papers_fetched(self, day: str) -> None:
        """Start the day's enrichment in the background and return: no post waits for it."""
        self.enrichment.start(day)

    async def _catch_up_once_ready(self) -> None:
        await self.bot.wait_until_ready()
        try:
            await self.bot.digests.catch_up()
        except Exception:
            log.exception("catch-up after start failed; the regular schedule goes on")


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(Schedule(bot))
