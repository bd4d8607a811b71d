"""``/similar`` and the "More like this" buttons: papers like one paper, from Discord.

Translation only: the option → :func:`bot.similar.similar_papers`, the answer →
:func:`bot.similar.similar_message`. The answer is public like ``/papers`` (``private:true`` makes it
yours alone); refusals are private. The cog registers :class:`~bot.discord.more_like_this.MoreLikeThis`
while it is loaded (``cog_load`` runs inside the bot's ``setup_hook``), so buttons posted before a
restart answer again as soon as the bot is back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.papers import per_user_cooldown
from bot.discord.more_like_this import NONE, MoreLikeThis, to_send_kwargs
from bot.similar import MAX_EMBEDS, SimilarError, similar_message, similar_papers

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot

DEFAULT_SHOWN = 5


class Similar(commands.Cog):
    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(MoreLikeThis)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(MoreLikeThis)

    @app_commands.command(name="similar", description="Stored papers most like one paper, most similar first")
    @app_commands.describe(paper="arXiv id or arXiv / Hugging Face link, e.g. 2501.13918",
                           limit=f"At most this many papers (1-{MAX_EMBEDS}, default {DEFAULT_SHOWN})",
                           private="Only you see the answer")
    @per_user_cooldown()
    async def similar(self, interaction: discord.Interaction, paper: app_commands.Range[str, 1, 200],
                      limit: app_commands.Range[int, 1, MAX_EMBEDS] = DEFAULT_SHOWN, private: bool = False) -> None:
        try:
            found, matches = similar_papers(self.bot.store, paper, limit)
        except SimilarError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        await interaction.response.send_message(**to_send_kwargs(similar_message(found, matches)),
                                                ephemeral=private or not matches)


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(Similar(bot))
