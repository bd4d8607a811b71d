"""The "More like this" buttons under paper embeds, as payload dicts (no discord.py here).

The button's state is its custom id, ``paperboy:similar:<arXiv id>``: Discord hands it back when
someone presses the button, however long after, so a bot restarted since the post still knows which
paper was meant (:class:`bot.discord.more_like_this.MoreLikeThis` parses it) — nothing is stored.

Layout: one button per paper of the message, in the order of its embeds, five to a row. A message
holds at most 10 embeds (so at most two rows) and Discord allows 5 rows of 5 buttons, so this always
fits. A message with one paper says "More like this"; with several, each button names its paper by
a short title, since buttons cannot sit under the embed they belong to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import Paper
from bot.render import neutralize_mentions, strip_controls, truncate

PREFIX = "paperboy:similar:"
#: What Discord hands back: the prefix and an arXiv id (new-style or old-style like hep-th/9901001).
CUSTOM_ID_RE = re.compile(r"paperboy:similar:(?P<id>[A-Za-z0-9.\-/]{1,64})")
PER_ROW = 5
MAX_BUTTONS = 25  # 5 rows × 5 buttons
LABEL_LIMIT = 80  # Discord's limit for a button label
SHORT_TITLE = 40
EMOJI = "🔎"


def custom_id(arxiv_id: str) -> str:
    return f"{PREFIX}{arxiv_id}"


def short_title(title: str, limit: int = SHORT_TITLE) -> str:
    """The title on one line, cut at a word: before a colon when there is one ("SRMT: Shared ..." → "SRMT")."""
    text = " ".join(neutralize_mentions(strip_controls(title)).split())  # labels never ping; keep them inert
    head = text.split(":", 1)[0].strip()
    if 3 <= len(head) < len(text):
        text = head
    return truncate(text, limit)


def button(paper: Paper, *, label: str | None = None) -> dict:
    """One "More like this" button for ``paper`` (a grey secondary button)."""
    text = label or f"More like: {short_title(paper.title) or paper.arxiv_id}"
    return {"type": 2, "style": 2, "label": truncate(text, LABEL_LIMIT), "emoji": {"name": EMOJI},
            "custom_id": custom_id(paper.arxiv_id)}


def components(papers: Sequence[Paper]) -> list[dict]:
    """Action rows with one "More like this" button per paper (in order), or [] for no papers."""
    # Only a clean id makes a button: the custom id is sent verbatim and parsed back by CUSTOM_ID_RE.
    papers = [p for p in papers_by_id(papers).values() if CUSTOM_ID_RE.fullmatch(custom_id(p.arxiv_id))]
    papers = papers[:MAX_BUTTONS]
    one = len(papers) == 1
    buttons = [button(papers[0], label="More like this")] if one else [button(p) for p in papers]
    return [{"type": 1, "components": buttons[i:i + PER_ROW]} for i in range(0, len(buttons), PER_ROW)]


def papers_by_id(papers: Sequence[Paper]) -> dict[str, Paper]:
    """Papers keyed by arXiv id, first kept: custom ids must be unique within a message."""
    out: dict[str, Paper] = {}
    for p in papers:
        out.setdefault(p.arxiv_id, p)
    return out


def with_buttons(message: dict, papers: Sequence[Paper]) -> dict:
    """``message`` with the buttons of ``papers`` as its ``components`` (unchanged when there are none)."""
    rows = components(papers)
    if rows:
        message["components"] = rows
    return message
