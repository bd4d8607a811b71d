"""Hugging Face Daily Papers: parse the API's JSON into :class:`Paper`, and fetch a day of it.

The API leaves missing values out rather than sending null, changed shape over time (2024 entries have
no ``submittedOnDailyAt`` and no ``ai_*``), and hard-wraps titles and abstracts; the parsers here accept
all of that and skip only entries with no paper id. The client pages through a day, retries the usual
transient failures and turns everything else into one-sentence :mod:`bot.errors`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.errors import UpstreamError
from bot.models import Paper, arxiv_id_from
from bot.sources.http import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    RetryPolicy,
    day_of,
    fold_line,
    fold_paragraphs,
    get_with_retries,
)

log = logging.getLogger(__name__)

HF_BASE_URL = "https://huggingface.co"
PAGE_SIZE = 100  # the API's maximum; a larger limit is a 400
SERVICE = "Hugging Face"


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


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _paper(paper: dict, entry: dict | None, day: str | None) -> Paper:
    """Build a Paper from HF's paper object (and, for Daily Papers, the entry wrapped around it)."""
    entry = entry or {}
    pid = arxiv_id_from(str(paper.get("id") or "").strip())
    if not pid:
        raise ValueError(f"paper id {paper.get('id')!r} is not an arXiv id")
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
    featured = (
        day_of(paper.get("submittedOnDailyAt"))
        or (day or "")
        or day_of(entry.get("publishedAt"))
        or day_of(paper.get("publishedAt"))
    )
    return Paper(
        arxiv_id=pid,
        title=title,
        authors=_authors(paper.get("authors")),
        abstract=abstract,
        summary=fold_paragraphs(paper.get("ai_summary")),
        keywords=keywords,
        github_urls=[repo] if repo else [],
        project_page=_text(paper.get("projectPage")),
        upvotes=_int(paper.get("upvotes")),
        published_at=_text(paper.get("publishedAt")),
        dates=[featured] if featured else [],
        source="hf-api",
        tags=[],
    )


def parse_paper_object(obj: dict) -> Paper:
    """A flat paper object (``GET /api/papers/ID``) as a Paper; ValueError if it has no usable id."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a paper object, got {type(obj).__name__}")
    return _paper(obj, None, None)


def parse_daily_papers_report(data: Any, day: str | None = None) -> tuple[list[Paper], list[str]]:
    """Daily Papers entries → (papers, warnings); bad entries are skipped and each gets a warning.

    ``day`` is the date the list was fetched for, used when an entry does not say when it was featured.
    Entries may also be flat paper objects (as ``/api/papers/search`` and saved files sometimes are).
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
            papers.append(_paper(paper, wrapper, day))
        except ValueError as err:
            warnings.append(f"entry {i}: skipped, {err}")
    return papers, warnings


def parse_daily_papers(data: list, day: str | None = None) -> list[Paper]:
    """Daily Papers entries → papers; skipped entries are logged as warnings."""
    papers, warnings = parse_daily_papers_report(data, day)
    for w in warnings:
        log.warning("Hugging Face daily papers%s: %s", f" for {day}" if day else "", w)
    return papers


# ------------------------------------------------------------------------------------------- client


class HFClient:
    """Reads Daily Papers over a caller-owned ``aiohttp.ClientSession`` (one session per process).

    ``base_url`` is configurable so tests and the CLI can point it at a local fake.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = HF_BASE_URL,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.policy = RetryPolicy(retries=retries, backoff=backoff, max_wait=max_wait)

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        *,
        base_url: str = HF_BASE_URL,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
    ) -> AsyncIterator[HFClient]:
        """A client with its own session, closed on exit (for the CLI and one-off scripts)."""
        async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}, timeout=timeout) as session:
            yield cls(
                session,
                base_url=base_url,
                timeout=timeout,
                retries=retries,
                backoff=backoff,
                max_wait=max_wait,
            )

    async def _get_json(
        self, path: str, params: dict[str, str | int] | None, *, what: str, bad_body: str, expect: type
    ) -> Any:
        """GET JSON of type ``expect``; None on 404. A body of another shape is retried like bad JSON."""

        def parse(status: int, text: str) -> Any:
            if status == 400:
                raise UpstreamError(f"Hugging Face refused the request for {what} as invalid (HTTP 400).")
            if status == 404:
                return None
            if status >= 300:
                raise UpstreamError(f"Hugging Face answered HTTP {status} for {what}.")
            data = json.loads(text)  # a JSONDecodeError is a ValueError: retried, then bad_body
            if not isinstance(data, expect):
                raise ValueError(f"got a JSON {type(data).__name__}, not a {expect.__name__}")
            return data

        return await get_with_retries(
            self.session,
            self.base_url + path,
            params,
            timeout=self.timeout,
            policy=self.policy,
            service=SERVICE,
            base_url=self.base_url,
            what=what,
            parse=parse,
            bad_body=bad_body,
        )

    async def fetch_page(self, day: str, page: int) -> list[Any]:
        """One raw page (up to 100 entries) of Daily Papers for ``day``."""
        data = await self._get_json(
            "/api/daily_papers",
            {"date": day, "limit": PAGE_SIZE, "p": page},
            what=f"the papers of {day}",
            bad_body=f"Hugging Face returned something that is not a list of papers for {day}.",
            expect=list,
        )
        return data or []

    async def fetch_day(self, day: str) -> list[Paper]:
        """All papers featured on ``day`` (``YYYY-MM-DD``), paging until a short page; [] on empty days."""
        seen: dict[str, Paper] = {}
        page = 0
        while True:
            entries = await self.fetch_page(day, page)
            papers, warnings = parse_daily_papers_report(entries, day)
            for w in warnings:
                log.warning("Hugging Face papers of %s, page %d: %s", day, page, w)
            new = 0
            for p in papers:
                # The API lists what was featured on the day asked for: that day is the appearance, even
                # when submittedOnDailyAt, stamped in UTC, falls on the day before or after.
                p.dates = [day]
                if p.arxiv_id not in seen:
                    seen[p.arxiv_id] = p
                    new += 1
            if len(entries) < PAGE_SIZE or new == 0:  # short page, or a server repeating itself
                break
            page += 1
        return list(seen.values())

    async def fetch_paper(self, arxiv_id: str) -> Paper | None:
        """One paper from ``/api/papers/ID``; None when Hugging Face does not know it."""
        what = f"paper {arxiv_id}"
        bad = f"Hugging Face returned something that is not a paper for {arxiv_id}."
        data = await self._get_json(f"/api/papers/{arxiv_id}", None, what=what, bad_body=bad, expect=dict)
        if data is None:
            return None
        try:
            return parse_paper_object(data)
        except ValueError:
            raise UpstreamError(bad) from None
