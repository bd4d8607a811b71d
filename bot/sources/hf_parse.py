"""Hugging Face Daily Papers JSON → :class:`~bot.models.Paper`: the parsers, without the client.

The API leaves missing values out rather than sending null, changed shape over time (2024 entries have
no ``submittedOnDailyAt`` and no ``ai_*``), and hard-wraps titles and abstracts; the parsers here accept
all of that and skip only entries with no paper id. A module of its own (:mod:`bot.sources.hf`, which
re-exports all of it, adds the client) so that the backfill's worker processes, which parse pages,
start without importing aiohttp.
"""

from __future__ import annotations

import json
from typing import Any

from bot.models import Paper, arxiv_id_from, brief, check_paper, check_papers, count_of, hf_thumbnail, valid_day
from bot.sources.text import fold_line, fold_paragraphs

PAGE_SIZE = 100  # the API's maximum; a larger limit is a 400
# A day has 10-150 papers; 5 full pages is far above any real day and stops a server that never ends.
MAX_PAGES = 5

_BIG_INT_DIGITS = 40  # longer JSON integers are no count or id we use: read as a float (inf), never int()


class HugeNumber(float):
    """A JSON integer too long to be any count or id (an infinite float that says how long it was)."""

    digits: int

    def __new__(cls, text: str) -> HugeNumber:
        number = super().__new__(cls, "-inf" if text.startswith("-") else "inf")
        number.digits = len(text.lstrip("-"))
        return number

    def __repr__(self) -> str:
        return f"<a {self.digits}-digit number>"


def json_int(digits: str) -> int | float:
    """``parse_int`` for :func:`json.loads`: Python refuses int() of 4,300+ digits with a ValueError
    that would sink the whole payload; such a number becomes a :class:`HugeNumber` (an infinite float)
    that the parsers drop as a field, with a warning, like any other unusable value."""
    return int(digits) if len(digits) <= _BIG_INT_DIGITS else HugeNumber(digits)


def loads(text: str) -> Any:
    """JSON from an upstream or a saved file; ValueError (not RecursionError) for anything unreadable."""
    try:
        return json.loads(text, parse_int=json_int)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


# ------------------------------------------------------------------------------------------ parsing


def _authors(raw: Any) -> list[str]:
    """Names of the visible authors; HF marks authors who asked to be hidden with ``hidden: true``."""
    names: list[str] = []
    if not isinstance(raw, list):
        return names
    for a in raw:
        if isinstance(a, dict):
            if a.get("hidden"):
                continue
            name = fold_line(a.get("name"))
        else:
            name = fold_line(a)
        if name:
            names.append(name)
    return names


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _organization(paper: dict, entry: dict, pid: str, notes: list[str]) -> str:
    """The organisation's display name (``fullname``, else its handle ``name``) from the paper object,
    else the entry; ``""`` when neither names one. Anything but such an object is dropped with a note."""
    for raw in (paper.get("organization"), entry.get("organization")):
        if raw is None:
            continue
        name = (fold_line(raw.get("fullname")) or fold_line(raw.get("name"))) if isinstance(raw, dict) else ""
        if name:
            return name
        notes.append(f"paper {pid}: dropped its organization {brief(raw)}, it names none")
    return ""


def _extras(paper: dict, entry: dict, pid: str, notes: list[str]) -> dict[str, Any]:
    """What the richer embed shows: thumbnail, the code's GitHub stars, organisation.

    The thumbnail is the entry's own (Daily Papers entries carry one, flat paper objects none), used
    only as an https URL on a Hugging Face host; paperboy never builds one from the documented
    ``cdn-thumbnails`` pattern, since nothing says that image exists for a paper Hugging Face gave
    none for. A bad value costs that field only, with a note, like a bad upvote count.
    """
    raw_thumb = entry.get("thumbnail")
    thumbnail = hf_thumbnail(raw_thumb.strip()) if isinstance(raw_thumb, str) else None
    if raw_thumb not in (None, "") and thumbnail is None:
        notes.append(f"paper {pid}: dropped its thumbnail {brief(raw_thumb)}, not an https URL on Hugging Face")
    raw_stars = paper.get("githubStars")
    stars = None if isinstance(raw_stars, bool) else count_of(raw_stars if raw_stars is not None else 0)
    if stars is None:
        notes.append(f"paper {pid}: dropped its GitHub stars {brief(raw_stars)}, not a count")
    return {"thumbnail": thumbnail or "", "github_stars": stars or 0,
            "organization": _organization(paper, entry, pid, notes)}


