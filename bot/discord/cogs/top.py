"""``/top``: the most upvoted papers of a week or a month, in the paging view ``/papers`` uses.

Translation only: options → :mod:`bot.periods` and :mod:`bot.top` (the same core as ``paperboy top``),
results → :class:`bot.discord.cogs.papers.Pager`. A refusal is a :class:`~bot.errors.PaperboyError`, so
the tree's one error handler answers it privately in one sentence. ``when`` defaults to the period
holding today in the bot's configured time zone (``timezone`` in the config; UTC unless set), the same
"today" ``/papers`` uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.papers import Pager, per_user_cooldown
from bot.discord.tree import LiveViews
from bot.errors import PaperboyError
from bot.periods import PeriodError, period_containing
from bot.search import MAX_RESULTS, SearchError
from bot.top import build_top, empty_message, run_top

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot


class Top(commands.Cog):
    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot
        #: Seconds the Previous/Next buttons stay alive.
        self.page_timeout = 300.0
        self.views = LiveViews()

    async def cog_unload(self) -> None:
        self.views.stop_all()

    @app_commands.command(name="top", description="The most upvoted papers of a week or a month")
    @app_commands.describe(period="week (ISO, Monday to Sunday) or month",
                           tag="Only papers with this Hugging Face task tag",
                           when="A week (2025-W04), a month (2025-01) or a day inside it; default: the current one",
                           limit=f"At most this many papers (1-{MAX_RESULTS}, default 25)",
                           private="Only you see the answer")
    @per_user_cooldown()
    async def top(self, interaction: discord.Interaction, period: Literal["week", "month"],
                  tag: app_commands.Range[str, 1, 100] | None = None,
                  when: app_commands.Range[str, 1, 20] | None = None,
                  limit: app_commands.Range[int, 1, MAX_RESULTS] = 25, private: bool = False) -> None:
        try:
            request = build_top(period_containing(period, when, self.bot.today()), [tag] if tag else [], limit)
        except (PeriodError, SearchError) as exc:
            raise PaperboyError(str(exc)) from None
        result = run_top(self.bot.store, request)
        if not result.entries:
            raise PaperboyError(empty_message(request))
        pager = Pager(result, request.heading, interaction.user.id, self.views,  # type: ignore[arg-type]
                      timeout=self.page_timeout, command="top")
        await pager.answer(interaction, private=private)

    @top.autocomplete("tag")
    async def _tag_complete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=label, value=tag) for label, tag in self.bot.tag_counts.choices(current)]


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(Top(bot))
