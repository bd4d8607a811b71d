"""Papers per tag per ISO week: is a topic growing? Shared by ``paperboy trends`` and ``/trends``.

What is counted: distinct papers featured (by Hugging Face or a digest; arXiv's bare listing is left
out, as digests leave it out) in each ISO week, Monday to Sunday, per tag — a paper featured twice in
one week counts once in that week. "The last N weeks" end at the ISO week of the newest featured day
in the store (not today: a store that was not fetched for a while still shows its last weeks rather
than empty ones), and every output states the range. Weeks without papers are 0. Without tags the
:data:`TOP_TAGS` tags with the most papers in the range are shown: more lines would not be readable
on a phone. The chart itself is drawn by :mod:`bot.trends_chart`, so importing this costs no plotting
library. No Discord types here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.errors import PaperboyError
from bot.taxonomy import ALL_TAGS, tag_or_refuse

if TYPE_CHECKING:
    from bot.store import Store

DEFAULT_WEEKS = 12
MAX_WEEKS = 260  # five years: more weeks than a chart 1200 px wide can show one by one anyway
TOP_TAGS = 5  # tags shown when none are asked for
MAX_TAGS = 6  # tags one chart can hold and still be read on a phone


class TrendsError(PaperboyError):
    """Input we refuse (or nothing to count), with the one sentence to show."""


def week_label(day: date) -> str:
    """``YYYY-Www``, the ISO year and week (2024-12-30 is 2025-W01; 2026-12-31 is 2026-W53)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def check_weeks(weeks: object) -> int:
    """The number of weeks as an int from 1 to :data:`MAX_WEEKS`; anything else is one sentence."""
    text = str(weeks).strip()
    try:
        n = int(text)
    except ValueError:
        n = None
    if n is None or not 1 <= n <= MAX_WEEKS:
        raise TrendsError(f"weeks must be a whole number from 1 to {MAX_WEEKS}, not {text[:40]!r}.")
    return n


def check_tags(names: Iterable[str]) -> list[str]:
    """Taxonomy spellings of ``names`` (case-insensitive, duplicates dropped); an unknown tag gets the
    closest real names, as ``papers --tag`` does; more than :data:`MAX_TAGS` are refused."""
    tags: list[str] = []
    for name in names:
        if not name.strip():
            continue
        tags.append(tag_or_refuse(name, TrendsError))
    tags = list(dict.fromkeys(tags))
    if len(tags) > MAX_TAGS:
        raise TrendsError(f"One chart holds at most {MAX_TAGS} tags, and {len(tags)} were given.")
    return tags


def split_tags(text: str | None) -> list[str]:
    """A comma-separated list (the ``/trends tags`` option) → names, still to be checked."""
    return [t for t in (text or "").split(",") if t.strip()]


@dataclass(frozen=True, slots=True)
class Trends:
    """Counts of one trends question. ``counts[tag][i]`` is the papers of ``weeks[i]``."""

    weeks: tuple[str, ...]
    since: str  # the Monday the first week starts
    until: str  # the Sunday the last week ends
    newest_day: str  # the newest featured day in the store: the last week is the one holding it
    tags: tuple[str, ...]
    counts: dict[str, list[int]]
    totals: dict[str, int]  # distinct papers over the whole range (a paper in two weeks counts once)
    picked: bool  # True: the tags are the most active ones, not the ones asked for

    @property
    def range_label(self) -> str:
        """``2025-W01 to 2025-W12 (2024-12-30 to 2025-03-23)``: the range every output states."""
        weeks = self.weeks[0] if len(self.weeks) == 1 else f"{self.weeks[0]} to {self.weeks[-1]}"
        return f"{weeks} ({self.since} to {self.until})"

    @property
    def selection(self) -> str:
        """One sentence on which tags are shown and why."""
        if self.picked and len(self.tags) < TOP_TAGS:
            return f"Tags: every tag with papers in these weeks ({len(self.tags)})"
        if self.picked:
            return f"Tags: the {len(self.tags)} with the most papers in these weeks"
        return "Tags: " + ", ".join(self.tags)

    def to_dict(self) -> dict:
        """The ``trends --json`` shape: the range, the weeks, the tags and their counts (lists by week)."""
        return {
            "range": {"first_week": self.weeks[0], "last_week": self.weeks[-1], "since": self.since,
                      "until": self.until, "newest_day": self.newest_day, "weeks": len(self.weeks)},
            "weeks": list(self.weeks),
            "tags": list(self.tags),
            "selection": "most_active" if self.picked else "given",
            "counts": {t: list(self.counts[t]) for t in self.tags},
            "totals": {t: self.totals.get(t, 0) for t in self.tags},
        }


