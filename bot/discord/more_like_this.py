"""The persistent "More like this" button, and payload components → a discord.py view.

:class:`MoreLikeThis` is a ``DynamicItem``: discord.py routes any pressed button whose custom id
matches ``paperboy:similar:<arXiv id>`` to it, whichever message it sits on and however long ago that
message was posted — a restart loses nothing, and no per-message view is kept in memory (a digest
of 10,000 channels would otherwise hold 10,000 views). The answer goes only to the person who
pressed it (ephemeral).

:func:`payload_view` turns the ``components`` of a rendered payload (:mod:`bot.more_like_this`) into
a view for ``send``; the view is stopped before it is sent, so discord.py sends its buttons but does
not keep it (presses reach :class:`MoreLikeThis` through the dynamic-item registry instead).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.discord.tree import report_error
from bot.models import Paper
from bot.more_like_this import CUSTOM_ID_RE, components, custom_id
from bot.similar import SimilarError, similar_message, similar_papers

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
BUTTON_LIMIT = 5  # papers in a button's answer: a screenful, not a wall


def to_send_kwargs(message: dict) -> dict[str, Any]:
    """A rendered payload as keyword arguments for discord.py's ``send_message``/``send``."""
    return {"content": message.get("content") or None,
            "embeds": [discord.Embed.from_dict(e) for e in message.get("embeds", [])],
            "view": payload_view(message) or discord.utils.MISSING, "allowed_mentions": NONE}


def payload_view(payload: dict) -> discord.ui.View | None:
    """The buttons of ``payload["components"]`` as a stopped view (None when it has none)."""
    rows = payload.get("components") or []
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for r, row in enumerate(rows):
        for c in row.get("components") or []:
            if c.get("type") != 2:
                continue
            emoji = (c.get("emoji") or {}).get("name")
            view.add_item(discord.ui.Button(
                style=discord.ButtonStyle(c.get("style", 2)), label=c.get("label"), custom_id=c.get("custom_id"),
                url=c.get("url"), emoji=emoji, disabled=bool(c.get("disabled")), row=r))
    view.stop()
    return view


def view_for(papers: Sequence[Paper]) -> discord.ui.View | None:
    """The "More like this" buttons for ``papers`` as a view (for replies built outside the renderer)."""
    return payload_view({"components": components(papers)})


class MoreLikeThis(discord.ui.DynamicItem[discord.ui.Button], template=CUSTOM_ID_RE):
    """A pressed "More like this": the paper's id comes back in the custom id; the answer is ephemeral."""

    def __init__(self, arxiv_id: str) -> None:
        super().__init__(discord.ui.Button(label="More like this", style=discord.ButtonStyle.secondary,
                                           custom_id=custom_id(arxiv_id)))
        self.arxiv_id = arxiv_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> MoreLikeThis:
        return cls(match["id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the presser alone; errors end in the tree's one private sentence, not "interaction failed"."""
        try:
            store = interaction.client.store  # type: ignore[attr-defined]
            try:
                # In the loop, like every store read: tens of ms at a million papers (bench_similar.py),
                # and the store's connections are not for two threads at once.
                paper, matches = similar_papers(store, self.arxiv_id, BUTTON_LIMIT)
            except SimilarError as exc:
                await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
                return
            await interaction.response.send_message(**to_send_kwargs(similar_message(paper, matches)),
                                                    ephemeral=True)
        except Exception as exc:  # one sentence to the user, the traceback to the log
            await report_error(interaction, exc)
