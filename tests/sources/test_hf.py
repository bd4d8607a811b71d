"""Hugging Face Daily Papers: the parser on real responses, the client against a local fake HF."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import socket
import sys
from pathlib import Path

import aiohttp
import aiohttp.abc
import pytest

from bot.errors import NetworkUnavailable, UpstreamError
from bot.sources.hf import (
    HFClient,
    parse_daily_papers,
    parse_daily_papers_report,
    parse_paper_object,
)
from bot.sources.http import fold_paragraphs, wait_hint
from tests.fakes.hf_server import FakeHF, Fault

FAST = aiohttp.ClientTimeout(total=2, connect=1)

# A 2024-shape entry (no submittedOnDailyAt, no ai_*, hard-wrapped title and abstract), trimmed from a
# real 2024-10-25 response (deep-diver/paper-reviewer daily_papers.json), plus one hidden author.
OLD_ENTRY = {
    "paper": {
        "id": "2410.17243",
        "authors": [
            {"_id": "671b005026d87414f5a61579", "name": "Zesen Cheng", "hidden": False},
            {"_id": "671b005026d87414f5a6157a", "name": "Hang Zhang", "hidden": False},
            {"_id": "671b005026d87414f5a6157b", "name": "Kehan Li", "hidden": True},
        ],
        "publishedAt": "2024-10-22T17:59:30.000Z",
        "title": "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for\n  Contrastive Loss",
        "summary": "Contrastive loss is a powerful approach for representation learning, where\nlarger "
        "batch sizes enhance performance.\n\nThe code will be made publicly available.",
        "upvotes": 74,
        "discussionId": "671b005126d87414f5a615f4",
    },
    "publishedAt": "2024-10-25T00:57:09.392Z",
    "title": "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss",
    "thumbnail": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2410.17243.png",
    "numComments": 3,
    "submittedBy": {"fullname": "Zesen Cheng", "name": "ClownRat", "type": "user"},
}


def client(session: aiohttp.ClientSession, fake: FakeHF, **kw) -> HFClient:
    opts = {"timeout": FAST, "retries": 3, "backoff": 0.01, "max_wait": 0.5, **kw}
    return HFClient(session, base_url=fake.url, **opts)


def clones(entries: list[dict], n: int, day: str) -> list[dict]:
    """``n`` distinct entries made from real ones: new ids, featured on ``day``."""
    out = []
    for i in range(n):
        e = copy.deepcopy(entries[i % len(entries)])
        e["paper"]["id"] = f"2601.{10000 + i}"
        e["paper"]["submittedOnDailyAt"] = f"{day}T00:00:00.000Z"
        out.append(e)
    return out


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------ parser


def test_real_sample_every_entry_parses(daily: list[dict]) -> None:
    papers, warnings = parse_daily_papers_report(daily)
    assert warnings == []
    assert len(papers) == 25
    assert all(p.source == "hf-api" and p.tags == [] for p in papers)
    by_day = {d: sum(1 for p in papers if p.dates == [d]) for d in ("2026-07-13", "2026-07-10")}
    assert by_day == {"2026-07-13": 14, "2026-07-10": 11}


def test_real_sample_fields(daily: list[dict]) -> None:
    papers = {p.arxiv_id: p for p in parse_daily_papers(daily)}

    med = papers["2607.07673"]
    assert med.title == (
        "MedPMC: A Systematic Framework for Scaling High-Fidelity Medical Multimodal Data for "
        "Foundation Models"
    )
    assert len(med.authors) == 28 and med.authors[0] == "Hyunjae Kim" and med.authors[-1] == "Qingyu Chen"
    assert med.upvotes == 0
    assert med.github_urls == ["https://github.com/Yale-BIDS-Chen-Lab/MedPMC"]
    assert med.project_page == ""
    assert med.summary == "" and med.keywords == []  # this entry has no ai_* fields
    assert med.published_at == "2026-07-08T00:00:00.000Z"
    assert med.dates == ["2026-07-13"]
    assert med.abstract.startswith("Medicine is inherently multimodal")

    flow = papers["2607.06957"]
    assert flow.github_urls == []
    assert flow.project_page == "https://seulbinhwang.github.io/flow-erd-project-page/"
    assert flow.upvotes == 3
    assert flow.authors == ["Seulbin Hwang", "Kiyoung Om", "Daejung Kim", "Jinhan Lee"]
    assert flow.summary.startswith("Flow-ERD is a multi-agent traffic simulator")
    assert "flow matching" in flow.keywords and len(flow.keywords) == 7

    rcore = papers["2601.16211"]
    assert rcore.upvotes == 48 and rcore.dates == ["2026-07-10"]
    assert rcore.github_urls == ["https://github.com/KHU-VLL/RCORE"]
    assert papers["2607.08768"].upvotes == 31


def test_line_breaks_folded_and_hidden_authors_dropped(daily: list[dict]) -> None:
    e = copy.deepcopy(daily[1])
    e["title"] = "Flow-ERD: Agent-type Aware Flow Matching\n  with Entropy-Regularized Distillation"
    e["paper"]["summary"] = "First line\nwraps here.\n\nSecond paragraph\n  keeps going."
    e["paper"]["authors"][1]["hidden"] = True
    [p] = parse_daily_papers([e])
    assert p.title == "Flow-ERD: Agent-type Aware Flow Matching with Entropy-Regularized Distillation"
    assert p.abstract == "First line wraps here.\n\nSecond paragraph\n\nkeeps going."
    assert p.authors == ["Seulbin Hwang", "Daejung Kim", "Jinhan Lee"]


def test_2024_shape() -> None:
    [p] = parse_daily_papers([OLD_ENTRY])
    assert p.arxiv_id == "2410.17243"
    assert p.title == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    assert p.authors == ["Zesen Cheng", "Hang Zhang"]
    assert p.abstract == (
        "Contrastive loss is a powerful approach for representation learning, where larger batch sizes "
        "enhance performance.\n\nThe code will be made publicly available."
    )
    assert p.summary == "" and p.keywords == [] and p.github_urls == [] and p.project_page == ""
    assert p.upvotes == 74
    assert p.published_at == "2024-10-22T17:59:30.000Z"
    assert p.dates == ["2024-10-25"]  # the entry's publishedAt: when it was put on Daily Papers
    assert parse_daily_papers([OLD_ENTRY], day="2024-10-24")[0].dates == ["2024-10-24"]
    # the paper's own title is used when the entry has none
    bare = {"paper": {k: v for k, v in OLD_ENTRY["paper"].items()}}
    assert parse_daily_papers([bare])[0].title.endswith("Scaling for Contrastive Loss")
    assert parse_daily_papers([bare])[0].dates == ["2024-10-22"]


def test_minimal_entry_every_field_optional() -> None:
    [p] = parse_daily_papers([{"paper": {"id": "2501.00001"}}])
    assert (p.arxiv_id, p.title, p.authors, p.abstract, p.upvotes, p.dates) == (
        "2501.00001",
        "",
        [],
        "",
        0,
        [],
    )


def test_malformed_entries_skipped_with_warnings(daily: list[dict], caplog: pytest.LogCaptureFixture) -> None:
    data = [None, 5, {"paper": {}}, {"title": "no paper"}, {"paper": {"id": "not-an-id"}}, daily[0]]
    papers, warnings = parse_daily_papers_report(data, "2026-07-13")
    assert [p.arxiv_id for p in papers] == ["2607.07673"]
    assert len(warnings) == 5 and warnings[0].startswith("entry 0: skipped")
    with caplog.at_level(logging.WARNING, logger="bot.sources.hf"):
        assert len(parse_daily_papers(data, "2026-07-13")) == 1
    assert sum("skipped" in r.getMessage() for r in caplog.records) == 5
    assert parse_daily_papers_report({"error": "x"}) == (
        [],
        ["expected a list of Daily Papers entries, got dict"],
    )


def test_flat_paper_object(data_dir: Path) -> None:
    obj = json.loads((data_dir / "upstream" / "fastpaper_huggingface_paper.json").read_text(encoding="utf-8"))
    p = parse_paper_object(obj)
    assert p.arxiv_id == "2608.09888"
    assert p.title == "BDH-CQ: In-Context Learning with Recurrent Latent Reasoning"
    assert len(p.authors) == 9 and p.authors[4] == "Przemysław Uznański"
    assert p.upvotes == 782
    assert p.github_urls == ["https://github.com/pathwaycom/arc-task-gen"]
    assert p.project_page.startswith("https://pathway.com/blog/")
    assert p.dates == ["2026-08-11"]
    assert "ARC-AGI-1" in p.keywords
    with pytest.raises(ValueError):
        parse_paper_object({"title": "no id"})


def test_fold_and_wait_hint_helpers() -> None:
    assert fold_paragraphs("a\nb\n\n\n c ") == "a b\n\nc"
    assert fold_paragraphs("a\n  b", indent_is_paragraph=True) == "a\n\nb"
    assert wait_hint({"RateLimit": '"api";r=0;t=55'}) == 55
    assert wait_hint({"RateLimit": "limit=500, remaining=0, reset=12"}) == 12
    assert wait_hint({"Retry-After": "7"}) == 7
    assert wait_hint({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert wait_hint({}) is None


# ------------------------------------------------------------------------------ fake speaks HF


async def test_fake_behaves_like_hf(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    async def get(path: str) -> tuple[int, object]:
        async with session.get(fake.url + path) as r:
            return r.status, await r.json()

    status, body = await get("/api/daily_papers?date=2026-07-10&limit=100&p=0")
    assert status == 200 and isinstance(body, list) and len(body) == 11
    assert (await get("/api/daily_papers?date=2026-07-10&limit=100&p=1")) == (200, [])
    assert (await get("/api/daily_papers?date=2026-07-11&limit=100"))[1] == []
    assert (await get("/api/daily_papers?date=2026-07-10&limit=101"))[0] == 400
    assert (await get("/api/daily_papers?date=2026-13-01&limit=10"))[0] == 400
    assert (await get("/api/papers/2607.06957"))[1]["title"].startswith("Flow-ERD")
    assert (await get("/api/papers/2501.99999"))[0] == 404
    assert [r.query.get("p") for r in fake.requests_to("daily_papers")] == ["0", "1", None, None, None]


# ------------------------------------------------------------------------------------------ client


async def test_fetch_day_from_real_sample(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    papers = await client(session, fake).fetch_day("2026-07-13")
    assert len(papers) == 14 and all(p.dates == ["2026-07-13"] for p in papers)
    [req] = fake.requests
    assert req.query == {"date": "2026-07-13", "limit": "100", "p": "0"}
    assert req.headers["User-Agent"] == "paperboy/0.1"


async def test_paging_and_dedupe(fake: FakeHF, session: aiohttp.ClientSession, daily: list[dict]) -> None:
    many = clones(daily, 250, "2025-01-24")
    fake.add_entries(many + many[:5], day="2025-01-24")  # 255 entries, 5 repeated on the last page
    papers = await client(session, fake).fetch_day("2025-01-24")
    assert len(papers) == 250 and len({p.arxiv_id for p in papers}) == 250
    assert [r.query["p"] for r in fake.requests] == ["0", "1", "2"]

    fake.add_entries(clones(daily, 100, "2025-01-27"), day="2025-01-27")
    fake.requests.clear()
    assert len(await client(session, fake).fetch_day("2025-01-27")) == 100
    assert [r.query["p"] for r in fake.requests] == ["0", "1"]  # exactly 100: one more page, empty


async def test_empty_and_unknown_day(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.days["2026-07-11"] = []  # a Saturday
    c = client(session, fake)
    assert await c.fetch_day("2026-07-11") == []
    assert await c.fetch_day("2019-01-01") == []
    fake.script("daily_papers", Fault.empty())
    assert await c.fetch_day("2026-07-13") == []


async def test_500_then_200(
    fake: FakeHF, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script("daily_papers", Fault.error(500))
    with caplog.at_level(logging.WARNING):
        papers = await client(session, fake).fetch_day("2026-07-10")
    assert len(papers) == 11
    assert len(fake.requests) == 2
    assert any("retry 1 of 3" in r.getMessage() and "HTTP 500" in r.getMessage() for r in caplog.records)


async def test_429_honours_ratelimit_header(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", Fault.rate_limited(t=1))
    papers = await client(session, fake, backoff=0.001, max_wait=0.3).fetch_day("2026-07-10")
    assert len(papers) == 11
    first, second = fake.requests
    assert 0.3 <= second.at - first.at < 1.0  # waited as asked, capped by max_wait


async def test_429_retry_after(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", Fault(status=429, body="{}", headers={"Retry-After": "1"}))
    assert len(await client(session, fake, backoff=0.001, max_wait=0.2).fetch_day("2026-07-10")) == 11
    first, second = fake.requests
    assert second.at - first.at >= 0.2


async def test_persistent_5xx_is_upstream_error(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", *[Fault.error(503)] * 3)
    with pytest.raises(UpstreamError, match=r"^Hugging Face kept failing \(HTTP 503\)") as err:
        await client(session, fake, retries=2).fetch_day("2026-07-10")
    assert not isinstance(err.value, NetworkUnavailable)
    assert len(fake.requests) == 3


@pytest.mark.timeout(10)
async def test_hang_then_success(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", Fault.stall(30))
    c = client(session, fake, timeout=aiohttp.ClientTimeout(total=0.2, connect=0.2))
    assert len(await c.fetch_day("2026-07-10")) == 11
    assert len(fake.requests) == 2


@pytest.mark.timeout(10)
async def test_hang_every_time_is_network_unavailable(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", *[Fault.stall(30)] * 3)
    c = client(session, fake, retries=2, timeout=aiohttp.ClientTimeout(total=0.2, connect=0.2))
    with pytest.raises(NetworkUnavailable) as err:
        await c.fetch_day("2026-07-10")
    assert str(err.value) == f"Cannot reach Hugging Face at {fake.url}: no answer within 0.2 s."
    assert len(fake.requests) == 3


async def test_malformed_json_is_upstream_error(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", *[Fault.malformed()] * 5)
    with pytest.raises(UpstreamError) as err:
        await client(session, fake).fetch_day("2026-07-10")
    # Fault.malformed is JSON that stops mid-value: a truncated answer (bot/sources/http.py), not a wrong one.
    assert str(err.value) == "Hugging Face sent an incomplete answer for the papers of 2026-07-10; try again later."
    assert len(fake.requests) == 3  # the first try and two more


async def test_malformed_once_then_fine(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", Fault.malformed(), Fault.not_a_list())
    assert len(await client(session, fake).fetch_day("2026-07-10")) == 11
    assert len(fake.requests) == 3


async def test_not_a_list_is_upstream_error(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    fake.script("daily_papers", *[Fault.not_a_list()] * 3)
    with pytest.raises(UpstreamError, match="not a list of papers for 2026-07-10"):
        await client(session, fake).fetch_day("2026-07-10")


async def test_bad_date_is_one_plain_upstream_error(fake: FakeHF, session: aiohttp.ClientSession) -> None:
    with pytest.raises(UpstreamError) as err:
        await client(session, fake).fetch_day("2026-13-45")
    assert (
        str(err.value)
        == "Hugging Face refused the request for the papers of 2026-13-45 as invalid (HTTP 400)."
    )
    assert len(fake.requests) == 1  # a 400 is not retried


async def test_connection_refused_is_network_unavailable(session: aiohttp.ClientSession) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    c = HFClient(session, base_url=base, timeout=FAST, retries=2, backoff=0.01)
    with pytest.raises(NetworkUnavailable) as err:
        await c.fetch_day("2026-07-10")
    msg = str(err.value)
    assert msg == f"Cannot reach Hugging Face at {base}: connection refused."
    assert msg.count(". ") == 0 and msg.endswith(".")


async def test_fetch_paper_and_own_session(fake: FakeHF, data_dir: Path) -> None:
    fake.load(data_dir / "upstream" / "fastpaper_huggingface_paper.json")
    async with HFClient.open(base_url=fake.url, timeout=FAST, backoff=0.01) as c:
        p = await c.fetch_paper("2608.09888")
        assert p is not None and p.upvotes == 782
        assert (await c.fetch_paper("2607.06957")).title.startswith("Flow-ERD")  # type: ignore[union-attr]
        assert await c.fetch_paper("2501.99999") is None
        session = c.session
    assert session.closed


@pytest.mark.timeout(20)
async def test_fake_runs_as_a_separate_process(daily_file: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.hf_server", "--port", "0", "--data", str(daily_file),
        "--fault", "500",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with HFClient.open(base_url=url, timeout=FAST, backoff=0.01) as c:
            assert len(await c.fetch_day("2026-07-13")) == 14  # after the scripted 500
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0


class _NoDNS(aiohttp.abc.AbstractResolver):
    """A resolver that fails like a machine without DNS, without touching the network."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list:
        raise OSError(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


async def test_dns_failure_is_network_unavailable() -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=_NoDNS())) as s:
        c = HFClient(s, base_url="https://huggingface.co", timeout=FAST, retries=1, backoff=0.01)
        with pytest.raises(NetworkUnavailable) as err:
            await c.fetch_day("2026-07-10")
    assert str(err.value) == (
        "Cannot reach Hugging Face at https://huggingface.co: the host name could not be resolved "
        "(DNS lookup failed)."
    )