def _paper(paper: dict, entry: dict | None, day: str | None, warnings: list[str] | None = None) -> Paper:
    """Build a Paper from HF's paper object (and, for Daily Papers, the entry wrapped around it).

    A value we cannot use (an upvote count of 1e999, an impossible date) drops that field with a sentence
    in ``warnings``; only a missing paper id drops the paper (ValueError).
    """
    entry = entry or {}
    notes = warnings if warnings is not None else []
    raw_id = paper.get("id")
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool) and abs(raw_id) < 1e12:
        raw_id = str(raw_id)  # an id saved as a JSON number (2501.12345)
    pid = arxiv_id_from(raw_id.strip()) if isinstance(raw_id, str) else None
    if not pid:
        raise ValueError(f"paper id {brief(raw_id)} is not an arXiv id")
    title = fold_line(entry.get("title")) or fold_line(paper.get("title"))
    abstract = fold_paragraphs(paper.get("summary") or entry.get("summary"), indent_is_paragraph=True)
    keywords = paper.get("ai_keywords")
    keywords = (
        [fold_line(k) for k in keywords if isinstance(k, str) and k.strip()]
        if isinstance(keywords, list)
        else []
    )
    repo = _text(paper.get("githubRepo"))
    # When it was featured: the daily slot if HF says so, else the day we asked for, else (2024 shape)
    # the entry's own publishedAt, which then is the moment it was put on Daily Papers.
    stamp = paper.get("submittedOnDailyAt")
    featured = (
        valid_day(stamp)
        or (valid_day(day) if day else "")
        or valid_day(entry.get("publishedAt"))
        or valid_day(paper.get("publishedAt"))
    )
    if stamp not in (None, "") and not valid_day(stamp):
        instead = f"using {featured}" if featured else "and it has no other"
        notes.append(f"paper {pid}: its submittedOnDailyAt {brief(stamp)} is not a real day; {instead}")
    published = _text(paper.get("publishedAt"))
    if published and not valid_day(published):
        notes.append(f"paper {pid}: dropped its publishedAt {brief(published)}, not a real date")
        published = ""
    raw_votes = paper.get("upvotes", 0)
    upvotes = count_of(raw_votes if raw_votes is not None else 0)
    if upvotes is None:
        notes.append(f"paper {pid}: dropped its upvotes {brief(raw_votes)}, not a count")
        upvotes = 0
    return Paper(
        arxiv_id=pid,
        title=title,
        authors=_authors(paper.get("authors")),
        abstract=abstract,
        summary=fold_paragraphs(paper.get("ai_summary")),
        keywords=keywords,
        github_urls=[repo] if repo else [],
        github_repo=repo,
        **_extras(paper, entry, pid, notes),
        project_page=_text(paper.get("projectPage")),
        upvotes=upvotes,
        published_at=published,
        dates=[featured] if featured else [],
        source="hf-api",
        tags=[],
    )


def parse_paper_object(obj: dict, warnings: list[str] | None = None) -> Paper:
    """A flat paper object (``GET /api/papers/ID``) as a Paper; ValueError if it has no usable id.

    Values that cannot be used are dropped with a sentence in ``warnings`` (a paper with no valid day
    keeps ``dates == []``: the caller knows which day it is about).
    """
    if not isinstance(obj, dict):
        raise ValueError(f"expected a paper object, got {type(obj).__name__}")
    notes: list[str] = []
    checked, more = check_paper(_paper(obj, None, None, notes), need_day=False)
    assert checked is not None  # need_day=False: check_paper drops values, never this paper
    if warnings is not None:
        warnings.extend(notes + [m.rstrip(".") for m in more])
    return checked


def parse_daily_papers_report(data: Any, day: str | None = None) -> tuple[list[Paper], list[str]]:
    """Daily Papers entries → (papers, warnings); bad entries are skipped and each gets a warning.

    ``day`` is the date the list was fetched for, used when an entry does not say when it was featured.
    Entries may also be flat paper objects (as ``/api/papers/search`` and saved files sometimes are).
    Every paper passes :func:`bot.models.check_paper`, so none carries a value the store cannot hold.
    """
    if not isinstance(data, list):
        return [], [f"expected a list of Daily Papers entries, got {type(data).__name__}"]
    papers: list[Paper] = []
    warnings: list[str] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            warnings.append(f"entry {i}: skipped, not an object but {type(entry).__name__}")
            continue
        inner = entry.get("paper")
        paper, wrapper = (inner, entry) if isinstance(inner, dict) else (entry, None)
        if not paper.get("id"):
            warnings.append(f"entry {i}: skipped, it has no paper id")
            continue
        try:
            papers.append(_paper(paper, wrapper, day, warnings))
        except ValueError as err:
            warnings.append(f"entry {i}: skipped, {err}")
    # Without a day here, a paper keeps dates == []: the caller knows which day it asked for or read.
    papers, notes = check_papers(papers, need_day=False)
    warnings.extend(n.rstrip(".") for n in notes)
    return papers, warnings


def _raw_id(entry: Any) -> str:
    """The paper id an unparsed entry claims (``""`` when it has none): enough to notice repeated pages."""
    if not isinstance(entry, dict):
        return ""
    inner = entry.get("paper")
    return str((inner if isinstance(inner, dict) else entry).get("id") or "")


def parse_day_pages(pages: list[list[Any]], day: str, *, capped: bool = False) -> tuple[list[Paper], list[str]]:
    """The papers of ``day``'s raw pages (first sighting of an id wins) and warnings, one sentence each.

    A server that kept sending full pages of new papers was stopped at the cap (``capped``): what came
    is kept and the first warning says the day may be incomplete.
    """
    seen: dict[str, Paper] = {}
    warnings: list[str] = []
    for page, entries in enumerate(pages):
        papers, notes = parse_daily_papers_report(entries, day)
        warnings.extend(f"page {page}, {w}" for w in notes)
        for p in papers:
            # The API lists what was featured on the day asked for: that day is the appearance, even
            # when submittedOnDailyAt, stamped in UTC, falls on the day before or after.
            p.dates = [day]
            seen.setdefault(p.arxiv_id, p)
    if capped:
        warnings.insert(0, (  # first, so that a shortened list of warnings still shows it
            f"Hugging Face still had more papers for {day} after {MAX_PAGES} pages of {PAGE_SIZE}; "
            f"kept the first {len(seen)} (no real day has that many, so the server is misbehaving)"
        ))
    return list(seen.values()), warnings
