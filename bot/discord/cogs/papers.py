"""``/papers``, ``/paper`` and ``/tags``: readers find papers from Discord.

Translation only: options → :mod:`bot.search`, results → the same embeds the digest uses
(:func:`bot.render.render_papers_page`), paged with a ``discord.ui.View`` only the asker can press.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.more_like_this import view_for
from bot.discord.tree import LiveViews, PrivateView
from bot.models import Paper, arxiv_id_from
from bot.render import paper_embed, render_papers_page
from bot.search import (
    MAX_QUERY_CHARS,
    MAX_RESULTS,
    Results,
    SearchError,
    build_search,
    empty_message,
    run_search,
    tag_table,
)

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
T = TypeVar("T")


def per_user_cooldown() -> Callable[[T], T]:
    """5 uses per 30 s per person and command: enough to read, not enough to flood a channel."""
    return app_commands.checks.cooldown(5, 30.0, key=lambda i: i.user.id)


def to_discord(message: dict) -> dict:
    """A rendered payload as keyword arguments for discord.py's send/edit."""
    return {"content": message.get("content") or None,
            "embeds": [discord.Embed.from_dict(e) for e in message.get("embeds", [])]}


def more_like_this(paper: Paper) -> dict:
    """The persistent "More like this" button under one paper (``view=`` for send_message)."""
    view = view_for([paper])
    return {"view": view} if view else {}


class Pager(PrivateView):
    """Previous/Next over one search's results; only its author can page; buttons die on timeout."""

    def __init__(self, results: Results, heading: str, owner_id: int, live: LiveViews, *,
                 timeout: float = 300.0, command: str = "papers") -> None:
        super().__init__(live, timeout=timeout)
        self.results = results
        self.command = command  # named to a stranger who presses: "run /top yourself"
        self.heading = heading
        self.owner_id = owner_id
        self.page = 0
        self.message: discord.InteractionMessage | None = None
        self._sync_buttons()

    async def answer(self, interaction: discord.Interaction, *, private: bool) -> None:
        """Answer ``interaction`` with the first page; the buttons only when there is a page to turn to."""
        kwargs = to_discord(self.render())
        if self.results.pages() > 1:
            await interaction.response.send_message(**kwargs, view=self, ephemeral=private, allowed_mentions=NONE)
            self.message = await interaction.original_response()
        else:
            await interaction.response.send_message(**kwargs, ephemeral=private, allowed_mentions=NONE)

    def render(self) -> dict:
        return render_papers_page(self.results.page(self.page), page=self.page + 1, pages=self.results.pages(),
                                  total=self.results.total_label, heading=self.heading)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.results.pages() - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                f"These buttons belong to whoever asked; run /{self.command} yourself to page.", ephemeral=True,
                allowed_mentions=NONE)
            return False
        return True

    async def _turn(self, interaction: discord.Interaction, delta: int) -> None:
        self.page = max(0, min(self.results.pages() - 1, self.page + delta))
        self._sync_buttons()
        await interaction.response.edit_message(**to_discord(self.render()), view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary, custom_id="papers:previous")
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.primary, custom_id="papers:next")
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, +1)

    async def on_timeout(self) -> None:
        for child in self.children:
            if isinstance(child, discord.ui.Button):
                child.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException as exc:  # message deleted or token expired: nothing to disable
                log.info("could not disable paging buttons: %s", exc)


class Papers(commands.Cog):
    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot
        self.tag_counts = bot.tag_counts
        #: Seconds the Previous/Next buttons stay alive.
        self.page_timeout = 300.0
        #: Pagers still listening; stopped (their timeout tasks cancelled) when the cog unloads.
        self.views = LiveViews()

    async def cog_unload(self) -> None:
        self.views.stop_all()

    @app_commands.command(name="papers", description="Find papers by tag, day, range or words")
    @app_commands.describe(tag="A Hugging Face task tag", date="YYYY-MM-DD, today or yesterday",
                           since="From this day (YYYY-MM-DD)", until="To this day (YYYY-MM-DD)",
                           query="Words in the title, authors, summary or abstract",
                           limit=f"At most this many papers (1-{MAX_RESULTS}, default 25)",
                           private="Only you see the answer")
    @per_user_cooldown()
    async def papers(self, interaction: discord.Interaction, tag: app_commands.Range[str, 1, 100] | None = None,
                     date: app_commands.Range[str, 1, 20] | None = None,
                     since: app_commands.Range[str, 1, 20] | None = None,
                     until: app_commands.Range[str, 1, 20] | None = None,
                     query: app_commands.Range[str, 1, MAX_QUERY_CHARS] | None = None,
                     limit: app_commands.Range[int, 1, MAX_RESULTS] = 25, private: bool = False) -> None:
        try:
            search = build_search(tags=[tag] if tag else [], day=date, since=since, until=until, text=query,
                                  limit=limit, today=self.bot.today())
        except SearchError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        results = run_search(self.bot.store, search)
        if not results.papers:
            await interaction.response.send_message(empty_message(self.bot.store, search), ephemeral=True,
                                                    allowed_mentions=NONE)
            return
        pager = Pager(results, search.heading, interaction.user.id, self.views, timeout=self.page_timeout)
        await pager.answer(interaction, private=private)

    @papers.autocomplete("tag")
    async def _tag_complete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=label, value=tag) for label, tag in self.tag_counts.choices(current)]

    @app_commands.command(name="paper", description="One paper in full, by arXiv id or arXiv/Hugging Face link")
    @app_commands.describe(id="e.g. 2501.13918 or https://arxiv.org/abs/2501.13918")
    @per_user_cooldown()
    async def paper(self, interaction: discord.Interaction, id: app_commands.Range[str, 1, 200]) -> None:
        aid = arxiv_id_from(id)
        if not aid:
            await interaction.response.send_message(
                f"{id[:100]!r} is not an arXiv id or an arXiv/Hugging Face paper link.", ephemeral=True,
                allowed_mentions=NONE)
            return
        found = self.bot.store.get(aid)
        if found is None:
            await interaction.response.send_message(
                f"Paper {aid} is not in my store (only papers featured on Hugging Face Daily Papers are).",
                ephemeral=True, allowed_mentions=NONE)
            return
        await interaction.response.send_message(embed=discord.Embed.from_dict(paper_embed(found, show_sources=True)),
                                                allowed_mentions=NONE, **more_like_this(found))

    @app_commands.command(name="tags", description="Tags with paper counts, all time and the last 7 days")
    @per_user_cooldown()
    async def tags(self, interaction: discord.Interaction) -> None:
        rows, newest = tag_table(self.bot.store)
        if not rows:
            await interaction.response.send_message("No tagged papers yet.", ephemeral=True, allowed_mentions=NONE)
            return
        lines = [f"`{r['papers']:>6}` `{r['last_7_days']:>5}`  {r['tag']}" for r in rows]
        embed = discord.Embed(title="Tags", description="`   all` `7 days`\n" + "\n".join(lines)[:4000],
                              colour=0x5865F2)
        embed.set_footer(text=f"Last 7 days = the week up to {newest}, the newest day stored.")
        await interaction.response.send_message(embed=embed, allowed_mentions=NONE)


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(Papers(bot))
