"""``paperboy enrich`` and the bot's after-fetch enrichment: which papers to ask about, asking, storing.

Which papers: those featured in the range whose summary did not come from an imported digest and that
have no good cached answer for (paper, model, :data:`~bot.llm.prompt.PROMPT_VERSION`); ``force`` asks
again about the cached ones. One request per paper, ``json_schema`` first; after a 400 to it, that
paper's next request is ``json_object`` with the schema in the prompt (the next run tries
``json_schema`` again). A good answer is written through the store's merge rule (summary source
``llm``, tags source ``llm``), so an imported digest still wins; a bad or failed one changes nothing in
``papers``, is recorded as failed and is asked again next run. A server that cannot be reached at all
(or refuses the key) stops the run with one sentence, keeping what was stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from bot.config import Settings
from bot.errors import PaperboyError
from bot.llm.answer import BadAnswer, check_answer
from bot.llm.client import Completion, LLMClient, LLMUnavailable, SchemaRefused, llm_limiter
from bot.llm.prompt import PROMPT_VERSION, PaperText, cut_fulltext, request_body
from bot.models import Paper
from bot.sources.hf import hf_limiter
from bot.sources.http import USER_AGENT, RetryPolicy, get_with_retries
from bot.store import Store

log = logging.getLogger(__name__)


class NotConfigured(PaperboyError):
    """``[llm] base_url`` (or ``model``) is empty."""


@dataclass(slots=True)
class EnrichReport:
    """What a run did: the figures ``enrich`` prints (``--json``: :meth:`to_dict`)."""

    done: int = 0
    failed: int = 0
    skipped_digest: int = 0  # the summary came from an imported digest: never asked
    skipped_cached: int = 0  # a good answer for this model and prompt is stored already
    prompt_tokens: int = 0
    completion_tokens: int = 0
    dropped_tags: int = 0  # tags outside the taxonomy taken out of good answers
    failures: list[str] = field(default_factory=list)  # "ID: why", one per failed paper

    @property
    def skipped(self) -> int:
        return self.skipped_digest + self.skipped_cached

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "failed": self.failed, "skipped": self.skipped,
                "skipped_digest": self.skipped_digest, "skipped_cached": self.skipped_cached,
                "tokens": self.tokens, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "dropped_tags": self.dropped_tags,
                "failures": list(self.failures)}

    def sentence(self) -> str:
        return (f"Enriched {self.done} paper(s), {self.failed} failed, {self.skipped} skipped "
                f"({self.skipped_digest} with digest summaries, {self.skipped_cached} already done); "
                f"{self.tokens} tokens used.")


def require_configured(settings: Settings) -> None:
    if not settings.llm.enabled:
        raise NotConfigured("LLM enrichment is not configured: set [llm] base_url (or PAPERBOY_LLM_BASE_URL) "
                            "and model in the config file.")
    if not settings.llm.model.strip():
        raise NotConfigured("LLM enrichment needs a model: set [llm] model in the config file.")


class Enricher:
    """Asks the configured endpoint about stored papers. Use ``async with``: it owns an HTTP session
    unless given one. ``limiter``/``hf_rate``/``sleep`` are for sharing budgets and for tests."""

    def __init__(self, settings: Settings, *, session: aiohttp.ClientSession | None = None,
                 limiter: AsyncLimiter | None = None, hf_rate: AsyncLimiter | None = None,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        require_configured(settings)
        self.settings = settings
        self._own_session = session is None
        self._session = session
        self._limiter = limiter
        self.hf_rate = hf_rate if hf_rate is not None else hf_limiter()
        self._sleep = sleep
        self.client: LLMClient | None = None

    async def __aenter__(self) -> Enricher:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        llm = self.settings.llm
        self.client = LLMClient(self._session, base_url=llm.base_url, model=llm.model, api_key=llm.api_key,
                                timeout_seconds=llm.timeout_seconds, max_concurrency=llm.max_concurrency,
                                requests_per_minute=llm.requests_per_minute, limiter=self._limiter,
                                sleep=self._sleep)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

    @property
    def model(self) -> str:
        return self.settings.llm.model.strip()

    async def enrich(self, store: Store, since: str, until: str, *, force: bool = False,
                     progress: Callable[[str, bool], None] | None = None,
                     on_plan: Callable[[int], None] | None = None) -> EnrichReport:
        """Ask about the papers of [since, until] that need it; ``progress(id, ok)`` after each paper."""
        assert self.client is not None, "use 'async with Enricher(...)'"
        plan = store.enrichments.candidates(since, until, self.model, PROMPT_VERSION, force=force)
        report = EnrichReport(skipped_digest=len(plan.digest), skipped_cached=len(plan.cached))
        if on_plan:
            on_plan(len(plan.ask))
        tasks = [asyncio.create_task(self._one(store, aid, report, progress), name=f"enrich {aid}")
                 for aid in plan.ask]
        try:
            for next_done in asyncio.as_completed(tasks):
                await next_done
        except BaseException:  # the endpoint is gone, or the run was cancelled: stop the papers in flight
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return report

    async def _one(self, store: Store, aid: str, report: EnrichReport,
                   progress: Callable[[str, bool], None] | None) -> None:
        paper = store.get(aid)
        if paper is None:  # removed meanwhile
            return
        text = await self._text(paper)
        ok, error, prompt_tokens, completion_tokens = False, "", 0, 0
        try:
            completion = await self._ask(text)
            prompt_tokens, completion_tokens = completion.prompt_tokens, completion.completion_tokens
            answer = check_answer(completion.content)
        except LLMUnavailable:
            raise
        except (PaperboyError, BadAnswer) as exc:
            error = str(exc).rstrip(".")
        else:
            ok = True
            report.dropped_tags += len(answer.dropped_tags)
            store.upsert_papers([Paper(arxiv_id=aid, title="", summary=answer.summary, tags=answer.tags,
                                       tags_source="llm" if answer.tags else "", source="llm")])
        report.prompt_tokens += prompt_tokens
        report.completion_tokens += completion_tokens
        store.enrichments.record(aid, self.model, PROMPT_VERSION, ok=ok, prompt_tokens=prompt_tokens,
                                 completion_tokens=completion_tokens, error=error)
        if ok:
            report.done += 1
        else:
            report.failed += 1
            report.failures.append(f"{aid}: {error}")
            log.warning("LLM enrichment of %s failed: %s", aid, error)
        if progress:
            progress(aid, ok)

    async def _ask(self, text: PaperText) -> Completion:
        """One paper: ``json_schema`` first; on a 400 to it, once more with ``json_object``."""
        assert self.client is not None
        llm = self.settings.llm
        what = f"paper {text.arxiv_id}"
        try:
            return await self.client.complete(request_body(self.model, text, llm.language, schema_mode=True),
                                              what=what)
        except SchemaRefused:
            log.info("LLM: %s refused json_schema; asking again with json_object", llm.base_url)
            return await self.client.complete(request_body(self.model, text, llm.language, schema_mode=False),
                                              what=what)

    async def _text(self, paper: Paper) -> PaperText:
        """Title and abstract, or with ``input = "fulltext"`` Hugging Face's Markdown of the paper, cut."""
        abstract = paper.abstract or paper.summary
        if self.settings.llm.input != "fulltext":
            return PaperText(paper.arxiv_id, paper.title, abstract)
        try:
            markdown = await self._fulltext(paper.arxiv_id)
        except PaperboyError as exc:
            log.warning("full text of %s unavailable (%s); using its abstract", paper.arxiv_id, exc)
            markdown = ""
        if not markdown.strip():
            return PaperText(paper.arxiv_id, paper.title, abstract)
        return PaperText(paper.arxiv_id, paper.title, cut_fulltext(markdown), kind="fulltext")

    async def _fulltext(self, arxiv_id: str) -> str:
        assert self._session is not None
        hf = self.settings.hf

        def parse(status: int, text: str) -> str:
            if status == 404:
                return ""
            if status != 200:
                raise PaperboyError(f"Hugging Face answered HTTP {status} for the full text of {arxiv_id}.")
            return text

        base = hf.base_url.rstrip("/")
        return await get_with_retries(
            self._session, f"{base}/papers/{arxiv_id}.md", timeout=aiohttp.ClientTimeout(
                total=hf.timeout_seconds, connect=hf.connect_timeout_seconds),
            policy=RetryPolicy(retries=hf.retries, backoff=hf.backoff_seconds,
                               max_wait=hf.max_rate_limit_wait_seconds),
            service="Hugging Face", base_url=base, what=f"the full text of {arxiv_id}", parse=parse,
            bad_body=f"Hugging Face sent an unusable full text for {arxiv_id}.", limiter=self.hf_rate)


