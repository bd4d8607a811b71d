"""One client for every OpenAI-compatible ``POST {base_url}/chat/completions`` endpoint.

Why the limits live here: an LLM endpoint bills and throttles per request, and ``enrich`` may have
hundreds of papers to ask about. Every request (retries included) first takes a place among
``max_concurrency`` (a semaphore), then a slot from the rate limiter (:func:`llm_limiter`), so neither
the number in flight nor the requests in any minute ever exceed the settings. A 429 waits out its
``Retry-After``; timeouts, dropped connections and 5xx are retried with exponential backoff. The key
is sent only in the ``Authorization`` header and never appears in an error sentence or a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiolimiter import AsyncLimiter

from bot.config import redact
from bot.errors import PaperboyError
from bot.sources.http import USER_AGENT, connection_reason, wait_hint

log = logging.getLogger(__name__)

RATE_WINDOW = 60.0  # requests_per_minute is per minute


class LLMError(PaperboyError):
    """One paper's request failed (a refusal, a server that kept failing); the run goes on."""


class SchemaRefused(LLMError):
    """The server answered 400 to ``response_format: json_schema``: ask again with ``json_object``."""


class LLMUnavailable(LLMError):
    """The endpoint cannot serve any request (unreachable, key refused, no such model): the run stops."""


@dataclass(slots=True, frozen=True)
class Completion:
    content: str
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def llm_limiter(requests_per_minute: int, window: float = RATE_WINDOW) -> AsyncLimiter:
    """A limiter that starts requests at least ``window / requests_per_minute`` seconds apart.

    :class:`~aiolimiter.AsyncLimiter` is a leaky bucket: ``AsyncLimiter(n, period)`` lets ``n`` go at once
    and then one every ``period / n``, so a window can hold up to ``n`` more than the steady rate (see
    :func:`bot.sources.hf.hf_limiter`). A bucket of one has no burst: consecutive requests are spaced
    evenly, so any ``window`` holds at most ``requests_per_minute`` of them, whether the server counts
    per minute, per second (as OpenAI may quantise its limits) or over a sliding window. The cost is no
    head start for a run of fewer papers than the limit, which is a fraction of one request's latency.
    """
    if requests_per_minute < 1:
        raise ValueError("requests_per_minute must be at least 1")
    return AsyncLimiter(1, window / requests_per_minute)


def _usage(data: dict) -> tuple[int, int]:
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    def count(key: str) -> int:
        v = usage.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**9 else 0
    return count("prompt_tokens"), count("completion_tokens")


def _server_says(text: str) -> str:
    """The server's own error message, short and with any secret blanked (servers echo requests back)."""
    try:
        data = json.loads(text)
        msg = data.get("error", {}).get("message") if isinstance(data.get("error"), dict) else data.get("error")
    except (ValueError, AttributeError):
        msg = None
    msg = msg if isinstance(msg, str) else text
    msg = " ".join(redact(msg).split())
    msg = msg[:160] + ("…" if len(msg) > 160 else "")
    return f": {msg.rstrip('.')}" if msg else ""


class LLMClient:
    """Chat completions over a caller-owned ``aiohttp.ClientSession``, within concurrency and rate.

    ``sleep`` waits out backoff and ``Retry-After`` (tests pass one that records the waits).
    """

    def __init__(self, session: aiohttp.ClientSession, *, base_url: str, model: str, api_key: str | None,
                 timeout_seconds: float = 120.0, max_concurrency: int = 4, requests_per_minute: int = 60,
                 retries: int = 3, backoff: float = 1.0, max_wait: float = 300.0,
                 limiter: AsyncLimiter | None = None,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=min(10.0, timeout_seconds))
        self.timeout_seconds = timeout_seconds
        self.gate = asyncio.Semaphore(max_concurrency)
        self.limiter = limiter if limiter is not None else llm_limiter(requests_per_minute)
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    async def complete(self, body: dict, *, what: str = "a paper") -> Completion:
        """POST ``body``; the answer's message content and token usage, or an :class:`LLMError` sentence."""
        schema_mode = (body.get("response_format") or {}).get("type") == "json_schema"
        last = "no answer"
        async with self.gate:
            for attempt in range(self.retries + 1):
                pause: float | None = None
                try:
                    async with self.limiter, self.session.post(self.url, json=body, headers=self._headers,
                                                               timeout=self.timeout) as resp:
                        text = await resp.text(errors="replace")
                        status = resp.status
                        if status == 200:
                            return self._completion(text, what)
                        if status == 429 or status >= 500:
                            last = f"HTTP {status}"
                            hint = wait_hint(resp.headers)
                            pause = min(self.max_wait, hint) if hint is not None else None
                        elif status == 400 and schema_mode:
                            raise SchemaRefused(f"The LLM server refused a json_schema request (HTTP 400"
                                                f"{_server_says(text)}).")
                        elif status in (401, 403, 404):
                            why = {401: "refused the API key in PAPERBOY_LLM_API_KEY",
                                   403: "refused access with this API key",
                                   404: "has no such endpoint or model (check [llm] base_url and model)"}[status]
                            raise LLMUnavailable(f"The LLM server at {self.base_url} {why} "
                                                 f"(HTTP {status}{_server_says(text)}).")
                        else:
                            raise LLMError(f"The LLM server refused the request for {what} "
                                           f"(HTTP {status}{_server_says(text)}).")
                except TimeoutError:
                    last = f"no answer within {self.timeout_seconds:g} s"
                except aiohttp.ClientConnectorError as err:
                    raise LLMUnavailable(f"Cannot reach the LLM server at {self.base_url}: "
                                         f"{connection_reason(err)}.") from None
                except aiohttp.InvalidURL:
                    raise LLMUnavailable(f"The LLM server address {self.base_url} is not a valid URL.") from None
                except (aiohttp.ClientError, OSError) as err:
                    last = connection_reason(err)
                if attempt >= self.retries:
                    break
                if pause is None:
                    pause = min(self.max_wait, self.backoff * 2**attempt)
                log.warning("LLM: request for %s failed (%s), retry %d of %d in %.2f s",
                            what, last, attempt + 1, self.retries, pause)
                await self.sleep(pause)
        raise LLMError(f"The LLM server kept failing ({last}) for {what} after {self.retries + 1} tries.")

    def _completion(self, text: str, what: str) -> Completion:
        try:
            data = json.loads(text)
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(f"The LLM server's answer for {what} is not a chat completion.") from None
        prompt, completion = _usage(data) if isinstance(data, dict) else (0, 0)
        return Completion(content if isinstance(content, str) else "", prompt, completion)
