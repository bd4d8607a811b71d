"""arXiv export API (Atom): parse feeds into :class:`Paper`, and fetch one day of chosen categories.

arXiv asks clients for at most one request every 3 seconds over one connection at a time; the client
enforces both with a lock, an :class:`~aiolimiter.AsyncLimiter` and a minimum interval (configurable
so tests need not sleep).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from bot.errors import UpstreamError
from bot.models import Paper, arxiv_id_from, brief, check_papers, valid_day
from bot.sources.http import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    RetryPolicy,
    fold_line,
    fold_paragraphs,
    get_with_retries,
)

log = logging.getLogger(__name__)

ARXIV_BASE_URL = "https://export.arxiv.org"
SERVICE = "arXiv"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
DEFAULT_CATEGORIES = ("cs.CL", "cs.CV", "cs.LG", "cs.AI")
PAGE_SIZE = 200
MAX_PAGES = 50  # 10,000 papers: far above any real day, a stop for a server that never ends

GITHUB_RE = re.compile(r"https?://(?:www\.)?github\.com/[A-Za-z0-9_.-]++/[A-Za-z0-9_.-]++", re.IGNORECASE)


def github_links(*texts: str) -> list[str]:
    """GitHub repository URLs mentioned in free text, in order, without duplicates or trailing dots."""
    found: list[str] = []
    for text in texts:
        for m in GITHUB_RE.finditer(text or ""):
            url = m.group(0).rstrip(".")
            url = re.sub(r"\.git$", "", url)
            if url not in found:
                found.append(url)
    return found


def _text(el: ET.Element | None) -> str:
    return el.text or "" if el is not None else ""


def _entry(el: ET.Element, warnings: list[str]) -> Paper | None:
    """One ``<entry>`` as a Paper; None if it has no recognisable arXiv id.

    An impossible ``published`` date leaves the paper without a day and is named in ``warnings``; the
    caller falls back to the day it asked for, or drops the paper.
    """
    pid = arxiv_id_from(_text(el.find("atom:id", NS)))
    if not pid:
        return None
    abstract = fold_paragraphs(_text(el.find("atom:summary", NS)), indent_is_paragraph=True)
    comment = _text(el.find("arxiv:comment", NS))
    published = _text(el.find("atom:published", NS)).strip()
    authors = [fold_line(_text(a.find("atom:name", NS))) for a in el.findall("atom:author", NS)]
    day = valid_day(published)
    if published and not day:
        warnings.append(f"entry {pid}: its published date {brief(published)} is not a real date")
        published = ""
    return Paper(
        arxiv_id=pid,
        title=fold_line(_text(el.find("atom:title", NS))),
        authors=[a for a in authors if a],
        abstract=abstract,
        github_urls=github_links(comment, abstract),
        project_page="",
        published_at=published,
        dates=[day] if day else [],
        source="arxiv",
        tags=[],
    )


def _parse_feed(xml_text: str, warnings: list[str] | None = None) -> tuple[list[Paper], int, int | None]:
    """(papers, number of entries, opensearch:totalResults); ValueError if it is not an Atom feed.

    Values that cannot be used are dropped with a sentence in ``warnings``.

    arXiv reports a bad query as a feed whose single entry has an ``.../api/errors#...`` id; that becomes
    an UpstreamError carrying arXiv's own explanation.
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as err:
        raise ValueError(f"not well-formed XML ({err})") from None
    if root.tag != f"{{{NS['atom']}}}feed":
        raise ValueError(f"not an Atom feed (root element {root.tag!r})")
    entries = root.findall("atom:entry", NS)
    for el in entries:
        if "/api/errors" in _text(el.find("atom:id", NS)):
            why = fold_line(_text(el.find("atom:summary", NS))) or "no reason given"
            raise UpstreamError(f"arXiv rejected the query: {why.rstrip('.')}.")
    notes = warnings if warnings is not None else []
    papers = [p for p in (_entry(el, notes) for el in entries) if p is not None]
    total_text = _text(root.find("opensearch:totalResults", NS)).strip()
    total = int(total_text) if total_text.isascii() and total_text.isdigit() and len(total_text) < 10 else None
    return papers, len(entries), total


def parse_atom_report(xml_text: str) -> tuple[list[Paper], list[str]]:
    """An arXiv export API response (Atom XML) as (papers, warnings); UpstreamError if it is not one.

    Papers keep ``dates == []`` when their published date is unusable (a warning says so): a saved
    feed then drops them, a fetch files them under the day it asked for.
    """
    warnings: list[str] = []
    try:
        papers = _parse_feed(xml_text, warnings)[0]
    except ValueError as err:
        raise UpstreamError(f"arXiv returned something that is not an Atom feed: {err}.") from None
    return papers, warnings


def parse_atom(xml_text: str) -> list[Paper]:
    """An arXiv export API response (Atom XML) as papers; UpstreamError if it is not one."""
    papers, warnings = parse_atom_report(xml_text)
    for w in warnings:
        log.warning("arXiv feed: %s", w)
    return papers


def day_query(day: str, categories: Iterable[str] = DEFAULT_CATEGORIES) -> str:
    """The ``search_query`` for papers submitted on ``day`` (UTC) in any of ``categories``."""
    compact = day.replace("-", "")
    cats = " OR ".join(f"cat:{c}" for c in categories)
    return f"({cats}) AND submittedDate:[{compact}0000 TO {compact}2359]"


