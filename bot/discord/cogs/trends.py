"""``/trends [tags] [weeks]``: papers per tag per ISO week, a short summary with the chart attached.

Translation only: options → :mod:`bot.trends`, the counts → :func:`bot.trends.summary` and the PNG of
:mod:`bot.trends_chart`. ``tags`` is one comma-separated option (autocompleted item by item) rather than
several tag options: one field to type in, any number up to the chart's limit, the same spelling
``/digest setup tags`` uses. Both slow parts run in worker threads so the event loop keeps serving
everyone else: the counts (tens of milliseconds: a range scan per tag, each row checked to be a featured
day) on a read-only connection of their own, before answering, so a refusal is still a private sentence
from the tree's one error handler; then, after deferring, the chart (matplotlib takes about half a
second, more the first time, when it is imported).
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import trends as core
from bot.discord.cogs.papers import per_user_cooldown
from bot.store import Store
from bot.trends_chart import render_png

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot

NONE = discord.AllowedMentions.none()
FILENAME = "trends.png"


class Trends(commands.Cog):
    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot

    @app_commands.command(name="trends", description="Papers per tag per week, with a chart")
    @app_commands.describe(tags=f"Up to {core.MAX_TAGS} tags, comma-separated (default: the "
                                f"{core.TOP_TAGS} most active)",
                           weeks=f"The last N weeks, up to the newest stored day (1-{core.MAX_WEEKS}, "
                                 f"default {core.DEFAULT_WEEKS})")
    @per_user_cooldown()
    async def trends(self, interaction: discord.Interaction, tags: app_commands.Range[str, 1, 300] | None = None,
                     weeks: app_commands.Range[int, 1, core.MAX_WEEKS] = core.DEFAULT_WEEKS) -> None:
        chosen = core.check_tags(core.split_tags(tags))
        result = await asyncio.to_thread(self._count, chosen, weeks)
        await interaction.response.defer(thinking=True)
        png = await asyncio.to_thread(render_png, result)
        await interaction.followup.send(core.summary(result), file=discord.File(io.BytesIO(png), FILENAME),
                                        allowed_mentions=NONE)

    def _count(self, tags: list[str], weeks: int) -> core.Trends:
        """The counts, on a read-only connection of this worker thread's own (the bot's connection stays
        with the event loop); a store that lives only in memory has no file to open, so it is used as is."""
        store = self.bot.store
        if str(store.path) == ":memory:":
            return core.compute(store, tags=tags, weeks=weeks)
        with Store(store.path, readonly=True, migrate=False) as own:
            return core.compute(own, tags=tags, weeks=weeks)

    @trends.autocomplete("tags")
    async def _tags_complete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Completes the last item of the list; the items before it stay as typed."""
        done, _, last = current.rpartition(",")
        prefix = f"{', '.join(t.strip() for t in done.split(',') if t.strip())}, " if done.strip() else ""
        out = []
        for label, tag in self.bot.tag_counts.choices(last.strip()):
            value = prefix + tag
            if len(value) <= 100:  # Discord's limit for a choice; a longer list is left to typing
                out.append(app_commands.Choice(name=(prefix + label)[-100:], value=value))
        return out


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(Trends(bot))
