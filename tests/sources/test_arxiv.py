"""arXiv export API: the Atom parser on real feeds, the client against the fake's ``/api/query``."""

from __future__ import annotations

import asyncio
import itertools
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.errors import NetworkUnavailable, UpstreamError
from bot.sources.arxiv import ArxivClient, day_query, github_links, parse_atom
from tests.fakes.hf_server import FakeHF, Fault

FAST = aiohttp.ClientTimeout(total=2, connect=1)
ATOM_NS = "{http://www.w3.org/2005/Atom}"

WRAPPED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <entry>
    <id>http://arxiv.org/abs/2410.17243v2</id>
    <title>Breaking the Memory Barrier: Near Infinite Batch Size Scaling for
  Contrastive Loss</title>
    <summary>  Contrastive loss is a powerful approach for representation learning, where
larger batch sizes enhance performance.
  The code is at https://github.com/DAMO-NLP-SG/Inf-CLIP.</summary>
    <published>2024-10-22T17:59:30Z</published>
    <author><name>Zesen Cheng</name></author>
    <author><name>Hang Zhang</name></author>
    <arxiv:comment>Code: https://github.com/DAMO-NLP-SG/Inf-CLIP.git</arxiv:comment>
  </entry>
</feed>
"""

ERROR_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345v1</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345v1</summary>
  </entry>
</feed>
"""


@pytest.fixture
def radar_xml(data_dir: Path) -> str:
    return (data_dir / "upstream" / "ai-weekly-radar_arxiv_feed.xml").read_text(encoding="utf-8")


@pytest.fixture
def search_xml(data_dir: Path) -> str:
    return (data_dir / "upstream" / "fastpaper_arxiv_search_HEADe32e6cd.xml").read_text(encoding="utf-8")


@pytest.fixture
async def fake(radar_xml: str) -> AsyncIterator[FakeHF]:
    async with FakeHF(atom=radar_xml) as server:
        yield server


def client(session: aiohttp.ClientSession, base_url: str, **kw) -> ArxivClient:
    opts = {"timeout": FAST, "retries": 2, "backoff": 0.01, "max_wait": 0.5, "min_interval": 0.0, **kw}
    return ArxivClient(session, base_url=base_url, **opts)


# ------------------------------------------------------------------------------------------ parser


def test_parse_real_feed(radar_xml: str) -> None:
    papers = parse_atom(radar_xml)
    assert len(papers) == 50
    assert all(p.source == "arxiv" and p.project_page == "" and p.tags == [] for p in papers)
    first = papers[0]
    assert first.arxiv_id == "2607.09662"  # version dropped from http://arxiv.org/abs/2607.09662v1
    assert first.title.startswith("PHINN-EEG: Topological Time-Series Analysis of Dream-State EEG")
    assert first.authors == ["Ren Takahashi", "Emre Yusuf", "Jayabrata Bhaduri"]
    assert first.dates == ["2026-07-10"] and first.published_at == "2026-07-10T17:59:45Z"
    by_id = {p.arxiv_id: p for p in papers}
    assert len(by_id["2607.09424"].authors) == 32
    assert by_id["2607.09474"].github_urls == ["https://github.com/eth-sri/proof-council"]  # from the comment
    gaps = by_id["2607.09560"].abstract
    assert "rather than simply searching within it.\n\nWe characterize the distance" in gaps
    assert "\n" not in gaps.replace("\n\n", "")


def test_parse_search_feed(search_xml: str) -> None:
    papers = parse_atom(search_xml)
    assert [p.arxiv_id for p in papers] == ["2002.00741", "1102.2017", "1112.2954"]
    deja = papers[0]
    assert (
        deja.title == "Déjà vu: A Contextualized Temporal Attention Mechanism for Sequential Recommendation"
    )
    assert "temporal and context information, when modeling" in deja.abstract
    assert "prediction.\n\nIn this paper, we argue" in deja.abstract
    assert deja.dates == ["2020-01-29"] and deja.github_urls == []
    assert len(papers[1].authors) == 4


def test_wrapped_text_and_github_links() -> None:
    [p] = parse_atom(WRAPPED)
    assert p.arxiv_id == "2410.17243"
    assert p.title == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    assert p.abstract == (
        "Contrastive loss is a powerful approach for representation learning, where larger batch sizes "
        "enhance performance.\n\nThe code is at https://github.com/DAMO-NLP-SG/Inf-CLIP."
    )
    assert p.github_urls == ["https://github.com/DAMO-NLP-SG/Inf-CLIP"]
    assert github_links("see github.com/a/b and https://github.com/x/y.") == ["https://github.com/x/y"]


