"""``/subscribe``, ``/unsubscribe``, ``/subscriptions``: readers follow tags and get one DM a day.

Translation only; the rules live in :mod:`bot.subscriptions`. Works in servers and in DMs with the bot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.tree import LiveViews, PrivateView
from bot.subscriptions import Subscriptions
from bot.taxonomy import UnknownTagError

if TYPE_CHECKING:
    from bot.discord.client import PaperboyBot

log = logging.getLogger(__name__)
NONE = discord.AllowedMentions.none()


def describe(subs: Subscriptions, user_id: int) -> str:
    tags = subs.tags_of(user_id)
    if not tags:
        return "You follow no tags. /subscribe tag:… to get one DM a day with the matching papers."
    text = "You follow: " + ", ".join(f"**{t}**" for t in tags) + ". One DM a day lists the papers that match."
    closed = subs.dms_closed_on(user_id)
    if closed:
        text += (f"\n⚠️ Your DMs were closed when I tried on {closed}: allow direct messages from this server's "
                 "members (Privacy Settings) to get them.")
    return text


class Unfollow(PrivateView):
    """A select of the person's tags: picking some unsubscribes them; only its owner can use it."""

    def __init__(self, subs: Subscriptions, user_id: int, live: LiveViews) -> None:
        super().__init__(live, timeout=300)
        self.subs = subs
        self.user_id = user_id
        tags = subs.tags_of(user_id)[:25]
        self.pick.options = [discord.SelectOption(label=t, value=t) for t in tags]
        self.pick.max_values = max(1, len(tags))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id

    @discord.ui.select(placeholder="Stop following…", min_values=1, custom_id="subscriptions:remove")
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        for tag in select.values:
            self.subs.unsubscribe(self.user_id, tag)
        remaining = self.subs.tags_of(self.user_id)
        view = Unfollow(self.subs, self.user_id, self.live) if remaining else None
        await interaction.response.edit_message(content=f"Stopped following {', '.join(select.values)}.\n"
                                                + describe(self.subs, self.user_id), view=view)


class SubscriptionsCog(commands.Cog, name="Subscriptions"):
    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot
        self.subs = Subscriptions(bot.store)
        self.tag_counts = bot.tag_counts
        #: Unfollow menus still open; stopped when the cog unloads.
        self.views = LiveViews()

    async def cog_unload(self) -> None:
        self.views.stop_all()

    @staticmethod
    async def _say(interaction: discord.Interaction, text: str, **kw: object) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE, **kw)

    @app_commands.command(name="subscribe", description="Get one DM a day with the papers carrying a tag")
    @app_commands.describe(tag="A Hugging Face task tag")
    async def subscribe(self, interaction: discord.Interaction, tag: app_commands.Range[str, 1, 100]) -> None:
        try:
            canonical, new = self.subs.subscribe(interaction.user.id, tag, interaction.guild_id)
        except UnknownTagError as exc:
            hint = f" — did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else ""
            await self._say(interaction, f"No such tag {tag!r}{hint}")
            return
        head = f"You now follow **{canonical}**." if new else f"You already follow **{canonical}**."
        await self._say(interaction, head + "\n" + describe(self.subs, interaction.user.id))

    @subscribe.autocomplete("tag")
    async def _any_tag(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=label, value=tag) for label, tag in self.tag_counts.choices(current)]

    @app_commands.command(name="unsubscribe", description="Stop the daily DM for a tag")
    @app_commands.describe(tag="One of the tags you follow")
    async def unsubscribe(self, interaction: discord.Interaction, tag: app_commands.Range[str, 1, 100]) -> None:
        removed = self.subs.unsubscribe(interaction.user.id, tag)
        head = f"You no longer follow **{removed}**." if removed else f"You did not follow {tag!r}."
        await self._say(interaction, head + "\n" + describe(self.subs, interaction.user.id))

    @unsubscribe.autocomplete("tag")
    async def _own_tag(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        cur = current.casefold()
        return [app_commands.Choice(name=t, value=t) for t in self.subs.tags_of(interaction.user.id)
                if cur in t.casefold()][:25]

    @app_commands.command(name="subscriptions", description="The tags you follow, with a way to remove them")
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        uid = interaction.user.id
        view = Unfollow(self.subs, uid, self.views) if self.subs.tags_of(uid) else discord.utils.MISSING
        await self._say(interaction, describe(self.subs, uid), view=view)


async def setup(bot: PaperboyBot) -> None:
    await bot.add_cog(SubscriptionsCog(bot))
