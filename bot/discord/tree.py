"""One error handler for every slash command, button and select: the user gets one private sentence.

Why one place: a handler per cog drifts (two were copies, one cog had none, so its failures showed
Discord's bare "The application did not respond"). The rule is the same everywhere: an error we
expect (a cooldown, a missing permission, a :class:`~bot.errors.PaperboyError`) is named in one
plain ephemeral sentence; anything else is logged with its traceback and the user gets a generic
sentence — never exception text, which may hold internals.
"""

from __future__ import annotations

import logging
import math
import weakref

import discord
from discord import app_commands

from bot.errors import PaperboyError

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
GENERIC = "Something went wrong on my side; it was logged, and you can try again later."

#: discord.py permission names → the names Discord's own settings screens show.
_PERMISSION_WORDS = {"manage_guild": "Manage Server", "manage_channels": "Manage Channels",
                     "send_messages_in_threads": "Send Messages in Threads"}


def _permission_words(names: list[str]) -> str:
    words = [_PERMISSION_WORDS.get(n, n.replace("_", " ").title()) for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def sentence_for(error: Exception) -> str | None:
    """The sentence for an expected error, or None for one that is a bug (logged, generic reply)."""
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, PaperboyError):
        return str(error.original)
    if isinstance(error, PaperboyError):
        return str(error)
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {math.ceil(error.retry_after)} s."
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_permission_words(error.missing_permissions)} permission for this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        return f"I need the {_permission_words(error.missing_permissions)} permission here for this command."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only in a server, not in DMs."
    if isinstance(error, app_commands.TransformerError):
        return "I could not read one of the options; pick it from the list Discord offers and try again."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "This command changed since Discord last loaded it; try again in a minute."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    return None


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer, whether or not the interaction was already answered or deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)


async def report_error(interaction: discord.Interaction, error: Exception) -> None:
    """Tell the user in one sentence; log unexpected errors with their traceback."""
    text = sentence_for(error)
    if text is None:
        original = getattr(error, "original", error)
        what = f"/{interaction.command.qualified_name}" if interaction.command else "a button or select"
        log.error("%s failed for user %s", what, interaction.user.id, exc_info=original)
        text = GENERIC
    try:
        await reply_privately(interaction, text)
    except discord.HTTPException as exc:  # the interaction expired (15 min) or was answered elsewhere
        log.warning("could not tell user %s about an error: %s", interaction.user.id, exc)


class PaperboyTree(app_commands.CommandTree):
    """The bot's command tree: every cog's app-command errors end in :func:`report_error`."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)


class LiveViews:
    """The views a cog has sent that are still waiting for clicks; the cog stops them when it unloads, so no
    view's timeout task outlives the bot (weak references: a view that finished is simply gone)."""

    def __init__(self) -> None:
        self._views: weakref.WeakSet[discord.ui.View] = weakref.WeakSet()

    def add(self, view: discord.ui.View) -> None:
        self._views.add(view)

    def stop_all(self) -> None:
        for view in list(self._views):
            view.stop()

    def __len__(self) -> int:
        return sum(not v.is_finished() for v in self._views)


class PrivateView(discord.ui.View):
    """A view whose callback errors get the same one-sentence treatment as commands (not "interaction failed"),
    registered with its cog's :class:`LiveViews` so unloading the cog stops it."""

    def __init__(self, live: LiveViews, *, timeout: float | None = 300.0) -> None:
        super().__init__(timeout=timeout)
        self.live = live
        live.add(self)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await report_error(interaction, error)
