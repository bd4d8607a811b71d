"""The one normal form every source produces: :class:`Paper`.

Sources (HF API, arXiv, digest files) differ wildly in shape; everything downstream (tagging, store,
render, delivery) sees only this, so a new source is one parser and nothing else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from urllib.parse import urlsplit

# Every pattern here and in the parsers runs in linear time on any input: quantifiers are bounded,
# possessive, or over character sets that cannot overlap what follows (see tests/sources/test_linear.py).
ARXIV_ID_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d++)?(?![\d])")
# Old-style ids (hep-th/9901001, cond-mat/0102536, math.AG/0601001): an archive name has at most one dash.
# "[a-z\-]+" instead made every word boundary of a text like "a-a-a-a-..." rescan the rest (quadratic).
OLD_ARXIV_ID_RE = re.compile(r"\b([a-z]{1,12}+(?:-[a-z]{1,12}+)?(?:\.[A-Z]{2})?/\d{7})(?:v\d++)?\b")


def arxiv_id_from(text: str) -> str | None:
    """The arXiv id in a bare id, an arxiv.org URL or a huggingface.co/papers URL (version dropped)."""
    if not text:
        return None
    m = ARXIV_ID_RE.search(text)
    if m:
        return m.group(1)
    m = OLD_ARXIV_ID_RE.search(text) if "/" in text else None
    return m.group(1) if m else None


def arxiv_url(arxiv_id: str) -> str:
    """The canonical abstract page of a paper."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def hf_paper_url(arxiv_id: str) -> str:
    """The paper's page on Hugging Face (exists for every paper featured in Daily Papers)."""
    return f"https://huggingface.co/papers/{arxiv_id}"


@dataclass(slots=True)
class Paper:
    """A paper as paperboy knows it.

    ``summary`` is the digest's bullet summary (or HF's ``ai_summary``); ``abstract`` the author's own.
    ``dates`` are the days it was featured. Lists are never None, missing text is ``""``, so callers
    need no None checks; an empty value means "this source did not say", never "blank it".
    """

    arxiv_id: str
    title: str
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    github_urls: list[str] = field(default_factory=list)
    huggingface_urls: list[str] = field(default_factory=list)
    project_page: str = ""
    upvotes: int = 0
    dates: list[str] = field(default_factory=list)
    source: str = ""
    keywords: list[str] = field(default_factory=list)
    published_at: str = ""
    tags_source: str = ""  # "digest" when a human/LLM digest gave them, "auto" when paperboy inferred
    # Where the shown summary came from, as stored ("digest-md", "hf-api", "llm", ...); the store fills it
    # when reading, a parser leaves it "" (its ``source`` says it). See :func:`summary_source_label`.
    summary_source: str = ""
    # What Hugging Face's Daily Papers entry adds (``""``/0 when it did not say; nothing else invents them):
    thumbnail: str = ""  # the entry's social thumbnail: https on a Hugging Face host only (hf_thumbnail)
    github_repo: str = ""  # the repository HF links as the paper's code: the one ``github_stars`` counts
    github_stars: int = 0
    organization: str = ""  # the HF organisation the paper is filed under (its full name)

    @property
    def url(self) -> str:
        return arxiv_url(self.arxiv_id)

    @property
    def hf_url(self) -> str:
        return hf_paper_url(self.arxiv_id)

    def to_dict(self) -> dict:
        """JSON-ready dict: every field plus ``url`` (the contract of ``papers --json``).

        ``summary_source`` and ``tags_source`` are the contract's words (:func:`summary_source_label`,
        :func:`tags_source_label`), not the stored source names: scripts key on what a reader sees.
        """
        d = asdict(self)
        d["summary_source"] = summary_source_label(self.summary_source or self.source, self.summary)
        d["tags_source"] = tags_source_label(self.tags_source)
        d["url"] = self.url
        d["hf_url"] = self.hf_url
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Paper:
        """The inverse of :meth:`to_dict` as far as it goes: the summary's label names no stored
        source, so it is left out; the tags' "model" is the stored "auto"."""
        names = set(cls.__dataclass_fields__) - {"summary_source"}
        paper = cls(**{k: v for k, v in d.items() if k in names})
        if paper.tags_source == "model":
            paper.tags_source = "auto"
        return paper


#: The words ``papers --json`` uses for where a paper's summary and tags came from (DESIGN.md).
SUMMARY_LABELS = ("digest", "llm", "hf", "abstract")
TAGS_LABELS = ("digest", "llm", "model")