def test_bad_xml_is_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="not an Atom feed"):
        parse_atom("<feed><entry>")
    with pytest.raises(UpstreamError, match="not an Atom feed"):
        parse_atom("<html><body>Rate exceeded.</body></html>")
    with pytest.raises(
        UpstreamError, match=r"^arXiv rejected the query: incorrect id format for 1234\.12345v1\.$"
    ):
        parse_atom(ERROR_FEED)
    assert parse_atom('<feed xmlns="http://www.w3.org/2005/Atom"></feed>') == []


def test_day_query() -> None:
    assert day_query("2025-01-24", ("cs.CL", "cs.CV")) == (
        "(cat:cs.CL OR cat:cs.CV) AND submittedDate:[202501240000 TO 202501242359]"
    )


# ------------------------------------------------------------------------------------------ client


async def test_fetch_day_pages(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    papers = await client(session, fake.url, page_size=20).fetch_day("2026-07-10")
    assert len(papers) == 50 and len({p.arxiv_id for p in papers}) == 50
    reqs = fake.requests_to("query")
    assert [r.query["start"] for r in reqs] == ["0", "20", "40"]
    q = reqs[0].query
    assert q["search_query"] == day_query("2026-07-10")
    assert (q["sortBy"], q["max_results"]) == ("submittedDate", "20")
    assert reqs[0].headers["User-Agent"] == "paperboy/0.1"


async def test_fetch_day_filters_like_arxiv(
    fake: FakeHF, session: aiohttp.ClientSession, radar_xml: str
) -> None:
    root = ET.fromstring(radar_xml)
    cv = sum(
        any(c.get("term") == "cs.CV" for c in e.findall(f"{ATOM_NS}category"))
        for e in root.findall(f"{ATOM_NS}entry")
    )
    c = client(session, fake.url)
    assert 0 < len(await c.fetch_day("2026-07-10", categories=("cs.CV",))) == cv < 50
    assert await c.fetch_day("2026-07-11") == []  # a Saturday: nothing submitted
    assert len(fake.requests_to("query")) == 2


async def test_min_interval_and_one_request_at_a_time(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    c = client(session, fake.url, page_size=25, min_interval=0.1)
    a, b = await asyncio.gather(c.fetch_day("2026-07-10"), c.fetch_day("2026-07-10"))
    assert len(a) == len(b) == 50
    times = [r.at for r in fake.requests_to("query")]
    assert len(times) == 4
    assert all(t2 - t1 >= 0.09 for t1, t2 in itertools.pairwise(times))


async def test_500_then_200(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("query", Fault.error(503, body="Service Unavailable"))
    assert len(await client(session, fake.url).fetch_day("2026-07-10")) == 50
    assert len(fake.requests_to("query")) == 2


async def test_malformed_feed_is_upstream_error(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("query", *[Fault(body="<feed><entry>")] * 3)
    with pytest.raises(UpstreamError) as err:
        await client(session, fake.url).fetch_day("2026-07-10")
    assert str(err.value) == (
        "arXiv returned something that is not an Atom feed for the cs.CL, cs.CV, cs.LG, cs.AI papers "
        "of 2026-07-10."
    )
    assert len(fake.requests_to("query")) == 3


async def test_bad_query_400_is_upstream_error(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("query", Fault(status=400, body=ERROR_FEED))
    with pytest.raises(UpstreamError, match=r"^arXiv rejected the query: incorrect id format"):
        await client(session, fake.url).fetch_day("2026-07-10")
    assert len(fake.requests_to("query")) == 1


@pytest.mark.timeout(10)
async def test_hang_then_success(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("query", Fault.stall(30))
    c = client(session, fake.url, timeout=aiohttp.ClientTimeout(total=0.2, connect=0.2))
    assert len(await c.fetch_day("2026-07-10")) == 50


async def test_connection_refused_is_network_unavailable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(NetworkUnavailable) as err:
        await client(session, base).fetch_day("2026-07-10")
    assert str(err.value) == f"Cannot reach arXiv at {base}: connection refused."


async def test_open_owns_its_session(fake: FakeHF) -> None:
    async with ArxivClient.open(base_url=fake.url, timeout=FAST, min_interval=0, backoff=0.01) as c:
        assert len(await c.fetch_day("2026-07-10", categories=("cs.LG",))) > 0
        session = c.session
    assert session.closed
