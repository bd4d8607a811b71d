"""The client against a real fake server: request shape, limits, 429s, timeouts, refusals."""

from __future__ import annotations

import aiohttp
import pytest

from bot.llm.client import LLMClient, LLMError, LLMUnavailable, SchemaRefused, llm_limiter
from bot.llm.prompt import PaperText, json_schema_format, request_body
from bot.taxonomy import ALL_TAGS
from tests.fakes.llm_server import COMPLETION_TOKENS, PROMPT_TOKENS, FakeLLM, Fault

PAPER = PaperText("2501.00001", "A title", "An abstract.")


class Waits:
    """An injected sleep: records each wait and returns at once (no test waits on the host clock)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def client(session: aiohttp.ClientSession, fake: FakeLLM, waits: Waits, **kw) -> LLMClient:
    args = {"base_url": fake.url, "model": "fake-model", "api_key": "sk-test-secret-key-123",
            "timeout_seconds": 5.0, "requests_per_minute": 6000, "sleep": waits, **kw}
    return LLMClient(session, **args)


async def test_one_post_with_the_key_in_the_header_and_the_strict_schema_in_the_body() -> None:
    waits = Waits()
    async with FakeLLM() as fake, aiohttp.ClientSession() as session:
        body = request_body("fake-model", PAPER, "English", schema_mode=True)
        done = await client(session, fake, waits).complete(body)
    assert done.content.startswith('{"bullets": ["A title: point 1 of paper 2501.00001."')
    assert (done.prompt_tokens, done.completion_tokens) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    [req] = fake.requests
    assert req["method"] == "POST" and req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test-secret-key-123"
    assert req["body"] == body and req["body"]["response_format"] == json_schema_format()
    fmt = req["body"]["response_format"]
    assert fmt["type"] == "json_schema"
    assert (fmt["json_schema"]["name"], fmt["json_schema"]["strict"]) == ("paper_digest", True)
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert fmt["json_schema"]["schema"]["properties"]["tags"]["items"]["enum"] == list(ALL_TAGS)
    assert req["body"]["model"] == "fake-model"
    assert waits.seconds == []


async def test_a_429_waits_out_its_retry_after_then_succeeds() -> None:
    waits = Waits()
    async with FakeLLM() as fake, aiohttp.ClientSession() as session:
        fake.script(None, Fault.rate_limited(retry_after=7))
        done = await client(session, fake, waits).complete(request_body("m", PAPER, "English", schema_mode=True))
    assert len(fake.requests) == 2 and waits.seconds == [7.0]
    assert done.prompt_tokens == PROMPT_TOKENS


async def test_a_hang_past_the_timeout_and_a_500_are_retried_with_backoff() -> None:
    waits = Waits()
    async with FakeLLM() as fake, aiohttp.ClientSession() as session:
        fake.script(None, Fault.hang(30), Fault.error(502))
        c = client(session, fake, waits, timeout_seconds=0.3, backoff=1.0)
        done = await c.complete(request_body("m", PAPER, "English", schema_mode=True))
    assert len(fake.requests) == 3 and waits.seconds == [1.0, 2.0]
    assert done.completion_tokens == COMPLETION_TOKENS


async def test_a_server_that_keeps_failing_ends_in_one_sentence() -> None:
    waits = Waits()
    async with FakeLLM() as fake, aiohttp.ClientSession() as session:
        fake.script(None, *[Fault.error(503)] * 3)
        with pytest.raises(LLMError) as err:
            await client(session, fake, waits, retries=2).complete(request_body("m", PAPER, "English",
                                                                               schema_mode=True), what="paper X")
    assert str(err.value) == "The LLM server kept failing (HTTP 503) for paper X after 3 tries."
    assert waits.seconds == [1.0, 2.0]


async def test_a_400_to_json_schema_is_its_own_error_and_a_400_otherwise_is_not() -> None:
    waits = Waits()
    async with FakeLLM(refuse_schema=True) as fake, aiohttp.ClientSession() as session:
        c = client(session, fake, waits)
        with pytest.raises(SchemaRefused):
            await c.complete(request_body("m", PAPER, "English", schema_mode=True))
        done = await c.complete(request_body("m", PAPER, "English", schema_mode=False))
    assert done.content.startswith('{"bullets"') and len(fake.requests) == 2


async def test_a_refused_key_stops_the_run_and_the_key_echoed_back_is_blanked(monkeypatch) -> None:
    monkeypatch.setenv("PAPERBOY_LLM_API_KEY", "sk-test-secret-key-123")
    waits = Waits()
    async with FakeLLM() as fake, aiohttp.ClientSession() as session:
        fake.script(None, Fault.echo_key())
        with pytest.raises(LLMUnavailable) as err:
            await client(session, fake, waits).complete(request_body("m", PAPER, "English", schema_mode=True))
    assert str(err.value) == (f"The LLM server at {fake.url} refused the API key in PAPERBOY_LLM_API_KEY "
                              "(HTTP 401: Incorrect API key provided: Bearer [key]).")


async def test_an_unreachable_server_is_one_sentence() -> None:
    waits = Waits()
    async with FakeLLM() as fake:
        url = fake.url
    async with aiohttp.ClientSession() as session:
        c = LLMClient(session, base_url=url, model="m", api_key=None, sleep=waits)
        with pytest.raises(LLMUnavailable) as err:
            await c.complete(request_body("m", PAPER, "English", schema_mode=True))
    assert str(err.value) == f"Cannot reach the LLM server at {url}: connection refused."


async def test_concurrency_never_exceeds_the_setting() -> None:
    import asyncio

    waits = Waits()
    async with FakeLLM(latency=0.05) as fake, aiohttp.ClientSession() as session:
        c = client(session, fake, waits, max_concurrency=3)
        bodies = [request_body("m", PaperText(f"2501.{i:05d}", "t", "a"), "English", schema_mode=True)
                  for i in range(12)]
        await asyncio.gather(*(c.complete(b) for b in bodies))
    assert len(fake.requests) == 12 and fake.max_in_flight == 3


def test_the_limiter_spaces_requests_evenly_so_no_minute_holds_more_than_the_limit() -> None:
    limiter = llm_limiter(60)
    assert (limiter.max_rate, limiter.time_period) == (1, 1.0)
    limiter = llm_limiter(600, window=60.0)
    assert (limiter.max_rate, limiter.time_period) == (1, 0.1)
    with pytest.raises(ValueError):
        llm_limiter(0)
