"""A protocol-level fake of an OpenAI-compatible server (``POST /v1/chat/completions``) on 127.0.0.1.

A real aiohttp server, so the client under test runs its real HTTP code: headers, status codes,
``Retry-After``, timeouts. It also serves Hugging Face's ``GET /papers/{id}.md`` full texts (``fulltext``),
so ``[huggingface] base_url`` can point at it for ``input = "fulltext"``.

Every request is recorded (``fake.requests``: method, path, headers, JSON body, arrival order) so tests
assert the exact request shape. Answers are scripted: by default each paper (found by the ``arXiv id:``
line of the user message) gets four bullets naming it and two tags; ``fake.answers[id]`` replaces the
content for one paper, and faults queue up per paper (``fake.script(id, Fault...)``) or for any request
(``fake.script(None, ...)``); each request takes the next fault of its paper, else of the shared queue.

    async with FakeLLM() as fake:
        fake.script("2501.00001", Fault.rate_limited(retry_after=2))
        settings.llm.base_url = fake.url
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

HOSTILE_BULLETS = [
    "@everyone this paper is great",
    "Ping <@&1> and <@123456789012345678> now",
    "Click [x](javascript:alert(1)) for the code",
    "A fine [project page](https://example.org/p) too",
]
DEFAULT_TAGS = ["Natural Language Processing", "Text Generation"]
PROMPT_TOKENS, COMPLETION_TOKENS = 100, 40  # every 200 answer's usage, so token totals are exact


@dataclass(slots=True)
class Fault:
    """What to do instead of the normal answer to one request.

    ``kind``: ``status`` (answer ``status`` with ``body``/``headers``), ``content`` (a 200 whose message
    content is ``body``), ``raw`` (a 200 whose whole HTTP body is ``body``), ``hang`` (wait ``seconds``,
    then answer normally), ``schema400`` (a 400 to a ``json_schema`` request; other requests pass), and
    ``echo_key`` (a 401 whose error message repeats the Authorization header, as careless servers do).
    """

    kind: str
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @classmethod
    def error(cls, status: int = 500) -> Fault:
        return cls("status", status, json.dumps({"error": {"message": f"server error {status}"}}))

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> Fault:
        return cls("status", 429, json.dumps({"error": {"message": "Rate limit reached"}}),
                   {"Retry-After": str(retry_after)})

    @classmethod
    def malformed(cls) -> Fault:
        return cls("content", body='{"bullets": ["an answer cut off mid-way", "and')

    @classmethod
    def not_a_completion(cls) -> Fault:
        return cls("raw", body="<html>502 Bad Gateway</html>")

    @classmethod
    def tags(cls, tags: list[str], bullets: list[str] | None = None) -> Fault:
        return cls("content", body=json.dumps({"bullets": bullets or [f"Point {i}." for i in range(1, 5)],
                                               "tags": tags}))

    @classmethod
    def hostile(cls) -> Fault:
        return cls("content", body=json.dumps({"bullets": HOSTILE_BULLETS, "tags": ["Multimodal"]}))

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Fault:
        return cls("hang", seconds=seconds)

    @classmethod
    def schema400(cls) -> Fault:
        return cls("schema400")

    @classmethod
    def echo_key(cls) -> Fault:
        return cls("echo_key")


_ID_LINE = re.compile(r"^arXiv id: (\S+)$", re.MULTILINE)
_TITLE_LINE = re.compile(r"^Title: (.*)$", re.MULTILINE)


def paper_id(body: Any) -> str:
    """The arXiv id the request asks about (from the user message), '' if none."""
    try:
        user = next(m["content"] for m in body["messages"] if m.get("role") == "user")
    except (KeyError, StopIteration, TypeError):
        return ""
    m = _ID_LINE.search(user)
    return m.group(1) if m else ""


def default_content(body: Any) -> str:
    pid = paper_id(body)
    user = next((m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"), "")
    m = _TITLE_LINE.search(user)
    title = m.group(1) if m else pid
    return json.dumps({"bullets": [f"{title}: point {i} of paper {pid}." for i in range(1, 5)],
                       "tags": DEFAULT_TAGS})


class FakeLLM:
    """The fake server; ``refuse_schema`` answers every ``json_schema`` request with a 400 (a server that
    never supports it), ``latency`` delays every chat answer."""

    def __init__(self, *, latency: float = 0.0, refuse_schema: bool = False,
                 fulltext: dict[str, str] | None = None) -> None:
        self.latency = latency
        self.refuse_schema = refuse_schema
        self.fulltext = dict(fulltext or {})
        self.answers: dict[str, str] = {}
        self.requests: list[dict] = []
        self.fulltext_requests: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._faults: dict[str | None, deque[Fault]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        """The base URL to configure (``[llm] base_url``), with the ``/v1`` OpenAI clients expect."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root(self) -> str:
        """The server root, as ``[huggingface] base_url`` for full texts."""
        return f"http://127.0.0.1:{self.port}"

    def script(self, arxiv_id: str | None, *faults: Fault) -> None:
        self._faults[arxiv_id].extend(faults)

    def bodies(self, arxiv_id: str | None = None) -> list[dict]:
        return [r["body"] for r in self.requests if arxiv_id is None or r["paper"] == arxiv_id]

    def _next_fault(self, pid: str) -> Fault | None:
        for key in (pid, None):
            if self._faults.get(key):
                return self._faults[key].popleft()
        return None

    async def _chat(self, request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError:
            return web.json_response({"error": {"message": "invalid JSON body"}}, status=400)
        pid = paper_id(body)
        self.requests.append({"method": request.method, "path": request.path, "headers": dict(request.headers),
                              "body": body, "paper": pid})
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request, body, pid)
        finally:
            self.in_flight -= 1

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):  # the server closing cuts a hang short
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _answer(self, request: web.Request, body: dict, pid: str) -> web.Response:
        schema_mode = (body.get("response_format") or {}).get("type") == "json_schema"
        fault = self._next_fault(pid)
        if self.latency:
            await self._wait(self.latency)
        if fault is None and self.refuse_schema and schema_mode:
            fault = Fault.schema400()
        content = self.answers.get(pid) or default_content(body)
        if fault is not None:
            if fault.kind == "hang":
                await self._wait(fault.seconds)
            elif fault.kind == "status":
                return web.Response(status=fault.status, text=fault.body, headers=fault.headers,
                                    content_type="application/json")
            elif fault.kind == "raw":
                return web.Response(status=200, text=fault.body, content_type="text/html")
            elif fault.kind == "content":
                content = fault.body
            elif fault.kind == "schema400" and schema_mode:
                return web.json_response({"error": {"message": "response_format json_schema is not supported",
                                                    "type": "invalid_request_error"}}, status=400)
            elif fault.kind == "echo_key":
                key = request.headers.get("Authorization", "")
                return web.json_response({"error": {"message": f"Incorrect API key provided: {key}"}}, status=401)
        return web.json_response({
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "model": body.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS},
        })

    async def _paper_md(self, request: web.Request) -> web.Response:
        pid = request.match_info["pid"]
        self.fulltext_requests.append(pid)
        if pid not in self.fulltext:
            return web.Response(status=404, text="not found")
        return web.Response(text=self.fulltext[pid], content_type="text/markdown")

    async def __aenter__(self) -> FakeLLM:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/papers/{pid}.md", self._paper_md)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