def summary_source_label(stored_source: str, summary: str) -> str:
    """What a reader is shown as the summary, in the contract's words: digest, llm, hf or abstract.

    No summary means the abstract stands in for it (that is what the embed and the terminal show);
    arXiv's only text is the abstract, so it is "abstract" too. Every other source that carries a
    summary is an imported file (the seed's Markdown or JSON, or a format added later): "digest".
    """
    if not (summary or "").strip():
        return "abstract"
    return {"llm": "llm", "hf-api": "hf", "arxiv": "abstract"}.get(stored_source or "", "digest")


def tags_source_label(stored: str) -> str:
    """Where the tags came from, in the contract's words: digest, llm, or model (paperboy's tagger,
    stored as "auto"; also what an untagged paper would get)."""
    return stored if stored in ("digest", "llm") else "model"


#: A host name label; a thumbnail's host is huggingface.co or one of its subdomains (its CDNs).
_HF_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_URL = 2048  # Discord refuses longer embed URLs


#: Characters no URL we pass on may hold: whitespace (``\s`` is ``str.isspace``), C0 controls, DEL,
#: and what Discord's Markdown or a browser would read as the URL's end. One regex search: a loop
#: over the characters was a quarter of parsing a Hugging Face day.
_URL_BAD_CHAR = re.compile(r'[\s\x00-\x1f\x7f"<>\\`{}|^]')


def hf_thumbnail(value: object) -> str | None:
    """``value`` if it is an https URL on a Hugging Face host that an embed may show, else None.

    Only what Hugging Face gives is used: an image URL from anywhere else (or over plain http) would
    make Discord fetch whatever a third party serves, and a URL built from the documented pattern for
    a paper Hugging Face sent none for may not exist (an empty frame instead of the old look).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    if _URL_BAD_CHAR.search(value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if (parts.scheme != "https" or port is not None or "@" in parts.netloc or parts.netloc != host
            or not (host == "huggingface.co" or host.endswith(".huggingface.co"))
            or not all(_HF_LABEL.fullmatch(label) for label in host.split(".")) or not parts.path.strip("/")):
        return None
    return value


def parse_day(text: str, today: date | None = None) -> str:
    """A day as ``YYYY-MM-DD`` from ``YYYY-MM-DD``, ``today`` or ``yesterday``; ValueError otherwise."""
    from datetime import timedelta

    from bot.clock import today_in

    t = (text or "").strip().lower()
    base = today or today_in("UTC")  # callers pass their zone's today; UTC (Hugging Face's day), never the host's
    if t == "today":
        return base.isoformat()
    if t == "yesterday":
        return (base - timedelta(days=1)).isoformat()
    try:
        return date.fromisoformat(t).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) else _bad(text)
    except ValueError:
        return _bad(text)


def _bad(text: str) -> str:
    raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD (for example 2025-01-24), 'today' or 'yesterday'.")


# ----------------------------------------------------------------------------------- validation

# The days a paper can plausibly be featured on: arXiv began in 1991, and the upper bound leaves room for
# date arithmetic (a week after the newest day) that a year-9999 day would overflow.
FIRST_DAY = date(1991, 1, 1)
LAST_DAY = date(2199, 12, 31)
_DAY_HEAD_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
MAX_UPVOTES = 2**63 - 1  # SQLite's INTEGER; anything larger is not a real count anyway


def plausible_day(y: str | int, m: str | int, d: str | int) -> str | None:
    """``YYYY-MM-DD`` if (y, m, d) is a real calendar day between 1991 and 2199, else None."""
    try:
        day = date(int(y), int(m), int(d))
    except (ValueError, OverflowError):
        return None
    return day.isoformat() if FIRST_DAY <= day <= LAST_DAY else None


def valid_day(value: object) -> str:
    """The day of a ``YYYY-MM-DD`` date or ISO timestamp (``2025-01-24T00:00:00.000Z``), or ``""``.

    ``""`` unless it is a real, plausible calendar day: ``2025-13-45`` must never become a day in the
    store, where every later date computation (weekdays, "last 7 days") would fail on it.
    """
    if not isinstance(value, str) or len(value) < 10:
        return ""
    if not _DAY_HEAD_RE.fullmatch(value, 0, 10) or (len(value) > 10 and value[10] not in "T "):
        return ""
    return plausible_day(value[0:4], value[5:7], value[8:10]) or ""


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (legal in JSON as ``\\ud800``, not in UTF-8) replaced by U+FFFD."""
    return _SURROGATE_RE.sub("\ufffd", text) if _SURROGATE_RE.search(text) else text


