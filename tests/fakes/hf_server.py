"""A protocol-level fake of the Hugging Face papers API (and arXiv's export API) on 127.0.0.1.

It is a real aiohttp server, so the clients under test run their real HTTP code: paging, status codes,
headers, timeouts. Faults are scripted per route as a queue: each request to the route takes the next
fault, and once the queue is empty it answers normally. Every request is recorded.

In tests::

    async with FakeHF.from_file(path) as fake:
        fake.script("daily_papers", Fault.error(500))
        client = HFClient(session, base_url=fake.url)

From another process (the CLI tests)::

    python -m tests.fakes.hf_server --port 0 --data daily.json [--atom feed.xml] [--fault 500 ...]

prints ``http://127.0.0.1:PORT`` as its first stdout line once it is listening, and runs until
SIGTERM/SIGINT. ``FakeHF(endless=True)`` (``--endless``) answers every Daily Papers page with 100 papers
never sent before, for clients that must stop paging on their own. ``week=YYYY-Www`` lists every day of
that ISO week, most upvoted first, paged by ``limit``/``p`` (a bad week is a 400).

Rate limits are counted, never enforced: ``fake.hf_limit`` (Hugging Face's 500 requests per sliding
5 minutes over ``/api/daily_papers`` and ``/api/papers``) and ``fake.arxiv_limit`` (one request per 3 s
and one connection at a time on ``/api/query``) record every request that broke them in ``.over``.
``FakeHF(latency=0.1)`` (``--latency``) delays every answer, as a far-away server would. ``GET /_stats``
returns those counts as JSON, for a fake in another process (``--hf-limit 500/3`` scales the window).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web

ROUTES = ("daily_papers", "papers", "query")
CUT = web.RequestKey("cut", float)  # a request's Fault.truncated share, for the middleware
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH_RE = {
    "totalResults": re.compile(r"(<opensearch:totalResults>)\d*(</opensearch:totalResults>)"),
    "startIndex": re.compile(r"(<opensearch:startIndex>)\d*(</opensearch:startIndex>)"),
    "itemsPerPage": re.compile(r"(<opensearch:itemsPerPage>)\d*(</opensearch:itemsPerPage>)"),
}


@dataclass(slots=True)
class Fault:
    """What to do instead of (or before) the normal answer to one request.

    ``body=None`` means "the normal answer" with ``status``/``headers`` applied only if ``status`` is
    not 200; ``hang`` stalls that many seconds first (cut short when the server closes); ``cut`` sends
    only that fraction of the answer's bytes under a Content-Length for all of them, then drops the
    connection (a body truncated in transit).
    """

    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    cut: float | None = None

    @classmethod
    def error(cls, status: int = 500, body: str = '{"error":"Internal Error"}') -> Fault:
        return cls(status=status, body=body, headers={"Content-Type": "application/json"})

    @classmethod
    def rate_limited(cls, t: int = 1, *, retry_after: int | None = None) -> Fault:
        """A 429 as Hugging Face sends it: IETF draft ``RateLimit`` header with ``t`` seconds to reset."""
        headers = {
            "Content-Type": "application/json",
            "RateLimit": f'"api";r=0;t={t}',
            "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
        }
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return cls(status=429, body='{"error":"Too Many Requests"}', headers=headers)

    @classmethod
    def stall(cls, seconds: float = 30.0) -> Fault:
        """Answer normally, but only after ``seconds`` (longer than any client timeout in tests)."""
        return cls(hang=seconds)

    @classmethod
    def truncated(cls, keep: float = 0.5) -> Fault:
        """The normal answer, cut off after ``keep`` of its bytes: the connection drops mid-body."""
        return cls(cut=keep)

    @classmethod
    def malformed(cls) -> Fault:
        return cls(body='[{"paper": {"id": "2501.0', headers={"Content-Type": "application/json"})

    @classmethod
    def not_a_list(cls) -> Fault:
        return cls(body='{"error": "unexpected"}', headers={"Content-Type": "application/json"})

    @classmethod
    def empty(cls) -> Fault:
        return cls(body="[]", headers={"Content-Type": "application/json"})

    @classmethod
    def parse(cls, spec: str) -> tuple[str, Fault]:
        """``[route:]kind[:arg]`` from the command line: 500, 429:2, hang:5, truncated:0.5, malformed,
        notlist, empty."""
        route = "daily_papers"
        head, _, rest = spec.partition(":")
        if head in ROUTES:
            route, spec = head, rest
        kind, _, arg = spec.partition(":")
        if kind.isdigit() and int(kind) == 429:
            return route, cls.rate_limited(int(arg or 1))
        if kind.isdigit():
            return route, cls.error(int(kind))
        makers = {
            "hang": lambda: cls.stall(float(arg or 30)),
            "truncated": lambda: cls.truncated(float(arg or 0.5)),
            "malformed": cls.malformed,
            "notlist": cls.not_a_list,
            "empty": cls.empty,
        }
        if kind not in makers:
            raise ValueError(f"unknown fault {spec!r}")
        return route, makers[kind]()


@dataclass(slots=True)
class RateWindow:
    """Counts requests against a limit of ``limit`` per sliding ``window`` seconds and ``connections``
    at a time; every request that breaks either is kept in ``over`` (the fake still answers it).

    A request breaks the window when, counting itself, more than ``limit`` requests arrived in the
    ``window`` seconds up to and including its own arrival.
    """

    limit: int
    window: float
    connections: int | None = None
    arrivals: deque[float] = field(default_factory=deque)
    over: list[float] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    def arrive(self, at: float) -> None:
        while self.arrivals and self.arrivals[0] <= at - self.window:
            self.arrivals.popleft()
        self.arrivals.append(at)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        too_many = self.connections is not None and self.in_flight > self.connections
        if len(self.arrivals) > self.limit or too_many:
            self.over.append(at)

    def leave(self) -> None:
        self.in_flight -= 1


@dataclass(slots=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    route: str
    at: float


def entry_day(entry: dict) -> str:
    """The day an entry was featured: ``submittedOnDailyAt``, else (2024 shape) the entry's publishedAt."""
    paper = entry.get("paper") if isinstance(entry.get("paper"), dict) else entry
    for ts in (paper.get("submittedOnDailyAt"), entry.get("publishedAt"), paper.get("publishedAt")):
        if isinstance(ts, str) and len(ts) >= 10:
            return ts[:10]
    return ""


