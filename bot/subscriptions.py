"""People follow tags and get one DM a day with the papers that match; roles can be pinged per tag.

Plain Python over the store: who follows what, whose DMs are closed, which role a server maps to a
tag, and what each person's DM for a day contains. Sending goes through the delivery ledger like
channel digests do, so nobody gets two DMs for one day, across restarts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.more_like_this import with_buttons
from bot.render import mention_message, render_papers_page, truncate
from bot.store import Store
from bot.taxonomy import require_tag

DEFAULT_DAILY_CAP = 10  # one DM holds at most 10 embeds: a cap above that would need a second message


@dataclass(slots=True)
class RoleMention:
    guild_id: str
    tag: str
    role_id: str


class Subscriptions:
    """Following tags, DM state, role mappings and per-server options, with their rules.

    The rows are the store's (:mod:`bot.store.subscriptions`); here tags are validated and matched.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows = store.subscriptions

    # ---- following tags ---------------------------------------------------------------------------

    def subscribe(self, user_id: str | int, tag: str, guild_id: str | int | None = None) -> tuple[str, bool]:
        """Follow a tag (validated); returns (tag, whether it is new). Re-following keeps the first."""
        canonical = require_tag(tag)
        existing = self.tags_of(user_id)
        if canonical in existing:
            return canonical, False
        self.rows.add(user_id, canonical, guild_id)
        return canonical, True

    def unsubscribe(self, user_id: str | int, tag: str) -> str | None:
        """Stop following; returns the tag removed, or None when they did not follow it."""
        wanted = " ".join(tag.split()).casefold()
        for t in self.tags_of(user_id):
            if t.casefold() == wanted:
                self.rows.remove(user_id, t)
                return t
        return None

    def tags_of(self, user_id: str | int) -> list[str]:
        return self.rows.tags_of(user_id)

    def guild_of(self, user_id: str | int) -> str:
        """The server a person last subscribed from ('' if only from DMs): where a fallback mention goes."""
        return self.rows.guild_of(user_id)

    def subscribers(self) -> dict[str, list[str]]:
        """user → followed tags, for everyone who follows anything."""
        out: dict[str, list[str]] = defaultdict(list)
        for user, tag in self.rows.pairs():
            out[user].append(tag)
        return dict(out)

    # ---- DM state -----------------------------------------------------------------------------------

    def dm_channel(self, user_id: str | int) -> str:
        return self.rows.dm_channel(user_id)

    def remember_dm_channel(self, user_id: str | int, channel_id: str) -> None:
        self.rows.remember_dm_channel(user_id, channel_id)

    def mark_dms_closed(self, user_id: str | int, day: str) -> None:
        self.rows.mark_dms_closed(user_id, day)

    def dms_closed_on(self, user_id: str | int) -> str:
        """The last day a DM to this person was refused ('' if never)."""
        return self.rows.dms_closed_on(user_id)

    def closed_on(self, day: str) -> list[str]:
        """Everyone whose DMs were refused on ``day``: the fallback mentions still owed for it."""
        return self.rows.closed_on(day)

    # ---- roles and server options -------------------------------------------------------------------

    def map_role(self, guild_id: str | int, tag: str, role_id: str | int | None) -> str:
        """Ping ``role_id`` when papers tagged ``tag`` arrive; ``None`` removes the mapping."""
        canonical = require_tag(tag)
        if role_id is None:
            self.rows.remove_role(guild_id, canonical)
        else:
            self.rows.set_role(guild_id, canonical, role_id)
        return canonical

    def roles_of(self, guild_id: str | int) -> list[RoleMention]:
        return [RoleMention(*r) for r in self.rows.roles_of(guild_id)]

    def set_dm_fallback(self, guild_id: str | int, enabled: bool) -> None:
        self.rows.set_dm_fallback(guild_id, enabled)

    def dm_fallback(self, guild_id: str | int) -> bool:
        return self.rows.dm_fallback(guild_id)


def plan_dm(store: Store, tags: list[str], day: str, cap: int = DEFAULT_DAILY_CAP) -> list[dict]:
    """The one DM a subscriber gets for ``day``: their matched papers by upvotes, matched tags marked.

    Empty when nothing matched (no DM at all: silence is right for a personal feed). ``cap`` (≤ 10,
    one message) bounds a broad tag; the DM says how many more matched.
    """
    cap = max(1, min(cap, 10))
    papers = store.papers_on(day, tags)
    if not papers:
        return []
    papers.sort(key=lambda p: (-p.upvotes, p.arxiv_id))
    shown = papers[:cap]
    matched = sorted({t for p in papers for t in p.tags if t in tags})
    message = with_buttons(render_papers_page(shown, page=1, pages=1, total=len(papers), heading=day,
                                              highlight_tags=tags), shown)  # "More like this" per paper
    more = len(papers) - len(shown)
    lines = [f"📬 **Your papers for {day}** — {len(papers)} matched {', '.join(matched)}."]
    if more:
        lines.append(f"Showing the top {len(shown)} by upvotes; {more} more matched (try /papers date:{day}).")
    lines.append("You get this because you follow these tags: /unsubscribe or /subscriptions to change that.")
    message["content"] = truncate("\n".join(lines), 2000)
    return [{"kind": "dm", "paper_ids": [p.arxiv_id for p in shown], "payload": message}]


def role_mention_plan(store: Store, guild_id: str, day: str, papers_tags: list[list[str]]) -> dict | None:
    """One message pinging each role mapped to a tag among the day's papers, once; None if none apply."""
    counts: dict[str, int] = defaultdict(int)
    for tags in papers_tags:
        for t in set(tags):
            counts[t] += 1
    hits = [(r.role_id, r.tag, counts[r.tag]) for r in Subscriptions(store).roles_of(guild_id) if counts.get(r.tag)]
    if not hits:
        return None
    text = "🔔 New today: " + " · ".join(f"<@&{rid}> {tag} ({n})" for rid, tag, n in hits)
    return mention_message(text, roles=list(dict.fromkeys(rid for rid, _, _ in hits)))
