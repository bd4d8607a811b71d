"""Upvotes keep growing after a paper's day: the daily fetch raises the stored counts of the last 7 days.

Why the week listing: ``/api/daily_papers?week=YYYY-Www`` returns a whole ISO week's featured papers
with their current upvotes, 100 a page, so the last 7 days (which touch one or two ISO weeks) cost a few
requests instead of seven days' worth. The requests go through the process's one :class:`HFClient`, so
they share its rate limiter with the daily fetch and any backfill: never over Hugging Face's limit.

Only papers already stored are touched, and only upward (:meth:`bot.store.top.TopRows.raise_upvotes`):
the listing's days are the week's, not a paper's own featured day, so it adds no appearances; a
count lower than the stored one (a listing cached upstream) changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from bot.periods import weeks_covering
from bot.sources.hf import MAX_PAGES, PAGE_SIZE, HFClient, parse_daily_papers_report
from bot.store import Store

log = logging.getLogger(__name__)

RECENT_DAYS = 7


@dataclass(slots=True)
class UpvoteRefresh:
    weeks: list[str]
    requests: int
    seen: int  # distinct papers the listings named
    raised: int  # stored papers whose count went up


async def week_upvotes(client: HFClient, week: str) -> tuple[dict[str, int], int]:
    """({arxiv id: upvotes} of ``week``'s listing, requests made): pages until a short page, a page with
    nothing new (a server repeating itself), or :data:`MAX_PAGES`."""
    counts: dict[str, int] = {}
    requests = 0
    for page in range(MAX_PAGES):
        entries = await client.fetch_week_page(week, page)
        requests += 1
        papers, warnings = parse_daily_papers_report(entries)
        for w in warnings:
            log.info("week %s, page %d: %s", week, page, w)
        new = 0
        for p in papers:
            if p.arxiv_id not in counts:
                new += 1
            counts[p.arxiv_id] = max(counts.get(p.arxiv_id, 0), int(p.upvotes))
        if len(entries) < PAGE_SIZE or new == 0:
            break
    return counts, requests


async def refresh_recent_upvotes(store: Store, client: HFClient, today: date,
                                 days: int = RECENT_DAYS) -> UpvoteRefresh:
    """Raise the stored upvotes of papers in the listings of the ISO weeks the last ``days`` days touch."""
    weeks = weeks_covering(today - timedelta(days=days - 1), today)
    counts: dict[str, int] = {}
    requests = 0
    for week in weeks:
        found, n = await week_upvotes(client, week)
        requests += n
        for aid, votes in found.items():
            counts[aid] = max(counts.get(aid, 0), votes)
    raised = store.top.raise_upvotes(counts)
    log.info("upvotes of %s: %d papers listed, %d raised, %d requests", ", ".join(weeks), len(counts), raised,
             requests)
    return UpvoteRefresh(weeks, requests, len(counts), raised)
