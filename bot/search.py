"""Finding papers for a person: validating what they typed, paging results, tag suggestions.

Shared by ``/papers`` and ``paperboy papers`` so both answer the same papers in the same order, and
every refusal is the same plain sentence. No Discord types here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from bot.models import Paper, parse_day
from bot.store import Query, Store
from bot.taxonomy import ALL_TAGS, tag_or_refuse

MAX_QUERY_CHARS = 200
MAX_RESULTS = 100
COUNT_CAP = 1_000  # counting every match of a broad search at a million papers costs more than it tells
PAGE_SIZE = 5


class SearchError(ValueError):
    """Input we refuse, with the sentence to show."""


@dataclass(slots=True)
class Search:
    query: Query
    heading: str


def build_search(*, tags: list[str] | tuple[str, ...] = (), day: str | None = None, since: str | None = None,
                 until: str | None = None, text: str | None = None, limit: int = 25,
                 today: date | None = None, max_results: int = MAX_RESULTS) -> Search:
    """Validate and normalise the options of a search; SearchError names the first problem."""
    parts: list[str] = []
    canonical: list[str] = []
    for tag in tags:
        canonical.append(tag_or_refuse(tag, SearchError))
    if canonical:
        parts.append(f"tag {' + '.join(canonical)}")
    if day and (since or until):
        raise SearchError("Use either date or since/until, not both.")
    try:
        day = parse_day(day, today) if day else None
        since = parse_day(since, today) if since else None
        until = parse_day(until, today) if until else None
    except ValueError as exc:
        raise SearchError(str(exc)) from None
    if since and until and since > until:
        raise SearchError(f"since ({since}) is after until ({until}).")
    if day:
        parts.append(day)
    elif since or until:
        parts.append(f"{since or '…'} to {until or '…'}")
    if text is not None:
        text = " ".join(text.split())
        if len(text) > MAX_QUERY_CHARS:
            raise SearchError(f"The search text is too long: keep it under {MAX_QUERY_CHARS} characters.")
        if not any(c.isalnum() for c in text):
            raise SearchError("The search text has no words to look for.")
        parts.append(f"“{text}”")
    if not 1 <= limit <= max_results:
        raise SearchError(f"limit must be between 1 and {max_results}.")
    q = Query(tags=canonical, day=day, since=since, until=until, text=text or None, limit=limit)
    return Search(q, " · ".join(parts) or "newest papers")


@dataclass(slots=True)
class Results:
    papers: list[Paper]
    total: int
    capped: bool = False

    @property
    def total_label(self) -> int | str:
        return f"{self.total:,}+" if self.capped else self.total

    def pages(self, size: int = PAGE_SIZE) -> int:
        return max(1, math.ceil(len(self.papers) / size))

    def page(self, n: int, size: int = PAGE_SIZE) -> list[Paper]:
        return self.papers[n * size:(n + 1) * size]


def run_search(store: Store, search: Search) -> Results:
    """All results up to the limit (at most 100, so paging needs no more queries) and the full count."""
    papers = store.query(search.query)
    if len(papers) < search.query.limit:
        return Results(papers, len(papers))
    total = store.count(search.query, cap=COUNT_CAP)
    return Results(papers, total, capped=total >= COUNT_CAP)


def empty_message(store: Store, search: Search) -> str:
    """What to say when nothing matched: for a day with nothing, offer the nearest day that has papers."""
    q = search.query
    if q.day:
        near = store.nearest_day_with_papers(q.day)
        weekday = date.fromisoformat(q.day).strftime("%A")
        if not store.days_with_papers(q.day, q.day):
            why = "a weekend: Hugging Face features no papers then" if weekday in ("Saturday", "Sunday") else \
                "a day with no papers stored"
            tail = f" The nearest day with papers is {near}." if near else ""
            return f"No papers for {weekday} {q.day} — {why}.{tail}"
    return f"No papers match {search.heading}."


class TagCounts:
    """Tag → paper count, cached so autocomplete answers in microseconds at any store size.

    Recomputed when the store has been written to since, by this process or another.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._generation: tuple[int, int] = (-1, -1)
        self._counts: list[tuple[str, int]] = []

    def counts(self) -> list[tuple[str, int]]:
        # Our own writes bump Store.generation; SQLite's data_version moves when another connection
        # (a `paperboy import` beside the running bot) commits.
        version = (self.store.generation, self.store.data_version())
        if self._generation != version:
            self._counts = self.store.tag_counts()
            self._generation = version
        return self._counts

    def choices(self, current: str, n: int = 25) -> list[tuple[str, str]]:
        """(label with count, tag) pairs for autocomplete: matches first by how many papers carry them."""
        cur = " ".join(current.split()).casefold()
        counts = dict(self.counts())
        matching = [t for t in ALL_TAGS if cur in t.casefold()]
        matching.sort(key=lambda t: (not t.casefold().startswith(cur), -counts.get(t, 0), t))
        return [(f"{t} ({counts.get(t, 0)})", t) for t in matching[:n]]


def tag_table(store: Store) -> tuple[list[dict], str | None]:
    """Rows of tag, all-time count, last-7-days count; and the newest day the week is counted to."""
    days = store.days_with_papers()
    since = (date.fromisoformat(days[-1]) - timedelta(days=6)).isoformat() if days else None
    recent = dict(store.tag_counts(since)) if since else {}
    rows = [{"tag": t, "papers": n, "last_7_days": recent.get(t, 0)} for t, n in store.tag_counts()]
    return rows, (days[-1] if days else None)
