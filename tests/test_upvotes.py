"""The daily upvote refresh: the week listing of Hugging Face (through the fake), raising stored counts only."""

from __future__ import annotations

from datetime import date

import aiohttp
import pytest

from bot.models import Paper
from bot.sources.hf import HFClient, hf_limiter
from bot.store import Store
from bot.upvotes import refresh_recent_upvotes
from tests.fakes.hf_server import FakeHF


def entry(aid: str, day: str, upvotes: int) -> dict:
    return {"paper": {"id": aid, "title": f"Paper {aid}", "upvotes": upvotes, "submittedOnDailyAt": f"{day}T10:00:00Z"},
            "title": f"Paper {aid}", "publishedAt": f"{day}T10:00:00Z"}


def week_data() -> dict[str, list[dict]]:
    """2025-W04 (Mon 20 - Sun 26 Jan) with 150 papers, so its listing takes two pages; 2025-W05 with 2."""
    days: dict[str, list[dict]] = {}
    for n in range(150):
        day = f"2025-01-{20 + n % 5}"
        days.setdefault(day, []).append(entry(f"2501.{n:05d}", day, 1000 + n))
    days["2025-01-27"] = [entry("2501.90001", "2025-01-27", 3), entry("2501.90002", "2025-01-27", 50)]
    days["2025-01-17"] = [entry("2501.80000", "2025-01-17", 999)]  # W03: outside the last 7 days
    return days


@pytest.fixture
def store(db_path):
    with Store(db_path) as s:
        s.upsert_papers([
            Paper(arxiv_id="2501.00007", title="t", dates=["2025-01-22"], upvotes=5, tags=["Robotics"]),
            Paper(arxiv_id="2501.00149", title="t", dates=["2025-01-24"], upvotes=5000),  # stored is higher
            Paper(arxiv_id="2501.90002", title="t", dates=["2025-01-27"], upvotes=1),
            Paper(arxiv_id="2501.80000", title="t", dates=["2025-01-17"], upvotes=2),
        ])
        yield s


async def test_the_last_7_days_take_three_requests_and_only_raise_stored_counts(store):
    async with FakeHF(days=week_data()) as fake, aiohttp.ClientSession() as session:
        client = HFClient(session, base_url=fake.url, retries=0, limiter=hf_limiter())
        report = await refresh_recent_upvotes(store, client, date(2025, 1, 27))
        asked = [(r.query.get("week"), r.query.get("p"), r.query.get("limit"))
                 for r in fake.requests_to("daily_papers")]
        assert fake.hf_limit.over == []
    assert asked == [("2025-W04", "0", "100"), ("2025-W04", "1", "100"), ("2025-W05", "0", "100")]
    assert (report.weeks, report.requests, report.seen, report.raised) == (["2025-W04", "2025-W05"], 3, 152, 2)
    assert store.get("2501.00007").upvotes == 1007
    assert store.get("2501.00149").upvotes == 5000  # only grows
    assert store.get("2501.90002").upvotes == 50
    assert store.get("2501.80000").upvotes == 2  # its week was not asked for
    assert store.get("2501.00008") is None  # listed, never stored: not added
    assert store.get("2501.00007").dates == ["2025-01-22"]  # no appearance added
    assert [(p.arxiv_id, s) for p, s, _ in store.top.ranked("2025-01-20", "2025-01-26", ["Robotics"])] == [
        ("2501.00007", 1007)]  # tag_days carries the raised count too


async def test_a_bad_week_is_refused_by_the_fake_like_hugging_face(store):
    async with FakeHF() as fake, aiohttp.ClientSession() as session:
        async with session.get(f"{fake.url}/api/daily_papers", params={"week": "2025-W99"}) as resp:
            assert resp.status == 400
        async with session.get(f"{fake.url}/api/daily_papers", params={"week": "2025-W04", "limit": "100"}) as resp:
            assert (resp.status, await resp.json()) == (200, [])
