"""The one normal form every source produces: :class:`Paper`.

Sources (HF API, arXiv, digest files) differ wildly in shape; everything downstream (tagging, store,
render, delivery) sees only this, so a new source is one parser and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

ARXIV_ID_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
OLD_ARXIV_ID_RE = re.compile(r"\b([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b")


def arxiv_id_from(text: str) -> str | None:
    """The arXiv id in a bare id, an arxiv.org URL or a huggingface.co/papers URL (version dropped)."""
    if not text:
        return None
    m = ARXIV_ID_RE.search(text)
    if m:
        return m.group(1)
    m = OLD_ARXIV_ID_RE.search(text)
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

    @property
    def url(self) -> str:
        return arxiv_url(self.arxiv_id)

    @property
    def hf_url(self) -> str:
        return hf_paper_url(self.arxiv_id)

    def to_dict(self) -> dict:
        """JSON-ready dict: every field plus ``url`` (the contract of ``papers --json``)."""
        d = asdict(self)
        d["url"] = self.url
        d["hf_url"] = self.hf_url
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Paper:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in names})


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