def arxiv_limiter(min_interval: float = 3.0) -> AsyncLimiter | None:
    """One request per ``min_interval`` seconds: a bucket of one that drains in ``min_interval``.

    With a capacity of one the leaky bucket has no burst: two acquisitions are always at least
    ``min_interval`` apart, so no window of that length ever holds two. None for an interval of 0.
    """
    return AsyncLimiter(1, min_interval) if min_interval > 0 else None


class ArxivClient:
    """Reads the arXiv export API politely: one request at a time, ``min_interval`` seconds apart.

    Three guards, each for a reason: the lock keeps one connection at a time; the limiter spaces
    every attempt, retries included, ``min_interval`` apart from start to start (share one ``limiter``
    between clients of one process); and each query also waits ``min_interval`` after the previous one
    *finished*, so even a request that reached arXiv late is followed by a full interval.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = ARXIV_BASE_URL,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retries: int = 4,
        backoff: float = 3.0,
        max_wait: float = 60.0,
        min_interval: float = 3.0,
        page_size: int = PAGE_SIZE,
        limiter: AsyncLimiter | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.policy = RetryPolicy(retries=retries, backoff=backoff, max_wait=max_wait)
        self.min_interval = min_interval
        self.page_size = page_size
        self.limiter = limiter if limiter is not None else arxiv_limiter(min_interval)
        self._lock = asyncio.Lock()
        self._last = float("-inf")

    @classmethod
    @asynccontextmanager
    async def open(
        cls, *, timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT, **kwargs: Any
    ) -> AsyncIterator[ArxivClient]:
        """A client with its own session, closed on exit; ``kwargs`` as for the constructor."""
        async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}, timeout=timeout) as session:
            yield cls(session, timeout=timeout, **kwargs)

    async def query(
        self, params: dict[str, str | int], what: str, warnings: list[str] | None = None
    ) -> tuple[list[Paper], int, int | None]:
        """One export API call, spaced at least ``min_interval`` after the previous one finished."""
        bad = f"arXiv returned something that is not an Atom feed for {what}."

        def parse(status: int, text: str) -> tuple[list[Paper], int, int | None]:
            if status == 400:
                with contextlib.suppress(ValueError):
                    _parse_feed(text)  # arXiv explains a bad query in an error feed: UpstreamError
                raise UpstreamError(f"arXiv refused the request for {what} as invalid (HTTP 400).")
            if status >= 300:
                raise UpstreamError(f"arXiv answered HTTP {status} for {what}.")
            notes: list[str] = []
            parsed = _parse_feed(text, notes)  # ValueError for a broken feed: retried, then ``bad``
            if warnings is not None:
                warnings.extend(notes)
            return parsed

        async with self._lock:
            wait = self._last + self.min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await get_with_retries(
                    self.session,
                    self.base_url + "/api/query",
                    params,
                    timeout=self.timeout,
                    policy=self.policy,
                    service=SERVICE,
                    base_url=self.base_url,
                    what=what,
                    parse=parse,
                    bad_body=bad,
                    limiter=self.limiter,
                )
            finally:
                self._last = time.monotonic()

    async def fetch_day(self, day: str, categories: Iterable[str] = DEFAULT_CATEGORIES) -> list[Paper]:
        """Papers submitted on ``day`` in ``categories``, all pages; [] for a day with none."""
        papers, warnings = await self.fetch_day_report(day, categories)
        for w in warnings:
            log.warning("arXiv papers of %s: %s", day, w)
        return papers

    async def fetch_day_report(
        self, day: str, categories: Iterable[str] = DEFAULT_CATEGORIES
    ) -> tuple[list[Paper], list[str]]:
        """(papers submitted on ``day`` in ``categories``, warnings): all pages, at most :data:`MAX_PAGES`.

        A paper whose published date is unusable is filed under ``day``, the day it was asked for.
        """
        categories = tuple(categories)
        warnings: list[str] = []
        what = f"the {', '.join(categories)} papers of {day}"
        base: dict[str, str | int] = {
            "search_query": day_query(day, categories),
            "sortBy": "submittedDate",
            "sortOrder": "ascending",
            "max_results": self.page_size,
        }
        seen: dict[str, Paper] = {}
        start = 0
        empty_retries = 0
        for _ in range(MAX_PAGES):
            papers, count, total = await self.query({**base, "start": start}, what, warnings)
            for p in papers:
                p.dates = p.dates or [day]
                seen.setdefault(p.arxiv_id, p)
            if count == 0 and total is not None and start < total and empty_retries < 2:
                # A known arXiv quirk: an empty page although totalResults says more. Ask again.
                empty_retries += 1
                log.warning("arXiv: empty page at start=%d of %d for %s, asking again", start, total, what)
                continue
            start += count
            if count < self.page_size or (total is not None and start >= total):
                break
        else:
            warnings.append(f"arXiv still had more papers for {what} after {MAX_PAGES} pages; kept {len(seen)}")
        papers, notes = check_papers(seen.values())
        return papers, warnings + [n.rstrip(".") for n in notes]
