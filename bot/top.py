"""The most upvoted papers of a week, a month or a range: what ``paperboy top``, ``/top`` and the weekly
recap show.

One request type and one runner, so the CLI, Discord and the recap rank the same papers the same way and
refuse the same input with the same sentence. The score is the paper's Hugging Face upvote count (the
highest any source reported; the daily fetch raises it for the last 7 days, see :mod:`bot.upvotes`).
No Discord here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.models import Paper
from bot.periods import Period
from bot.search import PAGE_SIZE, SearchError, build_search
from bot.store import Store

SCORE_HELP = "score = the paper's Hugging Face upvotes (the highest count seen; refreshed daily for 7 days)"


@dataclass(slots=True)
class TopRequest:
    period: Period
    tags: list[str] = field(default_factory=list)
    limit: int = 20

    @property
    def heading(self) -> str:
        """``top of 2025-W04 (2025-01-20 to 2025-01-26) · tag Robotics``."""
        parts = [f"top of {self.period.describe()}"]
        if self.tags:
            parts.append(f"tag {' + '.join(self.tags)}")
        return " · ".join(parts)


def build_top(period: Period, tags: list[str] | tuple[str, ...] = (), limit: int = 20, *,
              max_results: int = 100) -> TopRequest:
    """Check tags (case-insensitive, an unknown one gets the closest names) and the limit, as ``papers`` does."""
    if not 1 <= limit <= max_results:
        raise SearchError(f"limit must be between 1 and {max_results}.")
    canonical = build_search(tags=list(tags), limit=1).query.tags
    return TopRequest(period, canonical, limit)


@dataclass(slots=True)
class TopEntry:
    paper: Paper
    score: int
    day: str  # the latest featured day inside the period

    def to_dict(self) -> dict:
        """A ``papers --json`` item plus ``score`` (the DESIGN.md contract of ``top --json``)."""
        return {**self.paper.to_dict(), "score": self.score}


@dataclass(slots=True)
class TopResult:
    """A page-able answer with the same interface ``bot.search.Results`` gives the /papers pager."""

    request: TopRequest
    entries: list[TopEntry]
    total: int

    @property
    def papers(self) -> list[Paper]:
        return [e.paper for e in self.entries]

    @property
    def total_label(self) -> int:
        return self.total

    def pages(self, size: int = PAGE_SIZE) -> int:
        return max(1, math.ceil(len(self.entries) / size))

    def page(self, n: int, size: int = PAGE_SIZE) -> list[Paper]:
        return self.papers[n * size:(n + 1) * size]


def run_top(store: Store, request: TopRequest) -> TopResult:
    """The period's papers by upvotes (ties: latest featured day in the period first), and how many it has."""
    p = request.period
    rows = store.top.ranked(p.since, p.until, request.tags, limit=request.limit)
    entries = [TopEntry(paper, score, day) for paper, score, day in rows]
    total = len(entries) if len(entries) < request.limit else store.top.count(p.since, p.until, request.tags)
    return TopResult(request, entries, total)


def empty_message(request: TopRequest) -> str:
    tags = f" with tag {' + '.join(request.tags)}" if request.tags else ""
    return f"No papers{tags} were featured in {request.period.describe()}."