def count_of(value: object) -> int | None:
    """A JSON count (upvotes) as an int in SQLite's range, or None if it is not one (1e999, 10**20, "x")."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        v = value.strip()
        if not v.isascii() or not v.isdigit() or len(v) > 19:
            return None
        value = int(v)
    if not isinstance(value, int) or not 0 <= value <= MAX_UPVOTES:
        return None
    return value


_TEXT_FIELDS = ("title", "abstract", "summary", "project_page", "source", "published_at", "tags_source",
                "summary_source", "thumbnail", "github_repo", "organization")
_LIST_FIELDS = ("authors", "tags", "github_urls", "huggingface_urls", "keywords")


def check_paper(paper: Paper, *, need_day: bool = True) -> tuple[Paper | None, list[str]]:
    """The paper with every value the store can hold, or None if it has no valid day; plus warnings.

    The last gate between any parser and the store: text loses lone surrogates (SQLite cannot encode
    them), a count out of range becomes 0, invalid days are dropped, and a paper left without a day is
    dropped, each with a sentence saying so, so one bad value never costs the rest of a file or a fetch.
    ``need_day=False`` keeps a paper without a day (one fetched by id: the caller knows the day).
    """
    warnings: list[str] = []
    pid = paper.arxiv_id
    for name in _TEXT_FIELDS:
        value = getattr(paper, name)
        if not isinstance(value, str):
            setattr(paper, name, "")
            warnings.append(f"paper {pid}: dropped its {name}: it is not text.")
        elif (fixed := clean_text(value)) is not value:
            setattr(paper, name, fixed)
            warnings.append(f"paper {pid}: its {name} had invalid characters (lone surrogates); replaced them.")
    for name in _LIST_FIELDS:
        values = getattr(paper, name)
        items = [clean_text(v) for v in values if isinstance(v, str)] if isinstance(values, list) else []
        if items != values:
            warnings.append(f"paper {pid}: its {name} had values that are not valid text; dropped or replaced them.")
            setattr(paper, name, items)
    upvotes = count_of(paper.upvotes)
    if upvotes is None:
        warnings.append(f"paper {pid}: dropped its upvotes {brief(paper.upvotes)}: not a count.")
        upvotes = 0
    paper.upvotes = upvotes
    stars = count_of(paper.github_stars) if not isinstance(paper.github_stars, bool) else None
    if stars is None:
        warnings.append(f"paper {pid}: dropped its GitHub stars {brief(paper.github_stars)}: not a count.")
        stars = 0
    paper.github_stars = stars
    if paper.thumbnail and hf_thumbnail(paper.thumbnail) is None:
        warnings.append(f"paper {pid}: dropped its thumbnail {brief(paper.thumbnail)}: "
                        "not an https URL on Hugging Face.")
        paper.thumbnail = ""
    dates = paper.dates if isinstance(paper.dates, list) else []
    days = [valid_day(d) for d in dates]
    kept = list(dict.fromkeys(d for d in days if d))
    if len(kept) != len(dates) or kept != dates:
        bad = [d for d, v in zip(dates, days, strict=True) if not v]
        if bad:
            warnings.append(f"paper {pid}: dropped the day {brief(bad[0])}: it is not a real date.")
        paper.dates = kept
    if not paper.dates and need_day:
        warnings.append(f"paper {pid}: skipped ({brief(paper.title)}): it has no valid day it was featured on.")
        return None, warnings
    return paper, warnings


def check_papers(papers: Iterable[Paper], *, need_day: bool = True) -> tuple[list[Paper], list[str]]:
    """:func:`check_paper` over a batch: the papers kept and every warning, in order."""
    kept: list[Paper] = []
    warnings: list[str] = []
    for paper in papers:
        checked, notes = check_paper(paper, need_day=need_day)
        warnings.extend(notes)
        if checked is not None:
            kept.append(checked)
    return kept, warnings


def brief(value: object, limit: int = 60) -> str:
    """A bounded repr for warnings: a 5,000-digit number or a 1 MB title is not repeated in full."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<a number of about {int(value.bit_length() * 0.30103)} digits>"
    if isinstance(value, (dict, list, tuple, set)):
        return f"<a JSON {'object' if isinstance(value, dict) else 'list'}>"
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]
    text = repr(clean_text(value) if isinstance(value, str) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