THUMBNAIL = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png"


def endless_entry(day: str, n: int) -> dict:
    """The ``n``-th paper of an endless day: a small Daily Papers entry with a fresh arXiv id.

    Shaped like the real ones (``data/upstream``): every entry has its thumbnail; every third paper
    also has code with GitHub stars and an organisation (on the paper and the entry, as Hugging Face
    sends it), so the richer embed is exercised by every test that pages through such a day.
    """
    pid = f"{day[2:4]}{day[5:7]}.{n:05d}"
    paper: dict[str, Any] = {"id": pid, "title": f"Endless paper {n}", "submittedOnDailyAt": f"{day}T00:00:00.000Z"}
    entry: dict[str, Any] = {"paper": paper, "title": f"Endless paper {n}", "publishedAt": f"{day}T00:00:00.000Z",
                             "thumbnail": THUMBNAIL.format(id=pid)}
    if n % 3 == 0:
        org = {"_id": f"{n:024x}", "name": f"lab-{n}", "fullname": f"Lab {n}",
               "avatar": f"https://cdn-avatars.huggingface.co/v1/production/uploads/{n:024x}/logo.png"}
        paper.update(githubRepo=f"https://github.com/lab-{n}/paper-{n}", githubStars=n, organization=org)
        entry["organization"] = org
    return entry


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


