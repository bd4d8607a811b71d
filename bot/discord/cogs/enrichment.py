"""The LLM enrichment after each daily fetch, as a cog that owns its background tasks.

No commands. The bot dispatches ``papers_fetched`` after storing a day; this cog starts that day's
enrichment (:class:`bot.llm.enrich.BackgroundEnrichment`) and returns at once, so no channel's post waits
for it. ``cog_unload`` (run by ``Bot.close`` before the store closes) cancels whatever is still going.
With no ``[llm] base_url`` it does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from bot.llm.enrich import BackgroundEnrichment

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot


class Enrichment(commands.Cog):
    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot
        self.background = BackgroundEnrichment(bot.settings, bot.store, hf_rate=bot.fetcher.hf_rate)

    @commands.Cog.listener()
    async def on_papers_fetched(self, day: str) -> None:
        self.background.start(day)

    async def cog_unload(self) -> None:
        await self.background.close()


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(Enrichment(bot))
