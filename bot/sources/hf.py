"""Hugging Face Daily Papers: fetch a day of it (the parsers live in :mod:`bot.sources.hf_parse` and
are re-exported here).

The client pages through a day, retries the usual transient failures and turns everything else into
one-sentence :mod:`bot.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from bot.errors import UpstreamError
from bot.models import Paper
from bot.sources.hf_parse import (
    MAX_PAGES,
    PAGE_SIZE,
    HugeNumber,
    _raw_id,
    json_int,
    loads,
    parse_daily_papers_report,
    parse_day_pages,
    parse_paper_object,
)
from bot.sources.http import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    RetryPolicy,
    get_with_retries,
)

# Callers take the parsers and the client from this one module.
__all__ = [
    "BURST", "HF_BASE_URL", "MAX_PAGES", "PAGE_SIZE", "RATE_LIMIT", "RATE_WINDOW", "SAFETY", "SERVICE",
    "HFClient", "HugeNumber", "hf_limiter", "json_int", "loads", "parse_daily_papers", "parse_daily_papers_report",
    "parse_day_pages", "parse_paper_object",
]

log = logging.getLogger(__name__)

HF_BASE_URL = "https://huggingface.co"
SERVICE = "Hugging Face"

# Hugging Face's published budget for the API: 500 requests per 5-minute window, per client.
RATE_LIMIT = 500
RATE_WINDOW = 300.0
BURST = 100  # requests let through at once (a 60-day backfill) before pacing to the steady rate
SAFETY = 30  # requests of the window left unused: slack for requests delayed in transit (see hf_limiter)

def parse_daily_papers(data: list, day: str | None = None) -> list[Paper]:
    """Daily Papers entries → papers; skipped entries are logged as warnings."""
    papers, warnings = parse_daily_papers_report(data, day)
    for w in warnings:
        log.warning("Hugging Face daily papers%s: %s", f" for {day}" if day else "", w)
    return papers



# ------------------------------------------------------------------------------------------- client


def hf_limiter(limit: int = RATE_LIMIT, window: float = RATE_WINDOW, *, burst: int = BURST,
               safety: int = SAFETY) -> AsyncLimiter:
    """A limiter under which no sliding ``window`` ever holds more than ``limit`` requests.

    :class:`~aiolimiter.AsyncLimiter` is a leaky bucket: it admits ``max_rate`` requests at once, then
    one every ``time_period / max_rate`` seconds. Any span of ``w`` seconds therefore holds at most
    ``max_rate + w · max_rate / time_period`` acquisitions. The obvious ``AsyncLimiter(500, 300)``
    admits 500 at once and then 500 more over the next 300 s: up to 1,000 in one 5-minute window.

    So the bucket here is small (``burst`` requests) and drains at ``(limit - safety - burst) / window``
    per second: a window then holds at most ``burst + (limit - safety - burst) = limit - safety``
    acquisitions. The ``safety`` margin covers the gap between acquiring and arriving: a window as the
    server sees it maps onto a slightly longer one here (by the spread of transit delays), which at the
    steady rate is worth ``safety`` requests only if that spread exceeded ``safety / rate`` (≈ 24 s for
    the defaults).

    A leaky bucket cannot have both a large burst and the full steady rate: a bigger ``burst`` costs
    steady rate one for one over the window. The defaults let 100 requests go at once (a backfill of a
    few months runs at full speed) and then 1.23 a second (82% of the ceiling): a year of days takes
    about 3.6 minutes.
    """
    if not 0 < burst < limit - safety:
        raise ValueError(f"burst {burst} must be positive and below limit {limit} minus safety {safety}")
    rate = (limit - safety - burst) / window  # steady requests per second
    return AsyncLimiter(burst, burst / rate)


class HFClient:
    """Reads Daily Papers over a caller-owned ``aiohttp.ClientSession`` (one session per process).

    ``base_url`` is configurable so tests and the CLI can point it at a local fake. Every request
    (retries too) passes ``limiter``: give every client in a process the same one (the
    :class:`~bot.pipeline.Fetcher` does) so the daily fetch and a backfill share one budget.
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
        limiter: AsyncLimiter | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.policy = RetryPolicy(retries=retries, backoff=backoff, max_wait=max_wait)
        self.limiter = limiter if limiter is not None else hf_limiter()

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
            data = loads(text)  # a JSONDecodeError is a ValueError: retried, then bad_body
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
            limiter=self.limiter,
        )

    async def fetch_page(self, day: str, page: int) -> list[Any]:
        """One raw page (up to 100 entries) of Daily Papers for ``day``."""
        return await self._listing_page({"date": day}, page, day)

    async def fetch_week_page(self, week: str, page: int) -> list[Any]:
        """One raw page (up to 100 entries) of the ``week=YYYY-Www`` listing: the week's featured papers
        with their upvotes now (:mod:`bot.upvotes` reads it to refresh the counts of recent days)."""
        return await self._listing_page({"week": week}, page, f"week {week}")

    async def _listing_page(self, which: dict[str, str], page: int, of: str) -> list[Any]:
        """One page of ``/api/daily_papers`` for ``which`` (a day or a week, named ``of``); [] past the end."""
        data = await self._get_json(
            "/api/daily_papers",
            {**which, "limit": PAGE_SIZE, "p": page},
            what=f"the papers of {of}",
            bad_body=f"Hugging Face returned something that is not a list of papers for {of}.",
            expect=list,
        )
        return data or []

    async def fetch_day(self, day: str) -> list[Paper]:
        """All papers featured on ``day`` (``YYYY-MM-DD``); [] on empty days. Warnings are logged."""
        papers, warnings = await self.fetch_day_report(day)
        for w in warnings:
            log.warning("Hugging Face papers of %s: %s", day, w)
        return papers

    async def fetch_day_pages(self, day: str) -> tuple[list[list[Any]], bool]:
        """(the raw pages of ``day``, whether :data:`MAX_PAGES` cut it short): network only, no parsing.

        Paging stops at a short page, or at a page that brings no paper id not seen before (a server
        repeating itself). Kept apart from :func:`parse_day_pages` so a backfill can parse in a worker
        process while this loop goes on downloading.
        """
        pages: list[list[Any]] = []
        ids: set[str] = set()
        for page in range(MAX_PAGES):
            entries = await self.fetch_page(day, page)
            pages.append(entries)
            new = 0
            for entry in entries:
                key = _raw_id(entry)
                if key and key not in ids:
                    ids.add(key)
                    new += 1
            if len(entries) < PAGE_SIZE or new == 0:
                return pages, False
        return pages, True

    async def fetch_day_report(self, day: str) -> tuple[list[Paper], list[str]]:
        """(papers featured on ``day``, warnings), paging until a short page, at most :data:`MAX_PAGES`."""
        pages, capped = await self.fetch_day_pages(day)
        return parse_day_pages(pages, day, capped=capped)

    async def fetch_paper(self, arxiv_id: str) -> Paper | None:
        """One paper from ``/api/papers/ID``; None when Hugging Face does not know it."""
        what = f"paper {arxiv_id}"
        bad = f"Hugging Face returned something that is not a paper for {arxiv_id}."
        data = await self._get_json(f"/api/papers/{arxiv_id}", None, what=what, bad_body=bad, expect=dict)
        if data is None:
            return None
        warnings: list[str] = []
        try:
            paper = parse_paper_object(data, warnings)
        except ValueError:
            raise UpstreamError(bad) from None
        for w in warnings:
            log.warning("Hugging Face %s: %s", what, w)
        return paper