async def enrich_fetched_day(settings: Settings, store: Store, day: str) -> str:
    """The day's enrichment for the no-token daily job: a sentence for the terminal, '' when not configured.

    A failure to reach the endpoint is reported, never raised: the day's digest prints with its fallback
    summaries.
    """
    if not settings.llm.enabled:
        return ""
    try:
        async with Enricher(settings) as enricher:
            return (await enricher.enrich(store, day, day)).sentence()
    except PaperboyError as exc:
        return f"LLM enrichment skipped: {str(exc).rstrip('.')}; the summaries stay as fetched."


class BackgroundEnrichment:
    """The bot's enrichment after each daily fetch, as background tasks it can cancel on close.

    A channel's post never waits for it: papers not yet enriched post with their fallback summary.
    Runs for the same day never overlap (a re-check fetch of a still-filling day starts another run,
    which then asks only about the papers the first did not).
    """

    def __init__(self, settings: Settings, store: Store, *, hf_rate: AsyncLimiter | None = None,
                 on_enriched: Callable[[str], object] | None = None) -> None:
        self.settings = settings
        self.store = store
        self.hf_rate = hf_rate
        #: Called with the day after a run that changed some papers (the bot re-exports the day's files).
        self.on_enriched = on_enriched
        self._tasks: set[asyncio.Task] = set()
        self._lock = asyncio.Lock()
        self._limiter: AsyncLimiter | None = None  # one rate budget across every run of this process
        #: The last run's report (for logs and tests).
        self.last_report: EnrichReport | None = None

    def start(self, day: str) -> asyncio.Task | None:
        """Begin enriching ``day`` in the background; None when no LLM is configured."""
        if not self.settings.llm.enabled or not self.settings.llm.model.strip():
            return None
        task = asyncio.create_task(self._run(day), name=f"paperboy enrich {day}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, day: str) -> None:
        async with self._lock:
            if self._limiter is None:
                self._limiter = llm_limiter(self.settings.llm.requests_per_minute)
            try:
                async with Enricher(self.settings, limiter=self._limiter, hf_rate=self.hf_rate) as enricher:
                    self.last_report = await enricher.enrich(self.store, day, day)
                log.info("LLM enrichment of %s: %s", day, self.last_report.sentence())
                if self.last_report.done and self.on_enriched is not None:
                    self.on_enriched(day)
            except PaperboyError as exc:
                log.warning("LLM enrichment of %s stopped: %s", day, exc)
            except Exception:
                log.exception("LLM enrichment of %s failed; the day posts with its fallback summaries", day)

    async def wait(self) -> None:
        """Until every run started so far has finished (tests, and a clean shutdown if wanted)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def close(self) -> None:
        """Cancel every run still going and wait for them to unwind (before the store closes)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