def compute(store: Store, *, tags: Sequence[str] = (), weeks: int = DEFAULT_WEEKS) -> Trends:
    """Count the last ``weeks`` ISO weeks for ``tags`` (checked names), or for the most active tags.

    Two or three index range scans (one per tag for each query), however large the store.
    """
    weeks = check_weeks(weeks)
    newest = store.trends.newest_featured_day()
    if newest is None:
        raise TrendsError("No featured papers are stored yet, so there is nothing to count; "
                          "fetch or import some days first.")
    last = date.fromisoformat(newest)
    last_monday = last - timedelta(days=last.weekday())
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    since, until = first_monday.isoformat(), (last_monday + timedelta(days=6)).isoformat()
    if tags:
        chosen = list(tags)
        totals = store.trends.totals(chosen, since, until)
    else:
        totals = store.trends.totals(ALL_TAGS, since, until)
        chosen = [t for t, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TAGS]]
        if not chosen:
            raise TrendsError(f"No tagged papers were featured from {since} to {until}; "
                              "ask for more weeks or fetch newer days.")
    counts = {t: [0] * weeks for t in chosen}
    for tag, week, n in store.trends.weekly(chosen, since, until):
        counts[tag][week] = n
    labels = tuple(week_label(first_monday + timedelta(weeks=i)) for i in range(weeks))
    return Trends(weeks=labels, since=since, until=until, newest_day=newest, tags=tuple(chosen),
                  counts=counts, totals={t: totals.get(t, 0) for t in chosen}, picked=not tags)


def format_table(trends: Trends, *, column: int = 12) -> str:
    """A terminal table: one row per week, one column per tag (names wrapped over header lines)."""
    heads = [textwrap.wrap(t, column, break_long_words=False) or [t] for t in trends.tags]
    widths = [max(column, *(len(line) for line in h)) for h in heads]
    depth = max((len(h) for h in heads), default=1)
    lines = []
    for i in range(depth):
        first = "week" if i == 0 else ""
        cells = [(h[i] if i < len(h) else "").rjust(w) for h, w in zip(heads, widths, strict=True)]
        lines.append("  ".join([f"{first:<8}", *cells]).rstrip())
    for i, week in enumerate(trends.weeks):
        cells = [f"{trends.counts[t][i]:>{w}}" for t, w in zip(trends.tags, widths, strict=True)]
        lines.append("  ".join([f"{week:<8}", *cells]))
    totals = [f"{trends.totals[t]:>{w}}" for t, w in zip(trends.tags, widths, strict=True)]
    lines.append("  ".join([f"{'all':<8}", *totals]))
    lines.append("")
    lines.append(f"Distinct papers featured per ISO week (Monday to Sunday), {trends.range_label}; the last week is "
                 f"the one holding the newest stored day, {trends.newest_day}. 'all' counts each paper once.")
    lines.append(trends.selection + ("; choose with --tag." if trends.picked else "."))
    return "\n".join(lines)


def summary(trends: Trends) -> str:
    """A short Markdown summary to go with the chart in Discord (well under 2,000 characters)."""
    lines = [f"**Papers per tag per ISO week**, {trends.range_label}",
             trends.selection + (" (choose with `tags`)." if trends.picked else ".")]
    for tag in trends.tags:
        series, total = trends.counts[tag], trends.totals[tag]
        latest = f"{series[-1]} in {trends.weeks[-1]}" + (f", {series[-2]} the week before" if len(series) > 1 else "")
        lines.append(f"• **{tag}**: {total} paper{'' if total == 1 else 's'}; {latest}")
    lines.append(f"-# Distinct papers featured each week; the last week holds the newest stored day, "
                 f"{trends.newest_day}, and may still be filling.")
    return "\n".join(lines)