class FakeHF:
    """The fake server. ``days`` maps ``YYYY-MM-DD`` to Daily Papers entries; ``papers`` maps ids to
    flat paper objects (``/api/papers/ID``; entries' papers are found too); ``atom`` is an arXiv feed
    that ``/api/query`` filters and pages like the export API does.
    """

    def __init__(
        self,
        days: dict[str, list[dict]] | None = None,
        papers: dict[str, dict] | None = None,
        atom: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        endless: bool = False,
        latency: float = 0.0,
        hf_limit: tuple[int, float] = (500, 300.0),
        arxiv_limit: tuple[int, float] = (1, 3.0),
    ) -> None:
        self.days: dict[str, list[dict]] = defaultdict(list, days or {})
        # Fault mode "endless": every Daily Papers page is full of papers never sent before, however far
        # the client pages (a misbehaving upstream that a client must stop on its own).
        self.endless = endless
        self.papers: dict[str, dict] = dict(papers or {})
        self.host, self.port = host, port
        self.requests: list[Recorded] = []
        self.faults: dict[str, deque[Fault]] = {r: deque() for r in ROUTES}
        self.latency = latency  # seconds every answer waits, as if the server were far away
        self.hf_limit = RateWindow(*hf_limit)
        self.arxiv_limit = RateWindow(*arxiv_limit, connections=1)
        self._windows = {"daily_papers": self.hf_limit, "papers": self.hf_limit, "query": self.arxiv_limit}
        self._atom_head = ""
        self._atom_entries: list[tuple[str, str, set[str]]] = []  # (raw xml, published, categories)
        if atom is not None:
            self.set_atom(atom)
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()

    # -- data ------------------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> FakeHF:
        """A fake serving a saved Daily Papers response (list) or a flat paper object (dict)."""
        fake = cls(**kwargs)
        fake.load(path)
        return fake

    def load(self, path: str | Path) -> None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, list):
            self.add_entries(data)
        elif isinstance(data, dict) and data.get("id"):
            self.papers[str(data["id"])] = data
        else:
            raise ValueError(f"{path}: neither a list of Daily Papers entries nor a paper object")

    def add_entries(self, entries: list[dict], day: str | None = None) -> None:
        """Serve ``entries`` on ``day``, or each on the day it says it was featured."""
        for e in entries:
            self.days[day or entry_day(e)].append(e)

    def set_atom(self, xml_text: str) -> None:
        """Serve this arXiv feed from ``/api/query``, entries filtered by category and submittedDate."""
        root = ET.fromstring(xml_text)
        raws = re.findall(r"<entry>.*?</entry>", xml_text, flags=re.DOTALL)
        parsed = root.findall(f"{ATOM}entry")
        if len(raws) != len(parsed):
            raise ValueError("cannot split this feed into entries")
        self._atom_head = xml_text[: xml_text.index("<entry>")] if raws else xml_text.replace("</feed>", "")
        self._atom_entries = []
        for raw, el in zip(raws, parsed, strict=True):
            published = el.findtext(f"{ATOM}published") or ""
            cats = {c.get("term", "") for c in el.findall(f"{ATOM}category")}
            self._atom_entries.append((raw, published, cats))

    def script(self, route: str, *faults: Fault) -> None:
        """Queue ``faults`` for the next requests to ``route`` (daily_papers, papers or query)."""
        self.faults[route].extend(faults)

    def requests_to(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL to hand to a client, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._count, self._cut_short])
        app.router.add_get("/api/daily_papers", self._daily_papers)
        app.router.add_get("/api/papers/{id}", self._paper)
        app.router.add_get("/api/query", self._query)
        app.router.add_get("/_stats", self._stats)
        return app

    def stats(self) -> dict[str, int]:
        """The request and rate-limit counts, as ``GET /_stats`` sends them."""
        return {
            "requests": len(self.requests),
            "hf_over": len(self.hf_limit.over),
            "hf_most_in_flight": self.hf_limit.most_in_flight,
            "arxiv_over": len(self.arxiv_limit.over),
            "arxiv_most_in_flight": self.arxiv_limit.most_in_flight,
        }

    async def _stats(self, request: web.Request) -> web.Response:
        return _json(self.stats())

    async def start(self) -> FakeHF:
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(self.app(), handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing.set()  # end any stalled handlers now
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeHF:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- handlers ----------------------------------------------------------------------------------

    async def _begin(self, request: web.Request, route: str) -> Fault | None:
        """Record the request, take its scripted fault and serve the stall part of it."""
        loop = asyncio.get_running_loop()
        self.requests.append(
            Recorded(request.method, request.path, dict(request.query), dict(request.headers), route, loop.time())
        )
        fault = self.faults[route].popleft() if self.faults[route] else None
        if fault and fault.cut is not None:
            request[CUT] = fault.cut
        if fault and fault.hang:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=fault.hang)
        return fault

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Count the request against its upstream's rate limit while it is in flight, after the latency."""
        if request.path == "/_stats":  # the test's own question, no upstream request
            return await handler(request)
        route = {"/api/daily_papers": "daily_papers", "/api/query": "query"}.get(request.path, "papers")
        window = self._windows[route]
        window.arrive(asyncio.get_running_loop().time())
        try:
            if self.latency:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), timeout=self.latency)
            return await handler(request)
        finally:
            window.leave()

    @web.middleware
    async def _cut_short(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Serve a ``Fault.truncated``: announce the whole answer's length, send part of it, hang up."""
        response = await handler(request)
        keep = request.get(CUT)
        if keep is None or not isinstance(response, web.Response) or not isinstance(response.body, bytes):
            return response
        body = response.body
        stream = web.StreamResponse(status=response.status, headers={"Content-Type": response.content_type})
        stream.content_length = len(body)
        await stream.prepare(request)
        await stream.write(body[: int(len(body) * keep)])
        if request.transport is not None:
            request.transport.close()
        return stream

    @staticmethod
    def _faulted(fault: Fault | None) -> web.Response | None:
        if fault is None or (fault.body is None and fault.status == 200):
            return None
        return web.Response(text=fault.body or "", status=fault.status, headers=fault.headers)

    async def _daily_papers(self, request: web.Request) -> web.Response:
        fault = await self._begin(request, "daily_papers")
        if (resp := self._faulted(fault)) is not None:
            return resp
        q = request.query
        try:
            limit = int(q.get("limit", "50"))
            page = int(q.get("p", "0"))
        except ValueError:
            return _json({"error": "Invalid query parameters"}, 400)
        if limit > 100 or limit < 1 or page < 0:
            return _json({"error": '"limit" must be less than or equal to 100'}, 400)
        if "week" in q:  # Hugging Face's week listing: the week's featured papers, most upvoted first
            entries = self.week_entries(q["week"])
            if entries is None:
                return _json({"error": '"week" must be a valid ISO week (YYYY-Www)'}, 400)
            return _json(entries[page * limit : (page + 1) * limit])
        day = q.get("date")
        if day is None:
            day = max((d for d, es in self.days.items() if es), default="")
        else:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                    raise ValueError(day)
                date.fromisoformat(day)
            except ValueError:
                return _json({"error": '"date" must be a valid date'}, 400)
        if self.endless:
            return _json([endless_entry(day, page * limit + i) for i in range(limit)])
        entries = self.days.get(day, [])
        return _json(entries[page * limit : (page + 1) * limit])

    def week_entries(self, week: str) -> list[dict] | None:
        """The entries of every day of ISO week ``YYYY-Www``, most upvoted first (None: not a week)."""
        m = re.fullmatch(r"(\d{4})-W(\d{2})", week)
        try:
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1) if m else None
        except ValueError:
            monday = None
        if monday is None:
            return None
        days = {date.fromordinal(monday.toordinal() + i).isoformat() for i in range(7)}
        entries = [e for d in sorted(days) for e in self.days.get(d, [])]

        def votes(entry: dict) -> int:
            paper = entry.get("paper") if isinstance(entry.get("paper"), dict) else entry
            n = paper.get("upvotes", 0)
            return n if isinstance(n, int) else 0

        return sorted(entries, key=votes, reverse=True)

    async def _paper(self, request: web.Request) -> web.Response:
        fault = await self._begin(request, "papers")
        if (resp := self._faulted(fault)) is not None:
            return resp
        pid = request.match_info["id"]
        if pid in self.papers:
            return _json(self.papers[pid])
        for entries in self.days.values():
            for e in entries:
                if isinstance(e.get("paper"), dict) and e["paper"].get("id") == pid:
                    return _json(e["paper"])
        return _json({"error": "Paper not found"}, 404)

    async def _query(self, request: web.Request) -> web.Response:
        fault = await self._begin(request, "query")
        if (resp := self._faulted(fault)) is not None:
            return resp
        q = request.query
        try:
            start = int(q.get("start", "0"))
            max_results = int(q.get("max_results", "10"))
        except ValueError:
            return web.Response(text="start and max_results must be integers", status=400)
        search = q.get("search_query", "")
        cats = set(re.findall(r"cat:([\w.\-]+)", search))
        span = re.search(r"submittedDate:\[(\d{8,14}) TO (\d{8,14})\]", search)
        picked = []
        for raw, published, entry_cats in self._atom_entries:
            if cats and not cats & entry_cats:
                continue
            if span:
                stamp = re.sub(r"\D", "", published)[:12]
                lo, hi = span.group(1).ljust(12, "0"), span.group(2).ljust(12, "9")
                if not lo <= stamp <= hi:
                    continue
            picked.append(raw)
        page = picked[start : start + max_results]
        head = self._atom_head
        for key, value in (
            ("totalResults", len(picked)),
            ("startIndex", start),
            ("itemsPerPage", max_results),
        ):
            head = OPENSEARCH_RE[key].sub(rf"\g<1>{value}\g<2>", head)
        body = head + "\n  ".join(page) + "\n</feed>\n"
        return web.Response(text=body, content_type="application/atom+xml")


# ----------------------------------------------------------------------------------------------- CLI


async def _serve(args: argparse.Namespace) -> None:
    limit, _, window = args.hf_limit.partition("/")
    fake = FakeHF(host=args.host, port=args.port, endless=args.endless, latency=args.latency,
                  hf_limit=(int(limit), float(window)))
    for path in args.data:
        fake.load(path)
    if args.atom:
        fake.set_atom(Path(args.atom).read_text(encoding="utf-8"))
    for spec in args.fault:
        route, fault = Fault.parse(spec)
        fake.script(route, fault)
    await fake.start()
    print(fake.url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.hf_server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--data", action="append", default=[], help="Daily Papers JSON or paper object; repeatable")
    parser.add_argument("--atom", help="an arXiv export API feed to serve from /api/query")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        help="[route:]500|429[:t]|hang[:s]|truncated[:fraction]|malformed|notlist|empty; repeatable",
    )
    parser.add_argument("--endless", action="store_true", help="every Daily Papers page is 100 new papers")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every answer waits")
    parser.add_argument("--hf-limit", default="500/300", help="Hugging Face's limit counted: REQUESTS/SECONDS")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except (OSError, ValueError) as err:
        print(f"hf_server: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
